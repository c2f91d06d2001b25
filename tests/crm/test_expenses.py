"""Expenses (费用): a salesperson applies (category, amount, what for, customer or campaign), the
department manager approves (the payable to the applicant opens) or rejects with a reason, finance
pays (a payment settles the payable, the expense is done); every refusal with its exact code and
message and nothing changed; data scope; the lists' filters and totals; the money ledger stays whole.

The builders at the top are shared with the page and API tests."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from maoyi.approvals import registry
from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.models import Campaign, CampaignKind, Customer, Expense, ExpenseCategory
from maoyi.crm.selectors import expenses as selectors
from maoyi.crm.services import expenses as services
from maoyi.finance import employees as employee_parties
from maoyi.finance import services as finance
from maoyi.finance.models import Allocation, Installment, Obligation, PaymentMethod, Settlement
from maoyi.finance.selectors import ledger_mismatches
from maoyi.org.models import Employee
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import make_employee

_codes = itertools.count(1)


@dataclass
class Book:
    xiehe: Customer  # rep_a1's
    ruijin: Customer  # rep_a2's
    agent: Customer  # rep_b1's (team B)
    expo: Campaign  # open
    cancelled: Campaign  # is_cancelled


def make_campaign(company: Company, name: str, *, cancelled: bool = False) -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(
        code=f"HD{next(_codes):04d}",
        name=name,
        kind=CampaignKind.EXHIBITION,
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=30),
        owner=company.manager_a,
        department=company.team_a,
        created_by=company.manager_a.user,
        is_cancelled=cancelled,
        cancel_reason="展会延期" if cancelled else "",
    )


def make_expense_book(company: Company) -> Book:
    return Book(
        xiehe=make_customer(company.rep_a1, "北京协和医院"),
        ruijin=make_customer(company.rep_a2, "上海瑞金医院"),
        agent=make_customer(company.rep_b1, "广州代理商", kind="distributor"),
        expo=make_campaign(company, "2026 春季医疗器械展"),
        cancelled=make_campaign(company, "华南渠道培训会", cancelled=True),
    )


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def make_expense(actor: Employee, amount: str = "860.00", **fields: Any) -> Expense:
    fields.setdefault("category", ExpenseCategory.TRAVEL)
    fields.setdefault("incurred_on", days_ago(3))
    fields.setdefault("description", "拜访协和医院设备科，往返高铁票")
    return services.create_expense(actor=actor, amount=D(amount), **fields)


def approved_expense(company: Company, amount: str = "860.00", **fields: Any) -> Expense:
    """rep_a1's expense, submitted and approved by manager_a (the payable is open)."""
    expense = make_expense(company.rep_a1, amount, **fields)
    services.submit_expense(expense, actor=company.rep_a1)
    services.approve_expense(expense, actor=company.manager_a, comment="同意")
    expense.refresh_from_db()
    return expense


WATCHED: tuple[Any, ...] = (
    Expense,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    Obligation,
    Installment,
    Settlement,
    Allocation,
)


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m._base_manager.order_by("pk").values()) for m in WATCHED}


@contextmanager
def nothing_changed() -> Iterator[None]:
    """`with nothing_changed(): …` asserts the block leaves expenses, approvals, the audit trail and the
    money ledger as they were."""
    before = state()
    yield
    assert state() == before


@pytest.fixture(autouse=True)
def ledger_stays_whole(company: Company) -> Iterator[None]:
    """Whatever a test did (or was refused), the money ledger's derived figures still add up."""
    yield
    assert ledger_mismatches() == []


@pytest.fixture
def book(company: Company) -> Book:
    return make_expense_book(company)


