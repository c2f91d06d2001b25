"""POST /api/v1/auth/token/ (lockout, left employees), token and session authentication."""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maoyi.org import services as org
from maoyi.org.models import Department, Employee
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
WRONG = "not-the-password-1"


def _login_failed() -> dict[str, str]:
    return {"detail": "用户名或密码不正确。", "code": "login_failed"}


def test_a_correct_username_and_password_return_a_token_that_authenticates(company: Company) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "rep_a1", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=company.rep_a1.user).key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/approvals/").status_code == 200


def test_asking_twice_returns_the_same_token(company: Company) -> None:
    first = APIClient().post(TOKEN_URL, {"username": "rep_a1", "password": PASSWORD}, format="json")
    second = APIClient().post(TOKEN_URL, {"username": "rep_a1", "password": PASSWORD}, format="json")

    assert first.json() == second.json()
    assert Token.objects.filter(user=company.rep_a1.user).count() == 1


def test_a_wrong_password_is_refused_with_400_and_the_login_failed_code(company: Company) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "rep_a1", "password": WRONG}, format="json")

    assert response.status_code == 400
    assert response.json() == _login_failed()
    assert not Token.objects.exists()


def test_an_unknown_user_name_gets_the_same_answer_as_a_wrong_password(company: Company) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "nobody", "password": WRONG}, format="json")

    assert response.status_code == 400
    assert response.json() == _login_failed()


def test_a_token_request_without_a_password_is_refused_in_drf_shape(company: Company) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "rep_a1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"password": ["该字段是必填项。"]}


def test_after_the_allowed_failures_the_account_is_locked_with_429_even_for_the_right_password(
    company: Company,
) -> None:
    limit = settings.MAOYI_LOCKOUT_FAILURES
    client = APIClient()
    for _attempt in range(limit):
        failed = client.post(TOKEN_URL, {"username": "rep_a1", "password": WRONG}, format="json")
        assert failed.status_code == 400
        assert failed.json() == _login_failed()

    locked = client.post(TOKEN_URL, {"username": "rep_a1", "password": PASSWORD}, format="json")

    assert locked.status_code == 429
    minutes = settings.MAOYI_LOCKOUT_MINUTES
    assert locked.json() == {
        "detail": f"该账号登录失败次数过多，已被锁定，请 {minutes} 分钟后再试或联系管理员。",
        "code": "locked",
    }
    assert not Token.objects.exists()
    # Another account from the same address is not affected by rep_a1's lock.
    other = client.post(TOKEN_URL, {"username": "rep_a2", "password": PASSWORD}, format="json")
    assert other.status_code == 200


def test_the_lock_is_per_user_name_whatever_its_case(company: Company) -> None:
    client = APIClient()
    for _attempt in range(settings.MAOYI_LOCKOUT_FAILURES):
        client.post(TOKEN_URL, {"username": "REP_A1", "password": WRONG}, format="json")

    locked = client.post(TOKEN_URL, {"username": "rep_a1", "password": PASSWORD}, format="json")

    assert locked.status_code == 429
    assert locked.json()["code"] == "locked"


def test_a_left_employee_cannot_obtain_a_token(company: Company) -> None:
    org.leave_employee(company.rep_a2, actor=company.admin, handover_to=company.rep_a1)

    response = APIClient().post(TOKEN_URL, {"username": "rep_a2", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "该账号已停用（员工已离职），不能登录。", "code": "account_disabled"}
    assert not Token.objects.filter(user=company.rep_a2.user).exists()


def test_a_token_stops_working_at_once_when_its_employee_leaves(
    company: Company, api_client_for: ClientFor
) -> None:
    rep = api_client_for(company.rep_a2)
    assert rep.get("/api/v1/approvals/").status_code == 200

    left = api_client_for(company.admin).post(
        f"/api/v1/employees/{company.rep_a2.pk}/leave/", {"handover_to": company.rep_a1.pk}, format="json"
    )
    assert left.status_code == 200

    response = rep.get("/api/v1/approvals/")
    assert response.status_code == 401
    assert response.json() == {"detail": "认证令牌无效。", "code": "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"


def test_a_surviving_token_of_an_employee_marked_left_is_refused(
    company: Company, api_client_for: ClientFor
) -> None:
    # Defence in depth: even if a token outlived the leave (e.g. restored from a backup), the
    # authentication class refuses it because the employee is no longer active.
    rep = api_client_for(company.rep_a2)
    Employee.objects.filter(pk=company.rep_a2.pk).update(status="left")

    response = rep.get("/api/v1/approvals/")

    assert response.status_code == 401
    assert response.json() == {"detail": "该账号已停用（员工已离职）。", "code": "authentication_failed"}


def test_an_unknown_token_is_refused_with_401(company: Company) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get("/api/v1/departments/")

    assert response.status_code == 401
    assert response.json() == {"detail": "认证令牌无效。", "code": "authentication_failed"}


def _session_client(username: str) -> APIClient:
    """A browser-like client: a real session login (password checked, session cookie set; not
    force_authenticate, which would skip CSRF) and CSRF checks enforced as in production."""
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=username, password=PASSWORD)
    client.cookies["csrftoken"] = _get_new_csrf_string()  # what the pages hand the browser
    return client


def test_a_session_login_works_for_reads(company: Company) -> None:
    client = _session_client("admin")

    response = client.get("/api/v1/departments/")

    assert response.status_code == 200
    assert response.json()["count"] == Department.objects.count()


def test_a_session_post_without_the_csrf_token_is_refused_and_creates_nothing(
    company: Company, unchanged
) -> None:
    client = _session_client("admin")

    with unchanged():
        response = client.post(
            "/api/v1/departments/", {"name": "华南区", "parent": company.sales.pk}, format="json"
        )

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF token missing.", "code": "permission_denied"}


def test_a_session_post_with_the_csrf_token_is_accepted(company: Company) -> None:
    client = _session_client("admin")

    response = client.post(
        "/api/v1/departments/",
        {"name": "华南区", "parent": company.sales.pk},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )

    assert response.status_code == 201
    assert Department.objects.filter(name="华南区", parent=company.sales).exists()
