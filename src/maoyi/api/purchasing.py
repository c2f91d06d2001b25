"""REST resources of purchasing (API.md): suppliers with their contacts (read-only, nested), and
supplier quotes (`supplier-quotes`, action `withdraw`).
Input serializer → one service → output serializer.

Suppliers are company data: every caller with the model's view permission sees every row; writes
need the add/change permission and go through `maoyi.purchasing.services`. There is no delete (405):
a supplier is switched off (`deactivate`) instead."""

from __future__ import annotations

from decimal import Decimal
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
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import CrudViewSet, crud_schema, flag
from maoyi.catalog.models import Product
from maoyi.core.money import Currency
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.purchasing import selectors
from maoyi.purchasing.models import Supplier, SupplierContact, SupplierQuote
from maoyi.purchasing.services import quotes as quote_services
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
    buyer_name = serializers.CharField(source="buyer.name", read_only=True, default=None, allow_null=True)
    contacts = SupplierContactSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "version",
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
            supplier,
            actor=scope.employee_of(self.request.user),
            version=expected_version(self.request),
            **data,
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


# Supplier quotes (报价管理) ---------------------------------------------------------------------------


class SupplierQuoteSerializer(serializers.ModelSerializer):
    """A quote as read, and as written (create, update): a blank or missing `currency` takes the
    supplier's. Prices and quantities are checked by the service (at most four decimals)."""

    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all(), label=_("供应商"))
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), label=_("商品"))
    unit_price = serializers.DecimalField(max_digits=None, decimal_places=None, label=_("含税单价"))
    currency = serializers.ChoiceField(
        choices=Currency.choices,
        required=False,
        allow_blank=True,
        label=_("币种"),
        help_text="blank or missing: the supplier's currency",
    )
    min_quantity = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, label=_("起订量")
    )
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    created_by_name = serializers.CharField(
        source="created_by.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = SupplierQuote
        fields = [
            "id",
            "supplier",
            "supplier_code",
            "supplier_name",
            "product",
            "product_code",
            "product_name",
            "unit_price",
            "currency",
            "min_quantity",
            "valid_from",
            "valid_until",
            "note",
            "is_active",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = ["id", "is_active", "created_by", "created_at"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs  # the model's check constraints are the service's rules, with its messages


QUOTE_WRITABLE = (
    "supplier",
    "product",
    "unit_price",
    "currency",
    "min_quantity",
    "valid_from",
    "valid_until",
    "note",
)


class SupplierQuoteQuery(serializers.Serializer):
    supplier = serializers.IntegerField(required=False, min_value=1, help_text="supplier id")
    product = serializers.IntegerField(required=False, min_value=1, help_text="product id")
    valid_on = serializers.DateField(required=False, help_text="active quotes valid on this day")
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="false: withdrawn quotes only"
    )
    search = serializers.CharField(required=False, help_text="product or supplier code, name, pinyin")
    ordering = serializers.CharField(required=False)


QUOTE_LIST_PARAMETERS = [
    OpenApiParameter("supplier", OpenApiTypes.INT, description="supplier id"),
    OpenApiParameter("product", OpenApiTypes.INT, description="product id"),
    OpenApiParameter("valid_on", OpenApiTypes.DATE, description="active quotes valid on this day"),
    OpenApiParameter("active", OpenApiTypes.BOOL, description="true: not withdrawn, false: withdrawn"),
    OpenApiParameter("search", OpenApiTypes.STR),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=[*selectors.QUOTE_ORDERINGS, *(f"-{o}" for o in selectors.QUOTE_ORDERINGS)],
    ),
]


@crud_schema(SupplierQuoteSerializer, list_parameters=QUOTE_LIST_PARAMETERS)
class SupplierQuoteViewSet(CrudViewSet):
    """Supplier quotes (company data, gated by model permissions). No delete (405): a quote is
    withdrawn (`withdraw`) and stays in the product's price history."""

    serializer_class = SupplierQuoteSerializer
    action_permissions = {"withdraw": "change"}
    filter_backends: list[type] = []  # the selector filters, searches and orders

    def get_queryset(self) -> QuerySet[SupplierQuote]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return SupplierQuote.objects.none()
        return scope.visible(self.request.user, selectors.quotes(active=None))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the role check answers first (403 whatever the query).
        if self.action != "list":
            return queryset
        params = {name: value for name, value in self.request.query_params.items() if value != ""}
        query = SupplierQuoteQuery(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = selectors.quotes(
            search=data.get("search", ""),
            valid_on=data.get("valid_on"),
            active=data.get("active"),
            ordering=data.get("ordering", ""),
        )
        if data.get("supplier"):
            qs = qs.filter(supplier_id=data["supplier"])
        if data.get("product"):
            qs = qs.filter(product_id=data["product"])
        return scope.visible(self.request.user, qs)

    def perform_create(self, serializer: Any) -> None:
        data = {name: value for name, value in serializer.validated_data.items() if name in QUOTE_WRITABLE}
        data.setdefault("min_quantity", Decimal("0"))
        quote = quote_services.create_quote(actor=scope.employee_of(self.request.user), **data)
        serializer.instance = selectors.quote(quote.pk)  # as stored

    def perform_update(self, serializer: Any) -> None:
        quote: SupplierQuote = serializer.instance
        data = {name: getattr(quote, name) for name in QUOTE_WRITABLE}
        data.update({k: v for k, v in serializer.validated_data.items() if k in QUOTE_WRITABLE})
        quote = quote_services.update_quote(quote, actor=scope.employee_of(self.request.user), **data)
        serializer.instance = selectors.quote(quote.pk)  # as stored

    @extend_schema(
        request=None,
        responses={200: SupplierQuoteSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """撤回: the quote no longer counts as valid but stays in the price history."""
        quote = quote_services.withdraw_quote(self.get_object(), actor=scope.employee_of(request.user))
        return Response(SupplierQuoteSerializer(selectors.quote(quote.pk)).data)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("suppliers", SupplierViewSet, basename="supplier")
    router.register("supplier-quotes", SupplierQuoteViewSet, basename="supplier-quote")
