"""入库: logistics receives the goods of an approved purchase order, in one or several partial
receipts. Each receipt is posted when saved: its stock moves are made at the order's unit price
without VAT (the input tax is deductible for a general taxpayer), converted to CNY at the order's
rate; the lines' received quantities and the order's status follow in the same transaction. More
than is still due is refused (`over_receipt`), even when two receipts race."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.core.documents import Status, transition
from maoyi.core.errors import DomainError, InvalidState, line_error
from maoyi.core.money import quantize_cost
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import Lot, MoveKind
from maoyi.inventory.services import ledger
from maoyi.org.models import Employee
from maoyi.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine


@dataclass(frozen=True)
class ReceiptLineInput:
    line_id: int
    quantity: Decimal
    lot_number: str = ""
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None


def unit_cost(line: PurchaseOrderLine, rate: Decimal) -> Decimal:
    """The CNY cost of one unit: the tax-inclusive price without VAT, at the order's rate."""
    return quantize_cost(line.unit_price * rate * 100 / (100 + line.tax_rate))


@transaction.atomic
def receive_goods(
    order: PurchaseOrder,
    *,
    actor: Employee,
    lines: Sequence[ReceiptLineInput],
    received_on: dt.date | None = None,
    note: str = "",
) -> GoodsReceipt:
    """Post a goods receipt for some of the order's open quantities (lots with their dates for
    lot-tracked goods)."""
    require_permission(actor, "purchasing.add_goodsreceipt")
    locked = PurchaseOrder.objects.select_for_update().select_related("supplier").get(pk=order.pk)
    if locked.status not in (Status.APPROVED, Status.IN_PROGRESS):
        raise InvalidState(
            _("采购订单 %(number)s 当前状态为“%(status)s”，不能入库。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    wanted = [line for line in lines if line.quantity]
    if not wanted:
        raise DomainError(_("请至少填写一行入库数量。"), code="invalid", field="lines")
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise DomainError(_("入库日期不能晚于今天。"), code="invalid", field="received_on")
    order_lines = {
        line.pk: line
        for line in PurchaseOrderLine.objects.select_for_update()
        .select_related("product")
        .filter(order=locked)
        .order_by("id")
    }
    taken: dict[int, Decimal] = {}
    incoming: list[ledger.Incoming] = []
    for index, item in enumerate(wanted):
        line = order_lines.get(item.line_id)
        if line is None:
            raise line_error(index, "line", _("不是这张订单的明细。"))
        if not isinstance(item.quantity, Decimal) or item.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零。"))
        taken[line.pk] = taken.get(line.pk, Decimal("0")) + item.quantity
        if taken[line.pk] > line.open_quantity:
            raise line_error(
                index,
                "quantity",
                _("%(product)s 本次入库 %(quantity)s，超过未到货数量 %(open)s。")
                % {
                    "product": line.product.code,
                    "quantity": f"{taken[line.pk].normalize():f}",
                    "open": f"{line.open_quantity.normalize():f}",
                },
                code="over_receipt",
            )
        number = (item.lot_number or "").strip()
        production, expiry = item.production_date, item.expiry_date
        if line.product.lot_tracked:
            if not number:
                raise line_error(
                    index,
                    "lot_number",
                    _("商品 %s 实行批次管理，请填写批号。") % line.product.code,
                    code="lot_required",
                )
            if expiry is None:
                raise line_error(index, "expiry_date", _("请填写有效期。"))
            if production and expiry < production:
                raise line_error(index, "expiry_date", _("有效期不能早于生产日期。"))
        else:
            number, production, expiry = "", None, None
        incoming.append(
            ledger.Incoming(
                product_id=line.product_id,
                warehouse_id=locked.warehouse_id,
                quantity=item.quantity,
                unit_cost=unit_cost(line, locked.exchange_rate),
                lot_number=number,
                production_date=production,
                expiry_date=expiry,
            )
        )
    receipt = GoodsReceipt(
        owner=actor,
        department=actor.department,
        created_by=actor.user,
        order=locked,
        warehouse_id=locked.warehouse_id,
        received_on=received_on,
        note=note.strip(),
        status=Status.DONE,
    )
    approvals.assign_number(receipt)
    receipt.save()
    ledger.receive(incoming, source=receipt.ref, actor=actor, kind=MoveKind.RECEIPT)
    lots = {
        (lot.product_id, lot.lot_number): lot.pk
        for lot in Lot.objects.filter(product_id__in={i.product_id for i in incoming})
    }
    GoodsReceiptLine.objects.bulk_create(
        GoodsReceiptLine(
            receipt=receipt,
            order_line_id=item.line_id,
            lot_id=lots[(goods.product_id, goods.lot_number)],
            quantity=goods.quantity,
            unit_cost=goods.unit_cost,
        )
        for item, goods in zip(wanted, incoming, strict=True)
    )
    for pk, quantity in taken.items():
        line = order_lines[pk]
        line.received_quantity += quantity
        line.save(update_fields=["received_quantity"])
    complete = all(line.received_quantity >= line.quantity for line in order_lines.values())
    old = transition(locked, "complete" if complete else "receive")
    summary = "；".join(
        " ".join(
            filter(None, (order_lines[i.line_id].product.code, g.lot_number, f"× {g.quantity.normalize():f}"))
        )
        for i, g in zip(wanted, incoming, strict=True)
    )
    audit.record_created(
        actor,
        receipt,
        ("number", "order", "warehouse", "received_on", "note"),
        also={"lines": [None, summary]},
    )
    if old != locked.status:
        audit.record_status_change(actor, "receive", locked, old, note=receipt.number)
    order.status = locked.status
    return receipt
