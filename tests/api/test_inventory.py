"""stock-balances, stock-moves and lots: read-only, paginated, filtered, decimals as strings; cost
only for those who may see stock moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory.models import Lot, StockBalance, StockMove, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from maoyi.org.pinyin import initials
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.factories import make_employee

BALANCES = "/api/v1/stock-balances/"
MOVES = "/api/v1/stock-moves/"
LOTS = "/api/v1/lots/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
TODAY = timezone.localdate()
EXPIRED = TODAY - dt.timedelta(days=10)
SOON = TODAY + dt.timedelta(days=30)
LATER = TODAY + dt.timedelta(days=400)


@pytest.fixture
def stock(company: Company):
    """一次性注射器 in 北京主仓: an expired lot (10 at 5.00) and one expiring soon (30 at 7.00), 8
    reserved, 12 issued; 2 at 6.00 in 上海仓."""
    product = Product.objects.create(
        code="P001", name="一次性注射器", pinyin=initials("一次性注射器"), unit="支"
    )
    beijing = Warehouse.objects.create(code="WH1", name="北京主仓")
    shanghai = Warehouse.objects.create(code="WH2", name="上海仓")
    admin = company.admin
    ledger.receive(
        [
            Incoming(product.pk, beijing.pk, D("10"), D("5.00"), "L-OLD", expiry_date=EXPIRED),
            Incoming(product.pk, beijing.pk, D("30"), D("7.00"), "L-SOON", expiry_date=SOON),
            Incoming(product.pk, shanghai.pk, D("2"), D("6.00"), "L-NEW", expiry_date=LATER),
        ],
        source=DocRef(type="opening_stock", id=1, number="QCKC0001"),
        actor=admin,
    )
    ledger.reserve([Hold(product.pk, beijing.pk, D("8"))], source=DocRef("test", 2, "XS0002"), actor=admin)
    ledger.issue(
        [Outgoing(product.pk, beijing.pk, D("12"))],
        source=DocRef(type="shipment", id=3, number="FH0003"),
        actor=admin,
    )
    lots = {lot.lot_number: lot for lot in Lot.objects.all()}
    return product, beijing, shanghai, lots


@pytest.fixture
def logistics_api(company: Company, api_client_for: ClientFor) -> APIClient:
    return api_client_for(make_employee(company.root, "logistics", username="cangguan"))


def rows(response, *fields: str) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [tuple(r[f] for f in fields) for r in response.json()["results"]]


# stock-balances ------------------------------------------------------------------------------------


def test_balances_list_each_lot_with_its_product_warehouse_figures_and_cost_as_strings(stock, admin_api):
    product, beijing, _shanghai, lots = stock
    response = admin_api.get(BALANCES)
    body = response.json()

    assert response.status_code == 200
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert body["results"][0] == {
        "id": body["results"][0]["id"],
        "product": product.pk,
        "product_code": "P001",
        "product_name": "一次性注射器",
        "warehouse": beijing.pk,
        "lot": lots["L-OLD"].pk,
        "lot_number": "L-OLD",
        "expiry_date": EXPIRED.isoformat(),
        "on_hand": "10.0000",
        # per product × warehouse: 28 on hand, 8 reserved, 18 unexpired − 8 = 10 available
        "reserved": "8.0000",
        "available": "10.0000",
        "unit_cost": "6.500000",  # 260.00 for 40, 12 out at 6.50: 182.00 for 28
        "value": "65.00",
    }
    assert rows(response, "lot_number", "on_hand", "reserved", "available", "unit_cost", "value") == [
        ("L-OLD", "10.0000", "8.0000", "10.0000", "6.500000", "65.00"),
        ("L-SOON", "18.0000", "8.0000", "10.0000", "6.500000", "117.00"),
        ("L-NEW", "2.0000", "0.0000", "2.0000", "6.000000", "12.00"),
    ]


def test_balances_filter_by_product_warehouse_lot_and_search(stock, admin_api):
    product, beijing, shanghai, lots = stock
    assert rows(admin_api.get(BALANCES, {"warehouse": shanghai.pk}), "lot_number") == [("L-NEW",)]
    assert rows(admin_api.get(BALANCES, {"lot": lots["L-SOON"].pk}), "lot_number") == [("L-SOON",)]
    assert len(rows(admin_api.get(BALANCES, {"product": product.pk}), "id")) == 3
    assert rows(admin_api.get(BALANCES, {"search": "ycxzsq", "warehouse": beijing.pk}), "lot_number") == [
        ("L-OLD",),
        ("L-SOON",),
    ]
    assert rows(admin_api.get(BALANCES, {"ordering": "-on_hand"}), "lot_number")[0] == ("L-SOON",)
    assert admin_api.get(BALANCES, {"warehouse": "abc"}).status_code == 400


def test_a_salesperson_gets_balances_without_any_cost(stock, company: Company, api_client_for: ClientFor):
    response = api_client_for(company.rep_a1).get(BALANCES)

    assert response.status_code == 200
    for row in response.json()["results"]:
        assert "unit_cost" not in row and "value" not in row
    assert rows(response, "lot_number", "on_hand", "available") == [
        ("L-OLD", "10.0000", "10.0000"),
        ("L-SOON", "18.0000", "10.0000"),
        ("L-NEW", "2.0000", "2.0000"),
    ]
    one = api_client_for(company.rep_a1).get(f"{BALANCES}{response.json()['results'][0]['id']}/")
    assert one.status_code == 200 and "unit_cost" not in one.json()


def test_the_balances_are_paginated(stock, admin_api):
    body = admin_api.get(BALANCES, {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"].endswith("page=2&page_size=2")


# stock-moves ---------------------------------------------------------------------------------------


def test_moves_list_the_ledger_newest_first_with_signed_quantities_and_cost(stock, logistics_api):
    product, beijing, _shanghai, lots = stock
    response = logistics_api.get(MOVES)

    found = rows(response, "kind", "lot_number", "quantity", "unit_cost", "value", "source_number")
    # newest first; the three receipts of one posting share their time
    assert found[0] == ("issue", "L-SOON", "-12.0000", "6.500000", "-78.00", "FH0003")
    assert sorted(found[1:]) == [
        ("receipt", "L-NEW", "2.0000", "6.000000", "12.00", "QCKC0001"),
        ("receipt", "L-OLD", "10.0000", "5.000000", "50.00", "QCKC0001"),
        ("receipt", "L-SOON", "30.0000", "7.000000", "210.00", "QCKC0001"),
    ]
    first = response.json()["results"][0]
    assert (first["product"], first["warehouse"], first["lot"]) == (product.pk, beijing.pk, lots["L-SOON"].pk)
    assert first["created_at"]


def test_moves_filter_by_product_lot_warehouse_kind_number_and_date(stock, logistics_api):
    product, _beijing, shanghai, lots = stock
    assert rows(logistics_api.get(MOVES, {"kind": "issue"}), "source_number") == [("FH0003",)]
    assert rows(logistics_api.get(MOVES, {"lot": lots["L-SOON"].pk}), "kind") == [("issue",), ("receipt",)]
    assert rows(logistics_api.get(MOVES, {"warehouse": shanghai.pk}), "lot_number") == [("L-NEW",)]
    assert len(rows(logistics_api.get(MOVES, {"product": product.pk}), "id")) == 4
    assert rows(logistics_api.get(MOVES, {"search": "fh00"}), "source_number") == [("FH0003",)]
    assert rows(logistics_api.get(MOVES, {"date_to": (TODAY - dt.timedelta(days=1)).isoformat()}), "id") == []
    bad = logistics_api.get(MOVES, {"date_from": "gestern"})
    assert bad.status_code == 400 and list(bad.json()) == ["date_from"]
    assert logistics_api.get(MOVES, {"kind": "gift"}).status_code == 400


def test_a_salesperson_may_not_read_stock_moves_or_lots(stock, company: Company, api_client_for: ClientFor):
    client = api_client_for(company.rep_a1)
    for url in (MOVES, LOTS, f"{LOTS}?expired=nonsense"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json() == ROLE_REFUSED


def test_the_stock_endpoints_are_read_only(stock, admin_api):
    before = (StockMove.objects.count(), StockBalance.objects.count(), Lot.objects.count())
    for url in (BALANCES, MOVES, LOTS):
        # nobody holds an add permission on the ledger: the role check refuses before the method
        response = admin_api.post(url, {"quantity": "5"}, format="json")
        assert response.status_code == 403 and response.json() == ROLE_REFUSED
    assert (StockMove.objects.count(), StockBalance.objects.count(), Lot.objects.count()) == before


def test_an_anonymous_caller_is_refused(stock):
    for url in (BALANCES, MOVES, LOTS):
        assert APIClient().get(url).status_code == 401


# lots ----------------------------------------------------------------------------------------------


def test_lots_list_those_with_stock_first_to_expire_first(stock, logistics_api):
    product, *_ = stock
    response = logistics_api.get(LOTS)
    assert rows(response, "lot_number", "expiry_date", "on_hand", "product", "product_code") == [
        ("L-OLD", EXPIRED.isoformat(), "10.0000", product.pk, "P001"),
        ("L-SOON", SOON.isoformat(), "18.0000", product.pk, "P001"),
        ("L-NEW", LATER.isoformat(), "2.0000", product.pk, "P001"),
    ]


def test_lots_filter_expiring_within_days_expired_and_product(stock, logistics_api):
    product, *_ = stock
    other = Product.objects.create(code="P002", name="医用口罩", pinyin="yykz")

    def lot(params):
        return rows(logistics_api.get(LOTS, params), "lot_number")

    assert lot({"expiring_within_days": 30}) == [("L-SOON",)]
    assert lot({"expiring_within_days": 29}) == []
    assert lot({"expiring_within_days": 400}) == [("L-SOON",), ("L-NEW",)]
    assert lot({"expired": "true"}) == [("L-OLD",)]
    assert lot({"expired": "false"}) == [("L-OLD",), ("L-SOON",), ("L-NEW",)]
    assert lot({"product": other.pk}) == []
    assert lot({"product": product.pk, "search": "new"}) == [("L-NEW",)]
    assert lot({"ordering": "-on_hand"})[0] == ("L-SOON",)
    bad = logistics_api.get(LOTS, {"expiring_within_days": "soon"})
    assert bad.status_code == 400 and list(bad.json()) == ["expiring_within_days"]


def test_the_schema_describes_the_stock_endpoints(admin_api):
    schema = admin_api.get("/api/schema/?format=json").json()
    assert {"/api/v1/stock-balances/", "/api/v1/stock-moves/", "/api/v1/lots/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/lots/"]["get"]["parameters"]}
    assert {"expiring_within_days", "expired", "product", "page", "page_size"} <= params
