"""The CRM permission matrix (issue 5), continued for expenses (费用), campaigns (市场活动), quotes
(报价单) and contracts (合同): for each role, which records it may list, read, change and delete,
through the pages and through the API. The expected cells are data (`tests.crm.matrix_data.MATRIX`,
derived from the data-scope, campaign and role tables there); each test case is one cell
(interface × role × resource × operation).

The doors checked, per resource (list · read · change):

- expenses: 费用 list page, GET list · 费用 page and the customer page's 费用 tab, GET /{id}/ · edit
  form GET+POST, PATCH
- campaigns: 市场活动 list page, GET list · 市场活动 page (its 参与客户, 费用 and 操作日志 tabs) and the
  customer page's 市场活动 tab, GET /{id}/ · edit form GET+POST, PATCH
- quotes: 报价单 list page, GET list · 报价单 page and the customer page's 报价 tab, GET /{id}/ · edit
  form GET+POST and 已发送 POST, PATCH
- contracts: 合同 list page, GET list · 合同 page and the customer page's 合同 tab, GET /{id}/ · edit
  form GET+POST, PATCH

Campaigns are read by every holder of the view permission; their partners (参与客户) are named only
to who may see each customer (the others are counted), in the pages and the API alike, and a campaign
someone sees but does not answer for is refused with 403 (`permission_denied`), not 404. Everywhere
else a record outside the role's data scope answers 404 like a missing one; a role without the
resource's permission gets 403. Delete exists nowhere: no page route, and the API answers DELETE with
405 (403 to a role that may not change the resource); the record is still there afterwards.

Finance pays (支付) approved expenses; no one else may (`test_paying_an_expense…`).

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
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.core.documents import Status
from maoyi.crm.models import Campaign, Contract, Expense, Quote, QuoteStatus
from maoyi.crm.services import expenses as expense_services
from maoyi.web.crm import urls as crm_urls
from tests.conftest import Company, build_company
from tests.crm.builders import grant_customer_permissions
from tests.crm.matrix_data import (
    CAMPAIGN_KEYS,
    EXPENSE_CAMPAIGN,
    EXPENSE_CUSTOMER,
    KEYS,
    LABELS,
    MATRIX,
    MONEY_RESOURCES,
    PAYERS,
    RESOURCE_KEYS,
    ROLES,
    Cell,
    World,
    build_money_world,
    build_world,
    holds,
    matrix_table,
    named_partners,
)
from tests.crm.test_permission_matrix import (
    NOT_FOUND,
    ROLE_REFUSED,
    api_client,
    customer_page,
    expected_status,
    page_client,
    row,
    text,
)

pytestmark = pytest.mark.django_db

API = {
    "expenses": "/api/v1/expenses/",
    "campaigns": "/api/v1/campaigns/",
    "quotes": "/api/v1/quotes/",
    "contracts": "/api/v1/contracts/",
}
# Someone who sees a campaign but does not answer for it (campaign services' PermissionRefused).
NOT_YOUR_EXPENSE = {
    "detail": "只有申请人本人可以修改、提交、撤回或作废这笔费用。",
    "code": "permission_denied",
}
NOT_YOUR_CAMPAIGN = {
    "detail": "只有活动负责人或其所在部门的主管可以修改这个市场活动。",
    "code": "permission_denied",
}
CHANGED = "矩阵测试修改"

# Cells where the code falls short of the matrix: (interface, role, resource, operation) → reason.
# Each such case is marked xfail(strict=True), so it fails the suite once fixed (remove it then).
KNOWN_GAPS: dict[tuple[str, str, str, str], str] = {}

OPS = ("list", "read", "change", "delete")


def cases(interface: str) -> list[Any]:
    found = []
    for role in ROLES:
        for resource in MONEY_RESOURCES:
            for op in OPS:
                gap = KNOWN_GAPS.get((interface, role, resource, op))
                marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
                found.append(pytest.param(role, resource, op, id=f"{role}-{resource}-{op}", marks=marks))
    return found


# Fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The company, its customers and their CRM records, once per module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        company = build_company()
        grant_customer_permissions()
        yield build_money_world(build_world(company))
        transaction.set_rollback(True)


@pytest.fixture
def company(world: World) -> Company:
    """The module's company (the crm conftest grants the customer permissions to its roles)."""
    return world.company


