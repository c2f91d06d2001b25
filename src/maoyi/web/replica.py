"""The report and dashboard pages read from the replica, when one is configured
(maoyi.core.replica). They only read: a POST to them stays on the primary."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from maoyi.core.replica import configured, reading_reports

PREFIXES = ("/reports/", "/dashboards/")


class ReportsOnReplicaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path.startswith(PREFIXES) and configured():
            with reading_reports():
                return self.get_response(request)
        return self.get_response(request)
