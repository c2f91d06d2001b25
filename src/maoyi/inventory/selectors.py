"""Reads of the stock ledger that pages, the API and reports share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import Category, Product
from maoyi.core.money import quantize_cost, quantize_money, quantize_quantity
from maoyi.inventory import incoming as incoming_registry
from maoyi.inventory.models import (
    Lot,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockDocument,
    StockLevel,
    StockMove,
    StockReversal,
    Transfer,
    Warehouse,
)
from maoyi.org import scope

ZERO = Decimal("0")
NEVER_EXPIRES = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Availability:
    warehouse_id: int | None
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    incoming: Decimal
    expected_date: dt.date | None = None  # when the earliest incoming goods are due


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
    coming = incoming_registry.incoming_with_dates([product.pk], [w.pk for w in warehouses])
    nothing = incoming_registry.Incoming(ZERO)
    rows = []
    for warehouse in warehouses:
        level = levels.get(warehouse.pk)
        on_hand = level.on_hand if level else ZERO
        reserved = level.reserved if level else ZERO
        arriving = coming.get((product.pk, warehouse.pk), nothing)
        rows.append(
            Availability(
                warehouse_id=warehouse.pk,
                warehouse=str(warehouse),
                on_hand=on_hand,
                reserved=reserved,
                available=max(usable.get(warehouse.pk, ZERO) - reserved, ZERO),
                incoming=arriving.quantity,
                expected_date=arriving.expected_date,
            )
        )
    dates = [r.expected_date for r in rows if r.expected_date is not None]
    total = Availability(
        warehouse_id=None,
        warehouse="",
        on_hand=sum((r.on_hand for r in rows), ZERO),
        reserved=sum((r.reserved for r in rows), ZERO),
        available=sum((r.available for r in rows), ZERO),
        incoming=sum((r.incoming for r in rows), ZERO),
        expected_date=min(dates) if dates else None,
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


def ledger_mismatches() -> list[str]:
    """The stock invariants, checked in SQL: every balance equals the sum of its moves, every level
    equals the sum of its balances and of its move values, and reserved equals the open
    reservations. Returns a description of every row that breaks one (empty when all hold).
    The sums are rounded to the fields' places: SQLite adds decimals in floating point."""
    problems: list[str] = []
    sums = {
        (r["product_id"], r["warehouse_id"], r["lot_id"]): quantize_quantity(r["total"])
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
        (r["product_id"], r["warehouse_id"]): (quantize_quantity(r["quantity"]), quantize_money(r["value"]))
        for r in StockMove.objects.values("product_id", "warehouse_id").annotate(
            quantity=Sum("quantity"), value=Sum("value")
        )
    }
    held = {
        (r["product_id"], r["warehouse_id"]): quantize_quantity(r["total"])
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


# Reads for the stock pages and the stock API ------------------------------------------------------


def unexpired(today: dt.date, prefix: str = "lot__") -> Q:
    """A lot is good through its expiry date; a lot without one never expires. Written as one
    comparison (no OR), so SQLite does not start from the expiry index and sort every row."""
    expiry = Coalesce(F(f"{prefix}expiry_date"), Value(NEVER_EXPIRES))
    return Q(GreaterThanOrEqual(expiry, Value(today)))


def search_products(search: str, *, active_only: bool = True) -> QuerySet[Product]:
    """The stock pages' product search: the catalog's (code, name, barcode, pinyin initials), by
    code, active products only unless asked."""
    return catalog_selectors.products(search=search, active=True if active_only else None)


def availability_totals(
    product_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, Availability]:
    """`availability(product)["total"]` for many products at once (a search result), in four
    queries: on hand, reserved and available summed over the active warehouses, plus incoming."""
    today = today or timezone.localdate()
    ids = list(product_ids)
    warehouse_ids = list(Warehouse.objects.filter(is_active=True).values_list("pk", flat=True))
    levels = {
        (lvl.product_id, lvl.warehouse_id): lvl
        for lvl in StockLevel.objects.filter(product_id__in=ids, warehouse_id__in=warehouse_ids)
    }
    usable = {
        (r["product_id"], r["warehouse_id"]): r["total"]
        for r in StockBalance.objects.filter(product_id__in=ids, warehouse_id__in=warehouse_ids)
        .filter(unexpired(today))
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("on_hand"))
    }
    coming = incoming_registry.incoming_with_dates(ids, warehouse_ids)
    nothing = incoming_registry.Incoming(ZERO)
    totals = {}
    for product_id in ids:
        on_hand = reserved = available = ZERO
        arriving = nothing
        for warehouse_id in warehouse_ids:
            level = levels.get((product_id, warehouse_id))
            held = level.reserved if level else ZERO
            on_hand += level.on_hand if level else ZERO
            reserved += held
            available += max(usable.get((product_id, warehouse_id), ZERO) - held, ZERO)
            arriving += coming.get((product_id, warehouse_id), nothing)
        totals[product_id] = Availability(
            warehouse_id=None,
            warehouse="",
            on_hand=on_hand,
            reserved=reserved,
            available=available,
            incoming=arriving.quantity,
            expected_date=arriving.expected_date,
        )
    return totals


