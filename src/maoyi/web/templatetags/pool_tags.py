"""公海 helpers for templates: `{% load pool_tags %}`; used by the pool's small includes."""

from __future__ import annotations

from typing import Any

from django import template

from maoyi.crm.selectors import pool as pool_selectors

register = template.Library()


@register.filter
def pool_return_days(customer: Any) -> int | None:
    """Days until the sweep returns the customer to the pool, once within its rule's warning
    window; None otherwise (no badge)."""
    if customer is None or getattr(customer, "owner_id", None) is None:
        return None
    if hasattr(customer, "pool_return_days"):  # read for the whole page by the list view
        days: int | None = customer.pool_return_days
        return days
    return pool_selectors.return_badge(customer)


@register.filter
def may_transfer(user: Any) -> bool:
    from maoyi.web.crm.pool import may_transfer as allowed

    return allowed(user)
