"""销售订单: a salesperson (or assistant) writes an order for a customer they may change — from
scratch, from a quote (`create_order_from_quote`) or under a contract — submits it, and the
department manager approves or rejects it. Each function is one transaction: permission, data
scope, validation, write, audit.

Prices are tax-inclusive (含税单价); a blank price takes the proposed one (quote → contract → last
price to this customer → price level → sale price, `selectors.proposed_prices`) and the line
records the source; a typed price equal to the proposal keeps the proposal's source, any other is
TYPED. A price after discount under the product's minimum sale price is refused
(`below_min_price`) unless the actor holds `sales.override_min_price_salesorder` and gives a reason,
which the line keeps and the audit records.

Approval (`approve_order`, behind the approvals inbox too) reserves every line's quantity in the
order's warehouse (the stock ledger refuses with `insufficient_stock`, naming the products, and
nothing is reserved), checks the credit limit under the customer's row lock (0 = no limit;
outstanding receivables in CNY + this order > limit → `credit_limit_exceeded`, unless the approver
holds `sales.override_credit_salesorder` and gives a reason, kept on the order and audited), stamps
`approved_at` and opens the receivable: the order's installment plan, or one installment due 30 days
after the requested delivery date (the order date when there is none). An order of amount zero opens
no receivable. Lock order: the approval request, the order row, the stock levels (by product,
warehouse), the customer row, then the receivable's numbering counter.

反审核 (`unapprove_order`) and 作废 of an approved order (`cancel_order`) lock the order row first,
are refused with `has_downstream` once anything was shipped or any money collected, release the
reservation and reverse the receivable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.catalog.models import Product
from maoyi.core.documents import Status, transition
from maoyi.core.errors import (
    MAX_REASON,
    DomainError,
    HasDownstream,
    InvalidState,
    NotFoundInScope,
    line_error,
    required_reason,
)
from maoyi.core.money import quantize_money
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.crm.models import Contract, Customer, Quote, QuoteStatus
from maoyi.crm.parties import as_party
from maoyi.crm.selectors import quotes as crm_quotes
from maoyi.finance import services as finance
from maoyi.finance.models import Direction
from maoyi.inventory.models import Warehouse
from maoyi.inventory.services import ledger
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.sales import selectors
from maoyi.sales.models import (
    HUNDRED,
    PriceSource,
    SalesOrder,
    SalesOrderInstallment,
    SalesOrderLine,
)

ZERO = Decimal("0")
HEADER_FIELDS = (
    "customer",
    "warehouse",
    "contract",
    "quote",
    "order_date",
    "delivery_date",
    "delivery_address",
    "receiver",
    "receiver_phone",
    "note",
)
QUANTITY_QUANTUM = Decimal("0.0001")
PRICE_QUANTUM = Decimal("0.0001")
RATE_QUANTUM = Decimal("0.01")
MAX_VALUE = Decimal("1e14")
DEFAULT_TAX_RATE = Decimal("13")
# Without a plan, the receivable falls due this long after the requested delivery (or order) date.
DEFAULT_CREDIT_DAYS = 30
OVERRIDE_MIN_PRICE = "sales.override_min_price_salesorder"
OVERRIDE_CREDIT = "sales.override_credit_salesorder"
USABLE_QUOTES = (QuoteStatus.SENT, QuoteStatus.ACCEPTED)


class CreditLimitExceeded(DomainError):
    code = "credit_limit_exceeded"
    default_message = _("超出客户信用额度。")


@dataclass(frozen=True)
class OrderLineInput:
    """A line as typed. `unit_price` None takes the proposed price; `discount_rate` and `tax_rate`
    are percentages; `below_min_reason` lets a permitted role sell under the minimum sale price."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_rate: Decimal = ZERO
    tax_rate: Decimal = DEFAULT_TAX_RATE
    below_min_reason: str = ""


# Checks ------------------------------------------------------------------------------------------------


def _may(actor: Employee | None, perm: str) -> bool:
    return actor is None or actor.user.has_perm(perm)


def _in_scope(actor: Employee | None, order: SalesOrder) -> None:
    if actor is not None and not scope.can_view(actor.user, order):
        raise NotFoundInScope()


