"""毛利 (gross profit) of sales: per order line, order, customer, salesperson and period, from the
actual cost of the goods shipped less the goods returned.

For an order line:
- revenue (收入, excluding VAT) = the line's amount excluding tax × shipped ÷ ordered, less the
  same for the returned quantity: R(amount_ex_tax × shipped / quantity) − R(amount_ex_tax ×
  returned / quantity), where amount_ex_tax is the order line's (its amount after discount, tax
  included, less its tax, each rounded to the cent as the order shows them) and R rounds to the
  cent, half up. A fully shipped line earns exactly its amount excluding tax; a fully returned one
  nothing.
- cost (成本) = shipped_cost − returned_cost: the values of the stock moves the ledger wrote at the
  moving-average cost (already in cents).
- gross profit (毛利) = revenue − cost; margin (毛利率) = profit ÷ revenue × 100, rounded to two
  decimals, None when there is no revenue.
A group's (order, customer, salesperson, month) revenue, cost and profit are the exact sums of its
lines' figures, so the figures of an order add up to those of its lines, and so on; its margin is
computed from those sums.

The rows are selected, scoped and filtered in the database. Per line (`line_profits`, an order's
page) the figures are computed in Python with Decimal; the groups and the total (`profit_by_*`,
`profit_total`) are added up in SQL, one query, with the same cent rounding done exactly in whole
numbers (`line_amount_cents` and friends): cents, ten-thousandths of a unit, and half-up rounding
as integer division, which PostgreSQL's numeric computes without limit and SQLite (which keeps
decimals as floats, but is exact on 64-bit integers) up to a net unit price of about 2,000,000.00
and a line quantity of about 200,000 units; beyond that SQLite's integers overflow into floats and
the report refuses (`ValueError`) rather than show a figure that may be wrong. A period is the
orders dated in it (订单日期)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.expressions import Combinable
from django.db.models.functions import TruncMonth

from maoyi.core.money import CENT, QUANTUM, IntDiv, Whole, quantize_money, whole_number
from maoyi.org import scope
from maoyi.sales.models import HUNDRED, SalesOrder, SalesOrderLine

ZERO = Decimal("0")
PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class Profit:
    """Revenue excluding VAT and cost of what was shipped, the returned part of each, and what is
    left after returns."""

    shipped_revenue: Decimal = ZERO
    returned_revenue: Decimal = ZERO
    shipped_cost: Decimal = ZERO
    returned_cost: Decimal = ZERO

    @property
    def revenue(self) -> Decimal:
        return self.shipped_revenue - self.returned_revenue

    @property
    def cost(self) -> Decimal:
        return self.shipped_cost - self.returned_cost

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin(self) -> Decimal | None:
        """毛利率 in percent, two decimals; None without revenue."""
        if not self.revenue:
            return None
        return (self.profit * HUNDRED / self.revenue).quantize(PERCENT, rounding=ROUND_HALF_UP)

    def __add__(self, other: Profit) -> Profit:
        return Profit(
            self.shipped_revenue + other.shipped_revenue,
            self.returned_revenue + other.returned_revenue,
            self.shipped_cost + other.shipped_cost,
            self.returned_cost + other.returned_cost,
        )


def amount_ex_tax(
    quantity: Decimal, unit_price: Decimal, discount_rate: Decimal, tax_rate: Decimal
) -> Decimal:
    """An order line's amount excluding tax, rounded as `SalesOrderLine.amount_ex_tax` is."""
    amount = quantize_money(quantity * unit_price * (HUNDRED - discount_rate) / HUNDRED)
    return amount - quantize_money(amount * tax_rate / (HUNDRED + tax_rate))


# The same figures in SQL, in whole numbers ----------------------------------------------------------


def half_up(x: Combinable, y: Combinable) -> IntDiv:
    """x ÷ y rounded half up, for whole numbers x ≥ 0 and y > 0."""
    return IntDiv(whole_number(2) * x + y, whole_number(2) * y)


def line_amount_cents() -> Combinable:
    """`SalesOrderLine.amount` in cents: quantity × unit price × (100 − discount) ÷ 100, half up.
    With Q = quantity × 10⁴ = q1 × 10⁴ + q0 and M = net price × 10⁸ = u × 10⁶ + v, the amount in cents
    is Q × M ÷ 10¹⁰ = q1 × u + (q1 × v × 10⁴ + q0 × M) ÷ 10¹⁰: no product exceeds 64 bits on SQLite
    while M < 2 × 10¹⁴ and q1 < 2 × 10⁸."""
    quantity = Whole("quantity", 4)
    net = Whole("unit_price", 4) * (whole_number(10_000) - Whole("discount_rate", 2))
    q1 = IntDiv(quantity, whole_number(10_000))
    q0 = quantity - q1 * whole_number(10_000)
    u = IntDiv(net, whole_number(10**6))
    v = net - u * whole_number(10**6)
    return q1 * u + half_up(q1 * v * whole_number(10_000) + q0 * net, whole_number(10**10))


