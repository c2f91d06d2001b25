"""Report pages (报表): 销售统计, 毛利分析, 库存报表 and 收发存汇总. Each shows the figures of the fixed data
sets of the selector tests (tests/sales/test_report_selectors.py and
tests/inventory/test_report_selectors.py) for the user's scope, filters through GET, has a totals
row and an empty state, and exports exactly its table (totals row last) to Excel. A role without the
permission gets 403; value columns need the cost permission."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re
from decimal import Decimal as D
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maoyi.core.tabular import XLSX_MIME
from tests.factories import make_employee
from tests.inventory.test_report_selectors import build_stock
from tests.sales.test_report_selectors import build_book

pytestmark = pytest.mark.django_db

SPRING = {"from": "2024-03-01", "to": "2024-04-30"}
MARCH = {"from": "2024-03-01", "to": "2024-03-31"}


def page(client, name: str, **params: Any) -> str:
    response = client.get(reverse(f"web:{name}"), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def texts(html: str, testid: str) -> list[str]:
    """The text of every element with this data-testid, tags stripped."""
    found = re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</t[dh]>', html, flags=re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", f)).strip() for f in found]


def export(client, name: str, **params: Any) -> list[tuple[Any, ...]]:
    response = client.get(reverse(f"web:{name}"), {**params, "format": "xlsx"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_MIME
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def money(value: Any) -> str:
    amount = D(str(value)).quantize(D("0.01"))
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


# 销售统计 ----------------------------------------------------------------------------------------------


@pytest.fixture
def book(company):
    return build_book(company)


def test_the_sales_report_shows_each_salesperson_with_the_total(book, company, client_for) -> None:
    html = page(client_for(company.admin), "report-sales", **MARCH)

    assert texts(html, "row-label") == ["张伟", "陈静"]
    assert texts(html, "row-orders") == ["2", "1"]
    assert texts(html, "row-quantity") == ["34", "5"]
    assert texts(html, "row-amount") == ["¥361.60", "¥56.50"]
    assert texts(html, "row-amount-ex-tax") == ["¥320.00", "¥50.00"]
    assert texts(html, "row-tax") == ["¥41.60", "¥6.50"]
    assert [
        texts(html, f"total-{k}")[0] for k in ("orders", "quantity", "amount", "amount-ex-tax", "tax")
    ] == [
        "3",
        "39",
        "¥418.10",
        "¥370.00",
        "¥48.10",
    ]
    assert 'data-testid="export-xlsx"' in html


def test_the_sales_export_is_the_table_with_its_total(book, company, client_for) -> None:
    client = client_for(company.admin)
    params = {**SPRING, "by": "product"}
    html = page(client, "report-sales", **params)
    rows = export(client, "report-sales", **params)

    assert rows[0] == ("商品", "订单数", "数量", "金额（含税）", "不含税金额", "税额")
    assert [r[0] for r in rows[1:]] == [*texts(html, "row-label"), "合计"]
    assert [money(r[3]) for r in rows[1:]] == [*texts(html, "row-amount"), texts(html, "total-amount")[0]]
    assert rows[1:] == [
        ("ZS001 一次性使用无菌注射器", 4, 22, 372.9, 330, 42.9),
        ("PJ001 医用棉签", 2, 27, 183.07, 162.01, 21.06),
        ("合计", 4, 49, 555.97, 492.01, 63.96),
    ]


def test_a_salesperson_reads_and_exports_only_their_own_sales(book, company, client_for) -> None:
    mine = client_for(company.rep_a1)
    params = {**SPRING, "by": "customer"}
    assert texts(page(mine, "report-sales", **params), "row-label") == ["北京协和医院"]
    assert export(mine, "report-sales", **params)[1:] == [
        ("北京协和医院", 2, 34, 361.6, 320, 41.6),
        ("合计", 2, 34, 361.6, 320, 41.6),
    ]
    theirs = client_for(company.rep_b1)
    rows = export(theirs, "report-sales", **params, owner=str(company.rep_a1.pk))
    assert rows[1:] == []
    html = page(theirs, "report-sales", **params)
    assert texts(html, "row-label") == ["上海瑞金医院"]
    assert "北京协和医院" not in html and "北京同仁医院" not in html


def test_the_sales_filters_come_from_the_query(book, company, client_for) -> None:
    client = client_for(company.manager_a)
    by_warehouse = page(client, "report-sales", **SPRING, warehouse=str(book.shop.quality.pk))
    assert texts(by_warehouse, "row-amount") == ["¥45.20"]
    by_product = page(client, "report-sales", **SPRING, product="棉签", by="month")
    assert (texts(by_product, "row-label"), texts(by_product, "row-amount")) == (["2024-03"], ["¥113.00"])
    by_department = page(
        client_for(company.admin), "report-sales", **SPRING, department=str(company.team_b.pk)
    )
    assert texts(by_department, "row-label") == ["钱丽"]


def test_the_sales_report_empty_states(company, client_for) -> None:
    client = client_for(company.rep_a1)
    assert "本月还没有已审核的销售订单。" in page(client, "report-sales")
    html = page(client, "report-sales", **MARCH)
    assert texts(html, "empty") == ["没有符合条件的销售。"]
    assert 'data-testid="report-total"' not in html


# 毛利分析 ----------------------------------------------------------------------------------------------


def test_the_profit_report_for_a_manager_covers_their_team(book, company, client_for) -> None:
    client = client_for(company.manager_a)
    html = page(client, "report-profit", **SPRING)

    assert texts(html, "row-label") == ["张伟", "陈静"]
    assert texts(html, "row-revenue") == ["¥208.00", "¥50.00"]
    assert texts(html, "row-cost") == ["¥98.00", "¥40.00"]
    assert texts(html, "row-profit") == ["¥110.00", "¥10.00"]
    assert texts(html, "row-margin") == ["52.88%", "20.00%"]
    assert texts(html, "total-profit") == ["¥120.00"]
    assert texts(html, "total-margin") == ["46.51%"]  # 120.00 / 258.00
    rows = export(client, "report-profit", **SPRING)
    assert rows == [
        ("业务员", "收入（不含税）", "成本", "毛利", "毛利率"),
        ("张伟", 208, 98, 110, 0.5288),
        ("陈静", 50, 40, 10, 0.2),
        ("合计", 258, 138, 120, 0.4651),
    ]


def test_the_profit_report_by_order_links_each_order(book, company, client_for) -> None:
    html = page(client_for(company.admin), "report-profit", **SPRING, by="order")
    assert texts(html, "row-label") == [book.o1.number, book.o2.number, book.o3.number]
    assert reverse("web:sales-order-detail", args=[book.o1.pk]) + "?tab=profit" in html
    assert texts(html, "total-profit") == ["¥164.51"]


def test_the_profit_report_needs_the_cost_permission(book, company, client_for) -> None:
    assert client_for(company.rep_a1).get(reverse("web:report-profit")).status_code == 403
    assert client_for(company.purchaser).get(reverse("web:report-profit")).status_code == 403
    assert client_for(company.purchaser).get(reverse("web:report-sales")).status_code == 403
    assert (
        client_for(company.purchaser).get(reverse("web:report-sales"), {"format": "xlsx"}).status_code == 403
    )


# 库存报表 and 收发存汇总 -----------------------------------------------------------------------------


@pytest.fixture
def stock(company):
    return build_stock(company)


def test_the_stock_report_with_values_and_its_export(stock, company, client_for) -> None:
    client = client_for(stock.shop.keeper)
    html = page(client, "report-stock")

    assert texts(html, "row-warehouse") == ["北京主仓", "北京主仓", "不合格品仓"]
    assert texts(html, "row-available") == ["250", "90", "30"]
    assert texts(html, "row-value") == ["¥655.00", "¥1,282.29", "¥270.00"]
    assert texts(html, "total-value") == ["¥2,207.29"]
    assert export(client, "report-stock") == [
        ("商品编码", "商品名称", "单位", "仓库", "现存量", "预留", "可用", "金额"),
        ("PJ001", "医用棉签", "包", "北京主仓", 250, 0, 250, 655),
        ("ZS001", "一次性使用无菌注射器", "支", "北京主仓", 136, 6, 90, 1282.29),
        ("ZS001", "一次性使用无菌注射器", "支", "不合格品仓", 30, 0, 30, 270),
        ("合计", None, None, None, 416, 6, 370, 2207.29),
    ]


def test_a_salesperson_sees_stock_without_its_value(stock, company, client_for) -> None:
    client = client_for(company.rep_a1)
    html = page(client, "report-stock", warehouse=str(stock.shop.quality.pk))
    assert texts(html, "row-on-hand") == ["30"]
    assert 'data-testid="value-column"' not in html and "¥" not in html.split('data-testid="report-table"')[1]
    rows = export(client, "report-stock", warehouse=str(stock.shop.quality.pk))
    assert rows[0] == ("商品编码", "商品名称", "单位", "仓库", "现存量", "预留", "可用")
    html = page(client, "report-stock-movement", **MARCH)
    assert 'data-testid="value-column"' not in html and texts(html, "closing-quantity") == [
        "200",
        "166",
        "366",
    ]


def test_the_stock_movement_summary_and_its_export(stock, company, client_for) -> None:
    client = client_for(stock.shop.keeper)
    params = {**MARCH, "category": str(stock.supplies.pk)}
    html = page(client, "report-stock-movement", **params)

    assert texts(html, "row-label") == ["ZS001 一次性使用无菌注射器"]
    assert texts(html, "opening-value") == ["¥800.00", "¥800.00"]  # the row, then the total
    assert texts(html, "in-quantity") == ["70", "70"]
    assert texts(html, "out-value") == ["¥37.71", "¥37.71"]
    assert texts(html, "closing-value") == ["¥1,552.29", "¥1,552.29"]
    rows = export(client, "report-stock-movement", **params)
    assert rows == [
        (
            "商品编码",
            "商品名称",
            "单位",
            "期初数量",
            "期初金额",
            "收入数量",
            "收入金额",
            "发出数量",
            "发出金额",
            "期末数量",
            "期末金额",
        ),
        ("ZS001", "一次性使用无菌注射器", "支", 100, 800, 70, 790, 4, 37.71, 166, 1552.29),
        ("合计", None, None, 100, 800, 70, 790, 4, 37.71, 166, 1552.29),
    ]


def test_the_stock_reports_empty_states_and_permission(company, client_for) -> None:
    client = client_for(company.admin)
    assert texts(page(client, "report-stock"), "empty") == ["还没有库存。"]
    assert texts(page(client, "report-stock", q="x"), "empty") == ["没有符合条件的库存。"]
    assert texts(page(client, "report-stock-movement"), "empty") == ["本月还没有库存收发。"]
    assert texts(page(client, "report-stock-movement", **MARCH), "empty") == ["没有符合条件的收发记录。"]
    nobody = make_employee(company.root, username="nobody", name="无角色")
    for name in ("report-stock", "report-stock-movement", "report-sales", "report-profit"):
        assert client_for(nobody).get(reverse(f"web:{name}")).status_code == 403


def test_a_report_renders_in_english(book, company, client_for) -> None:
    client = client_for(company.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, "report-sales", **MARCH)
    assert '<html lang="en">' in html
    assert texts(html, "row-amount") == ["¥361.60", "¥56.50"]
    assert dt.date(2024, 3, 1).isoformat() in html
