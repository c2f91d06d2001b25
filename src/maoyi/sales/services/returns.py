"""销售退货: shipped goods coming back from the customer. The salesperson writes the return against
the order's shipment lines (each a lot), with a reason; the department manager approves it; logistics
receives the goods back, into the order's warehouse or a separate one for goods that failed
inspection. Receiving puts the goods back into the same lot at the cost they left at, adds to the
shipment and order lines' returned quantity and cost, and opens a payable to the customer for the
refund, which finance pays. Returning more than was shipped, less what was returned and what other
submitted or approved returns claim, is refused (`over_return`).

The refund of a line is its quantity × the order line's price after the discount, tax included,
rounded to the cent. The cost that comes back is the shipment line's cost prorated by quantity,
rounded cumulatively (what all returns of a shipment line took back so far is the cost × returned
share, rounded to the cent), so a shipment line returned in several parts gives back exactly its
cost."""

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
from maoyi.core.money import quantize_money, quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.crm.parties import as_party as customer_party
from maoyi.finance import services as finance
from maoyi.finance.models import Direction
from maoyi.inventory.models import MoveKind, Warehouse
from maoyi.inventory.services import ledger
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesOrderLine, SalesReturn, SalesReturnLine, ShipmentLine
from maoyi.sales.shipping_selectors import returnable

ZERO = Decimal("0")
REFUND_DAYS = 30  # finance pays the customer's refund within a month
RETURNABLE_ORDER_STATUSES = (Status.IN_PROGRESS, Status.DONE)


@dataclass(frozen=True)
class ReturnLineInput:
    """A quantity to return from one shipment line of the order (which names the lot)."""

    shipment_line_id: int
    quantity: Decimal


@dataclass(frozen=True)
class _Cleaned:
    shipment_line: ShipmentLine
    quantity: Decimal
    amount: Decimal


def _in_scope(actor: Employee, doc: SalesOrder | SalesReturn) -> None:
    if not scope.can_view(actor.user, doc):
        raise NotFoundInScope()


def _quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def refund_of(line: SalesOrderLine, quantity: Decimal) -> Decimal:
    """What the customer gets back for `quantity` of an order line: at its tax-inclusive price after
    the discount, to the cent."""
    return quantize_money(quantity * line.net_price)


def cost_back(shipment_line: ShipmentLine, returned_before: Decimal, quantity: Decimal) -> Decimal:
    """The cost `quantity` more units of a shipment line bring back, when `returned_before` already
    came back: the cost of the returned share after, less before, each rounded to the cent. The
    parts of a shipment line returned bit by bit add up to exactly its cost."""
    whole, cost = shipment_line.quantity, shipment_line.cost
    return quantize_money(cost * (returned_before + quantity) / whole) - quantize_money(
        cost * returned_before / whole
    )


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_("请填写退货原因。"), code="reason_required", field="reason")
    if len(text) > 500:
        raise DomainError(_("退货原因最多 500 个字。"), code="invalid", field="reason")
    return text


def _warehouse(order: SalesOrder, warehouse: Warehouse | None) -> Warehouse:
    """The order's warehouse unless another (a warehouse for rejected goods, say) is chosen."""
    chosen = warehouse if warehouse is not None else order.warehouse
    if not chosen.is_active:
        raise DomainError(_("请选择启用中的仓库。"), code="invalid", field="warehouse")
    return chosen


def _clean(
    order: SalesOrder, lines: Sequence[ReturnLineInput], *, exclude: SalesReturn | None = None
) -> list[_Cleaned]:
    wanted = [item for item in lines if item.quantity]
    if not wanted:
        raise DomainError(_("请至少填写一行退货数量。"), code="invalid", field="lines")
    shipped = ShipmentLine.objects.select_related(
        "shipment", "order_line", "order_line__product", "lot"
    ).in_bulk({item.shipment_line_id for item in wanted})
    left = returnable(order, exclude=exclude)
    asked: dict[int, Decimal] = {}
    cleaned = []
    for index, item in enumerate(wanted):
        row = shipped.get(item.shipment_line_id)
        if row is None or row.shipment.order_id != order.pk:
            raise line_error(index, "shipment_line", _("不是这张订单的发货明细。"))
        quantity = item.quantity
        if not isinstance(quantity, Decimal) or quantity <= 0 or quantity != quantize_quantity(quantity):
            raise line_error(index, "quantity", _("数量必须大于零，最多四位小数。"))
        asked[row.pk] = asked.get(row.pk, ZERO) + quantity
        if asked[row.pk] > left.get(row.pk, ZERO):
            raise line_error(
                index,
                "quantity",
                _("%(product)s 批次 %(lot)s 可退 %(left)s，本次退货 %(quantity)s。")
                % {
                    "product": row.order_line.product.code,
                    "lot": row.lot.lot_number or "—",
                    "left": _quantity_text(max(left.get(row.pk, ZERO), ZERO)),
                    "quantity": _quantity_text(asked[row.pk]),
                },
                code="over_return",
            )
        cleaned.append(_Cleaned(row, quantity, refund_of(row.order_line, quantity)))
    return cleaned


