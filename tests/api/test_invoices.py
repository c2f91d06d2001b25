"""The `invoices` resource (API.md): list, retrieve, create with allocations by order number,
`reverse` (红字), refusals in API.md's shapes (400 input, 409 business rules with their codes),
403 for roles without the permission, 404 for invoices outside the caller's scope, xlsx export."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.invoicing.models import Invoice
from tests.api.conftest import token_client
from tests.invoicing.builders import build_desk, issue, purchase_order, sales_order, unchanged
from tests.sales.builders import today

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"


@pytest.fixture
def desk(company):
    return build_desk(company)


def body(desk, order, **changes):
    data = {
        "direction": "issued",
        "invoice_type": "special",
        "invoice_number": "04412345",
        "issued_on": today().isoformat(),
        "customer": desk.customer.pk,
        "amount": "1000.00",
        "tax_amount": "130.00",
        "allocations": [{"source_number": order.number, "amount": "1130.00"}],
        "note": "",
    }
    data.update(changes)
    return data


def test_finance_records_an_invoice_and_reads_it_back(desk) -> None:
    order = sales_order(desk)
    api = token_client(desk.clerk)
    created = api.post(URL, body(desk, order), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert {k: data[k] for k in ("direction", "invoice_type", "invoice_number", "customer", "supplier")} == {
        "direction": "issued",
        "invoice_type": "special",
        "invoice_number": "04412345",
        "customer": desk.customer.pk,
        "supplier": None,
    }
    assert (data["amount"], data["tax_amount"], data["total"], data["status"]) == (
        "1000.00",
        "130.00",
        "1130.00",
        "normal",
    )
    assert [(a["source_number"], a["amount"]) for a in data["allocations"]] == [(order.number, "1130.00")]
    assert api.get(f"{URL}{data['id']}/").json()["invoice_number"] == "04412345"
    listed = api.get(URL, {"search": order.number}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == data["id"]
    assert api.get(URL, {"direction": "received"}).json()["count"] == 0


def test_a_received_invoice_names_its_supplier(desk) -> None:
    order = purchase_order(desk)
    data = body(desk, order, direction="received", customer=None, supplier=desk.supplier.pk)
    response = token_client(desk.clerk).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["supplier"] == desk.supplier.pk


def test_refusals_come_back_in_api_shapes_and_change_nothing(desk) -> None:
    order = sales_order(desk)
    issue(desk, [(order, "1000.00")], number="04410000")
    api = token_client(desk.clerk)
    cases = [
        (
            body(desk, order, invoice_number="123"),
            400,
            {"invoice_number": ["发票号码应为 8 位或 20 位数字。"]},
        ),
        (
            body(desk, order, invoice_number="04410000"),
            409,
            {
                "detail": "销项发票专票 04410000 已登记，不能重复录入。",
                "code": "duplicate_invoice",
                "field": "invoice_number",
            },
        ),
        (
            body(desk, order),
            409,
            {
                "detail": f"{order.number} 可开票 1130.00，已开票 1000.00，本次 1130.00，超出 1000.00。",
                "code": "over_invoice",
                "field": "allocations.0.amount",
            },
        ),
        (
            body(desk, order, amount="100.00", tax_amount="0.00"),
            409,
            {
                "detail": "分配到单据的金额合计 1130.00 与价税合计 100.00 不一致。",
                "code": "allocation_mismatch",
                "field": "allocations",
            },
        ),
        (
            body(desk, order, allocations=[{"source_number": "XS-NONE", "amount": "1130.00"}]),
            400,
            {"allocations.0.source_number": ["第 1 行：单据不存在。"]},
        ),
    ]
    for data, status, expected in cases:
        with unchanged():
            response = api.post(URL, data, format="json")
        assert (response.status_code, response.json()) == (status, expected)


def test_reverse_records_the_red_invoice_and_answers_the_reversed_one(desk) -> None:
    order = sales_order(desk)
    blue = issue(desk, [(order, "1130.00")])
    api = token_client(desk.clerk)
    missing = api.post(f"{URL}{blue.pk}/reverse/", {"red_invoice_number": "04419999"}, format="json")
    assert (missing.status_code, missing.json()) == (400, {"reason": ["请填写原因。"]})
    response = api.post(
        f"{URL}{blue.pk}/reverse/", {"red_invoice_number": "04419999", "reason": "开错"}, format="json"
    )
    assert response.status_code == 200, response.json()
    red = Invoice.objects.get(number="04419999")
    assert (response.json()["status"], response.json()["reversed_by"]) == ("reversed", red.pk)
    assert (red.total, red.reverses_id) == (D("-1130.00"), blue.pk)
    again = api.post(
        f"{URL}{blue.pk}/reverse/", {"red_invoice_number": "04418888", "reason": "x"}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")


def test_roles_and_scope(desk) -> None:
    company = desk.company
    mine = issue(desk, [(sales_order(desk), "1130.00")])
    theirs = issue(
        desk,
        [(sales_order(desk, customer=desk.other_customer, owner=company.rep_b1), "1130.00")],
        customer=desk.other_customer,
    )
    rep = token_client(company.rep_a1)
    assert rep.get(URL).status_code == 403
    manager = token_client(company.manager_a)
    assert [row["id"] for row in manager.get(URL).json()["results"]] == [mine.pk]
    assert manager.get(f"{URL}{theirs.pk}/").status_code == 404
    refused = manager.post(URL, body(desk, sales_order(desk)), format="json")
    assert refused.status_code == 403
    assert token_client(company.admin).get(f"{URL}{theirs.pk}/").status_code == 200


def test_the_list_exports_as_xlsx(desk) -> None:
    issue(desk, [(sales_order(desk), "1130.00")])
    response = token_client(desk.clerk).get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
