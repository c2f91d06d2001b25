"""/api/v1/products/ (nested level prices, pinyin search, availability), warehouses, categories and
price-levels: shapes, pagination, permissions by role, writes through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from rest_framework.test import APIClient

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.core.documents import DocRef
from maoyi.inventory.models import Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming
from tests.api.conftest import ClientFor, token_client
from tests.catalog.builders import make_category, make_level, make_product, make_warehouse
from tests.conftest import Company
from tests.factories import make_employee

PRODUCTS = "/api/v1/products/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}


def codes(response: Any) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def catalog_state() -> dict[str, list[dict[str, Any]]]:
    models = (Product, ProductPrice, Category, PriceLevel, Warehouse, AuditEntry)
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


@pytest.fixture
def goods(company: Company) -> dict[str, Any]:
    consumables = make_category("医用耗材")
    syringes = make_category("注射器", consumables)
    agent = make_level("agent1", "一级代理价", "channel")
    vip = make_level("vip", "VIP 客户价")
    products = [
        make_product("BJ-01", "北京协和专用手套", category=consumables, sale_price="12.00", barcode="690001"),
        make_product(
            "ZS-01",
            "一次性注射器",
            category=syringes,
            sale_price="0.80",
            purchase_price="0.35",
            prices={agent: D("0.5"), vip: D("0.7")},
            registration_number="国械注准20153150455",
            registration_expires_on=dt.date(2030, 6, 30),
        ),
        make_product("JH-01", "监护仪", sale_price="8800", lot_tracked=False),
    ]
    return {
        "consumables": consumables,
        "syringes": syringes,
        "agent": agent,
        "vip": vip,
        "products": products,
    }


@pytest.fixture
def keeper(company: Company):
    return make_employee(company.root, "logistics", username="wh", name="赵仓管")


# Products: reads -----------------------------------------------------------------------------------


def test_a_product_reads_with_the_api_md_fields_decimal_strings_and_nested_prices(
    company: Company, admin_api: APIClient, goods
) -> None:
    product = goods["products"][1]
    body = admin_api.get(f"{PRODUCTS}{product.pk}/").json()
    assert {k: body[k] for k in ("code", "name", "specification", "unit", "category", "lot_tracked")} == {
        "code": "ZS-01",
        "name": "一次性注射器",
        "specification": "",
        "unit": "支",
        "category": goods["syringes"].pk,
        "lot_tracked": True,
    }
    assert body["registration_number"] == "国械注准20153150455"
    assert body["registration_expires_on"] == "2030-06-30"
    assert (body["purchase_price"], body["sale_price"], body["min_stock"]) == ("0.3500", "0.8000", "0.0000")
    assert body["pinyin"] == "ycxzsq" and body["is_active"] is True and body["category_name"] == "注射器"
    assert body["prices"] == [
        {"price_level": "agent1", "price": "0.5000"},
        {"price_level": "vip", "price": "0.7000"},
    ]


def test_the_product_list_is_paginated_and_searches_pinyin_code_name_and_barcode(
    company: Company, api_client_for: ClientFor, goods
) -> None:
    for n in range(3):
        make_product(f"X-{n}", f"测试{n}")
    client = api_client_for(company.rep_a1)
    body = client.get(PRODUCTS, {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 6 and len(body["results"]) == 2
    assert body["next"].endswith(f"{PRODUCTS}?page=2&page_size=2")
    assert codes(client.get(PRODUCTS, {"page_size": 2, "page": 3})) == ["X-2", "ZS-01"]
    assert codes(client.get(PRODUCTS, {"search": "bj"})) == ["BJ-01"]  # 北京… by pinyin initials
    assert codes(client.get(PRODUCTS, {"search": "jhy"})) == ["JH-01"]
    assert codes(client.get(PRODUCTS, {"search": "注射"})) == ["ZS-01"]
    assert codes(client.get(PRODUCTS, {"search": "690001"})) == ["BJ-01"]


def test_the_product_list_filters_and_orders(company: Company, admin_api: APIClient, goods) -> None:
    assert codes(admin_api.get(PRODUCTS, {"category": goods["consumables"].pk})) == ["BJ-01", "ZS-01"]
    assert codes(admin_api.get(PRODUCTS, {"lot_tracked": "false"})) == ["JH-01"]
    assert codes(admin_api.get(PRODUCTS, {"ordering": "-sale_price"})) == ["JH-01", "BJ-01", "ZS-01"]
    Product.objects.filter(code="JH-01").update(is_active=False)
    assert codes(admin_api.get(PRODUCTS, {"is_active": "true"})) == ["BJ-01", "ZS-01"]
    assert codes(admin_api.get(PRODUCTS, {"category": 999999})) == []
    assert admin_api.get(f"{PRODUCTS}999999/").json() == NOT_FOUND


# Products: writes ----------------------------------------------------------------------------------


def test_a_purchaser_creates_a_product_with_level_prices(
    company: Company, api_client_for: ClientFor, goods
) -> None:
    response = api_client_for(company.purchaser).post(
        PRODUCTS,
        {
            "code": "SY-01",
            "name": "输液器",
            "unit": "套",
            "category": goods["syringes"].pk,
            "lot_tracked": True,
            "registration_number": "国械注准1",
            "purchase_price": "0.9",
            "sale_price": "1.5",
            "min_stock": "100",
            "prices": [{"price_level": "agent1", "price": "1.1"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["pinyin"], body["sale_price"]) == ("SY-01", "syq", "1.5000")
    assert body["prices"] == [{"price_level": "agent1", "price": "1.1000"}]
    product = Product.objects.get(code="SY-01")
    assert AuditEntry.objects.filter(content_type__model="product", object_id=str(product.pk)).count() == 1


def test_a_put_replaces_the_prices_and_a_patch_without_prices_keeps_them(
    company: Company, admin_api: APIClient, goods
) -> None:
    product = goods["products"][1]
    url = f"{PRODUCTS}{product.pk}/"
    response = admin_api.patch(url, {"name": "北京注射器"}, format="json")
    assert response.status_code == 200
    assert response.json()["pinyin"] == "bjzsq" and len(response.json()["prices"]) == 2
    product.refresh_from_db()
    assert product.registration_number == "国械注准20153150455" and product.sale_price == D("0.8")
    response = admin_api.patch(url, {"prices": [{"price_level": "vip", "price": "0.65"}]}, format="json")
    assert response.json()["prices"] == [{"price_level": "vip", "price": "0.6500"}]
    assert list(product.prices.values_list("price_level__code", "price")) == [("vip", D("0.6500"))]


def test_invalid_product_writes_are_refused_in_the_api_md_shape_and_change_nothing(
    company: Company, admin_api: APIClient, goods
) -> None:
    before = catalog_state()
    cases = [
        ({"code": "zs-01", "name": "重复"}, {"code": ["商品编码“zs-01”已存在。"]}),
        ({"code": "N-1", "name": "负价", "sale_price": "-1"}, {"sale_price": ["销售价不能为负数。"]}),
        (
            {"code": "N-2", "name": "上下限", "min_stock": "10", "max_stock": "5"},
            {"max_stock": ["最高库存不能低于最低库存。"]},
        ),
        (
            {"code": "N-3", "name": "等级价", "prices": [{"price_level": "agent1", "price": "-1"}]},
            {"prices": ["一级代理价不能为负数。"]},
        ),
        (
            {
                "code": "N-4",
                "name": "重复等级",
                "prices": [{"price_level": "vip", "price": "1"}, {"price_level": "vip", "price": "2"}],
            },
            {"prices": ["同一价格等级只能填写一个价格。"]},
        ),
    ]
    for payload, errors in cases:
        response = admin_api.post(PRODUCTS, payload, format="json")
        assert (response.status_code, response.json()) == (400, errors)
    assert catalog_state() == before


def test_deactivate_and_reactivate_actions(company: Company, api_client_for: ClientFor, goods) -> None:
    product = goods["products"][0]
    client = api_client_for(company.purchaser)
    response = client.post(f"{PRODUCTS}{product.pk}/deactivate/")
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    again = client.post(f"{PRODUCTS}{product.pk}/deactivate/")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "商品已是停用状态。", "code": "invalid_state"},
    )
    assert client.post(f"{PRODUCTS}{product.pk}/reactivate/").json()["is_active"] is True


def test_a_salesperson_may_read_products_and_availability_but_not_write(
    company: Company, api_client_for: ClientFor, goods
) -> None:
    client = api_client_for(company.rep_a1)
    product = goods["products"][0]
    before = catalog_state()
    assert client.get(PRODUCTS).status_code == 200
    assert client.get(f"{PRODUCTS}{product.pk}/availability/").status_code == 200
    for response in (
        client.post(PRODUCTS, {"code": "N-1", "name": "新商品"}, format="json"),
        client.patch(f"{PRODUCTS}{product.pk}/", {"name": "改名"}, format="json"),
        client.post(f"{PRODUCTS}{product.pk}/deactivate/"),
        client.post("/api/v1/warehouses/", {"code": "GZ01", "name": "广州仓"}, format="json"),
        client.get("/api/v1/warehouses/"),
        client.get("/api/v1/categories/"),
    ):
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED)
    assert catalog_state() == before


# Availability --------------------------------------------------------------------------------------


def test_availability_after_receiving_and_reserving_stock(
    company: Company, api_client_for: ClientFor, goods, keeper
) -> None:
    product = goods["products"][1]
    main = make_warehouse("BJ01", "北京主仓")
    second = make_warehouse("SH01", "上海仓")
    ledger.receive(
        [
            Incoming(product.pk, main.pk, D("100"), D("0.40"), "L1", expiry_date=dt.date(2099, 1, 1)),
            Incoming(product.pk, main.pk, D("20"), D("0.40"), "L0", expiry_date=dt.date(2000, 1, 1)),
            Incoming(product.pk, second.pk, D("12.5"), D("0.42"), "L2", expiry_date=dt.date(2099, 6, 1)),
        ],
        source=DocRef(type="test", id=1, number="T0001"),
        actor=keeper,
    )
    ledger.reserve([Hold(product.pk, main.pk, D("30"))], source=DocRef("test", 2, "T0002"), actor=keeper)

    url = f"{PRODUCTS}{product.pk}/availability/"
    body = api_client_for(company.rep_a1).get(url).json()
    assert body == {
        "product": product.pk,
        "product_code": "ZS-01",
        "product_name": "一次性注射器",
        "unit": "支",
        "warehouses": [
            {
                "warehouse": main.pk,
                "warehouse_name": "北京主仓",
                "on_hand": "120.0000",
                "reserved": "30.0000",
                "available": "70.0000",  # the expired lot L0 is not available
                "incoming": "0.0000",
            },
            {
                "warehouse": second.pk,
                "warehouse_name": "上海仓",
                "on_hand": "12.5000",
                "reserved": "0.0000",
                "available": "12.5000",
                "incoming": "0.0000",
            },
        ],
        "total": {"on_hand": "132.5000", "reserved": "30.0000", "available": "82.5000", "incoming": "0.0000"},
    }
    one = api_client_for(company.rep_a1).get(url, {"warehouse": second.pk}).json()
    assert [row["warehouse_name"] for row in one["warehouses"]] == ["上海仓"]
    assert one["total"]["on_hand"] == "12.5000"
    bad = api_client_for(company.rep_a1).get(url, {"warehouse": 999999})
    assert bad.status_code == 400 and list(bad.json()) == ["warehouse"]
    assert api_client_for(company.rep_a1).get(f"{PRODUCTS}999999/availability/").json() == NOT_FOUND


# Warehouses, categories, price levels --------------------------------------------------------------


def test_a_keeper_creates_and_changes_warehouses_and_cannot_switch_off_one_with_stock(
    company: Company, keeper, goods
) -> None:
    client = token_client(keeper)
    response = client.post(
        "/api/v1/warehouses/",
        {"code": "BJ01", "name": "北京主仓", "address": "北京市大兴区", "keeper": keeper.pk},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("code", "name", "address", "is_active", "keeper_name")} == {
        "code": "BJ01",
        "name": "北京主仓",
        "address": "北京市大兴区",
        "is_active": True,
        "keeper_name": "赵仓管",
    }
    duplicate = client.post("/api/v1/warehouses/", {"code": "bj01", "name": "又一个"}, format="json")
    assert (duplicate.status_code, duplicate.json()) == (400, {"code": ["仓库编码“bj01”已存在。"]})
    product = goods["products"][2]
    ledger.receive(
        [Incoming(product.pk, body["id"], D("1"), D("5000"))], source=DocRef("t", 1, "T1"), actor=keeper
    )
    refused = client.patch(f"/api/v1/warehouses/{body['id']}/", {"is_active": False}, format="json")
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": "仓库“北京主仓”还有库存，不能停用。", "code": "has_stock", "field": "is_active"},
    )
    renamed = client.patch(f"/api/v1/warehouses/{body['id']}/", {"name": "北京一号仓"}, format="json")
    assert renamed.json()["name"] == "北京一号仓"
    listed = client.get("/api/v1/warehouses/", {"search": "大兴"}).json()
    assert [w["code"] for w in listed["results"]] == ["BJ01"]


def test_categories_and_price_levels_through_the_api(company: Company, admin_api: APIClient, goods) -> None:
    body = admin_api.get("/api/v1/categories/").json()
    assert [(c["name"], c["depth"]) for c in body["results"]] == [("医用耗材", 0), ("注射器", 1)]
    created = admin_api.post(
        "/api/v1/categories/", {"name": "针头", "parent": goods["syringes"].pk}, format="json"
    ).json()
    assert created["path"] == f"{goods['syringes'].path}{created['id']}/"
    cycle = admin_api.patch(
        f"/api/v1/categories/{goods['consumables'].pk}/", {"parent": created["id"]}, format="json"
    )
    assert (cycle.status_code, cycle.json()) == (
        400,
        {"parent": ["不能把分类移到它自己或它的下级分类之下。"]},
    )
    levels = admin_api.get("/api/v1/price-levels/").json()["results"]
    assert [lv["code"] for lv in levels] == ["agent1", "vip"]
    level = admin_api.post(
        "/api/v1/price-levels/", {"code": "agent2", "name": "二级代理价", "kind": "channel"}, format="json"
    )
    assert level.status_code == 201 and level.json()["is_active"] is True
    duplicate = admin_api.post("/api/v1/price-levels/", {"code": "vip", "name": "重复"}, format="json")
    assert (duplicate.status_code, duplicate.json()) == (400, {"code": ["价格等级代码“vip”已存在。"]})
