"""Plugins: the contract and the kit a province ships its rules with.

- :mod:`core.plugin.api` — the public plugin API, the only module a plugin imports;
- :mod:`core.plugin.types` and :mod:`core.plugin.hookspecs` — what hooks return, and the hooks;
- :mod:`core.plugin.manager` — loading entry points (``doudi.plugins``), one typed method per hook;
- :mod:`core.plugin.programs` — the plugin programs and their decider, handed to the engine;
- the kit: :mod:`core.plugin.conformance` (the checks), :mod:`core.plugin.cases` (decision cases
  as data), :mod:`core.plugin.testing` (the pytest plugin), :mod:`core.plugin.scaffold`
  (``doudi plugins new``; templates in ``templates/``).

The author's guide is ``docs/plugins.md``.
"""
