"""The catalog pages: products (list, detail tabs, form with the level-price grid, 停用/启用),
categories, price levels and warehouses, as the administrator, a purchaser, a salesperson and a
warehouse keeper see them. A missing permission answers 403, a missing record 404."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.core.documents import DocRef
from maoyi.inventory.models import Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming
from tests.catalog.builders import make_category, make_level, make_product, make_warehouse
from tests.factories import make_employee

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    """The product codes a list page shows, in order."""
    return re.findall(r'data-testid="product-code">([^<]+)<', text(response))


def product_post(**changes) -> dict[str, str]:
    data = {
        "code": "ZS-100",
        "name": "一次性使用输液器",
        "specification": "带针 0.7mm",
        "unit": "套",
        "category": "",
        "brand": "威高",
        "manufacturer": "山东威高集团医用高分子制品股份有限公司",
        "registration_number": "国械注准20153140001",
        "registration_expires_on": "2030-12-31",
        "barcode": "6901234500001",
        "lot_tracked": "on",
        "shelf_life_days": "1095",
        "purchase_price": "0.9",
        "sale_price": "1.50",
        "min_sale_price": "1.20",
        "min_stock": "500",
        "max_stock": "20000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def catalog(company):
    consumables = make_category("医用耗材")
    syringes = make_category("注射器", consumables)
    devices = make_category("设备")
    agent = make_level("agent1", "一级代理价", "channel")
    vip = make_level("vip", "VIP 客户价")
    products = [
        make_product("BJ-01", "北京协和专用手套", category=consumables, sale_price="12.00"),
        make_product("ZS-01", "一次性注射器", category=syringes, sale_price="0.80", prices={agent: D("0.5")}),
        make_product("JH-01", "监护仪", category=devices, sale_price="8800", lot_tracked=False),
    ]
    return {
        "consumables": consumables,
        "syringes": syringes,
        "agent": agent,
        "vip": vip,
        "products": products,
    }


# Products: list ------------------------------------------------------------------------------------


def test_the_product_list_shows_active_products_with_their_columns(company, client_for, catalog):
    response = client_for(company.admin).get(reverse("web:product-list"))
    page = text(response)
    assert response.status_code == 200
    assert listed(response) == ["BJ-01", "JH-01", "ZS-01"]
    assert "新建商品" in page and "¥8,800.00" in page and "注射器" in page
    assert "共 3 条" in page


def test_the_product_list_finds_by_pinyin_initials_code_and_barcode(company, client_for, catalog):
    client = client_for(company.rep_a1)
    assert listed(client.get(reverse("web:product-list"), {"q": "bj"})) == ["BJ-01"]  # 北京…
    assert listed(client.get(reverse("web:product-list"), {"q": "jhy"})) == ["JH-01"]  # 监护仪
    assert listed(client.get(reverse("web:product-list"), {"q": "zs-0"})) == ["ZS-01"]
    empty = client.get(reverse("web:product-list"), {"q": "没有这个"})
    assert listed(empty) == [] and "没有符合条件的商品。" in text(empty)


def test_the_product_list_filters_by_category_subtree_status_and_lot_tracking_and_sorts(
    company, client_for, catalog
):
    client = client_for(company.admin)
    url = reverse("web:product-list")
    assert listed(client.get(url, {"category": catalog["consumables"].pk})) == ["BJ-01", "ZS-01"]
    assert listed(client.get(url, {"lot": "no"})) == ["JH-01"]
    assert listed(client.get(url, {"o": "-sale_price"})) == ["JH-01", "BJ-01", "ZS-01"]
    Product.objects.filter(code="JH-01").update(is_active=False)
    assert listed(client.get(url)) == ["BJ-01", "ZS-01"]
    assert listed(client.get(url, {"active": "inactive"})) == ["JH-01"]
    assert listed(client.get(url, {"active": "all"})) == ["BJ-01", "JH-01", "ZS-01"]


def test_the_product_list_pages_and_shows_an_empty_state(company, client_for):
    client = client_for(company.admin)
    empty = text(client.get(reverse("web:product-list")))
    assert "还没有商品。" in empty and "新建第一个商品" in empty
    for n in range(25):
        make_product(f"P{n:03d}", f"商品{n}")
    first = client.get(reverse("web:product-list"))
    assert len(listed(first)) == 20 and "第 1–20 条" in text(first)
    second = client.get(reverse("web:product-list"), {"page": 2})
    assert listed(second) == [f"P{n:03d}" for n in range(20, 25)]


# Products: permissions -----------------------------------------------------------------------------


def test_a_salesperson_may_look_products_up_but_not_change_them(company, client_for, catalog):
    client = client_for(company.rep_a1)
    product = catalog["products"][0]
    page = text(client.get(reverse("web:product-list")))
    assert "新建商品" not in page
    detail = client.get(reverse("web:product-detail", args=[product.pk]))
    assert (
        detail.status_code == 200 and "编辑" not in text(detail).split("page-body")[0].split("page-title")[1]
    )
    assert client.get(reverse("web:product-create")).status_code == 403
    assert client.post(reverse("web:product-create"), product_post()).status_code == 403
    assert client.get(reverse("web:product-edit", args=[product.pk])).status_code == 403
    assert client.post(reverse("web:product-deactivate", args=[product.pk])).status_code == 403
    assert client.get(reverse("web:category-list")).status_code == 403
    assert client.get(reverse("web:price-level-list")).status_code == 403
    assert client.get(reverse("web:warehouse-list")).status_code == 403
    assert not Product.objects.filter(code="ZS-100").exists()
    product.refresh_from_db()
    assert product.is_active


def test_a_missing_product_answers_404(company, client_for):
    client = client_for(company.admin)
    assert client.get(reverse("web:product-detail", args=[999999])).status_code == 404
    assert client.get(reverse("web:product-edit", args=[999999])).status_code == 404


def test_the_sidebar_offers_each_role_the_catalog_pages_it_may_open(company, client_for):
    admin = text(client_for(company.admin).get(reverse("web:home")))
    for name in ("web:product-list", "web:category-list", "web:price-level-list", "web:warehouse-list"):
        assert reverse(name) in admin
    rep = text(client_for(company.rep_a1).get(reverse("web:home")))
    assert reverse("web:product-list") in rep
    assert reverse("web:category-list") not in rep and reverse("web:warehouse-list") not in rep


# Products: detail ----------------------------------------------------------------------------------


def test_the_detail_page_warns_when_the_registration_expires_within_90_days(company, client_for):
    today = timezone.localdate()
    soon = make_product(
        "ZS-1",
        "注射器",
        registration_number="国械注准1",
        registration_expires_on=today + dt.timedelta(days=30),
    )
    past = make_product(
        "ZS-2", "针头", registration_number="国械注准2", registration_expires_on=today - dt.timedelta(days=3)
    )
    later = make_product(
        "ZS-3", "导管", registration_number="国械注准3", registration_expires_on=today + dt.timedelta(days=91)
    )
    client = client_for(company.rep_a1)
    page = text(client.get(reverse("web:product-detail", args=[soon.pk])))
    assert 'data-testid="registration-warning"' in page and "alert-warning" in page
    assert "还剩 30 天" in page and "即将到期" in page
    page = text(client.get(reverse("web:product-detail", args=[past.pk])))
    assert "alert-danger" in page and "（3 天前）" in page and "已过期" in page
    page = text(client.get(reverse("web:product-detail", args=[later.pk])))
    assert 'data-testid="registration-warning"' not in page
    form = text(client_for(company.admin).get(reverse("web:product-edit", args=[later.pk])))
    expires = (today + dt.timedelta(days=91)).isoformat()
    assert re.search(
        rf'name="registration_expires_on" value="{expires}"', form
    )  # what <input type=date> reads


def test_the_prices_tab_lists_each_level_with_its_price_or_the_sale_price(company, client_for, catalog):
    product = catalog["products"][1]  # ZS-01: 0.80, 一级代理价 0.50
    page = text(
        client_for(company.rep_a1).get(reverse("web:product-detail", args=[product.pk]), {"tab": "prices"})
    )
    table = page.split('data-testid="product-prices"', 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>|\s+", " ", r).split() for r in re.findall(r"<tr.*?</tr>", table, re.S)[1:]]
    assert rows == [
        ["销售价", "默认", "¥0.80", "¥0.80"],
        ["一级代理价", "渠道等级", "¥0.50", "¥0.50"],
        ["VIP", "客户价", "客户等级", "未设置", "¥0.80"],
    ]


def test_the_stock_tab_shows_availability_per_warehouse_with_a_link_to_the_lots(company, client_for, catalog):
    product = catalog["products"][1]
    main = make_warehouse("BJ01", "北京主仓")
    make_warehouse("SH01", "上海仓")
    keeper = make_employee(company.root, "logistics", username="wh", name="赵仓管")
    ref = DocRef(type="test", id=1, number="T0001")
    ledger.receive(
        [Incoming(product.pk, main.pk, D("100"), D("0.40"), "L1", expiry_date=dt.date(2099, 1, 1))],
        source=ref,
        actor=keeper,
    )
    ledger.reserve([Hold(product.pk, main.pk, D("30"))], source=ref, actor=keeper)
    page = text(
        client_for(company.rep_a1).get(reverse("web:product-detail", args=[product.pk]), {"tab": "stock"})
    )
    table = page.split('data-testid="product-stock"', 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>|\s+", " ", r).split() for r in re.findall(r"<tr.*?</tr>", table, re.S)[1:]]
    assert rows == [
        ["北京主仓", "100", "30", "70", "0"],
        ["上海仓", "0", "0", "0", "0"],
        ["合计", "100", "30", "70", "0"],
    ]
    assert 'data-testid="lot-list-link"' not in page  # a salesperson may not open the lot list
    keeper_page = text(
        client_for(keeper).get(reverse("web:product-detail", args=[product.pk]), {"tab": "stock"})
    )
    assert f"{reverse('web:lot-list')}?q=ZS-01" in keeper_page


def test_a_role_without_stock_permission_gets_no_stock_tab(company, client_for, catalog):
    from django.contrib.auth.models import Permission

    company.rep_a1.roles.first().group.permissions.remove(
        Permission.objects.get(codename="view_stockbalance", content_type__app_label="inventory")
    )
    product = catalog["products"][0]
    page = text(
        client_for(company.rep_a1).get(reverse("web:product-detail", args=[product.pk]), {"tab": "stock"})
    )
    assert 'href="?tab=stock"' not in page and 'data-testid="product-stock"' not in page
    assert 'data-testid="product-info"' in page


def test_the_attachments_and_history_tabs_render(company, client_for, catalog):
    product = catalog["products"][0]
    client = client_for(company.admin)
    url = reverse("web:product-detail", args=[product.pk])
    attachments = text(client.get(url, {"tab": "attachments"}))
    assert 'data-testid="attachments"' in attachments and "还没有附件。" in attachments
    assert "/attachments/upload/" in attachments
    history = text(client.get(url, {"tab": "history"}))
    assert 'data-testid="history"' in history and "创建" in history


# Products: form ------------------------------------------------------------------------------------


def test_the_form_offers_one_price_input_per_active_price_level(company, client_for, catalog):
    PriceLevel.objects.filter(code="vip").update(is_active=False)
    page = text(client_for(company.purchaser).get(reverse("web:product-create")))
    grid = page.split('data-testid="price-grid"', 1)[1].split("</table>", 1)[0]
    assert f'name="price_{catalog["agent"].pk}"' in grid
    assert f'name="price_{catalog["vip"].pk}"' not in grid


def test_creating_a_product_with_level_prices_saves_both_and_audits(company, client_for, catalog):
    client = client_for(company.purchaser)
    data = product_post(category=str(catalog["syringes"].pk), **{f"price_{catalog['agent'].pk}": "1.1"})
    response = client.post(reverse("web:product-create"), data)
    product = Product.objects.get(code="ZS-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:product-detail", args=[product.pk])
    assert (product.pinyin, product.category, product.sale_price) == (
        "ycxsysyq",
        catalog["syringes"],
        D("1.5"),
    )
    assert (product.max_stock, product.shelf_life_days, product.lot_tracked) == (D("20000"), 1095, True)
    assert list(product.prices.values_list("price_level__code", "price")) == [("agent1", D("1.1000"))]
    entry = AuditEntry.objects.get(content_type__model="product", object_id=str(product.pk), action="create")
    assert entry.actor == company.purchaser.user
    assert "已创建商品“一次性使用输液器”。" in text(client.get(response["Location"]))


def test_editing_a_product_changes_its_prices_and_an_emptied_price_is_removed(company, client_for, catalog):
    product = catalog["products"][1]  # 一级代理价 0.50
    client = client_for(company.admin)
    form = text(client.get(reverse("web:product-edit", args=[product.pk])))
    assert re.search(rf'name="price_{catalog["agent"].pk}"[^>]*value="0.5"', form)  # as typed, not 0.5000
    data = product_post(
        code="ZS-01",
        name="一次性注射器",
        registration_number="",
        registration_expires_on="",
        **{f"price_{catalog['agent'].pk}": "", f"price_{catalog['vip'].pk}": "0.75"},
    )
    response = client.post(reverse("web:product-edit", args=[product.pk]), {**data, "version": "1"})
    assert response.status_code == 302
    assert list(product.prices.values_list("price_level__code", "price")) == [("vip", D("0.7500"))]
    entry = AuditEntry.objects.get(content_type__model="product", object_id=str(product.pk), action="update")
    assert entry.changes["prices"] == ["一级代理价 0.5000", "VIP 客户价 0.7500"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "BJ-01"}, "code", "商品编码“BJ-01”已存在。"),
        (
            {"code": "ZS 100"},
            "code",
            "商品编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。",
        ),
        ({"min_stock": "500", "max_stock": "100"}, "max_stock", "最高库存不能低于最低库存。"),
        ({"sale_price": "-1"}, "sale_price", "销售价不能为负数。"),
        ({"registration_number": ""}, "registration_number", "填写了注册证有效期，请同时填写注册证号。"),
    ],
)
def test_an_invalid_product_comes_back_with_the_error_on_its_field_and_nothing_saved(
    company, client_for, catalog, changes, field, message
):
    before = (Product.objects.count(), ProductPrice.objects.count(), AuditEntry.objects.count())
    response = client_for(company.admin).post(reverse("web:product-create"), product_post(**changes))
    assert response.status_code == 400
    page = text(response)
    assert re.search(rf'id="id_{field}_group".*?{re.escape(message)}', page, re.S)
    assert (Product.objects.count(), ProductPrice.objects.count(), AuditEntry.objects.count()) == before


def test_a_negative_level_price_is_shown_at_the_top_of_the_form(company, client_for, catalog):
    data = product_post(**{f"price_{catalog['agent'].pk}": "-2"})
    response = client_for(company.admin).post(reverse("web:product-create"), data)
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in text(response) and "一级代理价不能为负数。" in text(response)
    assert not Product.objects.filter(code="ZS-100").exists()


def test_deactivating_and_reactivating_a_product(company, client_for, catalog):
    product = catalog["products"][0]
    client = client_for(company.purchaser)
    response = client.post(reverse("web:product-deactivate", args=[product.pk]))
    assert response.status_code == 302
    product.refresh_from_db()
    assert not product.is_active
    page = text(client.get(response["Location"]))
    assert "已停用商品“北京协和专用手套”。" in page and 'data-testid="product-reactivate"' in page
    again = client.post(reverse("web:product-deactivate", args=[product.pk]), follow=True)
    assert "商品已是停用状态。" in text(again)
    client.post(reverse("web:product-reactivate", args=[product.pk]))
    product.refresh_from_db()
    assert product.is_active
    assert client.get(reverse("web:product-deactivate", args=[product.pk])).status_code == 405


# Categories ----------------------------------------------------------------------------------------


def test_the_category_tree_is_indented_with_product_counts(company, client_for, catalog):
    page = text(client_for(company.purchaser).get(reverse("web:category-list")))
    assert page.index("医用耗材") < page.index("注射器") < page.index("设备")
    row = re.search(r"<tr>((?:(?!</tr>).)*>注射器<(?:(?!</tr>).)*)</tr>", page, re.S).group(1)
    assert row.count('class="tree-indent"') == 1
    assert '<td class="text-end">1</td>' in row
    assert "共 3 个分类" in page


def test_creating_and_moving_a_category(company, client_for, catalog):
    client = client_for(company.purchaser)
    parent = catalog["consumables"]
    response = client.post(reverse("web:category-create"), {"name": "输液器", "parent": parent.pk})
    assert response.status_code == 302
    category = Category.objects.get(name="输液器")
    assert category.path == f"{parent.path}{category.pk}/"
    response = client.post(
        reverse("web:category-edit", args=[catalog["syringes"].pk]),
        {"name": "注射器", "parent": "", "sort_order": "2", "is_active": "on"},
    )
    assert response.status_code == 302
    catalog["syringes"].refresh_from_db()
    assert catalog["syringes"].path == f"/{catalog['syringes'].pk}/"


def test_a_category_cannot_be_moved_under_its_own_branch(company, client_for, catalog):
    client = client_for(company.admin)
    parent = catalog["consumables"]
    form = text(client.get(reverse("web:category-edit", args=[parent.pk])))
    assert f'<option value="{catalog["syringes"].pk}"' not in form  # not even offered
    response = client.post(
        reverse("web:category-edit", args=[parent.pk]),
        {"name": "医用耗材", "parent": catalog["syringes"].pk, "is_active": "on"},
    )
    assert response.status_code == 400
    parent.refresh_from_db()
    assert parent.parent is None and parent.path == f"/{parent.pk}/"


def test_switching_off_a_category_with_active_products_is_refused(company, client_for, catalog):
    response = client_for(company.admin).post(
        reverse("web:category-edit", args=[catalog["consumables"].pk]), {"name": "医用耗材", "parent": ""}
    )
    assert response.status_code == 400
    assert re.search(
        r'id="id_is_active_group".*?分类（或其下级分类）下还有启用的商品，不能停用。', text(response), re.S
    )
    catalog["consumables"].refresh_from_db()
    assert catalog["consumables"].is_active


# Price levels --------------------------------------------------------------------------------------


def test_price_levels_are_listed_created_and_edited(company, client_for, catalog):
    client = client_for(company.purchaser)
    page = text(client.get(reverse("web:price-level-list")))
    assert re.findall(r'data-testid="price-level-name">([^<]+)<', page) == ["一级代理价", "VIP 客户价"]
    response = client.post(
        reverse("web:price-level-create"), {"code": "agent2", "name": "二级代理价", "kind": "channel"}
    )
    assert response.status_code == 302
    level = PriceLevel.objects.get(code="agent2")
    response = client.post(
        reverse("web:price-level-edit", args=[level.pk]),
        {"code": "agent2", "name": "二级代理价", "kind": "channel", "sort_order": "5"},
    )
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.sort_order, level.is_active) == (5, False)
    duplicate = client.post(
        reverse("web:price-level-create"), {"code": "vip", "name": "重复", "kind": "customer"}
    )
    assert duplicate.status_code == 400 and "价格等级代码“vip”已存在。" in text(duplicate)


def test_a_manager_may_see_price_levels_but_not_change_them(company, client_for, catalog):
    client = client_for(company.manager_a)
    assert client.get(reverse("web:price-level-list")).status_code == 200
    assert client.get(reverse("web:price-level-create")).status_code == 403
    assert client.post(reverse("web:category-create"), {"name": "新分类"}).status_code == 403
    assert not Category.objects.filter(name="新分类").exists()


# Warehouses ----------------------------------------------------------------------------------------


def test_warehouses_are_listed_searched_created_and_edited_by_a_keeper(company, client_for):
    keeper = make_employee(company.root, "logistics", username="wh", name="赵仓管")
    make_warehouse("BJ01", "北京主仓", "北京市大兴区")
    client = client_for(keeper)
    empty = text(client.get(reverse("web:warehouse-list"), {"q": "广州"}))
    assert "没有符合条件的仓库。" in empty
    response = client.post(
        reverse("web:warehouse-create"),
        {"code": "GZ01", "name": "广州仓", "address": "广州市", "keeper": keeper.pk},
    )
    assert response.status_code == 302
    warehouse = Warehouse.objects.get(code="GZ01")
    assert warehouse.keeper == keeper
    page = text(client.get(reverse("web:warehouse-list"), {"q": "广州"}))
    assert re.findall(r'data-testid="warehouse-name">([^<]+)<', page) == ["广州仓"]
    response = client.post(
        reverse("web:warehouse-edit", args=[warehouse.pk]),
        {"code": "GZ01", "name": "广州仓", "address": "广州市黄埔区", "keeper": "", "version": "1"},
    )
    assert response.status_code == 302
    warehouse.refresh_from_db()
    assert (warehouse.address, warehouse.keeper, warehouse.is_active) == ("广州市黄埔区", None, False)


def test_a_warehouse_with_stock_cannot_be_switched_off_from_its_form(company, client_for, catalog):
    keeper = make_employee(company.root, "logistics", username="wh", name="赵仓管")
    warehouse = make_warehouse("BJ01", "北京主仓")
    product = catalog["products"][2]
    ledger.receive(
        [Incoming(product.pk, warehouse.pk, D("1"), D("5000"))], source=DocRef("test", 1, "T1"), actor=keeper
    )
    before = AuditEntry.objects.count()
    response = client_for(keeper).post(
        reverse("web:warehouse-edit", args=[warehouse.pk]),
        {"code": "BJ01", "name": "北京主仓", "version": "1"},
    )
    assert response.status_code == 400
    assert re.search(r'id="id_is_active_group".*?仓库“北京主仓”还有库存，不能停用。', text(response), re.S)
    warehouse.refresh_from_db()
    assert warehouse.is_active and AuditEntry.objects.count() == before


def test_a_purchaser_sees_warehouses_but_may_not_change_them(company, client_for):
    warehouse = make_warehouse("BJ01", "北京主仓")
    client = client_for(company.purchaser)
    page = text(client.get(reverse("web:warehouse-list")))
    assert "北京主仓" in page and "新建仓库" not in page
    assert client.get(reverse("web:warehouse-create")).status_code == 403
    assert (
        client.post(
            reverse("web:warehouse-edit", args=[warehouse.pk]), {"code": "X", "name": "X"}
        ).status_code
        == 403
    )
    warehouse.refresh_from_db()
    assert warehouse.name == "北京主仓"
