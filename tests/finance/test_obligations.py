"""Receivables and payables: `open_obligation` (called by the documents they come from) and
`create_opening_balance` (期初, entered by finance). Installments, amounts, currencies, numbers,
who answers for the record, permissions and the audit trail."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef
from maoyi.finance import services
from maoyi.finance.models import Installment, ObligationStatus, Payable, Receivable
from maoyi.finance.services import InstallmentInput
from tests.finance.builders import (
    PAYABLE,
    RECEIVABLE,
    frozen,
    installments,
    make_parties,
    payable,
    receivable,
    refused,
)

pytestmark = pytest.mark.django_db

MAR31, APR30, MAY31 = dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)


@pytest.fixture
def parties(company):
    return make_parties(company)


def opening(company, parties, **overrides):
    """create_opening_balance for the hospital with overridable arguments."""
    kwargs = {
        "direction": RECEIVABLE,
        "actor": company.finance_clerk,
        "party": parties.hospital,
        "amount": D("1000.00"),
        "issued_on": dt.date(2026, 3, 1),
        "due_date": MAR31,
        **overrides,
    }
    return services.create_opening_balance(**kwargs)


# Installments -----------------------------------------------------------------------------------


def test_one_installment_on_the_due_date_by_default(company, parties) -> None:
    ob = opening(company, parties)
    assert isinstance(ob, Receivable)
    assert (ob.amount, ob.allocated, ob.outstanding, ob.status) == (
        D("1000.00"),
        D("0"),
        D("1000.00"),
        ObligationStatus.OPEN,
    )
    assert (ob.due_date, ob.issued_on, ob.is_opening, ob.source_type) == (
        MAR31,
        dt.date(2026, 3, 1),
        True,
        "opening",
    )
    assert installments(ob) == [(1, MAR31, D("1000.00"), D("0.00"))]


def test_several_installments_are_sorted_by_due_date_and_the_last_is_the_due_date(company, parties) -> None:
    plan = [
        InstallmentInput(MAY31, D("300.00")),
        InstallmentInput(MAR31, D("400.00")),
        InstallmentInput(APR30, D("300.00")),
    ]
    ob = opening(company, parties, due_date=None, installments=plan)
    assert installments(ob) == [
        (1, MAR31, D("400.00"), D("0.00")),
        (2, APR30, D("300.00"), D("0.00")),
        (3, MAY31, D("300.00"), D("0.00")),
    ]
    assert ob.due_date == MAY31
    # a due date given alongside installments is ignored: the plan decides
    other = opening(company, parties, due_date=dt.date(2030, 1, 1), installments=plan)
    assert other.due_date == MAY31


def test_installments_must_add_up_to_the_amount(company, parties) -> None:
    plan = [InstallmentInput(MAR31, D("400.00")), InstallmentInput(APR30, D("500.00"))]
    with refused(
        "installments_mismatch", "分期金额合计 900.00 与总金额 1000.00 不一致。", field="installments"
    ):
        opening(company, parties, installments=plan)
    plan = [InstallmentInput(MAR31, D("400.00")), InstallmentInput(APR30, D("600.01"))]
    with refused("installments_mismatch", "分期金额合计 1000.01 与总金额 1000.00 不一致。"):
        opening(company, parties, installments=plan)


@pytest.mark.parametrize(
    ("plan", "message", "field"),
    [
        (
            [(MAR31, "1000.00"), (APR30, "0")],
            "分期金额必须大于零。",
            "installments.1.amount",
        ),
        (
            [(MAR31, "1100.00"), (APR30, "-100.00")],
            "分期金额必须大于零。",
            "installments.1.amount",
        ),
        (
            [(MAR31, "999.995"), (APR30, "0.005")],
            "分期金额最多两位小数。",
            "installments.0.amount",
        ),
        (
            [(MAR31, "500.00"), (None, "500.00")],
            "第 2 期：请填写到期日。",
            "installments.1.due_date",
        ),
    ],
)
def test_each_installment_needs_a_due_date_and_a_positive_amount_in_cents(
    company, parties, plan, message, field
) -> None:
    inputs = [InstallmentInput(day, D(amount)) for day, amount in plan]
    with refused("invalid", message, field=field):
        opening(company, parties, installments=inputs)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("0"), "金额必须大于零。"),
        (D("-5.00"), "金额必须大于零。"),
        (D("NaN"), "金额必须大于零。"),
        (D("Infinity"), "金额必须大于零。"),
        (D("10.001"), "金额最多两位小数。"),
        (None, "金额必须大于零。"),
    ],
)
def test_the_amount_is_positive_with_at_most_two_decimals(company, parties, amount, message) -> None:
    with refused("invalid", message, field="amount"):
        opening(company, parties, amount=amount)


def test_a_due_date_and_a_business_date_are_required(company, parties) -> None:
    with refused("invalid", "请填写到期日。", field="due_date"):
        opening(company, parties, due_date=None)
    with refused("invalid", "请填写业务日期。", field="issued_on"):
        opening(company, parties, issued_on=None)


def test_an_unknown_direction_is_refused(company, parties) -> None:
    with refused("invalid", "方向无效。", field="direction"):
        opening(company, parties, direction="sideways")


# Currency and exchange rate ---------------------------------------------------------------------


def test_cny_always_has_rate_one_whatever_was_typed(company, parties) -> None:
    ob = opening(company, parties, currency="CNY", exchange_rate=D("7.1"))
    ob.refresh_from_db()
    assert (ob.currency, ob.exchange_rate) == ("CNY", D("1"))
    assert opening(company, parties).exchange_rate == D("1")


def test_a_foreign_currency_keeps_its_rate(company, parties) -> None:
    ob = opening(company, parties, currency="USD", exchange_rate=D("7.123456"))
    ob.refresh_from_db()
    assert (ob.currency, ob.exchange_rate) == ("USD", D("7.123456"))


@pytest.mark.parametrize("rate", [None, D("0"), D("-7.1"), D("NaN")])
def test_a_foreign_currency_needs_a_positive_rate(company, parties, rate) -> None:
    with refused("invalid", "外币须填写大于零的汇率。", field="exchange_rate"):
        opening(company, parties, currency="USD", exchange_rate=rate)


def test_an_unknown_currency_is_refused(company, parties) -> None:
    with refused("invalid", "币种无效。", field="currency"):
        opening(company, parties, currency="XYZ", exchange_rate=D("1"))


# Numbers, owner, source -------------------------------------------------------------------------


def test_numbers_are_ys_for_receivables_and_yf_for_payables_with_the_day_and_a_serial(
    company, parties
) -> None:
    clerk = company.finance_clerk
    with frozen(dt.date(2026, 6, 30)):
        first = receivable(clerk, parties.hospital, "100.00", MAR31)
        second = receivable(clerk, parties.clinic, "100.00", MAR31)
        owed = payable(clerk, parties.supplier, "100.00", MAR31)
    assert (first.number, second.number, owed.number) == (
        "YS20260630-0001",
        "YS20260630-0002",
        "YF20260630-0001",
    )
    assert isinstance(owed, Payable) and owed.direction == PAYABLE
    assert re.fullmatch(r"YS\d{8}-\d{4}", receivable(clerk, parties.hospital, "1.00", MAR31).number)
    assert Receivable.objects.filter(pk=owed.pk).count() == 0  # the proxies keep to their side
    assert Payable.objects.filter(pk=first.pk).count() == 0


def test_owner_and_department_come_from_the_party_or_the_given_owner(company, parties) -> None:
    clerk = company.finance_clerk
    ob = receivable(clerk, parties.hospital, "100.00", MAR31)
    assert (ob.owner_id, ob.department_id) == (company.rep_a1.pk, company.team_a.pk)
    ob = receivable(clerk, parties.hospital, "100.00", MAR31, owner=company.rep_b1)
    assert (ob.owner_id, ob.department_id) == (company.rep_b1.pk, company.team_b.pk)
    ob = receivable(clerk, parties.pool, "100.00", MAR31)
    assert (ob.owner_id, ob.department_id) == (None, None)
    assert (ob.party_kind, ob.party_id, ob.party_name) == ("customer", 104, "公海客户")
    ob = payable(clerk, parties.supplier, "100.00", MAR31)
    assert (ob.owner_id, ob.department_id) == (company.purchaser.pk, company.purchasing.pk)


def test_a_document_opens_its_receivable_with_its_reference(company, parties) -> None:
    source = DocRef(type="sales_order", id=7, number="XS20260301-0007")
    ob = services.open_obligation(
        direction=RECEIVABLE,
        actor=company.rep_a1,  # the approving service checked its own permission already
        party=parties.hospital,
        amount=D("2500.50"),
        issued_on=dt.date(2026, 3, 1),
        due_date=MAR31,
        source=source,
        note="  首批货款  ",
    )
    assert (ob.source_type, ob.source_id, ob.source_number, ob.is_opening, ob.note) == (
        "sales_order",
        7,
        "XS20260301-0007",
        False,
        "首批货款",
    )
    assert ob.created_by == company.rep_a1.user


def test_an_opening_balance_keeps_the_old_reference(company, parties) -> None:
    ob = opening(company, parties, reference=" OLD-2025-118 ")
    assert (ob.source_type, ob.source_id, ob.source_number, ob.is_opening) == (
        "opening",
        None,
        "OLD-2025-118",
        True,
    )


# Permissions and audit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "direction"),
    [("rep_a1", RECEIVABLE), ("manager_a", RECEIVABLE), ("purchaser", PAYABLE), ("assistant_a", RECEIVABLE)],
)
def test_only_finance_enters_opening_balances(company, parties, who, direction) -> None:
    party = parties.supplier if direction == PAYABLE else parties.hospital
    with refused("permission_denied", "您的角色不能执行此操作。"):
        opening(company, parties, actor=getattr(company, who), direction=direction, party=party)


def test_finance_enters_both_sides(company, parties) -> None:
    for direction, party in ((RECEIVABLE, parties.hospital), (PAYABLE, parties.supplier)):
        ob = opening(company, parties, direction=direction, party=party)
        assert ob.direction == direction


def test_creating_writes_one_audit_entry_with_the_installments(company, parties) -> None:
    plan = [InstallmentInput(APR30, D("600.00")), InstallmentInput(MAR31, D("400.00"))]
    ob = opening(company, parties, due_date=None, installments=plan, reference="OLD-1")
    entries = AuditEntry.objects.filter(object_id=str(ob.pk), content_type__model="receivable")
    assert [e.action for e in entries] == ["create"]
    entry = entries.get()
    assert entry.actor == company.finance_clerk.user
    assert entry.object_repr == ob.number
    assert entry.changes["installments"] == [None, "2026-03-31 400.00；2026-04-30 600.00"]
    assert entry.changes["number"] == [None, ob.number]
    assert entry.changes["party_name"] == [None, "北京协和医院"]
    assert entry.changes["source_number"] == [None, "OLD-1"]
    assert Installment.objects.filter(obligation=ob).count() == 2
