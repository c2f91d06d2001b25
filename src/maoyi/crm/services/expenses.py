"""Writes to expenses (费用), a document with approval: a salesperson applies for money they spent on
the company's business (category, amount, what for, the customer or campaign it served), submits it
to their department manager, who approves or rejects it with a reason in the approval inbox, and
finance pays it. Approval opens a payable to the applicant (an employee party of the money ledger);
the payment settles it and the expense is done (已支付). Each function is one transaction that checks
the permission and the data scope, validates, writes and audits.

An expense is the applicant's own: its owner is the actor who applies, with their department, so it
is seen by them, their managers and finance. 反审核 reverses the payable while it is unpaid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.core.documents import ACTION_LABELS, Status, transition
from maoyi.core.errors import DomainError, HasDownstream, InvalidState, NotFoundInScope, PermissionRefused
from maoyi.core.money import quantize_money
from maoyi.core.permissions import require_permission
from maoyi.crm.models import Campaign, Customer, Expense, ExpenseCategory
from maoyi.crm.selectors import expenses as selectors
from maoyi.finance import employees as employee_parties
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, Obligation, PaymentMethod, Settlement
from maoyi.org import scope
from maoyi.org.models import Employee

HEADER_FIELDS = ("category", "amount", "incurred_on", "description", "customer", "campaign")
DESCRIPTION_MAX = 1000
REFERENCE_MAX = 100
NOTE_MAX = 500
MAX_AMOUNT = Decimal("10000000")  # 一千万: far above any single expense claim


# Checks ---------------------------------------------------------------------------------------------


def _check_expense(actor: Employee | None, expense: Expense) -> None:
    if actor is not None and not scope.can_view(actor.user, expense):
        raise NotFoundInScope()


def _check_applicant(actor: Employee | None, expense: Expense) -> None:
    """A claim is its applicant's: a manager who may see it approves or rejects it, never edits it."""
    _check_expense(actor, expense)
    if actor is not None and actor.pk != expense.owner_id:
        raise PermissionRefused(_("只有申请人本人可以修改、提交、撤回或作废这笔费用。"))


def _clean_category(category: str) -> str:
    if category not in ExpenseCategory.values:
        raise DomainError(_("请选择费用类别。"), code="invalid", field="category")
    return category


def _clean_amount(amount: Decimal | None) -> Decimal:
    if amount is None:
        raise DomainError(_("请填写金额。"), code="invalid", field="amount")
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("金额无效。"), code="invalid", field="amount") from None
    if not amount.is_finite():
        raise DomainError(_("金额无效。"), code="invalid", field="amount")
    if amount <= 0:
        raise DomainError(_("金额必须大于零。"), code="invalid", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("金额最多保留两位小数。"), code="invalid", field="amount")
    if amount > MAX_AMOUNT:
        raise DomainError(
            _("金额不能超过 %(max)s。"), code="invalid", field="amount", max=f"{MAX_AMOUNT:,.2f}"
        )
    return quantize_money(amount)


def _clean_incurred_on(incurred_on: dt.date | None) -> dt.date:
    if incurred_on is None:
        raise DomainError(_("请填写发生日期。"), code="invalid", field="incurred_on")
    if incurred_on > timezone.localdate():
        raise DomainError(_("发生日期不能晚于今天。"), code="invalid", field="incurred_on")
    return incurred_on


def _clean_description(description: str) -> str:
    text = (description or "").strip()
    if not text:
        raise DomainError(_("请填写费用说明。"), code="invalid", field="description")
    if len(text) > DESCRIPTION_MAX:
        raise DomainError(
            _("费用说明不能超过 %(max)s 个字。"), code="invalid", field="description", max=DESCRIPTION_MAX
        )
    return text


def _check_customer(actor: Employee | None, customer: Customer | None) -> None:
    """The customer must be one the actor may see (others: not found, as if missing)."""
    if customer is None or actor is None:
        return
    if not actor.user.has_perm("crm.view_customer") or not scope.can_view(actor.user, customer):
        raise NotFoundInScope()


def _check_campaign(actor: Employee | None, campaign: Campaign | None) -> None:
    """A cancelled campaign (已取消) takes no new expenses."""
    if campaign is None:
        return
    if actor is not None and not actor.user.has_perm("crm.view_campaign"):
        raise NotFoundInScope()
    current = Campaign.objects.filter(pk=campaign.pk).values_list("is_cancelled", flat=True).first()
    if current is None:
        raise NotFoundInScope()
    if current:
        raise DomainError(
            _("市场活动“%(name)s”已取消，不能再报费用。"),
            code="invalid",
            field="campaign",
            name=campaign.name,
        )


