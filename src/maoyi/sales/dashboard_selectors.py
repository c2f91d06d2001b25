"""What the dashboards (仪表盘) read of sales: the sales of this month against last month, and the
team's sales this month by salesperson and by department. Both are 销售统计 (`report_selectors`)
over fixed periods, so the figures are the report's own: approved (or later) orders by order date,
amounts tax included after discount, scoped by the data-scope gate (a salesperson's own orders, a
manager's department's, the company's roles all)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from maoyi.sales import report_selectors
from maoyi.sales.report_selectors import SalesReport, SalesRow

ZERO = Decimal("0")


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day of the month `day` falls in."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class MonthSales:
    """One month's sales: its first and last day and the report's total row (orders, amount)."""

    first: dt.date
    last: dt.date
    total: SalesRow

    @property
    def amount(self) -> Decimal:
        return self.total.amount

    @property
    def orders(self) -> int:
        return self.total.orders


@dataclass(frozen=True)
class MonthComparison:
    this_month: MonthSales
    last_month: MonthSales

    @property
    def change(self) -> Decimal:
        return self.this_month.amount - self.last_month.amount

    @property
    def change_percent(self) -> Decimal | None:
        """This month against last month in percent (one decimal); None when last month sold nothing."""
        if not self.last_month.amount:
            return None
        return (self.change * 100 / self.last_month.amount).quantize(Decimal("0.1"))


def _month(user: Any, first: dt.date, last: dt.date) -> MonthSales:
    report = report_selectors.sales_summary(user, by="month", date_from=first, date_to=last)
    return MonthSales(first=first, last=last, total=report.total)


def month_sales(user: Any, *, on: dt.date | None = None) -> MonthComparison:
    """The sales (approved or later orders, by order date) the user may see in the month of `on`
    (today) and in the month before it, whole months."""
    today = on or timezone.localdate()
    first, last = month_bounds(today)
    previous_first, previous_last = month_bounds(first - dt.timedelta(days=1))
    return MonthComparison(
        this_month=_month(user, first, last), last_month=_month(user, previous_first, previous_last)
    )


@dataclass(frozen=True)
class TeamSales:
    first: dt.date
    last: dt.date
    by_person: SalesReport
    by_team: SalesReport


def team_sales(user: Any, *, on: dt.date | None = None) -> TeamSales:
    """This month's sales the user may see by salesperson and by department (largest first)."""
    first, last = month_bounds(on or timezone.localdate())
    return TeamSales(
        first=first,
        last=last,
        by_person=report_selectors.sales_summary(user, by="salesperson", date_from=first, date_to=last),
        by_team=report_selectors.sales_summary(user, by="team", date_from=first, date_to=last),
    )
