"""Manager views of the team's customers: 未跟进客户 (customers nobody followed up for N days).

Everything is read in the user's data scope: a manager sees the department tree, a salesperson
only their own customers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.tabular import Kind
from maoyi.crm.models import Customer, CustomerKind
from maoyi.crm.selectors import idle
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.lists import PAGE_SIZES, paginate


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        return idle.DEFAULT_DAYS
    return days if days in idle.DAY_CHOICES else idle.DEFAULT_DAYS


def _rows(customers: list[Customer]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    returns = idle.days_until_return(customers, today)
    return [
        {"customer": c, "idle_days": idle.idle_days(c, today), "returns_in": returns.get(c.pk)}
        for c in customers
    ]


def _return_label(row: dict[str, Any]) -> str:
    if row["returns_in"] is None:
        return ""
    if row["returns_in"] == 0:
        return _("即将回收公海")
    return _("%(days)s 天后回收公海") % {"days": row["returns_in"]}


# The list's columns in its Excel export (导出), as on screen.
IDLE_COLUMNS = [
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("类型"), key="customer.get_kind_display"),
    ExportColumn(gettext_lazy("负责人"), key="customer.owner.name"),
    ExportColumn(
        gettext_lazy("最近跟进"),
        getter=lambda row: (
            timezone.localdate(row["customer"].last_activity_at)
            if row["customer"].last_activity_at
            else _("从未跟进")
        ),
        kind=Kind.DATE,
    ),
    ExportColumn(gettext_lazy("未跟进天数"), key="idle_days", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("回收公海"), getter=_return_label),
]


@permission_required("crm.view_customer", raise_exception=True)
def idle_customers(request: HttpRequest) -> HttpResponse:
    days = _days(request.GET.get("days", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in CustomerKind.values else ""
    owners = list(idle.idle_owners(request.user))
    owner_value = request.GET.get("owner", "")
    owner = next((e for e in owners if str(e.pk) == owner_value), None)
    if owner is None:
        owner_value = ""
    qs = idle.idle_customers(request.user, days=days, owner=owner, kind=kind)
    if wants_xlsx(request):
        return xlsx_response(request, qs, IDLE_COLUMNS, gettext_lazy("未跟进客户"), prepare=_rows)
    listing = paginate(request, qs)
    rows = _rows(list(listing.page))
    summary = idle.idle_summary(request.user, days=days, kind=kind)
    context = {
        "listing": listing,
        "rows": rows,
        "summary": summary,
        "summary_total": sum(s.count for s in summary),
        "days": days,
        "day_choices": idle.DAY_CHOICES,
        "kind": kind,
        "kinds": CustomerKind.choices,
        "owner": owner_value,
        "owners": owners,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(kind or owner_value or days != idle.DEFAULT_DAYS),
    }
    return render(request, "web/crm/idle_customers.html", context)


urlpatterns: list[URLPattern] = [
    path("customers/idle/", idle_customers, name="customers-idle"),
]
