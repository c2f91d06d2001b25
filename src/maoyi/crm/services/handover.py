"""交接 (handover): a leaving (or moving) employee's book handed to colleagues in one transaction.

What moves (see `selectors.handover.preview_handover`):

- each customer the employee owns goes to its receiver (one receiver for all, or one per
  customer) exactly like a transfer (转移): an `OwnershipChange` with action transfer, the customer
  audited, and its open receivables and unreversed receipts follow (`finance.reassign_party`);
- the employee's contracts (not cancelled) take the receiver's owner and department;
- contracts and open receivables the employee answers for whose customer they do not own follow
  that customer: to its current owner when it has an active one who may own customers, else to
  the receiver for all;
- the planned and running campaigns (市场活动) the employee owns take the receiver for all (their
  owner and department), audited like contracts;
- records higher apps register as following their customer (open sales orders and returns,
  `selectors.handover.Follower`) go with their customer like contracts, moved by their app;
- open opportunities, open quotes and pending follow-ups are the customer's and are seen through
  it, so they need no change. A pending follow-up keeps the leaver as its 跟进人 (who scheduled
  it is history, like every activity they logged); it shows in the new owner's follow-up
  reminders because those list the follow-ups of the customers one owns.

A `Handover` (number from `next_number("handover")`, prefix JJ) records one `HandoverLine` per record moved
or carried along, with its receiver. The leaver's activities and audit entries stay theirs.

Refusals: no `crm.add_handover`; the employee outside the actor's scope (not found); no reason;
nothing to hand over; a receiver missing, the employee themselves, out of the actor's scope, or not
an active 业务员/业务助理 — each before anything is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.numbering import next_number
from maoyi.core.permissions import require_permission
from maoyi.crm.models import Campaign, Contract, Customer, Handover, HandoverLine, OwnershipAction
from maoyi.crm.selectors.handover import FollowingRecord, HandoverPreview, follower_for, preview_handover
from maoyi.crm.services.pool import _change_owner, _reason, can_own_customers
from maoyi.finance import services as finance
from maoyi.finance.parties import PartyKind
from maoyi.org import scope
from maoyi.org.models import Employee

__all__ = ["hand_over", "preview_handover"]

HANDOVER_FIELDS = ("number", "from_employee", "reason")
CONTRACT_OWNER_FIELDS = ("owner", "department")


@dataclass(frozen=True)
class _Plan:
    """Who gets each customer of the book, and each contract/receivable of other customers."""

    customers: dict[int, Employee]
    other_contracts: dict[int, Employee]
    other_parties: dict[int, Employee]  # customer id -> who its stray receivables go to
    campaigns: Employee | None  # who takes the employee's campaigns (the receiver for all)
    other_following: dict[FollowingRecord, Employee]


def _check_receiver(actor: Employee | None, employee: Employee, receiver: Employee, *, chosen: bool) -> None:
    if receiver.pk == employee.pk:
        raise DomainError(_("不能交接给%(name)s本人。"), code="invalid", field="to", name=employee.name)
    if chosen and actor is not None and not scope.can_view(actor.user, receiver):
        raise DomainError(_("“%(name)s”不在您的管理范围内。"), code="invalid", field="to", name=receiver.name)
    if not can_own_customers(receiver):
        raise DomainError(
            _("“%(name)s”不是在职的业务员或业务助理。"), code="invalid", field="to", name=receiver.name
        )


def _may_take_over(owner: Employee | None, employee: Employee) -> bool:
    return owner is not None and owner.pk != employee.pk and can_own_customers(owner)


def _plan(
    preview: HandoverPreview,
    *,
    actor: Employee | None,
    assignments: Mapping[int, Employee],
    to: Employee | None,
) -> _Plan:
    employee = preview.employee
    book_ids = {b.customer.pk for b in preview.books}
    stray = set(assignments) - book_ids
    if stray:
        raise DomainError(
            _("所选客户不由%(name)s负责，不能在此交接。"), code="invalid", field="to", name=employee.name
        )
    checked: dict[int, Employee] = {}

    def checked_receiver(chosen: Employee) -> Employee:
        """The receiver as stored now (the caller's copy may be stale), checked once."""
        if chosen.pk not in checked:
            fresh = Employee.objects.select_related("department", "user").get(pk=chosen.pk)
            _check_receiver(actor, employee, fresh, chosen=True)
            checked[chosen.pk] = fresh
        return checked[chosen.pk]

    def receiver_for(customer: Customer) -> Employee:
        chosen = assignments.get(customer.pk) or to
        if chosen is None:
            raise DomainError(
                _("请为客户“%(name)s”选择接收人。"), code="invalid", field="to", name=customer.name
            )
        return checked_receiver(chosen)

    def follower_of(customer_id: int) -> Employee:
        customer = preview.customers_of_others.get(customer_id)
        owner = customer.owner if customer is not None else None
        if _may_take_over(owner, employee):
            assert owner is not None
            return owner
        if to is None:
            raise DomainError(_("请选择接收人。"), code="invalid", field="to")
        return checked_receiver(to)

    def campaign_receiver() -> Employee | None:
        if not preview.campaigns:
            return None
        if to is None:
            raise DomainError(
                _("请选择“接收人（全部）”：%(name)s负责的市场活动交给此人。"),
                code="invalid",
                field="to",
                name=employee.name,
            )
        return checked_receiver(to)

    return _Plan(
        customers={b.customer.pk: receiver_for(b.customer) for b in preview.books},
        other_contracts={c.pk: follower_of(c.customer_id) for c in preview.other_contracts},
        other_parties={r.party_id: follower_of(r.party_id) for r in preview.other_receivables},
        campaigns=campaign_receiver(),
        other_following={r: follower_of(r.customer_id) for r in preview.other_following},
    )


def _move_contract(
    contract: Contract, *, to: Employee, actor: Employee | None, note: str, now: dt.datetime
) -> None:
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    before = audit.snapshot(locked, CONTRACT_OWNER_FIELDS)
    locked.owner = to
    locked.department = to.department
    locked.updated_at = now
    locked.save(update_fields=["owner", "department", "updated_at"])
    audit.record(
        actor,
        "reassign",
        locked,
        audit.diff(before, audit.snapshot(locked, CONTRACT_OWNER_FIELDS)),
        note=note,
    )


def _move_campaign(
    campaign: Campaign, *, to: Employee, actor: Employee | None, note: str, now: dt.datetime
) -> None:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = audit.snapshot(locked, CONTRACT_OWNER_FIELDS)
    locked.owner = to
    locked.department = to.department
    locked.updated_at = now
    locked.save(update_fields=["owner", "department", "updated_at"])
    audit.record(
        actor,
        "reassign",
        locked,
        audit.diff(before, audit.snapshot(locked, CONTRACT_OWNER_FIELDS)),
        note=note,
    )


@transaction.atomic
def hand_over(
    *,
    actor: Employee | None,
    employee: Employee,
    reason: str,
    to: Employee | None = None,
    assignments: Mapping[int, Employee] | None = None,
    now: dt.datetime | None = None,
) -> Handover:
    """Hand `employee`'s book over: each customer to `assignments[customer id]`, else to `to` (the
    receiver for all); see the module docstring for what moves and the refusals."""
    require_permission(actor, "crm.add_handover")
    if actor is not None and not scope.can_view(actor.user, employee):
        raise NotFoundInScope()
    reason = _reason(reason)
    now = now or timezone.now()
    # Lock the employee's customers (by id, the order every pool write uses) before reading the book.
    list(
        Customer.objects.select_for_update()
        .filter(owner=employee)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    preview = preview_handover(employee=employee)
    if preview.is_empty:
        raise DomainError(
            _("%(name)s 没有需要交接的客户、合同、应收款或市场活动。"),
            code="nothing_to_hand_over",
            name=employee.name,
        )
    plan = _plan(preview, actor=actor, assignments=dict(assignments or {}), to=to)

    handover = Handover.objects.create(
        number=next_number("handover", on=timezone.localdate(now), default_prefix="JJ"),
        from_employee=employee,
        reason=reason,
        actor=actor or employee,
        created_at=now,
    )
    note = str(_("交接单 %(number)s：%(reason)s") % {"number": handover.number, "reason": reason})[:300]
    lines: list[HandoverLine] = []
    following: dict[tuple[str, Employee], list[int]] = {}  # (record type, receiver) -> record ids

    def line(record_type: str, record_id: int, label: str, receiver: Employee) -> None:
        lines.append(
            HandoverLine(
                handover=handover,
                record_type=record_type,
                record_id=record_id,
                record_label=label[:200],
                to_employee=receiver,
            )
        )

    for book in preview.books:
        receiver = plan.customers[book.customer.pk]
        customer = Customer.objects.select_for_update().get(pk=book.customer.pk)
        _change_owner(
            customer, action=OwnershipAction.TRANSFER, to=receiver, actor=actor, reason=note, now=now
        )
        line("customer", customer.pk, customer.name, receiver)
        for activity in book.follow_ups:
            label = f"{customer.name} · {activity.next_follow_up:%Y-%m-%d} · {activity.summary}"
            line("follow_up", activity.pk, label, receiver)
        for opportunity in book.opportunities:
            line("opportunity", opportunity.pk, f"{customer.name} · {opportunity.title}", receiver)
        for quote in book.quotes:
            line("quote", quote.pk, f"{quote.number} · {customer.name}", receiver)
        for contract in book.contracts:
            _move_contract(contract, to=receiver, actor=actor, note=note, now=now)
            line("contract", contract.pk, f"{contract.number} · {contract.title}", receiver)
        for receivable in book.receivables:  # moved by _change_owner with the customer
            line("receivable", receivable.pk, f"{receivable.number} · {receivable.party_name}", receiver)
        for record in book.following:
            following.setdefault((record.record_type, receiver), []).append(record.record_id)
            line(record.record_type, record.record_id, record.label, receiver)

    for contract in preview.other_contracts:
        receiver = plan.other_contracts[contract.pk]
        _move_contract(contract, to=receiver, actor=actor, note=note, now=now)
        line("contract", contract.pk, f"{contract.number} · {contract.title}", receiver)
    for party_id, receiver in plan.other_parties.items():
        finance.reassign_party(
            party_kind=PartyKind.CUSTOMER,
            party_id=party_id,
            owner=receiver,
            department=receiver.department,
            actor=actor,
            note=note,
        )
    for receivable in preview.other_receivables:
        receiver = plan.other_parties[receivable.party_id]
        line("receivable", receivable.pk, f"{receivable.number} · {receivable.party_name}", receiver)
    for campaign in preview.campaigns:
        assert plan.campaigns is not None
        _move_campaign(campaign, to=plan.campaigns, actor=actor, note=note, now=now)
        line("campaign", campaign.pk, f"{campaign.code} · {campaign.name}", plan.campaigns)

    for record, receiver in plan.other_following.items():
        following.setdefault((record.record_type, receiver), []).append(record.record_id)
        line(record.record_type, record.record_id, record.label, receiver)
    for (record_type, receiver), ids in following.items():
        follower_for(record_type).move(ids, to=receiver, actor=actor, note=note, now=now)

    HandoverLine.objects.bulk_create(lines)
    audit.record_created(actor, handover, HANDOVER_FIELDS, also={"lines": [None, str(len(lines))]})
    return handover
