"""/api/v1/departments/: pagination, search, ordering, data scope, writes by the administrator."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from maoyi.org.models import Department
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.factories import make_department

URL = "/api/v1/departments/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}


def _names(response: Any) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_the_list_is_paginated_in_the_api_md_shape(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get(URL, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 6
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert body["next"].endswith(f"{URL}?page=2&page_size=2")
    assert set(body["results"][0]) >= {"id", "name", "parent"}


def test_page_size_is_capped_at_200(company: Company, admin_api: APIClient) -> None:
    for n in range(200):
        make_department(f"片区{n:03d}", company.sales)

    response = admin_api.get(URL, {"page_size": 1000})

    assert response.status_code == 200
    assert response.json()["count"] == 206
    assert len(response.json()["results"]) == 200
    assert response.json()["next"] is not None
    assert len(admin_api.get(URL, {"page_size": 1000, "page": 2}).json()["results"]) == 6


def test_search_matches_the_name(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get(URL, {"search": "渠道"})

    assert _names(response) == ["渠道部"]


def test_ordering_follows_the_query(company: Company, admin_api: APIClient) -> None:
    by_path = _names(admin_api.get(URL))
    by_name_desc = _names(admin_api.get(URL, {"ordering": "-name"}))

    assert by_path == list(Department.objects.order_by("path").values_list("name", flat=True))
    assert by_name_desc == list(Department.objects.order_by("-name").values_list("name", flat=True))
    assert by_name_desc != by_path


def test_a_manager_sees_their_department_and_below_only(company: Company, api_client_for: ClientFor) -> None:
    team_manager = api_client_for(company.manager_a).get(URL)
    head = api_client_for(company.sales_head).get(URL)

    assert _names(team_manager) == ["终端客户部"]
    assert sorted(_names(head)) == sorted(["业务部", "终端客户部", "渠道部"])


def test_a_department_outside_the_scope_is_404_exactly_like_a_missing_one(
    company: Company, api_client_for: ClientFor
) -> None:
    client = api_client_for(company.manager_a)

    outside = client.get(f"{URL}{company.team_b.pk}/")
    missing = client.get(f"{URL}999999/")

    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json() == NOT_FOUND


def test_a_salesperson_may_not_list_departments(company: Company, api_client_for: ClientFor) -> None:
    response = api_client_for(company.rep_a1).get(URL)

    assert response.status_code == 403
    assert response.json() == ROLE_REFUSED


def test_the_administrator_creates_a_department_with_its_path_computed(
    company: Company, admin_api: APIClient
) -> None:
    response = admin_api.post(URL, {"name": " 华南区 ", "parent": company.sales.pk}, format="json")

    assert response.status_code == 201
    created = Department.objects.get(name="华南区")
    assert response.json() == {
        "id": created.pk,
        "version": 1,
        "name": "华南区",
        "name_en": "",
        "parent": company.sales.pk,
        "path": f"{company.sales.path}{created.pk}/",
        "sort_order": 0,
        "is_active": True,
    }


def test_a_manager_with_only_view_permission_cannot_create_a_department(
    company: Company, api_client_for: ClientFor, unchanged
) -> None:
    client = api_client_for(company.manager_a)
    with unchanged():
        response = client.post(URL, {"name": "华南区", "parent": company.team_a.pk}, format="json")

    assert response.status_code == 403
    assert response.json() == ROLE_REFUSED


def test_a_duplicate_name_under_the_same_parent_is_refused_as_input(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    with unchanged():
        response = admin_api.post(URL, {"name": "渠道部", "parent": company.sales.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["同一上级下已有名为“渠道部”的部门。"]}


def test_a_department_cannot_move_under_its_own_descendant(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    with unchanged():
        response = admin_api.patch(f"{URL}{company.sales.pk}/", {"parent": company.team_a.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"parent": ["不能把部门移到它自己或它的下级部门之下。"]}


def test_renaming_with_patch_keeps_the_other_fields(company: Company, admin_api: APIClient) -> None:
    response = admin_api.patch(f"{URL}{company.team_b.pk}/", {"name": "渠道一部"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "渠道一部"
    assert response.json()["parent"] == company.sales.pk
    company.team_b.refresh_from_db()
    assert (company.team_b.name, company.team_b.parent_id) == ("渠道一部", company.sales.pk)


def test_moving_a_department_rewrites_its_path(company: Company, admin_api: APIClient) -> None:
    response = admin_api.patch(f"{URL}{company.team_b.pk}/", {"parent": company.root.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["path"] == f"{company.root.path}{company.team_b.pk}/"


def test_a_client_supplied_path_is_ignored_on_create_and_update(
    company: Company, admin_api: APIClient
) -> None:
    created = admin_api.post(
        URL, {"name": "华南区", "parent": company.sales.pk, "path": "/1/"}, format="json"
    )
    pk = created.json()["id"]
    patched = admin_api.patch(f"{URL}{pk}/", {"path": "/1/"}, format="json")

    expected = f"{company.sales.path}{pk}/"
    assert created.json()["path"] == patched.json()["path"] == expected
    assert Department.objects.get(pk=pk).path == expected


def test_a_department_with_active_employees_cannot_be_switched_off(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    with unchanged():
        response = admin_api.patch(f"{URL}{company.team_a.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 400
    assert response.json() == {"is_active": ["部门（或其下级部门）还有在职员工，不能停用。"]}


def test_departments_cannot_be_deleted_through_the_api(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    with unchanged():
        response = admin_api.delete(f"{URL}{company.team_b.pk}/")

    assert response.status_code == 405
    assert response.json() == {"detail": "方法 “DELETE” 不被允许。", "code": "method_not_allowed"}
