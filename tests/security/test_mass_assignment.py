"""Mass assignment: what the server decides cannot be set by the client.

API.md: the owner, department, number, status, totals, the allocated amount and who created a
record are the server's; the write serializers do not declare them, so DRF drops them from the
request (ignored, not refused — a client may send back what it read). Each test sends them with
hostile values and asserts what was stored. Approval and money endpoints refuse the wrong role with
the exact status and body, changing nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from maoyi.crm.models import Customer
from maoyi.finance.models import Settlement
from maoyi.sales.models import SalesOrder
from tests.api.conftest import token_client
from tests.conftest import Company
from tests.sales.builders import unchanged
from tests.sales.order_builders import Desk, build_desk, put_stock

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/sales-orders/"
CUSTOMERS = "/api/v1/customers/"
RECEIPTS = "/api/v1/receipts/"
EXPENSES = "/api/v1/expenses/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}


@pytest.fixture
def desk(company: Company) -> Desk:
    desk = build_desk(company)
    put_stock(desk, desk.masks, "500", cost="1.00")
    return desk


def hostile(company: Company) -> dict[str, Any]:
    """Server-side fields with values that would matter if they were taken."""
    return {
        "owner": company.rep_b1.pk,
        "department": company.team_b.pk,
        "created_by": company.admin.pk,
        "status": "approved",
        "number": "XS-HACKED-0001",
        "amount": "0.01",
        "total": "0.01",
        "tax_amount": "0.00",
        "approved_at": "2020-01-01T00:00:00Z",
        "allocated": "99999.00",
        "unallocated": "0.00",
        "id": 999999,
    }


def order_body(desk: Desk, **extra: Any) -> dict[str, Any]:
    return {
        "customer": desk.xiehe.pk,
        "warehouse": desk.main.pk,
        "lines": [{"product": desk.masks.pk, "quantity": "100", "unit_price": "3.20"}],
        **extra,
    }


def test_creating_a_sales_order_ignores_owner_status_number_and_totals(desk: Desk, company: Company) -> None:
    response = token_client(company.rep_a1).post(ORDERS, order_body(desk, **hostile(company)), format="json")
    assert response.status_code == 201, response.content
    order = SalesOrder.objects.get(pk=response.json()["id"])
    assert order.pk != 999999
    assert (order.owner_id, order.department_id, order.status) == (
        company.rep_a1.pk,
        company.team_a.pk,
        "draft",
    )
    assert order.number != "XS-HACKED-0001"
    assert order.approved_at is None
    assert order.amount == D("320.00")


def test_patching_a_sales_order_leaves_owner_status_number_and_totals(desk: Desk, company: Company) -> None:
    client = token_client(company.rep_a1)
    created = client.post(ORDERS, order_body(desk), format="json").json()
    before = SalesOrder.objects.values().get(pk=created["id"])
    response = client.patch(f"{ORDERS}{created['id']}/", hostile(company), format="json")
    assert response.status_code == 200, response.content
    after = SalesOrder.objects.values().get(pk=created["id"])
    for name in ("owner_id", "department_id", "status", "number", "approved_at"):
        assert after[name] == before[name], name
    assert SalesOrder.objects.get(pk=created["id"]).amount == D("320.00")


def test_a_customer_keeps_its_owner_and_department_whatever_the_body_says(company: Company) -> None:
    client = token_client(company.rep_a1)
    body = {"name": "北京天坛医院", "kind": "end_customer", **hostile(company), "is_active": False}
    body.update({"pinyin": "hack", "last_activity_at": "2020-01-01T00:00:00Z"})
    response = client.post(CUSTOMERS, body, format="json")
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert (customer.owner_id, customer.department_id, customer.is_active) == (
        company.rep_a1.pk,
        company.team_a.pk,
        True,
    )
    assert customer.pinyin != "hack"
    assert customer.last_activity_at is None

    patch = client.patch(f"{CUSTOMERS}{customer.pk}/", hostile(company) | {"is_active": False}, format="json")
    assert patch.status_code == 200, patch.content
    customer.refresh_from_db()
    assert (customer.owner_id, customer.department_id, customer.is_active) == (
        company.rep_a1.pk,
        company.team_a.pk,
        True,
    )


def test_a_receipt_takes_no_number_status_allocation_or_author_from_the_body(
    desk: Desk, company: Company
) -> None:
    body = {
        "customer": desk.xiehe.pk,
        "amount": "700.00",
        "received_on": timezone.localdate().isoformat(),
        **{k: v for k, v in hostile(company).items() if k != "amount"},
        "status": "reversed",
    }
    response = token_client(company.finance_clerk).post(RECEIPTS, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    receipt = Settlement.objects.get(pk=data["id"])
    assert receipt.number != "XS-HACKED-0001"
    assert receipt.amount == D("700.00")
    assert data["allocated"] == "0.00"
    assert data["status"] != "reversed"
    assert receipt.created_by_id == company.finance_clerk.user_id  # created_by is the user


# The wrong role on approval and money endpoints ---------------------------------------------------


def submitted_order(desk: Desk, company: Company) -> dict[str, Any]:
    client = token_client(company.rep_a1)
    order = client.post(ORDERS, order_body(desk), format="json").json()
    assert client.post(f"{ORDERS}{order['id']}/submit/").status_code == 200
    return dict(order)


def test_the_salesperson_cannot_approve_his_own_order(desk: Desk, company: Company) -> None:
    order = submitted_order(desk, company)
    with unchanged():
        response = token_client(company.rep_a1).post(f"{ORDERS}{order['id']}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_approver"


def test_logistics_and_finance_cannot_approve_a_sales_order(desk: Desk, company: Company) -> None:
    order = submitted_order(desk, company)
    for who in (desk.keeper, company.finance_clerk):
        with unchanged():
            response = token_client(who).post(f"{ORDERS}{order['id']}/approve/", {}, format="json")
        # Both may read the order (shipping, receivables), so the refusal is the approval rule's.
        assert (response.status_code, response.json()) == (
            409,
            {"detail": "您不是这张单据的审批人。", "code": "not_approver"},
        ), who
        assert SalesOrder.objects.get(pk=order["id"]).status == "submitted"


def test_a_salesperson_and_logistics_cannot_record_a_receipt(desk: Desk, company: Company) -> None:
    body = {"customer": desk.xiehe.pk, "amount": "700.00", "received_on": timezone.localdate().isoformat()}
    for who in (company.rep_a1, desk.keeper):
        with unchanged():
            response = token_client(who).post(RECEIPTS, body, format="json")
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED), who


def test_a_salesperson_cannot_pay_an_expense(company: Company) -> None:
    rep = token_client(company.rep_a1)
    created = rep.post(
        EXPENSES,
        {
            "category": "travel",
            "amount": "320.00",
            "incurred_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "description": "出差",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    expense = created.json()
    with unchanged():
        response = rep.post(f"{EXPENSES}{expense['id']}/pay/", {}, format="json")
    assert (response.status_code, response.json()) == (403, ROLE_REFUSED)
