"""What the dashboards (仪表盘) read of the money ledger, beyond `selectors.aging` and
`selectors.due_installments`: overdue receivables (payables) by the person who answers for them, and
cash in and out by week. Everything through the data-scope gate, in CNY at each record's own rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Sum
from django.utils import timezone

from maoyi.core.money import CENT, IntDiv, Whole, quantize_money, to_base, whole_number
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
    records: int = 0
    oldest_due: dt.date | None = None

    @property
    def obligations(self) -> int:
        return self.records


def _outstanding_base_cents() -> Any:
    """`to_base(installment.outstanding, obligation.exchange_rate)` in cents, in SQL: with the
    outstanding O = o1 × 10⁶ + o0 cents and the rate R × 10⁶, R(O × R ÷ 10⁶) = o1 × R + R(o0 × R ÷ 10⁶),
    half up, in whole numbers (exact on PostgreSQL's numeric and SQLite's 64-bit integers)."""
    outstanding = Whole("amount", 2) - Whole("allocated", 2)
    rate = Whole("obligation__exchange_rate", 6)
    o1 = IntDiv(outstanding, whole_number(10**6))
    o0 = outstanding - o1 * whole_number(10**6)
    return o1 * rate + IntDiv(whole_number(2) * o0 * rate + whole_number(10**6), whole_number(2 * 10**6))


def overdue_by_owner(user: Any, direction: str, *, on: dt.date | None = None) -> list[OwnerOverdue]:
    """The unsettled installments past due on `on` (today) of the open receivables (payables) the
    user may see, per owner: Σ outstanding in CNY (each installment at its record's rate, to the
    cent), how many installments and records, the oldest due date. The largest amount first; the
    unowned last. One query, added up in SQL."""
    rows = (
        selectors.due_installments(user, direction, on=on, overdue_only=True)
        .select_related(None)
        .order_by()
        .values("obligation__owner_id", "obligation__owner__name")
        .annotate(
            cents=Sum(_outstanding_base_cents()),
            n=Count("pk"),
            records=Count("obligation_id", distinct=True),
            oldest=Min("due_date"),
        )
    )
    found = []
    for row in rows:
        if isinstance(row["cents"], float):  # SQLite's integers overflowed: refuse an inexact figure
            raise ValueError("figure beyond SQLite's exact integer range")
        found.append(
            OwnerOverdue(
                row["obligation__owner_id"],
                row["obligation__owner__name"] or "",
                amount=Decimal(row["cents"]).scaleb(-2).quantize(CENT),
                installments=row["n"],
                records=row["records"],
                oldest_due=row["oldest"],
            )
        )
    return sorted(found, key=lambda r: (r.owner_id is None, -r.amount, r.owner_name))


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
