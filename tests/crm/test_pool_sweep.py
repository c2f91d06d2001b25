"""The daily sweep on fixed dates: the owner is reminded, then the manager is told, then the customer
returns to the pool; an activity in between starts the clock again; open orders keep a customer."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from maoyi.crm.models import (
    Customer,
    CustomerKind,
    CustomerLevel,
    OwnershipAction,
    OwnershipChange,
    PoolNotice,
    PoolRule,
)
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import pool
from tests.crm.builders import make_customer

START = dt.date(2026, 3, 1)  # owned since; rule: 30 idle days, warned 6 days before


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


@pytest.fixture
def rule(company) -> PoolRule:
    return PoolRule.objects.create(
        kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.B, idle_days=30, warn_days=6
    )


@pytest.fixture
def customer(company, rule) -> Customer:
    found = make_customer(company.rep_a1)
    since = timezone.make_aware(dt.datetime.combine(START, dt.time(9)))
    Customer.objects.filter(pk=found.pk).update(owned_since=since, last_activity_at=None)
    found.refresh_from_db()
    return found


def notices(customer: Customer) -> list[tuple[str, str, dt.date | None]]:
    return [
        (n.stage, n.recipient.name, n.returns_on)
        for n in PoolNotice.objects.filter(customer=customer).order_by("id").select_related("recipient")
    ]


def test_escalation_owner_then_manager_then_return(company, customer) -> None:
    assert pool_selectors.days_until_return(customer, day(10)) == 20
    assert pool_selectors.return_badge(customer, day(10)) is None

    pool.sweep_pool(today=day(23))  # 7 days left: not yet
    assert notices(customer) == []

    result = pool.sweep_pool(today=day(24))  # 6 days left: the owner is reminded
    assert result.owners_reminded == [customer]
    customer.refresh_from_db()
    assert customer.pool_warning == "owner"
    assert notices(customer) == [("owner", "张伟", day(30))]
    assert pool_selectors.return_badge(customer, day(24)) == 6

    pool.sweep_pool(today=day(24))  # idempotent the same day
    pool.sweep_pool(today=day(26))  # 4 days left: still only the owner
    assert len(notices(customer)) == 1

    pool.sweep_pool(today=day(27))  # 3 days left (6 // 2): the manager is told
    customer.refresh_from_db()
    assert customer.pool_warning == "manager"
    assert notices(customer)[1:] == [("manager", "李经理", day(30))]
    pool.sweep_pool(today=day(28))
    assert len(notices(customer)) == 2

    result = pool.sweep_pool(today=day(30))  # returned
    assert [c.pk for c in result.returned] == [customer.pk]
    customer.refresh_from_db()
    assert customer.owner is None and customer.department is None and customer.pool_warning == ""
    change = OwnershipChange.objects.filter(customer=customer).first()
    assert change is not None
    assert (change.action, change.from_owner, change.actor) == (OwnershipAction.RETURN, company.rep_a1, None)
    assert change.reason == "30 天无跟进，自动回收公海"
    assert notices(customer)[2:] == [("returned", "张伟", day(30)), ("returned", "李经理", day(30))]
    assert pool.sweep_pool(today=day(31)).returned == []  # nothing more to do


def test_an_activity_in_between_resets_the_clock(company, customer) -> None:
    pool.sweep_pool(today=day(24))
    customer.refresh_from_db()
    assert customer.pool_warning == "owner"
    # A follow-up on day 25 (the activity service stamps last_activity_at).
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=timezone.make_aware(dt.datetime.combine(day(25), dt.time(15)))
    )
    result = pool.sweep_pool(today=day(30))
    assert result.returned == [] and result.reset == 1
    customer.refresh_from_db()
    assert customer.owner == company.rep_a1 and customer.pool_warning == ""
    assert pool_selectors.days_until_return(customer, day(30)) == 25
    pool.sweep_pool(today=day(49))  # 6 days before day 55: reminded again
    assert [n[0] for n in notices(customer)] == ["owner", "owner"]


def test_a_missed_sweep_reminds_owner_and_manager_together(company, customer) -> None:
    pool.sweep_pool(today=day(28))  # 2 days left, never warned
    customer.refresh_from_db()
    assert customer.pool_warning == "manager"
    assert [n[0] for n in notices(customer)] == ["owner", "manager"]


def test_manager_owner_is_not_told_twice(company, rule) -> None:
    owned = make_customer(company.manager_a, "经理的客户")
    since = timezone.make_aware(dt.datetime.combine(START, dt.time(9)))
    Customer.objects.filter(pk=owned.pk).update(owned_since=since)
    pool.sweep_pool(today=day(28))
    assert [(n[0], n[1]) for n in notices(owned)] == [("owner", "李经理"), ("manager", "王经理")]


def test_customers_without_a_rule_or_with_open_orders_stay(company, customer) -> None:
    other = make_customer(company.rep_a1, "重点医院", level=CustomerLevel.A)  # no rule for level A
    Customer.objects.filter(pk=other.pk).update(owned_since=customer.owned_since)
    pool.register_open_orders(lambda ids: {customer.pk} & set(ids))
    try:
        result = pool.sweep_pool(today=day(40))
        assert pool_selectors.days_until_return(customer, day(40)) is None
    finally:
        pool.pool_selectors._OPEN_ORDER_PROVIDERS.clear()
    assert result.returned == [] and result.kept_for_orders == 1
    assert Customer.objects.filter(owner=company.rep_a1).count() == 2
    PoolRule.objects.update(is_active=False)
    assert pool.sweep_pool(today=day(40)).returned == []


def test_command_prints_a_summary(company, customer) -> None:
    out = StringIO()
    call_command("pool_sweep", "--date", day(30).isoformat(), stdout=out)
    text = out.getvalue()
    assert "2026-03-31 pool_sweep: checked 1" in text and "returned 1" in text
    assert f"returned: {customer.name}" in text
    with pytest.raises(CommandError):
        call_command("pool_sweep", "--date", "31/03/2026")
