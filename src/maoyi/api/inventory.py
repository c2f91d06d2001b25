"""stock-balances, stock-moves and lots (API.md): read-only views of the stock ledger.

Stock is company data, gated by model permissions (`inventory.view_stockbalance`,
`inventory.view_stockmove`, `inventory.view_lot`). Cost is shown only to callers who may see stock
moves: for the others a balance has no `unit_cost` (nor `value`) at all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter

from maoyi.api.errors import error_responses
from maoyi.api.permissions import ModelPermission
from maoyi.core.money import quantize_quantity
from maoyi.inventory import selectors
from maoyi.inventory.models import Lot, StockBalance, StockMove

COST_PERMISSION = "inventory.view_stockmove"
QUANTITY = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
COST = serializers.DecimalField(max_digits=20, decimal_places=6, read_only=True)
MONEY = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


def _sees_cost(serializer: serializers.Serializer) -> bool:
    request = serializer.context.get("request")
    # Without a request (the schema generator) every field is described.
    return request is None or bool(request.user.has_perm(COST_PERMISSION))


class StockBalanceSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True, label=_("商品编码"))
    product_name = serializers.CharField(source="product.name", read_only=True, label=_("商品名称"))
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True, label=_("批号"))
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True, label=_("有效期至"))
    reserved = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        source="level_reserved",
        read_only=True,
        label=_("预留"),
        help_text="reserved for approved orders, per product × warehouse",
    )
    available = serializers.SerializerMethodField(
        label=_("可用量"), help_text="unexpired on hand − reserved, per product × warehouse (never below 0)"
    )
    unit_cost = serializers.SerializerMethodField(
        label=_("单位成本"),
        help_text="moving-average cost of the product × warehouse; only with inventory.view_stockmove",
    )
    value = serializers.SerializerMethodField(
        label=_("金额"), help_text="on_hand × unit_cost; only with inventory.view_stockmove"
    )

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "product",
            "product_code",
            "product_name",
            "warehouse",
            "lot",
            "lot_number",
            "expiry_date",
            "on_hand",
            "reserved",
            "available",
            "unit_cost",
            "value",
        ]
        read_only_fields = fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not _sees_cost(self):
            self.fields.pop("unit_cost")
            self.fields.pop("value")

    @extend_schema_field(QUANTITY)
    def get_available(self, balance: Any) -> str:
        free = max(Decimal(balance.level_usable or 0) - Decimal(balance.level_reserved or 0), Decimal(0))
        return f"{quantize_quantity(free):f}"

    @extend_schema_field(COST)
    def get_unit_cost(self, balance: Any) -> str:
        return f"{selectors.average_cost(balance.level_value, balance.level_on_hand):f}"

    @extend_schema_field(MONEY)
    def get_value(self, balance: Any) -> str:
        return f"{selectors.lot_value(balance.on_hand, balance.level_value, balance.level_on_hand):f}"


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search", OpenApiTypes.STR, description="product code, name, pinyin or lot number"
            )
        ],
        responses={200: StockBalanceSerializer(many=True), **error_responses(401, 403)},
    ),
    retrieve=extend_schema(responses={200: StockBalanceSerializer, **error_responses(401, 403, 404)}),
)
class StockBalanceViewSet(viewsets.ReadOnlyModelViewSet):
    """On hand per product × warehouse × lot (lots with stock only)."""

    serializer_class = StockBalanceSerializer
    permission_classes = [ModelPermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["product", "warehouse", "lot"]
    ordering_fields = ["on_hand", "lot__expiry_date", "id"]

    def get_queryset(self) -> QuerySet[StockBalance]:
        return selectors.stock_balances()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = selectors.stock_balances(search=self.request.query_params.get("search", ""))
        return super().filter_queryset(queryset)


class StockMoveSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True, label=_("商品编码"))
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True, label=_("批号"))

    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "product_code",
            "warehouse",
            "lot",
            "lot_number",
            "kind",
            "quantity",
            "unit_cost",
            "value",
            "source_type",
            "source_number",
            "reverses",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="source document number contains"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="created on or after"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="created on or before"),
        ],
        responses={200: StockMoveSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: StockMoveSerializer, **error_responses(401, 403, 404)}),
)
class StockMoveViewSet(viewsets.ReadOnlyModelViewSet):
    """The immutable stock ledger, newest first."""

    serializer_class = StockMoveSerializer
    permission_classes = [ModelPermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["product", "lot", "warehouse", "kind"]
    ordering_fields = ["created_at", "id", "quantity"]

    def get_queryset(self) -> QuerySet[StockMove]:
        return selectors.moves()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the permission check (which reads the queryset's model)
        # answers first, so a refused caller gets 403 whatever the parameters.
        params = self.request.query_params
        queryset = selectors.moves(
            source_number=params.get("search", ""),
            date_from=_date_param(params, "date_from"),
            date_to=_date_param(params, "date_to"),
        )
        return super().filter_queryset(queryset)


def _date_param(params: Any, name: str) -> Any:
    raw = params.get(name, "")
    if not raw:
        return None
    return _field_value(serializers.DateField(), raw, name)


def _field_value(field: serializers.Field, raw: str, name: str) -> Any:
    """A query parameter parsed by a serializer field; 400 {name: [message]} when invalid."""
    try:
        return field.to_internal_value(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class LotSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True, label=_("商品编码"))
    product_name = serializers.CharField(source="product.name", read_only=True, label=_("商品名称"))
    on_hand = serializers.DecimalField(
        max_digits=18, decimal_places=4, read_only=True, label=_("现存量"), help_text="in all warehouses"
    )

    class Meta:
        model = Lot
        fields = [
            "id",
            "product",
            "product_code",
            "product_name",
            "lot_number",
            "production_date",
            "expiry_date",
            "on_hand",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "expiring_within_days",
                {"type": "integer", "minimum": 0, "maximum": 36500},
                description="only lots expiring within this many days from today (not yet expired)",
            ),
            OpenApiParameter("expired", OpenApiTypes.BOOL, description="only lots past their expiry date"),
            OpenApiParameter("search", OpenApiTypes.STR, description="lot number, product code or name"),
        ],
        responses={200: LotSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: LotSerializer, **error_responses(401, 403, 404)}),
)
class LotViewSet(viewsets.ReadOnlyModelViewSet):
    """Lots with stock, with their on hand in all warehouses, the first to expire first."""

    serializer_class = LotSerializer
    permission_classes = [ModelPermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["product"]
    ordering_fields = ["expiry_date", "lot_number", "on_hand", "id"]

    def get_queryset(self) -> QuerySet[Lot]:
        return selectors.lots()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        params = self.request.query_params
        within = params.get("expiring_within_days", "")
        expired = params.get("expired", "")
        queryset = selectors.lots(
            expiring_within_days=(
                _field_value(
                    serializers.IntegerField(min_value=0, max_value=36500), within, "expiring_within_days"
                )
                if within
                else None
            ),
            expired=bool(expired) and _field_value(serializers.BooleanField(), expired, "expired"),
            search=params.get("search", ""),
        )
        return super().filter_queryset(queryset)
