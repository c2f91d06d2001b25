"""The public pool's actions on `customers` (API.md): `POST /customers/{id}/claim/`, `/release/`
`{reason}` and `/transfer/` `{"to": employee id, "reason"}`. Mixed into `api.crm.CustomerViewSet`.

Refusals: 409 `not_in_pool`, `claim_limit`, `daily_claim_cap`, `claim_cooldown`, `not_salesperson`,
`in_pool`; 400 for a missing reason or an unfit `to`; 403 for a role that may not; 404 for a customer
outside the caller's scope. A claim may name any pool customer (the pool is everyone's), or one in
the caller's scope; another salesperson's customer answers 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.viewsets import actor_of
from maoyi.core.errors import PermissionRefused
from maoyi.crm import selectors
from maoyi.crm.models import Customer
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import pool as pool_services
from maoyi.org.models import Employee


class PoolReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", label=_("原因")
    )


class TransferInput(PoolReasonInput):
    to = serializers.IntegerField(label=_("新负责人"))

    def validate_to(self, value: int) -> Employee:
        employee = Employee.objects.select_related("department").filter(pk=value).first()
        if employee is None:
            raise serializers.ValidationError(_("员工不存在。"))
        return employee


def pool_schema(serializer: type[serializers.Serializer]) -> Any:
    """The OpenAPI description of the three actions, answering with the customer."""
    return extend_schema_view(
        claim=extend_schema(
            request=None,
            responses={200: serializer, **error_responses(401, 403, 404, 409, 422)},
            parameters=[IDEMPOTENCY_KEY],
        ),
        release=extend_schema(
            request=PoolReasonInput,
            responses={200: serializer, **error_responses(400, 401, 403, 404, 409, 422)},
            parameters=[IDEMPOTENCY_KEY],
        ),
        transfer=extend_schema(
            request=TransferInput,
            responses={200: serializer, **error_responses(400, 401, 403, 404, 409, 422)},
            parameters=[IDEMPOTENCY_KEY],
        ),
    )


class PoolActionsMixin(viewsets.GenericViewSet):
    """claim / release / transfer on the customers viewset."""

    def get_object(self) -> Any:
        """`claim` may name the caller's customers and every pool customer; the rest as usual."""
        if self.action != "claim":
            return super().get_object()
        user = self.request.user
        visible = selectors.customers(user).values("pk")
        pooled = pool_selectors.pool_customers(user).values("pk")
        pk = str(self.kwargs.get("pk", ""))
        customer = Customer.objects.filter(
            Q(pk__in=visible) | Q(pk__in=pooled), pk=int(pk) if pk.isdigit() else 0
        ).first()
        if customer is None:
            raise Customer.DoesNotExist
        self.check_object_permissions(self.request, customer)
        return customer

    def _answer(self, customer: Customer) -> Response:
        fresh = Customer.objects.select_related("owner", "department", "price_level").get(pk=customer.pk)
        return Response(self.get_serializer(fresh).data)

    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        """领取 a pool customer: the caller becomes its owner (limits: claim_limit, daily_claim_cap,
        claim_cooldown)."""
        customer: Customer = self.get_object()
        actor = actor_of(request)
        if actor is None:
            raise PermissionRefused()
        return self._answer(pool_services.claim_customer(customer, actor=actor))

    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """释放 to the pool, with a reason."""
        customer: Customer = self.get_object()
        form = PoolReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        released = pool_services.release_customer(
            customer, actor=actor_of(request), reason=form.validated_data["reason"]
        )
        return self._answer(released)

    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        """转移 to an active salesperson or assistant in the caller's scope, with a reason."""
        customer: Customer = self.get_object()
        form = TransferInput(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        moved = pool_services.transfer_customer(
            customer, actor=actor_of(request), to=data["to"], reason=data["reason"]
        )
        return self._answer(moved)
