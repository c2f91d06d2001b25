from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The API answers 401 itself; health, static files and the language switch need no session.
OPEN_PREFIXES = ("/api/", "/healthz", "/static/", "/i18n/", "/favicon.ico")


class LoginRequiredMiddleware:
    """Every page except the login page requires a session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        login = reverse(settings.LOGIN_URL)
        if request.user.is_authenticated or path == login or path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        target = f"{login}?next={quote(request.get_full_path())}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
