"""The built-in province plugins. Each registers under the ``doudi.plugins`` entry-point group."""