_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=6)
# Named sort orders of the list pages: the fields, the first one the user's choice, the rest ties.
BALANCE_ORDERINGS: dict[str, tuple[str, ...]] = {
    "product": ("product__code", "warehouse__code", "lot__expiry_date", "lot__lot_number"),
    "warehouse": ("warehouse__code", "product__code", "lot__expiry_date", "lot__lot_number"),
    "lot": ("lot__lot_number", "product__code", "warehouse__code"),
    "expiry": ("lot__expiry_date", "product__code", "warehouse__code", "lot__lot_number"),
    "on_hand": ("on_hand", "product__code", "warehouse__code", "lot__lot_number"),
    "value": ("value_order", "product__code", "warehouse__code", "lot__lot_number"),
}


def _ordered(qs: QuerySet[Any], orderings: dict[str, tuple[str, ...]], ordering: str) -> QuerySet[Any]:
    """Sort by a named ordering, "-name" descending; empty values last either way. An unknown name
    keeps the queryset's own order."""
    key = ordering.lstrip("-")
    if key not in orderings:
        return qs
    descending = ordering.startswith("-")
    return qs.order_by(
        *(
            F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
            for name in orderings[key]
        )
    )


def balance_list(
    *,
    product: Product | None = None,
    warehouse: Warehouse | None = None,
    search: str = "",
    include_expired: bool = False,
    ordering: str = "",
    today: dt.date | None = None,
) -> QuerySet[StockBalance]:
    """The stock balances page: lots with stock, expired lots only when asked for, sortable by
    value (on hand × the product × warehouse average cost)."""
    today = today or timezone.localdate()
    qs = balances(product=product, warehouse=warehouse, search=search)
    if not include_expired:
        qs = qs.filter(unexpired(today))
    if ordering.lstrip("-") == "value":
        qs = qs.annotate(
            value_order=ExpressionWrapper(
                F("on_hand") * F("level_value") / NullIf(F("level_on_hand"), Value(ZERO)),
                output_field=_MONEY,
            )
        )
    return _ordered(qs, BALANCE_ORDERINGS, ordering)


@dataclass(frozen=True)
class ValuedBalance:
    """A lot's stock valued at the product × warehouse moving-average cost."""

    balance: StockBalance
    unit_cost: Decimal
    value: Decimal


def average_cost(level_value: Decimal | None, level_on_hand: Decimal | None) -> Decimal:
    """The moving-average unit cost of a product × warehouse (value / on hand), to 6 decimals."""
    if not level_on_hand:
        return ZERO
    return quantize_cost(Decimal(level_value or 0) / Decimal(level_on_hand))


