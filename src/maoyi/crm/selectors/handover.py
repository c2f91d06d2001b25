"""Reads for the handover (交接) and the channel tree (渠道树).

`preview_handover` lists an employee's book — what a handover would move — whoever asks: the
service checks that the actor's scope covers the employee before it is shown or used. The list and
detail of recorded handovers, and the channel tree, go through the data-scope gate.

The channel tree shows the distributors and agents the user may see, each under its 上级渠道
(`parent`); one whose parent the user may not see starts a branch of its own. Each node counts and
lists the customers it serves (`channel_partner`) that the user may see. What each partner bought
joins the node once sales orders exist (the sales area adds it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.crm.models import (
    OPEN_STAGES,
    PARTNER_KINDS,
    Activity,
    Campaign,
    Contract,
    Customer,
    Handover,
    Opportunity,
    Quote,
    QuoteStatus,
)
from maoyi.crm.selectors.campaigns import owned_campaigns
from maoyi.finance.models import ObligationStatus, Receivable
from maoyi.finance.parties import PartyKind
from maoyi.org import scope
from maoyi.org.models import Employee

OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT)

# Record types on HandoverLine, in the order pages show them.
RECORD_TYPES = ("customer", "follow_up", "opportunity", "quote", "contract", "receivable", "campaign")


def record_type_labels() -> dict[str, str]:
    return {
        "customer": _("客户"),
        "follow_up": _("待跟进"),
        "opportunity": _("机会"),
        "quote": _("报价单"),
        "contract": _("合同"),
        "receivable": _("应收款"),
        "campaign": _("市场活动"),
        **{f.record_type: str(f.label) for f in _FOLLOWERS},
    }


# Records of higher apps that follow their customer ---------------------------------------------------


@dataclass(frozen=True)
class FollowingRecord:
    """One record a higher app keeps for a customer and an owner (an open sales order)."""

    record_type: str
    record_id: int
    label: str
    customer_id: int


@dataclass(frozen=True)
class Follower:
    """Records of a higher app that follow their customer in a handover, registered in its
    AppConfig.ready so crm never imports it: `find(employee)` lists the open ones the employee
    owns; `move(ids, to=, actor=, note=, now=)` gives them to `to` (in the handover's transaction)."""

    record_type: str
    label: Any
    find: Callable[[Employee], Sequence[FollowingRecord]]
    move: Callable[..., None]


_FOLLOWERS: list[Follower] = []


def register_follower(follower: Follower) -> None:
    if all(f.record_type != follower.record_type for f in _FOLLOWERS):
        _FOLLOWERS.append(follower)


def follower_for(record_type: str) -> Follower:
    return next(f for f in _FOLLOWERS if f.record_type == record_type)


def _following(employee: Employee) -> list[FollowingRecord]:
    return [record for follower in _FOLLOWERS for record in follower.find(employee)]


# The preview ------------------------------------------------------------------------------------------


@dataclass
class CustomerBook:
    """One customer the employee owns, with what goes along with it: the open follow-ups the
    employee scheduled, open opportunities, open quotes the employee made, the employee's contracts
    and every open receivable of the customer (the money follows the customer)."""

    customer: Customer
    follow_ups: list[Activity] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    receivables: list[Receivable] = field(default_factory=list)
    following: list[FollowingRecord] = field(default_factory=list)  # e.g. open sales orders


@dataclass
class HandoverPreview:
    """An employee's book. `books`: their customers and what comes along. `other_contracts` and
    `other_receivables`: contracts and open receivables the employee answers for whose customer
    they do not own (it moved earlier, or sits in the pool); `customers_of_others` maps those
    customers' ids to the customers (with their owners). `campaigns`: the planned and running
    campaigns (市场活动) the employee owns; they go to the receiver for all. `other_following`:
    records of higher apps (open sales orders) the employee owns whose customer they do not own;
    they follow that customer like the contracts."""

    employee: Employee
    books: list[CustomerBook] = field(default_factory=list)
    other_contracts: list[Contract] = field(default_factory=list)
    other_receivables: list[Receivable] = field(default_factory=list)
    customers_of_others: dict[int, Customer] = field(default_factory=dict)
    campaigns: list[Campaign] = field(default_factory=list)
    other_following: list[FollowingRecord] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.books
            or self.other_contracts
            or self.other_receivables
            or self.campaigns
            or self.other_following
        )

    @property
    def campaign_count(self) -> int:
        return len(self.campaigns)

    @property
    def customer_count(self) -> int:
        return len(self.books)

    @property
    def contract_count(self) -> int:
        return sum(len(b.contracts) for b in self.books) + len(self.other_contracts)

    @property
    def receivable_count(self) -> int:
        return sum(len(b.receivables) for b in self.books) + len(self.other_receivables)

    @property
    def follow_up_count(self) -> int:
        return sum(len(b.follow_ups) for b in self.books)

    @property
    def opportunity_count(self) -> int:
        return sum(len(b.opportunities) for b in self.books)

    @property
    def quote_count(self) -> int:
        return sum(len(b.quotes) for b in self.books)


def owned_contracts(employee: Employee) -> QuerySet[Contract]:
    """Contracts the employee answers for, other than cancelled ones."""
    return Contract.objects.filter(owner=employee).exclude(status=Status.CANCELLED)


