"""/api/v1/suppliers/: shapes with nested contacts, search by pinyin, filters, writes through the
services (409 duplicate_supplier, 400 invalid input), permissions by role, no delete."""

from __future__ import annotations

from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.purchasing.models import Supplier, SupplierContact
from maoyi.purchasing.services import suppliers as services
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.purchasing.builders import grant_supplier_permissions, make_supplier

SUPPLIERS = "/api/v1/suppliers/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _supplier_permissions(company: Company) -> None:
    grant_supplier_permissions()


def codes(response: Any) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def state() -> dict[str, list[dict[str, Any]]]:
    return {
        m._meta.label: list(m.objects.order_by("pk").values())
        for m in (Supplier, SupplierContact, AuditEntry)
    }


@pytest.fixture
def suppliers(company: Company) -> list[Supplier]:
    beijing = make_supplier("北京天坛医疗器械有限公司", phone="010-66668888", tax_id="91110000MA0000001X")
    services.save_contact(beijing, actor=None, name="张敏", title="销售经理", is_primary=True)
    medline = make_supplier("Medline Industries", currency="USD", buyer=company.purchaser)
    shanghai = make_supplier("上海康德莱")
    services.set_supplier_active(shanghai, actor=None, active=False)
    return [beijing, medline, shanghai]


def test_the_list_is_paginated_searchable_by_pinyin_and_filtered_by_active(
    company, api_client_for, suppliers
):
    api = api_client_for(company.finance_clerk)

    everything = api.get(SUPPLIERS)
    assert everything.status_code == 200
    assert everything.json()["count"] == 3
    assert codes(api.get(SUPPLIERS, {"search": "bj"})) == ["GYS0001"]
    assert codes(api.get(SUPPLIERS, {"active": "true"})) == ["GYS0001", "GYS0002"]
    assert codes(api.get(SUPPLIERS, {"active": "false"})) == ["GYS0003"]
    assert codes(api.get(SUPPLIERS, {"currency": "USD"})) == ["GYS0002"]
    assert codes(api.get(SUPPLIERS, {"ordering": "-code"})) == ["GYS0003", "GYS0002", "GYS0001"]


def test_retrieve_shows_the_supplier_with_its_contacts(company, api_client_for, suppliers):
    body = api_client_for(company.purchaser).get(f"{SUPPLIERS}{suppliers[0].pk}/").json()

    assert body["code"] == "GYS0001"
    assert (body["pinyin"], body["currency"], body["payment_terms_days"]) == ("bjttylqxyxgs", "CNY", 30)
    assert body["tax_id"] == "91110000MA0000001X"
    assert [(c["name"], c["title"], c["is_primary"]) for c in body["contacts"]] == [
        ("张敏", "销售经理", True)
    ]
    assert api_client_for(company.purchaser).get(f"{SUPPLIERS}999999/").json() == NOT_FOUND


def test_creating_a_supplier_answers_201_with_the_allocated_code(company, api_client_for):
    response = api_client_for(company.purchaser).post(
        SUPPLIERS,
        {
            "name": "Medline Industries",
            "currency": "USD",
            "phone": "+1 800 633 5463",
            "tax_id": "36-2596209",
            "bank_account": "021000021",
            "buyer": company.purchaser.pk,
            "contacts": [{"name": "ignored"}],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["currency"], body["buyer"], body["buyer_name"]) == (
        "GYS0001",
        "USD",
        company.purchaser.pk,
        "马丽",
    )
    assert body["contacts"] == []
    assert Supplier.objects.get().created_by == company.purchaser


def test_a_duplicate_supplier_answers_409_naming_the_existing_one(company, api_client_for, suppliers):
    api = api_client_for(company.purchaser)
    before = state()

    by_name = api.post(SUPPLIERS, {"name": "北京天坛医疗器械公司"}, format="json")
    by_tax_id = api.post(SUPPLIERS, {"name": "新公司", "tax_id": "91110000ma0000001x"}, format="json")

    assert by_name.status_code == 409
    assert by_name.json() == {
        "detail": "已有同名供应商：GYS0001 北京天坛医疗器械有限公司。",
        "code": "duplicate_supplier",
        "field": "name",
    }
    assert by_tax_id.status_code == 409
    assert by_tax_id.json()["code"] == "duplicate_supplier"
    assert state() == before


def test_invalid_input_answers_400_on_the_field(company, api_client_for, suppliers):
    api = api_client_for(company.purchaser)
    before = state()

    assert api.post(SUPPLIERS, {"name": "甲", "currency": "GBP"}, format="json").status_code == 400
    code = api.post(SUPPLIERS, {"name": "甲", "code": "GYS0001"}, format="json")
    assert code.status_code == 400
    assert code.json() == {"code": ["供应商编码“GYS0001”已存在。"]}
    assert state() == before


def test_a_partial_update_keeps_the_other_fields(company, api_client_for, suppliers):
    response = api_client_for(company.purchaser).patch(
        f"{SUPPLIERS}{suppliers[1].pk}/", {"payment_terms_days": 90}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["payment_terms_days"], response.json()["currency"]) == (90, "USD")
    supplier = Supplier.objects.get(pk=suppliers[1].pk)
    assert (supplier.name, supplier.buyer, supplier.payment_terms_days) == (
        "Medline Industries",
        company.purchaser,
        90,
    )


def test_deactivate_and_reactivate_actions(company, api_client_for, suppliers):
    api = api_client_for(company.purchaser)

    off = api.post(f"{SUPPLIERS}{suppliers[0].pk}/deactivate/")
    again = api.post(f"{SUPPLIERS}{suppliers[0].pk}/deactivate/")
    on = api.post(f"{SUPPLIERS}{suppliers[0].pk}/reactivate/")

    assert (off.status_code, off.json()["is_active"]) == (200, False)
    assert [c["name"] for c in off.json()["contacts"]] == ["张敏"]
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert (on.status_code, on.json()["is_active"]) == (200, True)


def test_roles_are_checked_and_there_is_no_delete(company, api_client_for: ClientFor, suppliers):
    finance = api_client_for(company.finance_clerk)
    before = state()

    assert finance.post(SUPPLIERS, {"name": "新公司"}, format="json").json() == ROLE_REFUSED
    assert finance.patch(f"{SUPPLIERS}{suppliers[0].pk}/", {"phone": "1"}, format="json").status_code == 403
    assert api_client_for(company.rep_a1).get(SUPPLIERS).status_code == 403
    deleted = api_client_for(company.admin).delete(f"{SUPPLIERS}{suppliers[0].pk}/")
    assert deleted.status_code == 405
    assert state() == before
