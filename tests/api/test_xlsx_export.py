"""`?format=xlsx` on list endpoints (API.md "Exports"): every row of the filtered, scoped list (not
one page) in a sheet with Chinese headers, formulas neutralised; refusals stay JSON; details and
actions do not answer with a sheet."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from maoyi.core.tabular import XLSX_MIME
from maoyi.crm.models import Customer
from tests.api.conftest import ClientFor, token_client
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.sales.order_builders import Desk, build_desk, draft, submitted

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"
ORDERS = "/api/v1/sales-orders/"


@pytest.fixture(autouse=True)
def customer_permissions(company: Company) -> None:
    grant_customer_permissions()


def sheet_of(response: Any) -> Any:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX_MIME
    return load_workbook(io.BytesIO(response.content)).active


def table(response: Any) -> list[dict[str, Any]]:
    """The sheet's rows keyed by header."""
    rows = list(sheet_of(response).iter_rows(values_only=True))
    headers = rows[0]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def test_a_salesperson_exports_exactly_their_customers_with_chinese_headers(
    company: Company, api_client_for: ClientFor
) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_a1, "北京同仁医院")
    make_customer(company.rep_b1, "钱丽的客户")
    make_customer(None, "公海客户")

    response = api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx"})

    rows = table(response)
    assert sorted(row["客户名称"] for row in rows) == ["北京协和医院", "北京同仁医院"]
    headers = list(rows[0])
    assert {"客户名称", "信用额度", "税号"} <= set(headers)
    assert "name" not in headers
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="customers-' in disposition and disposition.endswith('.xlsx"')


def test_the_headers_follow_the_request_language(company: Company, api_client_for: ClientFor) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    response = api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    headers = [cell.value for cell in sheet_of(response)[1]]
    assert {"Customer name", "Credit limit"} <= set(headers)
    assert "信用额度" not in headers


def test_money_is_a_number_with_two_decimals(company: Company, api_client_for: ClientFor) -> None:
    from decimal import Decimal

    make_customer(company.rep_a1, "北京协和医院", credit_limit=Decimal("1234.5"))
    sheet = sheet_of(api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx"}))
    headers = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("信用额度") + 1)
    assert cell.value == 1234.5 and cell.data_type == "n" and cell.number_format == "#,##0.00"


def test_every_row_is_exported_not_just_one_page(company: Company, api_client_for: ClientFor) -> None:
    for n in range(25):
        make_customer(company.rep_a1, f"客户{n:02d}医院")
    client = api_client_for(company.rep_a1)
    assert client.get(CUSTOMERS).json()["count"] == 25
    assert len(client.get(CUSTOMERS).json()["results"]) == 20

    rows = table(client.get(CUSTOMERS, {"format": "xlsx", "page_size": 5, "page": 2, "ordering": "name"}))

    assert [row["客户名称"] for row in rows] == [f"客户{n:02d}医院" for n in range(25)]


