"""REST resource `opportunities` (机会, API.md): input serializer → one service → output serializer.

Opportunities are seen through their customer: the queryset goes through the data scope, so one
outside it answers 404 like a missing one, and a customer the caller cannot see is refused on
create as an unknown id (400). A `stage` change on update goes through the same rule as the
pages (`move_stage`: 赢单 and 输单 are final → 409 invalid_state; 输单 needs `lost_reason` → 400).
There is no delete (405)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import CrudViewSet, actor_of
from maoyi.core.errors import DomainError
from maoyi.crm.models import Customer, Opportunity, OpportunityStage
from maoyi.crm.selectors import opportunities as selectors
from maoyi.crm.services import opportunities as services
from maoyi.org import scope

EDITABLE = ("title", "expected_amount", "expected_close", "note")


class OpportunitySerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), label=_("客户"))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    # Blank passes here so the service's own message answers (400 {"title": ["请填写机会名称。"]}).
    title = serializers.CharField(max_length=200, allow_blank=True, label=_("机会名称"))
    stage = serializers.ChoiceField(choices=OpportunityStage.choices, required=False, label=_("阶段"))
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    expected_amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("预计金额"))
    owner = serializers.IntegerField(
        source="customer.owner_id", read_only=True, allow_null=True, help_text="the customer's owner"
    )
    owner_name = serializers.CharField(
        source="customer.owner.name", read_only=True, default=None, allow_null=True
    )
    created_by_name = serializers.CharField(
        source="created_by.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "version",
            "customer",
            "customer_name",
            "title",
            "stage",
            "stage_display",
            "expected_amount",
            "expected_close",
            "lost_reason",
            "note",
            "owner",
            "owner_name",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"lost_reason": {"required": False}, "note": {"required": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only customers the caller may see can be picked: an unknown id reads like a missing one.
            fields: Any = self.fields
            fields["customer"].queryset = scope.visible(request.user, Customer.objects.all())


LIST_PARAMETERS = [
    OpenApiParameter("customer", OpenApiTypes.INT, description="the customer's id"),
    OpenApiParameter("stage", OpenApiTypes.STR, enum=OpportunityStage.values),
    OpenApiParameter("owner", OpenApiTypes.INT, description="the customer owner's employee id"),
    OpenApiParameter("closing_before", OpenApiTypes.DATE, description="expected to close on or before"),
]


@extend_schema_view(
    list=extend_schema(
        responses={200: OpportunitySerializer(many=True), **error_responses(401, 403)},
        parameters=LIST_PARAMETERS,
    ),
    retrieve=extend_schema(responses={200: OpportunitySerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        responses={201: OpportunitySerializer, **error_responses(400, 401, 403, 404, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
    update=extend_schema(responses={200: OpportunitySerializer, **error_responses(400, 401, 403, 404, 409)}),
    partial_update=extend_schema(
        responses={200: OpportunitySerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
)
class OpportunityViewSet(CrudViewSet):
    """Opportunities of the customers in the caller's data scope; `search` matches the title, the
    customer's name and its pinyin initials."""

    serializer_class = OpportunitySerializer
    ordering_fields = ["updated_at", "created_at", "expected_close", "expected_amount", "title", "id"]

    def get_queryset(self) -> QuerySet[Opportunity]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Opportunity.objects.none()
        if self.action != "list":
            return selectors.opportunities(self.request.user)
        params = self.request.query_params
        for name in ("customer", "owner"):
            if params.get(name) and not params[name].isdigit():
                return Opportunity.objects.none()
        stage = params.get("stage", "")
        if stage and stage not in OpportunityStage.values:
            return Opportunity.objects.none()
        closing_before = None
        if params.get("closing_before"):
            try:
                closing_before = dt.date.fromisoformat(params["closing_before"])
            except ValueError:
                return Opportunity.objects.none()
        return selectors.opportunities(
            self.request.user,
            stage=stage,
            owner_id=params.get("owner") or None,
            customer_id=int(params["customer"]) if params.get("customer") else None,
            search=params.get("search", ""),
            closing_before=closing_before,
        )

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # `search` and the filters are the selector's (it knows the customer's pinyin).
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.setdefault("stage", OpportunityStage.INITIAL)
        serializer.instance = services.create_opportunity(actor=actor_of(self.request), **data)

    @transaction.atomic
    def perform_update(self, serializer: Any) -> None:
        """Field changes through `update_opportunity`, a stage change through `move_stage`, in one
        transaction: a refused stage change leaves the fields as they were."""
        opportunity: Opportunity = serializer.instance
        actor = actor_of(self.request)
        data = serializer.validated_data
        customer = data.get("customer")
        if customer is not None and customer.pk != opportunity.customer_id:
            raise DomainError(_("机会的客户不能修改。"), code="invalid", field="customer")
        current = {name: getattr(opportunity, name) for name in EDITABLE}
        fields = {**current, **{k: v for k, v in data.items() if k in EDITABLE}}
        version = expected_version(self.request)
        if fields != current:
            opportunity = services.update_opportunity(opportunity, actor=actor, version=version, **fields)
            version = None  # checked; a stage change below only bumps it again
        stage = data.get("stage", opportunity.stage)
        lost_reason = data.get("lost_reason", opportunity.lost_reason)
        if stage != opportunity.stage or (
            stage == OpportunityStage.LOST and lost_reason != opportunity.lost_reason
        ):
            opportunity = services.move_stage(
                opportunity, actor=actor, stage=stage, lost_reason=lost_reason, version=version
            )
        serializer.instance = selectors.opportunity(self.request.user, opportunity.pk)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