def _check_customer(actor: Employee | None, customer: Customer | None) -> tuple[Customer, Employee]:
    """The customer must have an owner (not in the pool), be one the actor may change, and be
    active; returns it with its owner, who answers for the order."""
    if customer is None:
        raise DomainError(_("请选择客户。"), code="invalid", field="customer")
    if customer.owner is None:
        raise DomainError(_("客户在公海，请先领取客户。"), code="invalid", field="customer")
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()
    if not customer.is_active:
        raise DomainError(
            _("客户“%(name)s”已停用，不能下单。"), code="invalid", field="customer", name=customer.name
        )
    return customer, customer.owner


def _check_header(
    customer: Customer,
    warehouse: Warehouse | None,
    order_date: dt.date,
    delivery_date: dt.date | None,
    contract: Contract | None,
    quote: Quote | None,
) -> Warehouse:
    if warehouse is None or not warehouse.is_active:
        raise DomainError(_("请选择启用中的仓库。"), code="invalid", field="warehouse")
    if delivery_date is not None and delivery_date < order_date:
        raise DomainError(_("交货日期不能早于订单日期。"), code="invalid", field="delivery_date")
    if contract is not None:
        if contract.customer_id != customer.pk:
            raise DomainError(_("合同不属于这个客户。"), code="invalid", field="contract")
        if contract.status != Status.APPROVED:
            raise DomainError(
                _("合同 %(number)s 未审核，不能据此下单。"),
                code="invalid",
                field="contract",
                number=contract.number,
            )
        if not contract.start_date <= order_date <= contract.end_date:
            raise DomainError(
                _("订单日期不在合同 %(number)s 的有效期（%(start)s 至 %(end)s）内。"),
                code="invalid",
                field="contract",
                number=contract.number,
                start=contract.start_date.isoformat(),
                end=contract.end_date.isoformat(),
            )
    if quote is not None:
        if quote.customer_id != customer.pk:
            raise DomainError(_("报价单不属于这个客户。"), code="invalid", field="quote")
        if quote.status not in USABLE_QUOTES:
            raise DomainError(
                _("报价单 %(number)s 当前状态为“%(status)s”，只有已发送或已接受的报价单才能下单。"),
                code="invalid",
                field="quote",
                number=quote.number,
                status=quote.get_status_display(),
            )
        if crm_quotes.is_expired(quote, order_date):
            raise DomainError(
                _("报价单 %(number)s 已过期。"), code="invalid", field="quote", number=quote.number
            )
    return warehouse


def _decimal_ok(value: object, quantum: Decimal) -> bool:
    return (
        isinstance(value, Decimal)
        and value.is_finite()
        and value == value.quantize(quantum)
        and abs(value) < MAX_VALUE
    )


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _plan_lines(
    actor: Employee | None,
    customer: Customer,
    lines: Sequence[OrderLineInput],
    *,
    contract: Contract | None,
    quote: Quote | None,
) -> list[SalesOrderLine]:
    """Check the typed lines and price the blank ones; refusals name the row (lines.<n>.<field>).
    Returns unsaved lines (without their order)."""
    if not lines:
        raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
    products = Product.objects.in_bulk({line.product_id for line in lines})
    proposed = selectors.proposed_prices(customer, list(products.values()), contract=contract, quote=quote)
    planned = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            raise line_error(index, "product", _("请选择启用中的商品。"))
        if not _decimal_ok(line.quantity, QUANTITY_QUANTUM) or line.quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零，最多四位小数。"))
        discount = line.discount_rate if line.discount_rate is not None else ZERO
        if not _decimal_ok(discount, RATE_QUANTUM) or not ZERO <= discount < HUNDRED:
            raise line_error(index, "discount_rate", _("折扣须在 0 到 100 之间（不含 100），最多两位小数。"))
        if not _decimal_ok(line.tax_rate, RATE_QUANTUM) or not ZERO <= line.tax_rate < HUNDRED:
            raise line_error(index, "tax_rate", _("税率须在 0 到 100 之间，最多两位小数。"))
        proposal = proposed.get(product.pk)
        if line.unit_price is None:
            if proposal is None:
                raise line_error(
                    index,
                    "unit_price",
                    _(
                        "%(product)s 没有可用的建议价（无报价、合同价、成交价、等级价，销售价为 0），"
                        "请填写单价。"
                    )
                    % {"product": product.code},
                )
            price, source = proposal.price, proposal.source
        else:
            if not _decimal_ok(line.unit_price, PRICE_QUANTUM) or line.unit_price < 0:
                raise line_error(index, "unit_price", _("单价不能为负数，最多四位小数。"))
            price = line.unit_price
            source = (
                proposal.source if proposal is not None and price == proposal.price else PriceSource.TYPED
            )
        planned_line = SalesOrderLine(
            product=product,
            quantity=line.quantity,
            unit_price=price,
            discount_rate=discount,
            tax_rate=line.tax_rate,
            price_source=source,
        )
        reason = (line.below_min_reason or "").strip()[:MAX_REASON]
        if selectors.below_min_price(product, planned_line.net_price):
            assert product.min_sale_price is not None
            figures = {
                "product": product.code,
                "price": _text(planned_line.net_price.quantize(PRICE_QUANTUM)),
                "min": _text(product.min_sale_price),
            }
            if not _may(actor, OVERRIDE_MIN_PRICE):
                raise line_error(
                    index,
                    "unit_price",
                    _("%(product)s 折后单价 %(price)s 低于最低售价 %(min)s。") % figures,
                    code="below_min_price",
                )
            if not reason:
                raise line_error(
                    index,
                    "unit_price",
                    _("%(product)s 折后单价 %(price)s 低于最低售价 %(min)s，如确需低价销售请填写原因。")
                    % figures,
                    code="below_min_price",
                )
            planned_line.below_min_reason = reason
        planned.append(planned_line)
    return planned


