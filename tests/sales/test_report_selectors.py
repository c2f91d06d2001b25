"""销售统计 and 毛利分析: figures checked against hand computations on a fixed data set, the data
scope (a salesperson reads only their own orders, a manager their team's) and the filters.

The data set, by hand (tax 13 %, prices tax-inclusive; stock ZS001 LA1 100 at 8.00 and PJ001 200
at 2.50 in 北京主仓 WH01, ZS001 LQ1 50 at 8.00 in 不合格品仓 WH09):

  O1 张伟 (team A) 北京协和医院 2024-03-05 WH01
     ZS001 10 × 22.60 less 10 % = 20.34 → 203.40, tax 23.40, ex 180.00
     PJ001 20 × 5.65                  → 113.00, tax 13.00, ex 100.00
     shipped: ZS001 6 (cost 48.00), PJ001 20 (cost 50.00)          → 执行中
  O2 陈静 (team A) 北京同仁医院 2024-03-20 WH01
     ZS001 5 × 11.30 → 56.50, tax 6.50, ex 50.00; all shipped (cost 40.00) → 已完成
  O4 张伟 (team A) 北京协和医院 2024-03-28 WH09
     ZS001 4 × 11.30 → 45.20, tax 5.20, ex 40.00                    → 已审核
  O3 钱丽 (team B) 上海瑞金医院 2024-04-02 WH01
     PJ001 7 × 10.01 → 70.07, tax 8.06, ex 62.01; shipped 7 (cost 17.50)
     ZS001 3 × 22.60 → 67.80, tax 7.80, ex 60.00
  Not sales: a draft, a submitted, a rejected and a cancelled order of 张伟 dated 2024-03-15.

  March by salesperson: 张伟 2 orders, 34, 361.60 / 320.00 / 41.60; 陈静 1, 5, 56.50 / 50.00 / 6.50;
                        total 3 orders, 39, 418.10 / 370.00 / 48.10
  March–April by product: ZS001 4 orders, 22, 372.90 / 330.00; PJ001 2, 27, 183.07 / 162.01;
                          total 4 orders, 49, 555.97 / 492.01 / 63.96

  Profit (shipped less returned, ex tax): O1 108.00 + 100.00 = 208.00, cost 98.00, profit 110.00,
  margin 52.88 %; O2 50.00 − 40.00 = 10.00 (20.00 %); O3 62.01 − 17.50 = 44.51 (71.78 %);
  all 320.01 / 155.50 / 164.51 (51.41 %)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.core.documents import Status
from maoyi.sales import report_selectors as reports
from maoyi.sales.models import SalesOrder
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.sales.builders import (
    Line,
    Shop,
    approved_order,
    build_shop,
    draft_order,
    item,
    line_of,
    put_in,
    ship,
)

pytestmark = pytest.mark.django_db

MARCH = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 3, 31)}
SPRING = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 4, 30)}


@dataclasses.dataclass
class Book:
    shop: Shop
    o1: SalesOrder
    o2: SalesOrder
    o3: SalesOrder
    o4: SalesOrder


def build_book(company: Company) -> Book:
    """The data set of the module docstring (shared by the report page tests)."""
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "LA1")
    put_in(shop, "200", "2.50", product=shop.plain)
    put_in(shop, "50", "8.00", "LQ1", warehouse=shop.quality)
    tongren = make_customer(company.rep_a2, "北京同仁医院")
    o1 = approved_order(
        shop,
        Line(shop.product, "10", "22.60", "10"),
        Line(shop.plain, "20", "5.65"),
        order_date=dt.date(2024, 3, 5),
    )
    ship(shop, o1, item(line_of(o1), "6"), item(line_of(o1, 1), "20"))
    o2 = approved_order(
        shop,
        Line(shop.product, "5", "11.30"),
        owner=company.rep_a2,
        customer=tongren,
        order_date=dt.date(2024, 3, 20),
    )
    ship(shop, o2, item(line_of(o2), "5"))
    o4 = approved_order(
        dataclasses.replace(shop, warehouse=shop.quality),
        Line(shop.product, "4", "11.30"),
        order_date=dt.date(2024, 3, 28),
    )
    o3 = approved_order(
        shop,
        Line(shop.plain, "7", "10.01"),
        Line(shop.product, "3", "22.60"),
        owner=company.rep_b1,
        customer=shop.other_customer,
        order_date=dt.date(2024, 4, 2),
    )
    ship(shop, o3, item(line_of(o3), "7"))
    for status in (Status.DRAFT, Status.SUBMITTED, Status.REJECTED, Status.CANCELLED):
        never = draft_order(shop, Line(shop.product, "1", "99.00"), status=status)
        SalesOrder.objects.filter(pk=never.pk).update(order_date=dt.date(2024, 3, 15))
    for order in (o1, o2, o3, o4):
        order.refresh_from_db()
    return Book(shop, o1, o2, o3, o4)


@pytest.fixture
def book(company: Company) -> Book:
    return build_book(company)


def figures(row: reports.SalesRow) -> tuple[str, int, D, D, D, D]:
    return (row.label, row.orders, row.quantity, row.amount, row.amount_ex_tax, row.tax)


def test_the_data_set_is_in_the_states_computed_by_hand(book: Book) -> None:
    assert [book.o1.status, book.o2.status, book.o3.status, book.o4.status] == [
        Status.IN_PROGRESS,
        Status.DONE,
        Status.IN_PROGRESS,
        Status.APPROVED,
    ]
    assert book.o4.warehouse == book.shop.quality


def test_sales_by_salesperson_in_march_counts_approved_orders_only(book: Book, company: Company) -> None:
    report = reports.sales_summary(company.admin.user, by="salesperson", **MARCH)

    assert [figures(r) for r in report.rows] == [
        ("张伟", 2, D("34"), D("361.60"), D("320.00"), D("41.60")),
        ("陈静", 1, D("5"), D("56.50"), D("50.00"), D("6.50")),
    ]
    assert figures(report.total) == ("", 3, D("39"), D("418.10"), D("370.00"), D("48.10"))
    assert [r.key for r in report.rows] == [company.rep_a1.pk, company.rep_a2.pk]


def test_sales_by_product_counts_an_order_once_per_product_and_once_in_the_total(
    book: Book, company: Company
) -> None:
    report = reports.sales_summary(company.admin.user, by="product", **SPRING)

    assert [figures(r) for r in report.rows] == [
        ("ZS001 一次性使用无菌注射器", 4, D("22"), D("372.90"), D("330.00"), D("42.90")),
        ("PJ001 医用棉签", 2, D("27"), D("183.07"), D("162.01"), D("21.06")),
    ]
    assert figures(report.total) == ("", 4, D("49"), D("555.97"), D("492.01"), D("63.96"))


def test_sales_by_team_customer_and_month(book: Book, company: Company) -> None:
    user = company.admin.user

    by_team = reports.sales_summary(user, by="team", **SPRING)
    assert [figures(r) for r in by_team.rows] == [
        ("终端客户部", 3, D("39"), D("418.10"), D("370.00"), D("48.10")),
        ("渠道部", 1, D("10"), D("137.87"), D("122.01"), D("15.86")),
    ]
    by_customer = reports.sales_summary(user, by="customer", **SPRING)
    assert [(r.label, r.orders, r.amount) for r in by_customer.rows] == [
        ("北京协和医院", 2, D("361.60")),
        ("上海瑞金医院", 1, D("137.87")),
        ("北京同仁医院", 1, D("56.50")),
    ]
    by_month = reports.sales_summary(
        user, by="month", date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)
    )
    assert [(r.key, r.label, r.orders, r.amount) for r in by_month.rows] == [
        (dt.date(2024, 3, 1), "2024-03", 3, D("418.10")),
        (dt.date(2024, 4, 1), "2024-04", 1, D("137.87")),
    ]


def test_an_unknown_grouping_groups_by_salesperson(book: Book, company: Company) -> None:
    assert reports.sales_summary(company.admin.user, by="nonsense", **MARCH).by == "salesperson"


def test_the_filters_narrow_the_sales(book: Book, company: Company) -> None:
    user, shop = company.admin.user, book.shop

    def total(**filters):
        t = reports.sales_summary(user, **SPRING, **filters).total
        return (t.orders, t.quantity, t.amount)

    assert total(department_id=company.team_a.pk) == (3, D("39"), D("418.10"))
    assert total(department_id=company.sales.pk) == (4, D("49"), D("555.97"))  # sub-departments too
    assert total(owner_id=company.rep_b1.pk) == (1, D("10"), D("137.87"))
    assert total(customer_id=shop.customer.pk) == (2, D("34"), D("361.60"))
    assert total(warehouse_id=shop.quality.pk) == (1, D("4"), D("45.20"))
    assert total(product_id=shop.plain.pk) == (2, D("27"), D("183.07"))
    assert total(product_search="pj") == (2, D("27"), D("183.07"))
    assert total(product_search="注射器") == (4, D("22"), D("372.90"))
    assert total(department_id=999999) == (0, D("0"), D("0"))
    april = reports.sales_summary(user, date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 4, 30)).total
    assert (april.orders, april.amount) == (1, D("137.87"))


def test_a_salesperson_sees_only_their_own_sales_and_a_manager_their_team(
    book: Book, company: Company
) -> None:
    def people(employee):
        return [(r.label, r.amount) for r in reports.sales_summary(employee.user, **SPRING).rows]

    assert people(company.rep_a1) == [("张伟", D("361.60"))]
    assert people(company.rep_b1) == [("钱丽", D("137.87"))]
    assert people(company.manager_a) == [("张伟", D("361.60")), ("陈静", D("56.50"))]
    assert people(company.sales_head) == [("张伟", D("361.60")), ("钱丽", D("137.87")), ("陈静", D("56.50"))]
    # Another team's salesperson asking for 张伟's orders gets nothing.
    assert reports.sales_summary(company.rep_b1.user, owner_id=company.rep_a1.pk, **SPRING).rows == []


def profit_figures(rows):
    return [(g.label, g.profit.revenue, g.profit.cost, g.profit.profit, g.profit.margin) for g in rows]


def test_gross_profit_by_salesperson_with_its_total(book: Book, company: Company) -> None:
    report = reports.profit_report(company.admin.user, by="salesperson", **SPRING)

    assert profit_figures(report.rows) == [
        ("张伟", D("208.00"), D("98.00"), D("110.00"), D("52.88")),
        ("钱丽", D("62.01"), D("17.50"), D("44.51"), D("71.78")),
        ("陈静", D("50.00"), D("40.00"), D("10.00"), D("20.00")),
    ]
    t = report.total
    assert (t.revenue, t.cost, t.profit, t.margin) == (D("320.01"), D("155.50"), D("164.51"), D("51.41"))
    assert report.total_row.key is None and report.total_row.lines == 4


def test_gross_profit_by_order_customer_and_month(book: Book, company: Company) -> None:
    user = company.admin.user
    by_order = reports.profit_report(user, by="order", **SPRING)
    assert [(g.key, g.profit.profit) for g in by_order.rows] == [
        (book.o1.pk, D("110.00")),
        (book.o2.pk, D("10.00")),
        (book.o3.pk, D("44.51")),
    ]
    by_customer = reports.profit_report(user, by="customer", **SPRING)
    assert [(g.label, g.profit.profit) for g in by_customer.rows] == [
        ("北京协和医院", D("110.00")),
        ("上海瑞金医院", D("44.51")),
        ("北京同仁医院", D("10.00")),
    ]
    by_month = reports.profit_report(user, by="month", **SPRING)
    assert [(g.label, g.profit.revenue, g.profit.profit) for g in by_month.rows] == [
        ("2024-03", D("258.00"), D("120.00")),
        ("2024-04", D("62.01"), D("44.51")),
    ]


def test_gross_profit_filters_and_scope(book: Book, company: Company) -> None:
    march = reports.profit_report(company.admin.user, **MARCH)
    assert march.total.profit == D("120.00")
    only_b = reports.profit_report(company.admin.user, owner_id=company.rep_b1.pk, **SPRING)
    assert profit_figures(only_b.rows) == [("钱丽", D("62.01"), D("17.50"), D("44.51"), D("71.78"))]
    by_customer = reports.profit_report(company.admin.user, customer_id=book.shop.customer.pk, **SPRING)
    assert by_customer.total.profit == D("110.00")
    assert profit_figures(reports.profit_report(company.rep_a1.user, **SPRING).rows) == [
        ("张伟", D("208.00"), D("98.00"), D("110.00"), D("52.88"))
    ]
    assert reports.profit_report(company.rep_b1.user, customer_id=book.shop.customer.pk, **SPRING).rows == []
    assert reports.profit_report(company.rep_a1.user, by="nonsense", **SPRING).by == "salesperson"
