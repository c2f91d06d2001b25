"""期初库存: the goods a company has when it starts using Maoyi, with lots and cost. A draft is
edited freely; approval receives every line into its lot at its unit cost (moves of kind opening)
and marks the document done in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.core.money import quantize_cost, quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import Lot, MoveKind, OpeningStock, OpeningStockLine, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.documents import (
    active_products,
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

HEADER_FIELDS = ("warehouse", "note")


@dataclass(frozen=True)
class OpeningLineInput:
    product_id: int
    quantity: Decimal
    unit_cost: Decimal
    lot_number: str = ""
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None


def _clean_lines(lines: Sequence[OpeningLineInput]) -> list[OpeningLineInput]:
    """Check every line (quantity > 0, cost ≥ 0, a lot number for lot-tracked goods, expiry not
    before production, the same expiry as an existing lot) and return them normalised; products
    without lot tracking keep no lot number or dates."""
    products = active_products(line.product_id for line in lines)
    cleaned = []
    for index, line in enumerate(lines):
        product = products[line.product_id]
        if line.quantity is None or line.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零。"))
        if line.unit_cost is None or line.unit_cost < 0:
            raise line_error(index, "unit_cost", _("成本不能为负数。"))
        number = (line.lot_number or "").strip()
        production, expiry = line.production_date, line.expiry_date
        if not product.lot_tracked:
            number, production, expiry = "", None, None
        elif not number:
            raise line_error(
                index,
                "lot_number",
                _("商品 %s 实行批次管理，请填写批号。") % product.code,
                code="lot_required",
            )
        if production and expiry and expiry < production:
            raise line_error(index, "expiry_date", _("有效期不能早于生产日期。"))
        known = Lot.objects.filter(product=product, lot_number=number).first() if number else None
        if known and expiry and known.expiry_date and known.expiry_date != expiry:
            raise line_error(
                index,
                "expiry_date",
                _("批号 %(lot)s 已登记的有效期为 %(expiry)s，与本次填写的不一致。")
                % {"lot": number, "expiry": known.expiry_date.isoformat()},
            )
        cleaned.append(
            OpeningLineInput(
                product_id=product.pk,
                quantity=quantize_quantity(line.quantity),
                unit_cost=quantize_cost(line.unit_cost),
                lot_number=number,
                production_date=production,
                expiry_date=expiry,
            )
        )
    return cleaned


def _line_text(line: OpeningStockLine) -> str:
    lot = f" {line.lot_number}" if line.lot_number else ""
    return f"{line.product.code}{lot} × {line.quantity.normalize():f} @ {line.unit_cost.normalize():f}"


def _lines_text(doc: OpeningStock) -> str:
    return summarize(_line_text(line) for line in doc.lines.select_related("product").order_by("id"))


def _write_lines(doc: OpeningStock, lines: Sequence[OpeningLineInput]) -> None:
    doc.lines.all().delete()
    OpeningStockLine.objects.bulk_create(
        OpeningStockLine(
            document=doc,
            product_id=line.product_id,
            lot_number=line.lot_number,
            production_date=line.production_date,
            expiry_date=line.expiry_date,
            quantity=line.quantity,
            unit_cost=line.unit_cost,
        )
        for line in lines
    )


@transaction.atomic
def create_opening_stock(
    *, actor: Employee, warehouse: Warehouse, lines: Sequence[OpeningLineInput], note: str = ""
) -> OpeningStock:
    """A draft opening stock for one warehouse, owned by the actor."""
    require_permission(actor, perm(OpeningStock, "add"))
    active_warehouse(warehouse)
    cleaned = _clean_lines(lines)
    doc = new_document(OpeningStock, actor=actor, warehouse=warehouse, note=note.strip())
    doc.save()
    _write_lines(doc, cleaned)
    audit.record_created(
        actor, doc, ("number", "status", *HEADER_FIELDS), also=lines_change(_lines_text(doc))
    )
    return doc


@transaction.atomic
def update_opening_stock(
    doc: OpeningStock,
    *,
    actor: Employee,
    warehouse: Warehouse,
    lines: Sequence[OpeningLineInput],
    note: str = "",
) -> OpeningStock:
    """Change a draft (or rejected) opening stock: its warehouse, note and the whole set of lines;
    lines left out are deleted."""
    require_permission(actor, perm(OpeningStock, "change"))
    in_scope(actor, doc)
    doc = lock_editable(doc)
    active_warehouse(warehouse)
    cleaned = _clean_lines(lines)
    before = {**audit.snapshot(doc, HEADER_FIELDS), "lines": _lines_text(doc)}
    doc.warehouse, doc.note = warehouse, note.strip()
    touch(doc)
    doc.save(update_fields=["warehouse", "note", "updated_at"])
    _write_lines(doc, cleaned)
    after = {**audit.snapshot(doc, HEADER_FIELDS), "lines": _lines_text(doc)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", doc, changes)
    return doc


@transaction.atomic
def approve_opening_stock(doc: OpeningStock, *, actor: Employee, comment: str = "") -> OpeningStock:
    """审核通过 posts the opening stock: every line is received into its lot at its unit cost."""
    approvals.approve(doc, actor=actor, comment=comment)
    lines = list(doc.lines.order_by("id"))
    moves = ledger.receive(
        [
            ledger.Incoming(
                product_id=line.product_id,
                warehouse_id=doc.warehouse_id,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                lot_number=line.lot_number,
                production_date=line.production_date,
                expiry_date=line.expiry_date,
            )
            for line in lines
        ],
        source=doc.ref,
        actor=actor,
        kind=MoveKind.OPENING,
    )
    mark_posted(doc, actor=actor, moves=len(moves))
    return doc
