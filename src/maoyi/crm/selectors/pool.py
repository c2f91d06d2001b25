"""Reads of the public pool (公海).

Pool customers have no owner and no department, so the data scope hides them from 本人-scope users
(salespeople). The pool is everyone's to claim from: `pool_customers` lists every pooled customer
to anyone holding `crm.view_customer`, and `can_view_pool_customer` lets them open its pool page
(`web:pool-customer`, name, kind, level, address, last follow-up, when and why it came to the
pool) to decide whether to claim it. Contacts, activities and documents stay behind the claim:
they come with the customer once it is theirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from maoyi.core.normalize import name_key
from maoyi.crm.models import Customer, OwnershipAction, OwnershipChange, PoolNotice, PoolRule, PoolSettings
from maoyi.org import scope
from maoyi.org.models import Employee

POOL_FIELDS = ("id", "name", "kind", "level", "address", "last_activity_at", "pinyin", "is_active")
LOST_ACTIONS = (OwnershipAction.RELEASE, OwnershipAction.RETURN, OwnershipAction.TRANSFER)


# Open orders: sales orders live in a higher app; it registers a provider here, so crm never imports
# it. provider(customer ids) -> the ids among them with an open (not finished, not cancelled) order.
# A customer with an open order never returns to the pool automatically.
OpenOrdersProvider = Callable[[Iterable[int]], set[int]]
_OPEN_ORDER_PROVIDERS: list[OpenOrdersProvider] = []


def register_open_orders(provider: OpenOrdersProvider) -> None:
    if provider not in _OPEN_ORDER_PROVIDERS:
        _OPEN_ORDER_PROVIDERS.append(provider)


def with_open_orders(customer_ids: Iterable[int]) -> set[int]:
    ids = list(customer_ids)
    found: set[int] = set()
    for provider in _OPEN_ORDER_PROVIDERS:
        found |= provider(ids)
    return found


def pool_settings() -> PoolSettings:
    """The settings row, or the defaults while nobody saved one."""
    return PoolSettings.objects.order_by("pk").first() or PoolSettings()


def active_rules() -> dict[tuple[str, str], PoolRule]:
    return {(r.kind, r.level): r for r in PoolRule.objects.filter(is_active=True)}


def may_see_pool(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return scope.employee_of(user) is not None and user.has_perm("crm.view_customer")


def pool_customers(user: Any, *, search: str = "", kind: str = "", level: str = "") -> QuerySet[Customer]:
    """Every active customer in the pool (only the fields a claimer needs), for `crm.view_customer`
    holders; search matches name (also without 有限公司 and brackets), pinyin initials and address."""
    if not may_see_pool(user):
        return Customer.objects.none()
    qs = Customer.objects.filter(owner__isnull=True, is_active=True).only(*POOL_FIELDS)
    term = search.strip()
    if term:
        condition = Q(name__icontains=term) | Q(pinyin__contains=term.lower()) | Q(address__icontains=term)
        if key := name_key(term):
            condition |= Q(name_key__contains=key)
        qs = qs.filter(condition)
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("pinyin", "id")


def can_view_pool_customer(user: Any, customer: Customer) -> bool:
    return customer.owner_id is None and may_see_pool(user)


def pool_customer(user: Any, pk: int) -> Customer:
    """One pool customer for its pool page; DoesNotExist when it is not in the pool (claimed since)
    or the user may not see the pool."""
    return pool_customers(user).get(pk=pk)


def last_entry(customer: Customer) -> OwnershipChange | None:
    """How the customer last came to the pool (释放, 自动回收, 导入公海)."""
    return (
        OwnershipChange.objects.filter(customer=customer, to_owner__isnull=True)
        .select_related("from_owner")
        .order_by("-at", "-id")
        .first()
    )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def claims_on(employee: Employee, day: dt.date) -> int:
    start, end = _day_bounds(day)
    return OwnershipChange.objects.filter(
        to_owner=employee, action=OwnershipAction.CLAIM, at__gte=start, at__lt=end
    ).count()


def claims_today(employee: Employee) -> int:
    return claims_on(employee, timezone.localdate())


def cooldown_until(
    customer: Customer, employee: Employee, *, now: dt.datetime | None = None
) -> dt.date | None:
    """The first day `employee` may claim `customer` again after releasing or losing it (released,
    returned, transferred away), or None when they may now."""
    days = pool_settings().cooldown_days
    if not days:
        return None
    now = now or timezone.now()
    last = (
        OwnershipChange.objects.filter(customer=customer, from_owner=employee, action__in=LOST_ACTIONS)
        .order_by("-at", "-id")
        .first()
    )
    if last is None:
        return None
    until = last.at + dt.timedelta(days=days)
    return timezone.localdate(until) if until > now else None


@dataclass(frozen=True)
class Quota:
    owned: int
    max_owned: int
    claimed_today: int
    daily_claims: int

    @property
    def can_claim(self) -> bool:
        return self.owned < self.max_owned and self.claimed_today < self.daily_claims


def quota(employee: Employee) -> Quota:
    settings = pool_settings()
    return Quota(
        owned=Customer.objects.filter(owner=employee).count(),
        max_owned=settings.max_owned,
        claimed_today=claims_today(employee),
        daily_claims=settings.daily_claims,
    )


# Automatic return ----------------------------------------------------------------------------------


def idle_since(customer: Customer) -> dt.date:
    """Where the idle clock starts: the later of the last activity and when the owner got it."""
    moments = [m for m in (customer.last_activity_at, customer.owned_since) if m is not None]
    return timezone.localdate(max(moments)) if moments else timezone.localdate(customer.created_at)


def days_left(customer: Customer, rule: PoolRule, today: dt.date) -> int:
    return rule.idle_days - (today - idle_since(customer)).days


def days_until_return(
    customer: Customer, today: dt.date | None = None, *, rules: dict[tuple[str, str], PoolRule] | None = None
) -> int | None:
    """In how many days the sweep returns this customer to the pool (0: at the next sweep), or None
    when it will not: in the pool already, no active rule for its kind and level, or an open order."""
    if customer.owner_id is None:
        return None
    rules = active_rules() if rules is None else rules
    rule = rules.get((customer.kind, customer.level))
    if rule is None or with_open_orders([customer.pk]):
        return None
    return max(days_left(customer, rule, today or timezone.localdate()), 0)


def return_badge(customer: Customer, today: dt.date | None = None, **kwargs: Any) -> int | None:
    """The "k 天后回收公海" badge: the days left once within the rule's warning window, else None."""
    rules = kwargs.get("rules")
    rules = active_rules() if rules is None else rules
    days = days_until_return(customer, today, rules=rules)
    rule = rules.get((customer.kind, customer.level))
    if days is None or rule is None or days > rule.warn_days:
        return None
    return days


def return_badges(customers: Iterable[Customer], today: dt.date | None = None) -> dict[int, int | None]:
    """`return_badge` for a page of customers at once: the rules and the open orders read once for
    the page instead of once per row."""
    listed = [c for c in customers if c.owner_id is not None]
    rules = active_rules() if listed else {}
    busy = with_open_orders(c.pk for c in listed if (c.kind, c.level) in rules) if rules else set()
    day = today or timezone.localdate()
    badges: dict[int, int | None] = {}
    for customer in listed:
        rule = rules.get((customer.kind, customer.level))
        if rule is None or customer.pk in busy:
            continue
        days = max(days_left(customer, rule, day), 0)
        badges[customer.pk] = days if days <= rule.warn_days else None
    return badges


# Notices -------------------------------------------------------------------------------------------


def notices_for(user: Any, *, unread: bool = True) -> QuerySet[PoolNotice]:
    """The user's pool notices (their own only), newest first."""
    employee = scope.employee_of(user)
    if employee is None:
        return PoolNotice.objects.none()
    qs = PoolNotice.objects.filter(recipient=employee).select_related("customer", "customer__owner")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")
