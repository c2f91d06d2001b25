"""What is due is filtered and added up in SQL: `due_installments` keeps only the unsettled
installments (outstanding = amount − allocated > 0) in the database, `due_counts` counts them in one
aggregate, `overdue_by_owner` adds each installment's outstanding in CNY at its record's rate (to
the cent, half up) per owner in one query, and the receivables list pages on the records alone
(`next_due` a correlated subquery): none of them takes more statements for ten times the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maoyi.core.money import to_base
from maoyi.finance import dashboard_selectors as dash
from maoyi.finance import selectors
from maoyi.finance.models import Installment
from tests.finance.builders import PAYABLE, RECEIVABLE, make_parties, receivable, settle

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _open(company, copies: int) -> None:
    """`copies` × (a receivable in two installments, one past due and half settled; one in USD at an
    awkward rate; one due in three days; one settled) and an overdue payable."""
    p = make_parties(company)
    clerk = company.finance_clerk
    for _ in range(copies):
        split = receivable(
            clerk, p.hospital, "100.01", days(-5), plan=[(days(-5), "50.01"), (days(20), "50.00")]
        )
        settle(clerk, p.hospital, "25.00", days(-1), (split, "25.00"))
        receivable(clerk, p.clinic, "33.33", days(-40), currency="USD", exchange_rate=D("7.123456"))
        receivable(clerk, p.pool, "0.07", days(-2), currency="USD", exchange_rate=D("0.071429"))
        receivable(clerk, p.hospital, "10.00", days(3))
        paid = receivable(clerk, p.dealer, "5.00", days(-9))
        settle(clerk, p.dealer, "5.00", days(-1), (paid, "5.00"))
        receivable(clerk, p.supplier, "80.00", days(-1), direction=PAYABLE)


def test_overdue_by_owner_equals_the_installment_by_installment_figures(company) -> None:
    _open(company, 2)
    rows = dash.overdue_by_owner(company.admin.user, RECEIVABLE)
    today = timezone.localdate()
    expected: dict[int | None, list[D]] = {}
    for inst in Installment.objects.select_related("obligation").filter(
        obligation__direction=RECEIVABLE, due_date__lt=today
    ):
        if inst.outstanding > 0:
            ob = inst.obligation
            expected.setdefault(ob.owner_id, []).append(to_base(inst.outstanding, ob.exchange_rate))
    assert {r.owner_id: (r.amount, r.installments, r.obligations) for r in rows} == {
        owner: (sum(amounts, D("0")), len(amounts), len(amounts)) for owner, amounts in expected.items()
    }
    assert [(r.owner_name, r.amount) for r in rows] == [
        ("陈静", D("474.84")),  # 2 × R(33.33 USD × 7.123456 = 237.4247…)
        ("张伟", D("50.02")),  # 2 × (50.01 − 25.00)
        ("", D("0.02")),  # 2 × R(0.07 USD × 0.071429 = 0.00500003): the half cent rounds up per installment
    ]


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_due_reads_take_the_same_statements_for_ten_times_the_installments(company, client_for) -> None:
    user = company.admin.user
    clerk = client_for(company.finance_clerk)
    calls = {
        "overdue_by_owner": lambda: dash.overdue_by_owner(user, RECEIVABLE),
        "due_counts": lambda: selectors.due_counts(
            selectors.due_installments(user, RECEIVABLE, within_days=7)
        ),
        "first_rows": lambda: list(selectors.due_installments(user, RECEIVABLE, within_days=7)[:10]),
        "home": lambda: clerk.get(reverse("web:home")),
        "receivables": lambda: clerk.get(reverse("web:receivable-list")),
    }
    _open(company, 1)
    for call in calls.values():
        call()
    small = {name: _statements(call) for name, call in calls.items()}
    _open(company, 10)
    large = {name: _statements(call) for name, call in calls.items()}
    assert large == small
    assert small["overdue_by_owner"] == 1
    assert small["due_counts"] == 1
    assert selectors.due_counts(selectors.due_installments(user, RECEIVABLE, within_days=7)) == (
        selectors.DueCounts(total=44, overdue=33)  # 11 × (split's first, USD, pool, due in 3 days)
    )


def test_the_receivables_list_pages_without_grouping_the_installments(company, client_for) -> None:
    _open(company, 2)
    client = client_for(company.finance_clerk)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:receivable-list"))
    assert response.status_code == 200
    grouped = [q["sql"] for q in captured if "GROUP BY" in q["sql"] and "finance_installment" in q["sql"]]
    assert grouped == []
    listed = selectors.obligations(company.admin.user, RECEIVABLE, status="open")
    splits = listed.filter(amount=D("100.01"), allocated=D("25.00"))
    assert [s.next_due_date for s in splits] == [days(-5), days(-5)]
    assert {o.next_due_date for o in listed.filter(amount=D("10.00"))} == {days(3)}
