"""红冲: a receipt or payment is reversed (`reverse_settlement`), never deleted; an opening balance
entered by mistake is reversed while nothing is allocated to it (`reverse_opening_balance`); a
document's unapprove reverses what it opened (`reverse_for_source`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef
from maoyi.finance import services
from maoyi.finance.models import Allocation, Obligation, ObligationStatus, SettlementStatus
from tests.finance.builders import (
    PAYABLE,
    fresh,
    installments,
    live_allocated,
    make_parties,
    payable,
    receivable,
    refused,
    settle,
    to_input,
)

pytestmark = pytest.mark.django_db

MAR31, APR30 = dt.date(2026, 3, 31), dt.date(2026, 4, 30)
PAID_ON = dt.date(2026, 4, 10)
ORDER = DocRef(type="sales_order", id=42, number="XS20260301-0042")


@pytest.fixture
def parties(company):
    return make_parties(company)


@pytest.fixture
def clerk(company):
    return company.finance_clerk


@pytest.fixture
def owed(clerk, parties):
    return receivable(clerk, parties.hospital, "1000.00", APR30, plan=[(MAR31, "400.00"), (APR30, "600.00")])


# reverse_settlement --------------------------------------------------------------------------------


def test_reversing_a_receipt_gives_back_what_it_settled_and_keeps_every_row(clerk, parties, owed) -> None:
    other = settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00"))
    receipt = settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "900.00"))
    assert fresh(owed).status == ObligationStatus.SETTLED
    reversed_ = services.reverse_settlement(receipt, actor=clerk, reason="  银行退票  ")
    assert (reversed_.status, reversed_.allocated, reversed_.reverse_reason, reversed_.reversed_by) == (
        SettlementStatus.REVERSED,
        D("0"),
        "银行退票",
        clerk.user,
    )
    assert reversed_.reversed_at is not None
    receipt = fresh(receipt)
    assert (receipt.status, receipt.allocated, receipt.amount) == (
        SettlementStatus.REVERSED,
        D("0.00"),
        D("1000.00"),
    )
    # its allocations stay, stamped; the other receipt's are untouched
    rows = list(Allocation.objects.filter(settlement=receipt).order_by("id"))
    assert [(r.amount, r.reversed_at is not None) for r in rows] == [(D("300.00"), True), (D("600.00"), True)]
    assert {r.reversed_at for r in rows} == {reversed_.reversed_at}
    assert list(Allocation.objects.filter(settlement=other).values_list("amount", "reversed_at")) == [
        (D("100.00"), None)
    ]
    owed = fresh(owed)
    assert (owed.allocated, owed.outstanding, owed.status) == (
        D("100.00"),
        D("900.00"),
        ObligationStatus.OPEN,
    )
    assert owed.allocated == live_allocated(owed)
    assert installments(owed) == [(1, MAR31, D("400.00"), D("100.00")), (2, APR30, D("600.00"), D("0.00"))]
    # audited on the receivable (money owed again) and on the receipt
    unallocated = AuditEntry.objects.get(
        content_type__model="receivable", object_id=str(owed.pk), action="unallocate"
    )
    assert (unallocated.note, unallocated.changes) == (
        receipt.number,
        {"allocated": ["1000.00", "100.00"], "status": ["已结清", "未结清"]},
    )
    reverse = AuditEntry.objects.get(
        content_type__model="receipt", object_id=str(receipt.pk), action="reverse"
    )
    assert (reverse.note, reverse.changes) == ("银行退票", {"status": ["已入账", "已红冲"]})


def test_a_reversed_advance_leaves_the_receivables_alone(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "500.00", PAID_ON)
    services.reverse_settlement(receipt, actor=clerk, reason="重复录入")
    assert fresh(receipt).status == SettlementStatus.REVERSED
    assert fresh(owed).allocated == D("0.00")


def test_a_reversed_receipt_makes_room_for_a_new_one(clerk, parties, owed) -> None:
    wrong = settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "1000.00"))
    services.reverse_settlement(wrong, actor=clerk, reason="金额录错")
    right = settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "1000.00"))
    assert fresh(owed).status == ObligationStatus.SETTLED
    assert fresh(right).allocated == D("1000.00")


def test_a_payment_is_reversed_the_same_way(clerk, parties) -> None:
    owed_to = payable(clerk, parties.supplier, "300.00", MAR31)
    payment = settle(clerk, parties.supplier, "300.00", PAID_ON, (owed_to, "300.00"), direction=PAYABLE)
    services.reverse_settlement(payment, actor=clerk, reason="退回")
    assert (fresh(owed_to).status, fresh(owed_to).allocated) == (ObligationStatus.OPEN, D("0.00"))


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(clerk, parties, owed, reason) -> None:
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00"))
    with refused("reason_required", "请填写原因。", field="reason"):
        services.reverse_settlement(receipt, actor=clerk, reason=reason)


def test_reversing_twice_is_refused(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00"))
    services.reverse_settlement(receipt, actor=clerk, reason="错")
    with refused("invalid_state", f"{receipt.number} 已红冲。"):
        services.reverse_settlement(receipt, actor=clerk, reason="又错")
    # a stale copy still says posted; the service reads the row, not the copy
    stale = type(receipt).objects.get(pk=receipt.pk)
    stale.status = SettlementStatus.POSTED
    with refused("invalid_state", f"{receipt.number} 已红冲。"):
        services.reverse_settlement(stale, actor=clerk, reason="又错")


def test_only_finance_reverses_a_receipt(company, clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00"))
    with refused("permission_denied", "您的角色不能执行此操作。"):
        services.reverse_settlement(receipt, actor=company.rep_a1, reason="错")


# reverse_opening_balance -------------------------------------------------------------------------


def test_an_opening_balance_with_nothing_allocated_is_reversed(clerk, parties, owed) -> None:
    done = services.reverse_opening_balance(owed, actor=clerk, reason=" 录入错误 ")
    owed = fresh(owed)
    assert (owed.status, owed.reverse_reason, owed.reversed_by, done.pk) == (
        ObligationStatus.REVERSED,
        "录入错误",
        clerk.user,
        owed.pk,
    )
    assert owed.reversed_at is not None
    entry = AuditEntry.objects.get(content_type__model="receivable", object_id=str(owed.pk), action="reverse")
    assert (entry.changes, entry.note) == ({"status": ["未结清", "已红冲"]}, "录入错误")
    with refused("invalid_state", f"{owed.number} 已红冲。"):
        services.reverse_opening_balance(owed, actor=clerk, reason="再来")


def test_an_allocated_opening_balance_is_refused_until_the_receipt_is_reversed(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "300.00", PAID_ON, (owed, "300.00"))
    with refused("has_downstream", f"{owed.number} 已核销 300.00，须先红冲相关的收付款单。"):
        services.reverse_opening_balance(owed, actor=clerk, reason="录入错误")
    services.reverse_settlement(receipt, actor=clerk, reason="先红冲收款")
    services.reverse_opening_balance(owed, actor=clerk, reason="录入错误")
    assert fresh(owed).status == ObligationStatus.REVERSED


def test_a_document_receivable_is_not_reversed_as_an_opening_balance(clerk, parties) -> None:
    ob = receivable(clerk, parties.hospital, "100.00", MAR31, source=ORDER)
    with refused("invalid_state", f"{ob.number} 由单据 XS20260301-0042 生成，请在来源单据上反审核或退货。"):
        services.reverse_opening_balance(ob, actor=clerk, reason="错")


def test_reversing_an_opening_balance_needs_a_reason_and_the_permission(
    company, clerk, parties, owed
) -> None:
    with refused("reason_required", "请填写原因。", field="reason"):
        services.reverse_opening_balance(owed, actor=clerk, reason=" ")
    with refused("permission_denied", "您的角色不能执行此操作。"):
        services.reverse_opening_balance(owed, actor=company.rep_a1, reason="错")


# reverse_for_source ------------------------------------------------------------------------------


def test_a_document_reverses_everything_it_opened(clerk, parties) -> None:
    first = receivable(clerk, parties.hospital, "100.00", MAR31, source=ORDER)
    second = payable(clerk, parties.hospital, "30.00", MAR31, source=ORDER)  # e.g. a rebate owed back
    unrelated = receivable(clerk, parties.hospital, "50.00", MAR31, source=DocRef("sales_order", 43, "XS-43"))
    same_id_other_type = receivable(
        clerk, parties.hospital, "60.00", MAR31, source=DocRef("sales_return", 42, "TH-42")
    )
    done = services.reverse_for_source(ORDER, actor=clerk, reason="反审核")
    assert [(o.pk, o.status) for o in done] == [
        (first.pk, ObligationStatus.REVERSED),
        (second.pk, ObligationStatus.REVERSED),
    ]
    statuses = dict(Obligation.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: ObligationStatus.REVERSED,
        second.pk: ObligationStatus.REVERSED,
        unrelated.pk: ObligationStatus.OPEN,
        same_id_other_type.pk: ObligationStatus.OPEN,
    }
    assert fresh(first).reverse_reason == "反审核"
    # nothing is left to reverse: a second call does nothing
    assert services.reverse_for_source(ORDER, actor=clerk, reason="反审核") == []


def test_a_document_with_money_allocated_is_refused_and_nothing_is_reversed(clerk, parties) -> None:
    untouched = receivable(clerk, parties.hospital, "100.00", MAR31, source=ORDER)
    paid = receivable(clerk, parties.hospital, "200.00", APR30, source=ORDER)
    settle(clerk, parties.hospital, "50.00", PAID_ON, (paid, "50.00"))
    # the first receivable would be reversed before the second refuses: the whole call rolls back
    with refused("has_downstream", f"{paid.number} 已核销 50.00，须先红冲相关的收付款单。"):
        services.reverse_for_source(ORDER, actor=clerk, reason="反审核")
    assert fresh(untouched).status == ObligationStatus.OPEN


def test_allocating_to_a_reversed_document_receivable_is_refused(clerk, parties) -> None:
    ob = receivable(clerk, parties.hospital, "100.00", MAR31, source=ORDER)
    services.reverse_for_source(ORDER, actor=clerk, reason="反审核")
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON)
    with refused("invalid_state", f"{ob.number} 已红冲，不能核销。"):
        services.allocate(receipt, actor=clerk, allocations=[to_input(ob, "100.00")])
