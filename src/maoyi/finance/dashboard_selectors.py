"""What the dashboards (仪表盘) read of the money ledger, beyond `selectors.aging` and
`selectors.due_installments`: overdue receivables (payables) by the person who answers for them, and
cash in and out by week. Everything through the data-scope gate, in CNY at each record's own rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maoyi.core.money import quantize_money, to_base
from maoyi.finance import selectors
from maoyi.finance.models import Direction, SettlementStatus

ZERO = Decimal("0")


@dataclass
class OwnerOverdue:
    """One person's overdue installments (owner None: the records nobody owns, e.g. pool customers)."""

    owner_id: int | None
    owner_name: str
    amount: Decimal = ZERO
    installments: int = 0
    obligation_ids: set[int] = field(default_factory=set)
    oldest_due: dt.date | None = None

    @property
    def obligations(self) -> int:
        return len(self.obligation_ids)


def overdue_by_owner(user: Any, direction: str, *, on: dt.date | None = None) -> list[OwnerOverdue]:
    """The unsettled installments past due on `on` (today) of the open receivables (payables) the
    user may see, per owner: Σ outstanding in CNY, how many installments and records, the oldest due
    date. The largest amount first; the unowned last."""
    rows: dict[int | None, OwnerOverdue] = {}
    for inst in selectors.due_installments(user, direction, on=on, overdue_only=True):
        ob = inst.obligation
        row = rows.get(ob.owner_id)
        if row is None:
            row = rows[ob.owner_id] = OwnerOverdue(ob.owner_id, ob.owner.name if ob.owner else "")
        row.amount += to_base(inst.outstanding, ob.exchange_rate)
        row.installments += 1
        row.obligation_ids.add(ob.pk)
        if row.oldest_due is None or inst.due_date < row.oldest_due:
            row.oldest_due = inst.due_date
    return sorted(rows.values(), key=lambda r: (r.owner_id is None, -r.amount, r.owner_name))


@dataclass(frozen=True)
class WeekCash:
    """Receipts (cash in) and payments (cash out) posted in one week, Monday to Sunday, in CNY."""

    start: dt.date
    end: dt.date
    cash_in: Decimal
    cash_out: Decimal
    receipts: int
    payments: int

    @property
    def net(self) -> Decimal:
        return self.cash_in - self.cash_out


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def cash_by_week(user: Any, *, weeks: int = 8, on: dt.date | None = None) -> list[WeekCash]:
    """The last `weeks` weeks up to the week of `on` (today), oldest first: Σ receipts and Σ payments
    the user may see by their date, in CNY at each one's own rate. Reversed ones count for nothing
    (红冲 takes the money back out)."""
    today = on or timezone.localdate()
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    last = week_start(today) + dt.timedelta(days=6)
    sums: dict[dt.date, dict[str, Decimal]] = {
        first + dt.timedelta(weeks=i): {"in": ZERO, "out": ZERO, "n_in": ZERO, "n_out": ZERO}
        for i in range(weeks)
    }
    for direction, side in ((Direction.RECEIVABLE, "in"), (Direction.PAYABLE, "out")):
        posted = (
            selectors.settlements(user, direction, date_from=first, date_to=last)
            .filter(status=SettlementStatus.POSTED)
            .values_list("occurred_on", "amount", "exchange_rate")
        )
        for occurred_on, amount, rate in posted:
            week = sums[week_start(occurred_on)]
            week[side] += to_base(Decimal(amount), Decimal(rate))
            week[f"n_{side}"] += 1
    return [
        WeekCash(
            start=start,
            end=start + dt.timedelta(days=6),
            cash_in=quantize_money(week["in"]),
            cash_out=quantize_money(week["out"]),
            receipts=int(week["n_in"]),
            payments=int(week["n_out"]),
        )
        for start, week in sums.items()
    ]
