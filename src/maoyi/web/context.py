from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from maoyi.approvals.selectors import pending_count
from maoyi.org.scope import employee_of
from maoyi.web.nav import sidebar


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's frame needs: the sidebar for this role and the approval count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_modules": sidebar(user, request.path),
        "nav_pending_count": pending_count(user),
        "current_employee": employee_of(user),
    }
