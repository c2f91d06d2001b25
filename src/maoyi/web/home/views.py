from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maoyi.approvals import selectors as approvals


def home(request: HttpRequest) -> HttpResponse:
    """The user's to-dos: approvals waiting for them now, and their own submissions in flight
    (later issues add their queues: follow-ups, goods to ship, money to collect…)."""
    pending = approvals.pending_for(request.user)
    submitted = approvals.requests_for(request.user, mine="submitted", status="pending")
    context = {
        "pending": pending[:10],
        "pending_total": pending.count(),
        "submitted": submitted.order_by("-requested_at")[:10],
        "submitted_total": submitted.count(),
    }
    return render(request, "web/home.html", context)
