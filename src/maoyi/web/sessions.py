"""Sliding session expiry without a database write on every request.

A session ends after MAOYI_SESSION_SECONDS idle. Django's SESSION_SAVE_EVERY_REQUEST would renew it
by rewriting the session row on every request, including every htmx poll and every page of a
report, which under load is a write per read. Instead the session remembers when it was last
renewed and is saved again (with a new expiry) only when that is more than RENEW_SECONDS ago, so an
active user's session stays alive and an idle one still ends within RENEW_SECONDS of the idle
limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

RENEW_SECONDS = 300
KEY = "_maoyi_renewed"


class SlidingSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            renewed = session.get(KEY)
            if not isinstance(renewed, int) or now - renewed >= RENEW_SECONDS:
                session[KEY] = now  # modified: SessionMiddleware saves it with a new expiry
        return response
