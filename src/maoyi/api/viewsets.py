"""What the resource modules share: the acting employee, boolean query flags, and the CRUD
viewset with its documented refusals."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.permissions import ModelPermission
from maoyi.core.errors import PermissionRefused
from maoyi.org import scope
from maoyi.org.models import Employee

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


def actor_of(request: Request) -> Employee | None:
    """The employee making the request (None for a user without an active employee record)."""
    return scope.employee_of(request.user)


def acting(request: Request) -> Employee:
    """The employee writing: documents and ledgers record who did what, so a user without an
    active employee record may not write (403)."""
    actor = actor_of(request)
    if actor is None:
        raise PermissionRefused()
    return actor


def flag(request: Request, name: str) -> bool | None:
    """A yes/no query parameter: True, False, or None when absent or unrecognised."""
    value = request.query_params.get(name, "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    return None


def crud_schema(serializer: type[serializers.Serializer], *, list_parameters: list[Any] | None = None) -> Any:
    """Refusals and the Idempotency-Key header for a list / retrieve / create / update viewset."""
    return extend_schema_view(
        list=extend_schema(
            responses={200: serializer(many=True), **error_responses(401, 403)}, parameters=list_parameters
        ),
        retrieve=extend_schema(responses={200: serializer, **error_responses(401, 403, 404)}),
        create=extend_schema(
            responses={201: serializer, **error_responses(400, 401, 403, 422)}, parameters=[IDEMPOTENCY_KEY]
        ),
        update=extend_schema(responses={200: serializer, **error_responses(400, 401, 403, 404)}),
        partial_update=extend_schema(responses={200: serializer, **error_responses(400, 401, 403, 404)}),
    )


def posted(request: Any, response: Any, status: int = 200) -> Any:
    """The schema of a POST (a create or an action): its input, its answer, every refusal and the
    Idempotency-Key header."""
    return extend_schema(
        request=request,
        responses={status: response, **error_responses(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )


class CrudViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create and update (no delete), guarded by the model's permissions."""

    permission_classes = [ModelPermission]