def lot_value(on_hand: Decimal, level_value: Decimal | None, level_on_hand: Decimal | None) -> Decimal:
    """A lot's share of the product × warehouse stock value; the whole level takes exactly its value."""
    if not level_on_hand:
        return ZERO
    if on_hand == level_on_hand:
        return quantize_money(Decimal(level_value or 0))
    return quantize_money(on_hand * Decimal(level_value or 0) / Decimal(level_on_hand))


def valued(rows: Iterable[StockBalance]) -> list[ValuedBalance]:
    """Rows of `balances()` (which carry `level_value` and `level_on_hand`) with cost and value."""
    return [
        ValuedBalance(
            balance=row,
            unit_cost=average_cost(row.level_value, row.level_on_hand),  # type: ignore[attr-defined]
            value=lot_value(row.on_hand, row.level_value, row.level_on_hand),  # type: ignore[attr-defined]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class GroupTotal:
    """The rows of one product × warehouse among a filtered set of balances."""

    rows: int
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class BalanceTotals:
    groups: dict[tuple[int, int], GroupTotal]
    rows: int
    value: Decimal


def balance_totals(
    qs: QuerySet[StockBalance], *, pairs: Iterable[tuple[int, int]] | None = None
) -> BalanceTotals:
    """Totals of a filtered set of balances (all pages): the row count and total value in one
    aggregate query, and per product × warehouse the quantity and value of the groups in `pairs`
    (the page's rows; all groups when None). A level's lots together take exactly its value."""
    filtered = qs.order_by()
    total = filtered.aggregate(
        rows=Count("id"),
        value=Sum(
            ExpressionWrapper(
                F("on_hand") * F("level_value") / NullIf(F("level_on_hand"), Value(ZERO)), output_field=_MONEY
            )
        ),
    )
    grouped_qs = filtered
    if pairs is not None:
        wanted = set(pairs)
        if not wanted:
            return BalanceTotals(
                groups={}, rows=total["rows"] or 0, value=quantize_money(Decimal(total["value"] or 0))
            )
        condition = Q()
        for product_id, warehouse_id in wanted:
            condition |= Q(product_id=product_id, warehouse_id=warehouse_id)
        grouped_qs = filtered.filter(condition)
    groups = {}
    for g in grouped_qs.values("product_id", "warehouse_id").annotate(
        quantity=Sum("on_hand"),
        rows=Count("id"),
        level_value=Max("level_value"),
        level_on_hand=Max("level_on_hand"),
    ):
        quantity = quantize_quantity(Decimal(g["quantity"] or 0))
        groups[(g["product_id"], g["warehouse_id"])] = GroupTotal(
            rows=g["rows"], quantity=quantity, value=lot_value(quantity, g["level_value"], g["level_on_hand"])
        )
    return BalanceTotals(
        groups=groups, rows=total["rows"] or 0, value=quantize_money(Decimal(total["value"] or 0))
    )


def move_history(
    *,
    product: Product | None = None,
    product_search: str = "",
    warehouse: Warehouse | None = None,
    lot: Lot | None = None,
    lot_number: str = "",
    kind: str = "",
    source_number: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[StockMove]:
    """The stock move history page: `moves()` plus a product search (code, name, pinyin initials)
    and a lot number search, newest first, with the operator's employee record."""
    qs = moves(
        product=product,
        warehouse=warehouse,
        lot=lot,
        kind=kind,
        source_number=source_number,
        date_from=date_from,
        date_to=date_to,
    )
    if product_search.strip():
        qs = qs.filter(product__in=search_products(product_search, active_only=False).values("pk"))
    if lot_number.strip():
        qs = qs.filter(lot__lot_number__icontains=lot_number.strip())
    return qs.select_related("created_by__employee")


LOT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "expiry": ("expiry_date", "product__code", "lot_number"),
    "product": ("product__code", "expiry_date", "lot_number"),
    "lot": ("lot_number", "product__code"),
    "on_hand": ("on_hand", "product__code", "lot_number"),
}


def lot_list(
    *,
    state: str = "",
    within_days: int = 90,
    search: str = "",
    ordering: str = "",
    today: dt.date | None = None,
) -> QuerySet[Lot]:
    """The lots page: lots with stock; `state` "expiring" keeps those expiring within
    `within_days` (not yet expired), "expired" those past their expiry date."""
    today = today or timezone.localdate()
    qs = lots(
        expiring_within_days=within_days if state == "expiring" else None,
        expired=state == "expired",
        today=today,
        search=search,
    )
    return _ordered(qs, LOT_ORDERINGS, ordering)


def expiry_state(expiry_date: dt.date | None, *, today: dt.date, within_days: int) -> tuple[str, int | None]:
    """("expired" | "near" | "ok" | "none", days left) for highlighting a lot."""
    if expiry_date is None:
        return "none", None
    days = (expiry_date - today).days
    if days < 0:
        return "expired", days
    return ("near" if days <= within_days else "ok"), days


def low_stock_list() -> QuerySet[Product]:
    """`low_stock()` with the shortfall (minimum − on hand)."""
    return low_stock().annotate(
        shortfall=ExpressionWrapper(
            F("min_stock") - F("on_hand"), output_field=DecimalField(max_digits=18, decimal_places=4)
        )
    )


def incoming_totals(product_ids: Iterable[int]) -> dict[int, Decimal]:
    """Incoming quantity per product over all warehouses."""
    totals: dict[int, Decimal] = {}
    for (product_id, _warehouse_id), quantity in incoming_registry.incoming(list(product_ids)).items():
        totals[product_id] = totals.get(product_id, ZERO) + quantity
    return totals


@dataclass(frozen=True)
class TraceRow:
    """One move of a lot with what the lot had after it, in that warehouse and everywhere."""

    move: StockMove
    warehouse_after: Decimal
    total_after: Decimal


def lot_trace_rows(lot: Lot) -> list[TraceRow]:
    """`lot_trace(lot)` with the running quantity of the lot per warehouse and in total."""
    per_warehouse: dict[int, Decimal] = {}
    total = ZERO
    rows = []
    for move in lot_trace(lot).select_related("created_by__employee"):
        per_warehouse[move.warehouse_id] = per_warehouse.get(move.warehouse_id, ZERO) + move.quantity
        total += move.quantity
        rows.append(TraceRow(move=move, warehouse_after=per_warehouse[move.warehouse_id], total_after=total))
    return rows


def lot_stock(lot: Lot) -> QuerySet[StockBalance]:
    """Where a lot is now: its balances with stock, by warehouse."""
    return (
        StockBalance.objects.filter(lot=lot, on_hand__gt=0)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )


def stock_balances(*, search: str = "", today: dt.date | None = None) -> QuerySet[StockBalance]:
    """`balances()` for the API, with the product × warehouse unexpired on hand (`level_usable`),
    so available = level_usable − level_reserved without a query per row."""
    today = today or timezone.localdate()
    usable = (
        StockBalance.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
        .filter(unexpired(today))
        .values("product")
        .annotate(total=Sum("on_hand"))
        .values("total")
    )
    return balances(search=search).annotate(
        level_usable=Coalesce(Subquery(usable, output_field=_MONEY), Value(ZERO), output_field=_MONEY)
    )


def lot_detail(pk: int) -> Lot:
    """One lot with its product (raises Lot.DoesNotExist)."""
    return Lot.objects.select_related("product").get(pk=pk)


# Warehouses (company data, gated by `inventory.view_warehouse`) ------------------------------------

WAREHOUSE_ORDERINGS = {"code": "code", "name": "name"}


def warehouses(*, search: str = "", active: bool | None = None, ordering: str = "") -> QuerySet[Warehouse]:
    """Warehouses; search matches code, name and address."""
    qs = Warehouse.objects.select_related("keeper")
    term = search.strip()
    if term:
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(address__icontains=term))
    if active is not None:
        qs = qs.filter(is_active=active)
    field = WAREHOUSE_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "code")
    return qs.order_by("code")