def refused(call: Any, code: str, message: str, field: str | None = None) -> None:
    with nothing_changed(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def payables_of(expense: Expense) -> list[Obligation]:
    return list(Obligation.objects.filter(source_type="expense", source_id=expense.pk).order_by("id"))


# Applying --------------------------------------------------------------------------------------------


def test_a_salesperson_applies_for_their_own_expense_charged_to_a_customer_and_a_campaign(company, book):
    expense = make_expense(company.rep_a1, "1280.50", customer=book.xiehe, campaign=book.expo)
    expense.refresh_from_db()
    assert expense.number.startswith("FY") and expense.status == Status.DRAFT
    assert (expense.owner, expense.department, expense.created_by) == (
        company.rep_a1,
        company.team_a,
        company.rep_a1.user,
    )
    assert (expense.amount, expense.customer, expense.campaign) == (D("1280.50"), book.xiehe, book.expo)
    entry = AuditEntry.objects.get(content_type__model="expense", action="create")
    assert entry.changes["amount"] == [None, "1280.50"] and entry.changes["category"] == [None, "差旅费"]
    assert not Obligation.objects.exists()  # nothing is owed before approval


def test_an_expense_may_name_neither_customer_nor_campaign(company, book):
    expense = make_expense(company.purchaser, "35", category=ExpenseCategory.TRANSPORT)
    assert (expense.customer, expense.campaign, expense.owner) == (None, None, company.purchaser)


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"amount": D("0")}, "金额必须大于零。", "amount"),
        ({"amount": D("-5")}, "金额必须大于零。", "amount"),
        ({"amount": D("10.005")}, "金额最多保留两位小数。", "amount"),
        ({"amount": D("NaN")}, "金额无效。", "amount"),
        ({"amount": D("Infinity")}, "金额无效。", "amount"),
        ({"amount": D("10000000.01")}, "金额不能超过 10,000,000.00。", "amount"),
        ({"amount": None}, "请填写金额。", "amount"),
        (
            {"incurred_on": timezone.localdate() + dt.timedelta(days=1)},
            "发生日期不能晚于今天。",
            "incurred_on",
        ),
        ({"incurred_on": None}, "请填写发生日期。", "incurred_on"),
        ({"description": "  "}, "请填写费用说明。", "description"),
        ({"description": "字" * 1001}, "费用说明不能超过 1000 个字。", "description"),
        ({"category": "bribes"}, "请选择费用类别。", "category"),
    ],
)
def test_bad_expenses_are_refused_and_nothing_is_written(company, book, fields, message, field):
    values = {
        "category": ExpenseCategory.TRAVEL,
        "amount": D("100"),
        "incurred_on": days_ago(1),
        "description": "出差",
        **fields,
    }
    refused(lambda: services.create_expense(actor=company.rep_a1, **values), "invalid", message, field)


def test_the_biggest_amount_allowed_and_today_are_accepted(company, book):
    expense = make_expense(company.rep_a1, "10000000.00", incurred_on=timezone.localdate())
    assert expense.amount == D("10000000.00")


def test_a_customer_the_applicant_may_not_see_is_not_found_and_nothing_is_written(company, book):
    with nothing_changed(), pytest.raises(NotFoundInScope):
        make_expense(company.rep_a1, customer=book.agent)
    with nothing_changed(), pytest.raises(NotFoundInScope):
        make_expense(company.rep_a1, customer=book.ruijin)  # a teammate's customer
    with nothing_changed(), pytest.raises(NotFoundInScope):
        make_expense(company.purchaser, customer=book.xiehe)  # no customer permission at all
    assert make_expense(company.manager_a, customer=book.ruijin).customer == book.ruijin  # in his team


def test_a_cancelled_campaign_takes_no_new_expenses(company, book):
    refused(
        lambda: make_expense(company.rep_a1, campaign=book.cancelled),
        "invalid",
        "市场活动“华南渠道培训会”已取消，不能再报费用。",
        "campaign",
    )
    draft = make_expense(company.rep_a1, campaign=book.expo)
    Campaign.objects.filter(pk=book.expo.pk).update(is_cancelled=True)
    refused(
        lambda: services.submit_expense(draft, actor=company.rep_a1),
        "invalid",
        "市场活动“2026 春季医疗器械展”已取消，不能再报费用。",
        "campaign",
    )


def test_roles_without_the_add_permission_may_not_apply(company, book):
    refused(lambda: make_expense(company.finance_clerk), "permission_denied", "您的角色不能执行此操作。")


# Editing, submitting, withdrawing, cancelling --------------------------------------------------------


