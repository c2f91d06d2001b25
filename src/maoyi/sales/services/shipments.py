"""发货 (shipments): logistics sends goods of an approved sales order, in one or several partial
shipments, out of the order's reservation. Each shipment is posted when saved (in transit, 运输中):
the goods leave lot by lot, first expiry first out unless a lot is chosen, never from an expired
lot, at the moving-average cost the stock ledger takes; each lot taken is one shipment line with
the cost of the move the ledger wrote, and the order lines' shipped quantity and cost follow in the
same transaction. More than is still open is refused (`over_shipment`), even when two clerks race:
the order row is locked first, then its lines, then the stock. A shipment is never edited or
deleted; goods coming back are a sales return. The customer's signature closes it (已签收)."""

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
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope, line_error
from maoyi.core.money import quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import Lot, StockLevel, StockMove
from maoyi.inventory.services import ledger
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesOrderLine, Shipment, ShipmentLine

ZERO = Decimal("0")
# A completed order is let through to the line check, which refuses it with `over_shipment`
# (nothing is open): the clerk who lost a race for the last units is told exactly that.
SHIPPABLE = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)
TEXT_LIMITS = {"carrier": 100, "tracking_number": 100, "note": 500, "signed_by": 60}


@dataclass(frozen=True)
class ShipmentLineInput:
    """A quantity of one order line to ship: from a chosen lot (`lot_id`, or `lot_number` among the
    product's lots), else first expiry first out."""

    line_id: int
    quantity: Decimal
    lot_id: int | None = None
    lot_number: str = ""


def _in_scope(actor: Employee, doc: SalesOrder | Shipment) -> None:
    if not scope.can_view(actor.user, doc):
        raise NotFoundInScope()


def _text(value: str, field: str, label: str) -> str:
    text = (value or "").strip()
    if len(text) > TEXT_LIMITS[field]:
        raise DomainError(
            _("%(label)s最多 %(max)s 个字。"),
            code="invalid",
            field=field,
            label=label,
            max=TEXT_LIMITS[field],
        )
    return text


def _quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _chosen_lot(index: int, line: SalesOrderLine, item: ShipmentLineInput, on: dt.date) -> Lot | None:
    """The lot a line names (by id or number), checked to be the product's and not expired on the
    shipping day; None for first expiry first out."""
    number = (item.lot_number or "").strip()
    if item.lot_id is None and not number:
        return None
    lots = Lot.objects.filter(product_id=line.product_id)
    lot = (
        lots.filter(pk=item.lot_id).first()
        if item.lot_id is not None
        else lots.filter(lot_number=number).first()
    )
    if lot is None and item.lot_id is None:
        raise line_error(index, "lot", _("批号 %(lot)s 不存在。") % {"lot": number})
    if lot is None:
        raise line_error(index, "lot", _("批次不属于这个商品。"))
    if lot.expiry_date is not None and lot.expiry_date < on:
        raise line_error(
            index,
            "lot",
            _("批次 %(lot)s（%(product)s）已于 %(expiry)s 过期，不能发给客户。")
            % {"lot": lot.lot_number, "product": line.product.code, "expiry": lot.expiry_date.isoformat()},
            code="lot_expired",
        )
    return lot


def _shipped_on(order: SalesOrder, shipped_on: dt.date | None) -> dt.date:
    today = timezone.localdate()
    day = shipped_on or today
    if day > today:
        raise DomainError(_("发货日期不能晚于今天。"), code="invalid", field="shipped_on")
    if day < order.order_date:
        raise DomainError(
            _("发货日期不能早于订单日期 %(date)s。"),
            code="invalid",
            field="shipped_on",
            date=order.order_date.isoformat(),
        )
    return day


def _issue(
    index: int,
    line: SalesOrderLine,
    item: ShipmentLineInput,
    lot: Lot | None,
    *,
    order: SalesOrder,
    shipment: Shipment,
    actor: Employee,
    on: dt.date,
    levels: dict[tuple[int, int], StockLevel],
) -> list[StockMove]:
    """Take one line's goods out of the order's reservation; a refusal of the ledger (short stock,
    an expired lot) is told on the line it concerns (and ends the shipment's transaction)."""
    try:
        return ledger.issue_step(
            [
                ledger.Outgoing(
                    product_id=line.product_id,
                    warehouse_id=order.warehouse_id,
                    quantity=item.quantity,
                    lot_id=lot.pk if lot is not None else None,
                )
            ],
            source=shipment.ref,
            actor=actor,
            reservation=order.ref,
            to_customer=True,
            today=on,
            levels=levels,
        )
    except DomainError as refusal:
        raise line_error(
            index, "lot" if lot is not None else "quantity", refusal.message, code=refusal.code
        ) from refusal


