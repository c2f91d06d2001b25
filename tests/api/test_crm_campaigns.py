"""/api/v1/campaigns/: the API.md fields plus the read-only code, phase and cost figures; create,
list with filters (search, kind, phase), update (PUT and PATCH), the `cancel` action, refusals
(400 invalid input, 409 a cancelled campaign), permissions (403 for roles and for a manager of
another team), partners outside the caller's scope (400 on write, counted on read), 404, 405."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.crm.models import Campaign, CampaignKind, Expense
from maoyi.crm.services import campaigns as services
from maoyi.org.models import Employee
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.factories import make_employee

URL = "/api/v1/campaigns/"
TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}

pytestmark = pytest.mark.django_db


class World:
    def __init__(self, company: Company) -> None:
        grant_customer_permissions()
        self.xiehe = make_customer(company.rep_a1, "北京协和医院")
        self.chaoyang = make_customer(company.rep_b1, "朝阳医院")
        self.manager_b = make_employee(
            company.team_b, "manager", username="mgr_b", name="赵经理", is_manager=True
        )


@pytest.fixture
def world(company: Company) -> World:
    return World(company)


def body(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "华东区渠道培训会",
        "kind": "training",
        "start_date": (TODAY - DAY).isoformat(),
        "end_date": (TODAY + DAY).isoformat(),
        "budget": "5000.00",
    }
    data.update(fields)
    return data


def campaign_of(actor: Employee, name: str = "学术沙龙", **fields: Any) -> Campaign:
    fields.setdefault("kind", CampaignKind.CONFERENCE)
    fields.setdefault("start_date", TODAY - DAY)
    fields.setdefault("end_date", TODAY + DAY)
    fields.setdefault("budget", D("1000"))
    return services.create_campaign(actor=actor, name=name, **fields)


def rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "campaigns": list(Campaign.objects.order_by("pk").values()),
        "partners": list(Campaign.partners.through.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


def test_a_manager_creates_a_campaign_and_reads_it_back(
    company: Company, world: World, api_client_for: ClientFor
):
    api = api_client_for(company.manager_a)

    created = api.post(URL, body(partners=[world.xiehe.pk], description="邀请经销商"), format="json")

    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["code"].startswith("HD") and data["phase"] == "running" and data["phase_display"] == "进行中"
    assert (data["budget"], data["cost_approved"], data["remaining_budget"], data["over_budget"]) == (
        "5000.00",
        "0.00",
        "5000.00",
        False,
    )
    assert (data["partners"], data["hidden_partner_count"]) == ([world.xiehe.pk], 0)
    assert (data["owner"], data["owner_name"], data["department"]) == (
        company.manager_a.pk,
        "李经理",
        company.team_a.pk,
    )
    assert data["is_cancelled"] is False and data["kind_display"] == "渠道培训"
    read = api_client_for(company.rep_b1).get(f"{URL}{data['id']}/")
    assert read.status_code == 200
    assert (read.json()["partners"], read.json()["hidden_partner_count"]) == ([], 1)  # 协和 is team A's


def test_the_list_filters_by_search_kind_phase_and_customer(
    company: Company, world: World, api_client_for: ClientFor
):
    head = company.sales_head
    running = campaign_of(head, "学术沙龙", partners=[world.xiehe])
    planned = campaign_of(
        head, "春季展会", kind=CampaignKind.EXHIBITION, start_date=TODAY + DAY, end_date=TODAY + DAY
    )
    ended = campaign_of(head, "去年年会", start_date=TODAY - 9 * DAY, end_date=TODAY - DAY)
    api = api_client_for(company.rep_a1)

    def ids(**params: Any) -> list[int]:
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [planned.pk, running.pk, ended.pk]
    assert ids(search="沙龙") == [running.pk]
    assert ids(search=ended.code) == [ended.pk]
    assert ids(kind="exhibition") == [planned.pk]
    assert ids(phase="ended") == [ended.pk]
    assert ids(phase="planned") == [planned.pk]
    assert ids(customer=world.xiehe.pk) == [running.pk]
    assert api_client_for(company.rep_b1).get(URL, {"customer": world.xiehe.pk}).json()["count"] == 0
    assert api.get(URL, {"phase": "someday"}).status_code == 400
    listed = api.get(URL).json()["results"][1]
    assert (listed["partners"], listed["hidden_partner_count"]) == ([world.xiehe.pk], 0)


def test_cost_figures_come_from_the_expenses(company: Company, world: World, api_client_for: ClientFor):
    campaign = campaign_of(company.manager_a, budget=D("300"))
    for n, (amount, status) in enumerate(
        [
            ("100.00", Status.SUBMITTED),
            ("150.00", Status.APPROVED),
            ("250.50", Status.DONE),
            ("9.00", Status.DRAFT),
        ]
    ):
        Expense.objects.create(
            number=f"FY-API-{n}",
            status=status,
            owner=company.rep_a1,
            department=company.team_a,
            created_by=company.rep_a1.user,
            category="travel",
            amount=D(amount),
            incurred_on=TODAY,
            description="差旅",
            campaign=campaign,
        )
    data = api_client_for(company.finance_clerk).get(f"{URL}{campaign.pk}/").json()
    assert (data["cost_applied"], data["cost_approved"], data["cost_paid"]) == ("100.00", "400.50", "250.50")
    assert (data["remaining_budget"], data["over_budget"]) == ("-100.50", True)


def test_update_with_put_and_patch(company: Company, world: World, api_client_for: ClientFor):
    campaign = campaign_of(company.manager_a, partners=[world.xiehe])
    api = api_client_for(company.manager_a)

    patched = api.patch(f"{URL}{campaign.pk}/", {"budget": "1200.50"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["budget"], patched.json()["partners"], patched.json()["name"]) == (
        "1200.50",
        [world.xiehe.pk],
        "学术沙龙",
    )
    put = api.put(f"{URL}{campaign.pk}/", body(name="学术沙龙（第二期）"), format="json")
    assert put.status_code == 200, put.json()
    assert (put.json()["name"], put.json()["partners"], put.json()["budget"]) == (
        "学术沙龙（第二期）",
        [],
        "5000.00",
    )


def test_cancel_needs_a_reason_and_a_cancelled_campaign_is_refused_with_409(
    company: Company, world: World, api_client_for: ClientFor
):
    campaign = campaign_of(company.manager_a)
    api = api_client_for(company.manager_a)
    before = rows()
    missing = api.post(f"{URL}{campaign.pk}/cancel/", {}, format="json")
    assert (missing.status_code, missing.json()) == (400, {"reason": ["请填写原因。"]})
    assert rows() == before

    done = api.post(f"{URL}{campaign.pk}/cancel/", {"reason": "展会延期"}, format="json")
    assert done.status_code == 200
    assert (done.json()["is_cancelled"], done.json()["cancel_reason"], done.json()["phase"]) == (
        True,
        "展会延期",
        "cancelled",
    )
    before = rows()
    again = api.post(f"{URL}{campaign.pk}/cancel/", {"reason": "x"}, format="json")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": f"市场活动 {campaign.code} 已经取消。", "code": "invalid_state"},
    )
    edit = api.patch(f"{URL}{campaign.pk}/", {"name": "新名字"}, format="json")
    assert (edit.status_code, edit.json()["code"]) == (409, "invalid_state")
    assert rows() == before


def test_permissions(company: Company, world: World, api_client_for: ClientFor):
    campaign = campaign_of(company.manager_a)
    before = rows()
    rep = api_client_for(company.rep_a1)
    created = rep.post(URL, body(), format="json")
    assert (created.status_code, created.json()) == (403, ROLE_REFUSED)
    assert rep.patch(f"{URL}{campaign.pk}/", {"budget": "1"}, format="json").status_code == 403
    assert rep.post(f"{URL}{campaign.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert rep.get(f"{URL}{campaign.pk}/").status_code == 200
    buyer = api_client_for(company.purchaser)
    assert buyer.get(URL).status_code == 403
    assert buyer.get(f"{URL}{campaign.pk}/").status_code == 403
    other = api_client_for(world.manager_b)
    assert other.get(f"{URL}{campaign.pk}/").status_code == 200
    refused = other.patch(f"{URL}{campaign.pk}/", {"budget": "1"}, format="json")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "只有活动负责人或其所在部门的主管可以修改这个市场活动。", "code": "permission_denied"},
    )
    assert other.post(f"{URL}{campaign.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert rows() == before
    admin = api_client_for(company.admin)
    assert admin.patch(f"{URL}{campaign.pk}/", {"budget": "2"}, format="json").json()["budget"] == "2.00"


def test_invalid_input_answers_400_and_writes_nothing(
    company: Company, world: World, api_client_for: ClientFor
):
    api = api_client_for(company.manager_a)
    before = rows()
    cases = [
        (body(end_date=(TODAY - 9 * DAY).isoformat()), {"end_date": ["结束日期不能早于开始日期。"]}),
        (body(name=""), {"name": ["请填写活动名称。"]}),
        (body(budget="-1"), {"budget": ["预算不能为负数。"]}),
        (body(owner=company.rep_b1.pk), None),  # not in manager A's scope: an unknown id
        (body(partners=[world.chaoyang.pk]), None),  # a customer manager A may not see
        (body(kind="party"), None),
    ]
    for payload, expected in cases:
        response = api.post(URL, payload, format="json")
        assert response.status_code == 400, (payload, response.json())
        if expected is not None:
            assert response.json() == expected
    assert "partners" in api.post(URL, body(partners=[world.chaoyang.pk]), format="json").json()
    assert rows() == before


def test_missing_campaigns_answer_404_and_nothing_is_deleted(
    company: Company, world: World, api_client_for: ClientFor
):
    campaign = campaign_of(company.manager_a)
    api = api_client_for(company.admin)
    assert api.get(f"{URL}{campaign.pk + 999}/").json() == NOT_FOUND
    assert api.post(f"{URL}{campaign.pk + 999}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert api.delete(f"{URL}{campaign.pk}/").status_code == 405
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_messages_follow_accept_language(company: Company, world: World, api_client_for: ClientFor):
    api = api_client_for(company.rep_a1)
    response = api.post(URL, body(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "您" not in response.json()["detail"]
