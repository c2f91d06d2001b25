"""Reads of opportunities (机会), always through the data scope of their customer: the list, the
pipeline (销售漏斗) by open stage, and the managers' pipeline by person (by customer owner).

Sums are computed in Python and rounded with quantize_money (SQLite keeps decimals as floats)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from maoyi.audit.models import AuditEntry
from maoyi.audit.selectors import history_of
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.crm.models import OPEN_STAGES, Customer, Opportunity, OpportunityStage
from maoyi.org import scope
from maoyi.org.models import Employee

NO_OWNER = "pool"  # the owner filter's value for opportunities of customers in the public pool


def opportunities(
    user: Any,
    *,
    stage: str = "",
    owner_id: int | str | None = None,
    customer_id: int | None = None,
    search: str = "",
    closing_before: dt.date | None = None,
    open_only: bool = False,
) -> QuerySet[Opportunity]:
    """Opportunities the user may see (those of customers in their scope), newest change first.
    `owner_id` is the customer owner's employee id (NO_OWNER: customers in the pool); `search`
    matches the title, the customer's name and its pinyin initials; `closing_before` keeps those
    expected to close on or before the date."""
    qs = scope.visible(user, Opportunity.objects.select_related("customer", "customer__owner", "created_by"))
    if stage:
        qs = qs.filter(stage=stage)
    if open_only:
        qs = qs.filter(stage__in=OPEN_STAGES)
    if owner_id == NO_OWNER:
        qs = qs.filter(customer__owner__isnull=True)
    elif owner_id is not None and owner_id != "":
        qs = qs.filter(customer__owner_id=int(owner_id))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(title__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__pinyin__contains=term.lower())
        )
    if closing_before is not None:
        qs = qs.filter(expected_close__lte=closing_before)
    return qs.order_by("-updated_at", "-id")


def opportunity(user: Any, pk: int) -> Opportunity:
    """One opportunity in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    qs = Opportunity.objects.select_related("customer", "customer__owner", "created_by")
    try:
        return scope.get_visible(user, qs, pk=pk)
    except Opportunity.DoesNotExist:
        raise NotFoundInScope() from None


def of_customer(user: Any, customer: Customer) -> QuerySet[Opportunity]:
    """The customer's opportunities the user may see, latest change first."""
    return opportunities(user, customer_id=customer.pk)


def stage_history(opportunity: Opportunity) -> list[AuditEntry]:
    """The audit entries that set or changed the opportunity's stage, oldest first."""
    entries = [e for e in history_of(opportunity) if "stage" in (e.changes or {})]
    return list(reversed(entries))


def owners(user: Any) -> list[Employee]:
    """The customer owners the user's visible opportunities belong to (the list's owner filter)."""
    owned = opportunities(user).exclude(customer__owner=None).values("customer__owner")
    return list(Employee.objects.filter(pk__in=owned).order_by("pinyin", "id"))


# The pipeline (销售漏斗) -----------------------------------------------------------------------------


def next_stage(stage: str) -> str | None:
    """The open stage after `stage`, None after the last open one (and for won and lost)."""
    stages = [str(s) for s in OPEN_STAGES]
    if stage not in stages:
        return None
    index = stages.index(stage)
    return stages[index + 1] if index + 1 < len(stages) else None


@dataclass
class PipelineColumn:
    """One open stage of the pipeline: how many opportunities, their expected total, the cards."""

    stage: str
    label: str
    count: int = 0
    amount: Decimal = Decimal("0.00")
    cards: list[Opportunity] = field(default_factory=list)
    next_stage: str | None = None
    next_label: str | None = None


@dataclass
class Pipeline:
    columns: list[PipelineColumn]

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def amount(self) -> Decimal:
        return quantize_money(sum((c.amount for c in self.columns), Decimal(0)))


def pipeline(user: Any, *, owner_id: int | str | None = None) -> Pipeline:
    """The open opportunities the user may see, by stage (in stage order): per stage the count,
    Σ expected amount and the cards (each with its customer and the customer's owner)."""
    labels = dict(OpportunityStage.choices)
    columns: dict[str, PipelineColumn] = {}
    for stage in OPEN_STAGES:
        following = next_stage(stage)
        columns[stage] = PipelineColumn(
            stage=str(stage),
            label=str(labels[stage]),
            next_stage=following,
            next_label=str(labels[following]) if following else None,
        )
    qs = opportunities(user, owner_id=owner_id, open_only=True).order_by(
        "expected_close", "-expected_amount", "id"
    )
    for row in qs:
        column = columns[row.stage]
        column.count += 1
        column.amount += row.expected_amount
        column.cards.append(row)
    for column in columns.values():
        column.amount = quantize_money(column.amount)
    # Cards without an expected close go after the dated ones (NULLs sort differently per database).
    for column in columns.values():
        column.cards.sort(key=lambda o: (o.expected_close is None, o.expected_close or dt.date.min))
    return Pipeline(columns=list(columns.values()))


@dataclass
class StageTotal:
    stage: str
    label: str
    count: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass
class PersonPipeline:
    """One customer owner's opportunities (None: customers in the public pool), per stage."""

    owner: Employee | None
    stages: list[StageTotal]

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.stages if s.stage in OPEN_STAGES)

    @property
    def open_amount(self) -> Decimal:
        return quantize_money(sum((s.amount for s in self.stages if s.stage in OPEN_STAGES), Decimal(0)))

    def total(self, stage: str) -> StageTotal:
        return next(s for s in self.stages if s.stage == stage)


def pipeline_by_person(user: Any) -> list[PersonPipeline]:
    """Per customer owner (the people in the user's scope, then the pool), the count and Σ expected
    amount of their opportunities in each stage, open and closed. Only owners with opportunities."""
    labels = dict(OpportunityStage.choices)
    rows: dict[int | None, PersonPipeline] = {}
    for row in opportunities(user).values_list("customer__owner", "stage", "expected_amount"):
        owner_id, stage, amount = row
        person = rows.get(owner_id)
        if person is None:
            person = rows[owner_id] = PersonPipeline(
                owner=None,
                stages=[StageTotal(stage=str(s), label=str(labels[s])) for s in OpportunityStage.values],
            )
        total = person.total(stage)
        total.count += 1
        total.amount += Decimal(amount)
    people = Employee.objects.filter(pk__in=[k for k in rows if k is not None]).select_related("department")
    for employee in people:
        rows[employee.pk].owner = employee
    for person in rows.values():
        for total in person.stages:
            total.amount = quantize_money(total.amount)
    named = sorted(
        (p for p in rows.values() if p.owner is not None),
        key=lambda p: (p.owner.pinyin if p.owner else "", p.owner.pk if p.owner else 0),
    )
    return named + [p for p in rows.values() if p.owner is None]
