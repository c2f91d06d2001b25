"""Manager views of the team's customers: 未跟进客户 (customers nobody followed up for N days).

Everything is read in the user's data scope: a manager sees the department tree, a salesperson
only their own customers."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from maoyi.crm.models import CustomerKind
from maoyi.crm.selectors import idle
from maoyi.web.lists import PAGE_SIZES, paginate


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        return idle.DEFAULT_DAYS
    return days if days in idle.DAY_CHOICES else idle.DEFAULT_DAYS


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
    listing = paginate(request, idle.idle_customers(request.user, days=days, owner=owner, kind=kind))
    today = timezone.localdate()
    customers = list(listing.page)
    returns = idle.days_until_return(customers, today)
    rows = [
        {"customer": c, "idle_days": idle.idle_days(c, today), "returns_in": returns.get(c.pk)}
        for c in customers
    ]
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
