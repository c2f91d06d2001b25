"""The CRM permission matrix (issue 5): for each role and each CRM resource, which records it may
list, read, change and delete, through the pages and through the API. The expected matrix is data
(`tests.crm.matrix_data.MATRIX`, derived from the data-scope and role tables there); each test case
is one cell (interface × role × resource × operation), so a failure names all four.

The doors checked, per resource (list · read · change):

- customers: 客户 list page, GET list · customer page, GET /{id}/ · edit form GET+POST, PATCH
- contacts: (no list page), GET list · customer page's 联系人 tab, GET /{id}/ · contact form
  GET+POST, PATCH
- activities: 跟进记录 and 跟进提醒 pages, GET list · customer page's 跟进记录 tab, GET /{id}/ ·
  已跟进 POST, POST /{id}/done/ (PATCH answers 405: an activity is a record of what happened)
- opportunities: 机会 list and 销售漏斗 pages, GET list · 机会 page, GET /{id}/ · edit form
  GET+POST and stage POST, PATCH
- pool: 公海 list page · pool customer page (an owned customer's: its page, or 404) · 领取 POST
  (page and POST /customers/{id}/claim/)

Delete exists nowhere: no page route, and the API answers DELETE with 405 (403 to a role that may
not change the resource); the record is still there afterwards. Outside a role's data scope a record
answers 404 like a missing one; a role without the resource's permission gets 403.

The records are built once per module (in a transaction rolled back at the end); each test runs in
its own savepoint, so the writes it makes are undone before the next one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maoyi.crm.models import Activity, Contact, Customer, Opportunity, OpportunityStage
from maoyi.web.crm import urls as crm_urls
from tests.conftest import Company, build_company
from tests.crm.builders import grant_customer_permissions
from tests.crm.matrix_data import (
    ALL_RESOURCES,
    CLAIMERS,
    KEYS,
    LABELS,
    MATRIX,
    RESOURCES,
    ROLES,
    Cell,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db

API = {
    "customers": "/api/v1/customers/",
    "contacts": "/api/v1/contacts/",
    "activities": "/api/v1/activities/",
    "opportunities": "/api/v1/opportunities/",
}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

# Cells where the code falls short of the matrix: (interface, role, resource, operation) → reason.
# Each such case is marked xfail(strict=True), so it fails the suite once fixed (remove it then).
# Cells that show a known bug (strict xfail); none at the moment.
KNOWN_GAPS: dict[tuple[str, str, str, str], str] = {}

PAGE_OPS: dict[str, tuple[str, ...]] = {
    "customers": ("list", "read", "change", "delete"),
    "contacts": ("read", "change", "delete"),  # no contact list page: the customer page's tab lists them
    "activities": ("list", "read", "change", "delete"),
    "opportunities": ("list", "read", "change", "delete"),
    "pool": ("list", "read", "change"),
}
API_OPS: dict[str, tuple[str, ...]] = {
    "customers": ("list", "read", "change", "delete"),
    "contacts": ("list", "read", "change", "delete"),
    "activities": ("list", "read", "change", "delete"),
    "opportunities": ("list", "read", "change", "delete"),
    "pool": ("change",),  # the pool's customer is read through `customers`; the pool adds `claim`
}


def cases(interface: str, ops: dict[str, tuple[str, ...]]) -> list[Any]:
    found = []
    for role in ROLES:
        for resource in RESOURCES:
            for op in ops[resource]:
                gap = KNOWN_GAPS.get((interface, role, resource, op))
                marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
                found.append(pytest.param(role, resource, op, id=f"{role}-{resource}-{op}", marks=marks))
    return found


def role_cases(interface: str, op: str) -> list[Any]:
    found = []
    for role in ROLES:
        gap = KNOWN_GAPS.get((interface, role, "pool", op))
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        found.append(pytest.param(role, id=role, marks=marks))
    return found


# Fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The company and its CRM records, once per module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        company = build_company()
        grant_customer_permissions()
        yield build_world(company)
        transaction.set_rollback(True)


@pytest.fixture
def company(world: World) -> Company:
    """The module's company (the crm conftest grants the customer permissions to its roles)."""
    return world.company


def page_client(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.person(role).user)
    return client


def api_client(world: World, role: str) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=world.person(role).user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# Helpers -------------------------------------------------------------------------------------------


def row(record: models.Model) -> dict[str, Any]:
    return type(record)._default_manager.filter(pk=record.pk).values().get()


