"""Security headers on pages, the API, static files and downloads, and the login lock shared by the
login page and the API token endpoint.

The Content-Security-Policy (settings.MAOYI_CSP, added by
maoyi.web.middleware.ContentSecurityPolicyMiddleware to every response):
    default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval';
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:;
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self';
    frame-ancestors 'none'
Decisions: every asset is vendored (static/vendor/), so nothing may come from another origin.
Alpine.js's standard build compiles x-data/@click expressions with `new Function`, hence
'unsafe-eval' (its CSP build would need every component registered in JS); the pages still carry
inline <script> blocks (the line grids) and on…= confirm/print handlers, hence 'unsafe-inline' for
scripts — moving them to static files with a nonce is the next step, after which 'unsafe-inline'
goes. htmx 2 and ECharts need nothing more. Verified with the browser tours
(tests/browser/test_platform_tour.py, test_sales_tour.py, test_dashboard_tour.py) under the policy.
The other headers: X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy
same-origin, Cross-Origin-Opener-Policy same-origin.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from maoyi.attachments import services as attachments
from tests.api.conftest import token_client
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] for p in parts}


def assert_hardened(response: Any) -> None:
    assert policy(response) == DIRECTIVES
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_policy_is_the_documented_one() -> None:
    assert "; ".join(f"{k} {v}" for k, v in DIRECTIVES.items()) == settings.MAOYI_CSP


def test_the_login_page_and_a_logged_in_page_carry_every_header(company: Company, client_for: Any) -> None:
    login = Client().get(reverse("web:login"))
    assert login.status_code == 200
    assert_hardened(login)
    home = client_for(company.rep_a1).get(reverse("web:home"))
    assert home.status_code == 200
    assert_hardened(home)
    redirect = Client().get(reverse("web:home"))
    assert redirect.status_code == 302
    assert_hardened(redirect)


def test_the_pages_load_no_script_or_style_from_another_origin(company: Company, client_for: Any) -> None:
    html = client_for(company.admin).get(reverse("web:home")).content.decode()
    assert 'src="http' not in html
    assert 'href="http' not in html.replace('href="http://www.w3.org', "")


def test_the_api_and_its_errors_carry_every_header(company: Company) -> None:
    ok = token_client(company.rep_a1).get("/api/v1/customers/")
    assert ok.status_code == 200
    assert_hardened(ok)
    anonymous = APIClient().get("/api/v1/customers/")
    assert anonymous.status_code == 401
    assert_hardened(anonymous)
    schema = APIClient().get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert_hardened(schema)


def test_static_files_and_downloads_carry_the_policy(company: Company, client_for: Any) -> None:
    static = Client().get(settings.STATIC_URL + "maoyi/maoyi.js")
    assert static.status_code == 200
    assert policy(static) == DIRECTIVES
    assert static["X-Content-Type-Options"] == "nosniff"

    customer = make_customer(company.rep_a1, "北京协和医院")
    file = SimpleUploadedFile("说明.txt", b"<script>alert(1)</script>")
    attachment = attachments.upload_attachment(actor=company.rep_a1, record=customer, upload=file)
    # A download keeps its own, stricter policy: nothing runs even if a browser rendered it.
    for download in (
        client_for(company.rep_a1).get(reverse("web:attachment-download", args=[attachment.pk])),
        token_client(company.rep_a1).get(f"/api/v1/attachments/{attachment.pk}/download/"),
    ):
        assert download.status_code == 200
        assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert download["Content-Type"] == "text/plain"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["X-Frame-Options"] == "DENY"


def test_failures_on_the_login_page_lock_the_api_token_too(company: Company) -> None:
    """One lock for both doors: N wrong passwords on the page, then the right one on the API."""
    page = Client()
    for _attempt in range(settings.MAOYI_LOCKOUT_FAILURES):
        response = page.post(reverse("web:login"), {"username": "rep_a1", "password": "wrong-password"})
        assert response.status_code == 400
    locked = APIClient().post(
        "/api/v1/auth/token/", {"username": "rep_a1", "password": PASSWORD}, format="json"
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked"


def test_failures_on_the_api_token_lock_the_login_page_too(company: Company) -> None:
    api = APIClient()
    for _attempt in range(settings.MAOYI_LOCKOUT_FAILURES):
        response = api.post("/api/v1/auth/token/", {"username": "rep_a2", "password": "wrong"}, format="json")
        assert response.status_code == 400
    page = Client()
    response = page.post(reverse("web:login"), {"username": "rep_a2", "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in page.session
