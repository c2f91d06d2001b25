"""The dashboards' money figures: overdue receivables by owner (CNY at each record's rate, scoped,
the unowned last) and cash in and out by week (posted only, in CNY, eight weeks to this one)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.finance import dashboard_selectors as dash
from maoyi.finance.services import reverse_settlement
from tests.finance.builders import PAYABLE, RECEIVABLE, make_parties, receivable, settle

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def test_overdue_by_owner_sums_what_is_past_due_per_person_in_cny(company) -> None:
    p = make_parties(company)
    clerk = company.finance_clerk
    first = receivable(clerk, p.hospital, "1000", days(-10))
    receivable(clerk, p.hospital, "100", days(-1), currency="USD", exchange_rate=D("7.1"))
    receivable(clerk, p.hospital, "999", days(0))  # due today: not overdue
    receivable(clerk, p.clinic, "300", days(-30))
    receivable(clerk, p.pool, "50", days(-2))
    settle(clerk, p.hospital, "400", days(-1), (first, "400"))
    rows = dash.overdue_by_owner(company.admin.user, RECEIVABLE)
    assert [(r.owner_name, r.amount, r.installments, r.obligations) for r in rows] == [
        ("张伟", D("1310.00"), 2, 2),  # 600 left + 100 USD × 7.1
        ("陈静", D("300.00"), 1, 1),
        ("", D("50.00"), 1, 1),
    ]
    assert rows[0].oldest_due == days(-10)
    mine = dash.overdue_by_owner(company.rep_a1.user, RECEIVABLE)
    assert [r.owner_name for r in mine] == ["张伟"]


def test_cash_by_week_counts_posted_receipts_and_payments_of_the_last_eight_weeks(company) -> None:
    p = make_parties(company)
    clerk = company.finance_clerk
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    settle(clerk, p.hospital, "100", today)
    settle(clerk, p.clinic, "10", today, currency="USD", exchange_rate=D("7.2"))
    settle(clerk, p.hospital, "30", monday - dt.timedelta(weeks=7))  # the first of the 8 weeks
    settle(clerk, p.hospital, "999", monday - dt.timedelta(weeks=7, days=1))  # before it
    gone = settle(clerk, p.hospital, "500", today)
    reverse_settlement(gone, actor=clerk, reason="录错")
    settle(clerk, p.supplier, "40", monday - dt.timedelta(days=1), direction=PAYABLE)
    weeks = dash.cash_by_week(company.finance_clerk.user)
    assert [w.start for w in weeks] == [monday - dt.timedelta(weeks=7 - i) for i in range(8)]
    assert (weeks[-1].cash_in, weeks[-1].receipts, weeks[-1].cash_out) == (D("172.00"), 2, D("0"))
    assert (weeks[-2].cash_out, weeks[-2].payments, weeks[-2].net) == (D("40.00"), 1, D("-40.00"))
    assert weeks[0].cash_in == D("30.00")
    assert sum(w.cash_in for w in weeks) == D("202.00")
    # A salesperson's scope: their customers' receipts only.
    assert sum(w.cash_in for w in dash.cash_by_week(company.rep_a2.user)) == D("72.00")
