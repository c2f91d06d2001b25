"""Receipts and payments: `record_settlement` and `allocate` (核销). Allocation over installments
earliest due first or to a named one, advances, every over-allocation, party, currency and state
refusals, settled status, refunds, permissions and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.finance import services
from maoyi.finance.models import (
    Allocation,
    Installment,
    ObligationStatus,
    Payment,
    Receipt,
    SettlementStatus,
)
from maoyi.finance.services import AllocationInput
from tests.finance.builders import (
    PAYABLE,
    RECEIVABLE,
    fresh,
    frozen,
    installments,
    make_parties,
    payable,
    receivable,
    refused,
    settle,
    to_input,
)

pytestmark = pytest.mark.django_db

MAR31, APR30, MAY31 = dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)
PAID_ON = dt.date(2026, 4, 10)


@pytest.fixture
def parties(company):
    return make_parties(company)


@pytest.fixture
def clerk(company):
    return company.finance_clerk


@pytest.fixture
def owed(clerk, parties):
    """The hospital owes 1000.00: 400.00 due 31 March, 600.00 due 30 April."""
    return receivable(clerk, parties.hospital, "1000.00", APR30, plan=[(APR30, "600.00"), (MAR31, "400.00")])


def first_and_second(ob):
    return list(Installment.objects.filter(obligation=ob).order_by("sequence"))


# Happy paths --------------------------------------------------------------------------------------


def test_a_receipt_is_spread_over_installments_earliest_due_first(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "500.00", PAID_ON, (owed, "500.00"), reference=" 工行流水 88 ")
    assert isinstance(receipt, Receipt)
    assert receipt.number.startswith("SK")
    assert (receipt.amount, receipt.allocated, receipt.outstanding, receipt.status, receipt.reference) == (
        D("500.00"),
        D("500.00"),
        D("0.00"),
        SettlementStatus.POSTED,
        "工行流水 88",
    )
    assert installments(owed) == [
        (1, MAR31, D("400.00"), D("400.00")),
        (2, APR30, D("600.00"), D("100.00")),
    ]
    owed = fresh(owed)
    assert (owed.allocated, owed.outstanding, owed.status) == (
        D("500.00"),
        D("500.00"),
        ObligationStatus.OPEN,
    )
    first, second = first_and_second(owed)
    rows = list(Allocation.objects.filter(settlement=receipt).order_by("id"))
    assert [(a.obligation_id, a.installment_id, a.amount, a.reversed_at) for a in rows] == [
        (owed.pk, first.pk, D("400.00"), None),
        (owed.pk, second.pk, D("100.00"), None),
    ]
    assert all(a.created_by == clerk.user for a in rows)
    # the receipt takes its owner from the party, like the receivable
    assert (receipt.owner_id, receipt.department_id) == (owed.owner_id, owed.department_id)


def test_a_named_installment_is_settled_on_its_own(clerk, parties, owed) -> None:
    _first, second = first_and_second(owed)
    settle(clerk, parties.hospital, "200.00", PAID_ON, (owed, "200.00", second))
    assert installments(owed) == [
        (1, MAR31, D("400.00"), D("0.00")),
        (2, APR30, D("600.00"), D("200.00")),
    ]


def test_named_installments_are_served_before_the_spread_of_the_same_receipt(clerk, parties, owed) -> None:
    # the spread alone would take installment 1 first; the named 550 on installment 2 goes first,
    # so the 450 spread fills installment 1 (400) and takes the last 50 of installment 2
    _first, second = first_and_second(owed)
    settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "450.00"), (owed, "550.00", second))
    assert installments(owed) == [
        (1, MAR31, D("400.00"), D("400.00")),
        (2, APR30, D("600.00"), D("600.00")),
    ]
    assert fresh(owed).status == ObligationStatus.SETTLED


def test_one_receipt_settles_several_receivables(clerk, parties, owed) -> None:
    other = receivable(clerk, parties.hospital, "250.00", MAY31)
    receipt = settle(clerk, parties.hospital, "1250.00", PAID_ON, (other, "250.00"), (owed, "1000.00"))
    assert (fresh(owed).status, fresh(other).status) == (ObligationStatus.SETTLED, ObligationStatus.SETTLED)
    assert receipt.allocated == D("1250.00")
    assert Allocation.objects.filter(settlement=receipt).count() == 3


def test_what_is_not_allocated_stays_as_an_advance_and_is_allocated_later(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "1500.00", PAID_ON, (owed, "1000.00"))
    assert (receipt.allocated, receipt.outstanding) == (D("1000.00"), D("500.00"))
    later = receivable(clerk, parties.hospital, "800.00", MAY31)
    rows = services.allocate(receipt, actor=clerk, allocations=[to_input(later, "500.00")])
    assert [(r.obligation_id, r.amount) for r in rows] == [(later.pk, D("500.00"))]
    assert receipt.allocated == D("1500.00")  # the caller's copy is brought up to date
    assert fresh(receipt).allocated == D("1500.00")
    later = fresh(later)
    assert (later.allocated, later.outstanding, later.status) == (
        D("500.00"),
        D("300.00"),
        ObligationStatus.OPEN,
    )
    # nothing left on the receipt: any further allocation is over it
    with refused("over_allocation", "核销合计 0.01 超过本单未分配金额 0.00。", field="allocations"):
        services.allocate(receipt, actor=clerk, allocations=[to_input(later, "0.01")])


def test_a_receipt_without_allocations_is_all_advance(clerk, parties) -> None:
    receipt = settle(clerk, parties.hospital, "300.00", PAID_ON)
    assert (receipt.allocated, receipt.outstanding) == (D("0"), D("300.00"))
    assert not Allocation.objects.filter(settlement=receipt).exists()


def test_settled_exactly_when_fully_allocated(clerk, parties, owed) -> None:
    settle(clerk, parties.hospital, "999.99", PAID_ON, (owed, "999.99"))
    owed = fresh(owed)
    assert (owed.status, owed.outstanding) == (ObligationStatus.OPEN, D("0.01"))
    settle(clerk, parties.hospital, "0.01", PAID_ON, (owed, "0.01"))
    owed = fresh(owed)
    assert (owed.status, owed.outstanding) == (ObligationStatus.SETTLED, D("0.00"))


def test_a_payment_settles_a_payable(clerk, parties) -> None:
    owed = payable(clerk, parties.supplier, "800.00", MAR31)
    payment = settle(
        clerk,
        parties.supplier,
        "800.00",
        PAID_ON,
        (owed, "800.00"),
        direction=PAYABLE,
        method="acceptance_bill",
    )
    assert isinstance(payment, Payment) and payment.number.startswith("FK")
    assert (payment.method, payment.owner_id) == ("acceptance_bill", parties.supplier.owner_id)
    assert fresh(owed).status == ObligationStatus.SETTLED


# Refunds ------------------------------------------------------------------------------------------


def test_a_supplier_refund_is_a_receipt_against_a_receivable_from_the_supplier(clerk, parties) -> None:
    # a purchase return leaves the supplier owing us money
    refund_due = receivable(clerk, parties.supplier, "120.00", MAR31)
    receipt = settle(clerk, parties.supplier, "120.00", PAID_ON, (refund_due, "120.00"))
    assert (receipt.direction, receipt.party_kind) == (RECEIVABLE, "supplier")
    assert fresh(refund_due).status == ObligationStatus.SETTLED


def test_a_customer_refund_is_a_payment_against_a_payable_to_the_customer(clerk, parties) -> None:
    # a sales return leaves us owing the customer money
    refund_owed = payable(clerk, parties.hospital, "75.50", MAR31)
    payment = settle(clerk, parties.hospital, "75.50", PAID_ON, (refund_owed, "75.50"), direction=PAYABLE)
    assert (payment.direction, payment.party_kind, payment.owner_id) == (
        PAYABLE,
        "customer",
        parties.hospital.owner_id,
    )
    assert fresh(refund_owed).status == ObligationStatus.SETTLED


# Over-allocation ----------------------------------------------------------------------------------


def test_allocating_more_than_a_receivable_owes_is_refused(clerk, parties, owed) -> None:
    n = owed.number
    with refused(
        "over_allocation", f"{n} 未结金额 1000.00，本次核销 1200.00，超出 200.00。", field="allocations"
    ):
        settle(clerk, parties.hospital, "2000.00", PAID_ON, (owed, "1200.00"))
    # two lines on the same receivable are added up before the check
    with refused("over_allocation", f"{n} 未结金额 1000.00，本次核销 1000.01，超出 0.01。"):
        settle(clerk, parties.hospital, "2000.00", PAID_ON, (owed, "600.00"), (owed, "400.01"))
    settle(clerk, parties.hospital, "700.00", PAID_ON, (owed, "700.00"))
    with refused("over_allocation", f"{n} 未结金额 300.00，本次核销 300.01，超出 0.01。"):
        settle(clerk, parties.hospital, "300.01", PAID_ON, (owed, "300.01"))


def test_allocating_more_than_a_named_installment_owes_is_refused(clerk, parties, owed) -> None:
    first, second = first_and_second(owed)
    with refused(
        "over_allocation", f"{owed.number} 第 1 期未结金额 400.00，本次核销 450.00。", field="allocations"
    ):
        settle(clerk, parties.hospital, "450.00", PAID_ON, (owed, "450.00", first))
    # two named lines on the same installment: the second sees what the first took
    with refused("over_allocation", f"{owed.number} 第 2 期未结金额 100.00，本次核销 200.00。"):
        settle(clerk, parties.hospital, "700.00", PAID_ON, (owed, "500.00", second), (owed, "200.00", second))


def test_allocations_beyond_the_receipt_are_refused(clerk, parties, owed) -> None:
    other = receivable(clerk, parties.hospital, "500.00", MAY31)
    with refused("over_allocation", "核销合计 900.00 超过本单未分配金额 800.00。", field="allocations"):
        settle(clerk, parties.hospital, "800.00", PAID_ON, (owed, "500.00"), (other, "400.00"))
    receipt = settle(clerk, parties.hospital, "800.00", PAID_ON, (owed, "500.00"))
    with refused("over_allocation", "核销合计 400.00 超过本单未分配金额 300.00。"):
        services.allocate(receipt, actor=clerk, allocations=[to_input(other, "400.00")])


def test_a_settled_receivable_takes_nothing_more(clerk, parties, owed) -> None:
    settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "1000.00"))
    receipt = settle(clerk, parties.hospital, "50.00", PAID_ON)
    with refused("over_allocation", f"{owed.number} 未结金额 0.00，本次核销 50.00，超出 50.00。"):
        services.allocate(receipt, actor=clerk, allocations=[to_input(owed, "50.00")])


# Other refusals -----------------------------------------------------------------------------------


def test_a_receivable_of_another_party_is_refused(clerk, parties, owed) -> None:
    with refused("invalid", f"{owed.number} 不是 朝阳社区诊所 的单据。", field="allocations.0.obligation"):
        settle(clerk, parties.clinic, "100.00", PAID_ON, (owed, "100.00"))
    # a supplier with the same id as a customer is still another party
    twin = parties.supplier.__class__(kind="supplier", id=parties.hospital.id, name="同号供应商")
    with refused("invalid", f"{owed.number} 不是 同号供应商 的单据。"):
        settle(clerk, twin, "100.00", PAID_ON, (owed, "100.00"))


def test_a_receivable_in_another_currency_is_refused(clerk, parties, owed) -> None:
    with refused(
        "currency_mismatch",
        f"{owed.number} 的币种是 CNY，本单是 USD，不能核销。",
        field="allocations.0.obligation",
    ):
        settle(
            clerk,
            parties.hospital,
            "100.00",
            PAID_ON,
            (owed, "100.00"),
            currency="USD",
            exchange_rate=D("7.2"),
        )


def test_a_reversed_receivable_is_refused(clerk, parties, owed) -> None:
    services.reverse_opening_balance(owed, actor=clerk, reason="录入错误")
    with refused("invalid_state", f"{owed.number} 已红冲，不能核销。", field="allocations.0.obligation"):
        settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00"))


def test_a_payable_cannot_be_settled_by_a_receipt_nor_a_missing_record(clerk, parties) -> None:
    owed_to = payable(clerk, parties.hospital, "100.00", MAR31)
    with refused("invalid", "第 1 行：单据不存在。", field="allocations.0.obligation"):
        settle(clerk, parties.hospital, "100.00", PAID_ON, (owed_to, "100.00"))
    with refused("invalid", "第 1 行：单据不存在。"):
        services.record_settlement(
            direction=RECEIVABLE,
            actor=clerk,
            party=parties.hospital,
            amount=D("100.00"),
            occurred_on=PAID_ON,
            allocations=[AllocationInput(obligation_id=999_999, amount=D("100.00"))],
        )


def test_an_installment_of_another_receivable_is_refused(clerk, parties, owed) -> None:
    other = receivable(clerk, parties.hospital, "500.00", MAY31)
    [foreign] = first_and_second(other)
    with refused("invalid", f"{owed.number} 没有这一期。", field="allocations"):
        settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00", foreign))


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "核销金额必须大于零。"), ("-1.00", "核销金额必须大于零。"), ("1.005", "核销金额最多两位小数。")],
)
def test_each_allocation_is_a_positive_amount_in_cents(clerk, parties, owed, amount, message) -> None:
    with refused("invalid", message, field="allocations.0.amount"):
        settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, amount))


def test_the_receipt_itself_is_checked(clerk, parties, owed) -> None:
    with refused("invalid", "金额必须大于零。", field="amount"):
        settle(clerk, parties.hospital, "0", PAID_ON)
    with refused("invalid", "外币须填写大于零的汇率。", field="exchange_rate"):
        settle(clerk, parties.hospital, "10.00", PAID_ON, currency="USD")
    with refused("invalid", "请填写日期。", field="occurred_on"):
        settle(clerk, parties.hospital, "10.00", None)
    with refused("invalid", "结算方式无效。", field="method"):
        settle(clerk, parties.hospital, "10.00", PAID_ON, method="barter")


def test_a_receipt_dated_in_the_future_is_refused(clerk, parties, owed) -> None:
    with frozen(dt.date(2026, 4, 10), hour=23):  # late evening in Beijing, still the 10th
        with refused("invalid", "日期不能晚于今天。", field="occurred_on"):
            settle(clerk, parties.hospital, "10.00", dt.date(2026, 4, 11))
        receipt = settle(clerk, parties.hospital, "10.00", dt.date(2026, 4, 10), (owed, "10.00"))
    assert receipt.occurred_on == dt.date(2026, 4, 10)


def test_allocate_refuses_a_reversed_receipt_and_an_empty_list(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON)
    with refused("invalid", "请至少核销一笔。", field="allocations"):
        services.allocate(receipt, actor=clerk, allocations=[])
    services.reverse_settlement(receipt, actor=clerk, reason="重复录入")
    with refused("invalid_state", f"{receipt.number} 已红冲，不能核销。"):
        services.allocate(receipt, actor=clerk, allocations=[to_input(owed, "100.00")])


# Permissions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "direction"), [("rep_a1", RECEIVABLE), ("manager_a", RECEIVABLE), ("purchaser", PAYABLE)]
)
def test_only_finance_records_receipts_and_payments(company, parties, owed, who, direction) -> None:
    party = parties.supplier if direction == PAYABLE else parties.hospital
    with refused("permission_denied", "您的角色不能执行此操作。"):
        settle(getattr(company, who), party, "100.00", PAID_ON, direction=direction)


def test_only_finance_allocates_an_advance(company, clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "100.00", PAID_ON)
    with refused("permission_denied", "您的角色不能执行此操作。"):
        services.allocate(receipt, actor=company.rep_a1, allocations=[to_input(owed, "100.00")])


# Audit --------------------------------------------------------------------------------------------


def test_allocation_is_audited_on_the_receipt_and_on_the_receivable(clerk, parties, owed) -> None:
    receipt = settle(clerk, parties.hospital, "1000.00", PAID_ON, (owed, "500.00"))
    [created] = AuditEntry.objects.filter(content_type__model="receipt", object_id=str(receipt.pk))
    assert created.action == "create"
    assert created.changes["allocations"] == [None, f"{owed.number}#1 400.00；{owed.number}#2 100.00"]
    assert created.changes["amount"] == [None, "1000.00"]
    services.allocate(receipt, actor=clerk, allocations=[to_input(owed, "500.00")])
    on_receipt = AuditEntry.objects.filter(content_type__model="receipt", object_id=str(receipt.pk))
    assert sorted(e.action for e in on_receipt) == ["allocate", "create"]
    on_owed = list(
        AuditEntry.objects.filter(content_type__model="receivable", object_id=str(owed.pk)).order_by("id")
    )
    assert [(e.action, e.note) for e in on_owed] == [
        ("create", ""),
        ("allocate", receipt.number),
        ("allocate", receipt.number),
    ]
    assert on_owed[1].changes == {"allocated": ["0.00", "500.00"]}
    assert on_owed[2].changes == {"allocated": ["500.00", "1000.00"], "status": ["未结清", "已结清"]}
