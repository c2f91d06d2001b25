"""Money and quantities are Decimal end to end; these are the shared field shapes and rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import F, Func, IntegerField, Value
from django.utils.translation import gettext_lazy as _

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


class Currency(models.TextChoices):
    """The currencies documents may be in; the books are kept in CNY (本位币)."""

    CNY = "CNY", _("人民币")
    USD = "USD", _("美元")
    EUR = "EUR", _("欧元")
    JPY = "JPY", _("日元")
    HKD = "HKD", _("港币")


BASE_CURRENCY = Currency.CNY
RATE_QUANTUM = Decimal("0.000001")


class RateField(models.DecimalField):
    """An exchange rate to CNY: how many yuan one unit of the currency is worth (6 decimals)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(*args, **kwargs)


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a document's currency, in CNY at the document's rate, to the cent."""
    return quantize_money(amount * rate)


# Money and quantities in SQL as whole numbers ----------------------------------------------------------
# Reports add up thousands of lines in the database with the same rounding as the Decimal code: each
# figure as an integer of its smallest unit, rounded half up by integer division.


class Whole(Func):
    """A decimal column as a whole number of its smallest unit (`places` decimals): exact numeric on
    PostgreSQL; on SQLite, whose decimals are floats, rounded back to the integer it was stored as."""

    output_field = IntegerField()

    def __init__(self, field: str, places: int) -> None:
        super().__init__(F(field))
        self.factor = 10**places

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            return f"CAST(ROUND({sql} * {self.factor}) AS INTEGER)", params
        return f"({sql} * {self.factor})", params


class IntDiv(Func):
    """Integer division of whole numbers ≥ 0, truncating: div() on PostgreSQL, / on SQLite."""

    output_field = IntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        (a, a_params), (b, b_params) = (compiler.compile(e) for e in self.source_expressions)
        template = "(({}) / ({}))" if connection.vendor == "sqlite" else "div({}, {})"
        return template.format(a, b), [*a_params, *b_params]


def whole_number(n: int) -> Value:
    """An integer constant for these expressions."""
    return Value(n, output_field=IntegerField())
