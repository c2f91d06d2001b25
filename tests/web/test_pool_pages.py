"""公海 pages: the pool list with quota and claim, a pool customer's page, release and transfer on the
customer page, the badge, the settings page and the home notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.crm.models import Customer, CustomerKind, CustomerLevel, PoolNotice, PoolRule, PoolSettings
from maoyi.crm.services import pool
from tests.crm.builders import grant_customer_permissions, make_customer


@pytest.fixture(autouse=True)
def _permissions(company) -> None:
    grant_customer_permissions()


def test_pool_list_shows_pool_customers_quota_and_claims(company, client_for) -> None:
    PoolSettings.objects.create(max_owned=5, daily_claims=3, cooldown_days=30)
    make_customer(None, "公海医院", address="上海市徐汇区")
    make_customer(company.rep_b1, "别人的医院")
    client = client_for(company.rep_a1)
    page = client.get(reverse("web:pool-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "公海医院" in html and "上海市徐汇区" in html and "别人的医院" not in html
    assert "我负责的客户：0 / 5" in html and "今天已领取：0 / 3" in html
    assert 'data-testid="pool-claim"' in html
    filtered = client.get(reverse("web:pool-list"), {"q": "徐汇", "kind": CustomerKind.AGENT})
    assert "公海医院" not in filtered.content.decode()

    target = Customer.objects.get(name="公海医院")
    claimed = client.post(reverse("web:pool-claim", args=[target.pk]))
    assert claimed.status_code == 302 and claimed.url == reverse("web:customer-detail", args=[target.pk])
    target.refresh_from_db()
    assert target.owner == company.rep_a1
    # Claimed a moment ago by someone else: another salesperson learns nothing about it, not even its name.
    again = client_for(company.rep_a2).post(reverse("web:pool-claim", args=[target.pk]), follow=True)
    assert again.status_code == 404 and "公海医院" not in again.content.decode()


def test_pool_customer_page_for_a_salesperson(company, client_for) -> None:
    customer = make_customer(company.rep_a1, "释放的医院", address="北京")
    pool.release_customer(customer, actor=company.rep_a1, reason="暂无需求")
    assert (
        client_for(company.rep_a2).get(reverse("web:customer-detail", args=[customer.pk])).status_code == 404
    )
    page = client_for(company.rep_a2).get(reverse("web:pool-customer", args=[customer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "释放的医院" in html and "暂无需求" in html and 'data-testid="pool-claim"' in html
    mine = client_for(company.rep_a1).get(reverse("web:pool-customer", args=[customer.pk]))
    assert 'data-testid="pool-cooldown"' in mine.content.decode()  # released it: cool-down
    owned = make_customer(company.rep_b1, "别人的医院")
    assert client_for(company.rep_a2).get(reverse("web:pool-customer", args=[owned.pk])).status_code == 404
    assert client_for(company.purchaser).get(reverse("web:pool-list")).status_code == 403


def test_release_from_the_customer_page(company, client_for) -> None:
    customer = make_customer(company.rep_a1)
    client = client_for(company.rep_a1)
    detail = client.get(reverse("web:customer-detail", args=[customer.pk])).content.decode()
    assert 'data-testid="customer-release"' in detail and 'data-testid="customer-transfer"' not in detail
    url = reverse("web:customer-release", args=[customer.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    done = client.post(url, {"reason": "客户倒闭"})
    assert done.status_code == 302 and done.url == reverse("web:pool-list")
    customer.refresh_from_db()
    assert customer.owner is None
    assert client_for(company.rep_a2).get(url).status_code == 404


def test_transfer_from_the_customer_page(company, client_for) -> None:
    customer = make_customer(company.rep_a1)
    client = client_for(company.manager_a)
    detail = client.get(reverse("web:customer-detail", args=[customer.pk])).content.decode()
    assert 'data-testid="customer-transfer"' in detail
    url = reverse("web:customer-transfer", args=[customer.pk])
    form = client.get(url).content.decode()
    assert "陈静" in form and "钱丽" not in form  # rep_b1 is outside manager A's scope
    assert client.post(url, {"to": company.rep_a2.pk, "reason": ""}).status_code == 400
    done = client.post(url, {"to": company.rep_a2.pk, "reason": "调整分工"})
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == company.rep_a2
    assert client_for(company.rep_a2).get(url).status_code == 403  # salespeople do not transfer


def test_badge_in_list_and_detail(company, client_for) -> None:
    PoolRule.objects.create(kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.B, idle_days=30, warn_days=7)
    customer = make_customer(company.rep_a1)
    since = timezone.now() - dt.timedelta(days=25)
    Customer.objects.filter(pk=customer.pk).update(owned_since=since)
    client = client_for(company.rep_a1)
    listing = client.get(reverse("web:customer-list")).content.decode()
    assert "5 天后回收公海" in listing
    detail = client.get(reverse("web:customer-detail", args=[customer.pk])).content.decode()
    assert "5 天后回收公海" in detail
    Customer.objects.filter(pk=customer.pk).update(owned_since=timezone.now())
    assert "天后回收公海" not in client.get(reverse("web:customer-list")).content.decode()


def test_settings_page(company, client_for) -> None:
    url = reverse("web:pool-settings")
    assert client_for(company.rep_a1).get(url).status_code == 403
    client = client_for(company.admin)
    assert client.get(url).status_code == 200
    data = {"max_owned": "50", "daily_claims": "5", "cooldown_days": "15"}
    data["rule_end_customer_b_idle"] = "30"
    data["rule_end_customer_b_warn"] = "7"
    done = client.post(url, data)
    assert done.status_code == 302
    row = PoolSettings.objects.get()
    assert (row.max_owned, row.daily_claims, row.cooldown_days) == (50, 5, 15)
    rule = PoolRule.objects.get()
    assert (rule.kind, rule.level, rule.idle_days, rule.warn_days, rule.is_active) == (
        "end_customer",
        "b",
        30,
        7,
        True,
    )
    bad = client.post(url, {**data, "rule_end_customer_b_warn": "30"})
    assert bad.status_code == 400 and "提醒天数须小于回收天数。" in bad.content.decode()
    client.post(url, {**data, "rule_end_customer_b_idle": ""})
    rule.refresh_from_db()
    assert rule.is_active is False


def test_home_shows_and_marks_notices_read(company, client_for) -> None:
    customer = make_customer(company.rep_a1, "快回收的医院")
    PoolNotice.objects.create(
        customer=customer, recipient=company.rep_a1, stage="owner", returns_on=dt.date(2026, 4, 1)
    )
    client = client_for(company.rep_a1)
    home = client.get(reverse("web:home")).content.decode()
    assert 'data-testid="pool-notices"' in home and "快回收的医院" in home and "2026-04-01" in home
    assert (
        'data-testid="pool-notices"'
        not in client_for(company.rep_a2).get(reverse("web:home")).content.decode()
    )
    notice = PoolNotice.objects.get()
    assert client.post(reverse("web:pool-notices-read"), {"notice": notice.pk}).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="pool-notices"' not in client.get(reverse("web:home")).content.decode()


def test_the_customer_list_reads_return_badges_for_the_page_at_once(company, client_for) -> None:
    """The badge's rule and open orders are read once for the page, not once per customer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PoolRule.objects.create(kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.B, idle_days=30, warn_days=7)
    client = client_for(company.rep_a1)

    def statements() -> int:
        client.get(reverse("web:customer-list"))
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("web:customer-list")).content.decode()
        assert (
            page.count('data-testid="customer-link"') == Customer.objects.filter(owner=company.rep_a1).count()
        )
        return len(captured)

    make_customer(company.rep_a1, "甲医院")
    few = statements()
    for n in range(12):
        make_customer(company.rep_a1, f"第{n}医院")
    since = timezone.now() - dt.timedelta(days=25)
    Customer.objects.filter(owner=company.rep_a1).update(owned_since=since)
    many = statements()

    assert many == few
    assert client.get(reverse("web:customer-list")).content.decode().count("5 天后回收公海") == 13
