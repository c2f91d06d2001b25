"""Reads of the money ledger: data scope, overdue lists, due installments, aging buckets on fixed
dates, statements of account with opening and closing balances, and totals per currency. Every
expected figure is worked out by hand in the test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.core.errors import NotFoundInScope
from maoyi.finance import selectors, services
from maoyi.finance.models import Installment
from maoyi.finance.selectors import Totals, bucket_of
from tests.finance.builders import (
    PAYABLE,
    RECEIVABLE,
    frozen,
    make_parties,
    payable,
    receivable,
    settle,
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


def pks(records) -> set[int]:
    return {r.pk for r in records}


# Data scope ----------------------------------------------------------------------------------------


@pytest.fixture
def books(clerk, parties):
    """One receivable per customer (and the pool), a payable to the supplier, receipts from two."""
    r = {
        name: receivable(clerk, getattr(parties, name), "100.00", MAR31)
        for name in ("hospital", "clinic", "dealer", "pool")
    }
    r["supplier"] = payable(clerk, parties.supplier, "100.00", MAR31)
    r["hospital_receipt"] = settle(clerk, parties.hospital, "60.00", PAID_ON, (r["hospital"], "60.00"))
    r["dealer_receipt"] = settle(clerk, parties.dealer, "40.00", PAID_ON, (r["dealer"], "40.00"))
    r["supplier_payment"] = settle(clerk, parties.supplier, "10.00", PAID_ON, direction=PAYABLE)
    return r


@pytest.mark.parametrize(
    ("who", "receivables", "receipts"),
    [
        ("rep_a1", {"hospital"}, {"hospital_receipt"}),
        ("rep_a2", {"clinic"}, set()),
        ("rep_b1", {"dealer"}, {"dealer_receipt"}),
        ("assistant_a", {"hospital", "clinic"}, {"hospital_receipt"}),
        ("manager_a", {"hospital", "clinic"}, {"hospital_receipt"}),
        ("sales_head", {"hospital", "clinic", "dealer"}, {"hospital_receipt", "dealer_receipt"}),
        ("finance_clerk", {"hospital", "clinic", "dealer", "pool"}, {"hospital_receipt", "dealer_receipt"}),
        ("purchaser", set(), set()),
    ],
)
def test_each_employee_sees_the_receivables_and_receipts_of_their_scope(
    company, books, who, receivables, receipts
) -> None:
    user = getattr(company, who).user
    assert pks(selectors.obligations(user, RECEIVABLE)) == {books[n].pk for n in receivables}
    assert pks(selectors.settlements(user, RECEIVABLE)) == {books[n].pk for n in receipts}


def test_purchaser_and_finance_see_the_payables(company, books) -> None:
    assert pks(selectors.obligations(company.purchaser.user, PAYABLE)) == {books["supplier"].pk}
    assert pks(selectors.settlements(company.purchaser.user, PAYABLE)) == {books["supplier_payment"].pk}
    assert pks(selectors.obligations(company.finance_clerk.user, PAYABLE)) == {books["supplier"].pk}
    assert pks(selectors.obligations(company.rep_a1.user, PAYABLE)) == set()


def test_one_record_out_of_scope_is_not_found(company, books) -> None:
    hospital, receipt = books["hospital"], books["hospital_receipt"]
    assert selectors.obligation(company.rep_a1.user, RECEIVABLE, hospital.pk).pk == hospital.pk
    assert selectors.settlement(company.rep_a1.user, RECEIVABLE, receipt.pk).pk == receipt.pk
    with pytest.raises(NotFoundInScope):
        selectors.obligation(company.rep_b1.user, RECEIVABLE, hospital.pk)
    with pytest.raises(NotFoundInScope):
        selectors.settlement(company.rep_b1.user, RECEIVABLE, receipt.pk)
    with pytest.raises(NotFoundInScope):  # a payable is not a receivable, even for finance
        selectors.obligation(company.finance_clerk.user, RECEIVABLE, books["supplier"].pk)


def test_list_filters(company, clerk, parties, books) -> None:
    user = clerk.user
    hospital = books["hospital"]
    assert pks(selectors.obligations(user, RECEIVABLE, search="协和")) == {hospital.pk}
    assert pks(selectors.obligations(user, RECEIVABLE, search=hospital.number)) == {hospital.pk}
    assert pks(selectors.obligations(user, RECEIVABLE, party_kind="customer", party_id=103)) == {
        books["dealer"].pk
    }
    assert pks(selectors.obligations(user, RECEIVABLE, owner_id=company.rep_a2.pk)) == {books["clinic"].pk}
    assert len(selectors.obligations(user, RECEIVABLE, is_opening=True)) == 4
    settle(clerk, parties.clinic, "100.00", PAID_ON, (books["clinic"], "100.00"))
    assert pks(selectors.obligations(user, RECEIVABLE, status="settled")) == {books["clinic"].pk}
    # receipts with money left to allocate
    advance = settle(clerk, parties.hospital, "25.00", PAID_ON)
    assert pks(selectors.settlements(user, RECEIVABLE, unallocated=True)) == {advance.pk}
    assert pks(selectors.settlements(user, RECEIVABLE, date_from=PAID_ON, date_to=PAID_ON)) == pks(
        selectors.settlements(user, RECEIVABLE)
    )
    assert list(selectors.settlements(user, RECEIVABLE, date_from=PAID_ON + dt.timedelta(days=1))) == []


def test_open_obligations_of_a_party_earliest_due_first(clerk, parties) -> None:
    late = receivable(clerk, parties.hospital, "10.00", MAY31)
    early = receivable(clerk, parties.hospital, "10.00", MAR31)
    dollars = receivable(clerk, parties.hospital, "10.00", APR30, currency="USD", exchange_rate=D("7.1"))
    paid = receivable(clerk, parties.hospital, "10.00", MAR31)
    settle(clerk, parties.hospital, "10.00", PAID_ON, (paid, "10.00"))
    receivable(clerk, parties.clinic, "10.00", MAR31)
    found = selectors.open_obligations(clerk.user, RECEIVABLE, party_kind="customer", party_id=101)
    assert [o.pk for o in found] == [early.pk, dollars.pk, late.pk]
    found = selectors.open_obligations(
        clerk.user, RECEIVABLE, party_kind="customer", party_id=101, currency="CNY"
    )
    assert [o.pk for o in found] == [early.pk, late.pk]


# Overdue and due -----------------------------------------------------------------------------------


@pytest.fixture
def schedule(clerk, parties):
    """A: 400 due 31 Mar + 600 due 30 Apr; B: 500 due 31 May; C: due 31 Mar, settled; D: due 31 Mar,
    reversed; E: the dealer's, due 31 Mar."""
    a = receivable(clerk, parties.hospital, "1000.00", APR30, plan=[(MAR31, "400.00"), (APR30, "600.00")])
    b = receivable(clerk, parties.hospital, "500.00", MAY31)
    c = receivable(clerk, parties.hospital, "200.00", MAR31)
    settle(clerk, parties.hospital, "200.00", PAID_ON, (c, "200.00"))
    d = receivable(clerk, parties.hospital, "300.00", MAR31)
    services.reverse_opening_balance(d, actor=clerk, reason="录错")
    e = receivable(clerk, parties.dealer, "80.00", MAR31)
    return a, b, c, d, e


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (dt.date(2026, 3, 31), ""),  # due today is not overdue
        (dt.date(2026, 4, 1), "AE"),
        (dt.date(2026, 5, 31), "AE"),
        (dt.date(2026, 6, 1), "ABE"),
    ],
)
def test_overdue_receivables_on_a_fixed_date(clerk, schedule, on, expected) -> None:
    named = dict(zip("ABCDE", schedule, strict=True))
    found = selectors.obligations(clerk.user, RECEIVABLE, overdue=True, on=on)
    assert pks(found) == {named[n].pk for n in expected}


