"""Maps service refusals to API.md's error shapes: 409 {"detail", "code"} for business rules,
400 {"field": [message]} for bad input, 404 for missing or out-of-scope, 403 for the role.

Every refusal that is not about input fields carries {"detail", "code"} (401, 403, 404, 405, 409,
429…); a 409 about one field or line of the request also names it (`field`, e.g.
`lines.0.unit_price`), so a client can show the refusal on that cell; and every 404 has one
body whatever found it missing (the viewset's lookup, a service's
scope check), so a record outside the caller's scope cannot be told from one that does not exist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused

INPUT_CODES = {"invalid", "duplicate", "reason_required", "invalid_file", "invalid_prefix"}


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal that is not about input fields (OpenAPI component `Error`)."""

    detail = serializers.CharField(help_text="message in the request's language")
    code = serializers.CharField(help_text="stable code, e.g. invalid_state, not_approver, not_found")
    field = serializers.CharField(
        required=False, help_text="409 only: the request field or line refused, e.g. lines.0.quantity"
    )


# 400: DRF's shape, {"field": ["message", …]} ("non_field_errors" when no field is to blame); a
# list of lines nests the same shape per line ({"lines": {"1": {"quantity": [...]}}}), and a bad
# header (Idempotency-Key) answers {"detail", "code"}.
FIELD_ERRORS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
    "example": {"name": ["请填写部门名称。"]},
}
_DESCRIPTIONS = {
    400: "invalid input: {field: [message]}",
    401: "not authenticated (no, unknown or revoked token; left employee)",
    403: "the caller's role may not do this",
    404: "no such record, or outside the caller's data scope",
    409: "a business rule refused the action (code: invalid_state, not_approver, …)",
    422: "Idempotency-Key already used with a different request",
    429: "too many failed logins: locked",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given refusal statuses, for `extend_schema(responses=…)`."""
    return {
        code: OpenApiResponse(
            FIELD_ERRORS if code == 400 else ErrorSerializer, description=_DESCRIPTIONS[code]
        )
        for code in codes
    }


def not_found() -> Response:
    return Response({"detail": str(NotFoundInScope().message), "code": "not_found"}, status=404)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFoundInScope | ObjectDoesNotExist | Http404):
        return not_found()
    if isinstance(exc, PermissionRefused):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        if exc.code in INPUT_CODES:
            return Response({exc.field or "non_field_errors": [exc.message]}, status=400)
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_409_CONFLICT)
    response = drf_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        code = getattr(response.data["detail"], "code", None)  # DRF's ErrorDetail carries it
        if code:
            response.data["code"] = code
    return response
