"""Schemathesis against the served OpenAPI schema (`/api/schema/`), in process.

Every operation of the schema is called with bounded, derandomized examples (hypothesis seeded by
the test, no shrinking, no example database, no deadline) by three identities of the demo company:
the administrator, a salesperson (张伟) and a finance clerk (徐婷). Operations on one record
(`/{id}/`) get half their examples with the id of a record the identity can see (found through the
list operation), so the fuzzing reaches the serializers and services, not only the 404 path.
Each call runs in a savepoint that is rolled back, so examples are independent of each other.

Checks: `not_a_server_error`, `status_code_conformance`, `content_type_conformance` and
`response_schema_conformance`. The target is 0 failures of each; a failure prints the operation,
the check and a curl line to reproduce it.

Object-level authorization: schemathesis 4.32 has an `object_level_authorization` check, but it
only works with `[auth.wfc]` peers from a schemathesis.toml (identities it logs in itself); the
suite instead proves the same property directly: for every `GET …/{id}/` operation, each record
of team B (or of another salesperson) that the administrator can read is fetched with a team-A
salesperson's token and must answer 404 (records out of scope do not exist for the caller,
API.md), while the owner reads it with 200.

The calls go through Django's WSGI handler in the test's transaction; as Django's test client
does, the `close_old_connections` signal handlers are disconnected around each call, otherwise
the first request would close the test's connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from maoyi.demo.company import load_company
from maoyi.org.models import Employee

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
# Examples per operation and identity: enough to reach each operation's validation paths, small
# enough for CI (about 212 operations × 3 identities).
EXAMPLES = {"admin": 4, "zhangwei": 2, "xuting": 2}


@contextmanager
def in_process() -> Iterator[None]:
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def token_for(username: str) -> str:
    user = Employee.objects.get(user__username=username).user
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


@dataclass
class Findings:
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: int = 0

    def add(self, label: str, identity: str, group: FailureGroup) -> None:
        for failure in group.exceptions:
            key = (label, failure.title)
            self.failures.setdefault(key, f"[{identity}] {failure.title}: {failure.message[:600]}")

    def report(self) -> str:
        lines = [f"{label} — {text}" for (label, _title), text in sorted(self.failures.items())]
        return f"{len(self.failures)} failure(s) in {self.calls} calls:\n" + "\n".join(lines)


def known_ids(client: APIClient, paths: list[str]) -> dict[str, Any]:
    """For each collection with a `/{id}/` route, the id of the first record the client can list."""
    found: dict[str, Any] = {}
    for path in paths:
        if not path.endswith("/{id}/"):
            continue
        collection = path[: -len("{id}/")]
        if collection in found:
            continue
        response = client.get(collection, {"format": "json"})
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        if rows and isinstance(rows, list) and isinstance(rows[0], dict) and "id" in rows[0]:
            found[collection] = rows[0]["id"]
    return found


def record_id_for(known: dict[str, Any], path: str) -> Any:
    head, _sep, _rest = path.partition("{id}")
    return known.get(head)


def fuzz(schema: Any, identity: str, findings: Findings) -> None:
    key = token_for(identity)
    headers = {"Authorization": f"Token {key}"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    operations = [result.ok() for result in schema.get_all_operations()]
    known = known_ids(client, [op.path for op in operations])
    # Deletions and state changes last: the savepoints undo them anyway, but keep reads first.
    operations.sort(key=lambda op: (op.method.upper() != "GET", op.path, op.method))
    for operation in operations:
        strategy = operation.as_strategy(headers=headers)
        record = record_id_for(known, operation.path) if "{id}" in operation.path else None
        if record is not None:
            strategy = st.one_of(
                operation.as_strategy(headers=headers, path_parameters={"id": record}), strategy
            )

        @settings(
            # A PDF is slow to render and its parameters are only the id: one example is enough.
            max_examples=1 if operation.path.endswith("/pdf/") else EXAMPLES[identity],
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            label = case.operation.label
            with transaction.atomic():
                try:
                    with in_process():
                        response = case.call()
                    findings.calls += 1
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as group:
                    findings.add(label, identity, group)
                finally:
                    transaction.set_rollback(True)

        run()


@pytest.fixture
def api_schema() -> Any:
    load_company()
    with in_process():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    return schema


def test_every_operation_answers_without_server_errors_and_as_documented(api_schema: Any) -> None:
    findings = Findings()
    for identity in EXAMPLES:
        fuzz(api_schema, identity, findings)
    assert findings.calls > 1000
    assert not findings.failures, findings.report()


def _rows(client: APIClient, collection: str) -> list[dict[str, Any]] | None:
    """Every row of a list operation (pages of 200), or None when the caller may not list it."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(collection, {"format": "json", "page_size": 200, "page": page})
        if response.status_code != 200:
            return None
        body = response.json()
        rows.extend(body["results"] if isinstance(body, dict) else body)
        if not isinstance(body, dict) or not body.get("next"):
            return rows
        page += 1


def test_no_record_of_another_team_can_be_read_by_id(api_schema: Any) -> None:
    """BOLA: for every `GET …/{id}/`, each record the administrator lists is fetched with the token
    of 张伟 (salesperson, 终端客户部): 200 exactly for the records his own list shows, 404 for the
    others (never 200, never 500), 403/404 where his role may not list the resource at all; and
    every record owned by 钱丽 (salesperson, 渠道部, another team) is among the 404s."""
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Token {token_for('admin')}")
    rep = APIClient()
    rep.credentials(HTTP_AUTHORIZATION=f"Token {token_for('zhangwei')}")
    other_team = Employee.objects.get(user__username="qianli").pk
    details = sorted(
        {
            op.path[: -len("{id}/")]
            for op in (result.ok() for result in api_schema.get_all_operations())
            if op.method.upper() == "GET" and op.path.endswith("/{id}/")
        }
    )
    assert len(details) >= 30
    wrong: list[str] = []
    hidden = 0
    other_team_probed = 0
    for collection in details:
        everything = _rows(admin, collection) or []
        visible = _rows(rep, collection)
        visible_ids = {row["id"] for row in visible or []}
        for row in everything[:60]:
            status = rep.get(f"{collection}{row['id']}/", {"format": "json"}).status_code
            if visible is None:
                expected: tuple[int, ...] = (403, 404)
            elif row["id"] in visible_ids:
                expected = (200,)
            else:
                expected = (404,)
                hidden += 1
            if row.get("owner") == other_team:
                other_team_probed += 1
                expected = (403, 404)
            if status not in expected:
                wrong.append(f"{collection}{row['id']}/ → {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)
    # The demo gives the probe something to find: other teams' customers, orders, receivables…
    assert hidden >= 20
    assert other_team_probed >= 5