def _write(doc: SalesReturn, lines: Sequence[_Cleaned]) -> None:
    doc.lines.all().delete()
    SalesReturnLine.objects.bulk_create(
        SalesReturnLine(sales_return=doc, shipment_line=c.shipment_line, quantity=c.quantity, amount=c.amount)
        for c in lines
    )


def _lines_text(doc: SalesReturn) -> str:
    return "；".join(
        " ".join(
            filter(
                None,
                (
                    line.shipment_line.order_line.product.code,
                    line.shipment_line.lot.lot_number,
                    f"× {_quantity_text(line.quantity)}",
                    f"{line.amount:.2f}",
                ),
            )
        )
        for line in doc.lines.select_related(
            "shipment_line__order_line__product", "shipment_line__lot"
        ).order_by("id")
    )


def _editable(doc: SalesReturn) -> None:
    if not doc.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=doc.number,
            status=doc.get_status_display(),
        )


@transaction.atomic
def create_return(
    order: SalesOrder,
    *,
    actor: Employee,
    lines: Sequence[ReturnLineInput],
    reason: str,
    warehouse: Warehouse | None = None,
) -> SalesReturn:
    """A draft return of shipped goods of an order, owned by the order's salesperson."""
    require_permission(actor, "sales.add_salesreturn")
    _in_scope(actor, order)
    locked = SalesOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=order.pk)
    if locked.status not in RETURNABLE_ORDER_STATUSES:
        raise InvalidState(_("销售订单 %(number)s 还没有发货，不能退货。"), number=locked.number)
    reason = _reason(reason)
    chosen = _warehouse(locked, warehouse)
    cleaned = _clean(locked, lines)
    doc = SalesReturn(
        owner_id=locked.owner_id,
        department_id=locked.department_id,
        created_by=actor.user,
        order=locked,
        warehouse=chosen,
        reason=reason,
    )
    approvals.assign_number(doc)
    doc.save()
    _write(doc, cleaned)
    audit.record_created(
        actor,
        doc,
        ("number", "status", "order", "warehouse", "reason"),
        also={"lines": [None, _lines_text(doc)]},
    )
    return doc