def expected_status(keys: frozenset[str] | None, key: str, allowed: int = 200) -> int:
    if keys is None:
        return 403
    return allowed if key in keys else 404


def text(response: Any) -> str:
    return response.content.decode()


def assert_lists(page: str, keys: frozenset[str], resource: str, where: str) -> None:
    """The page names exactly the records `keys` (by their labels)."""
    shown = {key for key in KEYS if LABELS[resource][key] in page}
    assert shown == set(keys), f"{where} shows {sorted(shown)}, expected {sorted(keys)}"


def customer_page(world: World, key: str, tab: str = "") -> str:
    url = reverse("web:customer-detail", args=[world.customers[key].pk])
    return f"{url}?tab={tab}" if tab else url


# Pages -----------------------------------------------------------------------------------------------

LIST_PAGES = {
    "customers": ("web:customer-list",),
    "activities": ("web:activity-list", "web:follow-up-list"),
    "opportunities": ("web:opportunity-list", "web:pipeline"),
    "pool": ("web:pool-list",),
}
TABS = {"contacts": "contacts", "activities": "activities"}


def page_list(world: World, client: Client, resource: str, cell: Cell) -> None:
    for name in LIST_PAGES[resource]:
        response = client.get(reverse(name))
        assert response.status_code == (403 if cell.list is None else 200), name
        if cell.list is not None:
            assert_lists(text(response), cell.list, resource, name)


