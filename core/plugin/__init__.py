"""The plugin contract (hook specifications and their types) and the plugin manager."""
