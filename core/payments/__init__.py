"""Monthly payments: the rules (pure) and the store."""
