"""Reads of the stock ledger that pages, the API and reports share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from maoyi.catalog.models import Product
from maoyi.inventory import incoming as incoming_registry
from maoyi.inventory.models import (
    Lot,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockLevel,
    StockMove,
    Warehouse,
)

ZERO = Decimal("0")


@dataclass(frozen=True)
class Availability:
    warehouse_id: int | None
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    incoming: Decimal


def availability(
    product: Product, *, warehouse_id: int | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """On hand, reserved, available (unexpired on hand − reserved) and incoming per warehouse, with
    the total. Two queries whatever the number of warehouses."""
    today = today or timezone.localdate()
    warehouses = Warehouse.objects.filter(is_active=True)
    if warehouse_id is not None:
        warehouses = warehouses.filter(pk=warehouse_id)
    usable_filter = Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today)
    usable = dict(
        StockBalance.objects.filter(product=product)
        .filter(usable_filter)
        .values("warehouse_id")
        .annotate(total=Sum("on_hand"))
        .values_list("warehouse_id", "total")
    )
    levels = {lvl.warehouse_id: lvl for lvl in StockLevel.objects.filter(product=product)}
    coming = incoming_registry.incoming([product.pk], [w.pk for w in warehouses])
    rows = []
    for warehouse in warehouses:
        level = levels.get(warehouse.pk)
        on_hand = level.on_hand if level else ZERO
        reserved = level.reserved if level else ZERO
        rows.append(
            Availability(
                warehouse_id=warehouse.pk,
                warehouse=str(warehouse),
                on_hand=on_hand,
                reserved=reserved,
                available=max(usable.get(warehouse.pk, ZERO) - reserved, ZERO),
                incoming=coming.get((product.pk, warehouse.pk), ZERO),
            )
        )
    total = Availability(
        warehouse_id=None,
        warehouse="",
        on_hand=sum((r.on_hand for r in rows), ZERO),
        reserved=sum((r.reserved for r in rows), ZERO),
        available=sum((r.available for r in rows), ZERO),
        incoming=sum((r.incoming for r in rows), ZERO),
    )
    return {"product": product, "warehouses": rows, "total": total}


def balances(
    *,
    product: Product | None = None,
    warehouse: Warehouse | None = None,
    lot: Lot | None = None,
    search: str = "",
    include_empty: bool = False,
) -> QuerySet[StockBalance]:
    """Stock per product × warehouse × lot, with the product × warehouse average cost and value."""
    qs = StockBalance.objects.select_related("product", "warehouse", "lot")
    if not include_empty:
        qs = qs.filter(on_hand__gt=0)
    if product is not None:
        qs = qs.filter(product=product)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if lot is not None:
        qs = qs.filter(lot=lot)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
            | Q(product__pinyin__startswith=term.lower())
            | Q(lot__lot_number__icontains=term)
        )
    level = StockLevel.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=6)
    return qs.annotate(
        level_on_hand=Subquery(level.values("on_hand")[:1], output_field=money),
        level_value=Subquery(level.values("value")[:1], output_field=money),
        level_reserved=Subquery(level.values("reserved")[:1], output_field=money),
    ).order_by(
        "product__code", "warehouse__code", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
    )


def moves(
    *,
    product: Product | None = None,
    warehouse: Warehouse | None = None,
    lot: Lot | None = None,
    kind: str = "",
    source_number: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[StockMove]:
    qs = StockMove.objects.select_related("product", "warehouse", "lot", "created_by")
    if product is not None:
        qs = qs.filter(product=product)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if lot is not None:
        qs = qs.filter(lot=lot)
    if kind:
        qs = qs.filter(kind=kind)
    if source_number:
        qs = qs.filter(source_number__icontains=source_number.strip())
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def lots(
    *,
    expiring_within_days: int | None = None,
    expired: bool = False,
    today: dt.date | None = None,
    search: str = "",
) -> QuerySet[Lot]:
    """Lots with stock, with their on hand; optionally only those expiring within N days or expired."""
    today = today or timezone.localdate()
    qs = (
        Lot.objects.select_related("product")
        .annotate(
            on_hand=Coalesce(
                Sum("balances__on_hand"),
                Value(ZERO),
                output_field=DecimalField(max_digits=18, decimal_places=4),
            )
        )
        .filter(on_hand__gt=0)
    )
    if expired:
        qs = qs.filter(expiry_date__lt=today)
    elif expiring_within_days is not None:
        qs = qs.filter(
            expiry_date__gte=today, expiry_date__lte=today + dt.timedelta(days=expiring_within_days)
        )
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(lot_number__icontains=term)
            | Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
        )
    return qs.order_by(F("expiry_date").asc(nulls_last=True), "product__code", "lot_number")


def low_stock() -> QuerySet[Product]:
    """Active products whose total on hand is below their minimum stock."""
    on_hand = (
        StockLevel.objects.filter(product=OuterRef("pk"))
        .values("product")
        .annotate(total=Sum("on_hand"))
        .values("total")
    )
    return (
        Product.objects.filter(is_active=True, min_stock__gt=0)
        .annotate(
            on_hand=Coalesce(
                Subquery(on_hand, output_field=DecimalField(max_digits=18, decimal_places=4)), Value(ZERO)
            )
        )
        .filter(on_hand__lt=F("min_stock"))
        .order_by("code")
    )


def lot_trace(lot: Lot) -> QuerySet[StockMove]:
    """Every move of a lot, oldest first: where it came from and where it went (later: to whom)."""
    return (
        StockMove.objects.filter(lot=lot)
        .select_related("warehouse", "created_by")
        .order_by("created_at", "id")
    )


def open_reservations(*, product: Product | None = None) -> QuerySet[Reservation]:
    qs = Reservation.objects.filter(status=ReservationStatus.OPEN).select_related("product", "warehouse")
    return qs.filter(product=product) if product is not None else qs


def ledger_mismatches() -> list[str]:
    """The stock invariants, checked in SQL: every balance equals the sum of its moves, every level
    equals the sum of its balances and of its move values, and reserved equals the open
    reservations. Returns a description of every row that breaks one (empty when all hold)."""
    problems: list[str] = []
    sums = {
        (r["product_id"], r["warehouse_id"], r["lot_id"]): r["total"]
        for r in StockMove.objects.values("product_id", "warehouse_id", "lot_id").annotate(
            total=Sum("quantity")
        )
    }
    for b in StockBalance.objects.values("product_id", "warehouse_id", "lot_id", "on_hand"):
        key = (b["product_id"], b["warehouse_id"], b["lot_id"])
        if sums.pop(key, ZERO) != b["on_hand"]:
            problems.append(f"balance {key}: on hand {b['on_hand']} ≠ Σ moves")
    problems += [f"moves without a balance {key}: {total}" for key, total in sums.items() if total]
    move_totals = {
        (r["product_id"], r["warehouse_id"]): (r["quantity"], r["value"])
        for r in StockMove.objects.values("product_id", "warehouse_id").annotate(
            quantity=Sum("quantity"), value=Sum("value")
        )
    }
    held = {
        (r["product_id"], r["warehouse_id"]): r["total"]
        for r in Reservation.objects.filter(status=ReservationStatus.OPEN)
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
    }
    for level in StockLevel.objects.all():
        pair = (level.product_id, level.warehouse_id)
        quantity, value = move_totals.get(pair, (ZERO, ZERO))
        if level.on_hand != quantity or level.value != value:
            problems.append(f"level {pair}: {level.on_hand}/{level.value} ≠ Σ moves {quantity}/{value}")
        if level.reserved != held.get(pair, ZERO):
            problems.append(
                f"level {pair}: reserved {level.reserved} ≠ Σ open reservations {held.get(pair, ZERO)}"
            )
        if level.on_hand == 0 and level.value != 0:
            problems.append(f"level {pair}: value {level.value} without stock")
    return problems
