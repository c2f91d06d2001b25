"""Writes to contracts (合同), a document with approval: create and edit while a draft or rejected,
submit to the approvers (the approval inbox approves or rejects with the default workflow),
withdraw, cancel (作废). Each function is one transaction that checks the permission and the data
scope, validates, writes and audits.

A contract is owned by its customer's owner (the salesperson responsible; the actor when the customer
is in the pool) and that owner's department, so it is seen like the customer. Lines are optional;
when there are lines and no amount is given, the amount is the sum of the lines. An accepted quote
becomes a contract with its lines (`create_contract_from_quote`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.crm.models import Contract, ContractLine, Customer, Quote, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.crm.services.quotes import PlannedLine, QuoteLineInput, plan_lines
from maoyi.org import scope
from maoyi.org.models import Employee, EmployeeStatus

ContractLineInput = QuoteLineInput  # product, quantity, unit_price (blank: the customer's price)
HEADER_FIELDS = ("customer", "quote", "title", "amount", "signed_on", "start_date", "end_date", "note")
TITLE_MAX = 200
MAX_AMOUNT = Decimal("1e16")


def _check_customer(actor: Employee | None, customer: Customer) -> None:
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()


def _check_contract(actor: Employee | None, contract: Contract) -> None:
    if actor is not None and not scope.can_view(actor.user, contract):
        raise NotFoundInScope()


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写合同名称。"), code="invalid", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(_("合同名称不能超过 %(max)s 个字。"), code="invalid", field="title", max=TITLE_MAX)
    return title


def _clean_dates(signed_on: dt.date | None, start_date: dt.date | None, end_date: dt.date | None) -> None:
    if signed_on is None:
        raise DomainError(_("请填写签订日期。"), code="invalid", field="signed_on")
    if start_date is None:
        raise DomainError(_("请填写开始日期。"), code="invalid", field="start_date")
    if end_date is None:
        raise DomainError(_("请填写结束日期。"), code="invalid", field="end_date")
    if end_date < start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), code="invalid", field="end_date")


def _lines_amount(planned: Sequence[PlannedLine]) -> Decimal:
    return quantize_money(sum((quantize_money(p.quantity * p.unit_price) for p in planned), Decimal("0")))


def _clean_amount(amount: Decimal | None, planned: Sequence[PlannedLine]) -> Decimal:
    if amount is None:
        if not planned:
            raise DomainError(_("请填写合同金额。"), code="invalid", field="amount")
        return _lines_amount(planned)
    amount = Decimal(amount)
    if not amount.is_finite() or amount >= MAX_AMOUNT:
        raise DomainError(_("合同金额无效。"), code="invalid", field="amount")
    if amount < 0:
        raise DomainError(_("合同金额不能为负数。"), code="invalid", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("合同金额最多保留两位小数。"), code="invalid", field="amount")
    return quantize_money(amount)


def _owner_of(customer: Customer, actor: Employee | None) -> Employee:
    owner = customer.owner
    if owner is not None and owner.status == EmployeeStatus.ACTIVE:
        return owner
    if actor is None:
        raise DomainError(_("客户在公海，请先领取客户。"), code="invalid", field="customer")
    return actor


def _plan(customer: Customer, lines: Sequence[QuoteLineInput]) -> list[PlannedLine]:
    return plan_lines(customer, lines) if lines else []


def _write_lines(contract: Contract, planned: Sequence[PlannedLine]) -> None:
    contract.lines.all().delete()
    ContractLine.objects.bulk_create(
        ContractLine(contract=contract, product=p.product, quantity=p.quantity, unit_price=p.unit_price)
        for p in planned
    )


def _lines_text(contract: Contract) -> str:
    return "；".join(
        f"{line.product.code} × {line.quantity.normalize():f} @ {line.unit_price.normalize():f}"
        for line in contract.lines.select_related("product").order_by("id")
    )


@transaction.atomic
def create_contract(
    *,
    actor: Employee | None,
    customer: Customer,
    title: str,
    signed_on: dt.date,
    start_date: dt.date,
    end_date: dt.date,
    amount: Decimal | None = None,
    lines: Sequence[QuoteLineInput] = (),
    quote: Quote | None = None,
    note: str = "",
) -> Contract:
    """A draft contract with a customer the actor may change (others: not found)."""
    require_permission(actor, "crm.add_contract")
    _check_customer(actor, customer)
    if not customer.is_active:
        raise DomainError(
            _("客户“%(name)s”已停用，不能签合同。"), code="invalid", field="customer", name=customer.name
        )
    if quote is not None and quote.customer_id != customer.pk:
        raise DomainError(_("报价单不属于这个客户。"), code="invalid", field="quote")
    title = _clean_title(title)
    _clean_dates(signed_on, start_date, end_date)
    planned = _plan(customer, lines)
    value = _clean_amount(amount, planned)
    owner = _owner_of(customer, actor)
    contract = Contract(
        owner=owner,
        department=owner.department,
        created_by=(actor or owner).user,
        customer=customer,
        quote=quote,
        title=title,
        amount=value,
        signed_on=signed_on,
        start_date=start_date,
        end_date=end_date,
        note=(note or "").strip(),
    )
    approvals.assign_number(contract)
    contract.save()
    _write_lines(contract, planned)
    also = {"lines": [None, _lines_text(contract)]} if planned else None
    audit.record_created(actor, contract, ("number", "status", *HEADER_FIELDS), also=also)
    return contract


@transaction.atomic
def create_contract_from_quote(
    quote: Quote,
    *,
    actor: Employee | None,
    signed_on: dt.date,
    start_date: dt.date,
    end_date: dt.date,
    title: str = "",
    note: str = "",
) -> Contract:
    """A draft contract from an accepted quote: its customer, lines and prices; the amount is their
    sum. One live contract per quote."""
    require_permission(actor, "crm.add_contract")
    _check_customer(actor, quote.customer)
    if quote.status != QuoteStatus.ACCEPTED:
        raise InvalidState(
            _("只有已接受的报价单才能生成合同（%(number)s 当前为“%(status)s”）。"),
            number=quote.number,
            status=quote.get_status_display(),
        )
    existing = selectors.contract_of_quote(quote)
    if existing is not None:
        raise InvalidState(
            _("报价单 %(number)s 已生成合同 %(contract)s。"), number=quote.number, contract=existing.number
        )
    lines = [
        QuoteLineInput(line.product_id, line.quantity, line.unit_price) for line in quote.lines.order_by("id")
    ]
    return create_contract(
        actor=actor,
        customer=quote.customer,
        title=title or f"{quote.customer.name} {quote.number}",
        signed_on=signed_on,
        start_date=start_date,
        end_date=end_date,
        lines=lines,
        quote=quote,
        note=note,
    )


@transaction.atomic
def update_contract(
    contract: Contract,
    *,
    actor: Employee | None,
    title: str,
    signed_on: dt.date,
    start_date: dt.date,
    end_date: dt.date,
    amount: Decimal | None = None,
    lines: Sequence[QuoteLineInput] = (),
    note: str = "",
    version: int | None = None,
) -> Contract:
    """Change a draft or rejected contract: header and the whole set of lines. The customer and the
    source quote stay."""
    require_permission(actor, "crm.change_contract")
    _check_contract(actor, contract)
    locked = Contract.objects.select_for_update().select_related("customer").get(pk=contract.pk)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    title = _clean_title(title)
    _clean_dates(signed_on, start_date, end_date)
    planned = _plan(locked.customer, lines)
    value = _clean_amount(amount, planned)
    claim(locked, version, history=history_of)
    before = {**audit.snapshot(locked, HEADER_FIELDS), "lines": _lines_text(locked)}
    locked.title, locked.amount, locked.note = title, value, (note or "").strip()
    locked.signed_on, locked.start_date, locked.end_date = signed_on, start_date, end_date
    locked.updated_at = timezone.now()
    locked.save()
    _write_lines(locked, planned)
    after = {**audit.snapshot(locked, HEADER_FIELDS), "lines": _lines_text(locked)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def submit_contract(contract: Contract, *, actor: Employee) -> Contract:
    """提交审核: to the approvers the rules name (by default the owner's nearest manager)."""
    require_permission(actor, "crm.change_contract")
    _check_contract(actor, contract)
    if not contract.customer.is_active:
        raise DomainError(
            _("客户“%(name)s”已停用。"), code="invalid", field="customer", name=contract.customer.name
        )
    approvals.submit(contract, actor=actor)
    return contract


@transaction.atomic
def withdraw_contract(contract: Contract, *, actor: Employee) -> Contract:
    require_permission(actor, "crm.change_contract")
    _check_contract(actor, contract)
    approvals.withdraw(contract, actor=actor)
    return contract


@transaction.atomic
def cancel_contract(contract: Contract, *, actor: Employee, reason: str = "") -> Contract:
    """作废 a draft or rejected contract; it keeps its number."""
    require_permission(actor, "crm.change_contract")
    _check_contract(actor, contract)
    approvals.cancel(contract, actor=actor, reason=reason)
    return contract