def test_submit_goes_to_the_department_manager_and_edits_wait_until_it_comes_back(company, book):
    expense = make_expense(company.rep_a1, "860", customer=book.xiehe)
    services.submit_expense(expense, actor=company.rep_a1)
    request = ApprovalRequest.objects.get(document_type="expense", object_id=expense.pk)
    assert list(request.approvers.all()) == [company.manager_a] and request.amount == D("860.00")
    refused(
        lambda: services.update_expense(
            expense,
            actor=company.rep_a1,
            category=ExpenseCategory.TRAVEL,
            amount=D("900"),
            incurred_on=days_ago(3),
            description="改",
        ),
        "invalid_state",
        f"单据 {expense.number} 当前状态为“待审核”，不能修改。",
    )
    services.withdraw_expense(expense, actor=company.rep_a1)
    expense.refresh_from_db()
    assert expense.status == Status.DRAFT
    updated = services.update_expense(
        expense,
        actor=company.rep_a1,
        category=ExpenseCategory.ENTERTAINMENT,
        amount=D("900"),
        incurred_on=days_ago(2),
        description="宴请设备科主任",
        customer=book.xiehe,
        campaign=book.expo,
    )
    assert (updated.category, updated.amount, updated.campaign) == ("entertainment", D("900.00"), book.expo)
    change = AuditEntry.objects.filter(content_type__model="expense", action="update").get()
    assert change.changes["amount"] == ["860.00", "900.00"]
    services.cancel_expense(updated, actor=company.rep_a1, reason="客户取消会面")
    updated.refresh_from_db()
    assert updated.status == Status.CANCELLED
    refused(
        lambda: services.submit_expense(updated, actor=company.rep_a1),
        "invalid_state",
        f"单据 {updated.number} 当前状态为“已作废”，不能提交。",
    )


def test_a_managers_own_expense_goes_to_the_manager_above(company, book):
    expense = make_expense(company.manager_a)
    services.submit_expense(expense, actor=company.manager_a)
    request = ApprovalRequest.objects.get(document_type="expense", object_id=expense.pk)
    assert list(request.approvers.all()) == [company.sales_head]


def test_a_rejected_expense_is_edited_and_submitted_again(company, book):
    expense = make_expense(company.rep_a1, "860")
    services.submit_expense(expense, actor=company.rep_a1)
    refused(
        lambda: registry.actions_for("expense").reject(expense, actor=company.manager_a, reason=" "),
        "reason_required",
        "请填写原因。",
        "reason",
    )
    registry.actions_for("expense").reject(expense, actor=company.manager_a, reason="请附发票")
    expense.refresh_from_db()
    assert expense.status == Status.REJECTED and not Obligation.objects.exists()
    services.update_expense(
        expense,
        actor=company.rep_a1,
        category=ExpenseCategory.TRAVEL,
        amount=D("860"),
        incurred_on=days_ago(3),
        description="高铁票，已附发票",
    )
    services.submit_expense(expense, actor=company.rep_a1)
    expense.refresh_from_db()
    assert expense.status == Status.SUBMITTED


def test_only_the_applicant_changes_submits_withdraws_or_cancels_their_claim(company, book, client_for):
    """The manager who may see a salesperson's rejected claim approves or rejects it; he never
    rewrites it, submits it or cancels it for them."""
    expense = make_expense(company.rep_a1, "860")
    services.submit_expense(expense, actor=company.rep_a1)
    message = "只有申请人本人可以修改、提交、撤回或作废这笔费用。"
    refused(lambda: services.withdraw_expense(expense, actor=company.manager_a), "permission_denied", message)
    registry.actions_for("expense").reject(expense, actor=company.manager_a, reason="请附发票")
    expense.refresh_from_db()
    for call in (
        lambda: services.update_expense(
            expense,
            actor=company.manager_a,
            category=ExpenseCategory.TRAVEL,
            amount=D("1"),
            incurred_on=days_ago(1),
            description="经理改的",
        ),
        lambda: services.submit_expense(expense, actor=company.manager_a),
        lambda: services.cancel_expense(expense, actor=company.manager_a, reason="不要了"),
    ):
        refused(call, "permission_denied", message)
    url = reverse("web:expense-detail", args=[expense.pk])
    page = client_for(company.manager_a).get(url).content.decode()
    assert 'data-testid="document-edit"' not in page and 'data-testid="document-submit"' not in page
    mine = client_for(company.rep_a1).get(url).content.decode()
    assert 'data-testid="document-submit"' in mine


# Approval ---------------------------------------------------------------------------------------------


