"""Command groups of the ``doudi`` CLI kept in their own modules (each adds itself to
:data:`core.cli.cli` when imported; :mod:`core.cli` imports them all at its end)."""
