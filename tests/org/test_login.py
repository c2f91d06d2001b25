"""Login brute force (R11): the user name locks after exactly N failures, the address after its own
limit, a lock runs out after the window, left employees are told their account is disabled, and
concurrent guesses cannot get past N."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.conf import LazySettings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maoyi.org import services as org
from maoyi.org.models import Employee, LoginThrottle
from maoyi.org.services import LoginRefused, authenticate_login
from tests.conftest import Company, build_company
from tests.factories import PASSWORD

ADDRESS = "192.0.2.10"
WRONG = "not-the-password"
USER_LOCKED = "该账号登录失败次数过多，已被锁定，请 15 分钟后再试或联系管理员。"
ADDRESS_LOCKED = "此地址登录失败次数过多，已被锁定，请 15 分钟后再试。"
BAD_CREDENTIALS = "用户名或密码不正确。"
DISABLED = "该账号已停用（员工已离职），不能登录。"


def attempt(username: str, password: str, address: str = ADDRESS) -> Any:
    return authenticate_login(username=username, password=password, address=address)


def refused(username: str, password: str, address: str = ADDRESS) -> LoginRefused:
    with pytest.raises(LoginRefused) as info:
        attempt(username, password, address)
    return info.value


def user_row(username: str) -> LoginThrottle:
    return LoginThrottle.objects.get(kind=LoginThrottle.Kind.USER, key=username.lower())


def test_the_correct_password_logs_in(company: Company) -> None:
    user = attempt("rep_a1", PASSWORD)

    assert user == company.rep_a1.user


@pytest.mark.parametrize("limit", [5, 3])
def test_the_user_locks_after_exactly_n_wrong_passwords_and_refuses_even_the_right_one(
    company: Company, settings: LazySettings, limit: int
) -> None:
    settings.MAOYI_LOCKOUT_FAILURES = limit
    for _ in range(limit):
        error = refused("rep_a1", WRONG)
        assert (error.code, error.message) == ("login_failed", BAD_CREDENTIALS)

    error = refused("rep_a1", PASSWORD)

    assert (error.code, error.message) == ("locked", USER_LOCKED)
    row = user_row("rep_a1")
    assert row.failures == limit
    assert row.locked_until is not None
    assert row.locked_until > timezone.now() + dt.timedelta(minutes=14)
    assert row.locked_until <= timezone.now() + dt.timedelta(minutes=15)


def test_the_lock_message_follows_the_configured_minutes(company: Company, settings: LazySettings) -> None:
    settings.MAOYI_LOCKOUT_FAILURES = 1
    settings.MAOYI_LOCKOUT_MINUTES = 30
    refused("rep_a1", WRONG)

    error = refused("rep_a1", PASSWORD)

    assert error.message == "该账号登录失败次数过多，已被锁定，请 30 分钟后再试或联系管理员。"


def test_one_failure_less_than_the_limit_does_not_lock(company: Company) -> None:
    for _ in range(4):
        refused("rep_a1", WRONG)

    assert attempt("rep_a1", PASSWORD) == company.rep_a1.user


def test_the_lock_is_per_user_name_whatever_its_case(company: Company) -> None:
    for name in ("REP_A1", "Rep_A1", "rep_a1", "rEp_a1", " rep_a1"):
        refused(name, WRONG)

    assert refused("rep_a1", PASSWORD).code == "locked"
    assert attempt("rep_a2", PASSWORD) == company.rep_a2.user  # another user is not affected


def test_the_lock_runs_out_after_the_window(company: Company) -> None:
    for _ in range(5):
        refused("rep_a1", WRONG)
    assert refused("rep_a1", PASSWORD).code == "locked"

    LoginThrottle.objects.filter(kind=LoginThrottle.Kind.USER, key="rep_a1").update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )

    assert attempt("rep_a1", PASSWORD) == company.rep_a1.user
    row = user_row("rep_a1")
    assert (row.failures, row.locked_until) == (0, None)


def test_failures_older_than_the_window_are_forgotten(company: Company) -> None:
    for _ in range(4):
        refused("rep_a1", WRONG)
    LoginThrottle.objects.filter(kind=LoginThrottle.Kind.USER, key="rep_a1").update(
        last_failure_at=timezone.now() - dt.timedelta(minutes=16)
    )

    for _ in range(4):
        assert refused("rep_a1", WRONG).code == "login_failed"

    assert user_row("rep_a1").failures == 4
    assert attempt("rep_a1", PASSWORD) == company.rep_a1.user


def test_a_success_resets_the_user_counter(company: Company) -> None:
    for _ in range(4):
        refused("rep_a1", WRONG)

    attempt("rep_a1", PASSWORD)

    assert user_row("rep_a1").failures == 0
    for _ in range(4):
        assert refused("rep_a1", WRONG).code == "login_failed"
    assert attempt("rep_a1", PASSWORD) == company.rep_a1.user


def test_the_address_locks_after_its_limit_across_different_user_names(
    company: Company, settings: LazySettings
) -> None:
    settings.MAOYI_LOCKOUT_ADDRESS_FAILURES = 6
    for n in range(6):
        error = refused(f"guess{n}", WRONG)
        assert (error.code, error.message) == ("login_failed", BAD_CREDENTIALS)

    error = refused("rep_a1", PASSWORD)

    assert (error.code, error.message) == ("locked", ADDRESS_LOCKED)
    address = LoginThrottle.objects.get(kind=LoginThrottle.Kind.ADDRESS, key=ADDRESS)
    assert address.failures == 6
    assert address.locked_until is not None
    assert not LoginThrottle.objects.filter(kind=LoginThrottle.Kind.USER, key="rep_a1").exists()
    assert attempt("rep_a1", PASSWORD, address="192.0.2.99") == company.rep_a1.user


def test_the_default_address_limit_is_twenty(company: Company) -> None:
    for n in range(20):
        refused(f"guess{n}", WRONG)

    assert refused("rep_a1", PASSWORD).code == "locked"


def test_successful_logins_do_not_use_up_the_address_limit(company: Company, settings: LazySettings) -> None:
    settings.MAOYI_LOCKOUT_ADDRESS_FAILURES = 3
    for _ in range(10):
        attempt("rep_a1", PASSWORD)

    assert LoginThrottle.objects.get(kind=LoginThrottle.Kind.ADDRESS, key=ADDRESS).failures == 0


def test_a_left_employee_is_told_the_account_is_disabled(company: Company) -> None:
    org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_a2)

    error = refused("rep_a1", PASSWORD)
    assert (error.code, error.message) == ("account_disabled", DISABLED)
    wrong = refused("rep_a1", WRONG)
    assert (wrong.code, wrong.message) == ("login_failed", BAD_CREDENTIALS)


# Through the login page -----------------------------------------------------------------------------


def post_login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_the_login_page_shows_the_refusal_with_status_400(company: Company) -> None:
    client = Client()

    response = post_login(client, "rep_a1", WRONG)

    assert response.status_code == 400
    assert BAD_CREDENTIALS in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_shows_the_lock_after_n_failures(company: Company) -> None:
    client = Client()
    for _ in range(5):
        assert post_login(client, "rep_a1", WRONG).status_code == 400

    response = post_login(client, "rep_a1", PASSWORD)

    assert response.status_code == 400
    assert USER_LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_tells_a_left_employee_the_account_is_disabled(company: Company) -> None:
    org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_a2)
    client = Client()

    response = post_login(client, "rep_a1", PASSWORD)

    assert response.status_code == 400
    assert DISABLED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_logs_in_with_the_right_password(company: Company) -> None:
    client = Client()

    response = post_login(client, "rep_a1", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(company.rep_a1.user_id)


# Concurrency ----------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_evaluate_exactly_n_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    company = build_company()
    attempts = 20
    limit = 5
    checked = 0
    lock = threading.Lock()
    real_authenticate = org.authenticate

    def counting_authenticate(*args: Any, **kwargs: Any) -> Any:
        nonlocal checked
        with lock:
            checked += 1
        return real_authenticate(*args, **kwargs)

    monkeypatch.setattr(org, "authenticate", counting_authenticate)
    barrier = threading.Barrier(attempts)
    codes: list[str] = []
    errors: list[BaseException] = []

    def guess(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(company.rep_a1.user.username, WRONG, address=f"198.51.100.{n}")
        except LoginRefused as exc:
            with lock:
                codes.append(exc.code)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    print(f"FIGURE login_concurrent_attempts={attempts} password_checks={checked} limit={limit}")
    assert errors == []
    assert sorted(codes) == sorted(["login_failed"] * limit + ["locked"] * (attempts - limit))
    assert checked == limit
    row = user_row("rep_a1")
    assert row.failures == limit
    assert row.locked_until is not None
    assert Employee.objects.get(pk=company.rep_a1.pk).user.is_active
