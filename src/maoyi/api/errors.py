"""Maps service refusals to API.md's error shapes: 409 {"detail", "code"} for business rules,
400 {"field": [message]} for bad input, 404 for missing or out-of-scope, 403 for the role."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused

INPUT_CODES = {"invalid", "duplicate", "reason_required", "invalid_file", "invalid_prefix"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFoundInScope | ObjectDoesNotExist):
        return Response({"detail": str(NotFoundInScope().message), "code": "not_found"}, status=404)
    if isinstance(exc, PermissionRefused):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        if exc.code in INPUT_CODES:
            return Response({exc.field or "non_field_errors": [exc.message]}, status=400)
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    return drf_handler(exc, context)