def _clean(
    actor: Employee | None,
    *,
    category: str,
    amount: Decimal | None,
    incurred_on: dt.date | None,
    description: str,
    customer: Customer | None,
    campaign: Campaign | None,
) -> tuple[str, Decimal, dt.date, str]:
    category = _clean_category(category)
    value = _clean_amount(amount)
    day = _clean_incurred_on(incurred_on)
    text = _clean_description(description)
    _check_customer(actor, customer)
    _check_campaign(actor, campaign)
    return category, value, day, text


def _not_now(expense: Expense, action: str, status: str | None = None) -> InvalidState:
    """The document message (单据 … 当前状态为“…”，不能…。) with the expense's own status label."""
    return InvalidState(
        _("单据 %(number)s 当前状态为“%(status)s”，不能%(action)s。"),
        number=expense.number,
        status=selectors.status_label(status or expense.status),
        action=ACTION_LABELS[action],
    )


def _check_state(expense: Expense, action: str) -> None:
    """Refuse early, in the expense's words (a paid one reads 已支付), when the stored status does
    not allow `action`; the workflow's conditional update still guards against a race."""
    current = Expense.objects.filter(pk=expense.pk).values_list("status", flat=True).get()
    if current not in Expense.TRANSITIONS[action][0]:
        raise _not_now(expense, action, current)


# Apply, edit, submit, withdraw, cancel ------------------------------------------------------------


@transaction.atomic
def create_expense(
    *,
    actor: Employee,
    category: str,
    amount: Decimal | None,
    incurred_on: dt.date | None,
    description: str,
    customer: Customer | None = None,
    campaign: Campaign | None = None,
) -> Expense:
    """A draft expense of the actor (the applicant), charged to a customer they may see and/or a
    campaign that is not cancelled."""
    require_permission(actor, "crm.add_expense")
    category, value, day, text = _clean(
        actor,
        category=category,
        amount=amount,
        incurred_on=incurred_on,
        description=description,
        customer=customer,
        campaign=campaign,
    )
    expense = Expense(
        owner=actor,
        department=actor.department,
        created_by=actor.user,
        category=category,
        amount=value,
        incurred_on=day,
        description=text,
        customer=customer,
        campaign=campaign,
    )
    approvals.assign_number(expense)
    expense.save()
    audit.record_created(actor, expense, ("number", "status", *HEADER_FIELDS))
    return expense


@transaction.atomic
def update_expense(
    expense: Expense,
    *,
    actor: Employee,
    category: str,
    amount: Decimal | None,
    incurred_on: dt.date | None,
    description: str,
    customer: Customer | None = None,
    campaign: Campaign | None = None,
) -> Expense:
    """Change a draft or rejected expense; the applicant stays."""
    require_permission(actor, "crm.change_expense")
    _check_applicant(actor, expense)
    locked = Expense.objects.select_for_update().get(pk=expense.pk)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=selectors.status_label(locked.status),
        )
    category, value, day, text = _clean(
        actor,
        category=category,
        amount=amount,
        incurred_on=incurred_on,
        description=description,
        # An unchanged customer or campaign stays even if it would not be chosen now (only the
        # campaign's cancellation is checked again).
        customer=customer if customer is None or customer.pk != locked.customer_id else None,
        campaign=campaign,
    )
    before = audit.snapshot(locked, HEADER_FIELDS)
    locked.category, locked.amount, locked.incurred_on, locked.description = category, value, day, text
    locked.customer, locked.campaign = customer, campaign
    locked.updated_at = timezone.now()
    locked.save()
    if changes := audit.diff(before, audit.snapshot(locked, HEADER_FIELDS)):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def submit_expense(expense: Expense, *, actor: Employee) -> Expense:
    """提交审核: to the approvers the rules name (by default the applicant's nearest manager)."""
    require_permission(actor, "crm.change_expense")
    _check_applicant(actor, expense)
    _check_state(expense, "submit")
    if expense.campaign_id is not None:
        _check_campaign(None, expense.campaign)
    approvals.submit(expense, actor=actor)
    return expense


@transaction.atomic
def withdraw_expense(expense: Expense, *, actor: Employee) -> Expense:
    """撤回 a submitted expense before a decision; it is a draft again."""
    require_permission(actor, "crm.change_expense")
    _check_applicant(actor, expense)
    _check_state(expense, "withdraw")
    approvals.withdraw(expense, actor=actor)
    return expense


