"""Product services: create and change a product with its level prices in one step, every refusal
with its exact code and message (and nothing changed), 停用/启用, pinyin search and price lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.catalog import selectors, services
from maoyi.catalog.models import ProductPrice
from maoyi.core.errors import DomainError, PermissionRefused
from tests.catalog.builders import make_category, make_level, make_product

pytestmark = pytest.mark.django_db


def entries(obj, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model=obj._meta.model_name, object_id=str(obj.pk), action=action
        ).order_by("id")
    )


@pytest.fixture
def levels(company):
    return make_level("agent1", "一级代理价", "channel"), make_level("vip", "VIP 客户价")


def test_creating_a_product_stores_its_fields_pinyin_and_level_prices_and_audits_it(company, levels):
    agent, vip = levels
    category = make_category("注射穿刺")
    product = services.create_product(
        actor=company.purchaser,
        code=" ZS-001 ",
        name="一次性使用无菌注射器",
        unit="支",
        specification="5ml 带针",
        category=category,
        brand="康德莱",
        manufacturer="上海康德莱企业发展集团股份有限公司",
        registration_number="国械注准20153150455",
        registration_expires_on=dt.date(2030, 6, 30),
        lot_tracked=True,
        shelf_life_days=1095,
        purchase_price=D("0.35"),
        sale_price=D("0.80"),
        min_sale_price=D("0.60"),
        min_stock=D("1000"),
        max_stock=D("50000"),
        barcode="6901234567890",
        prices={
            agent: D("0.55"),
            vip: D("0.7"),
        },
    )

    product.refresh_from_db()
    assert (product.code, product.pinyin, product.unit) == ("ZS-001", "ycxsywjzsq", "支")
    assert (product.purchase_price, product.sale_price, product.min_sale_price) == (
        D("0.3500"),
        D("0.8000"),
        D("0.6000"),
    )
    assert (product.min_stock, product.max_stock, product.is_active) == (D("1000"), D("50000"), True)
    prices = {p.price_level.code: p.price for p in ProductPrice.objects.filter(product=product)}
    assert prices == {"agent1": D("0.5500"), "vip": D("0.7000")}
    [created] = entries(product, "create")
    assert created.actor == company.purchaser.user
    assert created.changes["code"] == [None, "ZS-001"]
    assert created.changes["category"] == [None, "注射穿刺"]
    assert created.changes["sale_price"] == [None, "0.8000"]
    assert created.changes["prices"] == [None, "一级代理价 0.5500、VIP 客户价 0.7000"]


def test_updating_a_product_changes_fields_and_prices_together_and_records_the_difference(company, levels):
    agent, vip = levels
    product = make_product("ZS-001", "一次性注射器", sale_price="1.00", prices={agent: D("0.50")})

    services.update_product(
        product,
        actor=company.admin,
        code="ZS-001",
        name="北京注射器",
        unit="盒",
        sale_price=D("1.20"),
        prices={agent: None, vip: D("1.10")},
    )

    product.refresh_from_db()
    assert (product.name, product.pinyin, product.unit, product.sale_price) == (
        "北京注射器",
        "bjzsq",
        "盒",
        D("1.2000"),
    )
    assert list(ProductPrice.objects.filter(product=product).values_list("price_level__code", "price")) == [
        ("vip", D("1.1000"))
    ]
    [update] = entries(product, "update")
    assert update.changes == {
        "name": ["一次性注射器", "北京注射器"],
        "unit": ["支", "盒"],
        "sale_price": ["1.0000", "1.2000"],
        "prices": ["一级代理价 0.5000", "VIP 客户价 1.1000"],
    }


def test_levels_not_given_keep_their_price_and_an_unchanged_save_writes_no_audit_row(company, levels):
    agent, vip = levels
    product = make_product("ZS-001", "注射器", sale_price="1.00", prices={agent: D("0.50"), vip: D("0.9")})

    services.update_product(
        product, actor=company.admin, code="ZS-001", name="注射器", unit="支", sale_price=D("1.00"), prices={}
    )

    assert ProductPrice.objects.filter(product=product).count() == 2
    assert entries(product, "update") == []


def refused(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(**kwargs)
    return info.value


@pytest.mark.parametrize(
    ("changes", "code", "field", "message"),
    [
        ({"code": ""}, "invalid", "code", "请填写商品编码。"),
        (
            {"code": "ZS 002"},
            "invalid",
            "code",
            "商品编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。",
        ),
        (
            {"code": "-ZS"},
            "invalid",
            "code",
            "商品编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。",
        ),
        ({"name": "  "}, "invalid", "name", "请填写商品名称。"),
        ({"unit": ""}, "invalid", "unit", "请填写单位。"),
        ({"purchase_price": D("-0.01")}, "invalid", "purchase_price", "采购价不能为负数。"),
        ({"sale_price": D("-1")}, "invalid", "sale_price", "销售价不能为负数。"),
        ({"min_sale_price": D("-1")}, "invalid", "min_sale_price", "最低售价不能为负数。"),
        (
            {"sale_price": D("1.00"), "min_sale_price": D("1.01")},
            "invalid",
            "min_sale_price",
            "最低售价不能高于销售价。",
        ),
        ({"min_stock": D("-1")}, "invalid", "min_stock", "最低库存不能为负数。"),
        (
            {"min_stock": D("100"), "max_stock": D("99.9999")},
            "invalid",
            "max_stock",
            "最高库存不能低于最低库存。",
        ),
        (
            {"registration_expires_on": dt.date(2030, 1, 1)},
            "invalid",
            "registration_number",
            "填写了注册证有效期，请同时填写注册证号。",
        ),
        ({"shelf_life_days": 0}, "invalid", "shelf_life_days", "保质期必须大于 0 天。"),
        ({"code": "zs-001"}, "duplicate", "code", "商品编码“zs-001”已存在。"),
    ],
)
def test_an_invalid_product_is_refused_with_its_code_and_message_and_nothing_changes(
    company, unchanged, changes, code, field, message
):
    existing = make_product("ZS-001", "注射器")
    base = {"actor": company.admin, "code": "ZS-002", "name": "输液器", "unit": "套"}
    with unchanged():
        error = refused(services.create_product, **{**base, **changes})
    assert (error.code, error.field, error.message) == (code, field, message)
    other = make_product("ZS-003", "输液器")
    with unchanged():
        error = refused(services.update_product, product=other, **{**base, **changes})
    assert (error.code, error.field, error.message) == (code, field, message)
    services.update_product(existing, actor=company.admin, code="zs-001", name="注射器", unit="支")


def test_a_negative_level_price_is_refused_and_no_price_is_saved(company, levels, unchanged):
    agent, vip = levels
    product = make_product("ZS-001", "注射器", prices={vip: D("2")})
    with unchanged():
        error = refused(
            services.update_product,
            product=product,
            actor=company.admin,
            code="ZS-001",
            name="注射器",
            unit="支",
            prices={vip: D("3"), agent: D("-0.5")},
        )
    assert (error.code, error.field, error.message) == ("invalid", "prices", "一级代理价不能为负数。")
    assert ProductPrice.objects.get(product=product).price == D("2.0000")


def test_a_switched_off_level_keeps_its_price_but_takes_no_new_one(company, levels, unchanged):
    _agent, vip = levels
    product = make_product("ZS-001", "注射器", prices={vip: D("2")})
    services.update_price_level(
        vip, actor=company.admin, code="vip", name="VIP 客户价", kind="customer", is_active=False
    )
    vip.refresh_from_db()
    services.update_product(
        product, actor=company.admin, code="ZS-001", name="注射器", unit="支", prices={vip: D("2")}
    )
    with unchanged():
        error = refused(
            services.create_product,
            actor=company.admin,
            code="ZS-002",
            name="输液器",
            unit="套",
            prices={vip: D("5")},
        )
    assert (error.code, error.message) == ("invalid", "价格等级“VIP 客户价”已停用，不能设置价格。")


def test_a_product_cannot_be_put_into_a_switched_off_category(company, unchanged):
    category = make_category("停用分类")
    services.update_category(category, actor=company.admin, name="停用分类", parent=None, is_active=False)
    with unchanged():
        error = refused(
            services.create_product,
            actor=company.admin,
            code="ZS-002",
            name="输液器",
            unit="套",
            category=category,
        )
    assert (error.code, error.field, error.message) == ("invalid", "category", "分类“停用分类”已停用。")


def test_a_role_without_catalog_permissions_is_refused_and_nothing_changes(company, unchanged):
    product = make_product("ZS-001", "注射器")
    with unchanged(), pytest.raises(PermissionRefused):
        services.create_product(actor=company.rep_a1, code="ZS-002", name="输液器", unit="套")
    with unchanged(), pytest.raises(PermissionRefused):
        services.update_product(product, actor=company.rep_a1, code="ZS-001", name="改名", unit="支")
    with unchanged(), pytest.raises(PermissionRefused):
        services.deactivate_product(product, actor=company.finance_clerk)


def test_deactivating_and_reactivating_a_product_is_audited_and_a_repeat_is_refused(company, unchanged):
    product = make_product("ZS-001", "注射器")

    services.deactivate_product(product, actor=company.purchaser)
    product.refresh_from_db()
    assert product.is_active is False
    with unchanged():
        error = refused(services.deactivate_product, product=product, actor=company.purchaser)
    assert (error.code, error.message) == ("invalid_state", "商品已是停用状态。")

    services.reactivate_product(product, actor=company.purchaser)
    product.refresh_from_db()
    assert product.is_active is True
    with unchanged():
        error = refused(services.reactivate_product, product=product, actor=company.purchaser)
    assert (error.code, error.message) == ("invalid_state", "商品已是启用状态。")
    assert [e.changes for e in entries(product, "update")] == [
        {"is_active": [True, False]},
        {"is_active": [False, True]},
    ]


def test_search_finds_products_by_pinyin_initials_code_name_and_barcode(company):
    make_product("BJ-01", "北京协和定制手套", barcode="6900000000011")
    make_product("SH-01", "上海医用口罩", barcode="6900000000028")
    make_product("ZS-01", "一次性注射器", barcode="6900000000035")

    def found(term: str) -> list[str]:
        return list(selectors.products(search=term).values_list("code", flat=True))

    assert found("bj") == ["BJ-01"]  # 北京… by its pinyin initials
    assert found("BJXH") == ["BJ-01"]
    assert found("zsq") == ["ZS-01"]  # initials inside the name: 一次性注射器 → ycxzsq
    assert found("口罩") == ["SH-01"]
    assert found("sh-0") == ["SH-01"]
    assert found("6900000000035") == ["ZS-01"]
    assert found("不存在") == []


def test_the_product_list_filters_by_category_subtree_active_and_lot_tracking_and_sorts(company):
    consumables = make_category("医用耗材")
    syringes = make_category("注射器", consumables)
    other = make_category("设备")
    make_product("A-1", "注射器甲", category=syringes, sale_price="3")
    make_product("A-2", "耗材乙", category=consumables, lot_tracked=False, sale_price="1")
    off = make_product("B-1", "监护仪", category=other, sale_price="2")
    services.deactivate_product(off, actor=None)

    def codes(**kwargs) -> list[str]:
        return list(selectors.products(**kwargs).values_list("code", flat=True))

    assert codes(category=consumables) == ["A-1", "A-2"]
    assert codes(category=syringes) == ["A-1"]
    assert codes(active=True) == ["A-1", "A-2"]
    assert codes(active=False) == ["B-1"]
    assert codes(lot_tracked=False) == ["A-2"]
    assert codes(ordering="-sale_price") == ["A-1", "B-1", "A-2"]
    assert codes(ordering="sale_price") == ["A-2", "B-1", "A-1"]
    assert codes(ordering="nonsense") == ["A-1", "A-2", "B-1"]


def test_price_for_takes_the_level_price_and_falls_back_to_the_sale_price(company, levels):
    agent, vip = levels
    product = make_product("ZS-001", "注射器", sale_price="1.00", prices={agent: D("0.60")})

    assert selectors.price_for(product, agent) == D("0.6000")
    assert selectors.price_for(product, vip) == D("1.0000")  # no price in this level
    assert selectors.price_for(product, None) == D("1.0000")
    services.update_price_level(
        agent, actor=None, code="agent1", name="一级代理价", kind="channel", is_active=False
    )
    agent.refresh_from_db()
    assert selectors.price_for(product, agent) == D("1.0000")  # a switched-off level no longer applies


def test_the_registration_warning_starts_90_days_before_expiry(company):
    today = dt.date(2026, 11, 27)
    product = make_product(
        "ZS-001", "注射器", registration_number="国械注准1", registration_expires_on=dt.date(2027, 2, 25)
    )
    assert selectors.registration_warning(product, today=today) == selectors.RegistrationWarning(
        expired=False, days=90, expires_on=dt.date(2027, 2, 25)
    )
    assert selectors.registration_warning(product, today=dt.date(2026, 11, 26)) is None
    past = selectors.registration_warning(product, today=dt.date(2027, 3, 1))
    assert (past.expired, past.days) == (True, 4)
    assert selectors.registration_warning(make_product("ZS-002", "针"), today=today) is None


def test_a_twin_that_slips_past_the_duplicate_check_is_stopped_by_the_unique_index(
    company, monkeypatch, unchanged
):
    make_product("ZS-001", "注射器")
    monkeypatch.setattr(services, "_check_product", lambda *args, **kwargs: None)  # as if raced
    with unchanged():
        error = refused(services.create_product, actor=company.admin, code="ZS-001", name="注射器", unit="支")
    assert (error.code, error.field, error.message) == ("duplicate", "code", "商品编码“ZS-001”已存在。")
