"""Writes to activities (跟进记录). Logging one is a follow-up of the customer: it moves the customer's
last activity, restarts the public pool's idle clock (the escalation so far is cleared) and closes
the follow-ups earlier activities had scheduled — all in one transaction, audited. The employee who
logged an activity stays attributed to it after the customer changes hands."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, InvalidState
from maoyi.crm.models import Activity, ActivityKind, Contact, Customer
from maoyi.crm.services.contacts import guard_customer
from maoyi.org.models import Employee

ACTIVITY_FIELDS = ("customer", "contact", "kind", "summary", "occurred_at", "next_follow_up", "employee")


def _check(
    customer: Customer,
    *,
    kind: str,
    summary: str,
    occurred_at: dt.datetime,
    contact: Contact | None,
    next_follow_up: dt.date | None,
    now: dt.datetime,
) -> None:
    """The rules an activity satisfies, in the order the form shows them."""
    if kind not in ActivityKind.values:
        raise DomainError(_("请选择跟进方式。"), code="invalid", field="kind")
    if contact is not None and contact.customer_id != customer.pk:
        raise DomainError(_("联系人不属于该客户。"), code="invalid", field="contact")
    if not summary:
        raise DomainError(_("请填写跟进内容。"), code="invalid", field="summary")
    if occurred_at > now:
        raise DomainError(_("跟进时间不能晚于现在。"), code="invalid", field="occurred_at")
    if next_follow_up is not None and next_follow_up < timezone.localdate(occurred_at):
        raise DomainError(_("下次跟进日期不能早于跟进日期。"), code="invalid", field="next_follow_up")


@transaction.atomic
def log_activity(
    *,
    actor: Employee | None,
    customer: Customer,
    kind: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
    contact: Contact | None = None,
    next_follow_up: dt.date | None = None,
    employee: Employee | None = None,
) -> Activity:
    """Record a follow-up of a customer the actor may change, done by the actor (or by `employee`,
    for the system: the demo loader, imports). The customer's last activity becomes the latest
    of its activities; when this one is the latest the pool's escalation (`pool_warning`) restarts.
    Open follow-ups of the customer's earlier activities count as done."""
    guard_customer(actor, customer, "crm.add_activity")
    now = timezone.now()
    occurred_at = occurred_at or now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    summary = (summary or "").strip()
    _check(
        customer,
        kind=kind,
        summary=summary,
        occurred_at=occurred_at,
        contact=contact,
        next_follow_up=next_follow_up,
        now=now,
    )
    done_by = actor or employee or customer.owner
    if done_by is None:
        raise DomainError(_("请指定跟进人。"), code="invalid", field="employee")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    earlier = Activity.objects.select_for_update().filter(
        customer=customer, follow_up_done=False, next_follow_up__isnull=False, occurred_at__lte=occurred_at
    )
    for open_one in earlier:
        open_one.follow_up_done = True
        open_one.save(update_fields=["follow_up_done"])
        audit.record(actor, "update", open_one, {"follow_up_done": [False, True]})
    activity = Activity.objects.create(
        customer=customer,
        contact=contact,
        kind=kind,
        summary=summary,
        occurred_at=occurred_at,
        next_follow_up=next_follow_up,
        employee=done_by,
    )
    if customer.last_activity_at is None or occurred_at >= customer.last_activity_at:
        # The latest follow-up: the pool's idle clock starts again from it.
        customer.last_activity_at = occurred_at
        customer.pool_warning = ""
        customer.save(update_fields=["last_activity_at", "pool_warning"])
    audit.record_created(actor, activity, ACTIVITY_FIELDS)
    return activity


@transaction.atomic
def complete_follow_up(activity: Activity, *, actor: Employee | None) -> Activity:
    """Mark an activity's next follow-up as done (已跟进) without logging a new activity."""
    guard_customer(actor, activity.customer, "crm.change_activity")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.next_follow_up is None:
        raise InvalidState(_("这条跟进记录没有安排下次跟进。"))
    if activity.follow_up_done:
        raise InvalidState(_("这条跟进已经完成。"))
    activity.follow_up_done = True
    activity.save(update_fields=["follow_up_done"])
    audit.record(actor, "update", activity, {"follow_up_done": [False, True]})
    return activity