def test_a_paid_installment_is_no_longer_overdue(clerk, parties, schedule) -> None:
    a = schedule[0]
    settle(clerk, parties.hospital, "400.00", PAID_ON, (a, "400.00"))
    assert a.pk not in pks(
        selectors.obligations(clerk.user, RECEIVABLE, overdue=True, on=dt.date(2026, 4, 15))
    )
    assert a.pk in pks(selectors.obligations(clerk.user, RECEIVABLE, overdue=True, on=dt.date(2026, 5, 1)))
    # overdue lists are scoped too
    assert pks(
        selectors.obligations(schedule[0].owner.user, RECEIVABLE, overdue=True, on=dt.date(2026, 6, 1))
    ) == {
        a.pk,
        schedule[1].pk,
    }


def test_due_installments_within_a_window_and_overdue_only(company, clerk, parties, schedule) -> None:
    a, b, _c, _d, e = schedule
    settle(clerk, parties.hospital, "150.00", PAID_ON, (a, "150.00"))  # installment 1 partly paid
    on = dt.date(2026, 4, 15)

    def listed(user, **kwargs):
        return [
            (i.obligation_id, i.sequence, i.outstanding)
            for i in selectors.due_installments(user, RECEIVABLE, on=on, **kwargs)
        ]

    assert listed(clerk.user, within_days=20) == [
        (a.pk, 1, D("250.00")),
        (e.pk, 1, D("80.00")),
        (a.pk, 2, D("600.00")),
    ]
    assert listed(clerk.user, within_days=46) == [
        (a.pk, 1, D("250.00")),
        (e.pk, 1, D("80.00")),
        (a.pk, 2, D("600.00")),
        (b.pk, 1, D("500.00")),
    ]
    assert listed(clerk.user, overdue_only=True) == [(a.pk, 1, D("250.00")), (e.pk, 1, D("80.00"))]
    assert listed(company.rep_b1.user, within_days=60) == [(e.pk, 1, D("80.00"))]
    settle(clerk, parties.hospital, "250.00", PAID_ON, (a, "250.00"))
    assert listed(clerk.user, overdue_only=True) == [(e.pk, 1, D("80.00"))]


