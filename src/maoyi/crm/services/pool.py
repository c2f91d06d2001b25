"""The public pool (公海): customers without an owner. A salesperson claims (领取) one, its owner
releases (释放) it, a manager transfers (转移) it to a colleague, and the daily sweep returns (自动回收)
customers nobody followed up for too long.

Every change of owner is one transaction that locks the customer row, writes an `OwnershipChange`,
sets `owned_since`, clears `pool_warning`, audits the customer, and moves the customer's open
receivables and unreversed receipts along (`finance.services.reassign_party`). Contacts, activities,
opportunities and documents are reached through the customer, so the new owner sees the whole
history and nothing else has to move.

Released or returned customers lose their department too (a pool customer is nobody's); their open
receivables lose the owner but keep their department, so the team's manager still sees the money
the customer owes and finance (scope: all) sees it anyway. The next owner's claim or a transfer
gives the money their own department."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused, required_reason
from maoyi.core.permissions import require_permission
from maoyi.crm.models import (
    Customer,
    CustomerKind,
    CustomerLevel,
    OwnershipAction,
    OwnershipChange,
    PoolNotice,
    PoolRule,
    PoolSettings,
)
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.finance import services as finance
from maoyi.finance.parties import PartyKind
from maoyi.org import scope
from maoyi.org.models import DataScope, Department, Employee, EmployeeStatus

# Roles whose holders may own customers (be claimed for, be transferred to).
SELLING_ROLES = ("salesperson", "sales_assistant")

# Sales registers "which customers have open orders" here (see selectors.pool.register_open_orders).
register_open_orders = pool_selectors.register_open_orders
with_open_orders = pool_selectors.with_open_orders


# Shared steps ---------------------------------------------------------------------------------------

OWNER_FIELDS = ("owner", "department")
# The audit trail's action names (labels: web/templatetags EXTRA_LABELS).
AUDIT_ACTIONS: dict[str, str] = {
    OwnershipAction.CLAIM: "claim",
    OwnershipAction.RELEASE: "release",
    OwnershipAction.TRANSFER: "transfer",
    OwnershipAction.RETURN: "return_to_pool",
}


def _reason(reason: str) -> str:
    reason = required_reason(reason)
    if len(reason) > 300:
        raise DomainError(_("原因最多 300 个字。"), code="invalid", field="reason")
    return reason


def _lock(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _change_owner(
    customer: Customer,
    *,
    action: str,
    to: Employee | None,
    actor: Employee | None,
    reason: str,
    now: dt.datetime,
) -> Customer:
    """Write the new owner on the locked `customer`, with its ownership row, audit entry and money."""
    before = audit.snapshot(customer, OWNER_FIELDS)
    previous = customer.owner
    customer.owner = to
    customer.department = to.department if to is not None else None
    customer.owned_since = now if to is not None else None
    customer.pool_warning = ""
    customer.updated_at = now
    customer.save(update_fields=["owner", "department", "owned_since", "pool_warning", "updated_at"])
    OwnershipChange.objects.create(
        customer=customer, action=action, from_owner=previous, to_owner=to, actor=actor, at=now, reason=reason
    )
    changes = audit.diff(before, audit.snapshot(customer, OWNER_FIELDS))
    audit.record(actor, AUDIT_ACTIONS[action], customer, changes, note=reason)
    finance.reassign_party(
        party_kind=PartyKind.CUSTOMER,
        party_id=customer.pk,
        owner=to,
        department=to.department if to is not None else finance.KEEP,
        actor=actor,
        note=customer.name,
    )
    return customer


def can_own_customers(employee: Employee) -> bool:
    """Active, with a selling role (业务员 or 业务助理)."""
    return employee.status == EmployeeStatus.ACTIVE and employee.roles.filter(code__in=SELLING_ROLES).exists()


# Release, claim, transfer, return -------------------------------------------------------------------


@transaction.atomic
def release_customer(
    customer: Customer, *, actor: Employee | None, reason: str, now: dt.datetime | None = None
) -> Customer:
    """释放: the owner (or anyone who may change the customer: the owner's manager, an
    administrator) puts it back in the pool, with a reason."""
    require_permission(actor, "crm.change_customer")
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()
    reason = _reason(reason)
    locked = _lock(customer)
    if locked.owner_id is None:
        raise DomainError(_("客户“%(name)s”已在公海中。"), code="in_pool", name=locked.name)
    return _change_owner(
        locked, action=OwnershipAction.RELEASE, to=None, actor=actor, reason=reason, now=now or timezone.now()
    )


@transaction.atomic
def claim_customer(customer: Customer, *, actor: Employee, now: dt.datetime | None = None) -> Customer:
    """领取: a salesperson takes a customer from the pool. Refused when it has an owner
    (`not_in_pool`), when the actor already owns the most one may (`claim_limit`), claimed the most
    one may today (`daily_claim_cap`), or released or lost this customer less than the cool-down
    ago (`claim_cooldown`). The actor's row is locked first, so their own concurrent claims queue
    (the limits hold), then the customer's, so two people claiming it cannot both win."""
    require_permission(actor, "crm.change_customer")
    now = now or timezone.now()
    if not can_own_customers(actor):
        raise DomainError(_("只有业务员或业务助理可以领取公海客户。"), code="not_salesperson")
    Employee.objects.select_for_update().filter(pk=actor.pk).first()
    locked = _lock(customer)
    if locked.owner_id is not None:
        raise DomainError(
            _("客户“%(name)s”不在公海中，可能已被他人领取。"), code="not_in_pool", name=locked.name
        )
    settings = pool_selectors.pool_settings()
    owned = Customer.objects.filter(owner=actor).count()
    if owned >= settings.max_owned:
        raise DomainError(
            _("您已负责 %(owned)s 个客户，达到每人上限 %(limit)s 个，不能再领取。"),
            code="claim_limit",
            owned=owned,
            limit=settings.max_owned,
        )
    claimed = pool_selectors.claims_on(actor, timezone.localdate(now))
    if claimed >= settings.daily_claims:
        raise DomainError(
            _("您今天已领取 %(count)s 个客户，达到每天上限 %(limit)s 个，请明天再领取。"),
            code="daily_claim_cap",
            count=claimed,
            limit=settings.daily_claims,
        )
    until = pool_selectors.cooldown_until(locked, actor, now=now)
    if until is not None:
        raise DomainError(
            _("您最近释放或失去了该客户，%(date)s 之后才能重新领取。"),
            code="claim_cooldown",
            date=until.isoformat(),
        )
    return _change_owner(locked, action=OwnershipAction.CLAIM, to=actor, actor=actor, reason="", now=now)


