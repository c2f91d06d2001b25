"""products (with nested level prices and the `availability` action), warehouses, categories and
price-levels (API.md): input serializer → one service → output serializer.

The catalog is company data: every caller with the model's view permission sees every row; writes
need the add/change permission and go through `maoyi.catalog.services` or
`maoyi.inventory.services.warehouses`."""

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

from maoyi.api.errors import error_responses
from maoyi.api.fields import SafeSlugRelatedField
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import CrudViewSet, actor_of, crud_schema, flag
from maoyi.catalog import selectors, services
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.core.errors import PermissionRefused
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Warehouse
from maoyi.inventory.selectors import availability
from maoyi.inventory.services import warehouses as warehouse_services
from maoyi.org.models import Employee, EmployeeStatus

AVAILABILITY_PERMISSION = "inventory.view_stockbalance"
# Products ------------------------------------------------------------------------------------------


class ProductPriceListSerializer(serializers.ListSerializer):
    """A product's level prices in price-level order, prefetched or not."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if hasattr(data, "all") else data)
        rows.sort(key=lambda r: (r.price_level.kind, r.price_level.sort_order, r.price_level_id))
        return [self.child.to_representation(row) for row in rows]  # type: ignore[union-attr]


class ProductPriceSerializer(serializers.ModelSerializer):
    price_level = SafeSlugRelatedField(
        slug_field="code", queryset=PriceLevel.objects.all(), label=_("价格等级")
    )

    class Meta:
        model = ProductPrice
        fields = ["price_level", "price"]
        list_serializer_class = ProductPriceListSerializer


class ProductSerializer(serializers.ModelSerializer):
    # Declared, so the service's duplicate check (with its own message) answers, not DRF's validator.
    code = serializers.CharField(max_length=40, label=_("商品编码"))
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False, label=_("分类")
    )
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    prices = ProductPriceSerializer(
        many=True,
        required=False,
        label=_("等级价格"),
        help_text="the product's price per price level (code); on write the list replaces them all",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "version",
            "code",
            "name",
            "pinyin",
            "specification",
            "unit",
            "category",
            "category_name",
            "brand",
            "manufacturer",
            "registration_number",
            "registration_expires_on",
            "lot_tracked",
            "shelf_life_days",
            "purchase_price",
            "sale_price",
            "min_sale_price",
            "min_stock",
            "max_stock",
            "barcode",
            "is_active",
            "prices",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "pinyin", "is_active", "created_at", "updated_at"]

    def validate_prices(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = [row["price_level"].code for row in value]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError(_("同一价格等级只能填写一个价格。"))
        return value


PRODUCT_DEFAULTS: dict[str, Any] = {
    "unit": Product._meta.get_field("unit").default,
    "specification": "",
    "category": None,
    "brand": "",
    "manufacturer": "",
    "registration_number": "",
    "registration_expires_on": None,
    "lot_tracked": True,
    "shelf_life_days": None,
    "purchase_price": Decimal("0"),
    "sale_price": Decimal("0"),
    "min_sale_price": None,
    "min_stock": Decimal("0"),
    "max_stock": None,
    "barcode": "",
}


class AvailabilityRowSerializer(serializers.Serializer):
    warehouse = serializers.IntegerField(source="warehouse_id", allow_null=True, label=_("仓库"))
    warehouse_name = serializers.CharField(source="warehouse", label=_("仓库名称"))
    on_hand = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("现存量"))
    reserved = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("已预留"))
    available = serializers.DecimalField(
        max_digits=18, decimal_places=4, label=_("可用量"), help_text="unexpired on hand − reserved"
    )
    incoming = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("在途量"))


class AvailabilityTotalSerializer(serializers.Serializer):
    on_hand = serializers.DecimalField(max_digits=18, decimal_places=4)
    reserved = serializers.DecimalField(max_digits=18, decimal_places=4)
    available = serializers.DecimalField(max_digits=18, decimal_places=4)
    incoming = serializers.DecimalField(max_digits=18, decimal_places=4)


class AvailabilitySerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    product_code = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    unit = serializers.CharField(source="product.unit")
    warehouses = AvailabilityRowSerializer(many=True)
    total = AvailabilityTotalSerializer()


class WarehouseQuerySerializer(serializers.Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True, label=_("仓库")
    )


PRODUCT_LIST_PARAMETERS = [
    OpenApiParameter("category", OpenApiTypes.INT, description="a category id: the category and its subtree"),
    OpenApiParameter("is_active", OpenApiTypes.BOOL),
    OpenApiParameter("lot_tracked", OpenApiTypes.BOOL),
]


@crud_schema(ProductSerializer, list_parameters=PRODUCT_LIST_PARAMETERS)
class ProductViewSet(CrudViewSet):
    serializer_class = ProductSerializer
    action_permissions = {"availability": "view", "deactivate": "change", "reactivate": "change"}
    ordering_fields = ["code", "name", "pinyin", "purchase_price", "sale_price", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Product]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Product.objects.none()
        params = self.request.query_params
        category = None
        if self.action == "list" and params.get("category", "").isdigit():
            category = Category.objects.filter(pk=params["category"]).first()
            if category is None:
                return Product.objects.none()
        return selectors.products(
            search=params.get("search", "") if self.action == "list" else "",
            category=category,
            active=flag(self.request, "is_active") if self.action == "list" else None,
            lot_tracked=flag(self.request, "lot_tracked") if self.action == "list" else None,
        ).prefetch_related("prices__price_level")

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # `search` and the filters are the selector's (it knows pinyin and the category subtree).
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def _prices(self, rows: list[dict[str, Any]] | None, product: Product | None) -> Any:
        if rows is None:
            return None
        given: dict[PriceLevel, Decimal | None] = {row["price_level"]: row["price"] for row in rows}
        if product is not None:  # the list replaces the product's prices: the others are removed
            for held in ProductPrice.objects.filter(product=product).select_related("price_level"):
                given.setdefault(held.price_level, None)
        return given

    def perform_create(self, serializer: Any) -> None:
        data = {**PRODUCT_DEFAULTS, **serializer.validated_data}
        prices = self._prices(data.pop("prices", None), None)
        serializer.instance = services.create_product(actor=actor_of(self.request), prices=prices, **data)

    def perform_update(self, serializer: Any) -> None:
        product: Product = serializer.instance
        current = {name: getattr(product, name) for name in (*PRODUCT_DEFAULTS, "code", "name")}
        data = {**current, **serializer.validated_data}
        prices = self._prices(data.pop("prices", None), product)
        serializer.instance = services.update_product(
            product,
            actor=actor_of(self.request),
            version=expected_version(self.request),
            prices=prices,
            **data,
        )

    @extend_schema(
        parameters=[OpenApiParameter("warehouse", OpenApiTypes.INT, description="only this warehouse")],
        responses={200: AvailabilitySerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, pk: str | None = None) -> Response:
        """On hand, reserved, available (expired lots are not available) and incoming per active
        warehouse, with the total; quantities are decimal strings."""
        if not request.user.has_perm(AVAILABILITY_PERMISSION):
            raise PermissionRefused()
        product = self.get_object()
        query = WarehouseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        warehouse = query.validated_data.get("warehouse")
        stock = availability(product, warehouse_id=warehouse.pk if warehouse else None)
        return Response(AvailabilitySerializer(stock).data)

    @extend_schema(
        request=None,
        responses={200: ProductSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """停用: new documents can no longer pick the product."""
        product = services.deactivate_product(self.get_object(), actor=actor_of(request))
        return Response(ProductSerializer(product).data)

    @extend_schema(
        request=None,
        responses={200: ProductSerializer, **error_responses(401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        """启用 a product that was switched off."""
        product = services.reactivate_product(self.get_object(), actor=actor_of(request))
        return Response(ProductSerializer(product).data)


# Warehouses ----------------------------------------------------------------------------------------


class WarehouseSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=20, label=_("仓库编码"))
    keeper = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.filter(status=EmployeeStatus.ACTIVE),
        allow_null=True,
        required=False,
        label=_("仓管员"),
    )
    keeper_name = serializers.CharField(source="keeper.name", read_only=True, default=None)

    class Meta:
        model = Warehouse
        fields = ["id", "version", "code", "name", "address", "keeper", "keeper_name", "is_active"]
        read_only_fields = ["id"]


@crud_schema(WarehouseSerializer, list_parameters=[OpenApiParameter("is_active", OpenApiTypes.BOOL)])
class WarehouseViewSet(CrudViewSet):
    serializer_class = WarehouseSerializer
    ordering_fields = ["code", "name", "id"]

    def get_queryset(self) -> QuerySet[Warehouse]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Warehouse.objects.none()
        listing = self.action == "list"
        return inventory_selectors.warehouses(
            search=self.request.query_params.get("search", "") if listing else "",
            active=flag(self.request, "is_active") if listing else None,
        )

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = warehouse_services.create_warehouse(
            actor=actor_of(self.request),
            code=data["code"],
            name=data["name"],
            address=data.get("address", ""),
            keeper=data.get("keeper"),
        )

    def perform_update(self, serializer: Any) -> None:
        warehouse: Warehouse = serializer.instance
        data = serializer.validated_data
        serializer.instance = warehouse_services.update_warehouse(
            warehouse,
            actor=actor_of(self.request),
            version=expected_version(self.request),
            code=data.get("code", warehouse.code),
            name=data.get("name", warehouse.name),
            address=data.get("address", warehouse.address),
            keeper=data.get("keeper", warehouse.keeper),
            is_active=data.get("is_active", warehouse.is_active),
        )


# Categories and price levels -----------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    # A declared field named "parent" shadows Field.parent only in the stubs: the serializer
    # metaclass moves declared fields off the class.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(), allow_null=True, required=False, label=_("上级分类")
    )
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "name_en", "parent", "path", "depth", "sort_order", "is_active"]
        read_only_fields = ["id", "path"]
        # The service checks sibling names with its own message, on the `name` field.
        validators: list[Any] = []


@crud_schema(CategorySerializer)
class CategoryViewSet(CrudViewSet):
    serializer_class = CategorySerializer
    search_fields = ["name", "name_en"]
    ordering_fields = ["path", "name", "sort_order", "id"]
    filterset_fields = ["parent", "is_active"]

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.categories()

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_category(
            actor=actor_of(self.request),
            name=data["name"],
            parent=data.get("parent"),
            name_en=data.get("name_en", ""),
            sort_order=data.get("sort_order", 0),
        )

    def perform_update(self, serializer: Any) -> None:
        category: Category = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.update_category(
            category,
            actor=actor_of(self.request),
            name=data.get("name", category.name),
            parent=data.get("parent", category.parent),
            name_en=data.get("name_en", category.name_en),
            sort_order=data.get("sort_order", category.sort_order),
            is_active=data.get("is_active", category.is_active),
        )


class PriceLevelSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=40, label=_("代码"))

    class Meta:
        model = PriceLevel
        fields = ["id", "code", "name", "name_en", "kind", "sort_order", "is_active"]
        read_only_fields = ["id"]


@crud_schema(PriceLevelSerializer)
class PriceLevelViewSet(CrudViewSet):
    serializer_class = PriceLevelSerializer
    search_fields = ["code", "name", "name_en"]
    ordering_fields = ["kind", "sort_order", "code", "id"]
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self) -> QuerySet[PriceLevel]:
        return selectors.price_levels()

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_price_level(
            actor=actor_of(self.request),
            code=data["code"],
            name=data["name"],
            kind=data.get("kind", "customer"),
            name_en=data.get("name_en", ""),
            sort_order=data.get("sort_order", 0),
        )

    def perform_update(self, serializer: Any) -> None:
        level: PriceLevel = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.update_price_level(
            level,
            actor=actor_of(self.request),
            code=data.get("code", level.code),
            name=data.get("name", level.name),
            kind=data.get("kind", level.kind),
            name_en=data.get("name_en", level.name_en),
            sort_order=data.get("sort_order", level.sort_order),
            is_active=data.get("is_active", level.is_active),
        )
