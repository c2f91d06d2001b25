"""红冲: a posted stock document is never edited or deleted; it is cancelled by a reversal, a
document of its own (prefix HC) that posts the opposite of every move at the original cost. A
reversal needs no approval but is audited and needs a reason; the original becomes 已红冲 and can
be reversed only once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from maoyi.audit import services as audit
from maoyi.core.documents import Status, transition
from maoyi.core.errors import ReasonRequired
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import OpeningStock, StockMove, StockReversal, Stocktake, Transfer
from maoyi.inventory.services import ledger
from maoyi.inventory.services.documents import (
    in_scope,
    lines_change,
    new_document,
    perm,
    summarize,
)
from maoyi.org.models import Employee

MAX_REASON = 500


def _move_text(move: StockMove) -> str:
    lot = f" {move.lot.lot_number}" if move.lot.lot_number else ""
    return f"{move.product.code}{lot} @{move.warehouse.code} {move.quantity.normalize():+f}"


@transaction.atomic
def reverse_document(
    doc: OpeningStock | Stocktake | Transfer, *, actor: Employee, reason: str
) -> StockReversal:
    """Reverse a posted stock document at once. Refused with `insufficient_stock` when goods it
    brought in have gone out since, and with `invalid_state` when it is not posted or already
    reversed; a refusal changes nothing."""
    require_permission(actor, perm(StockReversal, "add"))
    in_scope(actor, doc)
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise ReasonRequired(field="reason")
    old = transition(doc, "reverse")  # done → reversed; the row stays locked until we commit
    reversal = new_document(
        StockReversal,
        actor=actor,
        warehouse_id=doc.warehouse_id,
        status=Status.DONE,
        posted_at=timezone.now(),
        reverses_type=doc.DOCUMENT_TYPE,
        reverses_id=doc.pk,
        reverses_number=doc.number,
        reason=reason,
    )
    reversal.save()
    moves = ledger.reverse(doc.ref, reversal=reversal.ref, actor=actor)
    audit.record_created(
        actor,
        reversal,
        ("number", "status", "warehouse", "reverses_number", "reason"),
        also=lines_change(summarize(_move_text(move) for move in moves)),
    )
    audit.record_status_change(
        actor, "reverse", doc, old, note=reason, also={"reversal": [None, reversal.number]}
    )
    return reversal
