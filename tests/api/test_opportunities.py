"""/api/v1/opportunities/: shapes, filters, writes through the services (stage rules: 409
invalid_state, 400 reason_required), permissions by role, data scope (404 outside it, 400 for an
invisible customer on create), no delete (405)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.crm.models import Opportunity
from maoyi.crm.services import opportunities as services
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer

OPPORTUNITIES = "/api/v1/opportunities/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company: Company) -> None:
    grant_customer_permissions()


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Opportunity, AuditEntry)}


def titles(response: Any) -> list[str]:
    return sorted(row["title"] for row in response.json()["results"])


def make(customer: Any, title: str = "采购CT机", amount: str = "1000", **fields: Any) -> Opportunity:
    return services.create_opportunity(
        actor=None, customer=customer, title=title, expected_amount=D(amount), **fields
    )


@pytest.fixture
def book(company: Company) -> dict[str, Any]:
    xiehe = make_customer(company.rep_a1, "北京协和医院")
    ruijin = make_customer(company.rep_a2, "上海瑞金医院")
    agent = make_customer(company.rep_b1, "广州代理商")
    return {
        "xiehe": xiehe,
        "agent": agent,
        "ct": make(xiehe, "采购CT机", "1000.10"),
        "supplies": make(xiehe, "耗材年度合同", "200", stage="proposal"),
        "monitor": make(ruijin, "监护仪", "300"),
        "channel": make(agent, "渠道铺货", "5000"),
    }


def test_an_opportunity_reads_with_the_api_md_fields(
    company: Company, api_client_for: ClientFor, book
) -> None:
    body = api_client_for(company.rep_a1).get(f"{OPPORTUNITIES}{book['ct'].pk}/").json()
    assert {k: body[k] for k in ("customer", "title", "stage", "expected_amount", "expected_close")} == {
        "customer": book["xiehe"].pk,
        "title": "采购CT机",
        "stage": "initial",
        "expected_amount": "1000.10",
        "expected_close": None,
    }
    assert (body["lost_reason"], body["note"], body["owner"], body["owner_name"], body["stage_display"]) == (
        "",
        "",
        company.rep_a1.pk,
        "张伟",
        "初步接洽",
    )


def test_the_list_is_scoped_and_filters(company: Company, api_client_for: ClientFor, book) -> None:
    rep = api_client_for(company.rep_a1)
    assert titles(rep.get(OPPORTUNITIES)) == ["耗材年度合同", "采购CT机"]
    manager = api_client_for(company.manager_a)
    assert titles(manager.get(OPPORTUNITIES)) == ["监护仪", "耗材年度合同", "采购CT机"]
    assert titles(manager.get(OPPORTUNITIES, {"stage": "proposal"})) == ["耗材年度合同"]
    assert titles(manager.get(OPPORTUNITIES, {"owner": company.rep_a2.pk})) == ["监护仪"]
    assert titles(manager.get(OPPORTUNITIES, {"customer": book["xiehe"].pk})) == ["耗材年度合同", "采购CT机"]
    assert titles(manager.get(OPPORTUNITIES, {"customer": book["agent"].pk})) == []
    assert titles(manager.get(OPPORTUNITIES, {"search": "bjxh"})) == ["耗材年度合同", "采购CT机"]
    assert titles(manager.get(OPPORTUNITIES, {"stage": "nonsense"})) == []
    ordered = manager.get(OPPORTUNITIES, {"ordering": "-expected_amount"}).json()["results"]
    assert [row["title"] for row in ordered] == ["采购CT机", "监护仪", "耗材年度合同"]
    assert titles(api_client_for(company.sales_head).get(OPPORTUNITIES)) == [
        "渠道铺货",
        "监护仪",
        "耗材年度合同",
        "采购CT机",
    ]


def test_out_of_scope_reads_and_writes_answer_404(company: Company, api_client_for: ClientFor, book) -> None:
    rep_b = api_client_for(company.rep_b1)
    url = f"{OPPORTUNITIES}{book['ct'].pk}/"
    before = state()
    assert rep_b.get(url).json() == NOT_FOUND
    response = rep_b.patch(url, {"stage": "won"}, format="json")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert state() == before


def test_create_through_the_service(company: Company, api_client_for: ClientFor, book) -> None:
    response = api_client_for(company.rep_a1).post(
        OPPORTUNITIES,
        {
            "customer": book["xiehe"].pk,
            "title": "DR设备",
            "expected_amount": "88000.5",
            "expected_close": "2030-05-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["stage"], body["expected_amount"], body["expected_close"]) == (
        "initial",
        "88000.50",
        "2030-05-01",
    )
    created = Opportunity.objects.get(pk=body["id"])
    assert created.created_by == company.rep_a1
    audit = AuditEntry.objects.filter(content_type__model="opportunity", object_id=str(created.pk))
    assert list(audit.values_list("action", flat=True)) == ["create"]


def test_create_refusals(company: Company, api_client_for: ClientFor, book) -> None:
    rep = api_client_for(company.rep_a1)
    before = state()
    invisible = rep.post(
        OPPORTUNITIES, {"customer": book["agent"].pk, "title": "抢单", "expected_amount": "1"}, format="json"
    )
    assert invisible.status_code == 400 and "customer" in invisible.json()
    blank = rep.post(
        OPPORTUNITIES, {"customer": book["xiehe"].pk, "title": " ", "expected_amount": "1"}, format="json"
    )
    assert (blank.status_code, blank.json()) == (400, {"title": ["请填写机会名称。"]})
    negative = rep.post(
        OPPORTUNITIES, {"customer": book["xiehe"].pk, "title": "DR", "expected_amount": "-1"}, format="json"
    )
    assert (negative.status_code, negative.json()) == (400, {"expected_amount": ["预计金额不能为负数。"]})
    lost = rep.post(
        OPPORTUNITIES,
        {"customer": book["xiehe"].pk, "title": "DR", "expected_amount": "1", "stage": "lost"},
        format="json",
    )
    assert (lost.status_code, lost.json()) == (400, {"lost_reason": ["输单必须填写原因。"]})
    finance = api_client_for(company.finance_clerk).post(
        OPPORTUNITIES, {"customer": book["xiehe"].pk, "title": "DR", "expected_amount": "1"}, format="json"
    )
    assert (finance.status_code, finance.json()) == (403, ROLE_REFUSED)
    assert api_client_for(company.finance_clerk).get(OPPORTUNITIES).status_code == 403
    assert state() == before


def test_update_fields_and_stage_through_the_same_rules(
    company: Company, api_client_for: ClientFor, book
) -> None:
    rep = api_client_for(company.rep_a1)
    url = f"{OPPORTUNITIES}{book['ct'].pk}/"
    response = rep.patch(url, {"title": "采购CT机（二期）", "stage": "negotiation"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["stage"]) == ("采购CT机（二期）", "negotiation")
    actions = list(
        AuditEntry.objects.filter(object_id=str(book["ct"].pk), content_type__model="opportunity")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", services.STAGE_ACTION]

    before = state()
    no_reason = rep.patch(url, {"stage": "lost"}, format="json")
    assert (no_reason.status_code, no_reason.json()) == (400, {"lost_reason": ["输单必须填写原因。"]})
    assert state() == before

    lost = rep.patch(url, {"stage": "lost", "lost_reason": "预算取消"}, format="json")
    assert (lost.status_code, lost.json()["stage"], lost.json()["lost_reason"]) == (200, "lost", "预算取消")

    another = make_customer(company.rep_a1, "另一家")
    before = state()
    reopened = rep.patch(url, {"stage": "initial", "title": "重开"}, format="json")
    assert (reopened.status_code, reopened.json()) == (
        409,
        {"detail": "机会已输单，不能再修改。", "code": "invalid_state"},
    )
    moved = rep.patch(url, {"stage": "initial"}, format="json")
    assert (moved.status_code, moved.json()) == (
        409,
        {"detail": "机会已输单，不能再变更阶段。", "code": "invalid_state"},
    )
    same = rep.patch(url, {"stage": "lost", "lost_reason": "预算取消"}, format="json")
    assert same.status_code == 200
    other_customer = rep.patch(url, {"customer": another.pk}, format="json")
    assert (other_customer.status_code, other_customer.json()) == (
        400,
        {"customer": ["机会的客户不能修改。"]},
    )
    assert state() == before


def test_a_refused_stage_change_rolls_back_the_field_changes(
    company: Company, api_client_for: ClientFor, book
) -> None:
    before = state()
    response = api_client_for(company.rep_a1).patch(
        f"{OPPORTUNITIES}{book['ct'].pk}/", {"title": "新名字", "stage": "lost"}, format="json"
    )
    assert response.status_code == 400
    assert state() == before


def test_there_is_no_delete(company: Company, api_client_for: ClientFor, book) -> None:
    response = api_client_for(company.admin).delete(f"{OPPORTUNITIES}{book['ct'].pk}/")
    assert response.status_code == 405
    assert Opportunity.objects.filter(pk=book["ct"].pk).exists()
