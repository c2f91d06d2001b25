"""What purchasing's dashboard (仪表盘) reads: the goods still to arrive by expected week, and the
price trend of the most bought products. Purchase orders through the data-scope gate (a purchaser's
own, a manager's department's, the company's roles all); amounts tax included, in CNY at each order's
fixed rate."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maoyi.core.documents import Status
from maoyi.core.money import quantize_money
from maoyi.org import scope
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine
from maoyi.purchasing.order_selectors import OPEN_STATUSES

ZERO = Decimal("0")
PRICE_QUANTUM = Decimal("0.0001")
# Orders that count as bought: approved, whether or not the goods arrived yet.
BOUGHT_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class IncomingWeek:
    """The open quantities of approved orders expected in one week (Monday to Sunday), or before
    today (`overdue`: start and end None): their value in CNY and the orders, earliest expected first."""

    start: dt.date | None
    end: dt.date | None
    amount: Decimal = ZERO
    lines: int = 0
    orders: list[PurchaseOrder] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.start is None


def incoming_by_week(user: Any, *, weeks: int = 8, on: dt.date | None = None) -> list[IncomingWeek]:
    """Goods still to arrive on the approved and partly received orders the user may see: first those
    expected before `on` (today, late), then the `weeks` weeks from the week of `on`. Value = open
    quantity × tax-inclusive unit price × the order's rate, rounded to the cent per line. Orders
    expected later than the last week are left out."""
    today = on or timezone.localdate()
    first = _week_start(today)
    late = IncomingWeek(start=None, end=None)
    buckets = [
        IncomingWeek(start=first + dt.timedelta(weeks=i), end=first + dt.timedelta(weeks=i, days=6))
        for i in range(weeks)
    ]
    horizon = first + dt.timedelta(weeks=weeks)
    orders = scope.visible(user, PurchaseOrder.objects.filter(status__in=OPEN_STATUSES))
    lines = (
        PurchaseOrderLine.objects.filter(order__in=orders, order__expected_date__lt=horizon)
        .select_related("order", "order__supplier")
        .order_by("order__expected_date", "order_id", "id")
    )
    for line in lines:
        left = line.quantity - line.received_quantity
        if left <= 0:
            continue
        order = line.order
        is_late = order.expected_date < today
        bucket = late if is_late else buckets[(order.expected_date - first).days // 7]
        bucket.amount += quantize_money(left * line.unit_price * order.exchange_rate)
        bucket.lines += 1
        if order not in bucket.orders:
            bucket.orders.append(order)
    return [late, *buckets]


@dataclass(frozen=True)
class ProductTrend:
    """A product's average purchase price (tax included, CNY, weighted by quantity) per month, None
    in the months it was not bought; `amount` is Σ bought in the whole period."""

    product_id: int
    code: str
    name: str
    unit: str
    amount: Decimal
    prices: list[Decimal | None]


@dataclass(frozen=True)
class PriceTrend:
    months: list[dt.date]  # the first day of each month, oldest first
    products: list[ProductTrend]


def _months_back(today: dt.date, count: int) -> list[dt.date]:
    months = [today.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


def price_trend(user: Any, *, months: int = 6, top: int = 5, on: dt.date | None = None) -> PriceTrend:
    """The `top` products most bought (Σ tax-inclusive CNY amount) on the approved (or later) orders
    the user may see, approved in the last `months` months up to the month of `on` (today); for each,
    Σ amount ÷ Σ quantity per month of approval. Ties go to the lower product code."""
    today = on or timezone.localdate()
    month_starts = _months_back(today, months)
    index = {month: i for i, month in enumerate(month_starts)}
    since = timezone.make_aware(dt.datetime.combine(month_starts[0], dt.time.min))
    orders = scope.visible(
        user, PurchaseOrder.objects.filter(status__in=BOUGHT_STATUSES, approved_at__gte=since)
    )
    rows = PurchaseOrderLine.objects.filter(order__in=orders).values_list(
        "product_id",
        "product__code",
        "product__name",
        "product__unit",
        "quantity",
        "unit_price",
        "order__exchange_rate",
        "order__approved_at",
    )
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    names: dict[int, tuple[str, str, str]] = {}
    per_month: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for product_id, code, name, unit, quantity, price, rate, approved_at in rows:
        month = timezone.localdate(approved_at).replace(day=1)
        if month not in index:  # approved after `on`
            continue
        amount = Decimal(quantity) * Decimal(price) * Decimal(rate)
        totals[product_id] += amount
        names[product_id] = (code, name, unit)
        sums = per_month[(product_id, index[month])]
        sums[0] += amount
        sums[1] += Decimal(quantity)
    chosen = sorted(totals, key=lambda pid: (-totals[pid], names[pid][0]))[:top]
    products = []
    for pid in chosen:
        prices: list[Decimal | None] = []
        for i in range(len(month_starts)):
            amount, quantity = per_month.get((pid, i), (ZERO, ZERO))
            prices.append((amount / quantity).quantize(PRICE_QUANTUM) if quantity else None)
        code, name, unit = names[pid]
        products.append(ProductTrend(pid, code, name, unit, quantize_money(totals[pid]), prices))
    return PriceTrend(months=month_starts, products=products)