@transaction.atomic
def transfer_customer(
    customer: Customer,
    *,
    actor: Employee | None,
    to: Employee,
    reason: str,
    now: dt.datetime | None = None,
) -> Customer:
    """转移: a manager (data scope 本部门 or 全公司, holding `crm.change_customer`) gives a customer in
    their scope to an active salesperson or assistant in their scope. A pool customer may be
    transferred too, by whoever sees it (the administrator)."""
    require_permission(actor, "crm.change_customer")
    if actor is not None:
        if scope.data_scope(actor.user) not in (DataScope.DEPARTMENT, DataScope.ALL):
            raise PermissionRefused()
        if not scope.can_change(actor.user, customer):
            raise NotFoundInScope()
    reason = _reason(reason)
    if to is None:
        raise DomainError(_("请选择新负责人。"), code="invalid", field="to")
    if actor is not None and not scope.can_view(actor.user, to):
        raise DomainError(_("“%(name)s”不在您的管理范围内。"), code="invalid", field="to", name=to.name)
    if not can_own_customers(to):
        raise DomainError(
            _("“%(name)s”不是在职的业务员或业务助理。"), code="invalid", field="to", name=to.name
        )
    locked = _lock(customer)
    if locked.owner_id == to.pk:
        raise DomainError(_("客户已由“%(name)s”负责。"), code="invalid", field="to", name=to.name)
    return _change_owner(
        locked, action=OwnershipAction.TRANSFER, to=to, actor=actor, reason=reason, now=now or timezone.now()
    )


