"""未跟进客户 (selectors.idle): owned customers in the user's scope not followed up for N days or
more (never: always), never-followed first, per-owner counts, and when the pool takes them back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from maoyi.crm.models import ActivityKind, Customer, CustomerKind, CustomerLevel, PoolRule
from maoyi.crm.selectors import idle
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import activities
from tests.conftest import Company
from tests.crm.builders import make_customer


def followed(customer: Customer, days_ago: int) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    customer.refresh_from_db()
    return customer


@pytest.fixture
def book(company: Company) -> dict[str, Customer]:
    made = {
        "never": make_customer(company.rep_a1, "从未跟进的医院"),
        "old": followed(make_customer(company.rep_a1, "四十天的医院"), 40),
        "edge": followed(make_customer(company.rep_a2, "三十天的代理", kind=CustomerKind.AGENT), 30),
        "fresh": followed(make_customer(company.rep_a1, "二十九天的医院"), 29),
        "recent": followed(make_customer(company.rep_a2, "五天的医院"), 5),
        "team_b": followed(make_customer(company.rep_b1, "钱丽的医院"), 60),
        "pool": make_customer(None, "公海的医院"),
        "inactive": make_customer(company.rep_a1, "停用的医院"),
    }
    Customer.objects.filter(pk=made["inactive"].pk).update(is_active=False)
    return made


def names(qs: Any) -> list[str]:
    return [c.name for c in qs]


def test_a_manager_sees_the_teams_idle_customers_never_followed_first(company: Company, book: Any) -> None:
    assert names(idle.idle_customers(company.manager_a.user, days=30)) == [
        "从未跟进的医院",
        "四十天的医院",
        "三十天的代理",
    ]
    assert names(idle.idle_customers(company.sales_head.user, days=30)) == [
        "从未跟进的医院",
        "钱丽的医院",
        "四十天的医院",
        "三十天的代理",
    ]


def test_a_salesperson_sees_only_their_own(company: Company, book: Any) -> None:
    assert names(idle.idle_customers(company.rep_a1.user, days=30)) == ["从未跟进的医院", "四十天的医院"]
    assert names(idle.idle_customers(company.rep_b1.user, days=30)) == ["钱丽的医院"]
    assert names(idle.idle_customers(company.purchaser.user, days=30)) == []


def test_the_days_threshold_counts_whole_days(company: Company, book: Any) -> None:
    head = company.sales_head.user
    assert names(idle.idle_customers(head, days=7)) == [
        "从未跟进的医院",
        "钱丽的医院",
        "四十天的医院",
        "三十天的代理",
        "二十九天的医院",
    ]
    assert names(idle.idle_customers(head, days=60)) == ["从未跟进的医院", "钱丽的医院"]
    assert names(idle.idle_customers(head, days=90)) == ["从未跟进的医院"]


def test_a_follow_up_takes_the_customer_off_the_list(company: Company, book: Any) -> None:
    activities.log_activity(
        actor=company.rep_a1, customer=book["never"], kind=ActivityKind.CALL, summary="电话"
    )
    assert "从未跟进的医院" not in names(idle.idle_customers(company.manager_a.user, days=7))


def test_owner_and_kind_filters(company: Company, book: Any) -> None:
    head = company.sales_head.user
    assert names(idle.idle_customers(head, days=30, owner=company.rep_a2)) == ["三十天的代理"]
    assert names(idle.idle_customers(head, days=30, kind=CustomerKind.AGENT)) == ["三十天的代理"]
    assert names(idle.idle_customers(head, days=30, kind=CustomerKind.DISTRIBUTOR)) == []
    # An owner outside the scope finds nothing, even when named.
    assert names(idle.idle_customers(company.manager_a.user, days=30, owner=company.rep_b1)) == []


def test_the_summary_counts_per_owner(company: Company, book: Any) -> None:
    summary = idle.idle_summary(company.sales_head.user, days=30)
    assert summary == [
        idle.IdleCount(company.rep_a1.pk, "张伟", 2, 1),
        idle.IdleCount(company.rep_a2.pk, "陈静", 1, 0),
        idle.IdleCount(company.rep_b1.pk, "钱丽", 1, 0),
    ]
    assert idle.idle_summary(company.manager_a.user, days=30, kind=CustomerKind.AGENT) == [
        idle.IdleCount(company.rep_a2.pk, "陈静", 1, 0)
    ]


def test_the_owner_choices_are_the_scopes_owners(company: Company, book: Any) -> None:
    assert set(idle.idle_owners(company.manager_a.user)) == {company.rep_a1, company.rep_a2}
    assert list(idle.idle_owners(company.rep_b1.user)) == [company.rep_b1]


def test_idle_days(company: Company, book: Any) -> None:
    assert idle.idle_days(book["never"]) is None
    assert idle.idle_days(book["old"]) == 40
    assert idle.idle_days(book["old"], timezone.localdate() + dt.timedelta(days=1)) == 41


def test_when_the_pool_takes_them_back(company: Company, book: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(pool_selectors, "_OPEN_ORDER_PROVIDERS", [])
    listed = [book["old"], book["edge"], book["recent"]]
    assert idle.days_until_return(listed) == {c.pk: None for c in listed}  # no rules: never
    PoolRule.objects.create(kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.B, idle_days=45, warn_days=7)
    # The idle clock starts at the later of the last follow-up and when the owner got the customer.
    Customer.objects.filter(pk__in=[c.pk for c in listed]).update(
        owned_since=timezone.now() - dt.timedelta(days=90)
    )
    listed = list(Customer.objects.filter(pk__in=[c.pk for c in listed]).order_by("pk"))
    assert idle.days_until_return(listed) == {listed[0].pk: 5, listed[1].pk: None, listed[2].pk: 40}
    monkeypatch.setattr(pool_selectors, "_OPEN_ORDER_PROVIDERS", [lambda ids: {listed[0].pk}])
    assert idle.days_until_return(listed)[listed[0].pk] is None  # an open order keeps it
    followed(listed[0], 50)
    monkeypatch.setattr(pool_selectors, "_OPEN_ORDER_PROVIDERS", [])
    assert idle.days_until_return([Customer.objects.get(pk=listed[0].pk)])[listed[0].pk] == 0
