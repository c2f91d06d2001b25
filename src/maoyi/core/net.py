from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address for login throttling. Behind a trusted reverse proxy (MAOYI_TRUST_PROXY)
    the first X-Forwarded-For hop is used; otherwise the socket address, which clients cannot forge."""
    if getattr(settings, "MAOYI_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:100]
    return str(request.META.get("REMOTE_ADDR", "unknown"))[:100]
