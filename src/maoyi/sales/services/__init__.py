"""Writes of sales, one module per subject: orders (orders.py), shipments and sales returns."""
