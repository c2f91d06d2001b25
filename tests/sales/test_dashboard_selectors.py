"""The dashboards' sales figures: this month against last month (whole months, approved orders only,
scoped) and the team's sales this month by person and department."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.sales import dashboard_selectors as dash
from tests.sales import builders as b

pytestmark = pytest.mark.django_db


def test_month_bounds_cover_whole_months_including_february_of_a_leap_year() -> None:
    assert dash.month_bounds(dt.date(2024, 2, 10)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert dash.month_bounds(dt.date(2026, 12, 31)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_month_sales_compares_this_month_with_last_month_in_the_users_scope(company) -> None:
    shop = b.build_shop(company)
    b.put_in(shop, "100", "8.00", "L1")
    on = b.today()
    first = on.replace(day=1)
    b.approved_order(shop, b.Line(shop.product, "10", "11.30"))  # 113.00 this month
    b.approved_order(
        shop, b.Line(shop.product, "10", "11.30", discount="10"), order_date=first - dt.timedelta(days=1)
    )
    b.draft_order(shop, b.Line(shop.product, "50", "11.30"))
    b.approved_order(
        shop, b.Line(shop.product, "5", "11.30"), owner=company.rep_b1, customer=shop.other_customer
    )
    mine = dash.month_sales(company.rep_a1.user, on=on)
    assert (mine.this_month.orders, mine.this_month.amount) == (1, D("113.00"))
    assert (mine.last_month.orders, mine.last_month.amount) == (1, D("101.70"))  # 10 × 11.30 less 10%
    assert mine.change == D("11.30") and mine.change_percent == D("11.1")
    assert mine.last_month.first == (first - dt.timedelta(days=1)).replace(day=1)
    everyone = dash.month_sales(company.admin.user, on=on)
    assert everyone.this_month.amount == D("169.50")
    nobody = dash.month_sales(company.rep_a2.user, on=on)
    assert nobody.this_month.amount == 0 and nobody.change_percent is None


def test_team_sales_groups_this_month_by_person_and_department(company) -> None:
    shop = b.build_shop(company)
    b.put_in(shop, "100", "8.00", "L1")
    b.approved_order(shop, b.Line(shop.product, "10", "11.30"))
    b.approved_order(
        shop, b.Line(shop.product, "5", "11.30"), owner=company.rep_b1, customer=shop.other_customer
    )
    team = dash.team_sales(company.manager_a.user, on=b.today())
    assert [(r.label, r.amount) for r in team.by_person.rows] == [("张伟", D("113.00"))]
    head = dash.team_sales(company.sales_head.user, on=b.today())
    assert [(r.label, r.amount) for r in head.by_team.rows] == [
        ("终端客户部", D("113.00")),
        ("渠道部", D("56.50")),
    ]
    assert head.by_person.total.amount == D("169.50")
