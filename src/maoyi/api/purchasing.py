"""REST resources of purchasing (API.md): suppliers with their contacts (read-only, nested).
Input serializer → one service → output serializer.

Suppliers are company data: every caller with the model's view permission sees every row; writes
need the add/change permission and go through `maoyi.purchasing.services`. There is no delete (405):
a supplier is switched off (`deactivate`) instead."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.viewsets import CrudViewSet, crud_schema, flag
from maoyi.core.money import Currency
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.purchasing import selectors
from maoyi.purchasing.models import Supplier, SupplierContact
from maoyi.purchasing.services import suppliers as services


class SupplierContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplierContact
        fields = ["id", "name", "title", "phone", "email", "is_primary", "note"]
        read_only_fields = fields


class SupplierSerializer(serializers.ModelSerializer):
    # Declared, so the service's duplicate checks (with their own messages) answer, not DRF's.
    code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        label=_("供应商编码"),
        help_text="blank: the next GYS number",
    )
    tax_id = serializers.CharField(max_length=40, required=False, allow_blank=True, label=_("税号"))
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.all(), allow_null=True, required=False, label=_("采购负责人")
    )
    buyer_name = serializers.CharField(source="buyer.name", read_only=True, default=None)
    contacts = SupplierContactSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "pinyin",
            "currency",
            "phone",
            "email",
            "address",
            "tax_id",
            "bank_name",
            "bank_account",
            "payment_terms_days",
            "payment_terms",
            "buyer",
            "buyer_name",
            "note",
            "is_active",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "pinyin", "is_active", "created_at", "updated_at"]
        validators: list[Any] = []


WRITABLE = (
    "code",
    "name",
    "short_name",
    "currency",
    "phone",
    "email",
    "address",
    "tax_id",
    "bank_name",
    "bank_account",
    "payment_terms_days",
    "payment_terms",
    "buyer",
    "note",
)

SUPPLIER_LIST_PARAMETERS = [
    OpenApiParameter("active", OpenApiTypes.BOOL, description="true: active suppliers, false: switched off"),
    OpenApiParameter("currency", OpenApiTypes.STR, enum=Currency.values),
]


@crud_schema(SupplierSerializer, list_parameters=SUPPLIER_LIST_PARAMETERS)
class SupplierViewSet(CrudViewSet):
    serializer_class = SupplierSerializer
    action_permissions = {"deactivate": "change", "reactivate": "change"}
    ordering_fields = ["code", "name", "pinyin", "currency", "payment_terms_days", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Supplier]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Supplier.objects.none()
        listing = self.action == "list"
        params = self.request.query_params
        active = flag(self.request, "active")
        qs = selectors.suppliers(
            search=params.get("search", "") if listing else "",
            active=(active if active is not None else flag(self.request, "is_active")) if listing else None,
            currency=params.get("currency", "") if listing else "",
        )
        return scope.visible(self.request.user, qs).prefetch_related("contacts")

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # `search` and the filters are the selector's (it knows pinyin initials).
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = {name: value for name, value in serializer.validated_data.items() if name in WRITABLE}
        serializer.instance = services.create_supplier(actor=scope.employee_of(self.request.user), **data)

    def perform_update(self, serializer: Any) -> None:
        supplier: Supplier = serializer.instance
        data = {name: getattr(supplier, name) for name in WRITABLE}
        data.update(serializer.validated_data)
        serializer.instance = services.update_supplier(
            supplier, actor=scope.employee_of(self.request.user), **data
        )

    def _reloaded(self, supplier: Supplier) -> Response:
        fresh = selectors.suppliers().prefetch_related("contacts").get(pk=supplier.pk)
        return Response(SupplierSerializer(fresh).data)

    @extend_schema(
        request=None,
        responses={200: SupplierSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """停用: new quotes and purchase orders can no longer pick the supplier."""
        supplier = services.set_supplier_active(
            self.get_object(), actor=scope.employee_of(request.user), active=False
        )
        return self._reloaded(supplier)

    @extend_schema(
        request=None,
        responses={200: SupplierSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        """启用 a supplier that was switched off."""
        supplier = services.set_supplier_active(
            self.get_object(), actor=scope.employee_of(request.user), active=True
        )
        return self._reloaded(supplier)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("suppliers", SupplierViewSet, basename="supplier")
