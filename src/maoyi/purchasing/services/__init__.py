"""Writes of purchasing, one module per subject (suppliers; later quotes, orders and returns)."""
