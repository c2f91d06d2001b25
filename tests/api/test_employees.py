"""/api/v1/employees/: search (name, pinyin initials, user name), scope, writes, 离职 (leave)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.org.models import Employee, EmployeeStatus
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.factories import PASSWORD

URL = "/api/v1/employees/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NEW_PASSWORD = "Zhao-Min-2026!"


def _usernames(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["username"] for row in response.json()["results"]]


def _new_employee(company: Company, **extra: object) -> dict[str, object]:
    return {
        "username": "zhaomin",
        "password": NEW_PASSWORD,
        "name": "赵敏",
        "department": company.team_b.pk,
        "roles": ["salesperson"],
        "is_manager": False,
        **extra,
    }


def test_the_list_is_paginated_and_never_shows_passwords(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get(URL, {"page_size": 4})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 9
    assert len(body["results"]) == 4
    assert all("password" not in row for row in body["results"])
    assert b"password" not in response.content


def test_page_size_above_200_is_capped(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get(URL, {"page_size": 100000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 9


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("zw", ["rep_a1"]),  # pinyin initials of 张伟
        ("ZW", ["rep_a1"]),
        ("张伟", ["rep_a1"]),
        ("rep_b", ["rep_b1"]),  # user name
        ("经理", ["head", "mgr_a"]),  # part of the name
    ],
)
def test_search_matches_name_pinyin_initials_and_user_name(
    company: Company, admin_api: APIClient, term: str, expected: list[str]
) -> None:
    assert sorted(_usernames(admin_api.get(URL, {"search": term}))) == expected


def test_ordering_follows_the_query(company: Company, admin_api: APIClient) -> None:
    ids = [row["id"] for row in admin_api.get(URL, {"ordering": "-id"}).json()["results"]]

    assert ids == sorted((e.pk for e in company.everyone), reverse=True)


def test_department_and_manager_filters_apply(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get(URL, {"department": company.team_a.pk, "is_manager": "true"})

    assert _usernames(response) == ["mgr_a"]


def test_manager_a_sees_only_team_a(company: Company, api_client_for: ClientFor) -> None:
    response = api_client_for(company.manager_a).get(URL, {"page_size": 200})

    assert sorted(_usernames(response)) == ["asst_a", "mgr_a", "rep_a1", "rep_a2"]


def test_the_sales_head_sees_both_sales_teams(company: Company, api_client_for: ClientFor) -> None:
    response = api_client_for(company.sales_head).get(URL, {"page_size": 200})

    assert sorted(_usernames(response)) == ["asst_a", "head", "mgr_a", "rep_a1", "rep_a2", "rep_b1"]


@pytest.mark.parametrize("who", ["rep_a1", "assistant_a", "purchaser", "finance_clerk"])
def test_roles_without_the_view_employee_permission_get_403(
    company: Company, api_client_for: ClientFor, who: str
) -> None:
    # roles.py grants org.view_employee only to `manager` and `admin`.
    client = api_client_for(getattr(company, who))

    for response in (client.get(URL), client.get(f"{URL}{getattr(company, who).pk}/")):
        assert response.status_code == 403
        assert response.json() == ROLE_REFUSED


def test_an_employee_outside_the_scope_is_404_exactly_like_a_missing_one(
    company: Company, api_client_for: ClientFor
) -> None:
    client = api_client_for(company.manager_a)

    outside = client.get(f"{URL}{company.rep_b1.pk}/")
    missing = client.get(f"{URL}999999/")

    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json() == NOT_FOUND
    assert client.get(f"{URL}{company.rep_a1.pk}/").status_code == 200


def test_the_administrator_creates_an_employee_with_roles_by_code(
    company: Company, admin_api: APIClient
) -> None:
    response = admin_api.post(URL, _new_employee(company), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert "password" not in body
    assert NEW_PASSWORD not in response.content.decode()
    created = Employee.objects.get(user__username="zhaomin")
    assert body["id"] == created.pk
    assert (body["username"], body["name"], body["department"]) == ("zhaomin", "赵敏", company.team_b.pk)
    assert body["roles"] == ["salesperson"]
    assert (body["status"], body["pinyin"], body["left_on"]) == ("active", "zm", None)
    assert created.user.check_password(NEW_PASSWORD)
    assert list(created.user.groups.values_list("name", flat=True)) == ["role:salesperson"]
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "zhaomin", "password": NEW_PASSWORD}, format="json"
    )
    assert token.status_code == 200


def test_a_duplicate_user_name_is_refused_whatever_its_case(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    with unchanged():
        response = admin_api.post(URL, _new_employee(company, username="REP_A1"), format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["登录名“REP_A1”已被使用。"]}


def test_an_employee_needs_an_initial_password(company: Company, admin_api: APIClient, unchanged) -> None:
    payload = _new_employee(company)
    del payload["password"]
    with unchanged():
        response = admin_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"password": ["请设置初始密码。"]}


def test_an_unknown_role_code_is_refused(company: Company, admin_api: APIClient, unchanged) -> None:
    with unchanged():
        response = admin_api.post(URL, _new_employee(company, roles=["boss"]), format="json")

    assert response.status_code == 400
    assert response.json() == {"roles": ["属性 code 为 boss 的对象不存在。"]}


def test_a_manager_cannot_create_employees(company: Company, api_client_for: ClientFor, unchanged) -> None:
    client = api_client_for(company.manager_a)
    with unchanged():
        response = client.post(URL, _new_employee(company, department=company.team_a.pk), format="json")

    assert response.status_code == 403
    assert response.json() == ROLE_REFUSED


def test_status_pinyin_and_leave_fields_cannot_be_set_on_create(
    company: Company, admin_api: APIClient
) -> None:
    forged = {
        "status": "left",
        "pinyin": "xxx",
        "path": "/1/",
        "left_on": "2020-01-01",
        "handed_over_to": company.rep_a1.pk,
    }
    response = admin_api.post(URL, _new_employee(company, **forged), format="json")

    assert response.status_code == 201, response.content
    created = Employee.objects.get(user__username="zhaomin")
    assert (created.status, created.pinyin, created.left_on, created.handed_over_to) == (
        "active",
        "zm",
        None,
        None,
    )
    assert created.user.is_active


def test_status_pinyin_and_leave_fields_cannot_be_changed_on_update(
    company: Company, admin_api: APIClient
) -> None:
    forged = {
        "status": "left",
        "pinyin": "xxx",
        "path": "/1/",
        "left_on": "2020-01-01",
        "handed_over_to": company.rep_a1.pk,
        "title": "高级业务员",
    }
    response = admin_api.patch(f"{URL}{company.rep_a2.pk}/", forged, format="json")

    assert response.status_code == 200, response.content
    rep = Employee.objects.get(pk=company.rep_a2.pk)
    assert (rep.status, rep.pinyin, rep.left_on, rep.handed_over_to, rep.title) == (
        "active",
        "cj",
        None,
        None,
        "高级业务员",
    )
    assert rep.user.is_active


def test_patch_changes_roles_by_code_and_keeps_what_was_not_sent(
    company: Company, admin_api: APIClient
) -> None:
    response = admin_api.patch(
        f"{URL}{company.rep_a2.pk}/", {"roles": ["salesperson", "sales_assistant"]}, format="json"
    )

    assert response.status_code == 200
    assert sorted(response.json()["roles"]) == ["sales_assistant", "salesperson"]
    rep = Employee.objects.get(pk=company.rep_a2.pk)
    assert (rep.name, rep.department_id) == ("陈静", company.team_a.pk)
    assert sorted(rep.user.groups.values_list("name", flat=True)) == [
        "role:sales_assistant",
        "role:salesperson",
    ]


def test_the_user_name_cannot_be_changed(company: Company, admin_api: APIClient, unchanged) -> None:
    with unchanged():
        response = admin_api.patch(f"{URL}{company.rep_a2.pk}/", {"username": "chenjing"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["登录名不能修改。"]}


def test_the_administrator_can_set_a_new_password_that_is_never_echoed(
    company: Company, admin_api: APIClient
) -> None:
    response = admin_api.patch(f"{URL}{company.rep_a2.pk}/", {"password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200
    assert "password" not in response.json()
    assert get_user_model().objects.get(pk=company.rep_a2.user_id).check_password(NEW_PASSWORD)


def test_leave_with_a_handover_colleague_marks_the_employee_left(
    company: Company, admin_api: APIClient
) -> None:
    response = admin_api.post(
        f"{URL}{company.rep_a2.pk}/leave/", {"handover_to": company.rep_a1.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "left"
    assert body["left_on"] == timezone.localdate().isoformat()
    assert body["handed_over_to"] == company.rep_a1.pk
    assert "password" not in body
    rep = Employee.objects.get(pk=company.rep_a2.pk)
    assert rep.status == EmployeeStatus.LEFT
    assert not rep.user.is_active
    failed = APIClient().post(
        "/api/v1/auth/token/", {"username": "rep_a2", "password": PASSWORD}, format="json"
    )
    assert failed.status_code == 400


def test_leave_without_handover_to_is_refused(company: Company, admin_api: APIClient, unchanged) -> None:
    with unchanged():
        response = admin_api.post(f"{URL}{company.rep_a2.pk}/leave/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"handover_to": ["该字段是必填项。"]}


def test_leave_handing_over_to_oneself_is_refused(company: Company, admin_api: APIClient, unchanged) -> None:
    with unchanged():
        response = admin_api.post(
            f"{URL}{company.rep_a2.pk}/leave/", {"handover_to": company.rep_a2.pk}, format="json"
        )

    assert response.status_code == 400
    assert response.json() == {"handover_to": ["请选择一位在职的其他员工作为交接人。"]}


def test_leaving_twice_is_a_409_invalid_state(company: Company, admin_api: APIClient, unchanged) -> None:
    url = f"{URL}{company.rep_a2.pk}/leave/"
    assert admin_api.post(url, {"handover_to": company.rep_a1.pk}, format="json").status_code == 200

    with unchanged():
        response = admin_api.post(url, {"handover_to": company.rep_a1.pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "陈静 已经离职。", "code": "invalid_state"}


def test_a_manager_cannot_make_someone_leave(company: Company, api_client_for: ClientFor, unchanged) -> None:
    client = api_client_for(company.manager_a)
    with unchanged():
        response = client.post(
            f"{URL}{company.rep_a2.pk}/leave/", {"handover_to": company.rep_a1.pk}, format="json"
        )

    assert response.status_code == 403
    assert response.json() == ROLE_REFUSED


def test_the_list_shows_left_employees_with_their_status(company: Company, admin_api: APIClient) -> None:
    admin_api.post(f"{URL}{company.rep_a2.pk}/leave/", {"handover_to": company.rep_a1.pk}, format="json")

    rows = admin_api.get(URL, {"status": "left"}).json()["results"]

    assert [(r["username"], r["status"]) for r in rows] == [("rep_a2", "left")]
    assert rows[0]["left_on"] == dt.date.isoformat(timezone.localdate())