@transaction.atomic
def return_to_pool(customer: Customer, *, reason: str, now: dt.datetime | None = None) -> Customer | None:
    """自动回收 (the system): the customer goes back to the pool. None when it already is there."""
    locked = _lock(customer)
    if locked.owner_id is None:
        return None
    return _change_owner(
        locked, action=OwnershipAction.RETURN, to=None, actor=None, reason=reason, now=now or timezone.now()
    )


# The daily sweep ------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    owners_reminded: list[Customer] = field(default_factory=list)
    managers_told: list[Customer] = field(default_factory=list)
    returned: list[Customer] = field(default_factory=list)
    reset: int = 0
    kept_for_orders: int = 0

    def summary(self) -> str:
        return (
            f"pool_sweep: checked {self.checked}, reminded {len(self.owners_reminded)} owner(s), "
            f"told managers of {len(self.managers_told)}, returned {len(self.returned)}, "
            f"reset {self.reset}, kept {self.kept_for_orders} with open orders"
        )


def managers_for(owner: Employee) -> list[Employee]:
    """The nearest active managers above the owner (their own department's, else its parents'),
    other than the owner."""
    node: Department | None = owner.department
    while node is not None:
        found = list(
            Employee.objects.filter(department=node, is_manager=True, status=EmployeeStatus.ACTIVE).exclude(
                pk=owner.pk
            )
        )
        if found:
            return found
        node = node.parent
    return []


def _notify(
    customer: Customer, recipients: Iterable[Employee], stage: str, returns_on: dt.date | None
) -> None:
    seen: set[int] = set()
    for person in recipients:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        PoolNotice.objects.create(customer=customer, recipient=person, stage=stage, returns_on=returns_on)


def sweep_pool(*, today: dt.date | None = None) -> SweepResult:
    """Run once a day (`maoyi pool_sweep`). For each owned customer with an active rule for its kind
    and level and no open order: days_left = idle_days − days idle since max(last activity,
    owned since). days_left ≤ warn_days: the owner is reminded (pool_warning "owner");
    ≤ warn_days // 2: the owner's managers are told ("manager"; a sweep that missed days does both
    steps at once); ≤ 0: the customer returns to the pool, owner and managers are told. A warning
    whose customer got an activity since (days_left > warn_days again) is cleared. Notices are
    written only when the stage moves, so a second run the same day changes nothing. Each customer
    is its own transaction."""
    today = today or timezone.localdate()
    result = SweepResult()
    rules = pool_selectors.active_rules()
    if not rules:
        return result
    owned = list(
        Customer.objects.filter(owner__isnull=False)
        .select_related("owner", "owner__department")
        .order_by("pk")
    )
    busy = with_open_orders(c.pk for c in owned)
    for customer in owned:
        rule = rules.get((customer.kind, customer.level))
        if rule is None:
            continue
        result.checked += 1
        if customer.pk in busy:
            result.kept_for_orders += 1
            continue
        with transaction.atomic():
            _sweep_one(customer, rule=rule, today=today, result=result)
    return result


def _sweep_one(customer: Customer, *, rule: Any, today: dt.date, result: SweepResult) -> None:
    locked = Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)
    if locked.owner is None:
        return
    days_left = pool_selectors.days_left(locked, rule, today)
    returns_on = today + dt.timedelta(days=max(days_left, 0))
    owner = locked.owner
    if days_left <= 0:
        managers = managers_for(owner)
        return_to_pool(
            locked,
            reason=str(_("%(days)s 天无跟进，自动回收公海") % {"days": rule.idle_days}),
            now=timezone.now(),
        )
        _notify(locked, [owner, *managers], "returned", today)
        result.returned.append(locked)
        return
    stage = locked.pool_warning
    if days_left > rule.warn_days:
        if stage:  # followed up since the warning
            locked.pool_warning = ""
            locked.save(update_fields=["pool_warning"])
            result.reset += 1
        return
    if stage == "":
        _notify(locked, [owner], "owner", returns_on)
        stage = "owner"
        result.owners_reminded.append(locked)
    if stage == "owner" and days_left <= rule.warn_days // 2:
        _notify(locked, managers_for(owner), "manager", returns_on)
        stage = "manager"
        result.managers_told.append(locked)
    if stage != locked.pool_warning:
        locked.pool_warning = stage
        locked.save(update_fields=["pool_warning"])


