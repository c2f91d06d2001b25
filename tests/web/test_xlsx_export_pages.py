"""导出 Excel on the main list pages: `?format=xlsx` answers exactly the rows on screen as filtered,
scoped and ordered (every page), with Chinese headers, money as numbers with two decimals, and the
button on each list keeping the current query."""

from __future__ import annotations

import io
import re
from decimal import Decimal as D
from typing import Any
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maoyi.core.tabular import XLSX_MIME
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.purchasing import order_builders as purchasing
from tests.sales.builders import (
    Line,
    approved_order,
    back,
    build_shop,
    draft_return,
    item,
    line_of,
    put_in,
    ship,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()


def sheet_of(response, stem: str) -> Any:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_MIME
    disposition = unquote(response["Content-Disposition"])
    assert (
        disposition.startswith("attachment;") and f"{stem}-" in disposition and disposition.endswith(".xlsx")
    )
    return load_workbook(io.BytesIO(response.content)).active


def table(response, stem: str) -> list[dict[str, Any]]:
    rows = list(sheet_of(response, stem).iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def column(sheet, header: str) -> list[Any]:
    headers = [c.value for c in sheet[1]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


def xlsx(client, name: str, **params: Any):
    return client.get(reverse(name), {**params, "format": "xlsx"})


@pytest.fixture
def sales(company):
    """Two approved orders (rep_a1's 协和 and rep_b1's 瑞金), one shipment each, a return on the first."""
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    mine = approved_order(shop, Line(shop.product, "20", "22.60"))
    theirs = approved_order(
        shop, Line(shop.product, "10", "11.30"), customer=shop.other_customer, owner=company.rep_b1
    )
    first = ship(shop, mine, item(line_of(mine), "5"), tracking_number="SF0001")
    second = ship(shop, theirs, item(line_of(theirs), "5"), tracking_number="=YT0002", carrier="圆通")
    returned = draft_return(shop, mine, back(first.lines.get(), "1"))
    return shop, mine, theirs, first, second, returned


def test_the_sales_order_list_exports_what_is_filtered_with_money_as_numbers(
    company, client_for, sales
) -> None:
    shop, mine, theirs, *_ = sales
    client = client_for(company.admin)

    everything = sheet_of(xlsx(client, "web:sales-order-list", o="number"), "销售订单")
    only_mine = table(xlsx(client, "web:sales-order-list", customer=shop.customer.pk), "销售订单")

    assert column(everything, "单据编号") == sorted([mine.number, theirs.number])
    amounts = [c for c in everything["E"][1:]]
    assert [c.value for c in amounts] == [452, 113] if mine.number < theirs.number else [113, 452]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in amounts)
    assert [row["单据编号"] for row in only_mine] == [mine.number]
    assert only_mine[0]["客户"] == "北京协和医院" and only_mine[0]["发货进度"] == "5/20"
    assert only_mine[0]["订单日期"].date() == mine.order_date


def test_a_salesperson_exports_only_their_orders(company, client_for, sales) -> None:
    _shop, mine, *_ = sales
    rows = table(xlsx(client_for(company.rep_a1), "web:sales-order-list"), "销售订单")
    assert [row["单据编号"] for row in rows] == [mine.number]


def test_the_shipment_list_exports_filtered_and_neutralised(company, client_for, sales) -> None:
    shop, _mine, _theirs, first, second, _ret = sales
    client = client_for(shop.keeper)

    everything = table(xlsx(client, "web:shipment-list"), "发货单")
    filtered = table(xlsx(client, "web:shipment-list", customer=shop.customer.pk), "发货单")

    assert {row["发货单号"] for row in everything} == {first.number, second.number}
    assert {row["运单号"] for row in everything} == {"SF0001", "'=YT0002"}
    assert [row["发货单号"] for row in filtered] == [first.number]
    assert filtered[0]["状态"] == "运输中"


def test_the_sales_return_list_exports(company, client_for, sales) -> None:
    *_rest, returned = sales
    client = client_for(company.admin)
    rows = table(xlsx(client, "web:sales-return-list"), "销售退货")
    assert [(row["退货单号"], row["退款金额"], row["退货原因"]) for row in rows] == [
        (returned.number, float(returned.amount), "包装破损")
    ]
    assert table(xlsx(client, "web:sales-return-list", status="approved"), "销售退货") == []


def test_receivables_export_is_filtered_like_the_list(company, client_for, sales) -> None:
    _shop, mine, theirs, *_ = sales
    client = client_for(company.finance_clerk)

    sheet = sheet_of(xlsx(client, "web:receivable-list", o="number"), "应收款")
    searched = table(xlsx(client, "web:receivable-list", q="协和"), "应收款")

    assert sorted(column(sheet, "来源单据")) == sorted([mine.number, theirs.number])
    outstanding = [c for c in sheet["G"][1:]]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in outstanding)
    assert [row["往来单位"] for row in searched] == ["北京协和医院"]


def test_the_customer_export_is_scoped_to_the_salesperson(company, client_for) -> None:
    make_customer(company.rep_a1, "北京协和医院", credit_limit=D("50000"))
    make_customer(company.rep_a1, "上海代理", kind="agent")
    make_customer(company.rep_b1, "钱丽的客户")
    client = client_for(company.rep_a1)

    sheet = sheet_of(xlsx(client, "web:customer-list", o="name"), "客户")
    agents = table(xlsx(client, "web:customer-list", kind="agent"), "客户")

    assert sorted(column(sheet, "客户名称")) == ["上海代理", "北京协和医院"]
    limits = {row[0].value: row[5] for row in sheet.iter_rows(min_row=2)}
    assert limits["北京协和医院"].value == 50000 and limits["北京协和医院"].number_format == "#,##0.00"
    assert [c.value for c in sheet[1]] == [
        "客户名称",
        "客户类型",
        "客户等级",
        "电话",
        "负责人",
        "信用额度",
        "最近跟进",
    ]
    assert [row["客户名称"] for row in agents] == ["上海代理"]


def test_every_page_of_the_list_is_exported_in_its_order(company, client_for) -> None:
    for n in range(25):
        make_customer(company.rep_a1, f"客户{n:02d}")
    client = client_for(company.rep_a1)
    url = reverse("web:customer-list")
    on_screen = [
        name
        for page in (1, 2)
        for name in re.findall(
            r'data-testid="customer-link">([^<]+)<',
            client.get(url, {"o": "-name", "page": page}).content.decode(),
        )
    ]
    rows = table(xlsx(client, "web:customer-list", o="-name", page=2, per_page=20), "客户")
    assert len(on_screen) == 25
    assert [row["客户名称"] for row in rows] == on_screen


def test_the_list_pages_offer_the_button_with_the_current_query(company, client_for) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    page = client_for(company.rep_a1).get(reverse("web:customer-list"), {"kind": "agent", "page": "1"})
    html = page.content.decode()
    assert 'data-testid="export-xlsx"' in html
    assert 'href="?kind=agent&amp;format=xlsx"' in html


def test_too_many_rows_go_back_to_the_list_with_a_message(company, client_for, monkeypatch) -> None:
    from maoyi.web import exports

    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 1)
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_a1, "上海代理")
    client = client_for(company.rep_a1)
    response = xlsx(client, "web:customer-list", kind="")
    assert response.status_code == 302 and response["Location"] == reverse("web:customer-list") + "?kind="
    followed = client.get(response["Location"]).content.decode()
    assert "导出最多 1 行" in followed