def line_tax_cents(amount: Combinable) -> IntDiv:
    """`SalesOrderLine.tax_amount` in cents from the amount in cents: amount × rate ÷ (100 + rate)."""
    rate = Whole("tax_rate", 2)
    return half_up(amount * rate, whole_number(10_000) + rate)


def line_ex_tax_cents() -> Combinable:
    """`SalesOrderLine.amount_ex_tax` (and `amount_ex_tax` above) in cents."""
    amount = line_amount_cents()
    return amount - line_tax_cents(amount)


def _share_cents(ex_tax: Combinable, part: str) -> Combinable:
    """R(ex_tax × part ÷ quantity) in cents, as `figures` rounds it. With E = e1 × Q + e0 (e0 < Q) it
    is e1 × part + R(e0 × part ÷ Q): within 64 bits while Q (quantity × 10⁴) < 2 × 10⁹."""
    quantity = Whole("quantity", 4)
    share = Whole(part, 4)
    e1 = IntDiv(ex_tax, quantity)
    e0 = ex_tax - e1 * quantity
    return e1 * share + half_up(e0 * share, quantity)


def from_cents(value: Any, exponent: int = 2) -> Decimal:
    """A whole number of cents (or of 10⁻ᵉˣᵖᵒⁿᵉⁿᵗ) summed in SQL, as a Decimal with that many places.
    A float means SQLite's integers overflowed: refuse rather than show an inexact figure."""
    if isinstance(value, float):
        raise ValueError("figure beyond SQLite's exact integer range")
    quantum = CENT if exponent == 2 else QUANTUM if exponent == 4 else Decimal(1).scaleb(-exponent)
    return Decimal(value or 0).scaleb(-exponent).quantize(quantum)


def figures(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_rate: Decimal,
    tax_rate: Decimal,
    shipped_quantity: Decimal,
    returned_quantity: Decimal,
    shipped_cost: Decimal,
    returned_cost: Decimal,
) -> Profit:
    """The profit of one order line from its stored figures."""
    ex_tax = amount_ex_tax(quantity, unit_price, discount_rate, tax_rate)
    return Profit(
        shipped_revenue=quantize_money(ex_tax * shipped_quantity / quantity),
        returned_revenue=quantize_money(ex_tax * returned_quantity / quantity),
        shipped_cost=shipped_cost,
        returned_cost=returned_cost,
    )


def line_profit(line: SalesOrderLine) -> Profit:
    return figures(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_rate=line.discount_rate,
        tax_rate=line.tax_rate,
        shipped_quantity=line.shipped_quantity,
        returned_quantity=line.returned_quantity,
        shipped_cost=line.shipped_cost,
        returned_cost=line.returned_cost,
    )


def order_profit(order: SalesOrder) -> Profit:
    """The profit of one order: the sum of its lines'."""
    return sum((line_profit(line) for line in order.lines.all()), Profit())


# Scoped reads ----------------------------------------------------------------------------------------

LINE_FIELDS = (
    "quantity",
    "unit_price",
    "discount_rate",
    "tax_rate",
    "shipped_quantity",
    "returned_quantity",
    "shipped_cost",
    "returned_cost",
)


@dataclass(frozen=True)
class LineProfit:
    """One order line that shipped something, with what it was sold to whom by whom."""

    line_id: int
    order_id: int
    order_number: str
    order_date: dt.date
    customer_id: int
    customer: str
    owner_id: int
    owner: str
    product_id: int
    product_code: str
    product_name: str
    shipped_quantity: Decimal
    returned_quantity: Decimal
    profit: Profit


@dataclass(frozen=True)
class GroupProfit:
    """The lines of one order, customer, salesperson or month added up. `key` is the group's id
    (for a month, its first day) and `label` what a page shows."""

    key: Any
    label: str
    lines: int
    profit: Profit