# Helpers -------------------------------------------------------------------------------------------


def change_status(cell: Cell, key: str, allowed: int) -> int:
    """403 for a role without the permission; `allowed` for a record it may change; 403 for one it
    sees but may not change (a campaign it does not answer for); 404 for one it does not see."""
    if cell.change is None:
        return 403
    if key in cell.change:
        return allowed
    return 403 if cell.read is not None and key in cell.read else 404


def shown(world: World, page: str, resource: str, keys: tuple[str, ...] | None = None) -> set[str]:
    """The records of `resource` a page names (by their labels)."""
    return {key for key in keys or RESOURCE_KEYS[resource] if world.label(resource, key) in page}


def customers_named(page: str) -> set[str]:
    return {key for key in KEYS if LABELS["customers"][key] in page}


def expense_numbers(world: World, page: str) -> set[str]:
    return {key for key, expense in world.expenses.items() if expense.number in page}


def campaign_expenses(role: str, campaign: str) -> set[str]:
    """The expenses charged to a campaign that its page lists to `role`: those the role may read."""
    seen = MATRIX[role]["expenses"].read or frozenset()
    return {key for key, charged in EXPENSE_CAMPAIGN.items() if charged == campaign and key in seen}


def partners_of(campaign: Campaign) -> set[int]:
    return set(Campaign.objects.get(pk=campaign.pk).partners.values_list("pk", flat=True))


# Pages -----------------------------------------------------------------------------------------------

LIST_PAGES = {
    "expenses": "web:expense-list",
    "campaigns": "web:campaign-list",
    "quotes": "web:customer-quote-list",
    "contracts": "web:contract-list",
}
DETAIL_PAGES = {
    "expenses": "web:expense-detail",
    "campaigns": "web:campaign-detail",
    "quotes": "web:customer-quote-detail",
    "contracts": "web:contract-detail",
}
EDIT_PAGES = {
    "expenses": "web:expense-edit",
    "campaigns": "web:campaign-edit",
    "quotes": "web:customer-quote-edit",
    "contracts": "web:contract-edit",
}
URL_PREFIXES = ("expense-", "campaign-", "customer-quote-", "contract-")


