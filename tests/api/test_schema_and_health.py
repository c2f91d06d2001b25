"""OpenAPI schema (valid, complete), Swagger UI served from our own static files, /healthz."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

EXPECTED_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/departments/",
    "/api/v1/departments/{id}/",
    "/api/v1/employees/",
    "/api/v1/employees/{id}/",
    "/api/v1/employees/{id}/leave/",
    "/api/v1/approvals/",
    "/api/v1/approvals/{id}/",
    "/api/v1/approvals/{id}/approve/",
    "/api/v1/approvals/{id}/reject/",
]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The schema as the public endpoint serves it (no login needed)."""
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    data: dict[str, Any] = response.json()
    return data


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _request_schema(schema: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    body = schema["paths"][path][method]["requestBody"]
    return _resolve(schema, body["content"]["application/json"]["schema"])


def _response_schema(schema: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return _resolve(schema, content["schema"])


@pytest.mark.django_db
def test_the_schema_documents_every_endpoint(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    missing = [path for path in EXPECTED_PATHS if path not in schema["paths"]]
    assert missing == []


@pytest.mark.django_db
def test_the_served_schema_is_valid_openapi_3(schema: dict[str, Any]) -> None:
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


@pytest.mark.django_db
def test_generating_the_schema_gives_no_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=StringIO())

    assert out.read_text(encoding="utf-8").startswith("openapi: 3")
    validate_schema(SchemaGenerator().get_schema(request=None, public=True))


@pytest.mark.django_db
def test_the_mine_parameter_is_documented_with_its_values(schema: dict[str, Any]) -> None:
    params = {p["name"]: p for p in schema["paths"]["/api/v1/approvals/"]["get"]["parameters"]}

    assert params["mine"]["in"] == "query"
    assert sorted(params["mine"]["schema"]["enum"]) == ["decided", "pending", "submitted"]
    assert {"page", "page_size", "status", "search"} <= set(params)


@pytest.mark.django_db
def test_list_endpoints_document_pagination_search_and_ordering(schema: dict[str, Any]) -> None:
    for path in ("/api/v1/departments/", "/api/v1/employees/"):
        params = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size", "search", "ordering"} <= params, path
        page = _response_schema(schema, path, "get", "200")
        assert {"count", "next", "previous", "results"} <= set(page["properties"]), path


@pytest.mark.django_db
def test_actions_document_their_request_and_response_bodies(schema: dict[str, Any]) -> None:
    token_in = _request_schema(schema, "/api/v1/auth/token/")
    token_out = _response_schema(schema, "/api/v1/auth/token/", "post", "200")
    reject = _request_schema(schema, "/api/v1/approvals/{id}/reject/")
    approve = _request_schema(schema, "/api/v1/approvals/{id}/approve/")
    leave = _request_schema(schema, "/api/v1/employees/{id}/leave/")

    assert sorted(token_in["required"]) == ["password", "username"]
    assert token_out["required"] == ["token"]
    assert reject["required"] == ["reason"]
    assert "comment" in approve["properties"]
    assert leave["required"] == ["handover_to"]
    for path in ("/api/v1/approvals/{id}/approve/", "/api/v1/approvals/{id}/reject/"):
        assert "status" in _response_schema(schema, path, "post", "200")["properties"]
    assert "status" in _response_schema(schema, "/api/v1/employees/{id}/leave/", "post", "200")["properties"]


@pytest.mark.django_db
def test_refusals_are_documented(schema: dict[str, Any]) -> None:
    approve = schema["paths"]["/api/v1/approvals/{id}/approve/"]["post"]["responses"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    leave = schema["paths"]["/api/v1/employees/{id}/leave/"]["post"]["responses"]

    assert {"200", "404", "409"} <= set(approve)
    assert {"200", "400", "429"} <= set(token)
    assert {"200", "400", "404", "409"} <= set(leave)


@pytest.mark.django_db
def test_the_employee_password_is_write_only_in_the_schema(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert "password" not in components["Employee"]["properties"]
    assert "password" in components["EmployeeRequest"]["properties"]
    for read_only in ("id", "pinyin", "status", "left_on", "handed_over_to"):
        assert components["Employee"]["properties"][read_only].get("readOnly") is True
        assert read_only not in components["EmployeeRequest"]["properties"]
    assert "path" not in components["DepartmentRequest"]["properties"]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)


def test_swagger_ui_loads_its_assets_from_our_static_files_only(db: None) -> None:
    client = APIClient()
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)
    assert parser.urls, "Swagger UI page references no assets"
    assert all(url.startswith("/static/") for url in parser.urls), parser.urls
    assert not re.search(r"""(src|href|url)\s*[=:(]\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert any(url.endswith("swagger-ui-bundle.js") for url in parser.urls)
    for url in parser.urls:  # and they are really there
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()


def test_healthz_answers_ok_without_login(db: None) -> None:
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> Any:
        raise RuntimeError("database unavailable")

    client = APIClient()
    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connection, "cursor", down)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
