"""盘点: a stocktake snapshots the book quantity of every lot in stock in a warehouse at the moment
counting starts (`counted_at`); the counters enter what they find, and approval posts each
difference (counted − book then) as a gain or a loss. Because the difference is taken against the
book at counting time, the warehouse never stops: moves posted after `counted_at` stay as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.catalog.models import Category, Product
from maoyi.core.money import quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import Lot, StockBalance, StockMove, Stocktake, StocktakeLine, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.documents import (
    active_warehouse,
    in_scope,
    line_error,
    lines_change,
    lock_editable,
    mark_posted,
    new_document,
    perm,
    summarize,
    touch,
)
from maoyi.org.models import Employee

ZERO = Decimal("0")


@dataclass(frozen=True)
class StocktakeCount:
    """What the counters found of one lot: a lot of the snapshot (`lot_id`) or goods found that
    the book does not show (`lot_number`, empty for goods without lot tracking)."""

    product_id: int
    counted_quantity: Decimal
    lot_id: int | None = None
    lot_number: str = ""


def book_quantity_at(*, product_id: int, warehouse_id: int, lot_id: int, at: dt.datetime) -> Decimal:
    """The book quantity of a lot in a warehouse at a moment: the sum of its moves until then."""
    total = StockMove.objects.filter(
        product_id=product_id, warehouse_id=warehouse_id, lot_id=lot_id, created_at__lte=at
    ).aggregate(total=Sum("quantity"))["total"]
    return total or ZERO


def _line_text(line: StocktakeLine) -> str:
    lot = f" {line.lot.lot_number}" if line.lot.lot_number else ""
    book, counted = line.book_quantity.normalize(), line.counted_quantity.normalize()
    return f"{line.product.code}{lot} {book:f} → {counted:f}"


def _lines_text(doc: Stocktake) -> str:
    lines = doc.lines.select_related("product", "lot").order_by("product__code", "lot__lot_number")
    return summarize(_line_text(line) for line in lines)


@transaction.atomic
def start_stocktake(
    *, actor: Employee, warehouse: Warehouse, category: Category | None = None, note: str = ""
) -> Stocktake:
    """Start counting a warehouse (optionally one product category with its sub-categories): one
    line per lot with stock, book quantity as of now, counted quantity defaulting to the book."""
    require_permission(actor, perm(Stocktake, "add"))
    active_warehouse(warehouse)
    balances = StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0)
    if category is not None:
        balances = balances.filter(product__category__path__startswith=category.path)
    # Postings into these goods wait while the book is read, so `counted_at` divides the moves
    # cleanly into those the book includes and those that come after.
    ledger.lock_levels(
        (product_id, warehouse.pk) for product_id in balances.values_list("product_id", flat=True)
    )
    counted_at = timezone.now()
    rows = list(
        balances.select_related("product", "lot").order_by(
            "product__code", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
        )
    )
    if not note.strip() and category is not None:
        note = str(_("盘点范围：%(category)s") % {"category": category})
    doc = new_document(Stocktake, actor=actor, warehouse=warehouse, note=note.strip(), counted_at=counted_at)
    doc.save()
    StocktakeLine.objects.bulk_create(
        StocktakeLine(
            document=doc,
            product_id=row.product_id,
            lot_id=row.lot_id,
            book_quantity=row.on_hand,
            counted_quantity=row.on_hand,
        )
        for row in rows
    )
    audit.record_created(
        actor,
        doc,
        ("number", "status", "warehouse", "counted_at", "note"),
        also=lines_change(_lines_text(doc)),
    )
    return doc


def _lot_of(index: int, count: StocktakeCount, product: Product) -> Lot:
    if count.lot_id is not None:
        lot = Lot.objects.filter(pk=count.lot_id, product=product).first()
        if lot is None:
            raise line_error(index, "lot_number", _("批次不属于这个商品。"))
        return lot
    number = (count.lot_number or "").strip()
    if product.lot_tracked and not number:
        raise line_error(
            index, "lot_number", _("商品 %s 实行批次管理，请填写批号。") % product.code, code="lot_required"
        )
    # Goods found that the book never had: their lot is registered like a receipt would.
    return ledger.lot_for(product, number)


@transaction.atomic
def update_stocktake(
    doc: Stocktake, *, actor: Employee, counts: Sequence[StocktakeCount], note: str = ""
) -> Stocktake:
    """Enter the counted quantities. Lines of the snapshot keep their book quantity; a lot added
    now gets its book quantity as of `counted_at`; lots left out are not counted and are deleted."""
    require_permission(actor, perm(Stocktake, "change"))
    in_scope(actor, doc)
    doc = lock_editable(doc)
    existing = {line.lot_id: line for line in doc.lines.all()}
    products = Product.objects.in_bulk({c.product_id for c in counts})
    seen: dict[int, StocktakeCount] = {}
    lots: list[Lot] = []
    for index, count in enumerate(counts):
        product = products.get(count.product_id)
        if product is None:
            raise line_error(index, "product", _("请选择商品。"))
        if count.counted_quantity is None or count.counted_quantity < 0:
            raise line_error(index, "counted_quantity", _("实盘数量不能为负数。"))
        lot = _lot_of(index, count, product)
        if lot.pk not in existing and not product.is_active:
            raise line_error(index, "product", _("商品 %s 已停用。") % product.code)
        if lot.pk in seen:
            raise line_error(index, "lot_number", _("同一批次只能盘点一行。"))
        seen[lot.pk] = count
        lots.append(lot)
    before = {**audit.snapshot(doc, ("note",)), "lines": _lines_text(doc)}
    StocktakeLine.objects.filter(document=doc).exclude(lot_id__in=list(seen)).delete()
    for lot in lots:
        counted = quantize_quantity(seen[lot.pk].counted_quantity)
        line = existing.get(lot.pk)
        if line is not None:
            if line.counted_quantity != counted:
                StocktakeLine.objects.filter(pk=line.pk).update(counted_quantity=counted)
            continue
        book = book_quantity_at(
            product_id=lot.product_id, warehouse_id=doc.warehouse_id, lot_id=lot.pk, at=doc.counted_at
        )
        StocktakeLine.objects.create(
            document=doc, product_id=lot.product_id, lot=lot, book_quantity=book, counted_quantity=counted
        )
    doc.note = note.strip()
    touch(doc)
    doc.save(update_fields=["note", "updated_at"])
    after = {**audit.snapshot(doc, ("note",)), "lines": _lines_text(doc)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", doc, changes)
    return doc


@transaction.atomic
def approve_stocktake(doc: Stocktake, *, actor: Employee, comment: str = "") -> Stocktake:
    """审核通过 posts each difference against the book at counting time: a gain at the average
    cost, a loss from that lot; lots counted as booked post nothing."""
    approvals.approve(doc, actor=actor, comment=comment)
    lines = [
        line
        for line in doc.lines.select_related("lot").order_by("product_id", "lot_id")
        if line.counted_quantity != line.book_quantity
    ]
    ledger.lock_levels((line.product_id, doc.warehouse_id) for line in lines)
    for line in lines:
        ledger.adjust(
            product_id=line.product_id,
            warehouse_id=doc.warehouse_id,
            lot=line.lot,
            quantity=line.counted_quantity - line.book_quantity,
            source=doc.ref,
            actor=actor,
        )
    mark_posted(doc, actor=actor, moves=len(lines))
    return doc