@transaction.atomic
def cancel_expense(expense: Expense, *, actor: Employee, reason: str = "") -> Expense:
    """作废 a draft or rejected expense; it keeps its number."""
    require_permission(actor, "crm.change_expense")
    _check_applicant(actor, expense)
    _check_state(expense, "cancel")
    approvals.cancel(expense, actor=actor, reason=reason)
    return expense


# Approval (registered with maoyi.approvals.registry: the inbox and the API call these) -------------


@transaction.atomic
def approve_expense(expense: Expense, *, actor: Employee, comment: str = "") -> Expense:
    """审核通过: the company owes the applicant the amount, a payable due today, owned by them."""
    approvals.approve(expense, actor=actor, comment=comment)
    today = timezone.localdate()
    now = timezone.now()
    Expense.objects.filter(pk=expense.pk).update(approved_at=now)
    expense.approved_at = now
    finance.open_obligation(
        direction=Direction.PAYABLE,
        actor=actor,
        party=employee_parties.as_party(expense.owner),
        amount=expense.amount,
        issued_on=today,
        due_date=today,
        source=expense.ref,
        owner=expense.owner,
    )
    return expense


@transaction.atomic
def unapprove_expense(expense: Expense, *, actor: Employee, reason: str) -> Expense:
    """反审核 while unpaid: the payable is reversed and the expense is a draft again."""
    if expense.has_downstream():
        raise HasDownstream(_("费用 %(number)s 已支付，不能反审核。"), number=expense.number)
    approvals.unapprove(expense, actor=actor, reason=reason)
    Expense.objects.filter(pk=expense.pk).update(approved_at=None)
    expense.approved_at = None
    finance.reverse_for_source(expense.ref, actor=actor, reason=reason)
    return expense


# Payment --------------------------------------------------------------------------------------------


def _live_payable(expense: Expense) -> Obligation | None:
    """The live (not reversed) payable the expense's approval opened."""
    return finance_selectors.opened_by(expense.DOCUMENT_TYPE, [expense.pk], direction=Direction.PAYABLE).get(
        expense.pk
    )


@transaction.atomic
def pay_expense(
    expense: Expense,
    *,
    actor: Employee,
    paid_on: dt.date | None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    note: str = "",
) -> Settlement:
    """支付: finance pays an approved expense to the applicant; the payment settles the whole
    payable and the expense is done (已支付)."""
    require_permission(actor, "crm.pay_expense")
    require_permission(actor, "finance.add_payment")
    _check_expense(actor, expense)
    locked = Expense.objects.select_for_update().select_related("owner").get(pk=expense.pk)
    if locked.status != Status.APPROVED:
        raise _not_now(locked, "pay")
    if paid_on is None:
        raise DomainError(_("请填写支付日期。"), code="invalid", field="paid_on")
    if paid_on > timezone.localdate():
        raise DomainError(_("支付日期不能晚于今天。"), code="invalid", field="paid_on")
    if method not in PaymentMethod.values:
        raise DomainError(_("结算方式无效。"), code="invalid", field="method")
    reference = (reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        raise DomainError(
            _("参考号不能超过 %(max)s 个字。"), code="invalid", field="reference", max=REFERENCE_MAX
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("备注不能超过 %(max)s 个字。"), code="invalid", field="note", max=NOTE_MAX)
    payable = _live_payable(locked)
    if payable is None or payable.outstanding != locked.amount:
        # Approval always opens it; someone paid or reversed it in the ledger by hand.
        raise InvalidState(
            _("费用 %(number)s 的应付款已在财务中处理，请核对后再支付。"), number=locked.number
        )
    payment = finance.record_settlement(
        direction=Direction.PAYABLE,
        actor=actor,
        party=employee_parties.as_party(locked.owner),
        amount=locked.amount,
        occurred_on=paid_on,
        method=method,
        reference=reference,
        note=note or locked.number,
        allocations=[finance.AllocationInput(obligation_id=payable.pk, amount=locked.amount)],
        owner=locked.owner,
    )
    transition(locked, "pay", payment=payment, paid_on=paid_on)
    audit.record(
        actor,
        "pay",
        locked,
        {
            "status": [str(Status.APPROVED.label), selectors.status_label(Status.DONE)],
            "payment": [None, payment.number],
            "paid_on": [None, paid_on.isoformat()],
        },
    )
    expense.status, expense.payment, expense.paid_on = locked.status, payment, paid_on
    return payment
