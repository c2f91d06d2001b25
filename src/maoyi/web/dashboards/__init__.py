"""Dashboards (仪表盘): one page per role, charts with their tables."""