def test_search_and_filters_apply_to_the_export(company: Company, api_client_for: ClientFor) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_a1, "上海代理", kind="agent")
    rows = table(api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx", "kind": "agent"}))
    assert [row["客户名称"] for row in rows] == ["上海代理"]


def test_sales_orders_export_keeps_the_status_filter(company: Company) -> None:
    desk: Desk = build_desk(company)
    kept = submitted(desk)
    draft(desk)
    client = token_client(company.rep_a1)

    rows = table(client.get(ORDERS, {"format": "xlsx", "status": "submitted"}))

    assert [row[h] for row in rows for h in row if row[h] == kept.number] == [kept.number]
    assert len(rows) == 1
    assert not any(isinstance(v, str) and v.startswith("[{") for v in rows[0].values())


def test_a_value_that_could_run_as_a_formula_is_neutralised(
    company: Company, api_client_for: ClientFor
) -> None:
    customer = make_customer(company.rep_a1, '=HYPERLINK("http://evil","点我")')
    Customer.objects.filter(pk=customer.pk).update(note="@SUM(1+1)*cmd|' /C calc'!A0")

    sheet = sheet_of(api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx"}))

    headers = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=2, column=headers.index("客户名称") + 1)
    note = sheet.cell(row=2, column=headers.index("备注") + 1)
    assert name.value == '\'=HYPERLINK("http://evil","点我")' and name.data_type == "s"
    assert note.value == "'@SUM(1+1)*cmd|' /C calc'!A0" and note.data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_without_a_token_the_answer_stays_a_json_401() -> None:
    response = APIClient().get(CUSTOMERS, {"format": "xlsx"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"


def test_a_role_that_may_not_list_gets_a_json_403(company: Company, api_client_for: ClientFor) -> None:
    response = api_client_for(company.purchaser).get(CUSTOMERS, {"format": "xlsx"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_too_many_rows_are_refused_with_a_request_to_narrow_the_filter(
    company: Company, api_client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maoyi.api import pagination

    monkeypatch.setattr(pagination, "MAX_EXPORT_ROWS", 2)
    for n in range(3):
        make_customer(company.rep_a1, f"客户{n}医院")

    response = api_client_for(company.rep_a1).get(CUSTOMERS, {"format": "xlsx"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"format": ["导出最多 2 行，当前筛选结果超过此数，请缩小筛选范围后再导出。"]}


def test_a_detail_or_an_action_does_not_answer_with_a_sheet(
    company: Company, api_client_for: ClientFor
) -> None:
    customer = make_customer(company.rep_a1, "北京协和医院")
    client = api_client_for(company.rep_a1)

    detail = client.get(f"{CUSTOMERS}{customer.pk}/", {"format": "xlsx"})
    accept = client.get(f"{CUSTOMERS}{customer.pk}/", HTTP_ACCEPT=XLSX_MIME)
    create = client.post(f"{CUSTOMERS}?format=xlsx", {"name": "新客户"}, format="json")

    assert (detail.status_code, detail.json()["code"]) == (404, "not_found")
    assert accept.status_code == 406
    assert create.status_code == 404


def test_a_list_asked_by_accept_header_is_exported_too(company: Company, api_client_for: ClientFor) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    response = api_client_for(company.rep_a1).get(CUSTOMERS, HTTP_ACCEPT=XLSX_MIME)
    assert [row["客户名称"] for row in table(response)] == ["北京协和医院"]


LISTS = [
    "/api/v1/departments/",
    "/api/v1/employees/",
    "/api/v1/approvals/",
    "/api/v1/products/",
    "/api/v1/warehouses/",
    "/api/v1/categories/",
    "/api/v1/price-levels/",
    "/api/v1/stock-balances/",
    "/api/v1/stock-moves/",
    "/api/v1/lots/",
    CUSTOMERS,
    ORDERS,
]


def test_every_list_endpoint_answers_a_sheet(company: Company, api_client_for: ClientFor) -> None:
    """Every GET list in the router (from the schema) answers xlsx for the admin: a sheet, or a
    JSON refusal (an endpoint needing its own query parameters), never a 500."""
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    lists = [
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        and "get" in operations
        and "format" in {p["name"] for p in operations["get"].get("parameters", [])}
    ]
    assert set(LISTS) <= set(lists)
    build_desk(company)
    client = api_client_for(company.admin)
    for path in lists:
        response = client.get(path, {"format": "xlsx"})
        assert response.status_code in (200, 400, 403), (path, response.status_code, response.content[:300])
        if response.status_code == 200:
            assert response["Content-Type"] == XLSX_MIME, path
            sheet_of(response)
        else:
            assert response["Content-Type"] == "application/json", path


def test_the_schema_documents_the_sheet_on_lists_only() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"][CUSTOMERS]["get"]
    detail = schema["paths"][CUSTOMERS + "{id}/"]["get"]
    create = schema["paths"][CUSTOMERS]["post"]
    assert listing["responses"]["200"]["content"][XLSX_MIME]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    assert XLSX_MIME not in listing["responses"]["403"]["content"]
    assert {p["name"]: p for p in listing["parameters"]}["format"]["schema"]["enum"] == ["json", "xlsx"]
    assert XLSX_MIME not in detail["responses"]["200"]["content"]
    assert "format" not in {p["name"] for p in detail.get("parameters", [])}
    assert XLSX_MIME not in create["responses"]["201"]["content"]