# Aging ---------------------------------------------------------------------------------------------

ON = dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-30, "not_due"),
        (0, "not_due"),
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (60, "d31_60"),
        (61, "d61_90"),
        (90, "d61_90"),
        (91, "over_90"),
        (2000, "over_90"),
    ],
)
def test_bucket_edges(days, bucket) -> None:
    assert bucket_of(days) == bucket


@pytest.fixture
def aged(clerk, parties):
    """The hospital owes one installment exactly 0, 1, 30, 31, 60, 61, 90 and 91 days past due on
    30 June (and one due in July), each a distinct amount; the clinic owes dollars."""
    days_and_amounts = [(-10, "1000.00"), (0, "1.00"), (1, "2.00"), (30, "4.00"), (31, "8.00"),
                        (60, "16.00"), (61, "32.00"), (90, "64.00"), (91, "128.00")]  # fmt: skip
    plan = [(ON - dt.timedelta(days=days), amount) for days, amount in days_and_amounts]
    hospital = receivable(clerk, parties.hospital, "1255.00", ON, plan=plan, issued_on=dt.date(2026, 1, 1))
    by_due = {i.due_date: i for i in Installment.objects.filter(obligation=hospital)}
    # 1.50 paid on the installment 31 days past due: 6.50 of it is left
    settle(clerk, parties.hospital, "1.50", PAID_ON, (hospital, "1.50", by_due[ON - dt.timedelta(days=31)]))
    # the clinic: 100 USD at 7.1 due 45 days before, 30 paid → 70 × 7.1 = 497.00; and 33.33 USD at
    # 7.123456 due in July → 237.4247… → 237.42
    clinic = receivable(
        clerk, parties.clinic, "100.00", ON - dt.timedelta(days=45), currency="USD", exchange_rate=D("7.1")
    )
    settle(clerk, parties.clinic, "30.00", PAID_ON, (clinic, "30.00"), currency="USD", exchange_rate=D("7.2"))
    receivable(
        clerk, parties.clinic, "33.33", dt.date(2026, 7, 15), currency="USD", exchange_rate=D("7.123456")
    )
    # neither a settled nor a reversed receivable is aged
    settled = receivable(clerk, parties.dealer, "70.00", ON - dt.timedelta(days=100))
    settle(clerk, parties.dealer, "70.00", PAID_ON, (settled, "70.00"))
    gone = receivable(clerk, parties.dealer, "90.00", ON - dt.timedelta(days=100))
    services.reverse_opening_balance(gone, actor=clerk, reason="录错")
    payable(clerk, parties.supplier, "5000.00", ON - dt.timedelta(days=5))  # the other side
    return hospital


