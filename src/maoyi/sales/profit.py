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

The rows are selected, scoped and filtered in the database and come back in one query with the
figures each line needs; the line figures are computed in Python with Decimal, because the nested
cent rounding above cannot be done exactly in SQL on SQLite (which keeps decimals as floats). A
period is the orders dated in it (订单日期)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from maoyi.core.money import quantize_money
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


def _group(
    rows: Iterable[LineProfit], key: Callable[[LineProfit], Hashable], label: Callable[[LineProfit], str]
) -> list[GroupProfit]:
    groups: dict[Hashable, tuple[str, int, Profit]] = {}
    for row in rows:
        k = key(row)
        name, count, total = groups.get(k, (label(row), 0, Profit()))
        groups[k] = (name, count + 1, total + row.profit)
    return [GroupProfit(k, name, count, total) for k, (name, count, total) in groups.items()]


def _by_profit(groups: list[GroupProfit]) -> list[GroupProfit]:
    return sorted(groups, key=lambda g: (-g.profit.profit, str(g.label)))


def profit_by_order(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per order (key: order id, label: its number), oldest order first."""
    return _group(line_profits(user, **filters), lambda r: r.order_id, lambda r: r.order_number)


def profit_by_customer(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per customer (key: customer id), the most profitable first."""
    return _by_profit(_group(line_profits(user, **filters), lambda r: r.customer_id, lambda r: r.customer))


def profit_by_salesperson(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per salesperson, the order's owner (key: employee id), the most profitable first."""
    return _by_profit(_group(line_profits(user, **filters), lambda r: r.owner_id, lambda r: r.owner))


def profit_by_month(user: Any, **filters: Any) -> list[GroupProfit]:
    """Per month of the order date (key: the month's first day, label: YYYY-MM), in date order."""
    groups = _group(
        line_profits(user, **filters),
        lambda r: r.order_date.replace(day=1),
        lambda r: f"{r.order_date:%Y-%m}",
    )
    return sorted(groups, key=lambda g: g.key)


def profit_total(user: Any, **filters: Any) -> Profit:
    """Everything the filters select, added up."""
    return sum((row.profit for row in line_profits(user, **filters)), Profit())
