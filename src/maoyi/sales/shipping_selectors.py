"""Reads of shipments (发货单) and sales returns (销售退货单), scoped to the user through the order
they belong to; what is still returnable per shipment line; the lot trace to customers (which
customers received a lot); and logistics' list of orders to ship."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.finance.models import Direction, Obligation
from maoyi.inventory.models import Lot
from maoyi.org import scope
from maoyi.sales import selectors as order_selectors
from maoyi.sales.models import (
    SalesOrder,
    SalesReturn,
    SalesReturnLine,
    Shipment,
    ShipmentLine,
)

ZERO = Decimal("0")
OPEN_STATUSES = (Status.APPROVED, Status.IN_PROGRESS)
# Returns whose quantities are spoken for until they are received (drafts are not).
PENDING_RETURN_STATUSES = (Status.SUBMITTED, Status.APPROVED)


# Logistics' queue -----------------------------------------------------------------------------------


def to_ship(
    user: Any, *, due_by: dt.date | None = None, warehouse_id: int | None = None, search: str = ""
) -> QuerySet[SalesOrder]:
    """Logistics' list: approved and partly shipped orders with something still open, the oldest
    requested delivery date first (orders without one last), then the oldest order. `due_by` keeps
    those whose delivery date is on or before that day (or not set): what to ship today; `search`
    is the order list's. Each row carries `open_lines`, the number of its lines not yet fully
    shipped."""
    qs = order_selectors.orders(user, search=search).filter(status__in=OPEN_STATUSES)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if due_by is not None:
        qs = qs.filter(Q(delivery_date__lte=due_by) | Q(delivery_date__isnull=True))
    return (
        qs.annotate(open_lines=Count("lines", filter=Q(lines__shipped_quantity__lt=F("lines__quantity"))))
        .filter(open_lines__gt=0)
        .order_by(F("delivery_date").asc(nulls_last=True), "order_date", "id")
    )


def to_ship_today(user: Any, *, on: dt.date | None = None) -> QuerySet[SalesOrder]:
    """What logistics' home shows: open orders due today or earlier, or without a date."""
    return to_ship(user, due_by=on or timezone.localdate())


# Shipments ------------------------------------------------------------------------------------------


def shipments(
    user: Any,
    *,
    order: SalesOrder | None = None,
    search: str = "",
    status: str = "",
    customer_id: int | None = None,
    shipped_from: dt.date | None = None,
    shipped_to: dt.date | None = None,
) -> QuerySet[Shipment]:
    """Shipments of the orders the user may see, newest first; search on the shipment's or the
    order's number, the customer's name and pinyin initials and the tracking number."""
    qs = scope.visible(
        user,
        Shipment.objects.select_related("order", "order__customer", "order__owner", "warehouse", "owner"),
    )
    if order is not None:
        qs = qs.filter(order=order)
    if status in Status.values:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(order__customer_id=customer_id)
    if shipped_from is not None:
        qs = qs.filter(shipped_on__gte=shipped_from)
    if shipped_to is not None:
        qs = qs.filter(shipped_on__lte=shipped_to)
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(order__number__icontains=search)
            | Q(order__customer__name__icontains=search)
            | Q(order__customer__pinyin__contains=search.lower())
            | Q(tracking_number__icontains=search)
        )
    return qs.order_by("-shipped_on", "-id")


def shipment(user: Any, pk: int) -> Shipment:
    """One shipment the user may see (through its order); `not_found` for missing and out of scope."""
    found = (
        Shipment.objects.select_related("order", "order__customer", "order__owner", "warehouse", "owner")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def shipment_lines(doc: Shipment) -> QuerySet[ShipmentLine]:
    """A shipment's lines (one per lot taken) with product, lot and the order line's price: what the
    delivery note prints."""
    return doc.lines.select_related("order_line", "order_line__product", "lot").order_by("id")


def in_transit(user: Any) -> QuerySet[Shipment]:
    """Shipments not yet signed for, the oldest first: what logistics follows up."""
    return shipments(user, status=Status.IN_PROGRESS).order_by("shipped_on", "id")


# Sales returns --------------------------------------------------------------------------------------


def returnable(order: SalesOrder, *, exclude: SalesReturn | None = None) -> dict[int, Decimal]:
    """Per shipment line of the order: shipped less what was returned (received returns) less what
    other submitted or approved returns already claim (`exclude` leaves one return out: the one
    being edited or submitted)."""
    left = {
        row.pk: row.quantity - row.returned_quantity
        for row in ShipmentLine.objects.filter(shipment__order=order).only("quantity", "returned_quantity")
    }
    pending = SalesReturnLine.objects.filter(
        sales_return__order=order, sales_return__status__in=PENDING_RETURN_STATUSES
    )
    if exclude is not None:
        pending = pending.exclude(sales_return=exclude)
    for shipment_line_id, quantity in pending.values_list("shipment_line_id", "quantity"):
        left[shipment_line_id] = left.get(shipment_line_id, ZERO) - quantity
    return left


@dataclass(frozen=True)
class ReturnableLine:
    """A shipment line of an order with what may still be returned from it (what the return form
    lists)."""

    line: ShipmentLine
    returnable: Decimal


def returnable_lines(order: SalesOrder, *, exclude: SalesReturn | None = None) -> list[ReturnableLine]:
    left = returnable(order, exclude=exclude)
    rows = (
        ShipmentLine.objects.filter(shipment__order=order)
        .select_related("shipment", "order_line", "order_line__product", "lot")
        .order_by("shipment__shipped_on", "shipment_id", "id")
    )
    return [ReturnableLine(row, max(left.get(row.pk, ZERO), ZERO)) for row in rows]


def returns(
    user: Any,
    *,
    order: SalesOrder | None = None,
    status: str = "",
    search: str = "",
    customer_id: int | None = None,
    to_receive: bool = False,
) -> QuerySet[SalesReturn]:
    """Sales returns the user may see, newest first; `to_receive` keeps the approved ones
    (logistics' queue)."""
    qs = scope.visible(
        user, SalesReturn.objects.select_related("order", "order__customer", "warehouse", "owner")
    )
    if order is not None:
        qs = qs.filter(order=order)
    if status in Status.values:
        qs = qs.filter(status=status)
    if to_receive:
        qs = qs.filter(status=Status.APPROVED)
    if customer_id is not None:
        qs = qs.filter(order__customer_id=customer_id)
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(order__number__icontains=search)
            | Q(order__customer__name__icontains=search)
        )
    return qs.order_by("-created_at", "-id")


