from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation

# The API answers 401 itself; health, static files and the language switch need no session.
OPEN_PREFIXES = ("/api/", "/healthz", "/static/", "/i18n/", "/favicon.ico")


class ContentSecurityPolicyMiddleware:
    """Adds settings.MAOYI_CSP as the Content-Security-Policy of every response (pages, API,
    downloads, static files) that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "MAOYI_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


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


class LanguageMiddleware(LocaleMiddleware):
    """Pages are Chinese unless the user picked English with the switch (the language cookie); the
    browser's Accept-Language is not consulted, so an English browser in a Chinese office still gets
    Chinese. The API follows Accept-Language (API.md), as Django's LocaleMiddleware does."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
