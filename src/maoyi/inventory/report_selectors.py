"""Stock reports (报表): 库存报表 (stock on hand and value per product × warehouse) and 收发存汇总
(opening, in, out and closing per product over a period). Stock is company data: no data scope; the
pages decide who sees values.

库存报表, per product × warehouse with stock (its `StockLevel`):
- on hand (现存量) and reserved (预留) as the level holds them; value (金额) the level's stock value
  (Σ of its move values, at the moving-average cost);
- available (可用) = unexpired on hand − reserved, never below 0: what an order may still take, as
  the availability lookup computes it (an expired lot is on hand but cannot be sold).

收发存汇总, per product, from the immutable `StockMove` rows (quantity and value are signed: + in,
− out), the period being the local dates of the moves (`created_at`):
- opening (期初) = Σ moves before the first day;
- in (收入) = Σ positive moves in the period; out (发出) = −Σ negative moves in the period (shown as
  a positive figure);
- closing (期末) = opening + in − out (= Σ moves up to the last day).
Every kind of move counts, each by its sign: a reversal of a receipt is an out, a sales return an
in, and with no warehouse chosen a transfer is both an out (from one warehouse) and an in (into the
other). Products with nothing in the period and nothing at its start are left out. Sums are
rounded to the fields' places (SQLite adds decimals in floating point)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from maoyi.catalog.models import Category, Product
from maoyi.core.money import quantize_money, quantize_quantity
from maoyi.inventory.models import StockBalance, StockLevel, StockMove
from maoyi.inventory.selectors import unexpired

ZERO = Decimal("0")
_NUMBER: DecimalField[Decimal, Decimal] = DecimalField(max_digits=24, decimal_places=6)


def product_filter(prefix: str, *, category_id: int | None, search: str) -> Q:
    """Products in the category (with its sub-categories) matching the search (code, name, pinyin
    initials), as a condition on rows whose product is at `prefix`."""
    condition = Q()
    if category_id is not None:
        path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
        if not path:
            return Q(pk__in=[])
        condition &= Q(**{f"{prefix}category__path__startswith": path})
    term = search.strip()
    if term:
        condition &= (
            Q(**{f"{prefix}code__icontains": term})
            | Q(**{f"{prefix}name__icontains": term})
            | Q(**{f"{prefix}pinyin__startswith": term.lower()})
        )
    return condition


# 库存报表 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    product_id: int | None
    product_code: str
    product_name: str
    unit: str
    warehouse_id: int | None
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal


@dataclass(frozen=True)
class StockReport:
    rows: list[StockRow]
    total: StockRow


def stock_levels(
    *,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    search: str = "",
) -> QuerySet[StockLevel]:
    """Product × warehouse levels with stock that the filters select, by product code, then
    warehouse code."""
    qs = StockLevel.objects.filter(on_hand__gt=0).filter(
        product_filter("product__", category_id=category_id, search=search)
    )
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs.select_related("product", "warehouse").order_by("product__code", "warehouse__code")


def _usable(levels: Iterable[StockLevel], today: dt.date) -> dict[tuple[int, int], Decimal]:
    """Unexpired on hand per (product, warehouse) of the given levels (one query)."""
    levels = list(levels)
    if not levels:
        return {}
    balances = StockBalance.objects.filter(
        product_id__in={lvl.product_id for lvl in levels},
        warehouse_id__in={lvl.warehouse_id for lvl in levels},
    ).filter(unexpired(today))
    return {
        (r["product_id"], r["warehouse_id"]): quantize_quantity(Decimal(r["total"] or 0))
        for r in balances.values("product_id", "warehouse_id").annotate(total=Sum("on_hand"))
    }


def stock_rows(levels: Iterable[StockLevel], *, today: dt.date | None = None) -> list[StockRow]:
    """库存报表 rows of the given levels (a page of `stock_levels`, or all of them for an export):
    one query for what is still usable, whatever the number of rows."""
    levels = list(levels)
    usable = _usable(levels, today or timezone.localdate())
    return [
        StockRow(
            product_id=lvl.product_id,
            product_code=lvl.product.code,
            product_name=lvl.product.name,
            unit=lvl.product.unit,
            warehouse_id=lvl.warehouse_id,
            warehouse=lvl.warehouse.name,
            on_hand=lvl.on_hand,
            reserved=lvl.reserved,
            available=max(usable.get((lvl.product_id, lvl.warehouse_id), ZERO) - lvl.reserved, ZERO),
            value=lvl.value,
        )
        for lvl in levels
    ]


def stock_total(levels: QuerySet[StockLevel], *, today: dt.date | None = None) -> StockRow:
    """The total row of every level `levels` selects, in one aggregate query (available summed per
    row, never below 0 on a row, as the rows show it)."""
    usable = (
        StockBalance.objects.filter(product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id"))
        .filter(unexpired(today or timezone.localdate()))
        .order_by()
        .values("product_id")
        .annotate(total=Sum("on_hand"))
        .values("total")
    )
    sums = (
        levels.select_related(None)
        .order_by()
        .annotate(usable=Coalesce(Subquery(usable, output_field=_NUMBER), Value(ZERO), output_field=_NUMBER))
        .aggregate(
            sum_on_hand=Sum("on_hand"),
            sum_reserved=Sum("reserved"),
            sum_available=Sum(Greatest(F("usable") - F("reserved"), Value(ZERO), output_field=_NUMBER)),
            sum_value=Sum("value"),
        )
    )
    return StockRow(
        product_id=None,
        product_code="",
        product_name="",
        unit="",
        warehouse_id=None,
        warehouse="",
        on_hand=quantize_quantity(Decimal(sums["sum_on_hand"] or 0)),
        reserved=quantize_quantity(Decimal(sums["sum_reserved"] or 0)),
        available=quantize_quantity(Decimal(sums["sum_available"] or 0)),
        value=quantize_money(Decimal(sums["sum_value"] or 0)),
    )


def stock_on_hand(
    *,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    search: str = "",
    today: dt.date | None = None,
) -> StockReport:
    """库存报表: every row and the total (three queries; the page shows a page of `stock_levels`
    through `stock_rows`, with `stock_total`)."""
    today = today or timezone.localdate()
    levels = stock_levels(warehouse_id=warehouse_id, category_id=category_id, search=search)
    return StockReport(rows=stock_rows(levels, today=today), total=stock_total(levels, today=today))


# 收发存汇总 --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    quantity: Decimal = ZERO
    value: Decimal = ZERO

    def __add__(self, other: Flow) -> Flow:
        return Flow(self.quantity + other.quantity, self.value + other.value)

    def __sub__(self, other: Flow) -> Flow:
        return Flow(self.quantity - other.quantity, self.value - other.value)


@dataclass(frozen=True)
class MovementRow:
    product_id: int | None
    product_code: str
    product_name: str
    unit: str
    opening: Flow
    incoming: Flow
    outgoing: Flow

    @property
    def closing(self) -> Flow:
        return self.opening + self.incoming - self.outgoing


@dataclass(frozen=True)
class MovementReport:
    rows: list[MovementRow]
    total: MovementRow


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _sum(name: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(name, filter=condition), Value(ZERO), output_field=_NUMBER)


def stock_movement(
    *,
    date_from: dt.date,
    date_to: dt.date,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    search: str = "",
) -> MovementReport:
    """收发存汇总 per product over [date_from, date_to] (local dates), by product code, in one
    aggregate query, with the total of the rows."""
    start, end = _day_start(date_from), _day_start(date_to + dt.timedelta(days=1))
    moves = StockMove.objects.filter(created_at__lt=end).filter(
        product_filter("product__", category_id=category_id, search=search)
    )
    if warehouse_id is not None:
        moves = moves.filter(warehouse_id=warehouse_id)
    before = Q(created_at__lt=start)
    coming = Q(created_at__gte=start, quantity__gt=0)
    going = Q(created_at__gte=start, quantity__lt=0)
    grouped = (
        moves.values("product_id")
        .annotate(
            opening_quantity=_sum("quantity", before),
            opening_value=_sum("value", before),
            in_quantity=_sum("quantity", coming),
            in_value=_sum("value", coming),
            out_quantity=_sum("quantity", going),
            out_value=_sum("value", going),
        )
        .order_by("product_id")
    )
    figures = {}
    for g in grouped:
        figures[g["product_id"]] = (
            Flow(
                quantize_quantity(Decimal(g["opening_quantity"])), quantize_money(Decimal(g["opening_value"]))
            ),
            Flow(quantize_quantity(Decimal(g["in_quantity"])), quantize_money(Decimal(g["in_value"]))),
            Flow(-quantize_quantity(Decimal(g["out_quantity"])), -quantize_money(Decimal(g["out_value"]))),
        )
    products = Product.objects.filter(pk__in=list(figures)).order_by("code")
    rows = []
    for product in products:
        opening, incoming, outgoing = figures[product.pk]
        if not (opening.quantity or opening.value or incoming.quantity or outgoing.quantity):
            continue
        rows.append(
            MovementRow(
                product_id=product.pk,
                product_code=product.code,
                product_name=product.name,
                unit=product.unit,
                opening=opening,
                incoming=incoming,
                outgoing=outgoing,
            )
        )
    total = MovementRow(
        product_id=None,
        product_code="",
        product_name="",
        unit="",
        opening=sum((r.opening for r in rows), Flow()),
        incoming=sum((r.incoming for r in rows), Flow()),
        outgoing=sum((r.outgoing for r in rows), Flow()),
    )
    return MovementReport(rows=rows, total=total)
