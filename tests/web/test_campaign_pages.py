"""市场活动 pages: the list (filters, paging, empty state), the detail (figures, partners with the
hidden ones counted, expenses, attachments, history), the create and edit forms, cancel with a
reason, the customer's 市场活动 tab, buttons only for who may change, 403 and 404, and English."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal as D
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.crm.models import Campaign, CampaignKind, Expense
from maoyi.crm.services import campaigns as services
from maoyi.org.models import Employee
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.factories import make_employee

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
_numbers = itertools.count(1)


def text(response) -> str:
    return response.content.decode()


def make_campaign(actor: Employee | None, name: str = "华东区渠道培训会", **fields: Any) -> Campaign:
    fields.setdefault("kind", CampaignKind.TRAINING)
    fields.setdefault("start_date", TODAY - DAY)
    fields.setdefault("end_date", TODAY + 10 * DAY)
    fields.setdefault("budget", D("1000"))
    return services.create_campaign(actor=actor, name=name, **fields)


def charge(campaign: Campaign, owner: Employee, amount: str, status: str) -> Expense:
    return Expense.objects.create(
        number=f"FY-PAGE-{next(_numbers):04d}",
        status=status,
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        category="conference",
        amount=D(amount),
        incurred_on=TODAY,
        description="会场租金",
        campaign=campaign,
    )


class World:
    def __init__(self, company: Any) -> None:
        grant_customer_permissions()
        self.xiehe = make_customer(company.rep_a1, "北京协和医院")
        self.chaoyang = make_customer(company.rep_b1, "朝阳医院")
        self.manager_b = make_employee(
            company.team_b, "manager", username="mgr_b", name="赵经理", is_manager=True
        )
        self.campaign = make_campaign(
            company.sales_head, partners=[self.xiehe, self.chaoyang], owner=company.rep_a1, budget=D("1000")
        )


@pytest.fixture
def world(company) -> World:
    return World(company)


def form_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "春季学术会议",
        "kind": CampaignKind.CONFERENCE,
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + 2 * DAY).isoformat(),
        "budget": "20000",
        "description": "邀请科室主任",
    }
    body.update(fields)
    return body


# List -------------------------------------------------------------------------------------------------


def test_the_list_shows_every_campaign_with_its_cost_and_phase(company, world, client_for):
    charge(world.campaign, company.rep_a1, "1200.00", Status.APPROVED)
    planned = make_campaign(
        company.manager_a, "秋季展会", start_date=TODAY + 9 * DAY, end_date=TODAY + 10 * DAY
    )

    page = text(client_for(company.rep_b1).get(reverse("web:campaign-list")))

    assert world.campaign.code in page and planned.code in page
    assert "¥1,200.00" in page and 'data-testid="over-budget"' in page  # 1200 approved > 1000 budget
    assert "进行中" in page and "未开始" in page and "张伟" in page
    assert 'data-testid="campaign-create"' not in page  # salespeople do not create campaigns
    running = text(client_for(company.rep_b1).get(reverse("web:campaign-list"), {"phase": "planned"}))
    assert planned.code in running and world.campaign.code not in running
    searched = text(client_for(company.rep_b1).get(reverse("web:campaign-list"), {"q": "秋季"}))
    assert planned.code in searched and world.campaign.code not in searched
    by_owner = text(
        client_for(company.rep_b1).get(reverse("web:campaign-list"), {"owner": company.rep_a1.pk})
    )
    assert world.campaign.code in by_owner and planned.code not in by_owner
    by_kind = text(client_for(company.rep_b1).get(reverse("web:campaign-list"), {"kind": "exhibition"}))
    assert 'data-testid="empty"' in by_kind and "没有符合条件的市场活动。" in by_kind


def test_the_list_pages_and_has_an_empty_state(company, client_for):
    manager = client_for(company.manager_a)
    empty = text(manager.get(reverse("web:campaign-list")))
    assert "还没有市场活动。" in empty and 'data-testid="campaign-create"' in empty
    for n in range(21):
        make_campaign(company.manager_a, f"活动{n:02d}")
    first = text(manager.get(reverse("web:campaign-list")))
    assert first.count('data-testid="campaign-row"') == 20 and "1 / 2" in first
    second = text(manager.get(reverse("web:campaign-list"), {"page": 2}))
    assert second.count('data-testid="campaign-row"') == 1


def test_roles_without_the_view_permission_get_403(company, world, client_for):
    buyer = client_for(company.purchaser)
    assert buyer.get(reverse("web:campaign-list")).status_code == 403
    assert buyer.get(reverse("web:campaign-detail", args=[world.campaign.pk])).status_code == 403


# Detail -----------------------------------------------------------------------------------------------


def test_the_detail_shows_figures_partners_in_scope_and_the_count_of_the_others(company, world, client_for):
    charge(world.campaign, company.rep_a1, "200.00", Status.SUBMITTED)
    charge(world.campaign, company.rep_a1, "300.00", Status.APPROVED)
    charge(world.campaign, company.rep_a2, "150.00", Status.DONE)
    url = reverse("web:campaign-detail", args=[world.campaign.pk])

    page = text(client_for(company.rep_a1).get(url))

    figures = page[page.index('data-testid="campaign-figures"') :]
    assert re.search(r'figure-applied">¥200\.00<', figures)
    assert re.search(r'figure-approved">¥450\.00<', figures)
    assert re.search(r'figure-paid">¥150\.00<', figures)
    assert re.search(r'figure-remaining">¥550\.00<', figures)
    partners = page[page.index('data-testid="campaign-partners"') :]
    assert reverse("web:customer-detail", args=[world.xiehe.pk]) in partners
    assert "朝阳医院" not in page
    assert "另有 1 家客户不在你的范围内。" in partners
    assert 'data-testid="campaign-edit"' not in page and 'data-testid="campaign-cancel"' not in page
    admin_page = text(client_for(company.admin).get(url))
    assert "朝阳医院" in admin_page and 'data-testid="hidden-partners"' not in admin_page
    assert 'data-testid="campaign-edit"' in admin_page and 'data-testid="campaign-cancel"' in admin_page


def test_the_expenses_tab_lists_the_expenses_the_user_may_see(company, world, client_for):
    mine = charge(world.campaign, company.rep_a1, "88.00", Status.SUBMITTED)
    theirs = charge(world.campaign, company.rep_a2, "99.00", Status.DRAFT)
    url = reverse("web:campaign-detail", args=[world.campaign.pk]) + "?tab=expenses"

    page = text(client_for(company.rep_a1).get(url))

    assert mine.number in page and theirs.number not in page
    assert "另有 1 笔费用不在你的范围内，已计入上方合计。" in page
    try:
        link = reverse("web:expense-detail", args=[mine.pk])
    except NoReverseMatch:
        link = ""
    assert (f'href="{link}"' in page) == bool(link)
    manager = text(client_for(company.manager_a).get(url))
    assert mine.number in manager and theirs.number in manager and "¥99.00" in manager


def test_attachments_and_history_tabs_render(company, world, client_for):
    url = reverse("web:campaign-detail", args=[world.campaign.pk])
    rep = client_for(company.rep_a1)
    assert 'data-testid="attachments"' in text(rep.get(url + "?tab=attachments"))
    history = text(rep.get(url + "?tab=history"))
    assert "北京协和医院、另有 1 家不在你范围内的客户" in history and "朝阳医院" not in history


def test_a_missing_campaign_answers_404(company, world, client_for):
    rep = client_for(company.rep_a1)
    assert rep.get(reverse("web:campaign-detail", args=[world.campaign.pk + 999])).status_code == 404
    manager = client_for(company.manager_a)
    assert manager.get(reverse("web:campaign-edit", args=[world.campaign.pk + 999])).status_code == 404
    assert (
        manager.post(
            reverse("web:campaign-cancel", args=[world.campaign.pk + 999]), {"reason": "x"}
        ).status_code
        == 404
    )


# Create and edit ---------------------------------------------------------------------------------------


def test_a_manager_creates_a_campaign_from_the_form(company, world, client_for):
    manager = client_for(company.manager_a)
    form = text(manager.get(reverse("web:campaign-create")))
    assert 'data-testid="partner-picker"' in form and "北京协和医院" in form and "朝阳医院" not in form

    response = manager.post(
        reverse("web:campaign-create"), form_body(partners=[world.xiehe.pk], owner=company.rep_a1.pk)
    )

    campaign = Campaign.objects.get(name="春季学术会议")
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:campaign-detail", args=[campaign.pk]
    )
    assert (campaign.owner, campaign.budget, campaign.kind) == (company.rep_a1, D("20000.00"), "conference")
    assert list(campaign.partners.all()) == [world.xiehe]


def test_form_errors_come_back_on_their_fields_and_nothing_is_saved(company, world, client_for):
    manager = client_for(company.manager_a)
    before = Campaign.objects.count()
    response = manager.post(
        reverse("web:campaign-create"),
        form_body(end_date=(TODAY - DAY).isoformat(), owner=company.manager_a.pk),
    )
    assert response.status_code == 400 and "结束日期不能早于开始日期。" in text(response)
    response = manager.post(
        reverse("web:campaign-create"), form_body(budget="-5", owner=company.manager_a.pk)
    )
    assert response.status_code == 400 and "预算不能为负数。" in text(response)
    hidden = manager.post(
        reverse("web:campaign-create"), form_body(partners=[world.chaoyang.pk], owner=company.manager_a.pk)
    )
    assert hidden.status_code == 400 and "朝阳医院" not in text(hidden)
    assert Campaign.objects.count() == before


def test_salespeople_may_not_open_the_create_or_edit_forms(company, world, client_for):
    rep = client_for(company.rep_a1)
    assert rep.get(reverse("web:campaign-create")).status_code == 403
    assert rep.post(reverse("web:campaign-create"), form_body(owner=company.rep_a1.pk)).status_code == 403
    assert rep.get(reverse("web:campaign-edit", args=[world.campaign.pk])).status_code == 403


def test_the_edit_form_keeps_the_partners_the_editor_does_not_see(company, world, client_for):
    manager = client_for(company.manager_a)
    url = reverse("web:campaign-edit", args=[world.campaign.pk])
    form = text(manager.get(url))
    assert "另有 1 家客户不在你的范围内，保存时保持不变。" in form and "朝阳医院" not in form

    response = manager.post(url, form_body(name="华东区渠道培训会（改）", owner=company.rep_a1.pk))

    assert response.status_code == 302
    world.campaign.refresh_from_db()
    assert world.campaign.name == "华东区渠道培训会（改）"
    assert list(world.campaign.partners.values_list("name", flat=True)) == ["朝阳医院"]


def test_the_manager_of_another_team_gets_403_on_edit_and_no_buttons(company, world, client_for):
    other = client_for(world.manager_b)
    page = text(other.get(reverse("web:campaign-detail", args=[world.campaign.pk])))
    assert 'data-testid="campaign-edit"' not in page
    assert other.get(reverse("web:campaign-edit", args=[world.campaign.pk])).status_code == 403
    before = AuditEntry.objects.count()
    response = other.post(reverse("web:campaign-cancel", args=[world.campaign.pk]), {"reason": "x"})
    assert response.status_code == 400
    assert "只有活动负责人或其所在部门的主管可以修改这个市场活动。" in text(response)
    assert (
        AuditEntry.objects.count() == before and not Campaign.objects.get(pk=world.campaign.pk).is_cancelled
    )


# Cancel -----------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_then_the_campaign_is_read_only(company, world, client_for):
    manager = client_for(company.manager_a)
    url = reverse("web:campaign-cancel", args=[world.campaign.pk])

    missing = manager.post(url, {"reason": " "})
    assert missing.status_code == 400 and "请填写原因。" in text(missing)
    assert not Campaign.objects.get(pk=world.campaign.pk).is_cancelled

    done = manager.post(url, {"reason": "展会取消"})
    assert done.status_code == 302
    page = text(manager.get(reverse("web:campaign-detail", args=[world.campaign.pk]), follow=True))
    assert "已取消" in page and "展会取消" in page and 'data-testid="campaign-edit"' not in page
    edit = manager.get(reverse("web:campaign-edit", args=[world.campaign.pk]))
    assert edit.status_code == 302
    again = manager.post(url, {"reason": "再取消"})
    assert again.status_code == 400 and f"市场活动 {world.campaign.code} 已经取消。" in text(again)


# The customer's tab and English ------------------------------------------------------------------------


def test_the_customer_page_has_a_campaigns_tab(company, world, client_for):
    make_campaign(company.manager_a, "与客户无关")
    page = text(
        client_for(company.rep_a1).get(
            reverse("web:customer-detail", args=[world.xiehe.pk]) + "?tab=campaigns"
        )
    )
    assert 'data-testid="customer-campaigns"' in page
    assert world.campaign.code in page and "与客户无关" not in page


def test_the_pages_render_in_english(company, world, client_for):
    client = client_for(company.manager_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for url in (
        reverse("web:campaign-list"),
        reverse("web:campaign-detail", args=[world.campaign.pk]),
        reverse("web:campaign-edit", args=[world.campaign.pk]),
        reverse("web:campaign-create"),
    ):
        page = text(client.get(url))
        assert '<html lang="en">' in page, url
        assert "Owner" in page, url
