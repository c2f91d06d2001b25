"""Template filters of the catalog pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def price(value: Any) -> str:
    """A unit price: ¥0.80 with two decimals, or up to four when it goes below a cent (¥0.0125)."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    places = 2 if amount == amount.quantize(Decimal("0.01")) else 4
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.{places}f}"