def _amount_of(planned: Sequence[SalesOrderLine]) -> Decimal:
    return quantize_money(sum((line.amount for line in planned), ZERO))


def _check_plan(
    amount: Decimal, installments: Sequence[finance.InstallmentInput]
) -> list[finance.InstallmentInput]:
    return finance.plan_installments(amount, None, installments) if installments else []


def _write(
    order: SalesOrder,
    planned: Sequence[SalesOrderLine],
    plan: Sequence[finance.InstallmentInput],
    *,
    new: bool = False,
) -> list[SalesOrderInstallment]:
    """Replace the order's lines and plan (a `new` order has none to delete); returns the plan's rows."""
    if not new:
        order.lines.all().delete()
    for line in planned:
        line.order = order
    SalesOrderLine.objects.bulk_create(planned)
    if not new:
        order.installments.all().delete()
    return SalesOrderInstallment.objects.bulk_create(
        SalesOrderInstallment(order=order, due_date=i.due_date, amount=i.amount) for i in plan
    )


def _lines_text(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> str:
    parts = []
    for line in order.lines.select_related("product").order_by("id") if lines is None else lines:
        text = f"{line.product.code} × {_text(line.quantity)} @ {_text(line.unit_price)}"
        if line.discount_rate:
            text += f" -{_text(line.discount_rate)}%"
        parts.append(text)
    return "；".join(parts)


def _below_min_text(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> str:
    return "；".join(
        f"{line.product.code}: {line.below_min_reason}"
        for line in (order.lines.select_related("product").order_by("id") if lines is None else lines)
        if line.below_min_reason
    )


def _plan_text(order: SalesOrder, plan: Sequence[SalesOrderInstallment] | None = None) -> str:
    rows = order.installments.all() if plan is None else plan
    return "；".join(f"{i.due_date.isoformat()} {i.amount:.2f}" for i in rows)


def _extras(
    order: SalesOrder,
    lines: Sequence[SalesOrderLine] | None = None,
    plan: Sequence[SalesOrderInstallment] | None = None,
) -> dict[str, str]:
    """The lines, plan and below-minimum reasons as the audit shows them: read from the database,
    or from the rows just written (`lines` in id order with their products, `plan` in the
    installments' order: due date, then id)."""
    return {
        "lines": _lines_text(order, lines),
        "installments": _plan_text(order, plan),
        "below_min_reason": _below_min_text(order, lines),
    }


# Create and edit ---------------------------------------------------------------------------------------


@transaction.atomic
def create_order(
    *,
    actor: Employee | None,
    customer: Customer,
    warehouse: Warehouse,
    lines: Sequence[OrderLineInput],
    order_date: dt.date | None = None,
    delivery_date: dt.date | None = None,
    contract: Contract | None = None,
    quote: Quote | None = None,
    installments: Sequence[finance.InstallmentInput] = (),
    delivery_address: str = "",
    receiver: str = "",
    receiver_phone: str = "",
    note: str = "",
) -> SalesOrder:
    """A draft sales order for a customer the actor may change, owned by the customer's owner (and
    their department). Installments, when given, must add up to the order's amount."""
    require_permission(actor, "sales.add_salesorder")
    customer, owner = _check_customer(actor, customer)
    order_date = order_date or timezone.localdate()
    warehouse = _check_header(customer, warehouse, order_date, delivery_date, contract, quote)
    planned = _plan_lines(actor, customer, lines, contract=contract, quote=quote)
    plan = _check_plan(_amount_of(planned), installments)
    order = SalesOrder(
        owner=owner,
        department=owner.department,
        created_by=(actor or owner).user,
        customer=customer,
        warehouse=warehouse,
        contract=contract,
        quote=quote,
        order_date=order_date,
        delivery_date=delivery_date,
        delivery_address=(delivery_address or "").strip() or customer.address,
        receiver=(receiver or "").strip(),
        receiver_phone=(receiver_phone or "").strip(),
        note=(note or "").strip(),
    )
    approvals.assign_number(order)
    order.save()
    rows = _write(order, planned, plan, new=True)
    if all(line.pk for line in planned) and all(row.pk for row in rows):
        # Written just now: the audit reads them from memory, in the database's order.
        extras_now = _extras(
            order,
            sorted(planned, key=lambda line: line.pk),
            sorted(rows, key=lambda row: (row.due_date, row.pk)),
        )
    else:  # a backend that does not return the new keys
        extras_now = _extras(order)
    extras = {k: [None, v] for k, v in extras_now.items() if v}
    audit.record_created(actor, order, ("number", "status", *HEADER_FIELDS), also=extras)
    return order


@transaction.atomic
def create_order_from_quote(
    quote: Quote,
    *,
    actor: Employee | None,
    warehouse: Warehouse,
    order_date: dt.date | None = None,
    delivery_date: dt.date | None = None,
    contract: Contract | None = None,
    installments: Sequence[finance.InstallmentInput] = (),
    delivery_address: str = "",
    receiver: str = "",
    receiver_phone: str = "",
    note: str = "",
) -> SalesOrder:
    """A draft order from a sent or accepted quote: its customer, products, quantities and prices
    (price source QUOTE). A quote may give more than one order."""
    lines = [OrderLineInput(line.product_id, line.quantity) for line in quote.lines.order_by("id")]
    return create_order(
        actor=actor,
        customer=quote.customer,
        warehouse=warehouse,
        lines=lines,
        order_date=order_date,
        delivery_date=delivery_date,
        contract=contract,
        quote=quote,
        installments=installments,
        delivery_address=delivery_address,
        receiver=receiver,
        receiver_phone=receiver_phone,
        note=note,
    )


def _locked(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)


@contextmanager
def _lines_read_once(order: SalesOrder) -> Iterator[list[SalesOrderLine]]:
    """Read the order's lines once for one workflow step (which does not change them): its amount,
    the approval's amount and title and the reservation all use that read. Afterwards the caller's
    copy reads them from the database again."""
    cache = order.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop("lines", None)
    try:
        prefetch_related_objects([order], "lines")
        yield list(order.lines.all())
    finally:
        cache.pop("lines", None)


def _sync(order: SalesOrder, locked: SalesOrder) -> None:
    """Give the caller's copy what the service wrote on the locked row."""
    for field in ("status", "updated_at", "approved_at", "credit_override_reason"):
        setattr(order, field, getattr(locked, field))


@transaction.atomic
def update_order(
    order: SalesOrder,
    *,
    actor: Employee | None,
    customer: Customer,
    warehouse: Warehouse,
    lines: Sequence[OrderLineInput],
    order_date: dt.date | None = None,
    delivery_date: dt.date | None = None,
    contract: Contract | None = None,
    installments: Sequence[finance.InstallmentInput] = (),
    delivery_address: str = "",
    receiver: str = "",
    receiver_phone: str = "",
    note: str = "",
    version: int | None = None,
) -> SalesOrder:
    """Change a draft or rejected order: header, the whole set of lines (blank prices are proposed
    again) and the plan. The source quote stays; the owner follows the customer."""
    require_permission(actor, "sales.change_salesorder")
    _in_scope(actor, order)
    locked = _locked(order)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    customer, owner = _check_customer(actor, customer)
    order_date = order_date or locked.order_date
    warehouse = _check_header(customer, warehouse, order_date, delivery_date, contract, locked.quote)
    planned = _plan_lines(actor, customer, lines, contract=contract, quote=locked.quote)
    plan = _check_plan(_amount_of(planned), installments)
    claim(locked, version, history=history_of)
    before = {**audit.snapshot(locked, ("owner", *HEADER_FIELDS)), **_extras(locked)}
    locked.owner, locked.department = owner, owner.department
    locked.customer, locked.warehouse, locked.contract = customer, warehouse, contract
    locked.order_date, locked.delivery_date = order_date, delivery_date
    locked.delivery_address = (delivery_address or "").strip() or customer.address
    locked.receiver, locked.receiver_phone = (receiver or "").strip(), (receiver_phone or "").strip()
    locked.note, locked.updated_at = (note or "").strip(), timezone.now()
    locked.save()
    _write(locked, planned, plan)
    after = {**audit.snapshot(locked, ("owner", *HEADER_FIELDS)), **_extras(locked)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", locked, changes)
    return locked


# Workflow ----------------------------------------------------------------------------------------------


@transaction.atomic
def submit_order(order: SalesOrder, *, actor: Employee) -> SalesOrder:
    """提交审核 to the owner's department manager (or the approval rules' approvers)."""
    require_permission(actor, "sales.change_salesorder")
    _in_scope(actor, order)
    with _lines_read_once(order) as lines:
        if not lines:
            raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
        _check_plan(
            order.amount, [finance.InstallmentInput(i.due_date, i.amount) for i in order.installments.all()]
        )
        if not order.customer.is_active:
            raise DomainError(
                _("客户“%(name)s”已停用。"), code="invalid", field="customer", name=order.customer.name
            )
        if not order.warehouse.is_active:
            raise DomainError(_("请选择启用中的仓库。"), code="invalid", field="warehouse")
        approvals.submit_step(order, actor=actor, scope_checked=True)
    return order


@transaction.atomic
def withdraw_order(order: SalesOrder, *, actor: Employee) -> SalesOrder:
    """撤回 a submitted order before it is decided; it is a draft again."""
    require_permission(actor, "sales.change_salesorder")
    _in_scope(actor, order)
    approvals.withdraw(order, actor=actor)
    return order


@transaction.atomic
def reject_order(order: SalesOrder, *, actor: Employee, reason: str) -> SalesOrder:
    """驳回 with a reason (the plain workflow); the order can be edited and submitted again."""
    approvals.reject(order, actor=actor, reason=reason)
    return order


def collection_plan(order: SalesOrder, amount: Decimal | None = None) -> list[finance.InstallmentInput]:
    """The order's installments, or one installment due DEFAULT_CREDIT_DAYS after the requested
    delivery date (the order date when there is none) for the order's amount (`amount`, when the
    caller has just computed it)."""
    plan = [
        finance.InstallmentInput(i.due_date, i.amount) for i in order.installments.order_by("due_date", "id")
    ]
    if plan:
        return plan
    start = order.delivery_date or order.order_date
    return [
        finance.InstallmentInput(
            start + dt.timedelta(days=DEFAULT_CREDIT_DAYS), order.amount if amount is None else amount
        )
    ]


def _check_credit(customer: Customer, amount: Decimal, *, actor: Employee, reason: str) -> str:
    """Refuse when outstanding + this order exceeds the customer's limit (0: no limit), unless a
    permitted approver gives a reason; returns the reason kept on the order ("" when within)."""
    if not customer.credit_limit > 0:  # no limit: what is outstanding does not matter
        return ""
    position = selectors.credit_position(customer)
    if not position.has_limit or position.outstanding + amount <= position.limit:
        return ""
    reason = (reason or "").strip()[:MAX_REASON]
    permitted = actor.user.has_perm(OVERRIDE_CREDIT)
    if permitted and reason:
        return reason
    figures = {
        "customer": customer.name,
        "outstanding": f"{position.outstanding:.2f}",
        "amount": f"{amount:.2f}",
        "total": f"{position.outstanding + amount:.2f}",
        "limit": f"{position.limit:.2f}",
    }
    if permitted:
        raise CreditLimitExceeded(
            _(
                "客户“%(customer)s”超出信用额度：未收款 %(outstanding)s + 本单 %(amount)s = %(total)s，"
                "信用额度 %(limit)s。如确需审核，请填写超信用额度原因。"
            ),
            field="credit_override_reason",
            **figures,
        )
    raise CreditLimitExceeded(
        _(
            "客户“%(customer)s”超出信用额度：未收款 %(outstanding)s + 本单 %(amount)s = %(total)s，"
            "信用额度 %(limit)s。"
        ),
        **figures,
    )


@transaction.atomic
def approve_order(
    order: SalesOrder, *, actor: Employee, comment: str = "", credit_override_reason: str = ""
) -> SalesOrder:
    """审核通过 by a named approver: the stock is reserved, the credit limit checked and the
    receivable opened; the order enters logistics' list to ship. A refusal changes nothing."""
    previous = (order.status, order.updated_at)
    try:
        approvals.approve_step(order, actor=actor, comment=comment)
        with _lines_read_once(order) as lines:
            ledger.reserve_step(
                [ledger.Hold(line.product_id, order.warehouse_id, line.quantity) for line in lines],
                source=order.ref,
                actor=actor,
            )
            customer = Customer.objects.select_for_update().get(pk=order.customer_id)
            amount = order.amount
        override = _check_credit(customer, amount, actor=actor, reason=credit_override_reason)
    except DomainError:
        order.status, order.updated_at = previous
        raise
    now = timezone.now()
    SalesOrder.objects.filter(pk=order.pk).update(approved_at=now, credit_override_reason=override)
    order.approved_at, order.credit_override_reason = now, override
    if override:
        audit.record(actor, "update", order, {"credit_override_reason": ["", override]}, note=override)
    if amount > 0:
        finance.open_obligation_step(
            direction=Direction.RECEIVABLE,
            actor=actor,
            party=as_party(customer),
            amount=amount,
            issued_on=timezone.localdate(),
            installments=collection_plan(order, amount),
            source=order.ref,
            owner=order.owner,
        )
    return order


@transaction.atomic
def unapprove_order(order: SalesOrder, *, actor: Employee, reason: str) -> SalesOrder:
    """反审核 by an approver while nothing was shipped or collected: the reservation is released,
    the receivable reversed, and the order is a draft again."""
    locked = _locked(order)
    if locked.has_downstream():
        raise HasDownstream(_("销售订单 %(number)s 已有发货或收款，不能反审核。"), number=locked.number)
    approvals.unapprove(locked, actor=actor, reason=reason)
    reason = required_reason(reason)
    ledger.release(locked.ref, actor=actor)
    finance.reverse_for_source(locked.ref, actor=actor, reason=reason)
    SalesOrder.objects.filter(pk=locked.pk).update(approved_at=None, credit_override_reason="")
    locked.approved_at, locked.credit_override_reason = None, ""
    _sync(order, locked)
    return order


@transaction.atomic
def cancel_order(order: SalesOrder, *, actor: Employee, reason: str = "") -> SalesOrder:
    """作废 a draft or rejected order, or an approved one nothing was shipped or collected for (with
    a reason: its reservation is released and its receivable reversed)."""
    require_permission(actor, "sales.change_salesorder")
    _in_scope(actor, order)
    locked = _locked(order)
    if locked.status in (Status.APPROVED, Status.IN_PROGRESS, Status.DONE):
        if locked.has_downstream():
            raise HasDownstream(_("销售订单 %(number)s 已有发货或收款，不能作废。"), number=locked.number)
        reason = required_reason(reason)
        old = transition(locked, "cancel")
        ledger.release(locked.ref, actor=actor)
        finance.reverse_for_source(locked.ref, actor=actor, reason=reason)
        audit.record_status_change(actor, "cancel", locked, old, note=reason)
    else:
        approvals.cancel(locked, actor=actor, reason=reason)
    _sync(order, locked)
    return order
