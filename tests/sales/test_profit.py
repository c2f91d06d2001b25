"""毛利: gross profit per line, order, customer, salesperson and month, checked against figures
computed by hand on a fixed data set: two products, one lot-tracked with two lots that left at
different moving-average costs, a discount, two shipments, a partial return, and a second order of
another salesperson dated in an earlier month and only partly shipped.

The data set, by hand (tax 13 % everywhere, prices tax-inclusive):

  stock  ZS001 lot LA1: 100 at 8.00 (800.00);  PJ001: 200 at 2.50 (500.00)
  O1 (张伟, 北京协和医院, today)
    line 1  ZS001 60 × 22.60 less 10 % = 20.34 → amount 1220.40, tax 140.40, ex tax 1080.00
    line 2  PJ001 100 × 5.65            → amount  565.00, tax  65.00, ex tax  500.00
  S1     ZS001 40 from LA1 at 8.00 = 320.00;  PJ001 100 at 2.50 = 250.00
  stock  ZS001 lot LA2: 40 at 13.00: 100 units worth 480.00 + 520.00 = 1000.00, average 10.00
  S2     ZS001 20 from LA2 (chosen) at 10.00 = 200.00                       → O1 done
  R1     back 5 ZS001 of S1 (LA1) at 8.00 = 40.00, 30 PJ001 of S1 at 2.50 = 75.00; refund
         5 × 20.34 + 30 × 5.65 = 101.70 + 169.50 = 271.20
         ZS001 now 85 units worth 840.00
  O2 (钱丽, 上海瑞金医院, 40 days ago)
    line    ZS001 7 × 10.01 → amount 70.07, tax 8.06, ex tax 62.01
  S3     ZS001 3 (first expiry: LA1) at 840.00 / 85 = 9.882352… → 29.65

  O1 line 1  revenue 1080.00 − 1080.00 × 5/60 (90.00) = 990.00; cost 520.00 − 40.00 = 480.00;
             profit 510.00; margin 51.52 %
  O1 line 2  revenue 500.00 − 150.00 = 350.00; cost 250.00 − 75.00 = 175.00; profit 175.00; 50.00 %
  O1         revenue 1340.00; cost 655.00; profit 685.00; margin 51.12 %
  O2         revenue 62.01 × 3/7 = 26.575… → 26.58; cost 29.65; profit −3.07; margin −11.55 %
  all        revenue 1366.58; cost 684.65; profit 681.93; margin 49.90 %
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from maoyi.sales import profit
from maoyi.sales.models import SalesOrder
from maoyi.sales.profit import Profit
from maoyi.sales.services import returns
from tests.conftest import Company
from tests.sales.builders import (
    Line,
    Shop,
    approved_order,
    approved_return,
    back,
    build_shop,
    days,
    item,
    level,
    line_of,
    lot,
    put_in,
    refund_of,
    ship,
    today,
)

pytestmark = pytest.mark.django_db


@dataclass
class Book:
    shop: Shop
    o1: SalesOrder
    o2: SalesOrder


@pytest.fixture
def book(company: Company) -> Book:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "LA1", expiry=days(200))
    put_in(shop, "200", "2.50", product=shop.plain)
    o1 = approved_order(shop, Line(shop.product, "60", "22.60", "10"), Line(shop.plain, "100", "5.65"))
    s1 = ship(shop, o1, item(line_of(o1), "40"), item(line_of(o1, 1), "100"))
    put_in(shop, "40", "13.00", "LA2", expiry=days(400))
    ship(shop, o1, item(line_of(o1), "20", lot=lot("LA2")))
    a_line, b_line = s1.lines.order_by("id")
    r1 = approved_return(shop, o1, back(a_line, "5"), back(b_line, "30"))
    returns.receive_return(r1, actor=shop.keeper)
    assert refund_of(r1).amount == D("271.20")
    o2 = approved_order(
        shop,
        Line(shop.product, "7", "10.01"),
        owner=company.rep_b1,
        customer=shop.other_customer,
        order_date=days(-40),
    )
    ship(shop, o2, item(line_of(o2), "3"))
    o1.refresh_from_db()
    o2.refresh_from_db()
    return Book(shop, o1, o2)


def figures(p: Profit) -> tuple[D, D, D, D | None]:
    return (p.revenue, p.cost, p.profit, p.margin)


def test_the_data_set_left_the_stock_and_the_order_lines_as_computed_by_hand(book: Book) -> None:
    shop = book.shop
    assert level(shop) == (D("82"), D("4"), D("810.35"))
    assert level(shop, shop.plain) == (D("130"), D("0"), D("325.00"))
    assert [
        (r.shipped_quantity, r.returned_quantity, r.shipped_cost, r.returned_cost)
        for r in book.o1.lines.order_by("id")
    ] == [(D("60"), D("5"), D("520.00"), D("40.00")), (D("100"), D("30"), D("250.00"), D("75.00"))]
    assert (line_of(book.o2).shipped_quantity, line_of(book.o2).shipped_cost) == (D("3"), D("29.65"))


def test_gross_profit_per_line(book: Book, company: Company) -> None:
    rows = profit.line_profits(company.admin.user)

    assert [(r.order_number, r.product_code, *figures(r.profit)) for r in rows] == [
        (book.o2.number, "ZS001", D("26.58"), D("29.65"), D("-3.07"), D("-11.55")),
        (book.o1.number, "ZS001", D("990.00"), D("480.00"), D("510.00"), D("51.52")),
        (book.o1.number, "PJ001", D("350.00"), D("175.00"), D("175.00"), D("50.00")),
    ]
    first = rows[1].profit
    assert (first.shipped_revenue, first.returned_revenue, first.shipped_cost, first.returned_cost) == (
        D("1080.00"),
        D("90.00"),
        D("520.00"),
        D("40.00"),
    )
    assert profit.line_profit(line_of(book.o1)) == first


def test_gross_profit_per_order(book: Book, company: Company) -> None:
    groups = profit.profit_by_order(company.admin.user)

    assert [(g.key, g.label, g.lines, *figures(g.profit)) for g in groups] == [
        (book.o2.pk, book.o2.number, 1, D("26.58"), D("29.65"), D("-3.07"), D("-11.55")),
        (book.o1.pk, book.o1.number, 2, D("1340.00"), D("655.00"), D("685.00"), D("51.12")),
    ]
    assert figures(profit.order_profit(book.o1)) == (D("1340.00"), D("655.00"), D("685.00"), D("51.12"))


def test_gross_profit_per_customer_and_per_salesperson(book: Book, company: Company) -> None:
    customers = profit.profit_by_customer(company.admin.user)
    people = profit.profit_by_salesperson(company.admin.user)

    assert [(g.label, g.profit.profit) for g in customers] == [
        ("北京协和医院", D("685.00")),
        ("上海瑞金医院", D("-3.07")),
    ]
    assert [(g.key, g.label, g.profit.revenue, g.profit.profit) for g in people] == [
        (company.rep_a1.pk, "张伟", D("1340.00"), D("685.00")),
        (company.rep_b1.pk, "钱丽", D("26.58"), D("-3.07")),
    ]


def test_gross_profit_per_month_and_in_total(book: Book, company: Company) -> None:
    months = profit.profit_by_month(company.admin.user)
    this_month = today().replace(day=1)

    assert [(g.key, g.label, g.profit.profit) for g in months] == [
        (days(-40).replace(day=1), f"{days(-40):%Y-%m}", D("-3.07")),
        (this_month, f"{today():%Y-%m}", D("685.00")),
    ]
    assert figures(profit.profit_total(company.admin.user)) == (
        D("1366.58"),
        D("684.65"),
        D("681.93"),
        D("49.90"),
    )
    assert figures(profit.profit_total(company.admin.user, date_from=this_month)) == (
        D("1340.00"),
        D("655.00"),
        D("685.00"),
        D("51.12"),
    )
    before = profit.profit_total(company.admin.user, date_to=this_month - dt.timedelta(days=1))
    assert before.profit == D("-3.07")


def test_filters_by_customer_salesperson_and_order(book: Book, company: Company) -> None:
    user = company.admin.user
    assert profit.profit_total(user, customer_id=book.shop.other_customer.pk).profit == D("-3.07")
    assert profit.profit_total(user, owner_id=company.rep_a1.pk).profit == D("685.00")
    assert [r.product_code for r in profit.line_profits(user, order_id=book.o1.pk)] == ["ZS001", "PJ001"]


def test_each_salesperson_sees_the_profit_of_their_own_orders(book: Book, company: Company) -> None:
    assert profit.profit_total(company.rep_a1.user).profit == D("685.00")
    assert profit.profit_total(company.rep_b1.user).profit == D("-3.07")
    assert profit.profit_total(company.manager_a.user).profit == D("685.00")
    assert profit.profit_total(company.sales_head.user).profit == D("681.93")
    assert profit.profit_total(company.finance_clerk.user).profit == D("681.93")
    assert profit.line_profits(company.purchaser.user) == []


def test_a_line_returned_in_full_has_no_revenue_no_cost_and_no_margin(company: Company) -> None:
    shop = build_shop(company)
    put_in(shop, "10", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "2", "22.60"))
    doc = ship(shop, order, item(line_of(order), "2"))
    returns.receive_return(approved_return(shop, order, back(doc.lines.get(), "2")), actor=shop.keeper)

    assert figures(profit.order_profit(order)) == (D("0.00"), D("0.00"), D("0.00"), None)


def test_orders_that_shipped_nothing_are_left_out(company: Company) -> None:
    shop = build_shop(company)
    put_in(shop, "10", "8.00", "L1")
    approved_order(shop, Line(shop.product, "2", "22.60"))

    assert profit.line_profits(company.admin.user) == []
    assert profit.profit_total(company.admin.user) == Profit()


def test_revenue_is_prorated_and_rounded_half_up_to_the_cent() -> None:
    # 2 × 0.025 = 0.05 without tax; one of two shipped: 0.025 → 0.03
    p = profit.figures(
        quantity=D("2"),
        unit_price=D("0.025"),
        discount_rate=D("0"),
        tax_rate=D("0"),
        shipped_quantity=D("1"),
        returned_quantity=D("0"),
        shipped_cost=D("0.01"),
        returned_cost=D("0"),
    )
    assert figures(p) == (D("0.03"), D("0.01"), D("0.02"), D("66.67"))


def test_the_line_amount_without_tax_is_the_order_lines(book: Book) -> None:
    for line in [*book.o1.lines.all(), *book.o2.lines.all()]:
        assert profit.amount_ex_tax(line.quantity, line.unit_price, line.discount_rate, line.tax_rate) == (
            line.amount_ex_tax
        )
