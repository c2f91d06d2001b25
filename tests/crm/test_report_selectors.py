"""跟进统计: figures checked against hand computations on a fixed data set (March 2024).

  北京协和医院 (张伟's, team A): 张伟 拜访 03-02, 电话 03-05, 电话 03-20, 拜访 04-01 (after March);
                                李经理 (team A's manager) 会议 03-15
  朝阳社区诊所 (陈静's, team A): 陈静 电话 03-10, 邮件 03-11
  上海医械经销商 (钱丽's, team B): 钱丽 拜访 03-03, 拜访 03-04, 其他 03-30
  北京同仁医院 (张伟's): 张伟 电话 03-31 23:30 (still March, local time)

March for the administrator (the most activities first; kinds 电话, 拜访, 邮件, 会议, 其他):
  张伟    3 | 1 | 0 | 0 | 0   total 4, customers 2
  钱丽    0 | 2 | 0 | 0 | 1   total 3, customers 1
  陈静    1 | 0 | 1 | 0 | 0   total 2, customers 1
  李经理  0 | 0 | 0 | 1 | 0   total 1, customers 1
  total   4 | 3 | 1 | 1 | 1   total 10, customers 4
张伟 sees his customers' activities: himself 4 and 李经理's meeting 1 (total 5, customers 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from maoyi.crm import report_selectors as reports
from maoyi.crm.services.activities import log_activity
from tests.conftest import Company
from tests.crm.builders import make_customer

pytestmark = pytest.mark.django_db

MARCH = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 3, 31)}


def _at(day: str, time: dt.time = dt.time(10)) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), time))


def build_activities(company: Company) -> None:
    """The data set of the module docstring (shared by the report page tests)."""
    hospital = make_customer(company.rep_a1, "北京协和医院")
    clinic = make_customer(company.rep_a2, "朝阳社区诊所")
    dealer = make_customer(company.rep_b1, "上海医械经销商")
    tongren = make_customer(company.rep_a1, "北京同仁医院")
    for customer, employee, kind, day in (
        (hospital, company.rep_a1, "visit", "2024-03-02"),
        (hospital, company.rep_a1, "call", "2024-03-05"),
        (hospital, company.rep_a1, "call", "2024-03-20"),
        (hospital, company.rep_a1, "visit", "2024-04-01"),
        (hospital, company.manager_a, "meeting", "2024-03-15"),
        (clinic, company.rep_a2, "call", "2024-03-10"),
        (clinic, company.rep_a2, "email", "2024-03-11"),
        (dealer, company.rep_b1, "visit", "2024-03-03"),
        (dealer, company.rep_b1, "visit", "2024-03-04"),
        (dealer, company.rep_b1, "other", "2024-03-30"),
    ):
        log_activity(
            actor=None, customer=customer, kind=kind, summary="跟进", occurred_at=_at(day), employee=employee
        )
    log_activity(
        actor=None,
        customer=tongren,
        kind="call",
        summary="电话回访",
        occurred_at=_at("2024-03-31", dt.time(23, 30)),
        employee=company.rep_a1,
    )


@pytest.fixture
def book(company: Company) -> None:
    build_activities(company)


def table(report) -> list[tuple]:
    return [(r.name, *r.by_kind(), r.total, r.customer_count) for r in report.rows]


def test_activities_per_person_in_march(company, book) -> None:
    report = reports.activity_stats(company.admin.user, **MARCH)
    assert table(report) == [
        ("张伟", 3, 1, 0, 0, 0, 4, 2),
        ("钱丽", 0, 2, 0, 0, 1, 3, 1),
        ("陈静", 1, 0, 1, 0, 0, 2, 1),
        ("李经理", 0, 0, 0, 1, 0, 1, 1),
    ]
    t = report.total
    assert (*t.by_kind(), t.total, t.customer_count) == (4, 3, 1, 1, 1, 10, 4)


def test_activities_are_scoped_and_filtered(company, book) -> None:
    mine = reports.activity_stats(company.rep_a1.user, **MARCH)
    assert table(mine) == [("张伟", 3, 1, 0, 0, 0, 4, 2), ("李经理", 0, 0, 0, 1, 0, 1, 1)]
    assert (mine.total.total, mine.total.customer_count) == (5, 2)
    team_b = reports.activity_stats(company.admin.user, **MARCH, department_id=company.team_b.pk)
    assert table(team_b) == [("钱丽", 0, 2, 0, 0, 1, 3, 1)]
    one = reports.activity_stats(company.admin.user, **MARCH, employee_id=company.rep_a2.pk)
    assert [r.name for r in one.rows] == ["陈静"]
    spring = reports.activity_stats(
        company.admin.user, date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 4, 30)
    )
    assert spring.total.total == 11
