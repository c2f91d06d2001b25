"""Reads of contacts and activities (跟进记录). Both are seen through their customer: a user sees the
contacts and activities of the customers in their data scope, whoever logged them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from maoyi.core.errors import NotFoundInScope
from maoyi.crm.models import Activity, Contact, Customer
from maoyi.org import scope
from maoyi.org.models import Employee

# Contacts ------------------------------------------------------------------------------------------


def contacts(
    user: Any, *, customer: Customer | None = None, active: bool | None = None, search: str = ""
) -> QuerySet[Contact]:
    """Contacts of the customers the user may see (of one customer when given), primary first."""
    qs = scope.visible(user, Contact.objects.select_related("customer"))
    if customer is not None:
        qs = qs.filter(customer=customer)
    if active is not None:
        qs = qs.filter(is_active=active)
    term = search.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(mobile__contains=term) | Q(customer__name__icontains=term))
    return qs.order_by("customer_id", "-is_active", "-is_primary", "id")


def contacts_of(user: Any, customer: Customer) -> QuerySet[Contact]:
    """A customer's contacts the user may see: those still there first (primary first), then those
    who left (离职)."""
    return contacts(user, customer=customer)


def contact(user: Any, pk: int) -> Contact:
    """One contact in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        return scope.get_visible(user, Contact.objects.select_related("customer"), pk=pk)
    except Contact.DoesNotExist:
        raise NotFoundInScope() from None


# Activities ----------------------------------------------------------------------------------------


def _local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def activities(
    user: Any,
    *,
    employee: Employee | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str = "",
    customer: Customer | None = None,
) -> QuerySet[Activity]:
    """Activities of the customers the user may see, newest first: by who logged them, when (local
    dates, both ends included), how, and of which customer."""
    qs = scope.visible(user, Activity.objects.select_related("customer", "contact", "employee"))
    if employee is not None:
        qs = qs.filter(employee=employee)
    if date_from is not None:
        qs = qs.filter(occurred_at__gte=_local_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(occurred_at__lt=_local_day_start(date_to + dt.timedelta(days=1)))
    if kind:
        qs = qs.filter(kind=kind)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.order_by("-occurred_at", "-id")


def activities_of(user: Any, customer: Customer) -> QuerySet[Activity]:
    """A customer's timeline (newest first)."""
    return activities(user, customer=customer)


def activity(user: Any, pk: int) -> Activity:
    """One activity in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    qs = Activity.objects.select_related("customer", "contact", "employee")
    try:
        return scope.get_visible(user, qs, pk=pk)
    except Activity.DoesNotExist:
        raise NotFoundInScope() from None


def open_follow_ups(
    user: Any, *, on: dt.date | None = None, mine: Employee | None = None
) -> QuerySet[Activity]:
    """Follow-ups not yet done, due on or before `on` (today), of the customers the user may see;
    the oldest due first. `mine`: only those of the employee's customers or that they scheduled."""
    on = on or timezone.localdate()
    qs = scope.visible(
        user,
        Activity.objects.select_related("customer", "customer__owner", "contact", "employee").filter(
            follow_up_done=False, next_follow_up__isnull=False, next_follow_up__lte=on
        ),
    )
    if mine is not None:
        qs = qs.filter(Q(customer__owner=mine) | Q(employee=mine))
    return qs.order_by("next_follow_up", "customer__pinyin", "id")


@dataclass(frozen=True)
class FollowUpsDue:
    """Open follow-ups (跟进提醒) split into those due today and those overdue (before today)."""

    on: dt.date
    today: QuerySet[Activity]
    overdue: QuerySet[Activity]


def follow_ups_due(user: Any, *, on: dt.date | None = None, mine: Employee | None = None) -> FollowUpsDue:
    on = on or timezone.localdate()
    due = open_follow_ups(user, on=on, mine=mine)
    return FollowUpsDue(on=on, today=due.filter(next_follow_up=on), overdue=due.filter(next_follow_up__lt=on))


@dataclass
class PersonCount:
    """One employee's activities in a period: the total and how many of each kind."""

    employee: Employee
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    customers: int = 0

    def kind_count(self, kind: str) -> int:
        return self.by_kind.get(kind, 0)


def activity_counts_by_person(
    user: Any, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[PersonCount]:
    """Per employee, the activities of the customers the user may see in the period (manager view:
    the team's follow-ups), busiest first."""
    qs = activities(user, date_from=date_from, date_to=date_to)
    rows = qs.order_by().values("employee", "kind").annotate(n=Count("id"))
    people: dict[int, PersonCount] = {}
    employees = {e.pk: e for e in Employee.objects.filter(pk__in={r["employee"] for r in rows})}
    for row in rows:
        person = people.setdefault(row["employee"], PersonCount(employee=employees[row["employee"]]))
        person.by_kind[row["kind"]] = person.by_kind.get(row["kind"], 0) + row["n"]
        person.total += row["n"]
    reached = qs.order_by().values("employee").annotate(n=Count("customer", distinct=True))
    for row in reached:
        people[row["employee"]].customers = row["n"]
    return sorted(people.values(), key=lambda p: (-p.total, p.employee.pinyin, p.employee.pk))
