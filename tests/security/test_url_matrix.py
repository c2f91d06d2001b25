"""The permission matrix over every URL and API operation (issue 8, part 5).

`url_matrix.py` holds one row per route (pages by name, API operations by name and method); the
world (`matrix_world.py`) holds one record per scope key (own, teammate, other team, pool, …) of
every kind a URL addresses. For each row this checks every cell: role (anonymous and each role of
the company) × record × verb — GET for everyone, HEAD where the answer is a refusal, and the unsafe
verbs only for those who must be refused (403 / 404 / login), checking that nothing changed. The
expected status is derived from the row's rule and the role's reach, never read from the views.

A new route without a row fails `test_every_route_has_exactly_one_row`, naming it.

Known bugs (a cell the code gets wrong) go in KNOWN_GAPS: (route, method) → reason; the row's test
is marked xfail(strict=True), so it fails again once fixed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maoyi.audit.models import AuditEntry
from tests.security import url_matrix as M
from tests.security.matrix_world import OWNERS, MatrixWorld, build_matrix_world, fingerprint, kwargs_for

pytestmark = pytest.mark.django_db

KNOWN_GAPS: dict[tuple[str, str], str] = {}


# The routes -----------------------------------------------------------------------------------------


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str | None = None
) -> Iterator[tuple[str, str | None, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern.callback


def routes() -> dict[str, set[str]]:
    """Every route: pages and other routes by name (methods: empty), API router operations by name
    with their HTTP methods. Format-suffix twins (`.json`) are the same operations: skipped."""
    found: dict[str, set[str]] = {}
    for route, name, callback in _walk(get_resolver().url_patterns):
        if "(?P<format>" in route or "<drf_format_suffix" in route:
            continue
        assert name, f"route {route!r} has no name: name it and give it a row in url_matrix.py"
        actions = getattr(callback, "actions", None)
        methods = {m.upper() for m in actions} if actions else set()
        assert name not in found or found[name] == methods, f"route name {name!r} used twice"
        found[name] = methods
    return found


def test_every_route_has_exactly_one_row() -> None:
    found = routes()
    api_ops = {(name, m) for name, methods in found.items() for m in methods}
    plain = {name for name, methods in found.items() if not methods}
    rows_plain = set(M.PAGES) | set(M.OTHER)
    assert not set(M.PAGES) & set(M.OTHER), "a route has a row in both PAGES and OTHER"
    missing = sorted(plain - rows_plain) + sorted(f"{n} {m}" for n, m in api_ops - set(M.API))
    stale = sorted(rows_plain - plain) + sorted(f"{n} {m}" for n, m in set(M.API) - api_ops)
    assert not missing, f"routes without a row in tests/security/url_matrix.py: {missing}"
    assert not stale, f"rows in tests/security/url_matrix.py matching no route: {stale}"


def test_rows_name_known_kinds_and_permissions() -> None:
    from django.contrib.auth.models import Permission

    codes = {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }
    rows: list[tuple[str, Any]] = [
        *M.PAGES.items(),
        *M.OTHER.items(),
        *((f"{n} {m}", r) for (n, m), r in M.API.items()),
    ]
    for label, row in rows:
        for perm in _perms(row.access) + _perms(getattr(row, "post", None)):
            assert perm in codes, f"{label}: unknown permission {perm!r}"


def test_sidebar_pages_need_what_their_rows_say() -> None:
    """nav.py shows each page to holders of its permission; the matrix says the same."""
    from maoyi.web.nav import MODULES

    for module in MODULES:
        for page in module.pages:
            if page.url_name == "swagger-ui":
                continue
            row = M.PAGES[page.url_name]
            wanted = page.permission or M.LOGIN
            # A page open to holders of any of several permissions is shown to holders of one.
            shown = row.access == wanted or (row.any_of and wanted in row.access)
            assert shown, f"{page.url_name}: nav.py {wanted!r}, matrix {row.access!r}"


# The world --------------------------------------------------------------------------------------------


class Clients:
    def __init__(self, world: MatrixWorld) -> None:
        self.world = world
        self.page: dict[str, Client] = {"anonymous": Client()}
        self.api: dict[str, APIClient] = {"anonymous": APIClient()}
        for role in M.ROLES[1:]:
            user = world.person(role).user
            client = Client()
            client.force_login(user)
            self.page[role] = client
            api = APIClient()
            token, _created = Token.objects.get_or_create(user=user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            self.api[role] = api


@pytest.fixture(scope="module")
def clients(django_db_setup: None, django_db_blocker: Any) -> Iterator[Clients]:
    """The world and a signed-in client per role, once per module, rolled back at its end; each
    test runs in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield Clients(build_matrix_world())
        transaction.set_rollback(True)


