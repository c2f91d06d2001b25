"""Sales reports (报表): 销售统计 (sales by salesperson, team, customer, product or month) and 毛利分析
(gross profit by order, customer, salesperson or month), always through the data-scope gate: a
salesperson reads their own orders, a manager their department's, the company's roles all.

销售统计 counts the orders that were approved (approved, 执行中 and 已完成; drafts, submitted,
rejected and cancelled orders are not sales). Per group:
- amount (金额（含税）) = Σ the lines' amounts after discount, tax included, each rounded to the cent
  as the order shows it; amount excluding tax (不含税金额) = Σ (line amount − line tax), the tax of a
  line rounded to the cent (as `SalesOrderLine.amount_ex_tax`); tax = the difference;
- quantity = Σ the lines' ordered quantities; orders = the number of distinct orders.
A filter on the product keeps only that product's lines (an order then counts once if it has one).
The period is the order date (订单日期). The total row is the same sums over every selected line (its
order count counts each order once, even when its lines fall in several groups).

The amounts are added up in SQL, two queries whatever the number of lines (the groups, the
total), with the per-line cent rounding done exactly in whole numbers (`profit.line_amount_cents`:
exact on PostgreSQL's numeric and on SQLite's 64-bit integers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from maoyi.core.documents import Status
from maoyi.core.money import Whole
from maoyi.org import scope
from maoyi.org.models import Department
from maoyi.sales import profit
from maoyi.sales.models import SalesOrder, SalesOrderLine

ZERO = Decimal("0")
# Orders that count as sold: approved, whether or not the goods left yet.
SOLD_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)
SALES_GROUPINGS = ("salesperson", "team", "customer", "product", "month")
PROFIT_GROUPINGS = ("order", "customer", "salesperson", "month")


@dataclass(frozen=True)
class SalesRow:
    """One group of a sales report (`key`: the owner's, department's, customer's or product's id,
    or a month's first day) or its total (key None)."""

    key: Any
    label: str
    orders: int
    quantity: Decimal
    amount: Decimal
    amount_ex_tax: Decimal

    @property
    def tax(self) -> Decimal:
        return self.amount - self.amount_ex_tax


@dataclass(frozen=True)
class SalesReport:
    by: str
    rows: list[SalesRow]
    total: SalesRow


def sold_lines(
    user: Any,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    department_id: int | None = None,
    owner_id: int | None = None,
    customer_id: int | None = None,
    product_id: int | None = None,
    product_search: str = "",
    warehouse_id: int | None = None,
) -> QuerySet[SalesOrderLine]:
    """The lines of the approved (or later) orders the user may see that the filters select. A
    department takes its sub-departments too; `product_search` matches code, name and pinyin."""
    orders = scope.visible(user, SalesOrder.objects.filter(status__in=SOLD_STATUSES))
    if date_from is not None:
        orders = orders.filter(order_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(order_date__lte=date_to)
    if department_id is not None:
        path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first()
        orders = orders.filter(department__path__startswith=path) if path else orders.none()
    if owner_id is not None:
        orders = orders.filter(owner_id=owner_id)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if warehouse_id is not None:
        orders = orders.filter(warehouse_id=warehouse_id)
    lines = SalesOrderLine.objects.filter(order__in=orders)
    if product_id is not None:
        lines = lines.filter(product_id=product_id)
    term = product_search.strip()
    if term:
        lines = lines.filter(
            Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
            | Q(product__pinyin__startswith=term.lower())
        )
    return lines.order_by("order__order_date", "order_id", "id")


# Per grouping: the fields to group by, the key and the label of a group.
_GROUPS: dict[
    str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], Hashable], Callable[[Mapping[str, Any]], str]]
] = {
    "salesperson": (
        ("order__owner_id", "order__owner__name"),
        lambda r: r["order__owner_id"],
        lambda r: r["order__owner__name"],
    ),
    "team": (
        ("order__department_id", "order__department__name"),
        lambda r: r["order__department_id"],
        lambda r: r["order__department__name"],
    ),
    "customer": (
        ("order__customer_id", "order__customer__name"),
        lambda r: r["order__customer_id"],
        lambda r: r["order__customer__name"],
    ),
    "product": (
        ("product_id", "product__code", "product__name"),
        lambda r: r["product_id"],
        lambda r: f"{r['product__code']} {r['product__name']}",
    ),
    "month": (("month",), lambda r: r["month"], lambda r: f"{r['month']:%Y-%m}"),
}


def _sums() -> dict[str, Any]:
    """Per group (or over all): distinct orders, Σ quantity in 10⁻⁴, Σ amount and Σ amount excluding
    tax in cents, each line rounded as the order shows it."""
    amount = profit.line_amount_cents()
    return {
        "n_orders": Count("order_id", distinct=True),
        "q": Sum(Whole("quantity", 4)),
        "a": Sum(amount),
        "x": Sum(amount - profit.line_tax_cents(amount)),
    }


def _row(key: Any, label: str, sums: Mapping[str, Any]) -> SalesRow:
    if not sums["n_orders"]:
        return SalesRow(key, label, 0, ZERO, ZERO, ZERO)
    return SalesRow(
        key,
        label,
        sums["n_orders"],
        profit.from_cents(sums["q"], 4),
        profit.from_cents(sums["a"]),
        profit.from_cents(sums["x"]),
    )


def sales_summary(user: Any, *, by: str = "salesperson", **filters: Any) -> SalesReport:
    """销售统计 grouped `by` one of SALES_GROUPINGS (unknown: by salesperson): months in date order,
    the other groupings the largest amount first (then by label). Filters: see `sold_lines`.
    Two queries: the groups and the total, added up in SQL."""
    by = by if by in SALES_GROUPINGS else "salesperson"
    fields, key_of, label_of = _GROUPS[by]
    lines = sold_lines(user, **filters).order_by()
    if by == "month":
        lines = lines.annotate(month=TruncMonth("order__order_date"))
    found = [
        _row(key_of(row), label_of(row), row) for row in lines.values(*fields).annotate(**_sums()).order_by()
    ]
    if by == "month":
        found.sort(key=lambda r: r.key)
    else:
        found.sort(key=lambda r: (-r.amount, r.label))
    return SalesReport(by=by, rows=found, total=_row(None, "", lines.aggregate(**_sums())))


# 毛利分析 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfitReport:
    by: str
    rows: list[profit.GroupProfit]
    total: profit.Profit

    @property
    def total_row(self) -> profit.GroupProfit:
        """The total as a row (key None), with the number of order lines behind it."""
        return profit.GroupProfit(None, "", sum(g.lines for g in self.rows), self.total)


_PROFIT_GROUPS: dict[str, Callable[..., list[profit.GroupProfit]]] = {
    "order": profit.profit_by_order,
    "customer": profit.profit_by_customer,
    "salesperson": profit.profit_by_salesperson,
    "month": profit.profit_by_month,
}


def profit_report(
    user: Any,
    *,
    by: str = "salesperson",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
) -> ProfitReport:
    """毛利分析 grouped `by` one of PROFIT_GROUPINGS (unknown: by salesperson), from
    `maoyi.sales.profit` (shipped lines less returns, at their actual cost), with the total of the
    groups (the sum of every selected line's figures)."""
    by = by if by in PROFIT_GROUPINGS else "salesperson"
    rows = _PROFIT_GROUPS[by](
        user, date_from=date_from, date_to=date_to, customer_id=customer_id, owner_id=owner_id
    )
    return ProfitReport(by=by, rows=rows, total=sum((g.profit for g in rows), profit.Profit()))
