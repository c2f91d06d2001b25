"""Contracts (合同): create and edit (draft or rejected), amount from the lines, date rules, the
owner (the customer's owner), data scope, submit / withdraw / cancel through the approval workflow,
approval in the inbox, and the contract made from an accepted quote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest
from django.urls import reverse

from maoyi.approvals.models import ApprovalRequest
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.models import Contract, ContractLine, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.crm.services import contracts as services
from maoyi.crm.services import quotes as quote_services
from tests.crm.quote_builders import Book, line, make_book, make_quote

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)
END = dt.date(2026, 12, 31)


@pytest.fixture
def book(company) -> Book:
    return make_book(company)


def state() -> dict[str, list[dict[str, Any]]]:
    models = (Contract, ContractLine, ApprovalRequest, AuditEntry)
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


@contextmanager
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def make(actor, customer, *lines, **fields) -> Contract:
    fields.setdefault("title", "2026 年度耗材合同")
    fields.setdefault("signed_on", START)
    fields.setdefault("start_date", START)
    fields.setdefault("end_date", END)
    return services.create_contract(actor=actor, customer=customer, lines=list(lines), **fields)


def test_a_contract_with_lines_takes_their_sum_and_is_owned_like_its_customer(company, book):
    contract = make(company.assistant_a, book.xiehe, line(book.gloves, "100"), line(book.masks, "10", "3"))
    contract.refresh_from_db()
    # 100 × 10.80 (VIP) + 10 × 3.00 = 1110.00
    assert contract.amount == D("1110.00")
    assert (contract.owner, contract.department, contract.status) == (company.rep_a1, company.team_a, "draft")
    assert contract.number.startswith("HT")
    assert contract.created_by == company.assistant_a.user
    assert [(x.product.code, x.unit_price) for x in selectors.contract_lines(contract)] == [
        ("P001", D("10.8000")),
        ("P002", D("3.0000")),
    ]
    entry = AuditEntry.objects.get(content_type__model="contract", action="create")
    assert entry.changes["amount"][1] and "lines" in entry.changes


def test_a_contract_without_lines_needs_its_amount_and_a_given_amount_stands(company, book):
    contract = make(company.rep_a1, book.xiehe, amount=D("50000"))
    assert (contract.amount, contract.lines.count()) == (D("50000.00"), 0)
    typed = make(company.rep_a1, book.xiehe, line(book.gloves, "1"), amount=D("8"))
    assert typed.amount == D("8.00")


@pytest.mark.parametrize(
    ("fields", "code", "message", "field"),
    [
        ({}, "invalid", "请填写合同金额。", "amount"),
        ({"amount": D("-1")}, "invalid", "合同金额不能为负数。", "amount"),
        ({"amount": D("1.001")}, "invalid", "合同金额最多保留两位小数。", "amount"),
        ({"amount": D("1"), "title": " "}, "invalid", "请填写合同名称。", "title"),
        (
            {"amount": D("1"), "end_date": dt.date(2025, 12, 31)},
            "invalid",
            "结束日期不能早于开始日期。",
            "end_date",
        ),
        ({"amount": D("1"), "signed_on": None}, "invalid", "请填写签订日期。", "signed_on"),
    ],
)
def test_bad_contracts_are_refused_and_nothing_is_written(company, book, fields, code, message, field):
    refused(lambda: make(company.rep_a1, book.xiehe, **fields), code, message, field)


def test_outsiders_cannot_make_or_touch_a_contract(company, book):
    with unchanged(), pytest.raises(NotFoundInScope):
        make(company.rep_b1, book.xiehe, amount=D("1"))
    contract = make(company.rep_a1, book.xiehe, amount=D("1"))
    for call in (
        lambda: services.submit_contract(contract, actor=company.rep_a2),
        lambda: services.cancel_contract(contract, actor=company.rep_b1),
        lambda: services.update_contract(
            contract,
            actor=company.rep_a2,
            title="x",
            signed_on=START,
            start_date=START,
            end_date=END,
            amount=D("2"),
        ),
    ):
        with unchanged(), pytest.raises(NotFoundInScope):
            call()

    def seen(employee) -> set[int]:
        return {c.pk for c in selectors.contracts(employee.user)}

    assert seen(company.rep_a1) == seen(company.manager_a) == seen(company.sales_head) == {contract.pk}
    assert seen(company.rep_a2) == seen(company.rep_b1) == seen(company.purchaser) == set()


def test_submit_goes_to_the_managers_inbox_withdraw_brings_it_back_and_edits_are_refused_meanwhile(
    company, book
):
    contract = make(company.rep_a1, book.xiehe, line(book.gloves, "10"))
    services.submit_contract(contract, actor=company.rep_a1)
    request = ApprovalRequest.objects.get(document_type="contract", object_id=contract.pk)
    assert list(request.approvers.all()) == [company.manager_a] and request.amount == D("108.00")
    refused(
        lambda: services.update_contract(
            contract, actor=company.rep_a1, title="改", signed_on=START, start_date=START, end_date=END
        ),
        "invalid_state",
        f"单据 {contract.number} 当前状态为“待审核”，不能修改。",
    )
    services.withdraw_contract(contract, actor=company.rep_a1)
    contract.refresh_from_db()
    assert contract.status == Status.DRAFT
    updated = services.update_contract(
        contract,
        actor=company.rep_a1,
        title="改名",
        signed_on=START,
        start_date=START,
        end_date=END,
        lines=[line(book.masks, "100")],
    )
    assert (updated.title, updated.amount) == ("改名", D("320.00"))
    services.cancel_contract(updated, actor=company.rep_a1, reason="客户取消")
    updated.refresh_from_db()
    assert updated.status == Status.CANCELLED
    refused(
        lambda: services.submit_contract(updated, actor=company.rep_a1),
        "invalid_state",
        f"单据 {updated.number} 当前状态为“已作废”，不能提交。",
    )


def test_the_manager_approves_a_contract_in_the_inbox(company, book, client_for):
    contract = make(company.rep_a1, book.xiehe, amount=D("50000"))
    services.submit_contract(contract, actor=company.rep_a1)
    request = ApprovalRequest.objects.get(document_type="contract", object_id=contract.pk)
    boss = client_for(company.manager_a)
    page = boss.get(reverse("web:approval-detail", args=[request.pk])).content.decode()
    assert reverse("web:contract-detail", args=[contract.pk]) in page
    answer = boss.post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": "同意"})
    assert answer.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Status.APPROVED
    detail = client_for(company.rep_a1).get(
        reverse("web:contract-detail", args=[contract.pk]) + "?tab=approvals"
    )
    assert "同意" in detail.content.decode()


def test_an_accepted_quote_becomes_a_contract_with_its_lines_once(company, book):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "100"), line(book.masks, "5", "3"))
    refused(
        lambda: services.create_contract_from_quote(
            quote, actor=company.rep_a1, signed_on=START, start_date=START, end_date=END
        ),
        "invalid_state",
        f"只有已接受的报价单才能生成合同（{quote.number} 当前为“草稿”）。",
    )
    quote_services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.SENT)
    quote_services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.ACCEPTED)
    quote.refresh_from_db()
    contract = services.create_contract_from_quote(
        quote, actor=company.rep_a1, signed_on=START, start_date=START, end_date=END
    )
    assert (contract.quote, contract.amount, contract.title) == (
        quote,
        quote.amount,
        f"北京协和医院 {quote.number}",
    )
    assert [(x.product_id, x.quantity, x.unit_price) for x in contract.lines.order_by("id")] == [
        (x.product_id, x.quantity, x.unit_price) for x in quote.lines.order_by("id")
    ]
    refused(
        lambda: services.create_contract_from_quote(
            quote, actor=company.rep_a1, signed_on=START, start_date=START, end_date=END
        ),
        "invalid_state",
        f"报价单 {quote.number} 已生成合同 {contract.number}。",
    )
