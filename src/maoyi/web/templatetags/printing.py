"""Tags of the print layout (`web/print/*.html`): the letterhead from settings, amounts in Chinese
capitals (大写), column totals and quantities without trailing zeros."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings

from maoyi.core.chinese_amount import amount_in_words
from maoyi.crm.selectors.quotes import company_name

register = template.Library()


@register.simple_tag
def letterhead() -> dict[str, str]:
    """The company's name, address and logo (a static path) as every printed document shows them."""
    return {
        "name": company_name(),
        "address": str(getattr(settings, "MAOYI_COMPANY_ADDRESS", "") or ""),
        "logo": str(getattr(settings, "MAOYI_COMPANY_LOGO", "") or ""),
    }


@register.filter
def daxie(value: Any) -> str:
    """1004050.08 → 壹佰万肆仟零伍拾元零捌分 (see `maoyi.core.chinese_amount`)."""
    if value in (None, ""):
        return ""
    try:
        return amount_in_words(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def total_of(rows: Iterable[Any], attribute: str) -> Decimal:
    """Σ of one Decimal attribute over the rows (a dotted path walks into each row)."""
    total = Decimal("0")
    for row in rows or ():
        value: Any = row
        for part in attribute.split("."):
            value = getattr(value, part)
        total += Decimal(value or 0)
    return total


@register.filter
def qty(value: Any) -> str:
    """A quantity as people write it: 10, 2.5 (no trailing zeros, no exponent)."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(value).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:f}"


@register.filter
def price(value: Any) -> str:
    """A unit price with at least two decimals and no trailing zeros past them: 2.50, 10.1250."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    exponent = number.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{number:.{places}f}"