# The rules ---------------------------------------------------------------------------------------------


def _perms(access: Any) -> list[str]:
    if access in (None, M.PUBLIC, M.LOGIN, M.FORM):
        return []
    return [access] if isinstance(access, str) else list(access)


def holds(world: MatrixWorld, role: str, access: Any, any_of: bool = False) -> bool:
    if access == M.PUBLIC:
        return True
    if role == "anonymous":
        return False
    perms = _perms(access)
    if not perms:
        return True
    user = world.person(role).user
    check = any if any_of else all
    return check(user.has_perm(p) for p in perms)


def keys_of(world: MatrixWorld, row: Any) -> list[str | None]:
    if row.obj is None:
        return [None]
    if row.keys is not None:
        return list(row.keys)
    return list(world.records[row.obj]) if row.obj in world.records else ["none"]


def reaches(role: str, row: Any, key: str | None) -> bool:
    if key is None:
        return True
    if key == "none":
        return False
    if not row.scoped or row.obj in M.SHARED or key in row.open_keys:
        return True
    return key in M.REACH[role]


def gate(world: MatrixWorld, row: Any, role: str, method: str, api: bool) -> int | None:
    """The answer given before the record is looked up (login, method, permission), or None."""
    access = row.access
    if method not in ("GET", "HEAD") and not api and row.post not in (None, M.FORM):
        access = row.post
    if role == "anonymous" and row.anonymous_ok:
        return int(row.anonymous_ok)
    if role == "anonymous" and access != M.PUBLIC:
        return 401 if api else 302
    if not api and row.post_only and method in ("GET", "HEAD"):
        return 405
    if row.get_only and method == "HEAD" and role != "anonymous":
        return 405
    if not holds(world, role, access, row.any_of):
        return 404 if row.hidden else 403
    if role in row.denied:
        return 403
    return None


def expected(world: MatrixWorld, row: Any, role: str, key: str | None, method: str, api: bool) -> int:
    refused = gate(world, row, role, method, api)
    if refused is not None:
        return refused
    if not reaches(role, row, key):
        return 404
    if row.owner_only and OWNERS.get(str(key)) != role:
        return 403
    return int(dict(row.ok_keys).get(key, row.ok))


REFUSALS = (302, 401, 403, 404, 405)


def refusal_key(row: Any, role: str, key: Any) -> bool:
    """Whether a role that passes the gate is refused this record (out of reach, not its owner)."""
    return not reaches(role, row, key) or bool(row.owner_only and OWNERS.get(str(key)) != role)


def cells(
    world: MatrixWorld, row: Any, methods: tuple[str, ...], api: bool
) -> Iterator[tuple[str, Any, str, int]]:
    """The cells checked for a row: (role, key, method, expected status).

    - A refusal given before the record is looked up (anonymous, no permission, GET on a button) is
      the same for every record: checked on the first one, with every verb.
    - A role that passes the gate: GET on every record (in reach: `ok`; out of reach: 404, as for a
      missing one), HEAD on the first record out of reach, the unsafe verbs on every record out of
      reach (nothing may change). Permitted writes are not run.
    - An expensive render (`heavy`: PDF) is made once per row; its refusals are all checked."""
    keys = keys_of(world, row)
    rendered = False
    for role in M.ROLES:
        for method in methods:
            refused = gate(world, row, role, method, api)
            if refused is not None:
                yield role, keys[0], method, refused
                continue
            head_done = False
            for key in keys:
                want = expected(world, row, role, key, method, api)
                if method == "HEAD":
                    if head_done or want not in REFUSALS or not refusal_key(row, role, key):
                        continue
                    head_done = True
                elif method != "GET" and not refusal_key(row, role, key):
                    continue  # a permitted write: not run here
                elif row.heavy and not refusal_key(row, role, key):
                    if rendered:
                        continue
                    rendered = True
                yield role, key, method, want


