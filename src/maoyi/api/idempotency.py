"""Idempotency-Key on API POSTs (API.md; IETF draft-ietf-httpapi-idempotency-key-header).

The key is looked up per user. The business write and the stored response commit together, so a
crash leaves neither and the client's retry is safe. A second request with the same key replays
the first response; with a different body it gets 422; a concurrent twin that loses the race on
the unique index is rolled back and replays the winner's response.

The twin may lose the race before it reaches the key's index: on the business write's own unique
constraint (two "create department 华南区" with one key). That IntegrityError is raised in the view;
`process_exception` hands it back to `__call__`, which rolls the twin back and replays as well,
instead of a 500."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from maoyi.api.models import IdempotencyRecord

KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
TTL = dt.timedelta(hours=24)
_GUARDED = "_maoyi_idempotency_guarded"
_VIEW_INTEGRITY_ERROR = "_maoyi_idempotency_view_integrity_error"

# For `extend_schema(parameters=[IDEMPOTENCY_KEY])` on POST operations.
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": KEY_RE.pattern, "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    description=(
        "Optional, 1–255 visible ASCII characters. The same key from the same user within 24 h returns "
        "the first response (header Idempotent-Replayed: true) and does nothing again; with a different "
        "body: 422; while the first is still running: 409."
    ),
)


def _user(request: HttpRequest) -> Any:
    """The user DRF will act for: the token's when one is sent (TokenAuthentication comes first in
    REST_FRAMEWORK), otherwise the session's. Keying on the session user while DRF acts for the
    token's user would file one user's response under another user's key."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=header[6:].strip()).first()
        if token is not None and token.user.is_active:
            return token.user
        return None  # DRF will answer 401 whatever the session says
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": message, "code": code}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not KEY_RE.match(key):
            return _error(
                400, _("Idempotency-Key 格式无效（1–255 个可见 ASCII 字符）。"), "invalid_idempotency_key"
            )
        user = _user(request)
        if user is None:
            return self.get_response(request)
        body_hash = hashlib.sha256(request.method.encode() + request.path.encode() + request.body).hexdigest()
        view_error: IntegrityError | None = None
        try:
            with transaction.atomic():
                found = self._lookup(user, key, body_hash)
                if found is not None:
                    return found
                setattr(request, _GUARDED, True)
                response = self.get_response(request)
                view_error = getattr(request, _VIEW_INTEGRITY_ERROR, None)
                if view_error is not None:
                    raise view_error  # rolls the whole attempt back; handled below
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    body_sha256=body_hash,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content,
                    created_at=timezone.now(),
                )
                return response
        except IntegrityError as exc:
            # A concurrent request with the same key committed first; ours was rolled back whole.
            with transaction.atomic():
                found = self._lookup(user, key, body_hash)
            if found is not None:
                return found
            if exc is view_error:
                raise  # not a twin: the view's own error, answered as it would be without a key
            return _error(
                409, _("相同 Idempotency-Key 的请求正在处理，请稍后重试。"), "idempotency_in_progress"
            )

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """An IntegrityError from the view of a keyed POST may be a twin's lost race: keep it for
        `__call__` (which rolls back and looks for the twin's stored response) instead of a 500."""
        if isinstance(exception, IntegrityError) and getattr(request, _GUARDED, False):
            setattr(request, _VIEW_INTEGRITY_ERROR, exception)
            return HttpResponse(status=409)  # placeholder, never sent: `__call__` re-raises the error
        return None

    @staticmethod
    def _lookup(user: Any, key: str, body_hash: str) -> HttpResponse | None:
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:
            return None
        if record.created_at < timezone.now() - TTL:
            record.delete()
            return None
        if record.body_sha256 != body_hash:
            return _error(422, _("此 Idempotency-Key 已用于另一个请求。"), "idempotency_key_reused")
        return _replay(record)
