"""Activities (跟进记录): logging one (rules, the customer's last activity and pool warning, earlier
follow-ups closed, permissions, scope, audit), completing a follow-up, and the reads — timelines,
filters, follow-ups due today and overdue on fixed dates, counts per person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.models import Activity, ActivityKind, Contact, Customer
from maoyi.crm.selectors import activities as reads
from maoyi.crm.services import activities as services
from maoyi.crm.services.contacts import add_contact
from tests.crm.builders import make_customer

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def state() -> dict[str, list[dict[str, Any]]]:
    models = (Customer, Contact, Activity, AuditEntry)
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


def log(actor, customer, summary="电话沟通采购计划", kind=ActivityKind.CALL, **fields) -> Activity:
    return services.log_activity(actor=actor, customer=customer, kind=kind, summary=summary, **fields)


@pytest.fixture
def customer(company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


# Logging -------------------------------------------------------------------------------------------


def test_logging_an_activity_moves_the_last_activity_clears_the_pool_warning_and_audits(company, customer):
    Customer.objects.filter(pk=customer.pk).update(pool_warning="manager")
    contact = add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    activity = log(
        company.rep_a1,
        customer,
        " 拜访设备科 ",
        kind=ActivityKind.VISIT,
        occurred_at=at("2026-03-02", 15),
        contact=contact,
        next_follow_up=d("2026-03-09"),
    )
    activity.refresh_from_db()
    customer.refresh_from_db()
    assert (activity.summary, activity.kind, activity.contact, activity.employee) == (
        "拜访设备科",
        "visit",
        contact,
        company.rep_a1,
    )
    assert (activity.next_follow_up, activity.follow_up_done) == (d("2026-03-09"), False)
    assert (customer.last_activity_at, customer.pool_warning) == (at("2026-03-02", 15), "")
    entry = AuditEntry.objects.get(content_type__model="activity", object_id=str(activity.pk))
    assert entry.action == "create" and entry.changes["summary"] == [None, "拜访设备科"]


def test_occurred_at_defaults_to_now(company, customer):
    before = timezone.now()
    activity = log(company.rep_a1, customer)
    assert before <= activity.occurred_at <= timezone.now()
    customer.refresh_from_db()
    assert customer.last_activity_at == activity.occurred_at


def test_an_older_activity_keeps_the_later_last_activity_and_the_pool_warning(company, customer):
    log(company.rep_a1, customer, occurred_at=at("2026-03-10"))
    Customer.objects.filter(pk=customer.pk).update(pool_warning="owner")
    log(company.rep_a1, customer, occurred_at=at("2026-03-01"))
    customer.refresh_from_db()
    assert (customer.last_activity_at, customer.pool_warning) == (at("2026-03-10"), "owner")


def test_a_new_activity_closes_earlier_open_follow_ups_of_the_customer_only(company, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    first = log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-05"))
    elsewhere = log(company.rep_a1, other, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-05"))
    later = log(company.rep_a1, customer, occurred_at=at("2026-03-20"), next_follow_up=d("2026-03-25"))
    log(company.rep_a1, customer, occurred_at=at("2026-03-04"), next_follow_up=d("2026-03-06"))
    for a in (first, elsewhere, later):
        a.refresh_from_db()
    assert (first.follow_up_done, elsewhere.follow_up_done, later.follow_up_done) == (True, False, False)
    assert AuditEntry.objects.get(object_id=str(first.pk), action="update").changes == {
        "follow_up_done": [False, True]
    }


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"kind": "fax"}, "请选择跟进方式。", "kind"),
        ({"summary": "  "}, "请填写跟进内容。", "summary"),
        ({"occurred_at": "future"}, "跟进时间不能晚于现在。", "occurred_at"),
        (
            {"occurred_at": at("2026-03-02", 23), "next_follow_up": d("2026-03-01")},
            "下次跟进日期不能早于跟进日期。",
            "next_follow_up",
        ),
    ],
)
def test_log_refuses_invalid_input_and_changes_nothing(company, customer, fields, message, field):
    log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-02"))
    Customer.objects.filter(pk=customer.pk).update(pool_warning="owner")
    if fields.get("occurred_at") == "future":
        fields["occurred_at"] = timezone.now() + dt.timedelta(hours=1)
    refused(lambda: log(company.rep_a1, customer, **fields), "invalid", message, field)


def test_the_contact_must_belong_to_the_customer(company, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    stranger = add_contact(actor=company.rep_a1, customer=other, name="赵主任")
    refused(
        lambda: log(company.rep_a1, customer, contact=stranger), "invalid", "联系人不属于该客户。", "contact"
    )


def test_next_follow_up_on_the_same_day_is_fine(company, customer):
    activity = log(company.rep_a1, customer, occurred_at=at("2026-03-02"), next_follow_up=d("2026-03-02"))
    assert activity.next_follow_up == d("2026-03-02")


def test_activities_follow_the_customers_scope_and_roles(company, customer):
    b_customer = make_customer(company.rep_b1, "钱丽的客户")
    refused(lambda: log(company.rep_a1, b_customer), "not_found", "记录不存在。")
    refused(lambda: log(company.rep_a2, customer), "not_found", "记录不存在。")
    refused(lambda: log(company.purchaser, customer), "permission_denied", "您的角色不能执行此操作。")
    refused(lambda: log(company.finance_clerk, customer), "permission_denied", "您的角色不能执行此操作。")
    by_assistant = log(company.assistant_a, customer)
    by_manager = log(company.sales_head, b_customer)
    assert (by_assistant.employee, by_manager.employee) == (company.assistant_a, company.sales_head)


def test_the_system_logs_for_the_customers_owner(company, customer):
    activity = log(None, customer, occurred_at=at("2026-03-01"))
    assert activity.employee == company.rep_a1
    pool_customer = make_customer(None, "公海客户")
    refused(lambda: log(None, pool_customer), "invalid", "请指定跟进人。", "employee")


# Completing a follow-up ----------------------------------------------------------------------------


def test_complete_follow_up_marks_it_done_once(company, customer):
    activity = log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-03"))
    services.complete_follow_up(activity, actor=company.rep_a1)
    activity.refresh_from_db()
    assert activity.follow_up_done
    refused(
        lambda: services.complete_follow_up(activity, actor=company.rep_a1),
        "invalid_state",
        "这条跟进已经完成。",
    )
    plain = log(company.rep_a1, customer, occurred_at=at("2026-03-02"))
    refused(
        lambda: services.complete_follow_up(plain, actor=company.rep_a1),
        "invalid_state",
        "这条跟进记录没有安排下次跟进。",
    )


def test_complete_follow_up_is_scoped(company, customer):
    activity = log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-03"))
    refused(lambda: services.complete_follow_up(activity, actor=company.rep_b1), "not_found", "记录不存在。")
    refused(
        lambda: services.complete_follow_up(activity, actor=company.purchaser),
        "permission_denied",
        "您的角色不能执行此操作。",
    )


# Reads ---------------------------------------------------------------------------------------------


def test_follow_ups_due_splits_today_and_overdue_on_a_fixed_date(company, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    third = make_customer(company.rep_a1, "广州中山医院")
    b_customer = make_customer(company.rep_b1, "钱丽的客户")
    overdue = log(company.rep_a1, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-08"))
    today = log(company.rep_a1, other, occurred_at=at("2026-03-02"), next_follow_up=d("2026-03-10"))
    log(company.rep_a1, third, occurred_at=at("2026-03-02"), next_follow_up=d("2026-03-11"))  # not yet due
    done = log(company.rep_a1, third, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-09"))
    services.complete_follow_up(done, actor=company.rep_a1)
    log(company.rep_a1, third, occurred_at=at("2026-03-01"))  # no follow-up planned
    theirs = log(company.rep_b1, b_customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-10"))

    due = reads.follow_ups_due(company.rep_a1.user, on=d("2026-03-10"))
    assert (list(due.today), list(due.overdue)) == ([today], [overdue])
    head = reads.follow_ups_due(company.sales_head.user, on=d("2026-03-10"))
    assert (set(head.today), list(head.overdue)) == ({today, theirs}, [overdue])
    mine = reads.follow_ups_due(company.sales_head.user, on=d("2026-03-10"), mine=company.rep_b1)
    assert (list(mine.today), list(mine.overdue)) == ([theirs], [])
    later = reads.follow_ups_due(company.rep_a1.user, on=d("2026-03-11"))
    assert len(later.today) == 1 and set(later.overdue) == {overdue, today}
    assert list(reads.follow_ups_due(company.rep_a2.user, on=d("2026-03-10")).overdue) == []


def test_the_follow_ups_of_an_assistant_include_the_ones_they_scheduled(company, customer):
    scheduled = log(
        company.assistant_a, customer, occurred_at=at("2026-03-01"), next_follow_up=d("2026-03-02")
    )
    due = reads.follow_ups_due(company.assistant_a.user, on=d("2026-03-02"), mine=company.assistant_a)
    assert list(due.today) == [scheduled]
    assert list(reads.follow_ups_due(company.rep_a1.user, on=d("2026-03-02"), mine=company.rep_a1).today) == [
        scheduled
    ]


def test_activities_filter_by_employee_dates_kind_and_customer(company, customer):
    other = make_customer(company.rep_a2, "上海瑞金医院")
    a1 = log(company.rep_a1, customer, occurred_at=at("2026-03-01", 9))
    a2 = log(company.rep_a1, customer, kind=ActivityKind.VISIT, occurred_at=at("2026-03-05", 23))
    a3 = log(company.rep_a2, other, occurred_at=at("2026-03-06", 0))
    b = log(company.rep_b1, make_customer(company.rep_b1, "钱丽的客户"), occurred_at=at("2026-03-03"))
    user = company.manager_a.user
    assert list(reads.activities(user)) == [a3, a2, a1]
    assert list(reads.activities(company.rep_a1.user)) == [a2, a1]
    assert list(reads.activities(user, employee=company.rep_a2)) == [a3]
    assert list(reads.activities(user, date_from=d("2026-03-02"), date_to=d("2026-03-05"))) == [a2]
    assert list(reads.activities(user, kind="visit")) == [a2]
    assert list(reads.activities(user, customer=other)) == [a3]
    assert list(reads.activities_of(company.rep_a1.user, customer)) == [a2, a1]
    assert b in reads.activities(company.admin.user)
    assert reads.activity(user, a1.pk) == a1
    with pytest.raises(NotFoundInScope):
        reads.activity(company.rep_b1.user, a1.pk)


def test_activity_counts_by_person_for_the_managers_team(company, customer):
    other = make_customer(company.rep_a2, "上海瑞金医院")
    log(company.rep_a1, customer, occurred_at=at("2026-03-01"))
    log(company.rep_a1, customer, kind=ActivityKind.VISIT, occurred_at=at("2026-03-02"))
    log(company.rep_a2, other, occurred_at=at("2026-03-02"))
    log(company.rep_a2, other, occurred_at=at("2026-02-20"))  # outside the period
    log(company.rep_b1, make_customer(company.rep_b1, "钱丽的客户"), occurred_at=at("2026-03-03"))
    counts = reads.activity_counts_by_person(company.manager_a.user, d("2026-03-01"), d("2026-03-31"))
    assert [
        (c.employee, c.total, c.kind_count("call"), c.kind_count("visit"), c.customers) for c in counts
    ] == [
        (company.rep_a1, 2, 1, 1, 1),
        (company.rep_a2, 1, 1, 0, 1),
    ]
    head = reads.activity_counts_by_person(company.sales_head.user, d("2026-03-01"), d("2026-03-31"))
    assert {c.employee for c in head} == {company.rep_a1, company.rep_a2, company.rep_b1}
    assert reads.activity_counts_by_person(company.rep_b1.user, d("2026-03-01"), d("2026-03-02")) == []