def test_the_manager_approves_in_the_inbox_and_exactly_one_payable_to_the_applicant_opens(
    company, book, client_for
):
    expense = make_expense(company.rep_a1, "860", customer=book.xiehe)
    services.submit_expense(expense, actor=company.rep_a1)
    request = ApprovalRequest.objects.get(document_type="expense", object_id=expense.pk)
    boss = client_for(company.manager_a)
    inbox = boss.get(reverse("web:approval-inbox")).content.decode()
    assert expense.number in inbox
    page = boss.get(reverse("web:approval-detail", args=[request.pk])).content.decode()
    assert reverse("web:expense-detail", args=[expense.pk]) in page
    answer = boss.post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": "同意"})
    assert answer.status_code == 302
    expense.refresh_from_db()
    assert expense.status == Status.APPROVED and expense.approved_at is not None
    [payable] = payables_of(expense)
    today = timezone.localdate()
    assert (payable.direction, payable.party_kind, payable.party_id, payable.party_name) == (
        "payable",
        "employee",
        company.rep_a1.pk,
        "张伟",
    )
    assert (payable.amount, payable.outstanding, payable.status) == (D("860.00"), D("860.00"), "open")
    assert (payable.issued_on, payable.due_date, payable.source_number) == (today, today, expense.number)
    assert (payable.owner, payable.department) == (company.rep_a1, company.team_a)


def test_only_a_named_approver_approves(company, book):
    expense = make_expense(company.rep_a1)
    services.submit_expense(expense, actor=company.rep_a1)
    refused(
        lambda: services.approve_expense(expense, actor=company.rep_a2),
        "not_approver",
        "您不是这张单据的审批人。",
    )


def test_unapprove_before_payment_reverses_the_payable_and_the_expense_is_a_draft_again(company, book):
    expense = approved_expense(company)
    refused(
        lambda: services.unapprove_expense(expense, actor=company.rep_a2, reason="错了"),
        "not_approver",
        "您不是这张单据的审批人。",
    )
    services.unapprove_expense(expense, actor=company.manager_a, reason="金额需核实")
    expense.refresh_from_db()
    assert (expense.status, expense.approved_at) == (Status.DRAFT, None)
    [payable] = payables_of(expense)
    assert payable.status == "reversed" and payable.outstanding == 0


# Payment ---------------------------------------------------------------------------------------------


def test_finance_pays_an_approved_expense_and_the_payable_is_settled(company, book):
    expense = approved_expense(company, "860.00")
    payment = services.pay_expense(
        expense,
        actor=company.finance_clerk,
        paid_on=timezone.localdate(),
        method=PaymentMethod.BANK_TRANSFER,
        reference="ICBC-20260301-001",
    )
    expense.refresh_from_db()
    assert (expense.status, expense.payment, expense.paid_on) == (Status.DONE, payment, timezone.localdate())
    assert (payment.direction, payment.party_kind, payment.party_id) == (
        "payable",
        "employee",
        company.rep_a1.pk,
    )
    assert (payment.amount, payment.allocated, payment.reference) == (
        D("860.00"),
        D("860.00"),
        "ICBC-20260301-001",
    )
    [payable] = payables_of(expense)
    assert (payable.status, payable.outstanding) == ("settled", D("0.00"))
    assert Settlement.objects.count() == 1 and Allocation.objects.get().obligation_id == payable.pk
    entry = AuditEntry.objects.get(content_type__model="expense", action="pay")
    assert entry.changes == {
        "status": ["已审核", "已支付"],
        "payment": [None, payment.number],
        "paid_on": [None, timezone.localdate().isoformat()],
    }
    assert ledger_mismatches() == []


