"""/api/v1/expenses/: the API.md fields, the workflow (submit → approve / reject → pay by finance;
withdraw, unapprove while unpaid, cancel), refusals in the API's error shapes (400 on a field, 409
with a code, 403 for the role, 404 out of scope) with nothing changed, the list's filters and scope,
and no delete (405)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from maoyi.crm.models import Expense
from maoyi.finance.models import Obligation, Settlement
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions
from tests.crm.test_expenses import (  # noqa: F401  (ledger_stays_whole: the ledger check, autouse)
    Book,
    approved_expense,
    days_ago,
    ledger_stays_whole,
    make_expense,
    make_expense_book,
    nothing_changed,
)

EXPENSES = "/api/v1/expenses/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(company: Company) -> Book:
    grant_customer_permissions()
    return make_expense_book(company)


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "travel",
        "amount": "1280.50",
        "incurred_on": days_ago(2).isoformat(),
        "description": "拜访协和医院设备科，往返高铁票",
    }
    data.update(changes)
    return data


def today() -> str:
    return timezone.localdate().isoformat()


def test_an_expense_is_applied_for_and_reads_with_the_api_md_fields(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    api = api_client_for(company.rep_a1)
    created = api.post(EXPENSES, body(customer=book.xiehe.pk, campaign=book.expo.pk), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["number"].startswith("FY") and data["status"] == "draft"
    assert (data["amount"], data["category"], data["customer"], data["campaign"]) == (
        "1280.50",
        "travel",
        book.xiehe.pk,
        book.expo.pk,
    )
    assert (data["owner"], data["owner_name"], data["customer_name"]) == (
        company.rep_a1.pk,
        "张伟",
        "北京协和医院",
    )
    assert (data["paid_on"], data["payment"], data["payment_number"], data["payable_number"]) == (
        None,
        None,
        None,
        None,
    )
    assert api.get(EXPENSES).json()["count"] == 1
    assert api.delete(f"{EXPENSES}{data['id']}/").status_code == 405
    patched = api.patch(f"{EXPENSES}{data['id']}/", {"amount": "99.90", "campaign": None}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["amount"], patched.json()["campaign"], patched.json()["customer"]) == (
        "99.90",
        None,
        book.xiehe.pk,
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"amount": "0"}, {"amount": ["金额必须大于零。"]}),
        ({"amount": "-3"}, {"amount": ["金额必须大于零。"]}),
        ({"amount": "1.005"}, {"amount": ["金额最多保留两位小数。"]}),
        (
            {"incurred_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            {"incurred_on": ["发生日期不能晚于今天。"]},
        ),
        ({"description": " "}, {"description": ["请填写费用说明。"]}),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(
    company: Company, book: Book, api_client_for: ClientFor, changes: dict[str, Any], errors: dict[str, Any]
) -> None:
    with nothing_changed():
        answer = api_client_for(company.rep_a1).post(EXPENSES, body(**changes), format="json")
    assert answer.status_code == 400 and answer.json() == errors


def test_an_invisible_customer_and_a_cancelled_campaign_are_refused(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    api = api_client_for(company.rep_a1)
    with nothing_changed():
        invisible = api.post(EXPENSES, body(customer=book.agent.pk), format="json")
        cancelled = api.post(EXPENSES, body(campaign=book.cancelled.pk), format="json")
    assert invisible.status_code == 400 and list(invisible.json()) == ["customer"]
    assert cancelled.status_code == 400
    assert cancelled.json() == {"campaign": ["市场活动“华南渠道培训会”已取消，不能再报费用。"]}
    refused = api_client_for(company.finance_clerk).post(EXPENSES, body(), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_the_whole_workflow_through_the_api(company: Company, book: Book, api_client_for: ClientFor) -> None:
    rep, boss, clerk = (
        api_client_for(company.rep_a1),
        api_client_for(company.manager_a),
        api_client_for(company.finance_clerk),
    )
    pk = rep.post(EXPENSES, body(amount="860.00", customer=book.xiehe.pk), format="json").json()["id"]
    url = f"{EXPENSES}{pk}/"
    assert rep.post(f"{url}submit/").json()["status"] == "submitted"
    number = Expense.objects.get(pk=pk).number
    edit = rep.patch(url, {"amount": "1"}, format="json")
    assert edit.status_code == 409
    assert edit.json() == {"detail": f"单据 {number} 当前状态为“待审核”，不能修改。", "code": "invalid_state"}
    early = clerk.post(f"{url}pay/", {"paid_on": today()}, format="json")
    assert early.status_code == 409
    assert early.json() == {
        "detail": f"单据 {number} 当前状态为“待审核”，不能支付。",
        "code": "invalid_state",
    }
    assert rep.post(f"{url}approve/").json()["code"] == "not_approver"
    assert boss.post(f"{url}reject/", {"reason": ""}, format="json").status_code == 400
    approved = boss.post(f"{url}approve/", {"comment": "同意"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    payable = Obligation.objects.get(source_type="expense", source_id=pk)
    assert approved.json()["payable_number"] == payable.number and payable.party_kind == "employee"
    forbidden = rep.post(f"{url}pay/", {"paid_on": today()}, format="json")
    assert forbidden.status_code == 403
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    with nothing_changed():
        late = clerk.post(f"{url}pay/", {"paid_on": future}, format="json")
    assert late.status_code == 400 and late.json() == {"paid_on": ["支付日期不能晚于今天。"]}
    paid = clerk.post(
        f"{url}pay/", {"paid_on": today(), "method": "alipay", "reference": "ALI-9"}, format="json"
    )
    assert paid.status_code == 200, paid.json()
    payment = Settlement.objects.get()
    data = paid.json()
    assert (data["status"], data["status_display"], data["paid_on"], data["payment_number"]) == (
        "done",
        "已支付",
        today(),
        payment.number,
    )
    assert (payment.method, payment.reference, payment.amount) == ("alipay", "ALI-9", payable.amount)
    with nothing_changed():
        twice = clerk.post(f"{url}pay/", {"paid_on": today()}, format="json")
        undo = boss.post(f"{url}unapprove/", {"reason": "重新核对"}, format="json")
    assert twice.status_code == 409
    assert twice.json() == {
        "detail": f"单据 {number} 当前状态为“已支付”，不能支付。",
        "code": "invalid_state",
    }
    assert undo.status_code == 409
    assert undo.json() == {"detail": f"费用 {number} 已支付，不能反审核。", "code": "has_downstream"}


def test_withdraw_reject_unapprove_and_cancel(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    rep, boss = api_client_for(company.rep_a1), api_client_for(company.manager_a)
    expense = make_expense(company.rep_a1)
    url = f"{EXPENSES}{expense.pk}/"
    rep.post(f"{url}submit/")
    assert rep.post(f"{url}withdraw/").json()["status"] == "draft"
    rep.post(f"{url}submit/")
    rejected = boss.post(f"{url}reject/", {"reason": "请附发票"}, format="json")
    assert rejected.json()["status"] == "rejected"
    assert rep.post(f"{url}cancel/", {"reason": "不报了"}, format="json").json()["status"] == "cancelled"
    approved = approved_expense(company)
    undo = boss.post(f"{EXPENSES}{approved.pk}/unapprove/", {"reason": "金额需核实"}, format="json")
    assert undo.status_code == 200 and undo.json()["status"] == "draft"
    assert Obligation.objects.get(source_id=approved.pk, source_type="expense").status == "reversed"


def test_the_list_is_scoped_and_filtered(company: Company, book: Book, api_client_for: ClientFor) -> None:
    travel = make_expense(company.rep_a1, "10.00", customer=book.xiehe, campaign=book.expo)
    gifts = make_expense(company.rep_a2, "20.00", category="gifts", customer=book.ruijin)
    other = make_expense(company.rep_b1, "30.00")
    waiting = approved_expense(company, "40.00")

    def ids(employee: Any, **query: Any) -> set[int]:
        answer = api_client_for(employee).get(EXPENSES, query)
        assert answer.status_code == 200, answer.json()
        return {row["id"] for row in answer.json()["results"]}

    assert ids(company.rep_a1) == {travel.pk, waiting.pk}
    assert ids(company.manager_a) == {travel.pk, gifts.pk, waiting.pk}
    assert ids(company.finance_clerk) == {travel.pk, gifts.pk, other.pk, waiting.pk}
    assert ids(company.manager_a, owner=company.rep_a2.pk) == {gifts.pk}
    assert ids(company.manager_a, category="gifts") == {gifts.pk}
    assert ids(company.manager_a, customer=book.xiehe.pk) == {travel.pk}
    assert ids(company.manager_a, campaign=book.expo.pk) == {travel.pk}
    assert ids(company.finance_clerk, status="to_pay") == {waiting.pk}
    assert ids(company.manager_a, search="瑞金") == {gifts.pk}
    bad = api_client_for(company.manager_a).get(EXPENSES, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert api_client_for(company.rep_a2).get(f"{EXPENSES}{travel.pk}/").json() == NOT_FOUND
    assert api_client_for(company.manager_a).get(f"{EXPENSES}{other.pk}/").json() == NOT_FOUND
