"""应收账龄 / 应付账龄 by person and by party: figures checked against hand computations on a fixed
data set, aged on 30 June 2026.

  张伟 (rep_a1)  北京协和医院  1000.00 due 10 July (未到期), 200.00 due 10 June (20 days: 1–30),
                               50.00 due 22 March (100 days: 90+)
  陈静 (rep_a2)  朝阳社区诊所   300.00 due 16 April (75 days: 61–90),
                               10.00 USD at 7.2 = 72.00 due 21 May (40 days: 31–60)
  钱丽 (rep_b1)  上海医械经销商  80.00 due 25 June (5 days: 1–30); 70.00 settled (not aged)
  nobody         公海客户        40.00 due 30 June (0 days: 未到期)
  payable        威高医疗器械  5000.00 due 25 June (马丽, the purchaser)

By person (the most outstanding first):
  张伟   1000 | 200 |  0 |   0 | 50     total 1250, overdue 250
  陈静      0 |   0 | 72 | 300 | 0      total  372, overdue 372
  钱丽      0 |  80 |  0 |   0 | 0      total   80, overdue  80
  (none)   40 |   0 |  0 |   0 | 0      total   40, overdue   0
  total  1040 | 280 | 72 | 300 | 50     total 1742, overdue 702"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.finance import report_selectors as reports
from tests.conftest import Company
from tests.finance.builders import make_parties, payable, receivable, settle

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 30)
RECEIVABLE, PAYABLE = "receivable", "payable"


def before(days: int) -> dt.date:
    return ON - dt.timedelta(days=days)


def aged_book(company: Company) -> None:
    """The data set of the module docstring (shared by the report page tests)."""
    clerk = company.finance_clerk
    parties = make_parties(company)
    receivable(clerk, parties.hospital, "1000.00", ON + dt.timedelta(days=10))
    receivable(clerk, parties.hospital, "200.00", before(days=20))
    receivable(clerk, parties.hospital, "50.00", before(days=100))
    receivable(clerk, parties.clinic, "300.00", before(days=75))
    receivable(clerk, parties.clinic, "10.00", before(days=40), currency="USD", exchange_rate=D("7.2"))
    receivable(clerk, parties.dealer, "80.00", before(days=5))
    paid = receivable(clerk, parties.dealer, "70.00", before(days=50))
    settle(clerk, parties.dealer, "70.00", dt.date(2026, 6, 1), (paid, "70.00"))
    receivable(clerk, parties.pool, "40.00", ON)
    payable(clerk, parties.supplier, "5000.00", before(days=5))


@pytest.fixture
def book(company: Company) -> None:
    aged_book(company)


def figures(row) -> list[D]:
    return [*row.buckets.values(), row.total, row.overdue]


def test_aging_by_person_on_a_fixed_date(company, book) -> None:
    report = reports.aging_report(company.finance_clerk.user, RECEIVABLE, on=ON)
    assert report.by == "owner"
    assert [(r.owner_id, r.owner_name) for r in report.rows] == [
        (company.rep_a1.pk, "张伟"),
        (company.rep_a2.pk, "陈静"),
        (company.rep_b1.pk, "钱丽"),
        (None, ""),
    ]
    assert [figures(r) for r in report.rows] == [
        [D("1000.00"), D("200.00"), 0, 0, D("50.00"), D("1250.00"), D("250.00")],
        [0, 0, D("72.00"), D("300.00"), 0, D("372.00"), D("372.00")],
        [0, D("80.00"), 0, 0, 0, D("80.00"), D("80.00")],
        [D("40.00"), 0, 0, 0, 0, D("40.00"), 0],
    ]
    assert figures(report.totals) == [
        D("1040.00"),
        D("280.00"),
        D("72.00"),
        D("300.00"),
        D("50.00"),
        D("1742.00"),
        D("702.00"),
    ]


def test_aging_by_party_is_the_finance_aging(company, book) -> None:
    report = reports.aging_report(company.finance_clerk.user, RECEIVABLE, by="party", on=ON)
    assert [(r.party_name, r.total) for r in report.rows] == [
        ("北京协和医院", D("1250.00")),
        ("朝阳社区诊所", D("372.00")),
        ("上海医械经销商", D("80.00")),
        ("公海客户", D("40.00")),
    ]
    assert report.totals.total == D("1742.00")


def test_aging_by_person_is_scoped_and_filtered(company, book) -> None:
    mine = reports.aging_report(company.rep_a1.user, RECEIVABLE, on=ON)
    assert [(r.owner_name, r.total) for r in mine.rows] == [("张伟", D("1250.00"))]
    assert mine.totals.total == D("1250.00")
    team = reports.aging_report(company.manager_a.user, RECEIVABLE, on=ON)
    assert [r.owner_name for r in team.rows] == ["张伟", "陈静"]
    one = reports.aging_report(company.finance_clerk.user, RECEIVABLE, on=ON, owner_id=company.rep_b1.pk)
    assert [(r.owner_name, r.total) for r in one.rows] == [("钱丽", D("80.00"))]
    assert one.totals.total == D("80.00")
    payables = reports.aging_report(company.finance_clerk.user, PAYABLE, on=ON)
    assert [(r.owner_name, r.buckets["d1_30"]) for r in payables.rows] == [("马丽", D("5000.00"))]


def test_aging_moves_with_the_day(company, book) -> None:
    later = reports.aging_report(company.finance_clerk.user, RECEIVABLE, on=ON + dt.timedelta(days=11))
    # 11 days on: 1000.00 is 1 day past due, 200.00 31 days
    assert figures(later.rows[0]) == [0, D("1000.00"), D("200.00"), 0, D("50.00"), D("1250.00"), D("1250.00")]
