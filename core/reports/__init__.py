"""Reports officials owe: deadlines and statistics tables (pure) and the store."""
