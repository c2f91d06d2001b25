"""库存报表 and 收发存汇总: figures checked against hand computations on a fixed data set.

The data set (moves re-dated after posting, so the periods are fixed):

  2024-02-10  ZS001 lot LA1  +100 at  8.00 =  800.00  北京主仓 WH01
  2024-02-11  PJ001          +200 at  2.50 =  500.00  WH01
  2024-03-05  ZS001 lot LA2   +40 at 13.00 =  520.00  WH01 (LA2 has expired since)
              → ZS001 in WH01: 140 worth 1320.00, average 9.428571…
  an order of 10 ZS001 approved (10 reserved), 4 shipped from LA1:
  2024-03-10  ZS001           −4 at 1320.00 / 140 = 37.714… → −37.71  WH01 (6 stay reserved)
  2024-03-20  ZS001 lot LQ1   +30 at  9.00 =  270.00  不合格品仓 WH09
  2024-04-03  PJ001           +50 at  3.10 =  155.00  WH01

库存报表 now (by product code, then warehouse):
  PJ001 WH01  250 on hand, 0 reserved, 250 available,  655.00
  ZS001 WH01  136 on hand, 6 reserved, 96 (LA1, unexpired) − 6 = 90 available, 1282.29
  ZS001 WH09   30 on hand, 0 reserved, 30 available,  270.00
  total       416, 6, 370, 2207.29

收发存汇总, March 2024 (all warehouses):
  PJ001  opening 200 / 500.00, in 0, out 0,             closing 200 / 500.00
  ZS001  opening 100 / 800.00, in 70 / 790.00, out 4 / 37.71, closing 166 / 1552.29
  total  opening 300 / 1300.00, in 70 / 790.00, out 4 / 37.71, closing 366 / 2052.29"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.catalog import services as catalog_services
from maoyi.catalog.models import Category
from maoyi.inventory import report_selectors as reports
from maoyi.inventory.models import StockMove
from maoyi.inventory.report_selectors import Flow
from tests.conftest import Company
from tests.sales.builders import Shop, approved_order, build_shop, days, item, line_of, lot, put_in, ship

pytestmark = pytest.mark.django_db

MARCH = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 3, 31)}


@dataclasses.dataclass
class Stock:
    shop: Shop
    supplies: Category  # 医用耗材
    syringes: Category  # 注射器, under 医用耗材: ZS001


def _dated(move: StockMove, day: dt.date) -> None:
    StockMove.objects.filter(pk=move.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    )


def build_stock(company: Company) -> Stock:
    """The data set of the module docstring (shared by the report page tests)."""
    shop = build_shop(company)
    supplies = catalog_services.create_category(actor=company.admin, name="医用耗材", parent=None)
    syringes = catalog_services.create_category(actor=company.admin, name="注射器", parent=supplies)
    type(shop.product).objects.filter(pk=shop.product.pk).update(category=syringes)
    _dated(put_in(shop, "100", "8.00", "LA1", expiry=days(300)), dt.date(2024, 2, 10))
    _dated(put_in(shop, "200", "2.50", product=shop.plain), dt.date(2024, 2, 11))
    _dated(put_in(shop, "40", "13.00", "LA2", expiry=days(-5)), dt.date(2024, 3, 5))
    order = approved_order(shop)  # 10 ZS001
    ship(shop, order, item(line_of(order), "4", lot=lot("LA1")))
    _dated(StockMove.objects.get(quantity__lt=0), dt.date(2024, 3, 10))
    _dated(put_in(shop, "30", "9.00", "LQ1", warehouse=shop.quality), dt.date(2024, 3, 20))
    _dated(put_in(shop, "50", "3.10", product=shop.plain), dt.date(2024, 4, 3))
    return Stock(shop, Category.objects.get(pk=supplies.pk), Category.objects.get(pk=syringes.pk))


@pytest.fixture
def stock(company: Company) -> Stock:
    return build_stock(company)


def stock_figures(report: reports.StockReport) -> list[tuple[str, str, D, D, D, D]]:
    return [(r.product_code, r.warehouse, r.on_hand, r.reserved, r.available, r.value) for r in report.rows]


def test_stock_on_hand_and_value_per_product_and_warehouse(stock: Stock) -> None:
    report = reports.stock_on_hand()

    assert stock_figures(report) == [
        ("PJ001", "北京主仓", D("250"), D("0"), D("250"), D("655.00")),
        ("ZS001", "北京主仓", D("136"), D("6"), D("90"), D("1282.29")),
        ("ZS001", "不合格品仓", D("30"), D("0"), D("30"), D("270.00")),
    ]
    t = report.total
    assert (t.on_hand, t.reserved, t.available, t.value) == (D("416"), D("6"), D("370"), D("2207.29"))


def test_the_stock_report_filters_by_warehouse_category_and_product(stock: Stock) -> None:
    shop = stock.shop
    assert [r[:2] for r in stock_figures(reports.stock_on_hand(warehouse_id=shop.quality.pk))] == [
        ("ZS001", "不合格品仓")
    ]
    by_parent = reports.stock_on_hand(category_id=stock.supplies.pk)  # the sub-category's products too
    assert [r[:2] for r in stock_figures(by_parent)] == [("ZS001", "北京主仓"), ("ZS001", "不合格品仓")]
    assert by_parent.total.value == D("1552.29")
    assert [r[0] for r in stock_figures(reports.stock_on_hand(search="棉签"))] == ["PJ001"]
    assert [r[0] for r in stock_figures(reports.stock_on_hand(search="pj0"))] == ["PJ001"]
    empty = reports.stock_on_hand(search="没有这个商品")
    assert empty.rows == [] and empty.total.value == D("0")
    assert reports.stock_on_hand(category_id=999999).rows == []


def movement_figures(report: reports.MovementReport) -> list[tuple[str, Flow, Flow, Flow, Flow]]:
    return [(r.product_code, r.opening, r.incoming, r.outgoing, r.closing) for r in report.rows]


def test_stock_movement_summary_over_march(stock: Stock) -> None:
    report = reports.stock_movement(**MARCH)

    assert movement_figures(report) == [
        ("PJ001", Flow(D("200"), D("500.00")), Flow(), Flow(), Flow(D("200"), D("500.00"))),
        (
            "ZS001",
            Flow(D("100"), D("800.00")),
            Flow(D("70"), D("790.00")),
            Flow(D("4"), D("37.71")),
            Flow(D("166"), D("1552.29")),
        ),
    ]
    t = report.total
    assert (t.opening, t.incoming, t.outgoing, t.closing) == (
        Flow(D("300"), D("1300.00")),
        Flow(D("70"), D("790.00")),
        Flow(D("4"), D("37.71")),
        Flow(D("366"), D("2052.29")),
    )


def test_the_closing_of_a_period_is_the_opening_of_the_next_and_the_last_closing_is_the_stock(
    stock: Stock,
) -> None:
    april = reports.stock_movement(date_from=dt.date(2024, 4, 1), date_to=dt.date(2024, 4, 30))
    assert movement_figures(april) == [
        (
            "PJ001",
            Flow(D("200"), D("500.00")),
            Flow(D("50"), D("155.00")),
            Flow(),
            Flow(D("250"), D("655.00")),
        ),
        ("ZS001", Flow(D("166"), D("1552.29")), Flow(), Flow(), Flow(D("166"), D("1552.29"))),
    ]
    on_hand = reports.stock_on_hand().total
    assert april.total.closing == Flow(on_hand.on_hand, on_hand.value)


def test_stock_movement_filters(stock: Stock) -> None:
    shop = stock.shop
    quality = reports.stock_movement(**MARCH, warehouse_id=shop.quality.pk)
    assert movement_figures(quality) == [
        ("ZS001", Flow(), Flow(D("30"), D("270.00")), Flow(), Flow(D("30"), D("270.00")))
    ]
    assert [r.product_code for r in reports.stock_movement(**MARCH, category_id=stock.supplies.pk).rows] == [
        "ZS001"
    ]
    assert [r.product_code for r in reports.stock_movement(**MARCH, search="棉签").rows] == ["PJ001"]
    # Nothing before or in January: no rows at all.
    january = reports.stock_movement(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 1, 31))
    assert january.rows == [] and january.total.closing == Flow()
    # One day: the move of 2024-03-10 only.
    day = reports.stock_movement(date_from=dt.date(2024, 3, 10), date_to=dt.date(2024, 3, 10))
    assert movement_figures(day)[1] == (
        "ZS001",
        Flow(D("140"), D("1320.00")),
        Flow(),
        Flow(D("4"), D("37.71")),
        Flow(D("136"), D("1282.29")),
    )
