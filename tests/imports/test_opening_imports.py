"""导入期初库存 and 导入期初应收/应付: every bad row and column listed and nothing kept; a clean
file becomes draft opening stocks (one per warehouse) or opening receivables/payables."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.crm.services import create_customer
from maoyi.finance.models import Payable, Receivable
from maoyi.inventory.models import OpeningStock, OpeningStockLine
from maoyi.purchasing.services.suppliers import create_supplier
from tests.catalog.builders import make_product, make_warehouse
from tests.imports.conftest import xlsx

pytestmark = pytest.mark.django_db

STOCK_HEADERS = ["仓库编码", "商品编码", "批号", "生产日期", "有效期至", "数量", "单位成本"]
BALANCE_HEADERS = ["往来单位类型", "往来单位", "金额", "业务日期", "到期日", "币种", "汇率", "原单号"]


def upload(client: Client, slug: str, file: Any) -> Any:
    response = client.post(reverse("web:import-page", args=[slug]), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def confirm(client: Client, page: Any) -> Any:
    job = page.request["PATH_INFO"].rstrip("/").split("/")[-1]
    return client.get(client.post(reverse("web:import-confirm", args=[job]))["Location"])


def problems(response: Any) -> list[str]:
    html = response.content.decode()
    return [
        re.sub(r"<[^>]+>", "", i).strip()
        for i in re.findall(r'data-testid="import-problem"[^>]*>(.*?)</li>', html)
    ]


def test_opening_stock_imports_as_one_draft_per_warehouse(company, client_for, inline) -> None:
    make_warehouse("WH01", "北京仓")
    make_warehouse("WH02", "上海仓")
    make_product("MD-001", "注射器", lot_tracked=True)
    make_product("MD-002", "纱布", lot_tracked=False)
    client = client_for(company.admin)
    bad = upload(
        client,
        "opening-stock",
        xlsx(
            STOCK_HEADERS,
            ["WH01", "MD-001", "L1", "2024-01-01", "2027-01-01", "100", "0.35"],
            ["WH01", "md-001", "L1", "", "", "5", "0.35"],
            ["WH09", "MD-404", "", "2024/13/01", "", "0", "-1"],
            ["WH02", "MD-001", "", "", "", "10", "1"],
            ["WH02", "MD-001", "L2", "2024-05-01", "2024-01-01", "10", "1"],
        ),
    )
    assert problems(bad) == [
        "第 3 行 ·「批号」· 与第 2 行是同一仓库、商品和批号。",
        "第 4 行 ·「仓库编码」· 没有找到仓库“WH09”。",
        "第 4 行 ·「商品编码」· 没有找到商品“MD-404”。",
        "第 4 行 ·「生产日期」· 生产日期应为日期，例如 2024-01-31。",
        "第 4 行 ·「数量」· 数量必须大于零。",
        "第 4 行 ·「单位成本」· 单位成本不能为负数。",
        "第 5 行 ·「批号」· 商品 MD-001 实行批次管理，请填写批号。",
        "第 6 行 ·「有效期至」· 有效期不能早于生产日期。",
    ]
    assert OpeningStock.objects.count() == 0
    page = upload(
        client,
        "opening-stock",
        xlsx(
            STOCK_HEADERS,
            ["WH01", "MD-001", "L1", "2024-01-01", "2027-01-01", "100", "0.35"],
            ["WH01", "MD-002", "", "", "", "20", "2"],
            ["WH02", "md-001", "L2", "", "2027年6月30日", "10", "1"],
        ),
    )
    done = confirm(client, page)
    assert "已导入 3 行期初库存。" in done.content.decode()
    docs = {d.warehouse.code: d for d in OpeningStock.objects.select_related("warehouse")}
    assert set(docs) == {"WH01", "WH02"} and all(d.status == Status.DRAFT for d in docs.values())
    lines = OpeningStockLine.objects.filter(document=docs["WH02"]).get()
    assert (lines.lot_number, str(lines.expiry_date), lines.quantity) == ("L2", "2027-06-30", Decimal("10"))


def test_opening_receivables_and_payables_import_for_parties_the_user_may_see(
    company, client_for, inline
) -> None:
    create_customer(actor=None, name="北京协和医院", kind="end_customer", level="b", owner=company.rep_a1)
    create_supplier(actor=None, name="山东威高集团", code="GYS0100")
    client = client_for(company.finance_clerk)
    bad = upload(
        client,
        "receivables",
        xlsx(
            BALANCE_HEADERS,
            ["", "北京协和", "100", "2024-01-31", "", "", "", ""],
            ["客户", "北京协和医院", "0", "31/01/2024", "", "", "", ""],
            ["", "北京协和医院", "10.001", "2024-01-31", "2023-12-31", "USD", "", ""],
            ["单位", "北京协和医院", "10", "2024-01-31", "", "", "", ""],
        ),
    )
    assert problems(bad) == [
        "第 2 行 ·「往来单位」· 没有找到往来单位“北京协和”（填写编码或完整名称）。",
        "第 3 行 ·「金额」· 金额必须大于零。",
        "第 3 行 ·「业务日期」· 业务日期应为日期，例如 2024-01-31。",
        "第 4 行 ·「金额」· 金额最多 2 位小数。",
        "第 5 行 ·「往来单位类型」· 往来单位类型应为：客户、供应商。",
    ]
    page = upload(
        client,
        "receivables",
        xlsx(BALANCE_HEADERS, ["", "北京协和医院", "1,200.50", "2024-01-31", "2024-03-31", "", "", "OLD-1"]),
    )
    confirm(client, page)
    receivable = Receivable.objects.get()
    assert (receivable.amount, receivable.source_number, receivable.is_opening) == (
        Decimal("1200.50"),
        "OLD-1",
        True,
    )
    assert receivable.owner == company.rep_a1
    page = upload(
        client, "payables", xlsx(BALANCE_HEADERS, ["", "GYS0100", "500", "2024-01-31", "", "", "", ""])
    )
    assert problems(page) == ["第 2 行 ·「到期日」· 请填写到期日。"]  # the 录入期初 rule
    page = upload(
        client,
        "payables",
        xlsx(BALANCE_HEADERS, ["供应商", "GYS0100", "500", "2024-01-31", "2024-02-29", "", "", ""]),
    )
    confirm(client, page)
    assert Payable.objects.get().amount == Decimal("500.00")


def test_a_foreign_currency_row_without_a_rate_is_refused_by_the_service(company, client_for, inline) -> None:
    create_supplier(actor=None, name="山东威高集团", code="GYS0100")
    page = upload(
        client_for(company.finance_clerk),
        "payables",
        xlsx(BALANCE_HEADERS, ["", "山东威高集团", "500", "2024-01-31", "", "美元", "", ""]),
    )
    assert problems(page) == ["第 2 行 ·「汇率」· 外币须填写大于零的汇率。"]
    assert Payable.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "slug"), [("rep_a1", "receivables"), ("rep_a1", "payables"), ("rep_a1", "opening-stock")]
)
def test_who_may_not_import_openings_gets_403(company, client_for, who, slug) -> None:
    client = client_for(getattr(company, who))
    assert client.get(reverse("web:import-page", args=[slug])).status_code == 403
    assert client.get(reverse("web:import-template", args=[slug])).status_code == 403
