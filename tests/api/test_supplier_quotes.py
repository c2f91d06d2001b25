"""/api/v1/supplier-quotes/ (list with filters supplier, product, valid_on; create; update; no
delete; action withdraw) and /api/v1/exchange-rates/ (list filtered by currency; create by finance):
shapes, status codes, refusals (400 on a field, 409 invalid_state, 403 by role) that change
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.finance import services as finance_services
from maoyi.finance.models import ExchangeRate
from maoyi.purchasing.models import SupplierQuote
from maoyi.purchasing.services import quotes as services
from tests.catalog.builders import make_product
from tests.conftest import Company
from tests.purchasing.builders import grant_supplier_permissions, make_supplier

QUOTES = "/api/v1/supplier-quotes/"
RATES = "/api/v1/exchange-rates/"
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}
D = dt.date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _supplier_permissions(company: Company) -> None:
    grant_supplier_permissions()


def state() -> dict[str, list[dict[str, Any]]]:
    return {
        m._meta.label: list(m.objects.order_by("pk").values())
        for m in (SupplierQuote, ExchangeRate, AuditEntry)
    }


@pytest.fixture
def world(company: Company) -> dict[str, Any]:
    tiantan = make_supplier("北京天坛医疗器械有限公司")
    medline = make_supplier("Medline Industries", currency="USD")
    syringe = make_product("P001", "一次性注射器")
    gloves = make_product("P002", "医用手套")

    def quote(supplier: Any, product: Any, price: str, start: dt.date, end: dt.date) -> SupplierQuote:
        return services.create_quote(
            actor=None,
            supplier=supplier,
            product=product,
            unit_price=Decimal(price),
            valid_from=start,
            valid_until=end,
        )

    return {
        "tiantan": tiantan,
        "medline": medline,
        "syringe": syringe,
        "gloves": gloves,
        "q1": quote(tiantan, syringe, "72", D(2026, 1, 1), D(2026, 6, 30)),
        "q2": quote(medline, syringe, "9.9", D(2026, 3, 1), D(2026, 12, 31)),
        "q3": quote(tiantan, gloves, "0.8", D(2026, 1, 1), D(2026, 2, 28)),
    }


def ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_paginated_and_filtered_by_supplier_product_and_validity(company, api_client_for, world):
    api = api_client_for(company.finance_clerk)

    everything = api.get(QUOTES)
    assert everything.status_code == 200
    assert everything.json()["count"] == 3
    assert set(ids(api.get(QUOTES, {"supplier": world["tiantan"].pk}))) == {world["q1"].pk, world["q3"].pk}
    assert set(ids(api.get(QUOTES, {"product": world["syringe"].pk}))) == {world["q1"].pk, world["q2"].pk}
    assert set(ids(api.get(QUOTES, {"valid_on": "2026-03-15"}))) == {world["q1"].pk, world["q2"].pk}
    assert set(ids(api.get(QUOTES, {"valid_on": "2026-07-01"}))) == {world["q2"].pk}
    assert ids(api.get(QUOTES, {"search": "手套"})) == [world["q3"].pk]
    assert api.get(QUOTES, {"valid_on": "not a date"}).status_code == 400


def test_a_quote_reads_with_its_names_and_decimals_as_strings(company, api_client_for, world):
    body = api_client_for(company.purchaser).get(f"{QUOTES}{world['q2'].pk}/").json()

    assert body["supplier"] == world["medline"].pk
    assert (body["supplier_name"], body["product_code"], body["product_name"]) == (
        "Medline Industries",
        "P001",
        "一次性注射器",
    )
    assert (body["unit_price"], body["currency"], body["min_quantity"]) == ("9.9000", "USD", "0.0000")
    assert (body["valid_from"], body["valid_until"], body["is_active"]) == ("2026-03-01", "2026-12-31", True)


def test_creating_a_quote_answers_201_in_the_suppliers_currency(company, api_client_for, world):
    response = api_client_for(company.purchaser).post(
        QUOTES,
        {
            "supplier": world["medline"].pk,
            "product": world["gloves"].pk,
            "unit_price": "0.11",
            "min_quantity": "1000",
            "valid_from": "2026-04-01",
            "valid_until": "2026-09-30",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["currency"], body["unit_price"], body["min_quantity"]) == ("USD", "0.1100", "1000.0000")
    assert body["created_by"] == company.purchaser.pk
    assert SupplierQuote.objects.get(pk=body["id"]).created_by == company.purchaser


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"unit_price": "0"}, {"unit_price": ["含税单价须大于零。"]}),
        ({"unit_price": "1.23456"}, {"unit_price": ["含税单价最多四位小数。"]}),
        ({"valid_until": "2025-12-31"}, {"valid_until": ["失效日期不能早于生效日期。"]}),
        ({"min_quantity": "-1"}, {"min_quantity": ["起订量不能为负数。"]}),
    ],
)
def test_invalid_quotes_answer_400_on_the_field_and_change_nothing(
    company, api_client_for, world, changes, expected
):
    data = {
        "supplier": world["tiantan"].pk,
        "product": world["gloves"].pk,
        "unit_price": "1",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        **changes,
    }
    before = state()
    response = api_client_for(company.purchaser).post(QUOTES, data, format="json")
    assert (response.status_code, response.json()) == (400, expected)
    assert state() == before


def test_updating_a_quote_keeps_what_is_not_sent(company, api_client_for, world):
    api = api_client_for(company.purchaser)
    response = api.patch(f"{QUOTES}{world['q2'].pk}/", {"unit_price": "9.5"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["unit_price"], response.json()["currency"]) == ("9.5000", "USD")
    assert response.json()["valid_until"] == "2026-12-31"
    put = api.put(
        f"{QUOTES}{world['q2'].pk}/",
        {
            "supplier": world["medline"].pk,
            "product": world["syringe"].pk,
            "unit_price": "9.4",
            "currency": "USD",
            "min_quantity": "10",
            "valid_from": "2026-03-01",
            "valid_until": "2026-10-31",
        },
        format="json",
    )
    assert put.status_code == 200
    assert (put.json()["unit_price"], put.json()["min_quantity"]) == ("9.4000", "10.0000")


def test_withdraw_then_a_second_withdraw_or_an_edit_answers_409(company, api_client_for, world):
    api = api_client_for(company.purchaser)
    url = f"{QUOTES}{world['q1'].pk}/"

    response = api.post(f"{url}withdraw/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    before = state()
    assert api.post(f"{url}withdraw/").json() == {"detail": "报价已撤回。", "code": "invalid_state"}
    again = api.patch(url, {"unit_price": "1"}, format="json")
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "报价已撤回，不能修改。", "code": "invalid_state"},
    )
    assert state() == before
    assert api.delete(url).status_code == 405
    assert api.get(QUOTES, {"active": "false"}).json()["count"] == 1


def test_roles_without_the_permission_are_refused(company, api_client_for, world):
    finance = api_client_for(company.finance_clerk)
    data = {
        "supplier": world["tiantan"].pk,
        "product": world["gloves"].pk,
        "unit_price": "1",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
    }
    before = state()
    assert finance.post(QUOTES, data, format="json").json() == ROLE_REFUSED
    assert finance.post(f"{QUOTES}{world['q1'].pk}/withdraw/").status_code == 403
    rep = api_client_for(company.rep_a1)
    assert rep.get(QUOTES).status_code == 403
    assert rep.get(f"{QUOTES}{world['q1'].pk}/").status_code == 403
    assert state() == before
    assert api_client_for(company.purchaser).get(f"{QUOTES}999999/").status_code == 404


# Exchange rates ------------------------------------------------------------------------------------


def test_finance_sets_rates_and_the_list_filters_by_currency(company, api_client_for):
    api = api_client_for(company.finance_clerk)

    created = api.post(RATES, {"currency": "USD", "rate": "7.1", "valid_from": "2026-03-01"}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["currency"], created.json()["rate"]) == ("USD", "7.100000")
    assert created.json()["created_by_name"] == company.finance_clerk.name
    api.post(RATES, {"currency": "EUR", "rate": "7.8", "valid_from": "2026-01-01"}, format="json")
    api.post(RATES, {"currency": "USD", "rate": "7.3", "valid_from": "2026-03-20"}, format="json")

    usd = api.get(RATES, {"currency": "USD"}).json()
    assert [(r["valid_from"], r["rate"]) for r in usd["results"]] == [
        ("2026-03-20", "7.300000"),
        ("2026-03-01", "7.100000"),
    ]
    assert api.get(RATES).json()["count"] == 3
    assert api.get(RATES, {"currency": "GBP"}).status_code == 400
    assert api.delete(f"{RATES}{created.json()['id']}/").status_code == 405


def test_invalid_rates_answer_400_and_other_roles_403(company, api_client_for):
    finance = api_client_for(company.finance_clerk)
    before = state()
    bad = finance.post(RATES, {"currency": "USD", "rate": "0", "valid_from": "2026-03-01"}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"rate": ["外币须填写大于零的汇率。"]})
    cny = finance.post(RATES, {"currency": "CNY", "rate": "1", "valid_from": "2026-03-01"}, format="json")
    assert (cny.status_code, cny.json()) == (400, {"currency": ["人民币是本位币，不需要汇率。"]})
    purchaser = api_client_for(company.purchaser)
    assert purchaser.get(RATES).status_code == 200  # purchasers read rates
    refused = purchaser.post(
        RATES, {"currency": "USD", "rate": "7", "valid_from": "2026-03-01"}, format="json"
    )
    assert (refused.status_code, refused.json()) == (403, ROLE_REFUSED)
    assert api_client_for(company.rep_a1).get(RATES).status_code == 403
    assert state() == before


def test_rates_drive_no_stored_quote_price(company, api_client_for, world):
    """A rate set later never changes a stored quote: quotes keep their own currency and price."""
    finance_services.set_exchange_rate(
        actor=company.finance_clerk, currency="USD", rate=Decimal("7.2"), valid_from=D(2026, 1, 1)
    )
    body = api_client_for(company.purchaser).get(f"{QUOTES}{world['q2'].pk}/").json()
    assert (body["unit_price"], body["currency"]) == ("9.9000", "USD")
