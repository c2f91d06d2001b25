"""REST resources of crm (API.md): customers. Input serializer → one service → output serializer.

Customers are owned data: the queryset goes through the data scope, so a customer outside it
answers 404 like a missing one; there is no delete (405). The duplicate check answers 409
`duplicate_customer` naming only who owns the existing customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import BaseRouter

from maoyi.api.crm_pool import PoolActionsMixin, pool_schema
from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.permissions import ModelPermission
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import actor_of
from maoyi.catalog.models import PriceLevel
from maoyi.crm import selectors, services
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel
from maoyi.org import scope
from maoyi.org.models import Employee

WRITABLE = (
    "name",
    "kind",
    "level",
    "parent",
    "channel_partner",
    "phone",
    "tax_id",
    "address",
    "credit_limit",
    "price_level",
    "source",
    "tags",
    "note",
)


# What a new customer gets for the fields left out; an update keeps the customer's values instead.
CREATE_DEFAULTS: dict[str, Any] = {"level": CustomerLevel.B, "credit_limit": Decimal("0")}


class CustomerSerializer(serializers.ModelSerializer):
    # Declared, so the service's duplicate check (409 duplicate_customer) answers, not DRF's validator.
    tax_id = serializers.CharField(max_length=20, required=False, allow_blank=True, label=_("税号"))
    level = serializers.ChoiceField(choices=CustomerLevel.choices, required=False, label=_("客户等级"))
    credit_limit = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, label=_("信用额度")
    )
    # A declared field named "parent" shadows Field.parent only in the stubs (see api/catalog.py).
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Customer.objects.none(), allow_null=True, required=False, label=_("上级渠道")
    )
    channel_partner = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), allow_null=True, required=False, label=_("所属渠道")
    )
    price_level = serializers.PrimaryKeyRelatedField(
        queryset=PriceLevel.objects.all(), allow_null=True, required=False, label=_("价格等级")
    )
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "version",
            "name",
            "kind",
            "kind_display",
            "level",
            "level_display",
            "parent",
            "channel_partner",
            "phone",
            "tax_id",
            "address",
            "credit_limit",
            "price_level",
            "source",
            "tags",
            "note",
            "owner",
            "owner_name",
            "department",
            "pinyin",
            "last_activity_at",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "owner",
            "department",
            "pinyin",
            "last_activity_at",
            "is_active",
            "created_at",
            "updated_at",
        ]
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only partners the caller may see can be picked: an unknown id reads like a missing one.
            visible = scope.visible(request.user, Customer.objects.all())
            fields: Any = self.fields
            fields["parent"].queryset = visible
            fields["channel_partner"].queryset = visible


LIST_PARAMETERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, enum=CustomerKind.values),
    OpenApiParameter("level", OpenApiTypes.STR, enum=CustomerLevel.values),
    OpenApiParameter("owner", OpenApiTypes.INT, description="the owner's employee id"),
]


@extend_schema_view(
    list=extend_schema(
        responses={200: CustomerSerializer(many=True), **error_responses(401, 403)},
        parameters=LIST_PARAMETERS,
    ),
    retrieve=extend_schema(responses={200: CustomerSerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        responses={201: CustomerSerializer, **error_responses(400, 401, 403, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
    update=extend_schema(responses={200: CustomerSerializer, **error_responses(400, 401, 403, 404, 409)}),
    partial_update=extend_schema(
        responses={200: CustomerSerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
)
@pool_schema(CustomerSerializer)
class CustomerViewSet(
    PoolActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers in the caller's data scope; `search` matches name (also without 有限公司 and
    brackets), phone, tax id and pinyin initials."""

    serializer_class = CustomerSerializer
    permission_classes = [ModelPermission]
    ordering_fields = [
        "name",
        "pinyin",
        "kind",
        "level",
        "credit_limit",
        "last_activity_at",
        "created_at",
        "id",
    ]

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Customer.objects.none()
        if self.action != "list":
            return selectors.customers(self.request.user)
        params = self.request.query_params
        owner = None
        if params.get("owner"):
            owner = Employee.objects.filter(pk=params["owner"]).first() if params["owner"].isdigit() else None
            if owner is None:
                return Customer.objects.none()
        return selectors.customers(
            self.request.user,
            search=params.get("search", ""),
            kind=params.get("kind", ""),
            level=params.get("level", ""),
            owner=owner,
        )

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # `search` and the filters are the selector's (it knows pinyin and the name key).
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = {**CREATE_DEFAULTS, **serializer.validated_data}
        serializer.instance = services.create_customer(actor=actor_of(self.request), **data)

    def perform_update(self, serializer: Any) -> None:
        customer: Customer = serializer.instance
        current = {name: getattr(customer, name) for name in WRITABLE}
        data = {**current, **serializer.validated_data}
        serializer.instance = services.update_customer(
            customer, actor=actor_of(self.request), version=expected_version(self.request), **data
        )


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("customers", CustomerViewSet, basename="customer")
