"""CRM reports (报表): 跟进统计 (follow-ups per person over a period, by kind), through the data scope
of `crm.selectors.activities`: a user counts the activities of the customers they may see (a
salesperson those of their own customers, a manager their department's, whoever logged them).

Per person who logged activities (跟进人) in the period (local dates of `occurred_at`, both ends
included): the number of each kind (电话, 拜访, 邮件, 会议, 其他), their total and the number of
distinct customers followed up. Rows with the most activities first (then by name); the total row
counts every selected activity and every distinct customer once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from maoyi.crm.models import ActivityKind
from maoyi.crm.selectors.activities import activities
from maoyi.org.models import Department

KINDS = tuple(ActivityKind.values)


@dataclass
class ActivityRow:
    """One person's counts (employee_id None: the total)."""

    employee_id: int | None
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    customers: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def customer_count(self) -> int:
        return len(self.customers)

    def by_kind(self) -> list[int]:
        return [self.counts[kind] for kind in KINDS]

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(kind, count) in the order of KINDS, zeros included: the table's cells."""
        return [(kind, self.counts[kind]) for kind in KINDS]


@dataclass(frozen=True)
class ActivityReport:
    rows: list[ActivityRow]
    total: ActivityRow


def activity_stats(
    user: Any,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    department_id: int | None = None,
    employee_id: int | None = None,
) -> ActivityReport:
    """跟进统计. `department_id` keeps the activities logged by its members (sub-departments too)."""
    qs = activities(user, date_from=date_from, date_to=date_to)
    if department_id is not None:
        path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first()
        qs = qs.filter(employee__department__path__startswith=path) if path else qs.none()
    if employee_id is not None:
        qs = qs.filter(employee_id=employee_id)
    rows: dict[int, ActivityRow] = {}
    total = ActivityRow(None, "")
    for employee_id_, name, kind, customer_id in qs.order_by().values_list(
        "employee_id", "employee__name", "kind", "customer_id"
    ):
        row = rows.setdefault(employee_id_, ActivityRow(employee_id_, name))
        for target in (row, total):
            target.counts[kind] += 1
            target.customers.add(customer_id)
    ordered = sorted(rows.values(), key=lambda r: (-r.total, r.name))
    return ActivityReport(rows=ordered, total=total)