def _lines(
    user: Any,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    customer_id: int | None,
    owner_id: int | None,
    order_id: int | None,
) -> QuerySet[SalesOrderLine]:
    """Order lines of orders the user may see that shipped something, in the period."""
    orders = scope.visible(user, SalesOrder.objects.all())
    if date_from is not None:
        orders = orders.filter(order_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(order_date__lte=date_to)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if owner_id is not None:
        orders = orders.filter(owner_id=owner_id)
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    return SalesOrderLine.objects.filter(order__in=orders, shipped_quantity__gt=0).order_by(
        "order__order_date", "order_id", "id"
    )


def line_profits(
    user: Any,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    order_id: int | None = None,
) -> list[LineProfit]:
    """Per order line that shipped something: its revenue, cost and profit (one query)."""
    rows = _lines(
        user,
        date_from=date_from,
        date_to=date_to,
        customer_id=customer_id,
        owner_id=owner_id,
        order_id=order_id,
    ).values(
        "pk",
        "order_id",
        "order__number",
        "order__order_date",
        "order__customer_id",
        "order__customer__name",
        "order__owner_id",
        "order__owner__name",
        "product_id",
        "product__code",
        "product__name",
        *LINE_FIELDS,
    )
    return [
        LineProfit(
            line_id=row["pk"],
            order_id=row["order_id"],
            order_number=row["order__number"],
            order_date=row["order__order_date"],
            customer_id=row["order__customer_id"],
            customer=row["order__customer__name"],
            owner_id=row["order__owner_id"],
            owner=row["order__owner__name"],
            product_id=row["product_id"],
            product_code=row["product__code"],
            product_name=row["product__name"],
            shipped_quantity=row["shipped_quantity"],
            returned_quantity=row["returned_quantity"],
            profit=figures(**{field: row[field] for field in LINE_FIELDS}),
        )
        for row in rows
    ]


def _filtered_lines(user: Any, filters: dict[str, Any]) -> QuerySet[SalesOrderLine]:
    """`_lines` for the keyword filters of `line_profits`, unordered (for grouping)."""
    names = ("date_from", "date_to", "customer_id", "owner_id", "order_id")
    return _lines(user, **{name: filters.get(name) for name in names}).order_by()


def _profit_sums() -> dict[str, Sum]:
    """Σ of the line figures in cents (whole numbers), for `annotate` per group or `aggregate`."""
    ex_tax = line_ex_tax_cents()
    return {
        "sum_shipped_revenue": Sum(_share_cents(ex_tax, "shipped_quantity")),
        "sum_returned_revenue": Sum(_share_cents(ex_tax, "returned_quantity")),
        "sum_shipped_cost": Sum(Whole("shipped_cost", 2)),
        "sum_returned_cost": Sum(Whole("returned_cost", 2)),
    }


def _profit_of(row: dict[str, Any]) -> Profit:
    return Profit(
        shipped_revenue=from_cents(row["sum_shipped_revenue"]),
        returned_revenue=from_cents(row["sum_returned_revenue"]),
        shipped_cost=from_cents(row["sum_shipped_cost"]),
        returned_cost=from_cents(row["sum_returned_cost"]),
    )


def _grouped(
    user: Any,
    filters: dict[str, Any],
    fields: tuple[str, ...],
    key: Callable[[dict[str, Any]], Hashable],
    label: Callable[[dict[str, Any]], str],
    *,
    month: bool = False,
) -> list[GroupProfit]:
    """The selected lines added up in SQL per `fields` (one query)."""
    lines = _filtered_lines(user, filters)
    if month:
        lines = lines.annotate(month=TruncMonth("order__order_date"))
    rows = lines.values(*fields).annotate(n=Count("pk"), **_profit_sums()).order_by(*fields)
    return [GroupProfit(key(row), label(row), row["n"], _profit_of(row)) for row in rows]


def _by_profit(groups: list[GroupProfit]) -> list[GroupProfit]:
    return sorted(groups, key=lambda g: (-g.profit.profit, str(g.label)))


def profit_by_order(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per order (key: order id, label: its number), oldest order first."""
    return _grouped(
        user,
        filters,
        ("order__order_date", "order_id", "order__number"),
        lambda r: r["order_id"],
        lambda r: r["order__number"],
    )


def profit_by_customer(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per customer (key: customer id), the most profitable first."""
    return _by_profit(
        _grouped(
            user,
            filters,
            ("order__customer_id", "order__customer__name"),
            lambda r: r["order__customer_id"],
            lambda r: r["order__customer__name"],
        )
    )


def profit_by_salesperson(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per salesperson, the order's owner (key: employee id), the most profitable first."""
    return _by_profit(
        _grouped(
            user,
            filters,
            ("order__owner_id", "order__owner__name"),
            lambda r: r["order__owner_id"],
            lambda r: r["order__owner__name"],
        )
    )


def profit_by_month(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per month of the order date (key: the month's first day, label: YYYY-MM), in date order."""
    return _grouped(
        user, filters, ("month",), lambda r: r["month"], lambda r: f"{r['month']:%Y-%m}", month=True
    )


def profit_total(user: Any, **filters: Any) -> Profit:
    """Everything the filters select, added up (one query)."""
    return _profit_of(_filtered_lines(user, filters).aggregate(**_profit_sums()))
