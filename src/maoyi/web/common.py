"""Small helpers every page module uses."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from maoyi.org.models import Employee
from maoyi.org.scope import employee_of


def acting_employee(request: HttpRequest) -> Employee:
    """The employee doing a write. A login without an active employee record may not write: the
    services would take a missing actor for the system and skip their permission checks."""
    actor = employee_of(request.user)
    if actor is None:
        raise PermissionDenied
    return actor


def form_data(request: HttpRequest) -> Any:
    """The posted data for a bound form, or None to show an unbound one."""
    return request.POST if request.method == "POST" else None


def form_status(form: Any) -> int:
    """400 when a form comes back with errors, so tests and htmx can tell a refusal from a page."""
    return 400 if form.errors else 200