def buckets(row) -> dict[str, D]:
    return {key: value for key, value in row.buckets.items()}


def test_aging_buckets_on_a_fixed_date(clerk, aged) -> None:
    report = selectors.aging(clerk.user, RECEIVABLE, on=ON)
    assert report.on == ON
    assert [(r.party_name, r.party_id) for r in report.rows] == [("北京协和医院", 101), ("朝阳社区诊所", 102)]
    hospital, clinic = report.rows
    # 0 days: 1.00 and the July one 1000.00 are not due; 1 and 30: 2 + 4; 31 and 60: 6.50 + 16;
    # 61 and 90: 32 + 64; 91: 128
    assert buckets(hospital) == {
        "not_due": D("1001.00"),
        "d1_30": D("6.00"),
        "d31_60": D("22.50"),
        "d61_90": D("96.00"),
        "over_90": D("128.00"),
    }
    assert (hospital.total, hospital.overdue) == (D("1253.50"), D("252.50"))
    assert buckets(clinic) == {
        "not_due": D("237.42"),
        "d1_30": D("0"),
        "d31_60": D("497.00"),
        "d61_90": D("0"),
        "over_90": D("0"),
    }
    assert buckets(report.totals) == {
        "not_due": D("1238.42"),
        "d1_30": D("6.00"),
        "d31_60": D("519.50"),
        "d61_90": D("96.00"),
        "over_90": D("128.00"),
    }
    assert report.totals.total == D("1987.92")


def test_aging_moves_with_the_date(clerk, aged) -> None:
    # a day later everything is one day older: 0 → 1–30, 30 → 31–60, 60 → 61–90, 90 → over 90
    hospital = selectors.aging(clerk.user, RECEIVABLE, on=ON + dt.timedelta(days=1)).rows[0]
    assert buckets(hospital) == {
        "not_due": D("1000.00"),
        "d1_30": D("1.00") + D("2.00"),
        "d31_60": D("4.00") + D("6.50"),
        "d61_90": D("16.00") + D("32.00"),
        "over_90": D("64.00") + D("128.00"),
    }


def test_aging_is_scoped_and_filtered(company, clerk, aged) -> None:
    mine = selectors.aging(company.rep_a1.user, RECEIVABLE, on=ON)
    assert [r.party_id for r in mine.rows] == [101]
    assert mine.totals.total == D("1253.50")
    assert selectors.aging(company.rep_b1.user, RECEIVABLE, on=ON).rows == []
    one = selectors.aging(clerk.user, RECEIVABLE, on=ON, party_kind="customer", party_id=102)
    assert [r.party_id for r in one.rows] == [102]
    payables = selectors.aging(clerk.user, PAYABLE, on=ON)
    assert [(r.party_name, buckets(r)["d1_30"], r.total) for r in payables.rows] == [
        ("威高医疗器械", D("5000.00"), D("5000.00"))
    ]


# Statements of account -----------------------------------------------------------------------------

APR1 = dt.date(2026, 4, 1)


def lines(section) -> list[tuple[dt.date, str, str, D, D, D]]:
    return [(ln.on, ln.number, str(ln.kind), ln.increase, ln.decrease, ln.balance) for ln in section.lines]


