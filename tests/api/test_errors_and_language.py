"""Error shapes and language: Accept-Language picks the messages (zh-hans default), 401 without
credentials (never a redirect to the login page), 404 JSON for unknown ids."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils.translation import gettext, override
from rest_framework.test import APIClient

from tests.api.conftest import ClientFor, Pending
from tests.conftest import Company

NOT_APPROVER_MSGID = "您不是这张单据的审批人。"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def has_catalogue(language: str, msgid: str = NOT_APPROVER_MSGID) -> bool:
    """True once a message catalogue translates our (Chinese) msgids into `language`."""
    with override(language):
        return gettext(msgid) != msgid


def _approve_as_non_approver(company: Company, pending: Pending, client: APIClient, **headers: str) -> Any:
    return client.post(f"/api/v1/approvals/{pending.request.pk}/approve/", {}, format="json", headers=headers)


def test_business_refusals_are_in_chinese_by_default(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    response = _approve_as_non_approver(company, pending, api_client_for(company.sales_head))

    assert response.status_code == 409
    assert response.json() == {"detail": "您不是这张单据的审批人。", "code": "not_approver"}
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("header", ["zh-hans", "zh-CN,zh;q=0.9", "fr-FR,fr;q=0.9"])
def test_chinese_requests_and_unsupported_languages_get_chinese(
    company: Company, pending: Pending, api_client_for: ClientFor, header: str
) -> None:
    response = _approve_as_non_approver(
        company, pending, api_client_for(company.sales_head), **{"Accept-Language": header}
    )

    assert response.json() == {"detail": "您不是这张单据的审批人。", "code": "not_approver"}
    assert response["Content-Language"] == "zh-hans"


def test_an_english_request_gets_content_language_en_and_the_same_code(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    response = _approve_as_non_approver(
        company, pending, api_client_for(company.sales_head), **{"Accept-Language": "en-US,en;q=0.9"}
    )

    assert response.status_code == 409
    assert response["Content-Language"] == "en"
    assert response.json()["code"] == "not_approver"


def test_framework_messages_already_follow_an_english_request(company: Company) -> None:
    response = APIClient().get("/api/v1/departments/", headers={"Accept-Language": "en"})

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_business_messages_are_english_once_the_english_catalogue_exists(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    if not has_catalogue("en"):
        pytest.skip("no English catalogue for Maoyi's messages yet (src/maoyi/locale/en)")
    response = _approve_as_non_approver(
        company, pending, api_client_for(company.sales_head), **{"Accept-Language": "en"}
    )

    with override("en"):
        expected = gettext(NOT_APPROVER_MSGID)
    assert response.json() == {"detail": expected, "code": "not_approver"}
    assert not CJK.search(expected)


def test_the_idempotency_refusal_follows_the_language_too(company: Company, admin_api: APIClient) -> None:
    zh = admin_api.post("/api/v1/departments/", {}, format="json", headers={"Idempotency-Key": "bad key"})
    en = admin_api.post(
        "/api/v1/departments/",
        {},
        format="json",
        headers={"Idempotency-Key": "bad key", "Accept-Language": "en"},
    )

    assert zh.json() == {
        "detail": "Idempotency-Key 格式无效（1–255 个可见 ASCII 字符）。",
        "code": "invalid_idempotency_key",
    }
    assert (zh["Content-Language"], en["Content-Language"]) == ("zh-hans", "en")
    assert en.json()["code"] == "invalid_idempotency_key"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/"),
        ("get", "/api/v1/departments/"),
        ("get", "/api/v1/employees/1/"),
        ("get", "/api/v1/approvals/?mine=pending"),
        ("post", "/api/v1/departments/"),
        ("post", "/api/v1/employees/1/leave/"),
        ("post", "/api/v1/approvals/1/approve/"),
    ],
)
def test_without_credentials_the_api_answers_401_json_not_a_login_redirect(
    company: Company, method: str, path: str
) -> None:
    response = getattr(APIClient(), method)(path)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "身份认证信息未提供。", "code": "not_authenticated"}
    assert response["WWW-Authenticate"] == "Token"
    assert "Location" not in response


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/departments/999999/"),
        ("patch", "/api/v1/departments/999999/"),
        ("get", "/api/v1/employees/999999/"),
        ("post", "/api/v1/employees/999999/leave/"),
        ("get", "/api/v1/approvals/999999/"),
        ("post", "/api/v1/approvals/999999/approve/"),
        ("post", "/api/v1/approvals/999999/reject/"),
    ],
)
def test_an_unknown_id_is_a_404_json(company: Company, admin_api: APIClient, method: str, path: str) -> None:
    response = getattr(admin_api, method)(
        path, {"reason": "x", "handover_to": company.rep_a1.pk}, format="json"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_a_page_past_the_end_is_a_404_json(company: Company, admin_api: APIClient) -> None:
    response = admin_api.get("/api/v1/departments/", {"page": 99})

    assert response.status_code == 404
    assert response.json() == {"detail": "无效页面。", "code": "not_found"}


def test_malformed_json_is_a_400_parse_error(company: Company, admin_api: APIClient) -> None:
    response = admin_api.post("/api/v1/departments/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].startswith("JSON parse error")  # DRF has no Chinese for this one