# The checks --------------------------------------------------------------------------------------------


def _url(world: MatrixWorld, name: str, row: Any, key: str | None) -> str:
    kwargs: dict[str, Any] = dict(row.kwargs) if hasattr(row, "kwargs") else {}
    if key is not None:
        kwargs.update(kwargs_for(world, row.obj, key))
    return reverse(name, kwargs=kwargs or None)


def _record(world: MatrixWorld, row: Any, key: str | None) -> Any:
    if key is None or key == "none":
        return None
    return world.records[row.obj][key]


def _check(
    clients: Clients, name: str, row: Any, methods: tuple[str, ...], api: bool
) -> tuple[int, list[str]]:
    world = clients.world
    mismatches: list[str] = []
    count = 0
    for role, key, method, want in cells(world, row, methods, api):
        client = clients.api[role] if api else clients.page[role]
        url = _url(world, name, row, key)
        record = _record(world, row, key)
        unsafe = method not in ("GET", "HEAD")
        before = (fingerprint(record), AuditEntry.objects.count()) if unsafe else None
        kwargs: dict[str, Any] = {"data": {}, "format": "json"} if api and unsafe else {}
        response = getattr(client, method.lower())(url, **kwargs)
        count += 1
        got = response.status_code
        where = f"{role} {method} {url} [{key}]"
        if got != want:
            mismatches.append(f"{where}: expected {want}, got {got}")
        elif (
            got == 302
            and role == "anonymous"
            and row.access != M.PUBLIC
            and not response["Location"].startswith("/login/")
        ):
            mismatches.append(f"{where}: redirected to {response['Location']}, not the login page")
        if before is not None and before != (fingerprint(record), AuditEntry.objects.count()):
            mismatches.append(f"{where}: refused ({got}) but something changed")
    return count, mismatches


def _params(rows: Any) -> list[Any]:
    found = []
    for label in rows:
        name, method = label if isinstance(label, tuple) else (label, "")
        gap = KNOWN_GAPS.get((name, method))
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        found.append(pytest.param(name, method, id=f"{name} {method}".strip(), marks=marks))
    return found


def _assert_row(
    clients: Clients, label: str, name: str, row: Any, methods: tuple[str, ...], api: bool
) -> None:
    count, mismatches = _check(clients, name, row, methods, api=api)
    assert count
    assert not mismatches, f"{label}: {len(mismatches)} of {count} cells wrong:\n" + "\n".join(mismatches)


def _page_methods(row: M.Page) -> tuple[str, ...]:
    return ("GET", "HEAD") + (("POST",) if row.post_only or row.post is not None else ())


@pytest.mark.parametrize(("name", "method"), _params(M.PAGES))
def test_page(clients: Clients, name: str, method: str) -> None:
    row = M.PAGES[name]
    _assert_row(clients, name, name, row, _page_methods(row), api=False)


@pytest.mark.parametrize(("name", "method"), _params(M.API))
def test_api(clients: Clients, name: str, method: str) -> None:
    row = M.API[(name, method)]
    methods = ("GET", "HEAD") if method == "GET" else (method,)
    _assert_row(clients, f"{name} {method}", name, row, methods, api=True)


@pytest.mark.parametrize(("name", "method"), _params(M.OTHER))
def test_other(clients: Clients, name: str, method: str) -> None:
    row = M.OTHER[name]
    _assert_row(clients, name, name, row, _page_methods(row), api=False)
