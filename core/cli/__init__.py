"""The ``doudi`` command line (:mod:`core.cli.main`); one module per command group."""

from core.cli.main import cli, main

__all__ = ["cli", "main"]
