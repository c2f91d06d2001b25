"""Idempotency-Key on API POSTs (API.md; reliability.md 2.5 and R6, scaled for CI)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.api.idempotency import IdempotencyMiddleware
from maoyi.api.models import IdempotencyRecord
from maoyi.org import services as org_services
from maoyi.org.models import Department
from tests.api.conftest import ClientFor, Pending, token_client
from tests.conftest import Company
from tests.factories import make_employee

URL = "/api/v1/departments/"
REUSED = {"detail": "此 Idempotency-Key 已用于另一个请求。", "code": "idempotency_key_reused"}
MALFORMED = {
    "detail": "Idempotency-Key 格式无效（1–255 个可见 ASCII 字符）。",
    "code": "invalid_idempotency_key",
}


def _post(client: APIClient, key: str | None, body: dict[str, Any], url: str = URL) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(url, body, format="json", headers=headers)


def _is_replay_of(replay: Any, first: Any) -> bool:
    return (
        replay.status_code == first.status_code
        and replay.content == first.content
        and replay.get("Idempotent-Replayed") == "true"
    )


def test_a_retried_post_creates_one_record_and_replays_the_first_response_byte_for_byte(
    company: Company, admin_api: APIClient
) -> None:
    body = {"name": "华南区", "parent": company.sales.pk}

    first = _post(admin_api, "create-huanan-1", body)
    replay = _post(admin_api, "create-huanan-1", body)

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert _is_replay_of(replay, first)
    assert replay["Content-Type"] == first["Content-Type"]
    assert Department.objects.filter(name="华南区").count() == 1


def test_without_a_key_a_retry_is_processed_again(company: Company, admin_api: APIClient) -> None:
    body = {"name": "华南区", "parent": company.sales.pk}

    assert _post(admin_api, None, body).status_code == 201
    again = _post(admin_api, None, body)

    assert again.status_code == 400  # the service saw the duplicate: nothing was replayed
    assert "Idempotent-Replayed" not in again


def test_a_replayed_workflow_action_returns_the_first_answer_instead_of_invalid_state(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    manager = api_client_for(company.manager_a)
    url = f"/api/v1/approvals/{pending.request.pk}/approve/"

    first = _post(manager, "approve-once", {"comment": "同意"}, url)
    replay = _post(manager, "approve-once", {"comment": "同意"}, url)

    assert first.status_code == 200
    assert _is_replay_of(replay, first)
    assert pending.request.steps.filter(decision="approve").count() == 1


def test_the_same_key_with_a_different_body_gets_422_and_does_nothing(
    company: Company, admin_api: APIClient, unchanged
) -> None:
    assert _post(admin_api, "k-1", {"name": "华南区", "parent": company.sales.pk}).status_code == 201

    with unchanged():
        changed = _post(admin_api, "k-1", {"name": "华北区", "parent": company.sales.pk})
        other_path = _post(
            admin_api,
            "k-1",
            {"handover_to": company.rep_a1.pk},
            f"/api/v1/employees/{company.rep_a2.pk}/leave/",
        )

    for response in (changed, other_path):
        assert response.status_code == 422
        assert response.json() == REUSED


def test_the_same_key_from_another_user_is_processed_as_new_and_never_sees_the_first_response(
    company: Company, admin_api: APIClient, api_client_for: ClientFor
) -> None:
    second_admin = make_employee(company.root, "admin", username="admin2", name="副管理员")
    other = api_client_for(second_admin)

    first = _post(admin_api, "shared-key", {"name": "华南区", "parent": company.sales.pk})
    same_body = _post(other, "shared-key", {"name": "华南区", "parent": company.sales.pk})
    own_body = _post(other, "shared-key-2", {"name": "华北区", "parent": company.sales.pk})
    manager = _post(
        api_client_for(company.manager_a), "shared-key", {"name": "华南区", "parent": company.sales.pk}
    )

    assert first.status_code == 201
    # Processed afresh for admin2: the service refuses the duplicate name; no replay, no leak.
    assert same_body.status_code == 400
    assert same_body.json() == {"name": ["同一上级下已有名为“华南区”的部门。"]}
    assert "Idempotent-Replayed" not in same_body
    assert own_body.status_code == 201
    # Manager A may not create departments at all: the first user's 201 is not handed to them.
    assert manager.status_code == 403
    assert str(first.json()["id"]).encode() not in manager.content
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 3


def test_the_key_belongs_to_the_user_drf_acts_for_when_a_token_and_a_session_are_both_sent(
    company: Company,
) -> None:
    body = {"name": "华南区", "parent": company.sales.pk}
    both = token_client(company.admin)  # DRF authenticates the token first: it acts as admin
    both.force_login(company.manager_a.user)
    first = _post(both, "mixed", body)
    session_only = APIClient()
    session_only.force_login(company.manager_a.user)

    second = _post(session_only, "mixed", body)

    assert first.status_code == 201
    assert second.status_code == 403  # manager A's own request, not the admin's stored 201
    assert "Idempotent-Replayed" not in second
    stored = dict(IdempotencyRecord.objects.filter(key="mixed").values_list("user_id", "status_code"))
    assert stored == {company.admin.user_id: 201, company.manager_a.user_id: 403}


def test_a_different_key_from_the_same_user_is_a_new_request(company: Company, admin_api: APIClient) -> None:
    assert _post(admin_api, "a", {"name": "华南区", "parent": company.sales.pk}).status_code == 201
    second = _post(admin_api, "b", {"name": "华北区", "parent": company.sales.pk})

    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second


@pytest.mark.parametrize(
    "key",
    ["has space", "x" * 256, "x" * 300, "键", "tab\tin", ""],
    ids=["space", "256-chars", "300-chars", "non-ascii", "tab", "empty"],
)
def test_a_malformed_key_is_refused_with_400_and_nothing_happens(
    company: Company, admin_api: APIClient, unchanged, key: str
) -> None:
    with unchanged():
        response = _post(admin_api, key, {"name": "华南区", "parent": company.sales.pk})

    assert response.status_code == 400
    assert response.json() == MALFORMED


def test_a_key_of_255_visible_characters_is_accepted(company: Company, admin_api: APIClient) -> None:
    key = "~" + "K" * 253 + "!"
    body = {"name": "华南区", "parent": company.sales.pk}

    first = _post(admin_api, key, body)

    assert first.status_code == 201
    assert _is_replay_of(_post(admin_api, key, body), first)
    assert IdempotencyRecord.objects.get().key == key


def test_a_refused_first_response_is_replayed_as_is_even_when_a_retry_would_now_succeed(
    company: Company, admin_api: APIClient
) -> None:
    body = {"name": "渠道部", "parent": company.sales.pk}
    first = _post(admin_api, "dup", body)
    assert first.status_code == 400
    # The clash goes away; a fresh request would succeed, but the key's answer is fixed.
    admin_api.patch(f"{URL}{company.team_b.pk}/", {"name": "渠道一部"}, format="json")

    replay = _post(admin_api, "dup", body)

    assert _is_replay_of(replay, first)
    assert replay.json() == {"name": ["同一上级下已有名为“渠道部”的部门。"]}
    assert not Department.objects.filter(name="渠道部").exists()


def test_a_record_older_than_24_hours_is_not_replayed(company: Company, admin_api: APIClient) -> None:
    body = {"name": "华南区", "parent": company.sales.pk}
    first = _post(admin_api, "old", body)
    admin_api.patch(f"{URL}{first.json()['id']}/", {"name": "华南一区"}, format="json")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=24, seconds=1)
    )

    again = _post(admin_api, "old", body)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert Department.objects.filter(name="华南区").count() == 1
    assert IdempotencyRecord.objects.get(key="old").created_at > timezone.now() - dt.timedelta(minutes=1)


def test_a_record_younger_than_24_hours_is_still_replayed(company: Company, admin_api: APIClient) -> None:
    body = {"name": "华南区", "parent": company.sales.pk}
    first = _post(admin_api, "recent", body)
    IdempotencyRecord.objects.filter(key="recent").update(
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=59)
    )

    assert _is_replay_of(_post(admin_api, "recent", body), first)


def test_the_key_is_stored_in_the_same_transaction_as_the_write(
    company: Company, admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(**kwargs: Any) -> None:
        raise RuntimeError("the process died before the key was stored")

    monkeypatch.setattr(IdempotencyRecord.objects, "create", crash)
    admin_api.raise_request_exception = False

    response = _post(admin_api, "crash", {"name": "华南区", "parent": company.sales.pk})

    assert response.status_code == 500
    assert not Department.objects.filter(name="华南区").exists()  # neither the write nor the key
    monkeypatch.undo()
    retry = _post(admin_api, "crash", {"name": "华南区", "parent": company.sales.pk})
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry


def test_an_integrity_error_that_is_not_a_twins_lost_race_stays_a_500_and_stores_nothing(
    company: Company, admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise IntegrityError("a bug, not a concurrent twin")

    monkeypatch.setattr(org_services, "create_department", broken)
    admin_api.raise_request_exception = False

    response = _post(admin_api, "bug", {"name": "华南区", "parent": company.sales.pk})

    assert response.status_code == 500
    assert not IdempotencyRecord.objects.exists()


def test_gets_and_requests_without_a_user_ignore_the_key(company: Company, admin_api: APIClient) -> None:
    read = admin_api.get(URL, headers={"Idempotency-Key": "read"})
    anonymous = _post(APIClient(), "anon", {"name": "华南区", "parent": company.sales.pk})

    assert read.status_code == 200
    assert anonymous.status_code == 401
    assert not IdempotencyRecord.objects.exists()


# PostgreSQL: concurrent twins ----------------------------------------------------------------------

KEYS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_keys_each_sent_twice_at_once_create_fifty_departments(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_client(company.admin)  # the token exists before the threads start
    run = uuid.uuid4().hex[:8]
    keys = [f"r6-{run}-{n:03d}" for n in range(KEYS)]
    bodies = {key: {"name": f"并发部门{n:03d}", "parent": company.sales.pk} for n, key in enumerate(keys)}
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, list[Any]] = {key: [] for key in keys}
    errors: list[BaseException] = []
    lock = threading.Lock()
    lost_on_write = Counter[str]()
    handle = IdempotencyMiddleware.process_exception

    def spy(self: IdempotencyMiddleware, request: Any, exception: Exception) -> Any:
        answer = handle(self, request, exception)
        if answer is not None:  # the twin really overlapped: it hit the department's unique index
            with lock:
                lost_on_write["twins"] += 1
        return answer

    monkeypatch.setattr(IdempotencyMiddleware, "process_exception", spy)

    def worker() -> None:
        try:
            client = token_client(company.admin)
            client.raise_request_exception = False
            for key in keys:
                barrier.wait()  # both twins leave together
                response = _post(client, key, bodies[key])
                with lock:
                    results[key].append(response)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    outcomes = Counter[str]()
    for key in keys:
        originals = [r for r in results[key] if r.status_code == 201 and "Idempotent-Replayed" not in r]
        assert len(originals) == 1, (key, [(r.status_code, r.content) for r in results[key]])
        first = originals[0]
        twin = next(r for r in results[key] if r is not first)
        if twin.status_code == 409:
            assert twin.json()["code"] == "idempotency_in_progress"
            outcomes["409"] += 1
        else:
            assert _is_replay_of(twin, first), (key, twin.status_code, twin.content)
            outcomes["replayed"] += 1
        # Once more after completion: the stored first response, byte for byte.
        assert _is_replay_of(_post(token_client(company.admin), key, bodies[key]), first)
    names = Counter(Department.objects.filter(name__startswith="并发部门").values_list("name", flat=True))
    duplicates = sum(count - 1 for count in names.values())
    assert sorted(names) == sorted(body["name"] for body in bodies.values())
    assert duplicates == 0
    assert IdempotencyRecord.objects.filter(key__startswith=f"r6-{run}-").count() == KEYS
    print(f"\nFIGURE idempotency_keys={KEYS} duplicates={duplicates}")
    print(
        f"FIGURE idempotency_twins_replayed={outcomes['replayed']} twins_409={outcomes['409']} "
        f"twins_lost_race_on_write={lost_on_write['twins']}"
    )