def warehouse(pk: int) -> Warehouse:
    """One warehouse; raises Warehouse.DoesNotExist when there is none."""
    return Warehouse.objects.select_related("keeper").get(pk=pk)


def active_categories() -> QuerySet[Category]:
    return catalog_selectors.categories(active=True)


def lots_in_stock(
    *, warehouse_ids: list[int] | None = None, product_ids: Iterable[int] | None = None
) -> QuerySet[StockBalance]:
    """Product × warehouse × lot with stock, to pick a lot from (a transfer's or a shipment's
    lines), earliest expiry first."""
    qs = StockBalance.objects.filter(on_hand__gt=0).select_related("lot")
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=warehouse_ids)
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    return qs.order_by(
        "product_id", "warehouse_id", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
    )


# Stock documents: owned (owner, department), so every list and document goes through the scope ----

D = TypeVar("D", bound=StockDocument)

DOCUMENT_ORDERINGS = {
    "number": "number",
    "created_at": "created_at",
    "status": "status",
    "warehouse": "warehouse__code",
}


def stock_documents(
    user: Any,
    model: type[D],
    *,
    search: str = "",
    status: str = "",
    warehouse: Warehouse | None = None,
    ordering: str = "",
) -> QuerySet[D]:
    """The user's visible documents of one type, with their line count; search matches the number,
    the note and the products' codes and names."""
    qs = scope.visible(user, model._default_manager.all())
    term = search.strip()
    if term:
        matching_lines = Q(lines__product__code__icontains=term) | Q(lines__product__name__icontains=term)
        ids = model._default_manager.filter(
            Q(number__icontains=term) | Q(note__icontains=term) | matching_lines
        ).values("pk")
        qs = qs.filter(pk__in=ids)
    if status:
        qs = qs.filter(status=status)
    if warehouse is not None:
        condition = Q(warehouse=warehouse)
        if model is Transfer:
            condition |= Q(to_warehouse=warehouse)
        qs = qs.filter(condition)
    related = ["warehouse", "owner", "department"] + (["to_warehouse"] if model is Transfer else [])
    qs = qs.select_related(*related).annotate(line_count=Count("lines"))
    field = DOCUMENT_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "-id")
    return qs.order_by("-created_at", "-id")


