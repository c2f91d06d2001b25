"""调拨: goods move from one warehouse to another with their lots and their cost. Approval posts
the transfer (out of the source at its moving-average cost, into the destination in the same lots
with the same value) and marks the document done in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import Lot, Transfer, TransferLine, Warehouse
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

HEADER_FIELDS = ("warehouse", "to_warehouse", "note")


@dataclass(frozen=True)
class TransferLineInput:
    """A quantity of a product to move, from a named lot or first-expiry-first-out (`lot_id` None)."""

    product_id: int
    quantity: Decimal
    lot_id: int | None = None


def _check_header(warehouse: Warehouse | None, to_warehouse: Warehouse | None) -> None:
    active_warehouse(warehouse)
    active_warehouse(to_warehouse, "to_warehouse")
    if warehouse == to_warehouse:
        raise DomainError(_("调出和调入不能是同一个仓库。"), code="invalid", field="to_warehouse")


def _clean_lines(lines: Sequence[TransferLineInput]) -> list[TransferLineInput]:
    products = active_products(line.product_id for line in lines)
    lots = Lot.objects.in_bulk({line.lot_id for line in lines if line.lot_id is not None})
    cleaned = []
    for index, line in enumerate(lines):
        if line.quantity is None or line.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零。"))
        if line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or lot.product_id != products[line.product_id].pk:
                raise line_error(index, "lot", _("批次不属于这个商品。"))
        cleaned.append(
            TransferLineInput(
                product_id=line.product_id, quantity=quantize_quantity(line.quantity), lot_id=line.lot_id
            )
        )
    return cleaned


def _line_text(line: TransferLine) -> str:
    lot = f" {line.lot.lot_number}" if line.lot and line.lot.lot_number else ""
    return f"{line.product.code}{lot} × {line.quantity.normalize():f}"


def _lines_text(doc: Transfer) -> str:
    return summarize(_line_text(line) for line in doc.lines.select_related("product", "lot").order_by("id"))


def _write_lines(doc: Transfer, lines: Sequence[TransferLineInput]) -> None:
    doc.lines.all().delete()
    TransferLine.objects.bulk_create(
        TransferLine(document=doc, product_id=line.product_id, lot_id=line.lot_id, quantity=line.quantity)
        for line in lines
    )


@transaction.atomic
def create_transfer(
    *,
    actor: Employee,
    warehouse: Warehouse,
    to_warehouse: Warehouse,
    lines: Sequence[TransferLineInput],
    note: str = "",
) -> Transfer:
    """A draft transfer from `warehouse` to `to_warehouse`, owned by the actor."""
    require_permission(actor, perm(Transfer, "add"))
    _check_header(warehouse, to_warehouse)
    cleaned = _clean_lines(lines)
    doc = new_document(
        Transfer, actor=actor, warehouse=warehouse, to_warehouse=to_warehouse, note=note.strip()
    )
    doc.save()
    _write_lines(doc, cleaned)
    audit.record_created(
        actor, doc, ("number", "status", *HEADER_FIELDS), also=lines_change(_lines_text(doc))
    )
    return doc


@transaction.atomic
def update_transfer(
    doc: Transfer,
    *,
    actor: Employee,
    warehouse: Warehouse,
    to_warehouse: Warehouse,
    lines: Sequence[TransferLineInput],
    note: str = "",
) -> Transfer:
    """Change a draft (or rejected) transfer: warehouses, note and the whole set of lines; lines
    left out are deleted."""
    require_permission(actor, perm(Transfer, "change"))
    in_scope(actor, doc)
    doc = lock_editable(doc)
    _check_header(warehouse, to_warehouse)
    cleaned = _clean_lines(lines)
    before = {**audit.snapshot(doc, HEADER_FIELDS), "lines": _lines_text(doc)}
    doc.warehouse, doc.to_warehouse, doc.note = warehouse, to_warehouse, note.strip()
    touch(doc)
    doc.save(update_fields=["warehouse", "to_warehouse", "note", "updated_at"])
    _write_lines(doc, cleaned)
    after = {**audit.snapshot(doc, HEADER_FIELDS), "lines": _lines_text(doc)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", doc, changes)
    return doc


@transaction.atomic
def approve_transfer(doc: Transfer, *, actor: Employee, comment: str = "") -> Transfer:
    """审核通过 posts the transfer; refused with `insufficient_stock` when the source warehouse no
    longer has the goods free of reservations."""
    approvals.approve(doc, actor=actor, comment=comment)
    lines = list(doc.lines.order_by("id"))
    moves = ledger.transfer(
        [
            ledger.Outgoing(
                product_id=line.product_id,
                warehouse_id=doc.warehouse_id,
                quantity=line.quantity,
                lot_id=line.lot_id,
            )
            for line in lines
        ],
        to_warehouse_id=doc.to_warehouse_id,
        source=doc.ref,
        actor=actor,
    )
    mark_posted(doc, actor=actor, moves=len(moves))
    return doc
