"""Campaigns (市场活动): create, update, partners added and removed, cancel — each rule and
refusal (exact code and message, nothing changed), who may change a campaign (the owner, a manager
whose scope covers its department, the administrator; never a salesperson), partners the user may
not see (refused on write, counted on read, kept by an edit, unnamed in the history), the phase,
and the cost figures against hand-computed sums of the expenses charged to the campaign."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.crm.models import Campaign, CampaignKind, Customer, Expense
from maoyi.crm.selectors import campaigns as selectors
from maoyi.crm.services import campaigns as services
from maoyi.org.models import Employee
from tests.crm.builders import make_customer
from tests.factories import make_employee

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
NOT_ALLOWED = "只有活动负责人或其所在部门的主管可以修改这个市场活动。"
ROLE_REFUSED = "您的角色不能执行此操作。"


# Builders ---------------------------------------------------------------------------------------------


def make_campaign(actor: Employee | None, name: str = "华东区渠道培训会", **fields: Any) -> Campaign:
    fields.setdefault("kind", CampaignKind.TRAINING)
    fields.setdefault("start_date", TODAY - DAY)
    fields.setdefault("end_date", TODAY + 10 * DAY)
    fields.setdefault("budget", D("5000"))
    return services.create_campaign(actor=actor, name=name, **fields)


_numbers = itertools.count(1)


def charge(campaign: Campaign, owner: Employee, amount: str, status: str) -> Expense:
    """An expense charged to the campaign, written straight to the table (the expense services are
    another area's)."""
    return Expense.objects.create(
        number=f"FY-TEST-{next(_numbers):04d}",
        status=status,
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        category="conference",
        amount=D(amount),
        incurred_on=TODAY,
        description="会场费用",
        campaign=campaign,
    )


class World:
    """rep_a1's customer 协和 (team A), rep_b1's customer 朝阳 (team B), and team B's manager."""

    def __init__(self, company: Any) -> None:
        self.xiehe = make_customer(company.rep_a1, "北京协和医院")
        self.chaoyang = make_customer(company.rep_b1, "朝阳医院")
        self.manager_b = make_employee(
            company.team_b, "manager", username="mgr_b", name="赵经理", is_manager=True
        )


@pytest.fixture
def world(company) -> World:
    return World(company)


def state() -> dict[str, list[dict[str, Any]]]:
    rows = {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Campaign, AuditEntry)}
    rows["partners"] = list(Campaign.partners.through.objects.order_by("pk").values())
    return rows


@contextmanager
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def entries(campaign: Campaign) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(content_type__model="campaign", object_id=str(campaign.pk)).order_by("id")
    )


def partner_names(campaign: Campaign) -> list[str]:
    return sorted(campaign.partners.values_list("name", flat=True))


# Create -----------------------------------------------------------------------------------------------


def test_a_manager_creates_a_campaign_owned_by_themselves_with_partners_and_an_audit_entry(company, world):
    campaign = make_campaign(
        company.manager_a, partners=[world.xiehe], budget=D("5000.5"), description=" 邀请重点医院 "
    )

    campaign.refresh_from_db()
    assert campaign.code.startswith("HD" + TODAY.strftime("%Y%m%d"))
    assert (campaign.owner, campaign.department, campaign.created_by) == (
        company.manager_a,
        company.team_a,
        company.manager_a.user,
    )
    assert (campaign.budget, campaign.description, campaign.is_cancelled) == (
        D("5000.50"),
        "邀请重点医院",
        False,
    )
    assert partner_names(campaign) == ["北京协和医院"]
    [entry] = entries(campaign)
    assert entry.action == "create" and entry.actor == company.manager_a.user
    assert entry.changes["name"] == [None, "华东区渠道培训会"]
    assert entry.changes["budget"] == [None, "5000.50"]
    assert entry.changes["kind"] == [None, "渠道培训"]
    assert entry.changes["partners"] == [None, ["北京协和医院"]]


