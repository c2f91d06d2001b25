"""Reads of purchase orders, goods receipts and purchase returns, scoped to the user; the incoming
quantities (在途量) inventory's availability shows; the work queues of purchasing and logistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.finance.models import Direction, Obligation
from maoyi.inventory.incoming import Incoming
from maoyi.inventory.models import Lot
from maoyi.org import scope
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    SupplierQuote,
)

OPEN_STATUSES = (Status.APPROVED, Status.IN_PROGRESS)
ORDER_ORDERINGS = {
    "number": "number",
    "-number": "-number",
    "supplier": "supplier__name",
    "-supplier": "-supplier__name",
    "expected": "expected_date",
    "-expected": "-expected_date",
    "created": "created_at",
    "-created": "-created_at",
}


@dataclass(frozen=True)
class Progress:
    """How much of an order has arrived: quantities over all lines, the whole percentage, and the
    value received at the order's tax-inclusive prices (what finance weighs the payable against)."""

    ordered: Decimal
    received: Decimal
    percent: int
    value: Decimal


def progress(lines: Iterable[PurchaseOrderLine]) -> Progress:
    rows = list(lines)
    ordered = sum((line.quantity for line in rows), Decimal("0"))
    received = sum((line.received_quantity for line in rows), Decimal("0"))
    percent = int(received * 100 / ordered) if ordered else 0
    value = quantize_money(sum((line.received_quantity * line.unit_price for line in rows), Decimal("0")))
    return Progress(ordered, received, percent, value)


def incoming_quantities(
    product_ids: Iterable[int], warehouse_ids: Iterable[int] | None
) -> dict[tuple[int, int], Incoming]:
    """Ordered and approved, not yet received, per product × warehouse, with the earliest expected
    date of the orders still open for it (inventory's provider)."""
    lines = PurchaseOrderLine.objects.filter(
        order__status__in=OPEN_STATUSES, product_id__in=list(product_ids)
    )
    if warehouse_ids is not None:
        lines = lines.filter(order__warehouse_id__in=list(warehouse_ids))
    found: dict[tuple[int, int], Incoming] = {}
    for product_id, warehouse_id, quantity, received, expected in lines.values_list(
        "product_id", "order__warehouse_id", "quantity", "received_quantity", "order__expected_date"
    ):
        left = Decimal(quantity) - Decimal(received)
        if left > 0:
            key = (product_id, warehouse_id)
            coming = Incoming(left, expected)
            found[key] = found[key] + coming if key in found else coming
    return found


def orders(
    user: Any,
    *,
    search: str = "",
    status: str = "",
    supplier_id: int | None = None,
    to_receive: bool = False,
    ordering: str = "",
) -> QuerySet[PurchaseOrder]:
    """Purchase orders the user may see; `to_receive` keeps approved and partly received ones."""
    qs = scope.visible(user, PurchaseOrder.objects.select_related("supplier", "warehouse", "owner"))
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(supplier__name__icontains=search)
            | Q(supplier__pinyin__icontains=search)
            | Q(lines__product__code__icontains=search)
            | Q(lines__product__name__icontains=search)
        ).distinct()
    if status in Status.values:
        qs = qs.filter(status=status)
    if supplier_id is not None:
        qs = qs.filter(supplier_id=supplier_id)
    if to_receive:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.order_by(ORDER_ORDERINGS.get(ordering, "-created_at"), "-id")


def order(user: Any, pk: int) -> PurchaseOrder:
    found = (
        PurchaseOrder.objects.select_related("supplier", "warehouse", "owner", "department")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def order_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(order.lines.select_related("product", "quote").order_by("id"))


def receipts(user: Any, *, order: PurchaseOrder | None = None, search: str = "") -> QuerySet[GoodsReceipt]:
    qs = scope.visible(
        user, GoodsReceipt.objects.select_related("order", "order__supplier", "warehouse", "owner")
    )
    if order is not None:
        qs = qs.filter(order=order)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(order__number__icontains=search))
    return qs.order_by("-received_on", "-id")


def receipt(user: Any, pk: int) -> GoodsReceipt:
    found = (
        GoodsReceipt.objects.select_related("order", "order__supplier", "warehouse", "owner")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def returns(
    user: Any,
    *,
    order: PurchaseOrder | None = None,
    status: str = "",
    search: str = "",
    to_ship: bool = False,
) -> QuerySet[PurchaseReturn]:
    qs = scope.visible(user, PurchaseReturn.objects.select_related("order", "order__supplier", "owner"))
    if order is not None:
        qs = qs.filter(order=order)
    if status in Status.values:
        qs = qs.filter(status=status)
    if to_ship:
        qs = qs.filter(status=Status.APPROVED)
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(order__number__icontains=search)
            | Q(order__supplier__name__icontains=search)
        )
    return qs.order_by("-created_at", "-id")


def purchase_return(user: Any, pk: int) -> PurchaseReturn:
    found = PurchaseReturn.objects.select_related("order", "order__supplier", "owner").filter(pk=pk).first()
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def late_orders(user: Any, *, on: dt.date | None = None) -> QuerySet[PurchaseOrder]:
    """Open orders whose expected date has passed: what purchasing should chase."""
    return orders(user, to_receive=True).filter(expected_date__lt=on or timezone.localdate())


# What the order and return pages and the home queues show -----------------------------------------

ACTIVE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.IN_PROGRESS)


def payables_of(order: PurchaseOrder) -> QuerySet[Obligation]:
    """The payable(s) the order's approval opened (a reversed one stays, after 反审核)."""
    return Obligation.objects.filter(
        direction=Direction.PAYABLE, source_type=order.DOCUMENT_TYPE, source_id=order.pk
    ).order_by("-id")


def refunds_of(doc: PurchaseReturn) -> QuerySet[Obligation]:
    """The receivable from the supplier that shipping the return opened."""
    return Obligation.objects.filter(
        direction=Direction.RECEIVABLE, source_type=doc.DOCUMENT_TYPE, source_id=doc.pk
    ).order_by("-id")


def open_orders(user: Any) -> QuerySet[PurchaseOrder]:
    """Orders the user may see that are not finished yet (purchasing's queue), oldest expected first."""
    return orders(user).filter(status__in=ACTIVE_STATUSES).order_by("expected_date", "id")


def expiring_quotes(*, on: dt.date | None = None, within_days: int = 14) -> QuerySet[SupplierQuote]:
    """Active quotes that are valid now and end within `within_days` (purchasing asks for new ones)."""
    day = on or timezone.localdate()
    return (
        SupplierQuote.objects.select_related("supplier", "product")
        .filter(
            is_active=True,
            valid_from__lte=day,
            valid_until__gte=day,
            valid_until__lte=day + dt.timedelta(days=within_days),
        )
        .order_by("valid_until", "id")
    )


def received_lots(order: PurchaseOrder) -> dict[int, Lot]:
    """The lots the order's goods arrived in, by id (what a purchase return may name)."""
    ids = GoodsReceiptLine.objects.filter(order_line__order=order).values("lot_id")
    return Lot.objects.in_bulk(list(ids.values_list("lot_id", flat=True).distinct()))