def page_read(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    customers = MATRIX[role]["customers"]
    for key in KEYS:
        if resource == "customers":
            response = client.get(customer_page(world, key))
            assert response.status_code == expected_status(cell.read, key), key
            if response.status_code == 200:
                assert LABELS["customers"][key] in text(response)
        elif resource in TABS:
            # No page of their own: the customer page's tab, there only for holders of the permission.
            response = client.get(customer_page(world, key, TABS[resource]))
            assert response.status_code == expected_status(customers.read, key), key
            shows = LABELS[resource][key] in text(response)
            assert shows == (cell.read is not None and key in cell.read), key
        elif resource == "opportunities":
            response = client.get(reverse("web:opportunity-detail", args=[world.opportunities[key].pk]))
            assert response.status_code == expected_status(cell.read, key), key
            if response.status_code == 200:
                assert LABELS["opportunities"][key] in text(response)
        else:  # the pool customer's page; an owned customer's pool page leads to its page, or 404
            response = client.get(reverse("web:pool-customer", args=[world.customers[key].pk]))
            if cell.read is None:
                assert response.status_code == 403, key
            elif key in cell.read:
                assert response.status_code == 200, key
                assert LABELS["pool"][key] in text(response)
            elif customers.read is not None and key in customers.read:
                assert response.status_code == 302, key
                assert response["Location"] == customer_page(world, key)
            else:
                assert response.status_code == 404, key


def _customer_form(customer: Customer) -> dict[str, str]:
    return {
        "name": customer.name,
        "kind": customer.kind,
        "level": customer.level,
        "phone": customer.phone,
        "tax_id": customer.tax_id,
        "address": customer.address,
        "credit_limit": "0",
        "price_level": "",
        "parent": "",
        "channel_partner": "",
        "source": "",
        "tags": "",
        "note": "矩阵测试修改",
    }


def _contact_form(contact: Contact) -> dict[str, str]:
    return {"name": contact.name, "title": "主任", "is_primary": "on"}


def _opportunity_form(opportunity: Opportunity) -> dict[str, str]:
    return {"title": opportunity.title, "expected_amount": "2000", "note": "矩阵测试修改"}


EDIT_FORMS: dict[str, tuple[str, Callable[[Any], dict[str, str]], dict[str, Any]]] = {
    # resource: (the edit page, the posted form, what the post changes)
    "customers": ("web:customer-edit", _customer_form, {"note": "矩阵测试修改"}),
    "contacts": ("web:contact-edit", _contact_form, {"title": "主任"}),
    "opportunities": ("web:opportunity-edit", _opportunity_form, {"expected_amount": Decimal(2000)}),
}


def page_change(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    if resource == "pool":
        page_claim(world, client, role, cell)
        return
    for key in KEYS:
        record = world.records(resource)[key]
        before = row(record)
        status = expected_status(cell.change, key, allowed=302)
        changed: dict[str, Any]
        if resource == "activities":
            # 已跟进: the only change an activity takes (it is a record of what happened).
            response = client.post(reverse("web:activity-complete", args=[record.pk]))
            assert response.status_code == status, key
            changed = {"follow_up_done": True}
        else:
            edit, form, changed = EDIT_FORMS[resource]
            url = reverse(edit, args=[record.pk])
            assert client.get(url).status_code == (200 if status == 302 else status), key
            response = client.post(url, {**form(record), "version": record.version})
            assert response.status_code == status, key
            if resource == "opportunities":
                stage = client.post(reverse("web:opportunity-stage", args=[record.pk]), {"stage": "needs"})
                assert stage.status_code == status, key
                changed = {**changed, "stage": OpportunityStage.NEEDS}
        after = row(record)
        if status == 302:
            for field, value in changed.items():
                assert after[field] == value, (key, field)
        else:
            assert after == before, key


def page_claim(world: World, client: Client, role: str, cell: Cell) -> None:
    pool_customer = world.customers["pool"]
    response = client.post(reverse("web:pool-claim", args=[pool_customer.pk]))
    owner = Customer.objects.get(pk=pool_customer.pk).owner_id
    if cell.change is None:
        assert (response.status_code, owner) == (403, None)
    elif "pool" in cell.change:
        assert response.status_code == 302
        assert response["Location"] == customer_page(world, "pool")
        assert owner == world.person(role).pk
    else:  # may change customers but not own them: refused (not_salesperson), back to the pool
        assert (response.status_code, owner) == (302, None)
        assert response["Location"] == reverse("web:pool-list")


DELETE_PAGES = {
    "customers": "web:customer-detail",
    "contacts": "web:contact-edit",
    "opportunities": "web:opportunity-detail",
}


def page_delete(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    prefixes = ("customer-", "contact-", "activity-", "opportunity-", "pool-")
    names = [p.name or "" for p in crm_urls.urlpatterns if (p.name or "").startswith(prefixes)]
    assert not [n for n in names if "delete" in n or "remove" in n]
    for key in KEYS:
        record = world.records(resource)[key]
        before = row(record)
        if resource == "activities":
            client.delete(reverse("web:activity-complete", args=[record.pk]))
        else:
            client.delete(reverse(DELETE_PAGES[resource], args=[record.pk]))
        assert row(record) == before, key


PAGE_CHECKS: dict[str, Callable[..., None]] = {
    "list": lambda world, client, role, resource, cell: page_list(world, client, resource, cell),
    "read": page_read,
    "change": page_change,
    "delete": page_delete,
}


@pytest.mark.parametrize(("role", "resource", "op"), cases("pages", PAGE_OPS))
def test_pages(world: World, role: str, resource: str, op: str) -> None:
    cell = MATRIX[role][resource]
    PAGE_CHECKS[op](world, page_client(world, role), role, resource, cell)


# API -------------------------------------------------------------------------------------------------


def detail(resource: str, record: models.Model, suffix: str = "") -> str:
    return f"{API[resource]}{record.pk}/{suffix}"


def api_list(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    response = client.get(API[resource], {"page_size": 200})
    if cell.list is None:
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED)
        return
    assert response.status_code == 200
    records = world.records(resource)
    ids = {r["id"] for r in response.json()["results"]}
    assert ids == {records[k].pk for k in cell.list}, {k: r.pk for k, r in records.items()}


def api_read(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        response = client.get(detail(resource, record))
        status = expected_status(cell.read, key)
        assert response.status_code == status, key
        body = response.json()
        if status == 200:
            assert body["id"] == record.pk
        else:
            assert body == (ROLE_REFUSED if status == 403 else NOT_FOUND), key


PATCHES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "customers": ({"note": "矩阵测试修改"}, {"note": "矩阵测试修改"}),
    "contacts": ({"title": "主任"}, {"title": "主任"}),
    "opportunities": (
        {"expected_amount": "2000.00", "stage": "needs"},
        {"expected_amount": Decimal(2000), "stage": OpportunityStage.NEEDS},
    ),
}


def api_change(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    if resource == "pool":
        api_claim(world, client, role, cell)
        return
    for key, record in world.records(resource).items():
        before = row(record)
        status = expected_status(cell.change, key)
        if resource == "activities":
            response = client.post(detail(resource, record, "done/"))
            changed: dict[str, Any] = {"follow_up_done": True}
            # An activity is a record of what happened: no update.
            patch = client.patch(detail(resource, record), {"summary": "改写"}, format="json")
            assert patch.status_code == (403 if cell.change is None else 405), key
        else:
            payload, changed = PATCHES[resource]
            response = client.patch(detail(resource, record), payload, format="json")
        assert response.status_code == status, (key, response.content[:300])
        after = row(record)
        if status == 200:
            for field, value in changed.items():
                assert after[field] == value, (key, field)
        else:
            assert response.json() == (ROLE_REFUSED if status == 403 else NOT_FOUND), key
            assert after == before, key


def api_claim(world: World, client: APIClient, role: str, cell: Cell) -> None:
    customer = world.customers["pool"]
    response = client.post(f"{API['customers']}{customer.pk}/claim/")
    owner = Customer.objects.get(pk=customer.pk).owner_id
    if cell.change is None:
        assert (response.status_code, response.json(), owner) == (403, ROLE_REFUSED, None)
    elif "pool" in cell.change:
        assert (response.status_code, response.json()["owner"]) == (200, world.person(role).pk)
        assert owner == world.person(role).pk
    else:
        assert (response.status_code, response.json()["code"], owner) == (409, "not_salesperson", None)


MODELS: dict[str, type[models.Model]] = {
    "customers": Customer,
    "contacts": Contact,
    "activities": Activity,
    "opportunities": Opportunity,
}


def api_delete(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        response = client.delete(detail(resource, record))
        assert response.status_code == (403 if cell.delete is None else 405), key
        assert MODELS[resource]._default_manager.filter(pk=record.pk).exists(), key


API_CHECKS: dict[str, Callable[..., None]] = {
    "list": api_list,
    "read": api_read,
    "change": api_change,
    "delete": api_delete,
}


@pytest.mark.parametrize(("role", "resource", "op"), cases("api", API_OPS))
def test_api(world: World, role: str, resource: str, op: str) -> None:
    cell = MATRIX[role][resource]
    API_CHECKS[op](world, api_client(world, role), role, resource, cell)


# Claiming an owned customer through the pool's doors ----------------------------------------------


def owned_claim_status(role: str, key: str, *, found: int) -> int:
    """A claim of an owned customer: refused by role (403), 404 outside the scope, else `found`."""
    customers = MATRIX[role]["customers"]
    if customers.change is None or customers.read is None:
        return 403
    return found if key in customers.read else 404


@pytest.mark.parametrize("role", role_cases("api", "claim-owned"))
def test_claiming_an_owned_customer_through_the_api_is_not_found_outside_the_scope(
    world: World, role: str
) -> None:
    client = api_client(world, role)
    for key in ("a1", "a2", "b1"):
        customer = world.customers[key]
        response = client.post(f"{API['customers']}{customer.pk}/claim/")
        status = owned_claim_status(role, key, found=409)
        assert response.status_code == status, key
        body = response.json()
        if status == 409:
            assert body["code"] == ("not_in_pool" if role in CLAIMERS else "not_salesperson"), key
        else:
            assert body == (ROLE_REFUSED if status == 403 else NOT_FOUND), key
        assert Customer.objects.get(pk=customer.pk).owner_id == customer.owner_id


@pytest.mark.parametrize("role", role_cases("pages", "claim-owned"))
def test_claiming_an_owned_customer_through_the_pages_is_not_found_outside_the_scope(
    world: World, role: str
) -> None:
    client = page_client(world, role)
    for key in ("a1", "a2", "b1"):
        customer = world.customers[key]
        response = client.post(reverse("web:pool-claim", args=[customer.pk]), follow=True)
        # In the scope: refused (not_in_pool), back on the pool list; outside it: 404, nothing told.
        status = owned_claim_status(role, key, found=200)
        assert response.status_code == status, key
        if status != 200:
            assert customer.name not in text(response), key
        assert Customer.objects.get(pk=customer.pk).owner_id == customer.owner_id


def test_the_matrix_covers_every_role_and_resource() -> None:
    assert set(MATRIX) == set(ROLES)
    assert all(set(cells) == set(ALL_RESOURCES) for cells in MATRIX.values())
    # Spot checks that the derivation says what the rules say.
    assert MATRIX["rep_a1"]["customers"].read == {"a1"}
    assert MATRIX["sales_head"]["opportunities"].change == {"a1", "a2", "b1"}
    assert MATRIX["finance_clerk"]["customers"] == Cell(
        list=frozenset(KEYS), read=frozenset(KEYS), change=None, delete=None
    )
    assert MATRIX["finance_clerk"]["contacts"].read is None
    assert MATRIX["purchaser"]["pool"].list is None
    assert MATRIX["admin"]["pool"].change == frozenset()
