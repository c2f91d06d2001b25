"""The opportunity pages (机会): list with filters and paging, the pipeline (销售漏斗) with its stage
buttons and the managers' table by person, create and edit forms with their refusals, the detail
with its stage history, and the customer's 机会 tab — each through the data scope (404 outside it)."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.crm.models import Opportunity
from maoyi.crm.services import opportunities as services
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return re.findall(r'data-testid="opportunity-link">([^<]+)<', text(response))


def make(owner, customer, title="采购CT机", amount="100000", **fields) -> Opportunity:
    return services.create_opportunity(
        actor=None, customer=customer, title=title, expected_amount=D(amount), **fields
    )


@pytest.fixture
def book(company):
    """rep_a1's customer with two opportunities, rep_a2's and rep_b1's with one each."""
    xiehe = make_customer(company.rep_a1, "北京协和医院")
    ruijin = make_customer(company.rep_a2, "上海瑞金医院")
    agent = make_customer(company.rep_b1, "广州代理商")
    return {
        "xiehe": xiehe,
        "ct": make(company.rep_a1, xiehe, "采购CT机", "1000.10"),
        "supplies": make(company.rep_a1, xiehe, "耗材年度合同", "200.20", stage="proposal"),
        "monitor": make(company.rep_a2, ruijin, "监护仪", "300", stage="proposal"),
        "agent": make(company.rep_b1, agent, "渠道铺货", "5000"),
    }


# List ----------------------------------------------------------------------------------------------


def test_the_list_shows_the_users_opportunities_and_filters_them(company, client_for, book):
    rep = client_for(company.rep_a1)
    response = rep.get(reverse("web:opportunity-list"))
    assert response.status_code == 200
    assert sorted(listed(response)) == ["耗材年度合同", "采购CT机"]
    assert 'data-testid="opportunity-create"' in text(response)
    assert listed(rep.get(reverse("web:opportunity-list"), {"stage": "proposal"})) == ["耗材年度合同"]
    assert listed(rep.get(reverse("web:opportunity-list"), {"q": "ct"})) == ["采购CT机"]
    manager = client_for(company.manager_a)
    by_owner = manager.get(reverse("web:opportunity-list"), {"owner": company.rep_a2.pk})
    assert listed(by_owner) == ["监护仪"]
    assert sorted(listed(manager.get(reverse("web:opportunity-list")))) == [
        "监护仪",
        "耗材年度合同",
        "采购CT机",
    ]
    empty = rep.get(reverse("web:opportunity-list"), {"stage": "won"})
    assert "没有符合条件的机会。" in text(empty)


def test_the_list_pages(company, client_for):
    customer = make_customer(company.rep_a1, "北京协和医院")
    for n in range(23):
        make(company.rep_a1, customer, f"机会{n:02d}", "1")
    rep = client_for(company.rep_a1)
    assert len(listed(rep.get(reverse("web:opportunity-list")))) == 20
    assert len(listed(rep.get(reverse("web:opportunity-list"), {"page": 2}))) == 3


def test_roles_without_the_permission_get_403(company, client_for):
    for employee in (company.finance_clerk, company.purchaser):
        client = client_for(employee)
        assert client.get(reverse("web:opportunity-list")).status_code == 403
        assert client.get(reverse("web:pipeline")).status_code == 403


# Pipeline ------------------------------------------------------------------------------------------


def columns(response) -> dict[str, tuple[str, str]]:
    page = text(response)
    found = re.findall(
        r'data-stage="(\w+)">.*?data-testid="column-count">(\d+)<.*?data-testid="column-amount">([^<]+)<',
        page,
        re.S,
    )
    return {stage: (count, amount) for stage, count, amount in found}


def test_the_pipeline_shows_each_open_stage_with_its_totals_and_cards(company, client_for, book):
    response = client_for(company.manager_a).get(reverse("web:pipeline"))
    assert response.status_code == 200
    assert columns(response) == {
        "initial": ("1", "¥1,000.10"),
        "needs": ("0", "¥0.00"),
        "proposal": ("2", "¥500.20"),
        "negotiation": ("0", "¥0.00"),
    }
    page = text(response)
    assert "渠道铺货" not in page  # team B's
    assert 'data-testid="pipeline-by-person"' in page
    assert re.findall(r'data-testid="person-name"><a [^>]+>([^<]+)<', page) == ["陈静", "张伟"]


def test_a_salesperson_sees_their_own_pipeline_without_the_table_by_person(company, client_for, book):
    response = client_for(company.rep_a1).get(reverse("web:pipeline"))
    assert columns(response)["proposal"] == ("1", "¥200.20")
    assert "监护仪" not in text(response)
    assert 'data-testid="pipeline-by-person"' not in text(response)


def test_a_card_moves_to_the_next_stage_and_back_to_the_pipeline(company, client_for, book):
    rep = client_for(company.rep_a1)
    url = reverse("web:opportunity-stage", args=[book["ct"].pk])
    response = rep.post(url, {"stage": "needs", "next": reverse("web:pipeline")})
    assert response.status_code == 302 and response["Location"] == reverse("web:pipeline")
    book["ct"].refresh_from_db()
    assert book["ct"].stage == "needs"
    response = rep.post(url, {"stage": "lost", "lost_reason": ""}, follow=True)
    assert "输单必须填写原因。" in text(response)
    book["ct"].refresh_from_db()
    assert book["ct"].stage == "needs"
    rep.post(url, {"stage": "lost", "lost_reason": "预算取消"})
    book["ct"].refresh_from_db()
    assert (book["ct"].stage, book["ct"].lost_reason) == ("lost", "预算取消")
    response = rep.post(url, {"stage": "initial"}, follow=True)
    assert "机会已输单，不能再变更阶段。" in text(response)