def test_the_purchase_order_list_and_payables_export(company, client_for) -> None:
    shop = purchasing.build_shop(company)
    cny = purchasing.approved(shop)
    usd = purchasing.draft(shop)
    client = client_for(company.admin)

    orders = sheet_of(xlsx(client, "web:purchase-order-list", o="number"), "采购订单")
    filtered = table(xlsx(client, "web:purchase-order-list", status="approved"), "采购订单")
    payables = table(xlsx(client, "web:payable-list", status="all"), "应付款")

    assert sorted(column(orders, "单据编号")) == sorted([cny.number, usd.number])
    amount = orders.cell(row=2, column=5)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert [row["单据编号"] for row in filtered] == [cny.number]
    assert filtered[0]["金额"] == 1130 and filtered[0]["到货进度"] == "0/100"
    assert all(row["往来单位"] == "江西华康医疗器械有限公司" for row in payables)


def test_the_stock_balance_list_exports_filtered(company, client_for) -> None:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "7", "2.50", product=shop.plain)
    client = client_for(company.admin)

    everything = table(xlsx(client, "web:balance-list"), "库存余额")
    filtered = table(xlsx(client, "web:balance-list", q="棉签"), "库存余额")

    assert sorted(row["商品编码"] for row in everything) == ["PJ001", "ZS001"]
    assert [(row["商品"], row["现存量"], row["金额"]) for row in filtered] == [("医用棉签", 7, 17.5)]


def test_the_lists_render_their_button(company, client_for, sales) -> None:
    client = client_for(company.admin)
    for name in (
        "web:sales-order-list",
        "web:shipment-list",
        "web:sales-return-list",
        "web:customer-list",
        "web:purchase-order-list",
        "web:receivable-list",
        "web:payable-list",
        "web:balance-list",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'data-testid="export-xlsx"' in response.content.decode(), name