def test_a_customer_statement_over_april(company, clerk, parties) -> None:
    h = parties.hospital
    # before April: owed 1000, paid 300 → opening 700
    r1 = receivable(clerk, h, "1000.00", MAR31, issued_on=dt.date(2026, 3, 1))
    settle(clerk, h, "300.00", dt.date(2026, 3, 15), (r1, "300.00"))
    # in April
    wrong = receivable(clerk, h, "999.00", APR30, issued_on=dt.date(2026, 4, 5))
    with frozen(dt.date(2026, 4, 6)):
        services.reverse_opening_balance(wrong, actor=clerk, reason="录错")
    r2 = receivable(clerk, h, "500.00", MAY31, issued_on=dt.date(2026, 4, 10), reference="XS-1")
    refund_owed = payable(clerk, h, "50.00", APR30, issued_on=dt.date(2026, 4, 12))
    refund = settle(clerk, h, "50.00", dt.date(2026, 4, 15), (refund_owed, "50.00"), direction=PAYABLE)
    dollars = receivable(
        clerk, h, "80.00", MAY31, issued_on=dt.date(2026, 4, 18), currency="USD", exchange_rate=D("7.1")
    )
    s2 = settle(clerk, h, "200.00", dt.date(2026, 4, 20), (r2, "200.00"))
    s3 = settle(clerk, h, "100.00", dt.date(2026, 4, 25), (r2, "100.00"))
    with frozen(dt.date(2026, 4, 28)):
        services.reverse_settlement(s3, actor=clerk, reason="银行退票")
    # after April
    r3 = receivable(clerk, h, "700.00", dt.date(2026, 6, 5), issued_on=dt.date(2026, 5, 5))
    settle(clerk, h, "100.00", dt.date(2026, 5, 6), (r3, "100.00"))
    # another customer's records never show
    receivable(clerk, parties.clinic, "5.00", APR30, issued_on=dt.date(2026, 4, 10))

    st = selectors.statement(
        clerk.user, party_kind="customer", party_id=h.id, party_name=h.name, date_from=APR1, date_to=APR30
    )
    assert (st.party_name, st.date_from, st.date_to) == ("北京协和医院", APR1, APR30)
    cny, usd = st.sections
    assert (cny.currency, cny.opening, cny.closing) == ("CNY", D("700.00"), D("1000.00"))
    assert lines(cny) == [
        (dt.date(2026, 4, 5), wrong.number, "应收", D("999.00"), D("0"), D("1699.00")),
        (dt.date(2026, 4, 6), wrong.number, "红冲", D("0"), D("999.00"), D("700.00")),
        (dt.date(2026, 4, 10), r2.number, "应收", D("500.00"), D("0"), D("1200.00")),
        (dt.date(2026, 4, 12), refund_owed.number, "应付", D("0"), D("50.00"), D("1150.00")),
        (dt.date(2026, 4, 15), refund.number, "付款", D("50.00"), D("0"), D("1200.00")),
        (dt.date(2026, 4, 20), s2.number, "收款", D("0"), D("200.00"), D("1000.00")),
        (dt.date(2026, 4, 25), s3.number, "收款", D("0"), D("100.00"), D("900.00")),
        (dt.date(2026, 4, 28), s3.number, "红冲", D("100.00"), D("0"), D("1000.00")),
    ]
    assert (cny.increase, cny.decrease) == (D("1649.00"), D("1349.00"))
    assert cny.opening + cny.increase - cny.decrease == cny.closing
    assert [ln.summary for ln in cny.lines][2] == "XS-1"
    assert (usd.currency, usd.opening, usd.closing) == ("USD", D("0"), D("80.00"))
    assert lines(usd) == [(dt.date(2026, 4, 18), dollars.number, "应收", D("80.00"), D("0"), D("80.00"))]
    # the next period opens with this one's closing balance and takes in May
    may = selectors.statement(
        clerk.user,
        party_kind="customer",
        party_id=h.id,
        party_name=h.name,
        date_from=dt.date(2026, 5, 1),
        date_to=MAY31,
    )
    assert [(s.currency, s.opening, s.closing) for s in may.sections] == [
        ("CNY", D("1000.00"), D("1600.00")),
        ("USD", D("80.00"), D("80.00")),
    ]
    # the closing balance is what the ledger says is outstanding (less what we owe them)
    outstanding = sum(
        (
            o.outstanding
            for o in selectors.obligations(
                clerk.user, RECEIVABLE, party_id=h.id, party_kind="customer", status="open"
            )
            if o.currency == "CNY"
        ),
        D("0"),
    )
    assert outstanding == D("1600.00")


def test_a_reversed_receipt_nets_to_zero_when_both_dates_are_in_the_period(clerk, parties) -> None:
    h = parties.hospital
    r = receivable(clerk, h, "300.00", APR30, issued_on=dt.date(2026, 3, 20))
    s = settle(clerk, h, "300.00", dt.date(2026, 4, 2), (r, "300.00"))
    with frozen(dt.date(2026, 4, 3)):
        services.reverse_settlement(s, actor=clerk, reason="重复")
    st = selectors.statement(
        clerk.user, party_kind="customer", party_id=h.id, party_name=h.name, date_from=APR1, date_to=APR30
    )
    [cny] = st.sections
    assert [(ln.number, ln.increase - ln.decrease) for ln in cny.lines] == [
        (s.number, D("-300.00")),
        (s.number, D("300.00")),
    ]
    assert cny.opening == cny.closing == D("300.00")