def page_list(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    response = client.get(reverse(LIST_PAGES[resource]), {"per_page": 100})
    assert response.status_code == (403 if cell.list is None else 200)
    if cell.list is None:
        return
    page = text(response)
    assert shown(world, page, resource) == set(cell.list)
    if resource == "campaigns":
        assert customers_named(page) <= named_partners(role)


def _customer_tab(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    """The customer page's tab for `resource`: on the page of each customer the role sees, the
    records of that customer it may read, and no others."""
    customers = MATRIX[role]["customers"]
    tab = {"expenses": "expenses", "quotes": "quotes", "contracts": "contracts", "campaigns": "campaigns"}
    for customer in KEYS:
        response = client.get(customer_page(world, customer, tab[resource]))
        assert response.status_code == expected_status(customers.read, customer), customer
        if response.status_code != 200:
            continue
        page = text(response)
        readable = cell.read or frozenset()
        if resource == "campaigns":  # every campaign has every customer as a partner
            expected = set(readable)
        elif resource == "expenses":
            expected = {k for k, c in EXPENSE_CUSTOMER.items() if c == customer and k in readable}
        else:
            expected = {customer} & readable
        assert shown(world, page, resource) == expected, customer


def _campaign_page(world: World, client: Client, role: str, key: str) -> None:
    """A campaign's page names the partners the role may see and counts the others, on every tab;
    its 费用 tab lists the expenses charged to it that the role may read."""
    url = reverse("web:campaign-detail", args=[world.campaigns[key].pk])
    named = named_partners(role)
    partners = client.get(url, {"tab": "partners"})
    assert partners.status_code == 200, key
    assert LABELS["campaigns"][key] in text(partners), key
    assert customers_named(text(partners)) == named, key
    assert partners.context["partners"].hidden == len(KEYS) - len(named), key
    history = client.get(url, {"tab": "history"})  # the administrator's 参与客户 change lists all four
    assert customers_named(text(history)) == named, key
    spent = client.get(url, {"tab": "expenses"})
    assert expense_numbers(world, text(spent)) == campaign_expenses(role, key), key
    assert customers_named(text(spent)) <= named, key


def page_read(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        response = client.get(reverse(DETAIL_PAGES[resource], args=[record.pk]))
        assert response.status_code == expected_status(cell.read, key), key
        if response.status_code != 200:
            continue
        assert world.label(resource, key) in text(response), key
        if resource == "campaigns":
            _campaign_page(world, client, role, key)
    _customer_tab(world, client, role, resource, cell)


def _expense_form(world: World, record: Expense) -> dict[str, Any]:
    return {
        "category": record.category,
        "amount": f"{record.amount}",
        "incurred_on": record.incurred_on.isoformat(),
        "description": CHANGED,
        "customer": record.customer_id or "",
        "campaign": record.campaign_id or "",
    }


def _campaign_form(world: World, record: Campaign, role: str) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind,
        "start_date": record.start_date.isoformat(),
        "end_date": record.end_date.isoformat(),
        "budget": f"{record.budget}",
        "owner": record.owner_id,
        "description": CHANGED,
        # The partners the role sees (the others are not on the form, and stay).
        "partners": [world.customers[k].pk for k in sorted(named_partners(role))],
    }


def _quote_form(world: World, record: Quote) -> dict[str, Any]:
    line = record.lines.get()
    return {
        "valid_until": record.valid_until.isoformat(),
        "opportunity": "",
        "note": CHANGED,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": line.product_id,
        "lines-0-quantity": "20",
        "lines-0-unit_price": "",
    }


def _contract_form(world: World, record: Contract) -> dict[str, Any]:
    return {
        "title": record.title,
        "amount": "6000",
        "signed_on": record.signed_on.isoformat(),
        "start_date": record.start_date.isoformat(),
        "end_date": record.end_date.isoformat(),
        "note": CHANGED,
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }


def _form(world: World, resource: str, record: Any, role: str) -> dict[str, Any]:
    if resource == "expenses":
        return _expense_form(world, record)
    if resource == "campaigns":
        return _campaign_form(world, record, role)
    if resource == "quotes":
        return _quote_form(world, record)
    return _contract_form(world, record)


PAGE_CHANGES: dict[str, dict[str, Any]] = {
    "expenses": {"description": CHANGED},
    "campaigns": {"description": CHANGED},
    "quotes": {"note": CHANGED, "status": QuoteStatus.SENT},
    "contracts": {"note": CHANGED, "amount": Decimal("6000.00")},
}


def page_change(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        before = row(record)
        partners = partners_of(record) if resource == "campaigns" else set()
        status = change_status(cell, key, allowed=302)
        url = reverse(EDIT_PAGES[resource], args=[record.pk])
        assert client.get(url).status_code == (200 if status == 302 else status), key
        response = client.post(
            url, {**_form(world, resource, record, role), "version": getattr(record, "version", "")}
        )
        assert response.status_code == status, (key, text(response)[:300] if status == 302 else "")
        if resource == "quotes":  # 已发送: the quote's status change
            mark = client.post(reverse("web:customer-quote-mark", args=[record.pk]), {"status": "sent"})
            assert mark.status_code == status, key
        after = row(record)
        if status == 302:
            for field, value in PAGE_CHANGES[resource].items():
                assert after[field] == value, (key, field)
        else:
            assert after == before, key
        if resource == "campaigns":  # partners the role may not see are never dropped by its edit
            assert partners_of(record) == partners, key


def page_delete(world: World, client: Client, role: str, resource: str, cell: Cell) -> None:
    names = [p.name or "" for p in crm_urls.urlpatterns if (p.name or "").startswith(URL_PREFIXES)]
    assert not [n for n in names if "delete" in n or "remove" in n]
    for key, record in world.records(resource).items():
        before = row(record)
        client.delete(reverse(DETAIL_PAGES[resource], args=[record.pk]))
        client.delete(reverse(EDIT_PAGES[resource], args=[record.pk]))
        assert row(record) == before, key


PAGE_CHECKS: dict[str, Callable[..., None]] = {
    "list": page_list,
    "read": page_read,
    "change": page_change,
    "delete": page_delete,
}


@pytest.mark.parametrize(("role", "resource", "op"), cases("pages"))
def test_pages(world: World, role: str, resource: str, op: str) -> None:
    cell = MATRIX[role][resource]
    PAGE_CHECKS[op](world, page_client(world, role), role, resource, cell)


# API -------------------------------------------------------------------------------------------------


def detail(resource: str, record: models.Model, suffix: str = "") -> str:
    return f"{API[resource]}{record.pk}/{suffix}"


def assert_partners(world: World, role: str, body: dict[str, Any]) -> None:
    """A campaign as the API shows it names the partners the role may see and counts the others."""
    named = named_partners(role)
    assert set(body["partners"]) == {world.customers[k].pk for k in named}, body["code"]
    assert body["hidden_partner_count"] == len(KEYS) - len(named), body["code"]


def api_list(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    response = client.get(API[resource], {"page_size": 200})
    if cell.list is None:
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED)
        return
    assert response.status_code == 200
    records = world.records(resource)
    results = response.json()["results"]
    assert {r["id"] for r in results} == {records[k].pk for k in cell.list}, {
        k: r.pk for k, r in records.items()
    }
    if resource == "campaigns":
        for body in results:
            assert_partners(world, role, body)


def api_read(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        response = client.get(detail(resource, record))
        status = expected_status(cell.read, key)
        assert response.status_code == status, key
        body = response.json()
        if status == 200:
            assert body["id"] == record.pk
            if resource == "campaigns":
                assert_partners(world, role, body)
        else:
            assert body == (ROLE_REFUSED if status == 403 else NOT_FOUND), key


PATCHES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "expenses": ({"description": CHANGED}, {"description": CHANGED}),
    "campaigns": ({"description": CHANGED}, {"description": CHANGED}),
    "quotes": ({"note": CHANGED}, {"note": CHANGED}),
    "contracts": ({"note": CHANGED, "amount": "6000.00"}, {"note": CHANGED, "amount": Decimal("6000.00")}),
}


def api_change(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        before = row(record)
        partners = partners_of(record) if resource == "campaigns" else set()
        status = change_status(cell, key, allowed=200)
        payload, changed = PATCHES[resource]
        response = client.patch(detail(resource, record), payload, format="json")
        assert response.status_code == status, (key, response.content[:300])
        after = row(record)
        if status == 200:
            for field, value in changed.items():
                assert after[field] == value, (key, field)
            if resource == "campaigns":
                assert_partners(world, role, response.json())
        else:
            if status == 404:
                expected = NOT_FOUND
            elif cell.change is not None and resource == "campaigns":  # sees it, does not answer for it
                expected = NOT_YOUR_CAMPAIGN
            elif cell.change is not None:  # sees the expense claim, is not its applicant
                expected = NOT_YOUR_EXPENSE
            else:
                expected = ROLE_REFUSED
            assert response.json() == expected, key
            assert after == before, key
        if resource == "campaigns":
            assert partners_of(record) == partners, key


MODELS: dict[str, type[models.Model]] = {
    "expenses": Expense,
    "campaigns": Campaign,
    "quotes": Quote,
    "contracts": Contract,
}


def api_delete(world: World, client: APIClient, role: str, resource: str, cell: Cell) -> None:
    for key, record in world.records(resource).items():
        before = row(record)
        response = client.delete(detail(resource, record))
        assert response.status_code == (403 if cell.delete is None else 405), key
        assert MODELS[resource]._default_manager.filter(pk=record.pk).exists(), key
        assert row(record) == before, key


API_CHECKS: dict[str, Callable[..., None]] = {
    "list": api_list,
    "read": api_read,
    "change": api_change,
    "delete": api_delete,
}


@pytest.mark.parametrize(("role", "resource", "op"), cases("api"))
def test_api(world: World, role: str, resource: str, op: str) -> None:
    cell = MATRIX[role][resource]
    API_CHECKS[op](world, api_client(world, role), role, resource, cell)


# Paying an expense -----------------------------------------------------------------------------------


def approved_expense(world: World) -> Expense:
    """rep_a1's expense, submitted and approved by team A's manager (the payable to rep_a1 opens)."""
    expense = world.expenses["a1"]
    expense_services.submit_expense(expense, actor=world.company.rep_a1)
    expense_services.approve_expense(expense, actor=world.company.manager_a)
    expense.refresh_from_db()
    assert expense.status == Status.APPROVED
    return expense


@pytest.mark.parametrize("role", ROLES)
def test_paying_an_expense_through_the_api_is_finances_alone(world: World, role: str) -> None:
    expense = approved_expense(world)
    today = timezone.localdate().isoformat()
    response = api_client(world, role).post(
        detail("expenses", expense, "pay/"), {"paid_on": today}, format="json"
    )
    expense.refresh_from_db()
    if role in PAYERS:
        assert (response.status_code, response.json()["status"]) == (200, Status.DONE)
        assert expense.status == Status.DONE and expense.payment_id is not None
    else:
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED)
        assert (expense.status, expense.payment_id) == (Status.APPROVED, None)


@pytest.mark.parametrize("role", ROLES)
def test_paying_an_expense_through_the_pages_is_finances_alone(world: World, role: str) -> None:
    expense = approved_expense(world)
    today = timezone.localdate().isoformat()
    response = page_client(world, role).post(
        reverse("web:expense-pay", args=[expense.pk]), {"paid_on": today, "method": "bank_transfer"}
    )
    expense.refresh_from_db()
    if role in PAYERS:
        assert response.status_code == 302
        assert expense.status == Status.DONE and expense.payment_id is not None
    else:
        assert response.status_code == 403
        assert (expense.status, expense.payment_id) == (Status.APPROVED, None)


# The matrix itself -----------------------------------------------------------------------------------


def test_the_money_matrix_says_what_the_rules_say() -> None:
    assert all(set(MONEY_RESOURCES) <= set(cells) for cells in MATRIX.values())
    # Expenses: own, department tree (down, not up), all; finance reads and changes nothing.
    assert MATRIX["rep_a1"]["expenses"].read == {"a1"}
    assert MATRIX["manager_a"]["expenses"].read == {"a1", "a2"}
    assert MATRIX["sales_head"]["expenses"].read == {"a1", "a2", "b1", "head"}
    assert MATRIX["sales_head"]["expenses"].change == {"head"}  # only their own claim
    assert MATRIX["purchaser"]["expenses"].list == {"buy"}
    assert MATRIX["finance_clerk"]["expenses"] == Cell(
        list=frozenset(RESOURCE_KEYS["expenses"]),
        read=frozenset(RESOURCE_KEYS["expenses"]),
        change=None,
        delete=None,
    )
    # Campaigns: everyone who may see them sees all; managers change their department tree's.
    assert MATRIX["rep_b1"]["campaigns"].read == frozenset(CAMPAIGN_KEYS)
    assert MATRIX["rep_b1"]["campaigns"].change is None  # owns "b", may not change campaigns
    assert MATRIX["manager_a"]["campaigns"].change == {"a"}
    assert MATRIX["sales_head"]["campaigns"].change == {"a", "b", "head"}
    assert MATRIX["admin"]["campaigns"].change == frozenset(CAMPAIGN_KEYS)
    assert MATRIX["purchaser"]["campaigns"].list is None
    assert named_partners("rep_a1") == {"a1"} and named_partners("admin") == frozenset(KEYS)
    # Quotes and contracts: the customers' scope; finance and the purchaser have neither.
    assert MATRIX["assistant_a"]["contracts"].change == {"a1", "a2"}
    assert MATRIX["finance_clerk"]["quotes"].list is None
    assert not holds("purchaser", "contracts", "v")


def test_the_matrix_table_shows_every_cell() -> None:
    """The whole matrix as a table (shown with `pytest -s` or `-rP`)."""
    table = matrix_table()
    print(table)
    assert len(table.splitlines()) == 1 + len(ROLES) * len(MATRIX["admin"])
    assert "finance_clerk  expenses       a1,a2,b1,head,buy" in table
    assert "manager_a      campaigns      a,b,head,hq        | a,b,head,hq        | a " in table
