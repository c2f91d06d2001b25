"""未跟进客户: the owned customers in the user's scope nobody followed up for N days or more.

A customer never followed up (no `last_activity_at`) counts as idle whatever N is, and comes first;
then the longest idle. Pool customers (no owner) are not anyone's to follow up, so they are left out.
Where the public pool's rules say when the customer will return to the pool, that is given too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from maoyi.crm.models import Customer
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.org import scope
from maoyi.org.models import Employee

DAY_CHOICES = (7, 15, 30, 60, 90)
DEFAULT_DAYS = 30


def idle_cutoff(days: int, *, now: dt.datetime | None = None) -> dt.datetime:
    """Customers whose last follow-up is before this moment are idle for `days` days or more: the
    start of the local day `days` days ago."""
    today = timezone.localdate(now or timezone.now())
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min))


def idle_customers(
    user: Any,
    *,
    days: int,
    owner: Employee | None = None,
    kind: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Customer]:
    """Owned, active customers in the user's scope not followed up for `days` days or more (never
    followed up: always), never-followed first, then the longest idle."""
    qs = scope.visible(user, Customer.objects.select_related("owner", "department"))
    qs = qs.filter(owner__isnull=False, is_active=True).filter(
        Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=idle_cutoff(days, now=now))
    )
    if owner is not None:
        qs = qs.filter(owner=owner)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by(F("last_activity_at").asc(nulls_first=True), "pinyin", "id")


@dataclass(frozen=True)
class IdleCount:
    """One owner's line of the summary: how many idle customers, how many never followed up."""

    owner_id: int
    owner_name: str
    count: int
    never: int


def idle_summary(user: Any, *, days: int, kind: str = "", now: dt.datetime | None = None) -> list[IdleCount]:
    """Idle customers per owner (most first), over the same customers as `idle_customers`."""
    rows = (
        idle_customers(user, days=days, kind=kind, now=now)
        .order_by()
        .values("owner", "owner__name")
        .annotate(count=Count("id"), never=Count("id", filter=Q(last_activity_at__isnull=True)))
        .order_by("-count", "owner__pinyin", "owner")
    )
    return [
        IdleCount(owner_id=r["owner"], owner_name=r["owner__name"], count=r["count"], never=r["never"])
        for r in rows
    ]


def idle_owners(user: Any) -> QuerySet[Employee]:
    """The employees in the user's scope who own customers the user sees (the owner filter)."""
    owned = scope.visible(user, Customer.objects.filter(owner__isnull=False)).values("owner")
    return scope.visible(user, Employee.objects.filter(pk__in=owned)).order_by("pinyin", "id")


def idle_days(customer: Customer, today: dt.date | None = None) -> int | None:
    """Whole days since the last follow-up, None when there never was one."""
    if customer.last_activity_at is None:
        return None
    today = today or timezone.localdate()
    return (today - timezone.localdate(customer.last_activity_at)).days


def days_until_return(customers: Iterable[Customer], today: dt.date | None = None) -> dict[int, int | None]:
    """For each customer: in how many days the pool takes it back (0: at the next sweep), or None
    when it will not (no active rule for its kind and level, or an open order). One query for the
    rules and one round of the open-order providers, whatever the number of customers."""
    listed = list(customers)
    today = today or timezone.localdate()
    rules = pool_selectors.active_rules()
    busy = pool_selectors.with_open_orders(c.pk for c in listed) if rules else set()
    found: dict[int, int | None] = {}
    for customer in listed:
        rule = rules.get((customer.kind, customer.level))
        if rule is None or customer.owner_id is None or customer.pk in busy:
            found[customer.pk] = None
        else:
            found[customer.pk] = max(pool_selectors.days_left(customer, rule, today), 0)
    return found
