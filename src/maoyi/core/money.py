"""Money and quantities are Decimal end to end; these are the shared field shapes and rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

CENT = Decimal("0.01")


def quantize_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """An amount in a document's currency: 18 digits, 2 decimals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class PriceField(models.DecimalField):
    """A unit price: 18 digits, 4 decimals (prices of consumables go below a cent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


class QuantityField(models.DecimalField):
    """A quantity of goods: 18 digits, 4 decimals (metres, kilograms and boxes alike)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


class CostField(models.DecimalField):
    """A unit cost: 6 decimals, so moving averages stay exact enough for any quantity."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(*args, **kwargs)


QUANTUM = Decimal("0.0001")
COST_QUANTUM = Decimal("0.000001")


def quantize_quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM, rounding=ROUND_HALF_UP)


def quantize_cost(value: Decimal) -> Decimal:
    return value.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
