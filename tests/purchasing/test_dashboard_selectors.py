"""Purchasing's dashboard figures: goods still to arrive by expected week (late first, open
quantities only, CNY at the order's rate, scoped) and the price trend of the most bought products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.finance.models import ExchangeRate
from maoyi.purchasing import dashboard_selectors as dash
from maoyi.purchasing.models import PurchaseOrder
from tests.purchasing import order_builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    return b.build_shop(company)


def test_incoming_by_week_values_the_open_quantities_of_approved_orders(shop, company) -> None:
    ExchangeRate.objects.create(
        currency="USD", rate=D("7.0"), valid_from=b.days(-30), created_by=company.finance_clerk.user
    )
    late = b.approved(shop, b.line(shop.product, "100", "11.30"), expected_date=b.days(-3))
    b.receive(shop, late, "40")  # 60 left
    usd = b.approved(
        shop, b.line(shop.plain, "10", "2.00"), supplier=shop.usd_supplier, expected_date=b.days(7)
    )
    b.approved(shop, b.line(shop.plain, "1", "5.00"), expected_date=b.days(7 * 9))  # beyond the 8 weeks
    b.draft(shop, b.line(shop.plain, "1000", "1.00"), expected_date=b.days(1))
    weeks = dash.incoming_by_week(company.purchaser.user)
    assert len(weeks) == 9 and weeks[0].overdue
    assert (weeks[0].amount, weeks[0].lines, weeks[0].orders) == (D("678.00"), 1, [late])
    index = 1 + (timezone.localdate().weekday() + 7) // 7
    usd.refresh_from_db()
    assert weeks[index].amount == (D("20.00") * usd.exchange_rate).quantize(D("0.01"))
    assert sum(w.lines for w in weeks) == 2
    assert dash.incoming_by_week(company.rep_a1.user)[0].amount == 0  # not theirs to see


def test_price_trend_takes_the_most_bought_products_and_averages_by_month(shop, company) -> None:
    b.approved(shop, b.line(shop.product, "100", "11.30"), b.line(shop.plain, "10", "2.00"))
    b.approved(shop, b.line(shop.product, "50", "12.00"))
    older = b.approved(shop, b.line(shop.product, "10", "10.00"))
    first = timezone.localdate().replace(day=1)
    moment = timezone.make_aware(dt.datetime.combine(first - dt.timedelta(days=1), dt.time(12)))
    PurchaseOrder.objects.filter(pk=older.pk).update(approved_at=moment)
    trend = dash.price_trend(company.purchaser.user, top=1)
    assert trend.months[-1] == first and len(trend.months) == 6
    (top,) = trend.products
    assert (top.code, top.amount) == ("ZS001", D("1830.00"))
    assert top.prices[-2:] == [D("10.0000"), D("11.5333")] and top.prices[:4] == [None] * 4
    both = dash.price_trend(company.purchaser.user)
    assert [p.code for p in both.products] == ["ZS001", "PJ001"]
    assert dash.price_trend(company.rep_a1.user).products == []
