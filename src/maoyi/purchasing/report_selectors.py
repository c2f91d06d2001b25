"""Purchasing reports (报表): 采购价格历史 (what each product was bought at, from whom and when), through
the data scope (a purchaser reads their own orders, a manager their department's, finance all).

The lines of the purchase orders approved (已审核, 执行中 and 已完成) in the period, the date being
the day of approval (审核日期, local date). Per line:
- unit price excluding VAT in CNY (不含税单价) = tax-inclusive unit price × the order's exchange rate
  ÷ (1 + tax rate), to 4 decimals (as prices are kept);
- amount (不含税金额) = quantity × that price, to the cent.
Per product (by code), its lines by date, then order number, with a summary: quantity and amount
summed, the lowest and highest price, and the average price weighted by quantity (Σ amount ÷ Σ
quantity, to 4 decimals). The total: the number of lines, Σ quantity and Σ amount."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from maoyi.core.documents import Status
from maoyi.core.money import quantize_money
from maoyi.org import scope
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine

ZERO = Decimal("0")
PRICE_QUANTUM = Decimal("0.0001")
BOUGHT_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


def _price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceLine:
    order_id: int
    order_number: str
    supplier: str
    approved_on: dt.date
    quantity: Decimal
    currency: str
    unit_price: Decimal  # as ordered: tax included, in the order's currency
    price: Decimal  # excluding VAT, in CNY

    @property
    def amount(self) -> Decimal:
        return quantize_money(self.quantity * self.price)


@dataclass(frozen=True)
class ProductPrices:
    product_id: int
    product_code: str
    product_name: str
    unit: str
    lines: list[PriceLine]

    @property
    def quantity(self) -> Decimal:
        return sum((line.quantity for line in self.lines), ZERO)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def lowest(self) -> Decimal:
        return min(line.price for line in self.lines)

    @property
    def highest(self) -> Decimal:
        return max(line.price for line in self.lines)

    @property
    def average(self) -> Decimal:
        return _price(self.amount / self.quantity) if self.quantity else ZERO


@dataclass(frozen=True)
class PriceHistory:
    products: list[ProductPrices]

    @property
    def lines(self) -> int:
        return sum(len(p.lines) for p in self.products)

    @property
    def quantity(self) -> Decimal:
        return sum((p.quantity for p in self.products), ZERO)

    @property
    def amount(self) -> Decimal:
        return sum((p.amount for p in self.products), ZERO)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _approved(order: PurchaseOrder) -> dt.datetime:
    return order.approved_at or order.created_at


def price_history(
    user: Any,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    supplier_id: int | None = None,
    product_search: str = "",
) -> PriceHistory:
    """采购价格历史 of the orders the user may see approved in [date_from, date_to] (local dates)."""
    orders = scope.visible(user, PurchaseOrder.objects.filter(status__in=BOUGHT_STATUSES))
    if date_from is not None:
        orders = orders.filter(approved_at__gte=_day_start(date_from))
    if date_to is not None:
        orders = orders.filter(approved_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if supplier_id is not None:
        orders = orders.filter(supplier_id=supplier_id)
    lines = PurchaseOrderLine.objects.filter(order__in=orders).select_related(
        "product", "order", "order__supplier"
    )
    term = product_search.strip()
    if term:
        lines = lines.filter(
            Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
            | Q(product__pinyin__startswith=term.lower())
        )
    found = sorted(lines, key=lambda ln: (ln.product.code, _approved(ln.order), ln.order.number, ln.pk))
    products: dict[int, ProductPrices] = {}
    for ln in found:
        order = ln.order
        group = products.get(ln.product_id)
        if group is None:
            group = products[ln.product_id] = ProductPrices(
                ln.product_id, ln.product.code, ln.product.name, ln.product.unit, []
            )
        group.lines.append(
            PriceLine(
                order_id=order.pk,
                order_number=order.number,
                supplier=order.supplier.name,
                approved_on=timezone.localdate(_approved(order)),
                quantity=ln.quantity,
                currency=order.currency,
                unit_price=ln.unit_price,
                price=_price(ln.unit_price * order.exchange_rate * 100 / (100 + ln.tax_rate)),
            )
        )
    return PriceHistory(products=list(products.values()))
