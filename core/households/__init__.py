"""Households and members: the model (pure) and its store."""