def owned_receivables(employee: Employee) -> QuerySet[Receivable]:
    """Open receivables from customers the employee answers for."""
    return Receivable.objects.filter(
        owner=employee, status=ObligationStatus.OPEN, party_kind=PartyKind.CUSTOMER
    )


def preview_handover(*, employee: Employee) -> HandoverPreview:
    """What a handover of `employee` would move (see HandoverPreview), customers by pinyin."""
    customers = list(
        Customer.objects.filter(owner=employee).select_related("department").order_by("pinyin", "id")
    )
    ids = [c.pk for c in customers]
    books = {c.pk: CustomerBook(customer=c) for c in customers}
    follow_ups = Activity.objects.filter(
        customer_id__in=ids, employee=employee, follow_up_done=False, next_follow_up__isnull=False
    ).order_by("next_follow_up", "id")
    for activity in follow_ups:
        books[activity.customer_id].follow_ups.append(activity)
    for opportunity in Opportunity.objects.filter(customer_id__in=ids, stage__in=OPEN_STAGES).order_by("id"):
        books[opportunity.customer_id].opportunities.append(opportunity)
    quotes = Quote.objects.filter(customer_id__in=ids, created_by=employee, status__in=OPEN_QUOTE_STATUSES)
    for quote in quotes.order_by("id"):
        books[quote.customer_id].quotes.append(quote)
    preview = HandoverPreview(employee=employee, books=list(books.values()))
    for contract in owned_contracts(employee).select_related("customer").order_by("id"):
        if contract.customer_id in books:
            books[contract.customer_id].contracts.append(contract)
        else:
            preview.other_contracts.append(contract)
    money = Receivable.objects.filter(
        status=ObligationStatus.OPEN, party_kind=PartyKind.CUSTOMER, party_id__in=ids
    ).order_by("id")
    for receivable in money:
        books[receivable.party_id].receivables.append(receivable)
    preview.other_receivables = list(owned_receivables(employee).exclude(party_id__in=ids).order_by("id"))
    for record in _following(employee):
        if record.customer_id in books:
            books[record.customer_id].following.append(record)
        else:
            preview.other_following.append(record)
    other_ids = (
        {c.customer_id for c in preview.other_contracts}
        | {r.party_id for r in preview.other_receivables}
        | {r.customer_id for r in preview.other_following}
    )
    preview.customers_of_others = Customer.objects.select_related("owner").in_bulk(other_ids)
    preview.campaigns = list(owned_campaigns(employee).order_by("start_date", "id"))
    return preview


def holdings_of(employee: Employee) -> list[str]:
    """What `employee` still owns in crm, as short labels (the org.holdings provider)."""
    labels: list[str] = []
    customers = Customer.objects.filter(owner=employee).count()
    if customers:
        labels.append(_("客户 %(count)s 个") % {"count": customers})
    contracts = owned_contracts(employee).count()
    if contracts:
        labels.append(_("合同 %(count)s 份") % {"count": contracts})
    receivables = owned_receivables(employee).count()
    if receivables:
        labels.append(_("应收款 %(count)s 笔") % {"count": receivables})
    return labels


# Recorded handovers --------------------------------------------------------------------------------------


def handovers(user: Any, *, search: str = "", employee: Employee | None = None) -> QuerySet[Handover]:
    """Handovers of the employees the user may see (the leaver's owner/department), newest first;
    search matches the number and the leaver's name or pinyin initials."""
    qs = scope.visible(user, Handover.objects.select_related("from_employee", "actor"))
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(from_employee__name__icontains=term)
            | Q(from_employee__pinyin__contains=term.lower())
        )
    if employee is not None:
        qs = qs.filter(from_employee=employee)
    return qs.order_by("-created_at", "-id")


def handover(user: Any, pk: int) -> Handover:
    """One handover in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        return scope.get_visible(user, Handover.objects.select_related("from_employee", "actor"), pk=pk)
    except Handover.DoesNotExist:
        raise NotFoundInScope() from None


# The channel tree ------------------------------------------------------------------------------------------


@dataclass
class ChannelNode:
    partner: Customer
    depth: int
    served: list[Customer]


def channel_tree(user: Any) -> list[ChannelNode]:
    """The partners the user may see as a tree flattened depth first (each node after its parent,
    `depth` 0 for a branch's top), with the customers each serves that the user may see."""
    partners = list(
        scope.visible(user, Customer.objects.filter(kind__in=PARTNER_KINDS))
        .select_related("owner")
        .order_by("pinyin", "id")
    )
    by_id = {p.pk: p for p in partners}
    children: dict[int | None, list[Customer]] = defaultdict(list)
    for partner in partners:
        parent = partner.parent_id if partner.parent_id in by_id else None
        children[parent].append(partner)
    served: dict[int, list[Customer]] = defaultdict(list)
    served_qs = scope.visible(user, Customer.objects.filter(channel_partner_id__in=list(by_id)))
    for customer in served_qs.select_related("owner").order_by("pinyin", "id"):
        assert customer.channel_partner_id is not None
        served[customer.channel_partner_id].append(customer)
    nodes: list[ChannelNode] = []
    seen: set[int] = set()

    def walk(partner: Customer, depth: int) -> None:
        if partner.pk in seen:  # the services keep the tree free of loops; never loop here either
            return
        seen.add(partner.pk)
        nodes.append(ChannelNode(partner=partner, depth=depth, served=served[partner.pk]))
        for child in children[partner.pk]:
            walk(child, depth + 1)

    for top in children[None]:
        walk(top, 0)
    return nodes
