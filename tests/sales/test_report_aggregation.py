"""销售统计 and 毛利分析 are added up in SQL (whole cents, each line rounded as the order shows it):
the SQL figures equal the line-by-line Decimal figures on awkward lines (half cents, deep
discounts, fractional quantities, lines near the bounds of SQLite's 64-bit integers), and the
number of statements does not grow with the number of lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maoyi.core.documents import Status
from maoyi.core.money import quantize_money, quantize_quantity
from maoyi.sales import profit
from maoyi.sales import report_selectors as reports
from maoyi.sales.models import SalesOrderLine
from tests.conftest import Company
from tests.sales.builders import Line, Shop, _order, build_shop

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 3, 5)
# (quantity, unit price, discount %, tax %): ties at half a cent, deep discounts, fractions, and
# lines near the documented bounds (net unit price ≈ 2,000,000, quantity ≈ 200,000).
AWKWARD = [
    ("1", "0.0050", "0", "13"),
    ("3", "0.3350", "0", "13"),
    ("7", "10.0100", "0", "13"),
    ("2.5", "19.9900", "12.5", "6"),
    ("0.0001", "49.9999", "99.99", "9"),
    ("12.3456", "7.7777", "33.33", "13"),
    ("150000", "1999999.9999", "0", "13"),
    ("199999.9999", "13.5700", "7", "0"),
    ("3", "1.1300", "50", "13"),
    ("0.5", "0.0100", "0", "99.99"),
]


def _sold(shop: Shop, company: Company, rows: list[tuple[str, str, str, str]], copies: int = 1) -> None:
    for n in range(copies):
        for i, (quantity, price, discount, tax) in enumerate(rows):
            owner = company.rep_a1 if i % 2 else company.rep_a2
            _order(
                shop,
                [Line(shop.product if i % 3 else shop.plain, quantity, price, discount, tax)],
                owner=owner,
                customer=None,
                order_date=DAY + dt.timedelta(days=n),
                delivery_date=None,
                status=Status.APPROVED,
            )


def _ship_parts() -> None:
    """Ship a third of each line (at a made-up cost) and take a seventh of that back."""
    for line in SalesOrderLine.objects.all():
        shipped = max(quantize_quantity(line.quantity / 3), D("0.0001"))
        returned = quantize_quantity(shipped / 7)
        SalesOrderLine.objects.filter(pk=line.pk).update(
            shipped_quantity=shipped,
            returned_quantity=returned,
            shipped_cost=quantize_money(shipped * D("1.2345")),
            returned_cost=quantize_money(returned * D("1.2345")),
        )


def test_sql_sales_totals_equal_the_line_by_line_decimal_figures(company: Company) -> None:
    shop = build_shop(company)
    _sold(shop, company, AWKWARD)
    lines = list(SalesOrderLine.objects.select_related("order"))
    report = reports.sales_summary(company.admin.user, by="salesperson")
    assert report.total.amount == sum((line.amount for line in lines), D("0"))
    assert report.total.amount_ex_tax == sum((line.amount_ex_tax for line in lines), D("0"))
    assert report.total.quantity == sum((line.quantity for line in lines), D("0"))
    assert report.total.orders == len(AWKWARD)
    by_owner = {row.key: (row.orders, row.quantity, row.amount, row.amount_ex_tax) for row in report.rows}
    expected = {}
    for owner in (company.rep_a1, company.rep_a2):
        mine = [line for line in lines if line.order.owner_id == owner.pk]
        expected[owner.pk] = (
            len(mine),
            sum((line.quantity for line in mine), D("0")),
            sum((line.amount for line in mine), D("0")),
            sum((line.amount_ex_tax for line in mine), D("0")),
        )
    assert by_owner == expected
    # e.g. the line near the bounds: 150000 × 1999999.9999 = 299,999,999,985.00, tax 13/113 of it
    assert SalesOrderLine.objects.get(quantity=D("150000")).amount == D("299999999985.00")


def test_sql_profit_equals_the_sum_of_the_line_profits(company: Company) -> None:
    shop = build_shop(company)
    _sold(shop, company, AWKWARD)
    _ship_parts()
    user = company.admin.user
    per_line = profit.line_profits(user)
    assert len(per_line) == len(AWKWARD)
    assert profit.profit_total(user) == sum((row.profit for row in per_line), profit.Profit())
    by_owner = {g.key: (g.lines, g.profit) for g in profit.profit_by_salesperson(user)}
    expected: dict[int, tuple[int, profit.Profit]] = {}
    for row in per_line:
        n, total = expected.get(row.owner_id, (0, profit.Profit()))
        expected[row.owner_id] = (n + 1, total + row.profit)
    assert by_owner == expected
    by_order = profit.profit_by_order(user)
    assert [(g.key, g.profit) for g in by_order] == [(row.order_id, row.profit) for row in per_line]


def _statements(call: object) -> int:
    """How many statements `call` runs; every read of the order lines adds them up in SQL (none
    brings the lines themselves back to be added up in Python)."""
    with CaptureQueriesContext(connection) as captured:
        call()  # type: ignore[operator]
    lines_read = [q["sql"] for q in captured if 'FROM "sales_salesorderline"' in q["sql"]]
    assert lines_read and all("SUM(" in sql for sql in lines_read)
    return len(captured)


def test_sales_and_profit_reports_take_the_same_statements_for_ten_times_the_lines(company: Company) -> None:
    shop = build_shop(company)
    user = company.admin.user
    calls = {
        "sales": lambda: reports.sales_summary(user, by="product"),
        "sales_month": lambda: reports.sales_summary(user, by="month"),
        "profit": lambda: reports.profit_report(user, by="customer"),
        "profit_month": lambda: reports.profit_report(user, by="month"),
        "profit_total": lambda: profit.profit_total(user),
    }
    _sold(shop, company, AWKWARD[:2])
    _ship_parts()
    for call in calls.values():  # the data-scope gate reads the user's employee once
        call()
    small = {name: _statements(call) for name, call in calls.items()}
    _sold(shop, company, AWKWARD[:2], copies=10)
    _ship_parts()
    large = {name: _statements(call) for name, call in calls.items()}
    assert SalesOrderLine.objects.count() == 22
    assert large == small
    # the groups and the total; 毛利分析 one grouped query; the total of the lines one aggregate
    assert small == {"sales": 2, "sales_month": 2, "profit": 1, "profit_month": 1, "profit_total": 1}
    assert reports.sales_summary(user, by="month").total.orders == 22