def test_paying_before_approval_twice_or_in_the_future_is_refused(company, book):
    draft = make_expense(company.rep_a1)
    today = timezone.localdate()
    refused(
        lambda: services.pay_expense(draft, actor=company.finance_clerk, paid_on=today),
        "invalid_state",
        f"单据 {draft.number} 当前状态为“草稿”，不能支付。",
    )
    services.submit_expense(draft, actor=company.rep_a1)
    refused(
        lambda: services.pay_expense(draft, actor=company.finance_clerk, paid_on=today),
        "invalid_state",
        f"单据 {draft.number} 当前状态为“待审核”，不能支付。",
    )
    expense = approved_expense(company)
    refused(
        lambda: services.pay_expense(
            expense, actor=company.finance_clerk, paid_on=today + dt.timedelta(days=1)
        ),
        "invalid",
        "支付日期不能晚于今天。",
        "paid_on",
    )
    refused(
        lambda: services.pay_expense(expense, actor=company.finance_clerk, paid_on=today, method="gold"),
        "invalid",
        "结算方式无效。",
        "method",
    )
    services.pay_expense(expense, actor=company.finance_clerk, paid_on=today)
    refused(
        lambda: services.pay_expense(expense, actor=company.finance_clerk, paid_on=today),
        "invalid_state",
        f"单据 {expense.number} 当前状态为“已支付”，不能支付。",
    )


def test_only_finance_pays(company, book):
    expense = approved_expense(company)
    today = timezone.localdate()
    for someone in (company.rep_a1, company.manager_a, company.admin):
        refused(
            lambda someone=someone: services.pay_expense(expense, actor=someone, paid_on=today),
            "permission_denied",
            "您的角色不能执行此操作。",
        )


def test_a_paid_expense_cannot_be_unapproved(company, book):
    expense = approved_expense(company)
    services.pay_expense(expense, actor=company.finance_clerk, paid_on=timezone.localdate())
    refused(
        lambda: services.unapprove_expense(expense, actor=company.manager_a, reason="重新核对"),
        "has_downstream",
        f"费用 {expense.number} 已支付，不能反审核。",
    )
    refused(
        lambda: services.cancel_expense(expense, actor=company.rep_a1, reason="x"),
        "invalid_state",
        f"单据 {expense.number} 当前状态为“已支付”，不能作废。",
    )


def test_a_payable_settled_by_hand_in_the_ledger_stops_a_second_payment(company, book):
    expense = approved_expense(company, "500")
    [payable] = payables_of(expense)
    finance.record_settlement(
        direction="payable",
        actor=company.finance_clerk,
        party=employee_parties.as_party(company.rep_a1),
        amount=D("500"),
        occurred_on=timezone.localdate(),
        allocations=[finance.AllocationInput(obligation_id=payable.pk, amount=D("500"))],
    )
    refused(
        lambda: services.pay_expense(expense, actor=company.finance_clerk, paid_on=timezone.localdate()),
        "invalid_state",
        f"费用 {expense.number} 的应付款已在财务中处理，请核对后再支付。",
    )


# Data scope -------------------------------------------------------------------------------------------


def test_who_sees_which_expenses(company, book):
    a1 = make_expense(company.rep_a1)
    a2 = make_expense(company.rep_a2)
    b1 = make_expense(company.rep_b1)
    mine = make_expense(company.purchaser)

    def seen(employee: Employee) -> set[int]:
        return {e.pk for e in selectors.expenses(employee.user)}

    assert seen(company.rep_a1) == {a1.pk}
    assert seen(company.rep_a2) == {a2.pk}
    assert seen(company.manager_a) == {a1.pk, a2.pk}
    assert seen(company.sales_head) == {a1.pk, a2.pk, b1.pk}
    assert seen(company.finance_clerk) == seen(company.admin) == {a1.pk, a2.pk, b1.pk, mine.pk}
    assert seen(company.purchaser) == {mine.pk}
    with pytest.raises(NotFoundInScope):
        selectors.expense(company.rep_a2.user, a1.pk)
    with pytest.raises(NotFoundInScope):
        selectors.expense(company.manager_a.user, b1.pk)
    assert selectors.expense(company.finance_clerk.user, b1.pk) == b1


def test_a_colleague_cannot_touch_an_expense(company, book):
    expense = make_expense(company.rep_a1)
    for call in (
        lambda: services.submit_expense(expense, actor=company.rep_a2),
        lambda: services.cancel_expense(expense, actor=company.rep_b1),
        lambda: services.update_expense(
            expense,
            actor=company.rep_a2,
            category=ExpenseCategory.TRAVEL,
            amount=D("1"),
            incurred_on=days_ago(1),
            description="x",
        ),
    ):
        with nothing_changed(), pytest.raises(NotFoundInScope):
            call()


# Lists and totals -------------------------------------------------------------------------------------


