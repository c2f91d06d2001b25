"""Finance reports (报表): 应收账龄 / 应付账龄 by person (业务员 / 采购员: the record's owner) or by party,
always through the data scope of `finance.selectors.obligations` (a salesperson reads their own
receivables, a manager their department's, finance all).

The figures are those of `finance.selectors.aging`: each unsettled installment of an open
receivable (payable) in CNY at its record's own rate, put in a bucket by its days past due on the
chosen day (未到期, 1–30, 31–60, 61–90, 90天以上); each bucket rounded to the cent as it is added.
By party the rows are `selectors.aging`'s own; by person the same installments are grouped by the
record's owner (records without one, e.g. a pool customer's, under owner None)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maoyi.core.money import quantize_money, to_base
from maoyi.finance import selectors
from maoyi.finance.models import Installment, ObligationStatus

ZERO = Decimal("0")
AGING_GROUPINGS = ("owner", "party")


def _empty_buckets() -> dict[str, Decimal]:
    return {key: ZERO for key, *_rest in selectors.BUCKETS}


@dataclass
class OwnerAgingRow:
    """One person's outstanding by bucket (owner_id None: records nobody owns)."""

    owner_id: int | None
    owner_name: str
    buckets: dict[str, Decimal] = field(default_factory=_empty_buckets)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["not_due"]


@dataclass(frozen=True)
class AgingReport:
    """`rows` are `OwnerAgingRow` (by owner) or `selectors.AgingRow` (by party); `totals` carries
    the bucket sums of every row."""

    by: str
    direction: str
    on: dt.date
    rows: list[Any]
    totals: selectors.AgingRow


def aging_by_owner(
    user: Any,
    direction: str,
    *,
    on: dt.date | None = None,
    owner_id: int | None = None,
    party_kind: str = "",
) -> list[OwnerAgingRow]:
    """The `aging` installments grouped by the record's owner, the most outstanding first (then by
    name). Their bucket sums are `selectors.aging(...).totals`."""
    today = on or timezone.localdate()
    qs = selectors.obligations(
        user, direction, status=ObligationStatus.OPEN, party_kind=party_kind, owner_id=owner_id
    )
    installments = Installment.objects.filter(obligation_id__in=qs.values("pk")).values_list(
        "obligation__owner_id",
        "obligation__owner__name",
        "obligation__exchange_rate",
        "due_date",
        "amount",
        "allocated",
    )
    rows: dict[int | None, OwnerAgingRow] = {}
    for owner, name, rate, due, amount, allocated in installments.iterator():
        left = Decimal(amount) - Decimal(allocated)
        if left <= 0:
            continue
        key = selectors.bucket_of((today - due).days)
        row = rows.setdefault(owner, OwnerAgingRow(owner, name or ""))
        row.buckets[key] = quantize_money(row.buckets[key] + to_base(left, Decimal(rate)))
    return sorted(rows.values(), key=lambda r: (-r.total, r.owner_id is None, r.owner_name))


def aging_report(
    user: Any,
    direction: str,
    *,
    by: str = "owner",
    on: dt.date | None = None,
    owner_id: int | None = None,
    party_kind: str = "",
) -> AgingReport:
    """应收账龄 / 应付账龄 grouped `by` "owner" (unknown: by owner) or "party", with the totals."""
    by = by if by in AGING_GROUPINGS else "owner"
    today = on or timezone.localdate()
    party = selectors.aging(user, direction, on=today, owner_id=owner_id, party_kind=party_kind)
    rows: list[Any] = party.rows
    if by == "owner":
        rows = aging_by_owner(user, direction, on=today, owner_id=owner_id, party_kind=party_kind)
    return AgingReport(by=by, direction=direction, on=today, rows=rows, totals=party.totals)