def test_the_owner_may_be_another_active_employee_in_the_actors_scope(company, world):
    campaign = make_campaign(company.manager_a, owner=company.rep_a1)
    assert (campaign.owner, campaign.department) == (company.rep_a1, company.team_a)
    by_head = make_campaign(company.sales_head, "渠道部年会", owner=company.rep_b1)
    assert (by_head.owner, by_head.department) == (company.rep_b1, company.team_b)


def test_an_owner_outside_the_actors_scope_or_who_left_is_refused(company, world):
    refused(
        lambda: make_campaign(company.manager_a, owner=company.rep_b1),
        "invalid",
        "“钱丽”不在您的管理范围内。",
        "owner",
    )
    Employee.objects.filter(pk=company.rep_a2.pk).update(status="left")
    refused(
        lambda: make_campaign(company.manager_a, owner=company.rep_a2),
        "invalid",
        "负责人“陈静”已离职。",
        "owner",
    )


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"name": "  "}, "请填写活动名称。", "name"),
        ({"name": "会" * 201}, "活动名称不能超过 200 个字。", "name"),
        ({"kind": "party"}, "请选择活动类型。", "kind"),
        ({"start_date": TODAY, "end_date": TODAY - DAY}, "结束日期不能早于开始日期。", "end_date"),
        ({"budget": D("-1")}, "预算不能为负数。", "budget"),
        ({"budget": D("10.001")}, "预算最多保留两位小数。", "budget"),
        ({"budget": D("1e20")}, "预算无效。", "budget"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_written(company, world, fields, message, field):
    name = fields.pop("name", "华东区渠道培训会")
    refused(lambda: make_campaign(company.manager_a, name, **fields), "invalid", message, field)


def test_a_salesperson_or_an_assistant_may_not_create_a_campaign(company, world):
    for employee in (company.rep_a1, company.assistant_a, company.finance_clerk):
        with unchanged(), pytest.raises(PermissionRefused) as caught:
            make_campaign(employee)
        assert (caught.value.code, caught.value.message) == ("permission_denied", ROLE_REFUSED)


def test_partners_must_be_customers_the_actor_may_see_and_active(company, world):
    refused(
        lambda: make_campaign(company.manager_a, partners=[world.xiehe, world.chaoyang]),
        "invalid",
        "所选客户不存在或不在您的范围内。",
        "partners",
    )
    Customer.objects.filter(pk=world.xiehe.pk).update(is_active=False)
    refused(
        lambda: make_campaign(company.manager_a, partners=[world.xiehe]),
        "invalid",
        "客户“北京协和医院”已停用，不能加入活动。",
        "partners",
    )
    campaign = make_campaign(company.sales_head, partners=[world.chaoyang])  # sees both teams
    assert partner_names(campaign) == ["朝阳医院"]


# Update: who may change a campaign ---------------------------------------------------------------------


def update(campaign: Campaign, actor: Employee | None, **fields: Any) -> Campaign:
    values = {
        "name": campaign.name,
        "kind": campaign.kind,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "budget": campaign.budget,
        "description": campaign.description,
    }
    values.update(fields)
    return services.update_campaign(campaign, actor=actor, **values)


def test_the_owning_manager_changes_a_campaign_and_the_change_is_audited(company, world):
    campaign = make_campaign(company.manager_a)

    update(
        campaign,
        company.manager_a,
        name="华东区渠道培训会（第二期）",
        budget=D("8000"),
        kind=CampaignKind.CONFERENCE,
    )

    campaign.refresh_from_db()
    assert (campaign.name, campaign.budget, campaign.kind) == (
        "华东区渠道培训会（第二期）",
        D("8000.00"),
        "conference",
    )
    entry = entries(campaign)[-1]
    assert entry.action == "update"
    assert entry.changes == {
        "name": ["华东区渠道培训会", "华东区渠道培训会（第二期）"],
        "kind": ["渠道培训", "学术会议"],
        "budget": ["5000.00", "8000.00"],
    }


def test_an_update_that_changes_nothing_writes_no_audit_entry(company, world):
    campaign = make_campaign(company.manager_a)
    before = len(entries(campaign))
    update(campaign, company.manager_a)
    assert len(entries(campaign)) == before


def test_a_manager_whose_scope_covers_the_department_and_the_administrator_may_change_it(company, world):
    campaign = make_campaign(company.manager_a, owner=company.rep_a1)
    update(campaign, company.sales_head, budget=D("6000"))
    update(campaign, company.admin, budget=D("7000"))
    campaign.refresh_from_db()
    assert campaign.budget == D("7000.00")


def test_the_manager_of_another_team_sees_the_campaign_but_may_not_change_it(company, world):
    campaign = make_campaign(company.manager_a)
    assert selectors.campaign(world.manager_b.user, campaign.pk) == campaign
    assert not selectors.may_change(world.manager_b.user, campaign)
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        update(campaign, world.manager_b, budget=D("1"))
    assert (caught.value.code, caught.value.message) == ("permission_denied", NOT_ALLOWED)


def test_a_salesperson_may_not_change_a_campaign_even_one_they_own(company, world):
    campaign = make_campaign(company.manager_a, owner=company.rep_a1)
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        update(campaign, company.rep_a1, budget=D("1"))
    assert caught.value.message == ROLE_REFUSED


def test_who_may_change_a_campaign(company, world):
    campaign = make_campaign(company.manager_a, owner=company.rep_a1)
    allowed = {
        e.user.username
        for e in (*company.everyone, world.manager_b)
        if selectors.may_change(e.user, campaign)
    }
    assert allowed == {"admin", "head", "mgr_a"}


def test_the_owner_may_be_changed_and_the_department_follows(company, world):
    campaign = make_campaign(company.sales_head, owner=company.rep_a1)
    update(campaign, company.sales_head, owner=company.rep_b1)
    campaign.refresh_from_db()
    assert (campaign.owner, campaign.department) == (company.rep_b1, company.team_b)
    assert entries(campaign)[-1].changes == {
        "owner": ["张伟", "钱丽"],
        "department": ["终端客户部", "渠道部"],
    }
    # manager A no longer answers for it, and may not give it back
    with unchanged(), pytest.raises(PermissionRefused):
        update(campaign, company.manager_a, owner=company.rep_a1)


def test_an_update_sets_the_partners_the_actor_sees_and_keeps_the_others(company, world):
    campaign = make_campaign(company.sales_head, partners=[world.xiehe, world.chaoyang], owner=company.rep_a1)

    update(campaign, company.manager_a, partners=[])

    assert partner_names(campaign) == ["朝阳医院"]  # manager A does not see 朝阳医院: it stays
    assert entries(campaign)[-1].changes == {"partners": [["北京协和医院"], []]}
    update(campaign, company.manager_a, partners=[world.xiehe])
    assert partner_names(campaign) == ["北京协和医院", "朝阳医院"]
    assert entries(campaign)[-1].changes == {"partners": [[], ["北京协和医院"]]}
    # naming a customer one may not see is refused like a missing one
    other = make_customer(company.rep_b1, "望京医院")
    refused(
        lambda: update(campaign, company.manager_a, partners=[world.xiehe, other]),
        "invalid",
        "所选客户不存在或不在您的范围内。",
        "partners",
    )


def test_update_refusals_change_nothing(company, world):
    campaign = make_campaign(company.manager_a)
    refused(lambda: update(campaign, company.manager_a, name=""), "invalid", "请填写活动名称。", "name")
    refused(
        lambda: update(campaign, company.manager_a, end_date=campaign.start_date - DAY),
        "invalid",
        "结束日期不能早于开始日期。",
        "end_date",
    )


# Partners ---------------------------------------------------------------------------------------------


def test_partners_are_added_and_removed_with_a_readable_audit(company, world):
    campaign = make_campaign(company.sales_head)
    services.add_partners(campaign, actor=company.sales_head, customers=[world.xiehe, world.chaoyang])
    assert partner_names(campaign) == ["北京协和医院", "朝阳医院"]
    assert entries(campaign)[-1].changes == {"partners": [[], ["北京协和医院", "朝阳医院"]]}

    services.remove_partners(campaign, actor=company.sales_head, customers=[world.chaoyang])
    assert partner_names(campaign) == ["北京协和医院"]
    assert entries(campaign)[-1].changes == {"partners": [["朝阳医院"], []]}


def test_partner_refusals(company, world):
    campaign = make_campaign(company.manager_a, partners=[world.xiehe])
    refused(
        lambda: services.add_partners(campaign, actor=company.manager_a, customers=[]),
        "invalid",
        "请选择客户。",
        "partners",
    )
    refused(
        lambda: services.add_partners(campaign, actor=company.manager_a, customers=[world.xiehe]),
        "invalid",
        "所选客户已经是这个活动的参与客户。",
        "partners",
    )
    refused(
        lambda: services.add_partners(campaign, actor=company.manager_a, customers=[world.chaoyang]),
        "invalid",
        "所选客户不存在或不在您的范围内。",
        "partners",
    )
    services.add_partners(campaign, actor=None, customers=[world.chaoyang])  # the system sees all
    refused(
        lambda: services.remove_partners(campaign, actor=company.manager_a, customers=[world.chaoyang]),
        "invalid",
        "所选客户不是这个活动的参与客户，或不在您的范围内。",
        "partners",
    )
    with unchanged(), pytest.raises(PermissionRefused):
        services.add_partners(campaign, actor=world.manager_b, customers=[world.chaoyang])


# Cancel ----------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_then_stops_every_change(company, world):
    campaign = make_campaign(company.manager_a, partners=[world.xiehe])
    refused(
        lambda: services.cancel_campaign(campaign, actor=company.manager_a, reason="  "),
        "reason_required",
        "请填写原因。",
        "reason",
    )

    services.cancel_campaign(campaign, actor=company.manager_a, reason=" 展会延期 ")

    campaign.refresh_from_db()
    assert (campaign.is_cancelled, campaign.cancel_reason) == (True, "展会延期")
    entry = entries(campaign)[-1]
    assert (entry.action, entry.changes) == ("cancel", {"cancel_reason": [None, "展会延期"]})
    refused(
        lambda: services.cancel_campaign(campaign, actor=company.manager_a, reason="again"),
        "invalid_state",
        f"市场活动 {campaign.code} 已经取消。",
    )
    refused(
        lambda: update(campaign, company.manager_a, name="新名字"),
        "invalid_state",
        f"市场活动 {campaign.code} 已取消，不能修改。",
    )
    refused(
        lambda: services.remove_partners(campaign, actor=company.manager_a, customers=[world.xiehe]),
        "invalid_state",
        f"市场活动 {campaign.code} 已取消，不能修改。",
    )


def test_cancel_is_refused_to_who_may_not_change_the_campaign(company, world):
    campaign = make_campaign(company.manager_a)
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        services.cancel_campaign(campaign, actor=world.manager_b, reason="x")
    assert caught.value.message == NOT_ALLOWED
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        services.cancel_campaign(campaign, actor=company.rep_a1, reason="x")
    assert caught.value.message == ROLE_REFUSED


# Reads: list, phase, filters --------------------------------------------------------------------------


@pytest.fixture
def phases(company) -> dict[str, Campaign]:
    head = company.sales_head
    found = {
        "planned": make_campaign(head, "春季展会", start_date=TODAY + DAY, end_date=TODAY + 5 * DAY),
        "running": make_campaign(
            head, "学术沙龙", kind=CampaignKind.CONFERENCE, start_date=TODAY, end_date=TODAY
        ),
        "ended": make_campaign(head, "去年年会", start_date=TODAY - 9 * DAY, end_date=TODAY - DAY),
        "cancelled": make_campaign(head, "取消的促销", kind=CampaignKind.PROMOTION, owner=company.rep_b1),
    }
    services.cancel_campaign(found["cancelled"], actor=head, reason="预算调整")
    found["cancelled"].refresh_from_db()
    return found


def test_the_phase_comes_from_the_dates_and_the_cancel(company, phases):
    rows = {c.name: c.phase for c in selectors.campaigns(company.rep_a1.user)}
    assert rows == {
        "春季展会": "planned",
        "学术沙龙": "running",
        "去年年会": "ended",
        "取消的促销": "cancelled",
    }
    for phase, campaign in phases.items():
        assert selectors.phase_of(campaign) == phase
        assert [c.pk for c in selectors.campaigns(company.rep_a1.user, phase=phase)] == [campaign.pk]
    tomorrow = TODAY + DAY
    assert selectors.phase_of(phases["running"], tomorrow) == "ended"
    assert selectors.phase_of(phases["planned"], tomorrow) == "running"


def test_search_kind_and_owner_filter_the_list(company, phases):
    user = company.finance_clerk.user
    assert [c.name for c in selectors.campaigns(user, search="沙龙")] == ["学术沙龙"]
    code = phases["ended"].code
    assert [c.pk for c in selectors.campaigns(user, search=code.lower())] == [phases["ended"].pk]
    assert [c.name for c in selectors.campaigns(user, kind=CampaignKind.PROMOTION)] == ["取消的促销"]
    assert [c.name for c in selectors.campaigns(user, owner=company.rep_b1)] == ["取消的促销"]
    assert [c.name for c in selectors.campaigns(user)] == ["春季展会", "学术沙龙", "取消的促销", "去年年会"]


def test_every_holder_of_the_view_permission_sees_every_campaign_and_others_none(company, phases):
    for employee in (company.rep_a1, company.rep_b1, company.assistant_a, company.finance_clerk):
        assert employee.user.has_perm("crm.view_campaign")
        assert selectors.campaigns(employee.user).count() == 4
    assert not company.purchaser.user.has_perm("crm.view_campaign")


# Cost figures -----------------------------------------------------------------------------------------


def test_cost_figures_are_the_sums_of_the_expenses_by_status(company, world):
    campaign = make_campaign(company.manager_a, budget=D("600"))
    other = make_campaign(company.manager_a, "另一个活动", budget=D("100"))
    rep = company.rep_a1
    charge(campaign, rep, "100.00", Status.DRAFT)
    charge(campaign, rep, "200.10", Status.SUBMITTED)
    charge(campaign, company.rep_a2, "49.90", Status.SUBMITTED)
    charge(campaign, rep, "300.25", Status.APPROVED)
    charge(campaign, rep, "400.00", Status.DONE)
    charge(campaign, rep, "500.00", Status.REJECTED)
    charge(campaign, rep, "600.00", Status.CANCELLED)
    charge(other, rep, "30.00", Status.DONE)

    found = selectors.campaign(rep.user, campaign.pk)

    # applied: 200.10 + 49.90; approved: 300.25 + 400.00; paid: 400.00; remaining: 600 − 700.25
    assert (found.cost_applied, found.cost_approved, found.cost_paid) == (
        D("250.00"),
        D("700.25"),
        D("400.00"),
    )
    assert (found.remaining_budget, found.over_budget) == (D("-100.25"), True)
    second = selectors.campaign(rep.user, other.pk)
    assert (second.cost_applied, second.cost_approved, second.cost_paid) == (D("0"), D("30.00"), D("30.00"))
    assert (second.remaining_budget, second.over_budget) == (D("70.00"), False)
    empty = make_campaign(company.manager_a, "没有费用的活动", budget=D("0"))
    none = selectors.campaign(rep.user, empty.pk)
    assert (none.cost_approved, none.remaining_budget, none.over_budget) == (D("0"), D("0"), False)


def test_the_list_computes_the_figures_in_the_database_without_a_query_per_row(company, world):
    user = company.rep_a1.user

    def read() -> tuple[int, list[tuple[str, D, str]]]:
        with CaptureQueriesContext(connection) as queries:
            rows = [(c.owner.name, c.cost_approved, c.phase) for c in selectors.campaigns(user)]
        return len(queries), rows

    def add(n: int) -> None:
        campaign = make_campaign(company.manager_a, f"活动{n}")
        charge(campaign, company.rep_a1, "10.00", Status.APPROVED)
        charge(campaign, company.rep_a1, "5.00", Status.DONE)

    add(0)
    read()  # the user's scope is read once and kept
    one, rows = read()
    for n in range(1, 6):
        add(n)
    six, rows = read()
    assert one == six == 1
    assert rows == [("李经理", D("15.00"), "running")] * 6


def test_the_expenses_listed_are_those_the_user_may_see_and_the_others_are_counted(company, world):
    campaign = make_campaign(company.manager_a)
    mine = charge(campaign, company.rep_a1, "10.00", Status.SUBMITTED)
    theirs = charge(campaign, company.rep_a2, "20.00", Status.SUBMITTED)
    rows = selectors.campaign_expenses(company.rep_a1.user, campaign)
    assert ([e.pk for e in rows.visible], rows.hidden) == ([mine.pk], 1)
    rows = selectors.campaign_expenses(company.manager_a.user, campaign)
    assert ({e.pk for e in rows.visible}, rows.hidden) == ({mine.pk, theirs.pk}, 0)


# Partners as each user sees them ----------------------------------------------------------------------


def test_partners_outside_the_users_scope_are_counted_not_named(company, world):
    campaign = make_campaign(company.sales_head, partners=[world.xiehe, world.chaoyang])

    seen = selectors.campaign_partners(company.rep_a1.user, campaign)
    assert ([c.name for c in seen.visible], seen.hidden, seen.total) == (["北京协和医院"], 1, 2)
    seen = selectors.campaign_partners(company.rep_b1.user, campaign)
    assert ([c.name for c in seen.visible], seen.hidden) == (["朝阳医院"], 1)
    seen = selectors.campaign_partners(company.finance_clerk.user, campaign)
    assert (len(seen.visible), seen.hidden) == (2, 0)
    assert selectors.partner_ids(company.rep_a1.user, campaign) == ([world.xiehe.pk], 1)
    assert selectors.partner_map(company.rep_a1.user, [campaign]) == {campaign.pk: ([world.xiehe.pk], 1)}


def test_the_history_does_not_name_partners_the_reader_may_not_see(company, world):
    campaign = make_campaign(company.sales_head, partners=[world.xiehe, world.chaoyang])
    services.remove_partners(campaign, actor=company.sales_head, customers=[world.chaoyang])

    removed, created = selectors.campaign_history(company.rep_a1.user, campaign)
    assert created.changes["partners"] == [None, "北京协和医院、另有 1 家不在你范围内的客户"]
    assert removed.changes["partners"] == ["另有 1 家不在你范围内的客户", None]
    assert (created.action, created.actor_name) == ("create", "王经理")
    removed, created = selectors.campaign_history(company.admin.user, campaign)
    assert created.changes["partners"] == [None, "北京协和医院、朝阳医院"]
    assert removed.changes["partners"] == ["朝阳医院", None]


def test_the_campaigns_of_a_customer_are_those_it_takes_part_in_when_the_user_sees_it(company, world):
    campaign = make_campaign(company.sales_head, partners=[world.xiehe, world.chaoyang])
    make_campaign(company.sales_head, "无关活动")
    assert [c.pk for c in selectors.customer_campaigns(company.rep_a1.user, world.xiehe)] == [campaign.pk]
    assert list(selectors.campaigns(company.rep_a1.user, customer_id=world.chaoyang.pk)) == []


def test_owner_and_partner_choices_follow_the_users_scope(company, world):
    assert {e.name for e in selectors.owner_choices(company.manager_a.user)} == {
        "李经理",
        "张伟",
        "陈静",
        "林雪",
    }
    assert [c.name for c in selectors.partner_choices(company.manager_a.user)] == ["北京协和医院"]
    Customer.objects.filter(pk=world.xiehe.pk).update(is_active=False)
    assert list(selectors.partner_choices(company.manager_a.user)) == []
    kept = selectors.partner_choices(company.manager_a.user, keep=[world.xiehe.pk, world.chaoyang.pk])
    assert [c.name for c in kept] == ["北京协和医院"]