def test_lists_filter_and_total_by_person_category_customer_and_campaign(company, book):
    paid = approved_expense(company, "300.00", customer=book.xiehe, campaign=book.expo)
    services.pay_expense(paid, actor=company.finance_clerk, paid_on=timezone.localdate())
    approved = approved_expense(company, "200.00", category=ExpenseCategory.GIFTS, customer=book.xiehe)
    applied = make_expense(company.rep_a2, "50.25", customer=book.ruijin, campaign=book.expo)
    services.submit_expense(applied, actor=company.rep_a2)
    make_expense(company.rep_a2, "999.00")  # a draft counts for nothing
    boss = company.manager_a.user

    everything = selectors.expenses(boss)
    assert selectors.totals(everything) == selectors.Amounts(
        applied=D("50.25"), approved=D("200.00"), paid=D("300.00"), count=3
    )
    by_person = {
        r.label: (r.amounts.applied, r.amounts.approved, r.amounts.paid)
        for r in selectors.totals_by(everything, "person")
    }
    assert by_person == {
        "张伟": (D("0.00"), D("200.00"), D("300.00")),
        "陈静": (D("50.25"), D("0.00"), D("0.00")),
    }
    by_category = {r.label: r.amounts.total for r in selectors.totals_by(everything, "category")}
    assert by_category == {"差旅费": D("350.25"), "礼品费": D("200.00")}
    by_customer = {r.label: r.amounts.total for r in selectors.totals_by(everything, "customer")}
    assert by_customer == {"北京协和医院": D("500.00"), "上海瑞金医院": D("50.25")}
    by_campaign = [(r.key, r.label, r.amounts.total) for r in selectors.totals_by(everything, "campaign")]
    assert by_campaign == [
        (str(book.expo.pk), "2026 春季医疗器械展", D("350.25")),
        ("", "（未关联市场活动）", D("200.00")),
    ]

    def numbers(**filters: Any) -> list[str]:
        return [e.number for e in selectors.expenses(boss, **filters)]

    assert numbers(owner_id=company.rep_a2.pk, status="submitted") == [applied.number]
    assert numbers(category="gifts") == [approved.number]
    assert numbers(customer_id=book.xiehe.pk) == [approved.number, paid.number]
    assert numbers(campaign_id=book.expo.pk, status="done") == [paid.number]
    assert numbers(search="瑞金") == [applied.number]
    assert numbers(search=paid.number) == [paid.number]
    assert numbers(date_from=days_ago(3), date_to=days_ago(3)) != []
    assert numbers(date_to=days_ago(10)) == []
    assert [e.number for e in selectors.to_pay(company.finance_clerk.user)] == [approved.number]
    assert selectors.to_pay(company.rep_b1.user).count() == 0  # not in his scope


def test_to_pay_lists_the_oldest_approval_first(company, book):
    first = approved_expense(company, "10")
    second = approved_expense(company, "20")
    Expense.objects.filter(pk=second.pk).update(approved_at=first.approved_at - dt.timedelta(days=1))
    assert [e.pk for e in selectors.to_pay(company.finance_clerk.user)] == [second.pk, first.pk]


def test_a_reference_longer_than_the_ledger_keeps_is_refused(company, book):
    expense = approved_expense(company)
    refused(
        lambda: services.pay_expense(
            expense, actor=company.finance_clerk, paid_on=timezone.localdate(), reference="8" * 101
        ),
        "invalid",
        "参考号不能超过 100 个字。",
        "reference",
    )


# Concurrency ------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_paying_the_same_expense_at_once_make_one_payment(company, book):
    second_clerk = make_employee(company.finance, "finance", username="fin2", name="何敏")
    expense = approved_expense(company, "640.00")
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def pay(clerk_pk: int) -> None:
        try:
            clerk = Employee.objects.select_related("user").get(pk=clerk_pk)
            mine = Expense.objects.get(pk=expense.pk)
            barrier.wait(timeout=30)
            outcomes.append(services.pay_expense(mine, actor=clerk, paid_on=timezone.localdate()).number)
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(pk,)) for pk in (company.finance_clerk.pk, second_clerk.pk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == sorted([Settlement.objects.get().number, "invalid_state"], key=str)
    [payable] = payables_of(expense)
    assert (payable.status, payable.allocated) == ("settled", D("640.00"))
