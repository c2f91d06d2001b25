"""采购退货: received goods going back to the supplier. A purchaser writes the return against the
order's received lots; a manager approves it; logistics ships it, which takes the goods out of
the named lots (the lot must still be in stock) and opens a receivable from the supplier for the
refund, in the order's currency. Returning more than was received (less what earlier returns took)
is refused (`over_return`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.core.documents import Status, transition
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope, line_error
from maoyi.core.permissions import require_permission
from maoyi.finance import services as finance
from maoyi.finance.models import Direction
from maoyi.inventory.models import Lot, MoveKind
from maoyi.inventory.services import ledger
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.purchasing.models import (
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from maoyi.purchasing.parties import as_party

ZERO = Decimal("0")
REFUND_DAYS = 30  # the supplier is asked to pay the refund within a month


@dataclass(frozen=True)
class ReturnLineInput:
    """A line to return: the order line, the lot (by id, or by `lot_number` among the product's
    lots; goods without lot tracking come from their one unnumbered lot), and the quantity."""

    line_id: int
    lot_id: int | None
    quantity: Decimal
    lot_number: str = ""


def _lot_of(index: int, line: PurchaseOrderLine, item: ReturnLineInput) -> int:
    """The lot id of a line: given, or found by its number (`lot_required` when a lot-tracked
    product names none)."""
    if item.lot_id:
        return item.lot_id
    number = (item.lot_number or "").strip()
    if not number and line.product.lot_tracked:
        raise line_error(
            index,
            "lot_number",
            _("商品 %s 实行批次管理，请填写批号。") % line.product.code,
            code="lot_required",
        )
    lot = Lot.objects.filter(product_id=line.product_id, lot_number=number).first()
    if lot is None and not number:
        return 0  # nothing of it was ever received: refused below as not received from this lot
    if lot is None:
        raise DomainError(
            _("批号 %(lot)s 不存在。"), code="invalid", field=f"lines.{index}.lot_number", lot=number
        )
    return lot.pk


def _in_scope(actor: Employee, doc: PurchaseReturn | PurchaseOrder) -> None:
    if not scope.can_view(actor.user, doc):
        raise NotFoundInScope()


def returnable(
    order: PurchaseOrder, *, exclude: PurchaseReturn | None = None
) -> dict[tuple[int, int], Decimal]:
    """Per (order line, lot): what was received less what shipped or pending returns take."""
    received = (
        GoodsReceiptLine.objects.filter(order_line__order=order)
        .values("order_line_id", "lot_id")
        .annotate(q=Sum("quantity"))
    )
    left = {(r["order_line_id"], r["lot_id"]): Decimal(r["q"]) for r in received}
    pending = PurchaseReturnLine.objects.filter(document__order=order).exclude(
        document__status__in=(Status.CANCELLED, Status.REVERSED)
    )
    if exclude is not None:
        pending = pending.exclude(document=exclude)
    for row in pending.values("order_line_id", "lot_id").annotate(q=Sum("quantity")):
        key = (row["order_line_id"], row["lot_id"])
        left[key] = left.get(key, ZERO) - Decimal(row["q"])
    return left


def _clean(
    order: PurchaseOrder, lines: Sequence[ReturnLineInput], *, exclude: PurchaseReturn | None = None
) -> list[ReturnLineInput]:
    wanted = [line for line in lines if line.quantity]
    if not wanted:
        raise DomainError(_("请至少填写一行退货数量。"), code="invalid", field="lines")
    order_lines = PurchaseOrderLine.objects.select_related("product").in_bulk(
        {line.line_id for line in wanted}
    )
    left = returnable(order, exclude=exclude)
    asked: dict[tuple[int, int], Decimal] = {}
    cleaned = []
    for index, item in enumerate(wanted):
        line = order_lines.get(item.line_id)
        if line is None or line.order_id != order.pk:
            raise line_error(index, "line", _("不是这张订单的明细。"))
        lot_id = _lot_of(index, line, item)
        if not isinstance(item.quantity, Decimal) or item.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零。"))
        cleaned.append(ReturnLineInput(line.pk, lot_id, item.quantity))
        key = (line.pk, lot_id)
        if key not in left:
            raise line_error(
                index, "lot", _("%s 没有从这个批次入库。") % line.product.code, code="over_return"
            )
        asked[key] = asked.get(key, ZERO) + item.quantity
        if asked[key] > left[key]:
            raise line_error(
                index,
                "quantity",
                _("%(product)s 该批次可退 %(left)s，本次退货 %(quantity)s。")
                % {
                    "product": line.product.code,
                    "left": f"{max(left[key], ZERO).normalize():f}",
                    "quantity": f"{asked[key].normalize():f}",
                },
                code="over_return",
            )
    return cleaned


def _write(doc: PurchaseReturn, lines: Sequence[ReturnLineInput]) -> None:
    """Replace the lines with `lines` as `_clean` returned them (every lot resolved)."""
    doc.lines.all().delete()
    PurchaseReturnLine.objects.bulk_create(
        PurchaseReturnLine(
            document=doc, order_line_id=i.line_id, lot_id=cast(int, i.lot_id), quantity=i.quantity
        )
        for i in lines
    )


def _lines_text(doc: PurchaseReturn) -> str:
    return "；".join(
        f"{line.order_line.product.code} {line.lot.lot_number} × {line.quantity.normalize():f}".replace(
            "  ", " "
        )
        for line in doc.lines.select_related("order_line__product", "lot").order_by("id")
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写退货原因。"), code="reason_required", field="reason")
    return reason


@transaction.atomic
def create_return(
    *, actor: Employee, order: PurchaseOrder, lines: Sequence[ReturnLineInput], reason: str
) -> PurchaseReturn:
    require_permission(actor, "purchasing.add_purchasereturn")
    _in_scope(actor, order)
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status not in (Status.IN_PROGRESS, Status.DONE):
        raise InvalidState(_("采购订单 %(number)s 还没有入库，不能退货。"), number=locked.number)
    reason = _reason(reason)
    cleaned = _clean(locked, lines)
    doc = PurchaseReturn(
        owner=actor, department=actor.department, created_by=actor.user, order=locked, reason=reason
    )
    approvals.assign_number(doc)
    doc.save()
    _write(doc, cleaned)
    audit.record_created(
        actor, doc, ("number", "status", "order", "reason"), also={"lines": [None, _lines_text(doc)]}
    )
    return doc


@transaction.atomic
def update_return(
    doc: PurchaseReturn, *, actor: Employee, lines: Sequence[ReturnLineInput], reason: str
) -> PurchaseReturn:
    require_permission(actor, "purchasing.change_purchasereturn")
    _in_scope(actor, doc)
    locked = PurchaseReturn.objects.select_for_update().get(pk=doc.pk)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    PurchaseOrder.objects.select_for_update().get(pk=locked.order_id)
    reason = _reason(reason)
    cleaned = _clean(locked.order, lines, exclude=locked)
    before = {"reason": locked.reason, "lines": _lines_text(locked)}
    locked.reason, locked.updated_at = reason, timezone.now()
    locked.save(update_fields=["reason", "updated_at"])
    _write(locked, cleaned)
    if changes := audit.diff(before, {"reason": locked.reason, "lines": _lines_text(locked)}):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def submit_return(doc: PurchaseReturn, *, actor: Employee) -> None:
    require_permission(actor, "purchasing.change_purchasereturn")
    _in_scope(actor, doc)
    PurchaseOrder.objects.select_for_update().get(pk=doc.order_id)
    lines = [ReturnLineInput(line.order_line_id, line.lot_id, line.quantity) for line in doc.lines.all()]
    _clean(doc.order, lines, exclude=doc)
    approvals.submit(doc, actor=actor)


@transaction.atomic
def withdraw_return(doc: PurchaseReturn, *, actor: Employee) -> None:
    require_permission(actor, "purchasing.change_purchasereturn")
    approvals.withdraw(doc, actor=actor)


@transaction.atomic
def cancel_return(doc: PurchaseReturn, *, actor: Employee, reason: str = "") -> None:
    require_permission(actor, "purchasing.change_purchasereturn")
    approvals.cancel(doc, actor=actor, reason=reason)


@transaction.atomic
def ship_return(
    doc: PurchaseReturn, *, actor: Employee, carrier: str = "", tracking_number: str = ""
) -> PurchaseReturn:
    """Logistics sends the approved return out: the goods leave their lots at the moving-average
    cost (`insufficient_stock` when the lot is no longer there), the order lines' returned
    quantities grow, and a receivable from the supplier opens for the refund."""
    require_permission(actor, "purchasing.ship_purchasereturn")
    locked = (
        PurchaseReturn.objects.select_for_update().select_related("order", "order__supplier").get(pk=doc.pk)
    )
    if locked.status != Status.APPROVED:
        raise InvalidState(
            _("退货单 %(number)s 当前状态为“%(status)s”，不能发出。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    order = locked.order
    lines = list(locked.lines.select_related("order_line", "order_line__product").order_by("id"))
    order_lines = {
        line.pk: line
        for line in PurchaseOrderLine.objects.select_for_update()
        .filter(pk__in={i.order_line_id for i in lines})
        .order_by("id")
    }
    for index, item in enumerate(lines):
        line = order_lines[item.order_line_id]
        if line.returned_quantity + item.quantity > line.received_quantity:
            raise line_error(index, "quantity", _("退货数量超过已入库数量。"), code="over_return")
    ledger.issue(
        [
            ledger.Outgoing(
                product_id=item.order_line.product_id,
                warehouse_id=order.warehouse_id,
                quantity=item.quantity,
                lot_id=item.lot_id,
            )
            for item in lines
        ],
        source=locked.ref,
        actor=actor,
        kind=MoveKind.PURCHASE_RETURN,
        to_customer=False,
    )
    for item in lines:
        line = order_lines[item.order_line_id]
        line.returned_quantity += item.quantity
        line.save(update_fields=["returned_quantity"])
    today = timezone.localdate()
    finance.open_obligation(
        direction=Direction.RECEIVABLE,
        actor=actor,
        party=as_party(order.supplier),
        amount=locked.amount,
        issued_on=today,
        due_date=today + dt.timedelta(days=REFUND_DAYS),
        currency=order.currency,
        exchange_rate=order.exchange_rate,
        source=locked.ref,
        owner=order.owner,
        note=str(_("采购退货退款：%(number)s") % {"number": order.number}),
    )
    old = transition(
        locked,
        "ship",
        shipped_at=timezone.now(),
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
    )
    audit.record_status_change(
        actor,
        "ship",
        locked,
        old,
        also={"carrier": [None, carrier], "tracking_number": [None, tracking_number]},
    )
    doc.status = locked.status
    return locked
