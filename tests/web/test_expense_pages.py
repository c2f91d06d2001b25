"""费用 pages: the list (filters, totals, 按…汇总, empty state, finance's 待支付), the apply / edit form
(customers limited to the user's, no cancelled campaigns, errors on their fields), the detail with
its buttons by permission and state (submit, withdraw, cancel, 反审核, 支付 with its form), the
payable and payment linked once they exist, the customer's 费用 tab, 404 out of scope, and the list
in English."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.approvals.models import ApprovalRequest
from maoyi.core.documents import Status
from maoyi.crm.models import Expense
from maoyi.crm.services import expenses as services
from maoyi.finance.models import Settlement
from tests.crm.builders import grant_customer_permissions
from tests.crm.test_expenses import (  # noqa: F401  (ledger_stays_whole: the ledger check, autouse)
    Book,
    approved_expense,
    days_ago,
    ledger_stays_whole,
    make_expense,
    make_expense_book,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(company) -> Book:
    grant_customer_permissions()
    return make_expense_book(company)


def text(response) -> str:
    return response.content.decode()


def row_numbers(html: str) -> list[str]:
    return re.findall(r'data-testid="expense-link">([^<]+)<', html)


def form_post(**changes: object) -> dict[str, object]:
    post: dict[str, object] = {
        "category": "travel",
        "amount": "1,280.50",
        "incurred_on": days_ago(2).isoformat(),
        "description": "拜访协和医院设备科，往返高铁票",
        "customer": "",
        "campaign": "",
    }
    post.update(changes)
    return post


# List --------------------------------------------------------------------------------------------------


def test_the_list_shows_the_users_own_expenses_with_totals_and_an_empty_state(company, book, client_for):
    rep = client_for(company.rep_a1)
    empty = text(rep.get(reverse("web:expense-list")))
    assert "还没有费用申请。" in empty and 'data-testid="expense-create"' in empty
    mine = make_expense(company.rep_a1, "860.00", customer=book.xiehe)
    services.submit_expense(mine, actor=company.rep_a1)
    theirs = make_expense(company.rep_b1, "120.00")
    page = text(rep.get(reverse("web:expense-list")))
    assert row_numbers(page) == [mine.number]
    assert re.search(r'data-testid="total-applied">¥860.00<', page)
    assert 'data-testid="expense-to-pay"' not in page  # finance's quick filter only
    filtered = text(rep.get(reverse("web:expense-list"), {"status": "draft"}))
    assert row_numbers(filtered) == [] and "没有符合条件的费用。" in filtered
    assert rep.get(reverse("web:expense-detail", args=[theirs.pk])).status_code == 404
    assert client_for(company.rep_a2).get(reverse("web:expense-detail", args=[mine.pk])).status_code == 404


def test_the_manager_sees_the_team_and_groups_the_totals_by_each_dimension(company, book, client_for):
    paid = approved_expense(company, "300.00", customer=book.xiehe, campaign=book.expo)
    services.pay_expense(paid, actor=company.finance_clerk, paid_on=timezone.localdate())
    waiting = make_expense(company.rep_a2, "50.25", category="gifts", customer=book.ruijin)
    services.submit_expense(waiting, actor=company.rep_a2)
    other_team = make_expense(company.rep_b1, "70.00")
    services.submit_expense(other_team, actor=company.rep_b1)
    boss = client_for(company.manager_a)
    page = text(boss.get(reverse("web:expense-list")))
    assert set(row_numbers(page)) == {paid.number, waiting.number}
    assert 'data-testid="group-category"' in page
    for by, expected in (
        ("person", {"张伟": "¥300.00", "陈静": "¥50.25"}),
        ("category", {"差旅费": "¥300.00", "礼品费": "¥50.25"}),
        ("customer", {"北京协和医院": "¥300.00", "上海瑞金医院": "¥50.25"}),
        ("campaign", {"2026 春季医疗器械展": "¥300.00", "（未关联市场活动）": "¥50.25"}),
    ):
        grouped = boss.get(reverse("web:expense-list"), {"by": by}).context["grouped"]
        assert {row.label: f"¥{row.amounts.total:,.2f}" for row in grouped} == expected, by
    html = text(boss.get(reverse("web:expense-list"), {"by": "person", "owner": company.rep_a2.pk}))
    assert html.count('data-testid="group-row"') == 1 and "陈静" in html
    assert 'data-testid="expense-grouped"' in html and 'data-testid="expense-row"' not in html


def test_finance_sees_every_expense_and_filters_what_waits_for_payment(company, book, client_for):
    first = approved_expense(company, "10.00")
    second = approved_expense(company, "20.00")
    Expense.objects.filter(pk=second.pk).update(approved_at=first.approved_at - dt.timedelta(days=1))
    make_expense(company.rep_b1, "70.00")
    clerk = client_for(company.finance_clerk)
    page = text(clerk.get(reverse("web:expense-list")))
    assert len(row_numbers(page)) == 3 and 'data-testid="expense-to-pay"' in page
    to_pay = text(clerk.get(reverse("web:expense-list"), {"status": "to_pay"}))
    assert row_numbers(to_pay) == [second.number, first.number]  # oldest approval first
    assert client_for(company.purchaser).get(reverse("web:expense-list")).status_code == 200


# Form --------------------------------------------------------------------------------------------------


def test_the_form_offers_only_the_users_customers_and_open_campaigns_and_shows_errors_on_fields(
    company, book, client_for
):
    rep = client_for(company.rep_a1)
    url = reverse("web:expense-create")
    form = rep.get(url + f"?customer={book.xiehe.pk}")
    html = text(form)
    assert form.status_code == 200 and form.context["form"].initial["customer"] == book.xiehe.pk
    assert "北京协和医院" in html and "上海瑞金医院" not in html and "广州代理商" not in html
    assert "2026 春季医疗器械展" in html and "华南渠道培训会" not in html
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    bad = rep.post(url, form_post(incurred_on=future, customer=book.xiehe.pk))
    assert bad.status_code == 400 and bad.context["form"].errors == {
        "incurred_on": ["发生日期不能晚于今天。"]
    }
    bad = rep.post(url, form_post(amount="10.005"))
    assert bad.context["form"].errors == {"amount": ["金额最多保留两位小数。"]}
    outsider = rep.post(url, form_post(customer=book.agent.pk))
    assert outsider.status_code == 400 and "customer" in outsider.context["form"].errors
    assert not Expense.objects.exists()
    done = rep.post(url, form_post(customer=book.xiehe.pk, campaign=book.expo.pk))
    expense = Expense.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("web:expense-detail", args=[expense.pk])
    assert (expense.amount, expense.owner, expense.customer) == (D("1280.50"), company.rep_a1, book.xiehe)


def test_a_draft_is_edited_and_a_submitted_one_is_not(company, book, client_for):
    expense = make_expense(company.rep_a1, "100.00")
    rep = client_for(company.rep_a1)
    url = reverse("web:expense-edit", args=[expense.pk])
    assert rep.get(url).status_code == 200
    assert rep.post(url, form_post(amount="150", category="transport")).status_code == 302
    expense.refresh_from_db()
    assert (expense.amount, expense.category) == (D("150.00"), "transport")
    services.submit_expense(expense, actor=company.rep_a1)
    assert rep.get(url).status_code == 302
    assert rep.post(url, form_post(amount="1")).status_code == 302
    expense.refresh_from_db()
    assert expense.amount == D("150.00")
    assert client_for(company.rep_a2).get(url).status_code == 404


# Detail and workflow ----------------------------------------------------------------------------------


def test_the_applicant_submits_withdraws_and_cancels_from_the_detail_page(company, book, client_for):
    expense = make_expense(company.rep_a1)
    rep = client_for(company.rep_a1)
    url = reverse("web:expense-detail", args=[expense.pk])
    page = text(rep.get(url))
    for button in ("document-edit", "document-submit", "document-cancel"):
        assert f'data-testid="{button}"' in page
    assert 'data-testid="expense-pay"' not in page
    for tab in ("approvals", "attachments", "history"):
        assert rep.get(url, {"tab": tab}).status_code == 200
    assert rep.post(reverse("web:expense-submit", args=[expense.pk])).status_code == 302
    page = text(rep.get(url))
    assert 'data-testid="document-withdraw"' in page and 'data-testid="approval-link"' in page
    assert 'data-testid="document-submit"' not in page
    rep.post(reverse("web:expense-withdraw", args=[expense.pk]))
    rep.post(reverse("web:expense-cancel", args=[expense.pk]), {"reason": "重复申请"})
    expense.refresh_from_db()
    assert expense.status == Status.CANCELLED
    again = rep.post(reverse("web:expense-submit", args=[expense.pk]))
    assert again.status_code == 400
    assert f"单据 {expense.number} 当前状态为“已作废”，不能提交。" in text(again)


def test_finance_pays_from_the_detail_page_and_the_ledger_records_are_linked(company, book, client_for):
    expense = approved_expense(company, "860.00")
    url = reverse("web:expense-detail", args=[expense.pk])
    rep_page = text(client_for(company.rep_a1).get(url))
    assert 'data-testid="expense-pay"' not in rep_page and 'data-testid="document-edit"' not in rep_page
    clerk = client_for(company.finance_clerk)
    page = text(clerk.get(url))
    assert 'data-testid="expense-pay"' in page and 'data-testid="pay-form"' in page
    payable = expense_payable(expense)
    assert reverse("web:payable-detail", args=[payable.pk]) in page
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    bad = clerk.post(
        reverse("web:expense-pay", args=[expense.pk]),
        {"paid_on": future, "method": "bank_transfer", "reference": ""},
    )
    assert bad.status_code == 400 and bad.context["pay_form"].errors == {
        "paid_on": ["支付日期不能晚于今天。"]
    }
    assert not Settlement.objects.exists()
    paid = clerk.post(
        reverse("web:expense-pay", args=[expense.pk]),
        {"paid_on": timezone.localdate().isoformat(), "method": "wechat", "reference": "WX-001"},
    )
    assert paid.status_code == 302
    expense.refresh_from_db()
    payment = Settlement.objects.get()
    assert (expense.status, expense.payment) == (Status.DONE, payment)
    page = text(clerk.get(url))
    assert re.search(r'data-testid="expense-status">已支付<', page)
    assert reverse("web:payment-detail", args=[payment.pk]) in page and "WX-001" in page
    assert 'data-testid="expense-pay"' not in page
    forbidden = client_for(company.manager_a).post(
        reverse("web:expense-pay", args=[expense.pk]), {"paid_on": timezone.localdate().isoformat()}
    )
    assert forbidden.status_code == 403


def expense_payable(expense: Expense):
    from maoyi.crm.selectors.expenses import payable_of

    found = payable_of(expense)
    assert found is not None
    return found


def test_the_approver_unapproves_from_the_detail_page_until_it_is_paid(company, book, client_for):
    expense = approved_expense(company)
    boss = client_for(company.manager_a)
    url = reverse("web:expense-detail", args=[expense.pk])
    assert 'data-testid="document-unapprove"' in text(boss.get(url))
    assert 'data-testid="document-unapprove"' not in text(client_for(company.rep_a1).get(url))
    blank = boss.post(reverse("web:expense-unapprove", args=[expense.pk]), {"reason": ""})
    assert blank.status_code == 400 and blank.context["unapprove_form"].errors == {"reason": ["请填写原因。"]}
    assert (
        boss.post(reverse("web:expense-unapprove", args=[expense.pk]), {"reason": "金额需核实"}).status_code
        == 302
    )
    expense.refresh_from_db()
    assert expense.status == Status.DRAFT and expense_payable(expense).status == "reversed"


def test_the_approval_inbox_links_to_the_expense(company, book, client_for):
    expense = make_expense(company.rep_a1)
    services.submit_expense(expense, actor=company.rep_a1)
    request = ApprovalRequest.objects.get(document_type="expense", object_id=expense.pk)
    boss = client_for(company.manager_a)
    assert expense.number in text(boss.get(reverse("web:approval-inbox")))
    page = text(boss.get(reverse("web:approval-detail", args=[request.pk])))
    assert reverse("web:expense-detail", args=[expense.pk]) in page


# The customer's 费用 tab ---------------------------------------------------------------------------


def test_the_customer_tab_lists_the_expenses_charged_to_it_that_the_user_may_see(company, book, client_for):
    mine = make_expense(company.rep_a1, "860.00", customer=book.xiehe)
    boss_own = make_expense(company.manager_a, "40.00", customer=book.xiehe)
    make_expense(company.rep_a1, "12.00")  # charged to no customer
    detail = reverse("web:customer-detail", args=[book.xiehe.pk]) + "?tab=expenses"
    rep_tab = text(client_for(company.rep_a1).get(detail))
    assert 'data-testid="customer-expenses"' in rep_tab and row_numbers(rep_tab) == [mine.number]
    assert 'data-testid="customer-expense-create"' in rep_tab
    boss_tab = text(client_for(company.manager_a).get(detail))
    assert set(row_numbers(boss_tab)) == {mine.number, boss_own.number}
    empty = text(
        client_for(company.rep_a2).get(
            reverse("web:customer-detail", args=[book.ruijin.pk]) + "?tab=expenses"
        )
    )
    assert "这个客户还没有费用。" in empty


# English -----------------------------------------------------------------------------------------------


def test_the_expense_list_renders_in_english(company, book, client_for):
    make_expense(company.rep_a1, "860.00")
    client = client_for(company.rep_a1)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("web:expense-list"), {"by": "category"})
    html = text(response)
    assert response.status_code == 200 and '<html lang="en">' in html
    for word in ("Filter", "Status"):
        assert word in html, word