def sales_return(user: Any, pk: int) -> SalesReturn:
    found = (
        SalesReturn.objects.select_related("order", "order__customer", "warehouse", "owner", "department")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def return_lines(doc: SalesReturn) -> QuerySet[SalesReturnLine]:
    return doc.lines.select_related(
        "shipment_line",
        "shipment_line__shipment",
        "shipment_line__lot",
        "shipment_line__order_line",
        "shipment_line__order_line__product",
    ).order_by("id")


def refunds_of(doc: SalesReturn) -> QuerySet[Obligation]:
    """The payable to the customer that receiving the return opened."""
    return Obligation.objects.filter(
        direction=Direction.PAYABLE, source_type=doc.DOCUMENT_TYPE, source_id=doc.pk
    ).order_by("-id")


# Lot trace to customers -----------------------------------------------------------------------------


def lot_shipments(user: Any, lot: Lot) -> QuerySet[ShipmentLine]:
    """Every shipment line that took goods of the lot, with its shipment, order and customer,
    oldest first; only shipments of orders the user may see."""
    visible_shipments = scope.visible(user, Shipment.objects.all())
    return (
        ShipmentLine.objects.filter(lot=lot, shipment__in=visible_shipments)
        .select_related(
            "shipment",
            "shipment__order",
            "shipment__order__customer",
            "shipment__order__owner",
            "order_line__product",
        )
        .order_by("shipment__shipped_on", "shipment_id", "id")
    )


@dataclass(frozen=True)
class LotCustomer:
    """A customer who received goods of a lot: how much was shipped to them, how much came back,
    and the shipments (numbers) it went out on."""

    customer_id: int
    customer: str
    shipped: Decimal
    returned: Decimal
    shipments: tuple[str, ...]
    first_shipped_on: dt.date
    last_shipped_on: dt.date

    @property
    def kept(self) -> Decimal:
        return self.shipped - self.returned


def lot_customers(user: Any, lot: Lot) -> list[LotCustomer]:
    """Which customers received the lot (a recall's list): one row per customer, the earliest
    shipment first. Built from `lot_shipments`, so it shows only what the user may see."""
    grouped: dict[int, dict[str, Any]] = {}
    for row in lot_shipments(user, lot):
        order = row.shipment.order
        entry = grouped.setdefault(
            order.customer_id,
            {
                "customer": order.customer.name,
                "shipped": ZERO,
                "returned": ZERO,
                "shipments": [],
                "first": row.shipment.shipped_on,
                "last": row.shipment.shipped_on,
            },
        )
        entry["shipped"] += row.quantity
        entry["returned"] += row.returned_quantity
        if row.shipment.number not in entry["shipments"]:
            entry["shipments"].append(row.shipment.number)
        entry["last"] = max(entry["last"], row.shipment.shipped_on)
    return [
        LotCustomer(
            customer_id=customer_id,
            customer=entry["customer"],
            shipped=entry["shipped"],
            returned=entry["returned"],
            shipments=tuple(entry["shipments"]),
            first_shipped_on=entry["first"],
            last_shipped_on=entry["last"],
        )
        for customer_id, entry in grouped.items()
    ]


def shipment_customers(user: Any, shipment_ids: list[int]) -> dict[int, str]:
    """The customer's name per shipment id, for the shipments the user may see: the stock lot trace
    (whose moves name their source document) shows to whom each issue went."""
    return dict(
        scope.visible(user, Shipment.objects.filter(pk__in=shipment_ids)).values_list(
            "pk", "order__customer__name"
        )
    )