@transaction.atomic
def ship_order(
    order: SalesOrder,
    *,
    actor: Employee,
    lines: Sequence[ShipmentLineInput],
    shipped_on: dt.date | None = None,
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
) -> Shipment:
    """Ship some of an approved order's open quantities out of its reservation: one shipment line
    per lot taken, at the cost the stock ledger took; the order is partly shipped (执行中) or, when
    nothing is left open, done."""
    require_permission(actor, "sales.add_shipment")
    _in_scope(actor, order)
    locked = (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "warehouse")  # named by the audit rows
        .get(pk=order.pk)
    )
    if locked.status not in SHIPPABLE:
        raise InvalidState(
            _("销售订单 %(number)s 当前状态为“%(status)s”，不能发货。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    wanted = [item for item in lines if item.quantity]
    if not wanted:
        raise DomainError(_("请至少填写一行发货数量。"), code="invalid", field="lines")
    day = _shipped_on(locked, shipped_on)
    carrier = _text(carrier, "carrier", str(_("承运商")))
    tracking_number = _text(tracking_number, "tracking_number", str(_("运单号")))
    note = _text(note, "note", str(_("备注")))
    order_lines = {
        line.pk: line
        for line in SalesOrderLine.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(order=locked)
        .order_by("id")
    }
    taken: dict[int, Decimal] = {}
    lots: dict[int, Lot | None] = {}
    for index, item in enumerate(wanted):
        line = order_lines.get(item.line_id)
        if line is None:
            raise line_error(index, "line", _("不是这张订单的明细。"))
        quantity = item.quantity
        if not isinstance(quantity, Decimal) or quantity <= 0 or quantity != quantize_quantity(quantity):
            raise line_error(index, "quantity", _("数量必须大于零，最多四位小数。"))
        taken[line.pk] = taken.get(line.pk, ZERO) + quantity
        if taken[line.pk] > line.open_quantity:
            raise line_error(
                index,
                "quantity",
                _("%(product)s 本次发货 %(quantity)s，超过未发货数量 %(open)s。")
                % {
                    "product": line.product.code,
                    "quantity": _quantity_text(taken[line.pk]),
                    "open": _quantity_text(line.open_quantity),
                },
                code="over_shipment",
            )
        lots[index] = _chosen_lot(index, line, item, day)
    shipment = Shipment(
        owner=actor,
        department=actor.department,
        created_by=actor.user,
        order=locked,
        warehouse=locked.warehouse,
        shipped_on=day,
        carrier=carrier,
        tracking_number=tracking_number,
        note=note,
        status=Status.IN_PROGRESS,
    )
    approvals.assign_number(shipment)
    shipment.save()
    # Every product × warehouse row in one ordered lock, before any issue: the per-line issues
    # below then only take locks this transaction already holds, so they cannot deadlock.
    levels = ledger.lock_levels((order_lines[i.line_id].product_id, locked.warehouse_id) for i in wanted)
    # Named lots first (as the ledger does within one call), so a first-expiry line of the same
    # product cannot empty a lot another line names.
    moves: dict[int, list[StockMove]] = {}
    for index in sorted(range(len(wanted)), key=lambda i: (lots[i] is None, i)):
        item = wanted[index]
        moves[index] = _issue(
            index,
            order_lines[item.line_id],
            item,
            lots[index],
            order=locked,
            shipment=shipment,
            actor=actor,
            on=day,
            levels=levels,
        )
    rows = [
        ShipmentLine(
            shipment=shipment,
            order_line_id=item.line_id,
            lot=move.lot,
            quantity=-move.quantity,
            cost=-move.value,
            unit_cost=move.unit_cost,
        )
        for index, item in enumerate(wanted)
        for move in moves[index]
    ]
    ShipmentLine.objects.bulk_create(rows)
    costs: dict[int, Decimal] = {}
    for row in rows:
        costs[row.order_line_id] = costs.get(row.order_line_id, ZERO) + row.cost
    for pk, quantity in taken.items():
        line = order_lines[pk]
        line.shipped_quantity += quantity
        line.shipped_cost += costs[pk]
    SalesOrderLine.objects.bulk_update(
        [order_lines[pk] for pk in taken], ["shipped_quantity", "shipped_cost"]
    )
    complete = all(line.open_quantity <= 0 for line in order_lines.values())
    old = transition(locked, "complete" if complete else "ship")
    summary = "；".join(
        " ".join(
            filter(
                None,
                (
                    order_lines[row.order_line_id].product.code,
                    row.lot.lot_number,
                    f"× {_quantity_text(row.quantity)}",
                ),
            )
        )
        for row in rows
    )
    audit.record_created(
        actor,
        shipment,
        ("number", "order", "warehouse", "shipped_on", "carrier", "tracking_number", "note"),
        also={"lines": [None, summary]},
    )
    if old != locked.status:
        audit.record_status_change(actor, "ship", locked, old, note=shipment.number)
    order.status = locked.status
    return shipment


@transaction.atomic
def deliver_shipment(
    shipment: Shipment, *, actor: Employee, delivered_on: dt.date | None = None, signed_by: str = ""
) -> Shipment:
    """签收: the customer received a shipment in transit, on a day between shipping and today."""
    require_permission(actor, "sales.deliver_shipment")
    _in_scope(actor, shipment)
    locked = Shipment.objects.select_for_update(of=("self",)).get(pk=shipment.pk)
    if locked.status != Status.IN_PROGRESS:
        raise InvalidState(
            _("发货单 %(number)s 当前状态为“%(status)s”，不能确认签收。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    today = timezone.localdate()
    day = delivered_on or today
    if day > today:
        raise DomainError(_("签收日期不能晚于今天。"), code="invalid", field="delivered_on")
    if day < locked.shipped_on:
        raise DomainError(
            _("签收日期不能早于发货日期 %(date)s。"),
            code="invalid",
            field="delivered_on",
            date=locked.shipped_on.isoformat(),
        )
    signer = _text(signed_by, "signed_by", str(_("签收人")))
    old = transition(locked, "deliver", delivered_on=day, signed_by=signer)
    audit.record_status_change(
        actor,
        "deliver",
        locked,
        old,
        also={"delivered_on": [None, day.isoformat()], "signed_by": [None, signer]},
    )
    shipment.status, shipment.delivered_on, shipment.signed_by = locked.status, day, signer
    return locked
