"""What a channel partner (渠道商: a distributor or an agent) bought from us: the goods shipped to it
less the goods it returned, by product, over a period (the customer page's 采购汇总). Built from
the shipments of the orders the user may see, so a salesperson sums only their own orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maoyi.catalog.models import Product
from maoyi.core.money import quantize_money
from maoyi.crm.models import Customer
from maoyi.org import scope
from maoyi.sales.models import Shipment, ShipmentLine

ZERO = Decimal("0")
# "The last 12 months": shipments of the 365 days up to and including today.
PURCHASE_SUMMARY_DAYS = 365


@dataclass(frozen=True)
class PartnerPurchase:
    """One product a partner bought: shipped and returned (received returns) quantities, what it
    kept, and its amount: what it kept at each order line's tax-inclusive price after the discount."""

    product: Product
    shipped: Decimal
    returned: Decimal
    amount: Decimal

    @property
    def quantity(self) -> Decimal:
        return self.shipped - self.returned


@dataclass(frozen=True)
class PartnerPurchases:
    rows: list[PartnerPurchase]
    since: dt.date
    until: dt.date

    @property
    def amount(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


def partner_purchases(
    user: Any, customer: Customer, *, on: dt.date | None = None, days: int = PURCHASE_SUMMARY_DAYS
) -> PartnerPurchases:
    """By product (by code), what was shipped to `customer` in the `days` days up to `on` (today),
    less what came back of those shipments; only shipments of orders the user may see. Each
    shipment line's amount is its kept quantity × its order line's net price, rounded to the cent
    per product."""
    until = on or timezone.localdate()
    since = until - dt.timedelta(days=days - 1)
    visible = scope.visible(user, Shipment.objects.filter(order__customer=customer))
    lines = ShipmentLine.objects.filter(
        shipment__in=visible, shipment__shipped_on__gte=since, shipment__shipped_on__lte=until
    ).select_related("order_line", "order_line__product")
    shipped: dict[int, Decimal] = {}
    returned: dict[int, Decimal] = {}
    amounts: dict[int, Decimal] = {}
    products: dict[int, Product] = {}
    for line in lines:
        product = line.order_line.product
        products[product.pk] = product
        shipped[product.pk] = shipped.get(product.pk, ZERO) + line.quantity
        returned[product.pk] = returned.get(product.pk, ZERO) + line.returned_quantity
        kept = line.quantity - line.returned_quantity
        amounts[product.pk] = amounts.get(product.pk, ZERO) + kept * line.order_line.net_price
    rows = [
        PartnerPurchase(
            product=products[pk],
            shipped=shipped[pk],
            returned=returned[pk],
            amount=quantize_money(amounts[pk]),
        )
        for pk in sorted(products, key=lambda pk: products[pk].code)
    ]
    return PartnerPurchases(rows=rows, since=since, until=until)
