"""/api/v1/contacts/ and /api/v1/activities/: shapes, writes through the services (400 on a bad
field, 409 on a refused state), filters (customer, employee, dates, due), permissions by role, the
customer's data scope (404 outside it, 400 for a customer the caller cannot see), no delete (405)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.crm.models import Activity, Contact, Customer
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import contacts as contact_services
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer

CONTACTS = "/api/v1/contacts/"
ACTIVITIES = "/api/v1/activities/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company: Company) -> None:
    grant_customer_permissions()


@pytest.fixture
def customer(company: Company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


def state() -> dict[str, list[dict[str, Any]]]:
    return {
        m._meta.label: list(m.objects.order_by("pk").values())
        for m in (Customer, Contact, Activity, AuditEntry)
    }


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def log(actor, customer, summary="电话沟通", **fields) -> Activity:
    return activity_services.log_activity(
        actor=actor, customer=customer, kind="call", summary=summary, **fields
    )


# Contacts ------------------------------------------------------------------------------------------


def test_a_contact_is_created_and_read_with_the_api_md_fields(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    client = api_client_for(company.rep_a1)
    payload = {
        "customer": customer.pk,
        "name": "王主任",
        "department": "设备科",
        "title": "主任",
        "mobile": "138 0013 8000",
        "email": "wang@pumch.cn",
        "is_primary": True,
    }
    response = client.post(CONTACTS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("customer", "name", "department", "title", "mobile", "email")} == {
        "customer": customer.pk,
        "name": "王主任",
        "department": "设备科",
        "title": "主任",
        "mobile": "13800138000",
        "email": "wang@pumch.cn",
    }
    assert (body["is_primary"], body["is_active"], body["phone"], body["wechat"]) == (True, True, "", "")
    assert client.get(f"{CONTACTS}{body['id']}/").json() == body
    assert Contact.objects.get().created_by == company.rep_a1


def test_contact_refusals_400_and_scope(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    b_customer = make_customer(company.rep_b1, "钱丽的客户")
    client = api_client_for(company.rep_a1)
    before = state()
    bad = client.post(CONTACTS, {"customer": customer.pk, "name": "王", "email": "x@"}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"email": ["邮箱格式不正确。"]})
    invisible = client.post(CONTACTS, {"customer": b_customer.pk, "name": "王"}, format="json")
    assert invisible.status_code == 400 and list(invisible.json()) == ["customer"]
    unknown = client.post(CONTACTS, {"customer": 999999, "name": "王"}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()) == ["customer"]
    refused = api_client_for(company.purchaser).post(
        CONTACTS, {"customer": customer.pk, "name": "王"}, format="json"
    )
    assert (refused.status_code, refused.json()) == (403, ROLE_REFUSED)
    assert state() == before


def test_contacts_list_is_scoped_filters_and_has_no_delete(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    other = make_customer(company.rep_a1, "上海瑞金医院")
    mine = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    contact_services.add_contact(actor=company.rep_a1, customer=other, name="赵主任")
    theirs = contact_services.add_contact(
        actor=company.rep_b1, customer=make_customer(company.rep_b1, "钱丽的客户"), name="钱的联系人"
    )
    client = api_client_for(company.rep_a1)
    assert {r["name"] for r in client.get(CONTACTS).json()["results"]} == {"王主任", "赵主任"}
    assert [r["name"] for r in client.get(CONTACTS, {"customer": customer.pk}).json()["results"]] == [
        "王主任"
    ]
    assert client.get(CONTACTS, {"customer": 999999}).json()["count"] == 0
    assert client.get(CONTACTS, {"search": "赵"}).json()["count"] == 1
    response = client.get(f"{CONTACTS}{theirs.pk}/")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert api_client_for(company.sales_head).get(CONTACTS).json()["count"] == 3
    assert client.delete(f"{CONTACTS}{mine.pk}/").status_code == 405
    assert Contact.objects.filter(pk=mine.pk).exists()


def test_contact_update_and_deactivate(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    contact = contact_services.add_contact(
        actor=company.rep_a1, customer=customer, name="王主任", title="主任"
    )
    client = api_client_for(company.rep_a1)
    response = client.patch(f"{CONTACTS}{contact.pk}/", {"title": "副院长"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "副院长"
    assert response.json()["name"] == "王主任"
    out = api_client_for(company.rep_b1).patch(f"{CONTACTS}{contact.pk}/", {"title": "x"}, format="json")
    assert (out.status_code, out.json()) == (404, NOT_FOUND)
    response = client.post(f"{CONTACTS}{contact.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    again = client.post(f"{CONTACTS}{contact.pk}/deactivate/")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "联系人“王主任”已经是离职状态。", "code": "invalid_state"},
    )


# Activities ----------------------------------------------------------------------------------------


def test_an_activity_is_logged_and_read_with_the_api_md_fields(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    contact = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    client = api_client_for(company.rep_a1)
    payload = {
        "customer": customer.pk,
        "kind": "visit",
        "summary": "拜访设备科",
        "occurred_at": "2026-03-02T15:00:00+08:00",
        "next_follow_up": "2026-03-09",
        "contact": contact.pk,
    }
    response = client.post(ACTIVITIES, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("customer", "kind", "summary", "next_follow_up", "contact", "employee")} == {
        "customer": customer.pk,
        "kind": "visit",
        "summary": "拜访设备科",
        "next_follow_up": "2026-03-09",
        "contact": contact.pk,
        "employee": company.rep_a1.pk,
    }
    assert dt.datetime.fromisoformat(body["occurred_at"]) == dt.datetime.fromisoformat(payload["occurred_at"])
    assert (body["employee_name"], body["contact_name"], body["follow_up_done"]) == ("张伟", "王主任", False)
    customer.refresh_from_db()
    assert customer.last_activity_at == dt.datetime.fromisoformat(payload["occurred_at"])
    assert client.get(f"{ACTIVITIES}{body['id']}/").json() == body


def test_activity_refusals(company: Company, api_client_for: ClientFor, customer: Customer) -> None:
    b_customer = make_customer(company.rep_b1, "钱丽的客户")
    client = api_client_for(company.rep_a1)
    before = state()
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    bad = client.post(
        ACTIVITIES, {"customer": customer.pk, "kind": "call", "summary": "x", "occurred_at": future}
    )
    assert (bad.status_code, bad.json()) == (400, {"occurred_at": ["跟进时间不能晚于现在。"]})
    invisible = client.post(
        ACTIVITIES, {"customer": b_customer.pk, "kind": "call", "summary": "x"}, format="json"
    )
    assert invisible.status_code == 400 and list(invisible.json()) == ["customer"]
    refused = api_client_for(company.finance_clerk).post(
        ACTIVITIES, {"customer": customer.pk, "kind": "call", "summary": "x"}, format="json"
    )
    assert (refused.status_code, refused.json()) == (403, ROLE_REFUSED)
    assert state() == before


def test_activities_filter_by_customer_employee_dates_and_due(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    other = make_customer(company.rep_a2, "上海瑞金医院")
    today = timezone.localdate()
    a1 = log(
        company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=today - dt.timedelta(days=1)
    )
    a2 = log(company.rep_a2, other, occurred_at=at("2026-03-05"), next_follow_up=today + dt.timedelta(days=3))
    a3 = log(company.assistant_a, other, occurred_at=at("2026-03-06"))
    b = log(company.rep_b1, make_customer(company.rep_b1, "钱丽的客户"), occurred_at=at("2026-03-02"))
    client = api_client_for(company.manager_a)

    def ids(**params: Any) -> list[int]:
        return [r["id"] for r in client.get(ACTIVITIES, params).json()["results"]]

    assert ids() == [a3.pk, a2.pk, a1.pk]
    assert ids(customer=other.pk) == [a3.pk, a2.pk]
    assert ids(employee=company.rep_a2.pk) == [a2.pk]
    assert ids(date_from="2026-03-02", date_to="2026-03-05") == [a2.pk]
    assert ids(due="true") == [a1.pk]
    assert ids(customer=999999) == [] and ids(employee=999999) == []
    out = client.get(f"{ACTIVITIES}{b.pk}/")
    assert (out.status_code, out.json()) == (404, NOT_FOUND)


def test_done_closes_a_follow_up_and_there_is_no_update_or_delete(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    activity = log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=dt.date(2026, 3, 3))
    client = api_client_for(company.rep_a1)
    assert api_client_for(company.rep_b1).post(f"{ACTIVITIES}{activity.pk}/done/").status_code == 404
    response = client.post(f"{ACTIVITIES}{activity.pk}/done/")
    assert response.status_code == 200 and response.json()["follow_up_done"] is True
    again = client.post(f"{ACTIVITIES}{activity.pk}/done/")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "这条跟进已经完成。", "code": "invalid_state"},
    )
    assert client.delete(f"{ACTIVITIES}{activity.pk}/").status_code == 405
    assert client.patch(f"{ACTIVITIES}{activity.pk}/", {"summary": "x"}, format="json").status_code == 405
    activity.refresh_from_db()
    assert activity.summary == "电话沟通"
