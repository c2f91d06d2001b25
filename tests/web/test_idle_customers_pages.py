"""未跟进客户 page: the scope's idle customers with their owner summary, filters, paging, the pool's
return date, and who may open it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.crm.models import Customer, CustomerKind, CustomerLevel, PoolRule
from maoyi.crm.selectors import pool as pool_selectors
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db

URL = "/crm/customers/idle/"


@pytest.fixture(autouse=True)
def _permissions(company, monkeypatch) -> None:
    grant_customer_permissions()
    monkeypatch.setattr(pool_selectors, "_OPEN_ORDER_PROVIDERS", [])


def followed(customer: Customer, days_ago: int) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return customer


def listed(response) -> list[str]:
    return re.findall(r'data-testid="customer-link">([^<]+)<', response.content.decode())


@pytest.fixture
def book(company) -> dict[str, Customer]:
    return {
        "never": make_customer(company.rep_a1, "从未跟进的医院"),
        "old": followed(make_customer(company.rep_a1, "四十天的医院"), 40),
        "agent": followed(make_customer(company.rep_a2, "陈静的代理", kind=CustomerKind.AGENT), 35),
        "recent": followed(make_customer(company.rep_a2, "五天的医院"), 5),
        "team_b": followed(make_customer(company.rep_b1, "钱丽的医院"), 60),
        "pool": make_customer(None, "公海的医院"),
    }


def test_the_url_is_where_the_task_says() -> None:
    assert reverse("web:customers-idle") == URL


def test_a_manager_sees_the_team_with_a_summary_per_owner(company, client_for, book) -> None:
    response = client_for(company.manager_a).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert listed(response) == ["从未跟进的医院", "四十天的医院", "陈静的代理"]
    assert "30 天以上未跟进：共 3 个客户" in html
    owners = re.findall(
        r'data-testid="idle-summary-owner">\s*([^<]+?) <span class="badge bg-red-lt ms-1">(\d+)<', html
    )
    assert owners == [("张伟", "2"), ("陈静", "1")]
    assert "其中从未跟进 1" in html
    assert 'data-testid="never-followed"' in html and "40 天" in html and "35 天" in html
    assert reverse("web:customer-detail", args=[book["old"].pk]) in html
    assert "钱丽" not in html and "公海的医院" not in html


def test_filters_by_days_kind_and_owner(company, client_for, book) -> None:
    client = client_for(company.sales_head)
    assert listed(client.get(URL, {"days": "60"})) == ["从未跟进的医院", "钱丽的医院"]
    assert listed(client.get(URL, {"days": "7"})) == [
        "从未跟进的医院",
        "钱丽的医院",
        "四十天的医院",
        "陈静的代理",
    ]
    assert listed(client.get(URL, {"days": "8"})) == listed(client.get(URL))  # not a choice: 30
    assert listed(client.get(URL, {"kind": "agent"})) == ["陈静的代理"]
    assert listed(client.get(URL, {"owner": company.rep_a1.pk})) == ["从未跟进的医院", "四十天的医院"]
    # manager A cannot filter by a salesperson of team B: the filter is ignored, the scope holds.
    assert listed(client_for(company.manager_a).get(URL, {"owner": company.rep_b1.pk})) == [
        "从未跟进的医院",
        "四十天的医院",
        "陈静的代理",
    ]


def test_a_salesperson_sees_their_own_and_others_may_not_open_it(company, client_for, book) -> None:
    assert listed(client_for(company.rep_a2).get(URL)) == ["陈静的代理"]
    assert client_for(company.purchaser).get(URL).status_code == 403
    assert client_for(company.finance_clerk).get(URL).status_code == 200  # finance reads customers


def test_when_the_pool_takes_them_back(company, client_for, book) -> None:
    PoolRule.objects.create(kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.B, idle_days=45, warn_days=7)
    Customer.objects.filter(pk__in=[book["old"].pk, book["never"].pk]).update(
        owned_since=timezone.now() - dt.timedelta(days=100)
    )
    html = client_for(company.manager_a).get(URL).content.decode()
    returns = re.findall(r'data-testid="idle-return">(.*?)</td>', html)
    assert returns[0].count("即将回收公海") == 1  # never followed, owned 100 days: at the next sweep
    assert returns[1] == "5 天后回收公海"
    assert "—" in returns[2]  # agents have no rule


def test_paging_and_the_empty_state(company, client_for) -> None:
    for i in range(23):
        make_customer(company.rep_a1, f"客户{i:02d}")
    client = client_for(company.rep_a1)
    first = client.get(URL)
    assert len(listed(first)) == 20 and "共 23 条" in first.content.decode()
    assert len(listed(client.get(URL, {"page": "2"}))) == 3
    empty = client_for(company.rep_b1).get(URL)
    assert "没有 30 天以上未跟进的客户。" in empty.content.decode()
    filtered = client_for(company.rep_b1).get(URL, {"kind": "agent"})
    assert "没有符合条件的未跟进客户。" in filtered.content.decode()
