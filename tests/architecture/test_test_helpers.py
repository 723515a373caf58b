"""Test modules never import each other: what several of them share lives in ``tests.support``
(one module per concern), so a test file can be moved, split or deleted without breaking its
neighbours, and no test module is imported a second time as another's library."""

from __future__ import annotations

import grimp


def _is_test_module(module: str) -> bool:
    """A module pytest collects or loads as configuration (``test_*.py``, ``conftest.py``)."""
    name = module.rsplit(".", 1)[-1]
    return name.startswith("test_") or name == "conftest"


def imports_of_test_modules(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """(importer, imported) for every import, anywhere in ``tests``, of a test module."""
    return sorted(
        (importer, imported)
        for imported in graph.modules
        if _is_test_module(imported)
        for importer in graph.find_modules_that_directly_import(imported)
    )


def test_no_test_module_imports_another_test_module():
    graph = grimp.build_graph("tests")
    assert {"tests.support", "tests.support.db_backends", "tests.conftest"} <= graph.modules
    assert imports_of_test_modules(graph) == [], "move shared helpers into tests/support/"


def test_the_checker_finds_a_test_module_imported_by_another():
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("tests.api.test_a", "tests.support.api"),
        ("tests.api.test_b", "tests.api.test_a"),
        ("tests.support.api", "tests.conftest"),
        ("tests.cli.test_c", "tests.support.cli"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert imports_of_test_modules(graph) == [
        ("tests.api.test_b", "tests.api.test_a"),
        ("tests.support.api", "tests.conftest"),
    ]
