"""Reads of the money ledger: receivables, payables, receipts and payments (scoped), what is
overdue or due soon, aging (账龄), statements of account (对账单), and `ledger_mismatches()`,
which proves every derived `allocated` figure equals the sum of its live allocations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import BASE_CURRENCY, quantize_money, to_base
from maoyi.finance.models import (
    Allocation,
    Direction,
    ExchangeRate,
    Installment,
    Obligation,
    ObligationStatus,
    Settlement,
    SettlementStatus,
)
from maoyi.finance.parties import PartyKind
from maoyi.finance.services import OBLIGATION_MODELS, SETTLEMENT_MODELS
from maoyi.org import scope

ZERO = Decimal("0")

OBLIGATION_ORDERINGS = {
    "number": "number",
    "-number": "-number",
    "party": "party_name",
    "-party": "-party_name",
    "amount": "amount",
    "-amount": "-amount",
    "due": "due_date",
    "-due": "-due_date",
    "issued": "issued_on",
    "-issued": "-issued_on",
}
SETTLEMENT_ORDERINGS = {
    "number": "number",
    "-number": "-number",
    "party": "party_name",
    "-party": "-party_name",
    "amount": "amount",
    "-amount": "-amount",
    "date": "occurred_on",
    "-date": "-occurred_on",
}


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


# Lists and records ----------------------------------------------------------------------------------


Q_ = TypeVar("Q_", bound=models.Model)


def _of_party(
    qs: QuerySet[Q_], *, search: str, search_field: str, party_kind: str, party_id: int | None
) -> QuerySet[Q_]:
    """Filter receivables/payables or receipts/payments by a search over number, party name and
    `search_field` (source number or bank reference), and by party."""
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(party_name__icontains=search)
            | Q(**{f"{search_field}__icontains": search})
        )
    if party_kind:
        qs = qs.filter(party_kind=party_kind)
    if party_id is not None:
        qs = qs.filter(party_id=party_id)
    return qs


def _with_next_due(qs: QuerySet[Obligation]) -> QuerySet[Obligation]:
    """Annotate `next_due`: the due date of the earliest installment not yet settled. A correlated
    subquery, not an aggregate: a list pages on the obligations alone and reads the installments of
    the rows it shows only."""
    earliest = (
        Installment.objects.filter(obligation_id=OuterRef("pk"), allocated__lt=F("amount"))
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return qs.annotate(next_due=Subquery(earliest))


def obligations(
    user: Any,
    direction: str,
    *,
    search: str = "",
    party_kind: str = "",
    party_id: int | None = None,
    status: str = "",
    overdue: bool = False,
    on: dt.date | None = None,
    owner_id: int | None = None,
    is_opening: bool | None = None,
    ordering: str = "",
) -> QuerySet[Obligation]:
    """Receivables or payables the user may see. `status` is a stored status (anything else: all);
    `overdue` keeps open ones with an installment past due on `on` (today)."""
    qs = _of_party(
        scope.visible(
            user, _with_next_due(OBLIGATION_MODELS[direction].objects.select_related("owner", "department"))
        ),
        search=search,
        search_field="source_number",
        party_kind=party_kind,
        party_id=party_id,
    )
    if status in ObligationStatus.values:
        qs = qs.filter(status=status)
    if overdue:
        overdue_ids = Installment.objects.filter(
            obligation__direction=direction,
            obligation__status=ObligationStatus.OPEN,
            due_date__lt=_today(on),
            allocated__lt=F("amount"),
        ).values("obligation_id")
        qs = qs.filter(status=ObligationStatus.OPEN, pk__in=overdue_ids)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if is_opening is not None:
        qs = qs.filter(is_opening=is_opening)
    return qs.order_by(OBLIGATION_ORDERINGS.get(ordering, "-issued_on"), "-id")


def obligation(user: Any, direction: str, pk: int) -> Obligation:
    found = (
        _with_next_due(OBLIGATION_MODELS[direction].objects.all())
        .select_related("owner", "department", "created_by")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def installments_of(obligation: Obligation) -> list[Installment]:
    return list(obligation.installments.order_by("sequence"))


def allocations_of(record: Obligation | Settlement) -> QuerySet[Allocation]:
    """The allocations of a receivable/payable or of a receipt/payment, live and reversed."""
    qs = Allocation.objects.select_related("settlement", "obligation", "installment", "created_by")
    if isinstance(record, Settlement):
        return qs.filter(settlement=record).order_by("id")
    return qs.filter(obligation=record).order_by("id")


def settlements(
    user: Any,
    direction: str,
    *,
    search: str = "",
    party_kind: str = "",
    party_id: int | None = None,
    status: str = "",
    method: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    unallocated: bool = False,
    ordering: str = "",
) -> QuerySet[Settlement]:
    qs = _of_party(
        scope.visible(user, SETTLEMENT_MODELS[direction].objects.select_related("owner", "created_by")),
        search=search,
        search_field="reference",
        party_kind=party_kind,
        party_id=party_id,
    )
    if status in SettlementStatus.values:
        qs = qs.filter(status=status)
    if method:
        qs = qs.filter(method=method)
    if date_from:
        qs = qs.filter(occurred_on__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_on__lte=date_to)
    if unallocated:
        qs = qs.filter(status=SettlementStatus.POSTED).exclude(allocated=F("amount"))
    return qs.order_by(SETTLEMENT_ORDERINGS.get(ordering, "-occurred_on"), "-id")


def settlement(user: Any, direction: str, pk: int) -> Settlement:
    found = (
        SETTLEMENT_MODELS[direction]
        .objects.select_related("owner", "created_by", "reversed_by")
        .filter(pk=pk)
        .first()
    )
    if found is None or not scope.can_view(user, found):
        raise NotFoundInScope()
    return found


def open_obligations(
    user: Any, direction: str, *, party_kind: str, party_id: int, currency: str | None = None
) -> list[Obligation]:
    """What a receipt or payment for this party may be allocated to, earliest due first."""
    qs = obligations(user, direction, party_kind=party_kind, party_id=party_id, status=ObligationStatus.OPEN)
    if currency:
        qs = qs.filter(currency=currency)
    return list(qs.order_by("due_date", "id").prefetch_related("installments"))


@dataclass(frozen=True)
class Totals:
    amount: Decimal
    allocated: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.allocated


def totals_by_currency(qs: QuerySet[Any]) -> dict[str, Totals]:
    """Σ amount and Σ allocated of a list, per currency (rounded: SQLite sums floats). Reversed
    records count for nothing, as their own outstanding says: a list showing every status totals
    what is really owed (or unallocated)."""
    # One aggregate over the list's own rows (`next_due` is a subquery, so no row repeats).
    rows = (
        qs.exclude(status=ObligationStatus.REVERSED)  # == SettlementStatus.REVERSED
        .order_by()
        .values("currency")
        .annotate(a=Sum("amount"), b=Sum("allocated"))
    )
    return {
        row["currency"]: Totals(
            quantize_money(Decimal(row["a"] or 0)), quantize_money(Decimal(row["b"] or 0))
        )
        for row in rows
    }


# Due, overdue and aging -----------------------------------------------------------------------------


def due_installments(
    user: Any, direction: str, *, on: dt.date | None = None, within_days: int = 0, overdue_only: bool = False
) -> QuerySet[Installment]:
    """Unsettled installments of open receivables/payables the user may see that are past due on
    `on`, or (unless `overdue_only`) fall due within `within_days` after it; earliest first. Filtered
    in SQL (outstanding = amount − allocated > 0): slice it for the first rows, `due_counts` for how
    many."""
    today = _today(on)
    visible_ids = obligations(user, direction, status=ObligationStatus.OPEN).values("pk")
    limit = today - dt.timedelta(days=1) if overdue_only else today + dt.timedelta(days=within_days)
    return (
        Installment.objects.filter(
            obligation_id__in=visible_ids, due_date__lte=limit, allocated__lt=F("amount")
        )
        .select_related("obligation", "obligation__owner")
        .order_by("due_date", "obligation_id", "sequence")
    )


@dataclass(frozen=True)
class DueCounts:
    total: int
    overdue: int


def due_counts(installments: QuerySet[Installment], *, on: dt.date | None = None) -> DueCounts:
    """How many of `due_installments` there are, and how many of them are past due on `on` (one query)."""
    found = installments.order_by().aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=_today(on)))
    )
    return DueCounts(total=found["total"], overdue=found["overdue"])


BUCKETS: tuple[tuple[str, Any, int, int | None], ...] = (
    ("not_due", _("未到期"), -(10**6), 0),
    ("d1_30", _("1–30天"), 1, 30),
    ("d31_60", _("31–60天"), 31, 60),
    ("d61_90", _("61–90天"), 61, 90),
    ("over_90", _("90天以上"), 91, None),
)


def bucket_of(days_overdue: int) -> str:
    for key, _label, low, high in BUCKETS:
        if days_overdue >= low and (high is None or days_overdue <= high):
            return key
    return BUCKETS[-1][0]


@dataclass
class AgingRow:
    party_kind: str
    party_id: int
    party_name: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: {key: ZERO for key, *_rest in BUCKETS})

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["not_due"]


@dataclass
class Aging:
    on: dt.date
    rows: list[AgingRow]
    totals: AgingRow


def aging(
    user: Any,
    direction: str,
    *,
    on: dt.date | None = None,
    party_kind: str = "",
    party_id: int | None = None,
    owner_id: int | None = None,
) -> Aging:
    """账龄: each party's unsettled installments in CNY (at each record's own rate), by days past
    due on `on`: not due, 1–30, 31–60, 61–90, over 90. Parties with the most outstanding first."""
    today = _today(on)
    qs = obligations(
        user,
        direction,
        status=ObligationStatus.OPEN,
        party_kind=party_kind,
        party_id=party_id,
        owner_id=owner_id,
    )
    installments = Installment.objects.filter(obligation_id__in=qs.values("pk")).values_list(
        "obligation__party_kind",
        "obligation__party_id",
        "obligation__party_name",
        "obligation__exchange_rate",
        "due_date",
        "amount",
        "allocated",
    )
    rows: dict[tuple[str, int], AgingRow] = {}
    totals = AgingRow("", 0, "")
    for kind, pid, name, rate, due, amount, allocated in installments.iterator():
        left = Decimal(amount) - Decimal(allocated)
        if left <= 0:
            continue
        value = to_base(left, Decimal(rate))
        key = bucket_of((today - due).days)
        row = rows.setdefault((kind, pid), AgingRow(kind, pid, name))
        row.buckets[key] = quantize_money(row.buckets[key] + value)
        totals.buckets[key] = quantize_money(totals.buckets[key] + value)
    ordered = sorted(rows.values(), key=lambda r: (-r.total, r.party_name))
    return Aging(on=today, rows=ordered, totals=totals)


# Statement of account -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    on: dt.date
    number: str
    kind: Any
    summary: str
    increase: Decimal
    decrease: Decimal
    balance: Decimal
    record: Any


@dataclass
class StatementSection:
    currency: str
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal

    @property
    def increase(self) -> Decimal:
        return sum((line.increase for line in self.lines), ZERO)

    @property
    def decrease(self) -> Decimal:
        return sum((line.decrease for line in self.lines), ZERO)


@dataclass
class Statement:
    party_kind: str
    party_id: int
    party_name: str
    date_from: dt.date
    date_to: dt.date
    sections: list[StatementSection]


KIND_LABELS: dict[str, tuple[Any, Any]] = {
    Direction.RECEIVABLE: (_("应收"), _("收款")),
    Direction.PAYABLE: (_("应付"), _("付款")),
}


def _entries(
    user: Any, party_kind: str, party_id: int
) -> Iterable[tuple[str, dt.date, int, Decimal, Any, Any, str]]:
    """Every posting with the party as (currency, date, order, signed amount, kind, record, summary),
    signed as 'the party owes us'. A reversed record appears on its own date and again, negated, on
    the day it was reversed, so both stay visible and net to zero."""
    for direction in Direction.values:
        sign = 1 if direction == Direction.RECEIVABLE else -1
        owed_label, paid_label = KIND_LABELS[direction]
        for ob in obligations(user, direction, party_kind=party_kind, party_id=party_id):
            summary = ob.source_number or ""
            yield ob.currency, ob.issued_on, ob.pk, sign * ob.amount, owed_label, ob, summary
            if ob.status == ObligationStatus.REVERSED and ob.reversed_at:
                day = timezone.localdate(ob.reversed_at)
                yield ob.currency, day, ob.pk, -sign * ob.amount, _("红冲"), ob, ob.reverse_reason
        for st in settlements(user, direction, party_kind=party_kind, party_id=party_id):
            yield (
                st.currency,
                st.occurred_on,
                st.pk,
                -sign * st.amount,
                paid_label,
                st,
                st.reference or st.get_method_display(),
            )
            if st.status == SettlementStatus.REVERSED and st.reversed_at:
                day = timezone.localdate(st.reversed_at)
                yield st.currency, day, st.pk, sign * st.amount, _("红冲"), st, st.reverse_reason


def statement(
    user: Any, *, party_kind: str, party_id: int, party_name: str, date_from: dt.date, date_to: dt.date
) -> Statement:
    """对账单: every receivable, payable, receipt and payment with one party over a period, per
    currency, with the opening balance (everything before `date_from`) and the closing balance.
    For a customer the balance is what they owe us; for a supplier, what we owe them."""
    flip = 1 if party_kind == PartyKind.CUSTOMER else -1
    by_currency: dict[str, list[tuple[dt.date, int, Decimal, Any, Any, str]]] = defaultdict(list)
    for currency, on, order, amount, kind, record, summary in _entries(user, party_kind, party_id):
        by_currency[currency].append((on, order, flip * amount, kind, record, summary))
    sections = []
    for currency in sorted(by_currency):
        entries = sorted(by_currency[currency], key=lambda e: (e[0], e[1], e[4].number))
        opening = sum((e[2] for e in entries if e[0] < date_from), ZERO)
        balance, lines = opening, []
        for on, _order, amount, kind, record, summary in entries:
            if not date_from <= on <= date_to:
                continue
            balance += amount
            lines.append(
                StatementLine(
                    on=on,
                    number=record.number,
                    kind=kind,
                    summary=summary,
                    increase=amount if amount > 0 else ZERO,
                    decrease=-amount if amount < 0 else ZERO,
                    balance=balance,
                    record=record,
                )
            )
        sections.append(StatementSection(currency=currency, opening=opening, lines=lines, closing=balance))
    return Statement(party_kind, party_id, party_name, date_from, date_to, sections)


# Exchange rates -------------------------------------------------------------------------------------


def rate_on(currency: str, on: dt.date | None = None) -> Decimal | None:
    """The CNY value of one unit of `currency` on a day: 1 for CNY, else the latest rate in force
    (None when none was ever entered)."""
    if currency == BASE_CURRENCY:
        return Decimal("1")
    found = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=_today(on))
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    return Decimal(found) if found is not None else None


def exchange_rates() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.select_related("created_by").order_by("currency", "-valid_from")


# Invariants -----------------------------------------------------------------------------------------


def ledger_mismatches() -> list[str]:
    """Every place where a derived figure disagrees with the rows it is derived from: allocated of
    each receivable/payable, installment and receipt/payment = Σ its live allocations; installments
    add up to their obligation; settled exactly when nothing is outstanding. Empty when the ledger
    is whole."""
    problems: list[str] = []
    live = Allocation.objects.filter(reversed_at__isnull=True)

    def sums(key: str) -> dict[int, Decimal]:
        return {
            row[key]: quantize_money(Decimal(row["s"]))
            for row in live.order_by().values(key).annotate(s=Sum("amount"))
        }

    by_obligation, by_installment, by_settlement = (
        sums("obligation_id"),
        sums("installment_id"),
        sums("settlement_id"),
    )
    plan = {
        row["obligation_id"]: quantize_money(Decimal(row["s"]))
        for row in Installment.objects.order_by().values("obligation_id").annotate(s=Sum("amount"))
    }
    for ob in Obligation.objects.only("pk", "number", "amount", "allocated", "status").iterator():
        if ob.allocated != by_obligation.get(ob.pk, ZERO):
            problems.append(
                f"obligation {ob.number}: allocated {ob.allocated} != {by_obligation.get(ob.pk, ZERO)}"
            )
        if plan.get(ob.pk, ZERO) != ob.amount:
            problems.append(
                f"obligation {ob.number}: amount {ob.amount} != Σ installments {plan.get(ob.pk, ZERO)}"
            )
        settled = ob.allocated == ob.amount
        if ob.status != ObligationStatus.REVERSED and settled != (ob.status == ObligationStatus.SETTLED):
            problems.append(f"obligation {ob.number}: status {ob.status} with {ob.allocated}/{ob.amount}")
        if ob.status == ObligationStatus.REVERSED and ob.allocated:
            problems.append(f"obligation {ob.number}: reversed with {ob.allocated} allocated")
    strays = live.exclude(installment__obligation_id=F("obligation_id")).values_list("pk", flat=True)
    problems += [f"allocation {pk}: its installment belongs to another obligation" for pk in strays]
    crossed = live.exclude(
        settlement__party_kind=F("obligation__party_kind"), settlement__party_id=F("obligation__party_id")
    ).values_list("pk", flat=True)
    problems += [f"allocation {pk}: settlement and obligation have different parties" for pk in crossed]
    for inst in Installment.objects.only("pk", "allocated").iterator():
        if inst.allocated != by_installment.get(inst.pk, ZERO):
            problems.append(
                f"installment {inst.pk}: allocated {inst.allocated} != {by_installment.get(inst.pk, ZERO)}"
            )
    for st in Settlement.objects.only("pk", "number", "allocated").iterator():
        if st.allocated != by_settlement.get(st.pk, ZERO):
            problems.append(
                f"settlement {st.number}: allocated {st.allocated} != {by_settlement.get(st.pk, ZERO)}"
            )
    return problems


# One party's position ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrencyPosition:
    currency: str
    outstanding: Decimal
    overdue: Decimal  # unsettled installments past their due date
    advance: Decimal  # received (paid) and not yet allocated


@dataclass
class PartyPosition:
    """What one party owes (or is owed) as the user may see it: the open receivables (payables),
    earliest due first, each marked `late` (an unsettled installment is past due), `next_due` and
    `in_installments`; and per currency (CNY first) the outstanding, overdue and advance figures."""

    open: list[Any]
    figures: list[CurrencyPosition]


def party_position(
    user: Any,
    direction: str,
    *,
    party_kind: str,
    party_id: int,
    with_advances: bool = True,
    today: dt.date | None = None,
) -> PartyPosition:
    """The position of one party on one side of the ledger, read in the user's scope. Advances
    (unallocated receipts or payments) are counted only when `with_advances` (the user may see
    settlements)."""
    today = today or timezone.localdate()
    party: dict[str, Any] = {"party_kind": party_kind, "party_id": party_id}
    open_qs = obligations(user, direction, status=ObligationStatus.OPEN, **party)
    opened = list(open_qs.order_by("due_date", "id").prefetch_related("installments"))
    overdue: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
    for ob in opened:
        unsettled = [i for i in ob.installments.all() if i.outstanding > 0]
        late = [i.outstanding for i in unsettled if i.due_date < today]
        ob.late = bool(late)  # type: ignore[attr-defined]
        ob.next_due = min((i.due_date for i in unsettled), default=ob.due_date)  # type: ignore[attr-defined]
        ob.in_installments = len(ob.installments.all()) > 1  # type: ignore[attr-defined]
        if late:
            overdue[ob.currency] = quantize_money(overdue[ob.currency] + sum(late))
    owed = totals_by_currency(open_qs)
    advances: dict[str, Totals] = {}
    if with_advances:
        advances = totals_by_currency(settlements(user, direction, status=SettlementStatus.POSTED, **party))
    currencies = sorted(
        {c for c, t in owed.items() if t.outstanding} | {c for c, t in advances.items() if t.outstanding},
        key=lambda c: (c != BASE_CURRENCY, c),
    )
    figures = [
        CurrencyPosition(
            currency=c,
            outstanding=owed[c].outstanding if c in owed else Decimal(0),
            overdue=overdue.get(c, Decimal(0)),
            advance=advances[c].outstanding if c in advances else Decimal(0),
        )
        for c in currencies
    ]
    return PartyPosition(open=opened, figures=figures)


def opened_by(source_type: str, ids: Iterable[int], *, direction: str = "") -> dict[int, Obligation]:
    """The live (not reversed) receivable or payable each document of `source_type` opened, by
    document id (the latest when a document opened several; `direction` narrows to one side)."""
    found = Obligation.objects.filter(source_type=source_type, source_id__in=list(ids)).exclude(
        status=ObligationStatus.REVERSED
    )
    if direction:
        found = found.filter(direction=direction)
    opened: dict[int, Obligation] = {}
    for obligation in found.order_by("id"):
        if obligation.source_id is not None:
            opened[obligation.source_id] = obligation
    return opened
