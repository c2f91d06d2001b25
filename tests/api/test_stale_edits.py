"""Edits without lost updates through the API (issue 8, part 4): every editable resource returns its
`version`; a PUT/PATCH based on an older one (body `version` or `If-Match`) is refused with 409
`stale_version` naming who changed what, and writes nothing; the current one saves and bumps it;
neither keeps last-write-wins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from maoyi.catalog.models import Product
from maoyi.crm.services import contacts as contact_services
from maoyi.inventory.models import Warehouse
from maoyi.purchasing.services import suppliers as supplier_services
from tests.api.conftest import token_client
from tests.crm.builders import make_customer
from tests.factories import make_department, make_employee
from tests.sales.builders import build_shop, draft_order


@dataclass(frozen=True)
class Kind:
    make: Callable[[Any], Any]
    url: str
    first: dict[str, str]
    second: dict[str, str]
    change: str  # what the message shows for `first`
    users: Callable[[Any], tuple[Any, Any]]


def _admins(company):
    return company.admin, make_employee(company.root, "admin", username="admin2", name="周敏")


def _reps(company):
    return company.rep_a1, company.manager_a


KINDS = {
    "customers": Kind(
        lambda c: make_customer(c.rep_a1, "上海瑞金医院", phone="021-64370045"),
        "/api/v1/customers/",
        {"phone": "021-64370046"},
        {"address": "上海市黄浦区"},
        "电话：021-64370045 → 021-64370046",
        _reps,
    ),
    "contacts": Kind(
        lambda c: contact_services.add_contact(
            actor=None, customer=make_customer(c.rep_a1, "北京协和医院"), name="王主任", mobile="13800000000"
        ),
        "/api/v1/contacts/",
        {"mobile": "13900000000"},
        {"title": "主任"},
        "手机：13800000000 → 13900000000",
        _reps,
    ),
    "products": Kind(
        lambda c: Product.objects.create(code="ZS001", name="注射器", unit="支"),
        "/api/v1/products/",
        {"name": "无菌注射器"},
        {"specification": "5ml"},
        "商品名称：注射器 → 无菌注射器",
        _admins,
    ),
    "warehouses": Kind(
        lambda c: Warehouse.objects.create(code="WH01", name="北京主仓"),
        "/api/v1/warehouses/",
        {"name": "北京一号仓"},
        {"address": "北京市大兴区"},
        "仓库名称：北京主仓 → 北京一号仓",
        _admins,
    ),
    "suppliers": Kind(
        lambda c: supplier_services.create_supplier(actor=None, name="威高集团", code="GYS001"),
        "/api/v1/suppliers/",
        {"name": "威高股份"},
        {"phone": "0631-5620000"},
        "供应商名称：威高集团 → 威高股份",
        _admins,
    ),
    "departments": Kind(
        lambda c: make_department("华东区", c.root),
        "/api/v1/departments/",
        {"name": "华东大区"},
        {"name_en": "East"},
        "部门名称：华东区 → 华东大区",
        _admins,
    ),
    "sales-orders": Kind(
        lambda c: draft_order(build_shop(c)),
        "/api/v1/sales-orders/",
        {"note": "请尽快发货"},
        {"receiver": "李四"},
        "备注：— → 请尽快发货",
        _reps,
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_patch_based_on_a_stale_version_is_refused_with_409(kind, company):
    spec = KINDS[kind]
    record = spec.make(company)
    first_user, second_user = spec.users(company)
    first, second = token_client(first_user), token_client(second_user)
    url = f"{spec.url}{record.pk}/"
    assert first.get(url).json()["version"] == second.get(url).json()["version"] == 1

    saved = first.patch(url, {**spec.first, "version": 1}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["version"] == 2

    refused = second.patch(url, {**spec.second, "version": 1}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "stale_version" and body["field"] == "version"
    assert body["detail"].startswith(f"此记录已被 {first_user.name} 在 ")
    assert body["detail"].endswith(f"修改（{spec.change}），请刷新后重试。")
    fresh = type(record).objects.get(pk=record.pk)
    ((name, value),) = spec.second.items()
    assert fresh.version == 2 and getattr(fresh, name) != value

    by_header = second.patch(url, spec.second, format="json", HTTP_IF_MATCH='"1"')
    assert by_header.status_code == 409 and by_header.json()["code"] == "stale_version"

    current = second.get(url).json()["version"]
    ok = second.patch(url, spec.second, format="json", HTTP_IF_MATCH=f'"{current}"')
    assert ok.status_code == 200 and ok.json()["version"] == 3
    fresh.refresh_from_db()
    assert getattr(fresh, name) == value


def test_without_a_version_the_last_write_wins_and_still_bumps_it(company):
    customer = make_customer(company.rep_a1, "上海瑞金医院", phone="021-64370045")
    client = token_client(company.rep_a1)
    url = f"/api/v1/customers/{customer.pk}/"
    response = client.patch(url, {"phone": "021-1"}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = client.patch(url, {"phone": "021-2", "version": 1}, format="json")
    assert stale.status_code == 409


def test_a_malformed_version_is_refused_as_input(company):
    customer = make_customer(company.rep_a1, "上海瑞金医院")
    response = token_client(company.rep_a1).patch(
        f"/api/v1/customers/{customer.pk}/", {"phone": "1", "version": "abc"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"version": ["版本号无效。"]}
    customer.refresh_from_db()
    assert customer.version == 1


def test_the_version_cannot_be_set_by_a_client(company):
    customer = make_customer(company.rep_a1, "上海瑞金医院")
    response = token_client(company.rep_a1).patch(
        f"/api/v1/customers/{customer.pk}/", {"phone": "1", "version": 1}, format="json"
    )
    assert response.json()["version"] == 2  # the body's version is the one the edit is based on
