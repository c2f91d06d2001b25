"""采购价格历史: figures checked against hand computations on a fixed data set (orders re-dated
after approval, so the period is fixed).

  CG1 江西华康 (CNY)        approved 2024-03-05: ZS001 100 at 11.30 incl. 13% → 10.0000, 1000.00
                                               PJ001  50 at  2.26 incl. 13% →  2.0000,  100.00
  CG2 Medivena (USD, 7.2)  approved 2024-03-20: ZS001 200 at  1.50 USD, 0% → 10.8000, 2160.00
  CG3 江西华康              approved 2024-04-02: ZS001  50 at 10.17 incl. 13% →  9.0000,  450.00
  CG4 江西华康              approved 2024-02-10: ZS001  10 at 20.00 (before the period)
  a draft: ZS001 at 99.00 (not bought)
  CG5 by another purchaser approved 2024-03-25: PJ001 10 at 3.39 incl. 13% → 3.0000, 30.00

March–April 2024, for the purchasing manager (by product code, then date):
  PJ001  CG1 50 × 2.0000, CG5 10 × 3.0000: 60, 130.00, lowest 2.0000, average 130/60 = 2.1667, highest 3.0000
  ZS001  CG1, CG2, CG3: 350, 3610.00, lowest 9.0000, average 3610/350 = 10.3143, highest 10.8000
  total  5 lines, 410, 3740.00
The purchaser (own orders) does not see CG5: 4 lines, 400, 3710.00."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.org.models import Employee
from maoyi.purchasing import report_selectors as reports
from maoyi.purchasing.models import PurchaseOrder
from tests.conftest import Company
from tests.factories import make_employee
from tests.purchasing.order_builders import Shop, approved, build_shop, draft, line

pytestmark = pytest.mark.django_db

SPRING = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 4, 30)}


@dataclasses.dataclass
class Prices:
    shop: Shop
    buyer2: Employee
    orders: list[PurchaseOrder]


def _approved_on(order: PurchaseOrder, day: dt.date) -> PurchaseOrder:
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    PurchaseOrder.objects.filter(pk=order.pk).update(approved_at=at)
    order.refresh_from_db()
    return order


def build_prices(company: Company) -> Prices:
    """The data set of the module docstring (shared by the report page tests)."""
    shop = build_shop(company)
    buyer2 = make_employee(company.purchasing, "purchaser", username="buyer2", name="周强")
    p, z = shop.plain, shop.product
    o1 = _approved_on(approved(shop, line(z, "100", "11.30"), line(p, "50", "2.26")), dt.date(2024, 3, 5))
    o2 = _approved_on(
        approved(shop, line(z, "200", "1.50", tax="0"), supplier=shop.usd_supplier, exchange_rate=D("7.2")),
        dt.date(2024, 3, 20),
    )
    o3 = _approved_on(approved(shop, line(z, "50", "10.17")), dt.date(2024, 4, 2))
    o4 = _approved_on(approved(shop, line(z, "10", "20.00")), dt.date(2024, 2, 10))
    draft(shop, line(z, "10", "99.00"))
    o5 = _approved_on(approved(shop, line(p, "10", "3.39"), actor=buyer2), dt.date(2024, 3, 25))
    return Prices(shop, buyer2, [o1, o2, o3, o4, o5])


@pytest.fixture
def prices(company: Company) -> Prices:
    return build_prices(company)


def test_the_price_history_per_product(prices) -> None:
    history = reports.price_history(prices.shop.manager.user, **SPRING)
    o1, o2, o3, _o4, o5 = prices.orders
    assert [p.product_code for p in history.products] == ["PJ001", "ZS001"]
    pj, zs = history.products
    assert [
        (ln.order_number, ln.supplier, ln.approved_on, ln.quantity, ln.price, ln.amount) for ln in pj.lines
    ] == [
        (o1.number, "江西华康医疗器械有限公司", dt.date(2024, 3, 5), D("50"), D("2.0000"), D("100.00")),
        (o5.number, "江西华康医疗器械有限公司", dt.date(2024, 3, 25), D("10"), D("3.0000"), D("30.00")),
    ]
    assert [(ln.order_number, ln.currency, ln.unit_price, ln.price) for ln in zs.lines] == [
        (o1.number, "CNY", D("11.30"), D("10.0000")),
        (o2.number, "USD", D("1.50"), D("10.8000")),
        (o3.number, "CNY", D("10.17"), D("9.0000")),
    ]
    assert (pj.quantity, pj.amount, pj.lowest, pj.average, pj.highest) == (
        D("60"),
        D("130.00"),
        D("2.0000"),
        D("2.1667"),
        D("3.0000"),
    )
    assert (zs.quantity, zs.amount, zs.lowest, zs.average, zs.highest) == (
        D("350"),
        D("3610.00"),
        D("9.0000"),
        D("10.3143"),
        D("10.8000"),
    )
    assert (history.lines, history.quantity, history.amount) == (5, D("410"), D("3740.00"))


def test_the_price_history_is_scoped_and_filtered(prices, company) -> None:
    mine = reports.price_history(company.purchaser.user, **SPRING)
    assert (mine.lines, mine.quantity, mine.amount) == (4, D("400"), D("3710.00"))
    usd = reports.price_history(prices.shop.manager.user, **SPRING, supplier_id=prices.shop.usd_supplier.pk)
    assert [(p.product_code, p.amount) for p in usd.products] == [("ZS001", D("2160.00"))]
    swabs = reports.price_history(prices.shop.manager.user, **SPRING, product_search="包装")
    assert [p.product_code for p in swabs.products] == ["PJ001"]
    february = reports.price_history(
        prices.shop.manager.user, date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 2, 29)
    )
    assert [(p.product_code, p.lowest) for p in february.products] == [("ZS001", D("17.6991"))]
