"""/api/v1/customers/: shapes, search and filters, writes through the services (409
duplicate_customer), permissions by role, data scope (404 outside it), no delete (405)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.crm.models import Customer, CustomerKind
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import crm_state, grant_customer_permissions, make_customer

CUSTOMERS = "/api/v1/customers/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company: Company) -> None:
    grant_customer_permissions()


def names(response: Any) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_a_customer_reads_with_the_api_md_fields(company: Company, api_client_for: ClientFor) -> None:
    agent = make_customer(company.rep_a1, "华北代理", kind=CustomerKind.AGENT)
    customer = make_customer(
        company.rep_a1, "北京协和医院", channel_partner=agent, phone="010-69156114", credit_limit=D("50000")
    )
    body = api_client_for(company.rep_a1).get(f"{CUSTOMERS}{customer.pk}/").json()
    assert {k: body[k] for k in ("name", "kind", "level", "parent", "channel_partner", "phone")} == {
        "name": "北京协和医院",
        "kind": "end_customer",
        "level": "b",
        "parent": None,
        "channel_partner": agent.pk,
        "phone": "010-69156114",
    }
    assert body["credit_limit"] == "50000.00" and body["tax_id"] == "" and body["address"] == ""
    assert (body["owner"], body["owner_name"], body["pinyin"], body["last_activity_at"]) == (
        company.rep_a1.pk,
        "张伟",
        "bjxhyy",
        None,
    )


def test_the_list_is_scoped_and_filters_by_search_kind_and_owner(
    company: Company, api_client_for: ClientFor
) -> None:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_a2, "广州代理", kind=CustomerKind.AGENT)
    make_customer(company.rep_b1, "钱丽的客户")
    rep = api_client_for(company.rep_a1).get(CUSTOMERS)
    assert rep.json()["count"] == 1 and names(rep) == ["北京协和医院"]
    manager = api_client_for(company.manager_a)
    assert sorted(names(manager.get(CUSTOMERS))) == ["北京协和医院", "广州代理"]
    assert names(manager.get(CUSTOMERS, {"search": "bj"})) == ["北京协和医院"]
    assert names(manager.get(CUSTOMERS, {"kind": "agent"})) == ["广州代理"]
    assert names(manager.get(CUSTOMERS, {"owner": company.rep_a2.pk})) == ["广州代理"]
    assert names(manager.get(CUSTOMERS, {"owner": 999999})) == []
    assert api_client_for(company.finance_clerk).get(CUSTOMERS).json()["count"] == 3
    assert api_client_for(company.purchaser).get(CUSTOMERS).json() == ROLE_REFUSED


def test_a_customer_outside_the_scope_answers_404_to_read_and_write(
    company: Company, api_client_for: ClientFor
) -> None:
    theirs = make_customer(company.rep_b1, "钱丽的客户")
    client = api_client_for(company.rep_a1)
    before = crm_state()
    for response in (
        client.get(f"{CUSTOMERS}{theirs.pk}/"),
        client.patch(f"{CUSTOMERS}{theirs.pk}/", {"name": "改名"}, format="json"),
        client.get(f"{CUSTOMERS}{theirs.pk + 1000}/"),
    ):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert crm_state() == before


def test_creating_a_customer_makes_the_caller_its_owner(company: Company, api_client_for: ClientFor) -> None:
    payload = {
        "name": "上海瑞金医院",
        "kind": "hospital_system",
        "level": "a",
        "phone": "021-64370045",
        "tax_id": "12310000425006117P",
        "credit_limit": "80000.00",
        "owner": company.rep_b1.pk,  # read-only: ignored
    }
    response = api_client_for(company.rep_a1).post(CUSTOMERS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.pk and body["owner"] == company.rep_a1.pk
    assert (customer.owner, customer.department, customer.credit_limit) == (
        company.rep_a1,
        company.team_a,
        D("80000.00"),
    )


def test_a_duplicate_answers_409_naming_only_the_owner(company: Company, api_client_for: ClientFor) -> None:
    make_customer(company.rep_b1, "上海瑞金医院", phone="021-64370045", address="瑞金二路197号")
    before = crm_state()
    response = api_client_for(company.rep_a1).post(
        CUSTOMERS, {"name": "上海 瑞金医院有限公司", "kind": "end_customer"}, format="json"
    )
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "客户已存在（负责人：钱丽），请联系负责人或主管。", "code": "duplicate_customer"},
    )
    assert crm_state() == before


def test_invalid_input_answers_400_on_its_field(company: Company, api_client_for: ClientFor) -> None:
    client = api_client_for(company.rep_a1)
    hospital = make_customer(company.rep_a1, "某医院")
    before = crm_state()
    bad_tax = client.post(CUSTOMERS, {"name": "甲", "kind": "end_customer", "tax_id": "12"}, format="json")
    assert (bad_tax.status_code, bad_tax.json()) == (400, {"tax_id": ["税号应为 15 到 20 位字母或数字。"]})
    bad_parent = client.post(
        CUSTOMERS, {"name": "乙", "kind": "distributor", "parent": hospital.pk}, format="json"
    )
    assert (bad_parent.status_code, bad_parent.json()) == (
        400,
        {"parent": ["上级渠道必须是分销商或代理商。"]},
    )
    negative = client.post(CUSTOMERS, {"name": "丙", "kind": "agent", "credit_limit": "-1"}, format="json")
    assert (negative.status_code, negative.json()) == (400, {"credit_limit": ["信用额度不能为负数。"]})
    assert client.post(CUSTOMERS, {"name": "丁"}, format="json").status_code == 400
    assert crm_state() == before


def test_a_partner_outside_the_scope_cannot_be_picked(company: Company, api_client_for: ClientFor) -> None:
    agent = make_customer(company.rep_b1, "钱丽的代理", kind=CustomerKind.AGENT)
    response = api_client_for(company.rep_a1).post(
        CUSTOMERS, {"name": "甲", "kind": "end_customer", "channel_partner": agent.pk}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"channel_partner"}


def test_partial_and_full_updates_go_through_the_service(company: Company, api_client_for: ClientFor) -> None:
    customer = make_customer(company.rep_a1, "北京协和医院", phone="010-69156114", credit_limit=D("100"))
    client = api_client_for(company.manager_a)
    patched = client.patch(f"{CUSTOMERS}{customer.pk}/", {"level": "a"}, format="json")
    assert patched.status_code == 200 and patched.json()["level"] == "a"
    customer.refresh_from_db()
    assert (customer.level, customer.phone, customer.credit_limit) == ("a", "010-69156114", D("100.00"))
    put = client.put(
        f"{CUSTOMERS}{customer.pk}/",
        {"name": "北京协和医院（西院）", "kind": "hospital_system"},
        format="json",
    )
    assert put.status_code == 200 and put.json()["pinyin"] == "bjxhyyxy"
    customer.refresh_from_db()
    # Fields left out keep their values, as everywhere in the API.
    assert (customer.kind, customer.level, customer.phone, customer.owner) == (
        "hospital_system",
        "a",
        "010-69156114",
        company.rep_a1,
    )


def test_finance_may_read_but_not_write_and_nobody_deletes(
    company: Company, api_client_for: ClientFor
) -> None:
    customer = make_customer(company.rep_a1, "北京协和医院")
    finance = api_client_for(company.finance_clerk)
    assert finance.get(f"{CUSTOMERS}{customer.pk}/").status_code == 200
    refused = finance.patch(f"{CUSTOMERS}{customer.pk}/", {"level": "a"}, format="json")
    assert (refused.status_code, refused.json()) == (403, ROLE_REFUSED)
    created = finance.post(CUSTOMERS, {"name": "甲", "kind": "agent"}, format="json")
    assert (created.status_code, created.json()) == (403, ROLE_REFUSED)
    deleted = api_client_for(company.admin).delete(f"{CUSTOMERS}{customer.pk}/")
    assert deleted.status_code == 405 and Customer.objects.filter(pk=customer.pk).exists()