def test_a_supplier_statement_is_what_we_owe_them(clerk, parties) -> None:
    s = parties.supplier
    p1 = payable(clerk, s, "2000.00", MAR31, issued_on=dt.date(2026, 3, 1))
    settle(clerk, s, "500.00", dt.date(2026, 3, 20), (p1, "500.00"), direction=PAYABLE)
    p2 = payable(clerk, s, "300.00", MAY31, issued_on=dt.date(2026, 4, 10))
    back = receivable(clerk, s, "100.00", APR30, issued_on=dt.date(2026, 4, 12))  # a purchase return
    refund = settle(clerk, s, "100.00", dt.date(2026, 4, 14), (back, "100.00"))
    paid = settle(clerk, s, "800.00", dt.date(2026, 4, 20), (p1, "800.00"), direction=PAYABLE)
    settle(clerk, s, "200.00", dt.date(2026, 5, 5), (p1, "200.00"), direction=PAYABLE)
    st = selectors.statement(
        clerk.user, party_kind="supplier", party_id=s.id, party_name=s.name, date_from=APR1, date_to=APR30
    )
    [cny] = st.sections
    assert (cny.opening, cny.closing) == (D("1500.00"), D("1000.00"))
    assert lines(cny) == [
        (dt.date(2026, 4, 10), p2.number, "应付", D("300.00"), D("0"), D("1800.00")),
        (dt.date(2026, 4, 12), back.number, "应收", D("0"), D("100.00"), D("1700.00")),
        (dt.date(2026, 4, 14), refund.number, "收款", D("100.00"), D("0"), D("1800.00")),
        (dt.date(2026, 4, 20), paid.number, "付款", D("0"), D("800.00"), D("1000.00")),
    ]


def test_a_statement_is_scoped(company, clerk, parties) -> None:
    h = parties.hospital
    receivable(clerk, h, "300.00", APR30, issued_on=dt.date(2026, 4, 2))

    def sections(user):
        st = selectors.statement(
            user, party_kind="customer", party_id=h.id, party_name=h.name, date_from=APR1, date_to=APR30
        )
        return [(s.currency, s.closing) for s in st.sections]

    assert sections(company.rep_a1.user) == [("CNY", D("300.00"))]
    assert sections(company.rep_b1.user) == []


# Totals ----------------------------------------------------------------------------------------------


def test_totals_by_currency(company, clerk, parties) -> None:
    a = receivable(clerk, parties.hospital, "100.10", MAR31)
    receivable(clerk, parties.clinic, "200.20", MAR31)
    b = receivable(clerk, parties.dealer, "0.30", MAR31)
    usd = receivable(clerk, parties.hospital, "50.05", MAR31, currency="USD", exchange_rate=D("7.1"))
    settle(clerk, parties.hospital, "40.00", PAID_ON, (a, "40.00"))
    settle(clerk, parties.dealer, "0.10", PAID_ON, (b, "0.10"))
    settle(clerk, parties.hospital, "10.01", PAID_ON, (usd, "10.01"), currency="USD", exchange_rate=D("7.2"))
    totals = selectors.totals_by_currency(selectors.obligations(clerk.user, RECEIVABLE))
    assert totals == {
        "CNY": Totals(D("300.60"), D("40.10")),
        "USD": Totals(D("50.05"), D("10.01")),
    }
    assert totals["CNY"].outstanding == D("260.50")
    mine = selectors.totals_by_currency(selectors.obligations(company.rep_a1.user, RECEIVABLE))
    assert mine == {"CNY": Totals(D("100.10"), D("40.00")), "USD": Totals(D("50.05"), D("10.01"))}
    receipts = selectors.totals_by_currency(selectors.settlements(clerk.user, RECEIVABLE))
    assert receipts["CNY"] == Totals(D("40.10"), D("40.10"))
    assert selectors.totals_by_currency(selectors.obligations(company.purchaser.user, RECEIVABLE)) == {}


