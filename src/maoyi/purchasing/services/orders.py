"""采购订单: a purchaser writes an order (lines priced from the best valid supplier quote unless
typed), submits it, a manager approves or rejects it. Approval opens the payable with the order's
installment plan, in the order's currency at its rate, and the open quantities count as incoming
stock. 反审核 and 作废 of an approved order are refused once goods arrived or money was paid."""

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
from maoyi.audit.selectors import history_of
from maoyi.catalog.models import Product
from maoyi.core.documents import Status, transition
from maoyi.core.errors import DomainError, HasDownstream, InvalidState, NotFoundInScope, line_error
from maoyi.core.money import BASE_CURRENCY, Currency, quantize_money
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Direction
from maoyi.inventory.models import Warehouse
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderInstallment,
    PurchaseOrderLine,
    Supplier,
    SupplierQuote,
)
from maoyi.purchasing.parties import as_party

ZERO = Decimal("0")
HEADER_FIELDS = ("supplier", "warehouse", "currency", "exchange_rate", "expected_date", "note")
PRICE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class OrderLineInput:
    """A line as typed; `unit_price` None takes the best valid quote (else the product's purchase
    price, converted at the order's rate)."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    tax_rate: Decimal = Decimal("13")


@dataclass(frozen=True)
class PlannedLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    quote_id: int | None


def _in_scope(actor: Employee, order: PurchaseOrder) -> None:
    if not scope.can_view(actor.user, order):
        raise NotFoundInScope()


def _header(
    supplier: Supplier | None,
    warehouse: Warehouse | None,
    currency: str | None,
    rate: Decimal | None,
    on: dt.date,
) -> tuple[Supplier, Warehouse, str, Decimal]:
    if supplier is None or not supplier.is_active:
        raise DomainError(_("请选择启用中的供应商。"), code="invalid", field="supplier")
    if warehouse is None or not warehouse.is_active:
        raise DomainError(_("请选择启用中的仓库。"), code="invalid", field="warehouse")
    currency = currency or supplier.currency
    if currency not in Currency.values:
        raise DomainError(_("币种无效。"), code="invalid", field="currency")
    if currency == BASE_CURRENCY:
        return supplier, warehouse, currency, Decimal("1")
    if rate is None:
        rate = finance_selectors.rate_on(currency, on)
        if rate is None:
            raise DomainError(
                _("还没有 %(currency)s 的汇率，请填写汇率或请财务维护汇率。"),
                code="invalid",
                field="exchange_rate",
                currency=currency,
            )
    if rate <= 0 or rate != rate.quantize(Decimal("0.000001")):
        raise DomainError(_("汇率须大于零，最多六位小数。"), code="invalid", field="exchange_rate")
    return supplier, warehouse, currency, rate


def _plan_lines(
    lines: Sequence[OrderLineInput], *, supplier: Supplier, currency: str, rate: Decimal, on: dt.date
) -> list[PlannedLine]:
    if not lines:
        raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
    products = Product.objects.in_bulk({line.product_id for line in lines})
    planned = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            raise line_error(index, "product", _("请选择启用中的商品。"))
        if not isinstance(line.quantity, Decimal) or line.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零。"))
        if line.tax_rate is None or not ZERO <= line.tax_rate < 100:
            raise line_error(index, "tax_rate", _("税率须在 0 到 100 之间。"))
        price, quote_id = line.unit_price, None
        if price is None:
            quote = _best_quote(supplier, product.pk, currency, on, line.quantity)
            if quote is not None:
                price, quote_id = quote.unit_price, quote.pk
            elif product.purchase_price:
                price = (product.purchase_price / rate).quantize(PRICE_QUANTUM)
            else:
                raise line_error(index, "unit_price", _("没有有效报价，请填写单价。"))
        if price < 0 or price != price.quantize(PRICE_QUANTUM):
            raise line_error(index, "unit_price", _("单价不能为负数，最多四位小数。"))
        planned.append(PlannedLine(product, line.quantity, price, line.tax_rate, quote_id))
    return planned


def _best_quote(
    supplier: Supplier, product_id: int, currency: str, on: dt.date, quantity: Decimal
) -> SupplierQuote | None:
    """This supplier's cheapest quote for the product, in the order's currency, valid on the day,
    whose minimum quantity the line reaches."""
    return (
        SupplierQuote.objects.filter(
            supplier=supplier,
            product_id=product_id,
            currency=currency,
            is_active=True,
            valid_from__lte=on,
            valid_until__gte=on,
            min_quantity__lte=quantity,
        )
        .order_by("unit_price", "-valid_from", "id")
        .first()
    )


def _check_plan(amount: Decimal, installments: Sequence[finance.InstallmentInput]) -> None:
    if installments:
        finance.plan_installments(amount, None, installments)


def _write(
    order: PurchaseOrder, planned: Sequence[PlannedLine], installments: Sequence[finance.InstallmentInput]
) -> None:
    order.lines.all().delete()
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            order=order,
            product=p.product,
            quantity=p.quantity,
            unit_price=p.unit_price,
            tax_rate=p.tax_rate,
            quote_id=p.quote_id,
        )
        for p in planned
    )
    order.installments.all().delete()
    PurchaseOrderInstallment.objects.bulk_create(
        PurchaseOrderInstallment(order=order, due_date=i.due_date, amount=i.amount) for i in installments
    )


def _lines_text(order: PurchaseOrder) -> str:
    return "；".join(
        f"{line.product.code} × {line.quantity.normalize():f} @ {line.unit_price.normalize():f}"
        for line in order.lines.select_related("product").order_by("id")
    )


def _amount_of(planned: Sequence[PlannedLine]) -> Decimal:
    return quantize_money(sum((quantize_money(p.quantity * p.unit_price) for p in planned), ZERO))


@transaction.atomic
def create_order(
    *,
    actor: Employee,
    supplier: Supplier,
    warehouse: Warehouse,
    expected_date: dt.date,
    lines: Sequence[OrderLineInput],
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    installments: Sequence[finance.InstallmentInput] = (),
    note: str = "",
) -> PurchaseOrder:
    """A draft purchase order owned by the actor. Installments, when given, must add up to the
    order's amount; without them the payable gets one installment after the supplier's terms."""
    require_permission(actor, "purchasing.add_purchaseorder")
    today = timezone.localdate()
    if expected_date is None:
        raise DomainError(_("请填写预计到货日期。"), code="invalid", field="expected_date")
    supplier, warehouse, currency, rate = _header(supplier, warehouse, currency, exchange_rate, today)
    planned = _plan_lines(lines, supplier=supplier, currency=currency, rate=rate, on=today)
    _check_plan(_amount_of(planned), installments)
    order = PurchaseOrder(
        owner=actor,
        department=actor.department,
        created_by=actor.user,
        supplier=supplier,
        warehouse=warehouse,
        currency=currency,
        exchange_rate=rate,
        expected_date=expected_date,
        note=note.strip(),
    )
    approvals.assign_number(order)
    order.save()
    _write(order, planned, installments)
    audit.record_created(
        actor, order, ("number", "status", *HEADER_FIELDS), also={"lines": [None, _lines_text(order)]}
    )
    return order


@transaction.atomic
def update_order(
    order: PurchaseOrder,
    *,
    actor: Employee,
    supplier: Supplier,
    warehouse: Warehouse,
    expected_date: dt.date,
    lines: Sequence[OrderLineInput],
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    installments: Sequence[finance.InstallmentInput] = (),
    note: str = "",
    version: int | None = None,
) -> PurchaseOrder:
    """Change a draft or rejected order: header, the whole set of lines and the plan."""
    require_permission(actor, "purchasing.change_purchaseorder")
    _in_scope(actor, order)
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    if expected_date is None:
        raise DomainError(_("请填写预计到货日期。"), code="invalid", field="expected_date")
    today = timezone.localdate()
    supplier, warehouse, currency, rate = _header(supplier, warehouse, currency, exchange_rate, today)
    planned = _plan_lines(lines, supplier=supplier, currency=currency, rate=rate, on=today)
    _check_plan(_amount_of(planned), installments)
    claim(locked, version, history=history_of)
    before = {**audit.snapshot(locked, HEADER_FIELDS), "lines": _lines_text(locked)}
    locked.supplier, locked.warehouse, locked.currency, locked.exchange_rate = (
        supplier,
        warehouse,
        currency,
        rate,
    )
    locked.expected_date, locked.note, locked.updated_at = expected_date, note.strip(), timezone.now()
    locked.save()
    _write(locked, planned, installments)
    after = {**audit.snapshot(locked, HEADER_FIELDS), "lines": _lines_text(locked)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def submit_order(order: PurchaseOrder, *, actor: Employee) -> None:
    require_permission(actor, "purchasing.change_purchaseorder")
    _in_scope(actor, order)
    if not order.lines.exists():
        raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
    plan = [finance.InstallmentInput(i.due_date, i.amount) for i in order.installments.all()]
    _check_plan(order.amount, plan)
    if not order.supplier.is_active:
        raise DomainError(_("供应商已停用。"), code="invalid", field="supplier")
    approvals.submit(order, actor=actor)


@transaction.atomic
def withdraw_order(order: PurchaseOrder, *, actor: Employee) -> None:
    require_permission(actor, "purchasing.change_purchaseorder")
    approvals.withdraw(order, actor=actor)


def payment_plan(order: PurchaseOrder) -> list[finance.InstallmentInput]:
    """The order's installments, or one installment due the supplier's payment terms after the
    expected arrival."""
    plan = [
        finance.InstallmentInput(i.due_date, i.amount) for i in order.installments.order_by("due_date", "id")
    ]
    if plan:
        return plan
    due = order.expected_date + dt.timedelta(days=order.supplier.payment_terms_days)
    return [finance.InstallmentInput(due, order.amount)]


@transaction.atomic
def approve_order(order: PurchaseOrder, *, actor: Employee, comment: str = "") -> PurchaseOrder:
    """审核通过: the payable opens (owned by the order's purchaser) and the open quantities become
    incoming stock; the order appears in logistics' list of goods to receive."""
    approvals.approve(order, actor=actor, comment=comment)
    PurchaseOrder.objects.filter(pk=order.pk).update(approved_at=timezone.now())
    finance.open_obligation(
        direction=Direction.PAYABLE,
        actor=actor,
        party=as_party(order.supplier),
        amount=order.amount,
        issued_on=timezone.localdate(),
        installments=payment_plan(order),
        currency=order.currency,
        exchange_rate=order.exchange_rate,
        source=order.ref,
        owner=order.owner,
    )
    return order


@transaction.atomic
def unapprove_order(order: PurchaseOrder, *, actor: Employee, reason: str) -> None:
    """反审核 while nothing was received or paid: the payable is reversed, the order is a draft again."""
    if order.has_downstream():
        raise HasDownstream(_("采购订单 %(number)s 已有入库或付款，不能反审核。"), number=order.number)
    approvals.unapprove(order, actor=actor, reason=reason)
    finance.reverse_for_source(order.ref, actor=actor, reason=reason)


@transaction.atomic
def cancel_order(order: PurchaseOrder, *, actor: Employee, reason: str = "") -> None:
    """作废 a draft or rejected order, or an approved one nothing was received or paid for (its
    payable is reversed)."""
    require_permission(actor, "purchasing.change_purchaseorder")
    _in_scope(actor, order)
    # Partly or fully received orders have receipts: say so (has_downstream), not just the status.
    if order.status not in (Status.APPROVED, Status.IN_PROGRESS, Status.DONE):
        approvals.cancel(order, actor=actor, reason=reason)
        return
    if order.has_downstream():
        raise HasDownstream(_("采购订单 %(number)s 已有入库或付款，不能作废。"), number=order.number)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写原因。"), code="reason_required", field="reason")
    old = transition(order, "cancel")
    finance.reverse_for_source(order.ref, actor=actor, reason=reason)
    audit.record_status_change(actor, "cancel", order, old, note=reason)
