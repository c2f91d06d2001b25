"""批次效期 and 低库存及在途: figures checked against hand computations on a fixed data set (dates
relative to today: lots expire in N days).

  北京主仓 WH01: ZS001 lot E30 10 at 5.00 (expires in 30 days), lot E80 30 at 6.00 (80 days)
                 → 40 worth 230.00 (average 5.75): E30 57.50, E80 172.50
  上海仓   WH02: ZS001 lot E200 20 at 7.00 (200 days), lot X 5 at 4.00 (expired 3 days ago),
                 lot E90 15 at 4.00 (90 days) → 40 worth 220.00 (average 5.50): E200 110.00,
                 X 27.50, E90 82.50
  ZS001 minimum stock 100: on hand 80, available 40 + 35 (X expired) = 75, on order 60 (expected in
  7 days) + 20 (in 3 days) on two approved purchase orders
  PJ001 minimum stock 50: nothing on hand, only a draft order (not incoming)
  AB001 minimum stock 5, 10 on hand: not low

批次效期 within 90 days (by expiry): E30 WH01 10 57.50; E80 WH01 30 172.50; E90 WH02 15 82.50;
total 55, 312.50. Within 365 days E200 (110.00) joins: 75, 422.50.
低库存及在途: PJ001 50 | 0 | shortage 50 | 0 | 0 | —; ZS001 100 | 80 | 20 | 75 | 80 | in 3 days;
total 150 | 80 | 70 | 75 | 80 | in 3 days."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal as D

import pytest

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory import alert_selectors as alerts
from maoyi.inventory.models import Warehouse
from maoyi.inventory.services import ledger
from tests.conftest import Company
from tests.purchasing.order_builders import Shop, approved, build_shop, days, draft, line

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


@dataclasses.dataclass
class Alerts:
    shop: Shop
    shanghai: Warehouse


def put_in(
    shop: Shop, product: Product, warehouse: Warehouse, quantity: str, cost: str, lot: str, expiry: int
) -> None:
    n = next(_numbers)
    ledger.receive(
        [
            ledger.Incoming(
                product_id=product.pk,
                warehouse_id=warehouse.pk,
                quantity=D(quantity),
                unit_cost=D(cost),
                lot_number=lot,
                production_date=days(-400) if product.lot_tracked else None,
                expiry_date=days(expiry) if product.lot_tracked else None,
            )
        ],
        source=DocRef(type="test_receipt", id=n, number=f"RK-TEST-{n:04d}"),
        actor=shop.keeper,
    )


def build_alerts(company: Company) -> Alerts:
    """The data set of the module docstring (shared by the report page tests)."""
    shop = build_shop(company)
    shanghai = Warehouse.objects.create(code="WH02", name="上海仓")
    Product.objects.filter(pk=shop.product.pk).update(min_stock=D("100"))
    Product.objects.filter(pk=shop.plain.pk).update(min_stock=D("50"))
    other = Product.objects.create(
        code="AB001", name="医用口罩", unit="只", min_stock=D("5"), lot_tracked=False
    )
    put_in(shop, shop.product, shop.warehouse, "10", "5.00", "E30", 30)
    put_in(shop, shop.product, shop.warehouse, "30", "6.00", "E80", 80)
    put_in(shop, shop.product, shanghai, "20", "7.00", "E200", 200)
    put_in(shop, shop.product, shanghai, "5", "4.00", "X", -3)
    put_in(shop, shop.product, shanghai, "15", "4.00", "E90", 90)
    put_in(shop, other, shop.warehouse, "10", "1.00", "", 0)
    approved(shop, line(shop.product, "60", "11.30"), expected_date=days(7))
    approved(shop, line(shop.product, "20", "11.30"), expected_date=days(3), warehouse=shanghai)
    draft(shop, line(shop.plain, "100", "2.00"))
    return Alerts(shop, shanghai)


@pytest.fixture
def data(company: Company) -> Alerts:
    return build_alerts(company)


def test_lots_expiring_within_90_days(data) -> None:
    report = alerts.expiring_lots()
    assert report.days == 90
    assert [(r.lot_number, r.warehouse, r.days_left, r.on_hand, r.value) for r in report.rows] == [
        ("E30", "北京主仓", 30, D("10"), D("57.50")),
        ("E80", "北京主仓", 80, D("30"), D("172.50")),
        ("E90", "上海仓", 90, D("15"), D("82.50")),
    ]
    assert report.rows[0].expiry_date == days(30)
    assert (report.total.on_hand, report.total.value) == (D("55"), D("312.50"))


def test_lots_expiring_filters(data) -> None:
    year = alerts.expiring_lots(days=365)
    assert [r.lot_number for r in year.rows] == ["E30", "E80", "E90", "E200"]
    assert (year.total.on_hand, year.total.value) == (D("75"), D("422.50"))
    shanghai = alerts.expiring_lots(warehouse_id=data.shanghai.pk)
    assert [r.lot_number for r in shanghai.rows] == ["E90"]
    assert alerts.expiring_lots(days=29).rows == []
    assert alerts.expiring_lots(search="棉签").rows == []


def test_low_stock_with_incoming(data) -> None:
    report = alerts.low_stock_report()
    assert [
        (r.product_code, r.min_stock, r.on_hand, r.shortage, r.available, r.incoming, r.expected_date)
        for r in report.rows
    ] == [
        ("PJ001", D("50"), D("0"), D("50"), D("0"), D("0"), None),
        ("ZS001", D("100"), D("80"), D("20"), D("75"), D("80"), days(3)),
    ]
    t = report.total
    assert (t.min_stock, t.on_hand, t.shortage, t.available, t.incoming, t.expected_date) == (
        D("150"),
        D("80"),
        D("70"),
        D("75"),
        D("80"),
        days(3),
    )
    assert [r.product_code for r in alerts.low_stock_report(search="注射").rows] == ["ZS001"]