def visible_stock_document(user: Any, model: type[D], pk: int) -> D:
    """One document in the user's scope; the model's DoesNotExist for "missing" and "not yours"."""
    related = ["warehouse", "owner", "department", "created_by"]
    if model is Transfer:
        related.append("to_warehouse")
    return scope.get_visible(user, model._default_manager.select_related(*related), pk=pk)


def document_moves(doc: StockDocument) -> QuerySet[StockMove]:
    """The moves a document posted, and the moves that reversed them, oldest first."""
    own = Q(source_type=doc.DOCUMENT_TYPE, source_id=doc.pk)
    return (
        StockMove.objects.filter(own | Q(reverses__source_type=doc.DOCUMENT_TYPE, reverses__source_id=doc.pk))
        .select_related("product", "warehouse", "lot", "created_by")
        .order_by("created_at", "id")
    )


def reversal_of(doc: StockDocument) -> StockReversal | None:
    return StockReversal.objects.filter(reverses_type=doc.DOCUMENT_TYPE, reverses_id=doc.pk).first()


def reversed_document(user: Any, reversal: StockReversal, models: dict[str, type[StockDocument]]) -> Any:
    """The document a reversal cancels, when the user may see it (else None)."""
    model = models.get(reversal.reverses_type)
    if model is None:
        return None
    return scope.visible(user, model._default_manager.filter(pk=reversal.reverses_id)).first()
