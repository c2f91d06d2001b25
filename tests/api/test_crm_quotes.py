"""/api/v1/quotes/ and /api/v1/contracts/: shapes, prices proposed from the customer's level, the
status actions, contract workflow (submit / approve / withdraw / cancel), refusals (400, 409),
permissions (403), data scope (404, 400 for an invisible customer) and no delete (405)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.approvals.models import ApprovalRequest
from maoyi.crm.models import Contract, Quote
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions
from tests.crm.quote_builders import Book, later, line, make_book, make_quote

QUOTES = "/api/v1/quotes/"
CONTRACTS = "/api/v1/contracts/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(company: Company) -> Book:
    grant_customer_permissions()
    return make_book(company)


def test_a_quote_is_created_with_level_prices_and_reads_with_the_api_md_fields(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    api = api_client_for(company.rep_a1)
    body: dict[str, Any] = {
        "customer": book.xiehe.pk,
        "opportunity": None,
        "valid_until": later().isoformat(),
        "lines": [
            {"product": book.gloves.pk, "quantity": "100"},
            {"product": book.masks.pk, "quantity": "10", "unit_price": "2.5"},
        ],
    }
    created = api.post(QUOTES, body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["number"].startswith("BJ") and data["status"] == "draft" and data["expired"] is False
    assert data["amount"] == "1105.00"  # 100 × 10.80 + 10 × 2.50
    assert [(x["unit_price"], x["price_source"]) for x in data["lines"]] == [
        ("10.8000", "level"),
        ("2.5000", "typed"),
    ]
    assert api.get(QUOTES).json()["count"] == 1
    sent = api.post(f"{QUOTES}{data['id']}/send/")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    again = api.post(f"{QUOTES}{data['id']}/send/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert api.post(f"{QUOTES}{data['id']}/accept/").json()["status"] == "accepted"
    assert api.delete(f"{QUOTES}{data['id']}/").status_code == 405


def test_quote_refusals_and_scope(company: Company, book: Book, api_client_for: ClientFor) -> None:
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    outsider = api_client_for(company.rep_b1)
    assert outsider.get(f"{QUOTES}{quote.pk}/").json() == NOT_FOUND
    assert outsider.get(QUOTES).json()["count"] == 0
    invisible = outsider.post(
        QUOTES,
        {
            "customer": book.xiehe.pk,
            "valid_until": later().isoformat(),
            "lines": [{"product": book.gloves.pk, "quantity": "1"}],
        },
        format="json",
    )
    assert invisible.status_code == 400 and "customer" in invisible.json()
    empty = api_client_for(company.rep_a1).post(
        QUOTES, {"customer": book.xiehe.pk, "valid_until": later().isoformat(), "lines": []}, format="json"
    )
    assert empty.status_code == 400 and empty.json() == {"lines": ["请至少添加一行明细。"]}
    assert api_client_for(company.purchaser).get(QUOTES).status_code == 403
    assert Quote.objects.count() == 1
    patched = api_client_for(company.rep_a1).patch(f"{QUOTES}{quote.pk}/", {"note": "加急"}, format="json")
    assert patched.status_code == 200 and patched.json()["note"] == "加急"
    assert patched.json()["lines"][0]["price_source"] == "level"


def test_a_contract_goes_through_the_api_workflow(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    rep = api_client_for(company.rep_a1)
    body = {
        "customer": book.xiehe.pk,
        "title": "年度合同",
        "signed_on": "2026-01-01",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "lines": [{"product": book.gloves.pk, "quantity": "10"}],
    }
    created = rep.post(CONTRACTS, body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["number"].startswith("HT") and data["amount"] == "108.00" and data["status"] == "draft"
    assert data["owner"] == company.rep_a1.pk and data["lines"][0]["amount"] == "108.00"
    bad = rep.post(CONTRACTS, {**body, "end_date": "2025-12-31"}, format="json")
    assert bad.status_code == 400 and bad.json() == {"end_date": ["结束日期不能早于开始日期。"]}
    pk = data["id"]
    assert rep.post(f"{CONTRACTS}{pk}/submit/").json()["status"] == "submitted"
    assert rep.post(f"{CONTRACTS}{pk}/approve/").json()["code"] == "not_approver"
    assert rep.post(f"{CONTRACTS}{pk}/withdraw/").json()["status"] == "draft"
    rep.post(f"{CONTRACTS}{pk}/submit/")
    approved = api_client_for(company.manager_a).post(
        f"{CONTRACTS}{pk}/approve/", {"comment": "同意"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    statuses = ApprovalRequest.objects.filter(object_id=pk, document_type="contract").order_by("id")
    assert [r.status for r in statuses] == ["withdrawn", "approved"]
    cancel = rep.post(f"{CONTRACTS}{pk}/cancel/", {"reason": "x"}, format="json")
    assert cancel.status_code == 409 and cancel.json()["code"] == "invalid_state"
    assert api_client_for(company.rep_b1).get(f"{CONTRACTS}{pk}/").json() == NOT_FOUND
    assert rep.delete(f"{CONTRACTS}{pk}/").status_code == 405
    assert api_client_for(company.purchaser).get(CONTRACTS).status_code == 403


def test_a_contract_without_lines_needs_an_amount_and_a_draft_is_patched(
    company: Company, book: Book, api_client_for: ClientFor
) -> None:
    rep = api_client_for(company.rep_a1)
    body = {
        "customer": book.xiehe.pk,
        "title": "服务合同",
        "signed_on": "2026-01-01",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
    }
    missing = rep.post(CONTRACTS, body, format="json")
    assert missing.status_code == 400 and missing.json() == {"amount": ["请填写合同金额。"]}
    created = rep.post(CONTRACTS, {**body, "amount": "5000"}, format="json").json()
    patched = rep.patch(f"{CONTRACTS}{created['id']}/", {"title": "服务合同（续）"}, format="json")
    assert patched.status_code == 200 and patched.json()["title"] == "服务合同（续）"
    assert Contract.objects.get().amount == D("5000.00")