def test_reversed_records_count_for_nothing_in_the_totals(clerk, parties) -> None:
    # a reversed receivable owes nothing (its outstanding is 0), so a list of every status must
    # not total its amount as owed; a reversed receipt is no advance either
    kept = receivable(clerk, parties.hospital, "100.00", MAR31)
    wrong = receivable(clerk, parties.hospital, "999.00", MAR31)
    services.reverse_opening_balance(wrong, actor=clerk, reason="录错")
    paid = settle(clerk, parties.hospital, "30.00", PAID_ON, (kept, "30.00"))
    bounced = settle(clerk, parties.hospital, "500.00", PAID_ON)
    services.reverse_settlement(bounced, actor=clerk, reason="退票")
    every = selectors.obligations(clerk.user, RECEIVABLE)
    assert len(every) == 2
    totals = selectors.totals_by_currency(every)
    assert totals == {"CNY": Totals(D("100.00"), D("30.00"))}
    assert totals["CNY"].outstanding == sum((o.outstanding for o in every), D("0")) == D("70.00")
    receipts = selectors.settlements(clerk.user, RECEIVABLE)
    assert selectors.totals_by_currency(receipts) == {"CNY": Totals(D("30.00"), D("30.00"))}
    assert fresh_outstanding(paid) == D("0.00")


def fresh_outstanding(record) -> D:
    record.refresh_from_db()
    return record.outstanding


# One party's position ------------------------------------------------------------------------------


def test_a_partys_position_counts_overdue_installments_and_unallocated_receipts(
    company, clerk, parties
) -> None:
    """On 15 May: a receivable in two installments (31 Mar 300 of which 100 paid, 31 May 200) and one
    due 30 Apr (150): overdue = 200 + 150; a receipt of 80 left unallocated is an advance. A
    salesperson who may not see receipts sees no advance; another one sees nothing of it."""
    with frozen(dt.date(2026, 5, 15)):
        split = receivable(
            clerk, parties.hospital, "500.00", MAY31, plan=[(MAR31, "300.00"), (MAY31, "200.00")]
        )
        single = receivable(clerk, parties.hospital, "150.00", APR30)
        first = split.installments.order_by("sequence").first()
        settle(clerk, parties.hospital, "100.00", PAID_ON, (split, "100.00", first))
        settle(clerk, parties.hospital, "80.00", PAID_ON)
        party = {"party_kind": parties.hospital.kind, "party_id": parties.hospital.id}
        position = selectors.party_position(clerk.user, RECEIVABLE, **party)
        # Earliest final due date first (the split one ends on 31 May).
        assert [(o.pk, o.late, o.next_due, o.in_installments) for o in position.open] == [
            (single.pk, True, APR30, False),
            (split.pk, True, MAR31, True),
        ]
        assert position.figures == [selectors.CurrencyPosition("CNY", D("550.00"), D("350.00"), D("80.00"))]
        hidden = selectors.party_position(clerk.user, RECEIVABLE, with_advances=False, **party)
        assert hidden.figures == [selectors.CurrencyPosition("CNY", D("550.00"), D("350.00"), D("0"))]
        assert selectors.party_position(company.rep_b1.user, RECEIVABLE, **party).figures == []


def test_opened_by_gives_each_documents_live_obligation(clerk, parties) -> None:
    """A document reversed and approved again opened two receivables: the live one is given; a
    document whose receivable was reversed has none; `direction` narrows to one side."""
    from maoyi.core.documents import DocRef

    first, second = DocRef("sales_order", 7, "XS-7"), DocRef("sales_order", 8, "XS-8")
    receivable(clerk, parties.hospital, "100.00", MAR31, source=first)
    services.reverse_for_source(first, actor=clerk, reason="反审核")
    live = receivable(clerk, parties.hospital, "120.00", MAR31, source=first)
    receivable(clerk, parties.hospital, "50.00", MAR31, source=second)
    services.reverse_for_source(second, actor=clerk, reason="作废")
    assert selectors.opened_by("sales_order", [7, 8, 9]) == {7: live}
    assert selectors.opened_by("sales_order", [7], direction=PAYABLE) == {}