def test_a_stage_post_elsewhere_is_refused(company, client_for, book):
    url = reverse("web:opportunity-stage", args=[book["ct"].pk])
    assert client_for(company.rep_b1).post(url, {"stage": "won"}).status_code == 404
    assert client_for(company.rep_a1).get(url).status_code == 405
    response = client_for(company.rep_a1).post(url, {"stage": "won", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:opportunity-detail", args=[book["ct"].pk])
    book["ct"].refresh_from_db()
    assert book["ct"].stage == "won"


# Forms ---------------------------------------------------------------------------------------------


def test_create_from_a_customer_preselects_it_and_saves(company, client_for, book):
    rep = client_for(company.rep_a1)
    url = reverse("web:opportunity-create") + f"?customer={book['xiehe'].pk}"
    form = rep.get(url)
    assert form.status_code == 200
    assert re.search(rf'<option value="{book["xiehe"].pk}" selected>北京协和医院', text(form))
    assert "广州代理商" not in text(form)  # not in rep_a1's scope
    response = rep.post(
        url,
        {
            "customer": book["xiehe"].pk,
            "title": "DR设备",
            "stage": "needs",
            "expected_amount": "88000",
            "expected_close": "2030-05-01",
            "lost_reason": "",
            "note": "",
        },
    )
    created = Opportunity.objects.get(title="DR设备")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:opportunity-detail", args=[created.pk])
    assert (created.stage, created.expected_amount, created.created_by) == (
        "needs",
        D("88000"),
        company.rep_a1,
    )


def test_create_shows_the_refusal_on_the_field(company, client_for, book):
    before = Opportunity.objects.count()
    response = client_for(company.rep_a1).post(
        reverse("web:opportunity-create"),
        {"customer": book["xiehe"].pk, "title": "DR", "stage": "initial", "expected_amount": "1.234"},
    )
    assert response.status_code == 400
    assert "预计金额最多保留两位小数。" in text(response)
    assert Opportunity.objects.count() == before
    other = client_for(company.rep_a1).post(
        reverse("web:opportunity-create"),
        {"customer": book["agent"].customer_id, "title": "DR", "stage": "initial", "expected_amount": "1"},
    )
    assert other.status_code == 400 and Opportunity.objects.count() == before  # not a choice


def test_edit_saves_and_a_closed_opportunity_cannot_be_edited(company, client_for, book):
    rep = client_for(company.rep_a1)
    url = reverse("web:opportunity-edit", args=[book["ct"].pk])
    form = rep.get(url)
    assert form.status_code == 200 and 'value="1000.1"' in text(form)
    response = rep.post(
        url, {"title": "采购CT机（二期）", "expected_amount": "2000", "note": "加急", "version": "1"}
    )
    assert response.status_code == 302
    book["ct"].refresh_from_db()
    assert (book["ct"].title, book["ct"].expected_amount, book["ct"].note) == (
        "采购CT机（二期）",
        D("2000"),
        "加急",
    )
    services.move_stage(book["ct"], actor=None, stage="won")
    refused = rep.post(url, {"title": "再改", "expected_amount": "1", "version": "3"})
    assert refused.status_code == 400 and "机会已赢单，不能再修改。" in text(refused)
    assert client_for(company.rep_b1).get(url).status_code == 404


# Detail and the customer's tab --------------------------------------------------------------------


def test_the_detail_shows_the_stage_history_attachments_and_log(company, client_for, book):
    services.move_stage(book["ct"], actor=company.rep_a1, stage="proposal")
    rep = client_for(company.rep_a1)
    url = reverse("web:opportunity-detail", args=[book["ct"].pk])
    response = rep.get(url)
    page = text(response)
    assert response.status_code == 200
    assert page.count('data-testid="stage-history-entry"') == 2
    assert "初步接洽 → 方案报价" in page
    assert 'data-testid="stage-next"' in page and 'data-testid="stage-lost"' in page
    assert rep.get(url, {"tab": "attachments"}).status_code == 200
    assert 'data-testid="attachments"' in text(rep.get(url, {"tab": "attachments"}))
    assert 'data-testid="history"' in text(rep.get(url, {"tab": "history"}))
    assert client_for(company.rep_b1).get(url).status_code == 404
    assert client_for(company.manager_a).get(url).status_code == 200


def test_a_closed_opportunity_shows_no_stage_buttons(company, client_for, book):
    services.move_stage(book["ct"], actor=None, stage="lost", lost_reason="价格高")
    page = text(client_for(company.rep_a1).get(reverse("web:opportunity-detail", args=[book["ct"].pk])))
    assert 'data-testid="stage-actions"' not in page and 'data-testid="opportunity-edit"' not in page
    assert "价格高" in page


def test_the_customer_page_has_an_opportunities_tab(company, client_for, book):
    rep = client_for(company.rep_a1)
    url = reverse("web:customer-detail", args=[book["xiehe"].pk])
    assert "?tab=opportunities" in text(rep.get(url))
    response = rep.get(url, {"tab": "opportunities"})
    assert response.status_code == 200
    assert sorted(listed(response)) == ["耗材年度合同", "采购CT机"]
    assert f"?customer={book['xiehe'].pk}" in text(response)
    assert "¥1,200.30" in text(response)
    finance = client_for(company.finance_clerk).get(url)
    assert finance.status_code == 200 and "?tab=opportunities" not in text(finance)