@transaction.atomic
def update_return(
    doc: SalesReturn,
    *,
    actor: Employee,
    lines: Sequence[ReturnLineInput],
    reason: str,
    warehouse: Warehouse | None = None,
) -> SalesReturn:
    """Change a draft or rejected return: its lines, reason and warehouse."""
    require_permission(actor, "sales.change_salesreturn")
    _in_scope(actor, doc)
    locked = SalesReturn.objects.select_for_update(of=("self",)).get(pk=doc.pk)
    _editable(locked)
    order = (
        SalesOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=locked.order_id)
    )
    reason = _reason(reason)
    chosen = _warehouse(order, warehouse)
    cleaned = _clean(order, lines, exclude=locked)
    before = {**audit.snapshot(locked, ("reason", "warehouse")), "lines": _lines_text(locked)}
    locked.reason, locked.warehouse, locked.updated_at = reason, chosen, timezone.now()
    locked.save(update_fields=["reason", "warehouse", "updated_at"])
    _write(locked, cleaned)
    after = {**audit.snapshot(locked, ("reason", "warehouse")), "lines": _lines_text(locked)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def submit_return(doc: SalesReturn, *, actor: Employee) -> None:
    """Send for approval; the quantities are checked again against what other returns now claim."""
    require_permission(actor, "sales.change_salesreturn")
    _in_scope(actor, doc)
    locked = SalesReturn.objects.select_for_update(of=("self",)).get(pk=doc.pk)
    order = SalesOrder.objects.select_for_update(of=("self",)).get(pk=locked.order_id)
    items = [ReturnLineInput(line.shipment_line_id, line.quantity) for line in locked.lines.order_by("id")]
    _clean(order, items, exclude=locked)
    approvals.submit(doc, actor=actor)


@transaction.atomic
def withdraw_return(doc: SalesReturn, *, actor: Employee) -> None:
    require_permission(actor, "sales.change_salesreturn")
    approvals.withdraw(doc, actor=actor)


@transaction.atomic
def cancel_return(doc: SalesReturn, *, actor: Employee, reason: str = "") -> None:
    """作废 a draft or rejected return (it stays on record with its number)."""
    require_permission(actor, "sales.change_salesreturn")
    approvals.cancel(doc, actor=actor, reason=reason)


@transaction.atomic
def receive_return(
    sales_return: SalesReturn, *, actor: Employee, received_on: dt.date | None = None
) -> SalesReturn:
    """Logistics receives an approved return: the goods go back into their lot in the return's
    warehouse at the cost they left at, the shipment and order lines count them as returned, and
    a payable to the customer opens for the refund (none when the goods were free)."""
    require_permission(actor, "sales.receive_salesreturn")
    _in_scope(actor, sales_return)
    locked = SalesReturn.objects.select_for_update(of=("self",)).get(pk=sales_return.pk)
    if locked.status != Status.APPROVED:
        raise InvalidState(
            _("销售退货单 %(number)s 当前状态为“%(status)s”，不能收货。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    today = timezone.localdate()
    day = received_on or today
    if day > today:
        raise DomainError(_("收货日期不能晚于今天。"), code="invalid", field="received_on")
    # Locks in the order every sales service takes them: return, order, order lines, shipment lines,
    # then the stock rows (in one ordered query).
    order = (
        SalesOrder.objects.select_for_update(of=("self",)).select_related("customer").get(pk=locked.order_id)
    )
    lines = list(locked.lines.order_by("id"))
    shipped = {
        row.pk: row
        for row in ShipmentLine.objects.select_for_update(of=("self",))
        .select_related("lot")
        .filter(pk__in={line.shipment_line_id for line in lines})
        .order_by("id")
    }
    order_lines = {
        row.pk: row
        for row in SalesOrderLine.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in={row.order_line_id for row in shipped.values()})
        .order_by("id")
    }
    ledger.lock_levels(
        (order_lines[row.order_line_id].product_id, locked.warehouse_id) for row in shipped.values()
    )
    costs: dict[int, Decimal] = {}
    for index, line in enumerate(lines):
        row = shipped[line.shipment_line_id]
        if row.returned_quantity + line.quantity > row.quantity:
            raise line_error(
                index,
                "quantity",
                _("%(product)s 批次 %(lot)s 已发货 %(shipped)s，已退回 %(returned)s，不能再退 %(quantity)s。")
                % {
                    "product": order_lines[row.order_line_id].product.code,
                    "lot": row.lot.lot_number or "—",
                    "shipped": _quantity_text(row.quantity),
                    "returned": _quantity_text(row.returned_quantity),
                    "quantity": _quantity_text(line.quantity),
                },
                code="over_return",
            )
        value = cost_back(row, row.returned_quantity, line.quantity)
        (move,) = ledger.receive(
            [
                ledger.Incoming(
                    product_id=order_lines[row.order_line_id].product_id,
                    warehouse_id=locked.warehouse_id,
                    quantity=line.quantity,
                    # the value divided back by the quantity: the move's value is exactly `value`
                    unit_cost=value / line.quantity,
                    lot_number=row.lot.lot_number,
                    production_date=row.lot.production_date,
                    expiry_date=row.lot.expiry_date,
                )
            ],
            source=locked.ref,
            actor=actor,
            kind=MoveKind.SALES_RETURN,
        )
        row.returned_quantity += line.quantity
        costs[row.order_line_id] = costs.get(row.order_line_id, ZERO) + move.value
    for row in shipped.values():
        row.save(update_fields=["returned_quantity"])
    quantities: dict[int, Decimal] = {}
    for line in lines:
        key = shipped[line.shipment_line_id].order_line_id
        quantities[key] = quantities.get(key, ZERO) + line.quantity
    for pk, order_line in order_lines.items():
        order_line.returned_quantity += quantities[pk]
        order_line.returned_cost += costs[pk]
        order_line.save(update_fields=["returned_quantity", "returned_cost"])
    amount = quantize_money(sum((line.amount for line in lines), ZERO))
    if amount > 0:
        finance.open_obligation(
            direction=Direction.PAYABLE,
            actor=actor,
            party=customer_party(order.customer),
            amount=amount,
            issued_on=day,
            due_date=day + dt.timedelta(days=REFUND_DAYS),
            source=locked.ref,
            owner=order.owner,
            note=str(_("销售退货退款：%(number)s") % {"number": order.number}),
        )
    old = transition(locked, "receive", received_on=day)
    audit.record_status_change(actor, "receive", locked, old, also={"received_on": [None, day.isoformat()]})
    sales_return.status, sales_return.received_on = locked.status, day
    return locked