# Notices ----------------------------------------------------------------------------------------------


@transaction.atomic
def mark_notices_read(*, actor: Employee, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's unread pool notices read (those in `ids`, or all); returns how many."""
    qs = PoolNotice.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# Settings -----------------------------------------------------------------------------------------------

SETTINGS_FIELDS = ("max_owned", "daily_claims", "cooldown_days")
RULE_FIELDS = ("idle_days", "warn_days", "is_active")


@dataclass(frozen=True)
class RuleInput:
    kind: str
    level: str
    idle_days: int | None  # None: no rule for this kind and level (an existing one is switched off)
    warn_days: int = 7


@transaction.atomic
def save_pool_settings(
    *,
    actor: Employee | None,
    max_owned: int,
    daily_claims: int,
    cooldown_days: int,
    rules: Iterable[RuleInput],
) -> None:
    """公海设置: the settings row and one rule per kind × level (empty idle days: no automatic return)."""
    require_permission(actor, "crm.change_poolsettings")
    for name, value in (("max_owned", max_owned), ("daily_claims", daily_claims)):
        if value is None or value < 1:
            raise DomainError(_("请填写大于零的整数。"), code="invalid", field=name)
    if cooldown_days is None or cooldown_days < 0:
        raise DomainError(_("请填写不小于零的整数。"), code="invalid", field="cooldown_days")
    row = PoolSettings.objects.select_for_update().order_by("pk").first()
    created = row is None
    if row is None:
        row = PoolSettings()
    before = audit.snapshot(row, SETTINGS_FIELDS)
    row.max_owned, row.daily_claims, row.cooldown_days = max_owned, daily_claims, cooldown_days
    row.save()
    if created:
        audit.record_created(actor, row, SETTINGS_FIELDS)
    elif changes := audit.diff(before, audit.snapshot(row, SETTINGS_FIELDS)):
        audit.record(actor, "update", row, changes)
    for item in rules:
        if item.kind not in CustomerKind.values or item.level not in CustomerLevel.values:
            raise DomainError(_("客户类型或等级无效。"), code="invalid")
        field_name = f"rule_{item.kind}_{item.level}"
        if item.idle_days is not None and item.idle_days < 1:
            raise DomainError(_("回收天数须大于零。"), code="invalid", field=f"{field_name}_idle")
        if item.warn_days is None or item.warn_days < 0:
            raise DomainError(_("提醒天数不能为负数。"), code="invalid", field=f"{field_name}_warn")
        if item.idle_days is not None and item.warn_days >= item.idle_days:
            raise DomainError(_("提醒天数须小于回收天数。"), code="invalid", field=f"{field_name}_warn")
        rule = PoolRule.objects.select_for_update().filter(kind=item.kind, level=item.level).first()
        if rule is None:
            if item.idle_days is None:
                continue
            rule = PoolRule.objects.create(
                kind=item.kind, level=item.level, idle_days=item.idle_days, warn_days=item.warn_days
            )
            audit.record_created(actor, rule, ("kind", "level", *RULE_FIELDS))
            continue
        before = audit.snapshot(rule, RULE_FIELDS)
        if item.idle_days is None:
            rule.is_active = False
        else:
            rule.idle_days, rule.warn_days, rule.is_active = item.idle_days, item.warn_days, True
        if changes := audit.diff(before, audit.snapshot(rule, RULE_FIELDS)):
            rule.save()
            audit.record(actor, "update", rule, changes)
