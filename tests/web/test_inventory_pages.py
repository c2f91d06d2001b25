"""The stock pages as a salesperson, a logistics employee and the administrator see them: every
page renders, a salesperson looks availability up but never sees cost, and the pages they may not
open answer 403."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory.models import Lot, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from maoyi.org.pinyin import initials
from maoyi.sales.services import returns
from tests.factories import make_employee
from tests.sales import builders as selling

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EXPIRED = TODAY - dt.timedelta(days=10)
SOON = TODAY + dt.timedelta(days=30)
LATER = TODAY + dt.timedelta(days=400)


def text(response) -> str:
    return response.content.decode()


def cells(html: str, testid: str) -> list[list[str]]:
    """The text of each cell of the rows marked with a data-testid."""
    rows = re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def make_product(code: str, name: str, **fields) -> Product:
    return Product.objects.create(code=code, name=name, pinyin=initials(name), unit="支", **fields)


@pytest.fixture
def stock(company):
    """一次性注射器 in 北京主仓: an expired lot (10 at 5.00), a lot expiring soon (30 at 7.00), 8 of
    them reserved and 12 issued; 2 more in 上海仓 from a later lot."""
    product = make_product("P001", "一次性注射器", specification="5ml", min_stock=D("100"))
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
    soon = Lot.objects.get(lot_number="L-SOON")
    ledger.issue(
        [Outgoing(product.pk, beijing.pk, D("12"), lot_id=soon.pk)],
        source=DocRef(type="shipment", id=3, number="FH0003"),
        actor=admin,
    )
    return product, beijing, shanghai, soon


@pytest.fixture
def logistics(company):
    return make_employee(company.root, "logistics", username="cangguan", name="赵仓管")


# Every page renders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["web:availability", "web:balance-list", "web:move-list", "web:lot-list", "web:low-stock"]
)
def test_every_stock_page_renders_for_the_administrator_and_logistics(
    url_name, stock, company, logistics, client_for
):
    for employee in (company.admin, logistics):
        response = client_for(employee).get(reverse(url_name))
        assert response.status_code == 200


def test_every_stock_page_shows_an_empty_state_before_there_is_stock(company, client_for):
    client = client_for(company.admin)
    for url_name in ("web:balance-list", "web:move-list", "web:lot-list", "web:low-stock"):
        html = text(client.get(reverse(url_name)))
        assert 'data-testid="empty"' in html, url_name
    assert "输入商品编码、名称或拼音首字母" in text(client.get(reverse("web:availability")))


def test_the_sidebar_lists_the_stock_pages_each_role_may_open(stock, company, logistics, client_for):
    def stock_pages(employee) -> list[str]:
        html = text(client_for(employee).get(reverse("web:home")))
        module = html.split('<span class="nav-link-title">库存</span>', 1)[1].split("</ul>", 1)[0]
        return re.findall(r'<a class="nav-link py-1" href="[^"]+">([^<]+)</a>', module)

    assert stock_pages(company.rep_a1) == ["库存查询", "库存余额"]
    assert stock_pages(logistics)[:5] == ["库存查询", "库存余额", "库存流水", "批次效期", "低库存"]


# 库存查询 ------------------------------------------------------------------------------------------


def test_a_salesperson_looks_a_product_up_by_pinyin_and_sees_its_availability_per_warehouse(
    stock, company, client_for
):
    product, *_ = stock
    response = client_for(company.rep_a1).get(reverse("web:availability"), {"q": "ycxzsq"})
    html = text(response)

    assert response.status_code == 200
    assert "P001 一次性注射器" in html
    # 北京主仓: 28 on hand (10 expired + 18), 8 reserved: 18 − 8 = 10 available; 上海仓: 2
    assert cells(html, "availability-row") == [
        ["北京主仓", "28", "8", "10", "0", "按批次"],
        ["上海仓", "2", "0", "2", "0", "按批次"],
    ]
    assert cells(html, "availability-total") == [["合计", "30", "8", "12", "0", "支"]]
    assert f"{reverse('web:balance-list')}?product={product.pk}" in html
    assert reverse("web:lot-list") not in html.split('data-testid="availability-result"', 1)[1]  # no lot perm
    assert "¥" not in html


def test_a_search_with_several_matches_lists_them_with_their_totals(stock, company, client_for):
    make_product("P002", "一次性输液器")
    html = text(client_for(company.rep_a1).get(reverse("web:availability"), {"q": "ycx"}))

    assert 'data-testid="availability-matches"' in html
    assert re.findall(r'data-testid="match-link">([^<]+)<', html) == ["P001", "P002"]


def test_a_search_without_a_match_says_so(stock, company, client_for):
    html = text(client_for(company.rep_a1).get(reverse("web:availability"), {"q": "zzz"}))
    assert "没有找到匹配“zzz”的商品" in html


def test_an_unknown_product_answers_404(company, client_for):
    assert client_for(company.rep_a1).get(reverse("web:availability"), {"product": 999}).status_code == 404


# 库存余额 ------------------------------------------------------------------------------------------


def test_the_administrator_sees_lot_balances_with_average_cost_value_subtotals_and_the_total(
    stock, company, client_for
):
    html = text(client_for(company.admin).get(reverse("web:balance-list"), {"expired": "1"}))

    # 北京主仓: 10 × 5 + 30 × 7 = 260 for 40, 12 issued at 6.50: 182.00 for 28
    assert cells(html, "balance-row") == [
        [
            "P001 一次性注射器 5ml",
            "北京主仓",
            "L-OLD",
            f"{EXPIRED:%Y-%m-%d} 已过期",
            "10",
            "支",
            "¥6.5000",
            "¥65.00",
        ],
        ["P001 一次性注射器 5ml", "北京主仓", "L-SOON", f"{SOON:%Y-%m-%d}", "18", "支", "¥6.5000", "¥117.00"],
        ["P001 一次性注射器 5ml", "上海仓", "L-NEW", f"{LATER:%Y-%m-%d}", "2", "支", "¥6.0000", "¥12.00"],
    ]
    assert cells(html, "balance-subtotal") == [["P001 在 北京主仓 小计（2 个批次）", "28", "", "", "¥182.00"]]
    assert cells(html, "balance-total")[0][-1] == "¥194.00"


def test_expired_lots_are_left_out_of_the_balances_unless_asked_for(stock, company, client_for):
    html = text(client_for(company.admin).get(reverse("web:balance-list")))
    assert [row[2] for row in cells(html, "balance-row")] == ["L-SOON", "L-NEW"]
    assert cells(html, "balance-total")[0][-1] == "¥129.00"  # 117.00 + 12.00


def test_the_balances_filter_by_warehouse_and_search_and_sort_by_quantity(stock, company, client_for):
    product, _beijing, shanghai, _soon = stock
    client = client_for(company.admin)

    def lots(params):
        return [r[2] for r in cells(text(client.get(reverse("web:balance-list"), params)), "balance-row")]

    assert lots({"warehouse": shanghai.pk}) == ["L-NEW"]
    assert lots({"q": "L-SOON"}) == ["L-SOON"]
    assert lots({"q": "ycx", "expired": "1", "o": "-on_hand"}) == ["L-SOON", "L-OLD", "L-NEW"]
    assert lots({"product": product.pk, "expired": "1", "o": "value"}) == ["L-NEW", "L-OLD", "L-SOON"]
    assert lots({"q": "nothing"}) == []


def test_a_salesperson_sees_balances_without_cost_or_value_and_cannot_sort_by_value(
    stock, company, client_for
):
    client = client_for(company.rep_a1)
    html = text(client.get(reverse("web:balance-list"), {"expired": "1"}))

    assert cells(html, "balance-row")[0] == [
        "P001 一次性注射器 5ml",
        "北京主仓",
        "L-OLD",
        f"{EXPIRED:%Y-%m-%d} 已过期",
        "10",
        "支",
    ]
    assert all(len(row) == 6 for row in cells(html, "balance-row"))
    assert "平均单位成本" not in html and "¥" not in html and "金额" not in html
    assert 'data-testid="balance-total"' not in html
    by_value = text(client.get(reverse("web:balance-list"), {"expired": "1", "o": "-value"}))
    assert [r[2] for r in cells(by_value, "balance-row")] == ["L-OLD", "L-SOON", "L-NEW"]  # default order


# 库存流水 ------------------------------------------------------------------------------------------


def test_the_move_history_shows_signed_quantities_cost_and_operator(stock, company, client_for):
    html = text(client_for(company.admin).get(reverse("web:move-list")))
    rows = [row[1:] for row in cells(html, "move-row")]  # without the time
    product = "P001 一次性注射器"

    # newest first; the three receipts of one posting share their time
    assert rows[0] == ["出库", "FH0003", product, "北京主仓", "L-SOON", "-12", "¥6.5000", "-¥78.00", "管理员"]
    assert sorted(rows[1:]) == [
        ["入库", "QCKC0001", product, "上海仓", "L-NEW", "+2", "¥6.0000", "¥12.00", "管理员"],
        ["入库", "QCKC0001", product, "北京主仓", "L-OLD", "+10", "¥5.0000", "¥50.00", "管理员"],
        ["入库", "QCKC0001", product, "北京主仓", "L-SOON", "+30", "¥7.0000", "¥210.00", "管理员"],
    ]


def test_the_move_history_filters_by_kind_source_lot_warehouse_and_dates(stock, company, client_for):
    _product, beijing, _shanghai, soon = stock
    client = client_for(company.admin)

    def sources(params):
        return [
            r[2] + "/" + r[5] for r in cells(text(client.get(reverse("web:move-list"), params)), "move-row")
        ]

    assert sources({"kind": "issue"}) == ["FH0003/L-SOON"]
    assert sorted(sources({"source": "qckc", "warehouse": beijing.pk})) == [
        "QCKC0001/L-OLD",
        "QCKC0001/L-SOON",
    ]
    assert sources({"lot": soon.pk}) == ["FH0003/L-SOON", "QCKC0001/L-SOON"]
    assert sources({"lot_number": "new"}) == ["QCKC0001/L-NEW"]
    assert (
        sources({"q": "ycxzsq", "date_from": TODAY.isoformat(), "date_to": TODAY.isoformat()})[0]
        == "FH0003/L-SOON"
    )
    assert sources({"date_to": (TODAY - dt.timedelta(days=1)).isoformat()}) == []
    assert sources({"date_from": "not-a-date", "kind": "nonsense"}) != []  # ignored, not an error


def test_a_salesperson_is_refused_the_move_history_lots_low_stock_and_the_lot_trace(
    stock, company, client_for
):
    _product, _beijing, _shanghai, soon = stock
    client = client_for(company.rep_a1)
    assert client.get(reverse("web:move-list")).status_code == 403
    assert client.get(reverse("web:lot-list")).status_code == 403
    assert client.get(reverse("web:low-stock")).status_code == 403
    assert client.get(reverse("web:lot-trace", args=[soon.pk])).status_code == 403


# 批次效期 ------------------------------------------------------------------------------------------


def test_the_lot_list_highlights_expired_and_near_expiry_lots(stock, logistics, client_for):
    html = text(client_for(logistics).get(reverse("web:lot-list")))
    rows = cells(html, "lot-row")

    assert [(r[1], r[4], r[5]) for r in rows] == [
        ("L-OLD", "已过期 10 天", "10 支"),
        ("L-SOON", "30 天后到期", "18 支"),
        ("L-NEW", "剩 400 天", "2 支"),
    ]
    assert re.findall(r'<tr data-testid="lot-row" class="([^"]*)"', html) == [
        "table-danger",
        "table-warning",
        "",
    ]


def test_the_lot_list_filters_expiring_within_n_days_or_expired_and_searches(stock, logistics, client_for):
    client = client_for(logistics)

    def lots(params):
        return [r[1] for r in cells(text(client.get(reverse("web:lot-list"), params)), "lot-row")]

    assert lots({"state": "expiring"}) == ["L-SOON"]
    assert lots({"state": "expiring", "days": "29"}) == []
    assert lots({"state": "expiring", "days": "400"}) == ["L-SOON", "L-NEW"]
    assert lots({"state": "expired"}) == ["L-OLD"]
    assert lots({"q": "L-NEW"}) == ["L-NEW"]
    assert lots({"o": "-on_hand"}) == ["L-SOON", "L-OLD", "L-NEW"]
    assert "29 天内没有到期的批次" in text(
        client.get(reverse("web:lot-list"), {"state": "expiring", "days": "29"})
    )


# 低库存 --------------------------------------------------------------------------------------------


def test_low_stock_lists_the_products_below_their_minimum(stock, logistics, client_for):
    make_product("P002", "医用口罩", min_stock=D("0"))
    html = text(client_for(logistics).get(reverse("web:low-stock")))
    assert cells(html, "low-stock-row") == [["P001", "一次性注射器", "5ml", "支", "30", "100", "70", "0"]]


# 批次追溯 ------------------------------------------------------------------------------------------


def test_the_lot_trace_shows_every_move_oldest_first_with_running_quantities_and_no_customers_yet(
    stock, company, logistics, client_for
):
    product, beijing, shanghai, soon = stock
    ledger.transfer(
        [Outgoing(product.pk, beijing.pk, D("5"), lot_id=soon.pk)],
        to_warehouse_id=shanghai.pk,
        source=DocRef(type="transfer", id=4, number="DB0004"),
        actor=company.admin,
    )
    html = text(client_for(logistics).get(reverse("web:lot-trace", args=[soon.pk])))

    rows = [row[1:] for row in cells(html, "trace-row")]
    assert rows == [
        ["入库", "QCKC0001", "北京主仓", "+30", "30", "30", "管理员"],
        ["出库", "FH0003", "北京主仓", "-12", "18", "18", "管理员"],
        ["调拨出库", "DB0004", "北京主仓", "-5", "13", "13", "管理员"],
        ["调拨入库", "DB0004", "上海仓", "+5", "5", "18", "管理员"],
    ]
    assert "30 天后到期" in html
    assert "收货客户" in html
    assert 'data-testid="recipients-empty"' in html
    assert "目前还没有销售发货记录" in html


def test_an_unknown_lot_answers_404(logistics, client_for):
    assert client_for(logistics).get(reverse("web:lot-trace", args=[999])).status_code == 404


# 批次追溯: the customers who received a lot ------------------------------------------------------------


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def shipped_lot(company):
    """Lot L1 of ZS001 (100 at 5.00) shipped to two customers of two teams: 30 to 北京协和医院
    (rep_a1's; 5 of them came back) in two shipments, 12 to 上海瑞金医院 (rep_b1's)."""
    shop = selling.build_shop(company)
    selling.put_in(shop, "100", "5.00", "L1")
    first = selling.approved_order(shop, selling.Line(shop.product, "30", "11.30"), order_date=days_ago(9))
    one = selling.ship(shop, first, selling.item(selling.line_of(first), "20"), shipped_on=days_ago(8))
    two = selling.ship(shop, first, selling.item(selling.line_of(first), "10"), tracking_number="SF2")
    back = selling.approved_return(shop, first, selling.back(one.lines.get(), "5"))
    returns.receive_return(back, actor=shop.keeper)
    other = selling.approved_order(
        shop, selling.Line(shop.product, "12", "11.30"), owner=company.rep_b1, customer=shop.other_customer
    )
    three = selling.ship(shop, other, selling.item(selling.line_of(other), "12"))
    return shop, selling.lot("L1"), (one, two, three)


def test_the_lot_trace_lists_every_customer_who_received_the_lot(company, shipped_lot, client_for):
    shop, lot, (one, two, three) = shipped_lot

    html = text(client_for(shop.keeper).get(reverse("web:lot-trace", args=[lot.pk])))

    earlier, today = days_ago(8).isoformat(), TODAY.isoformat()
    assert cells(html, "recipient-row") == [
        ["北京协和医院", "30", "5", "25", f"{one.number} {two.number}", f"{earlier} ~ {today}"],
        ["上海瑞金医院", "12", "0", "12", three.number, today],
    ]
    assert f"{reverse('web:shipment-list')}?q={one.number}" in html
    assert 'data-testid="recipients-empty"' not in html


def test_the_lot_trace_shows_a_manager_only_the_customers_of_orders_they_may_see(
    company, shipped_lot, client_for
):
    shop, lot, _shipments = shipped_lot

    html = text(client_for(company.manager_a).get(reverse("web:lot-trace", args=[lot.pk])))

    assert [row[0] for row in cells(html, "recipient-row")] == ["北京协和医院"]
    assert reverse("web:customer-detail", args=[shop.customer.pk]) in html


def test_the_lot_trace_shows_no_customers_to_those_who_may_not_follow_shipments(
    company, shipped_lot, client_for
):
    _shop, lot, _shipments = shipped_lot
    buyer = make_employee(company.purchasing, "purchaser", username="caigou", name="采购员")

    html = text(client_for(buyer).get(reverse("web:lot-trace", args=[lot.pk])))

    assert 'data-testid="trace-row"' in html
    assert 'data-testid="lot-recipients"' not in html and "北京协和医院" not in html


def test_the_lot_trace_s_customers_render_in_english(company, shipped_lot, client_for):
    shop, lot, _shipments = shipped_lot
    client = client_for(shop.keeper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = text(client.get(reverse("web:lot-trace", args=[lot.pk])))

    assert "Receiving customers" in html and "收货客户" not in html
    assert len(cells(html, "recipient-row")) == 2
