"""sales-orders (with `ship`), shipments (with `deliver`) and sales-returns (with `receive`)
(API.md). Input serializer → one `maoyi.sales.services` call → output serializer.

Rows are scoped exactly as `maoyi.sales.selectors` and `maoyi.sales.shipping_selectors`: a
salesperson sees their own orders (and their shipments and returns), assistants and managers their
department's, logistics and finance all; a record outside the caller's scope answers 404 like a
missing one. Nothing is deleted (405): a document is cancelled (作废).

Shapes follow API.md: a line's `unit_price` is tax-inclusive, its `tax_rate` and `discount_rate`
fractions (`"0.13"`, `"0.05"`; the model keeps percentages); a missing or null `unit_price` takes the
proposed price (quote → contract → last price → price level → sale price) and the line tells where
it came from (`price_source`). An order made from a `quote` without `lines` takes the quote's lines.

A return line names the goods either by `shipment_line` (id), or as API.md writes it by `line` (the
order line id) and `lot_number` (blank for a product without lot tracking): the quantity is then
taken from the shipment lines of that order line and lot, oldest shipment first (a refusal's
`field` names the request's row; the message counts the shipment lines it was split into).

A 409 about one field or line carries that field's path besides `detail` and `code`
(`{"detail", "code": "below_min_price", "field": "lines.0.unit_price"}`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.approvals import ApproveInput, RejectInput
from maoyi.api.documents import ApprovalActionsMixin
from maoyi.api.errors import error_responses
from maoyi.api.pdf import PdfActionMixin
from maoyi.api.purchase_orders import (
    DocumentPermission,
    DocumentReasonInput,
    LinkedObligationSerializer,
    TaxRateField,
)
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import acting, posted
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope, line_error
from maoyi.crm.models import Contract, Customer, Quote
from maoyi.crm.selectors import quotes as quote_selectors
from maoyi.finance import selectors as ledger_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, Obligation
from maoyi.inventory.models import Warehouse
from maoyi.org import scope
from maoyi.sales import selectors, shipping_selectors
from maoyi.sales.models import (
    SalesOrder,
    SalesOrderInstallment,
    SalesOrderLine,
    SalesReturn,
    SalesReturnLine,
    Shipment,
    ShipmentLine,
)
from maoyi.sales.services import orders as order_services
from maoyi.sales.services import returns as return_services
from maoyi.sales.services import shipments as shipment_services

MAX_ID = 2**63 - 1
ZERO = Decimal("0")
STATUS_HELP = "draft, submitted, approved, rejected, in_progress, done, cancelled"


def _quantity() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters parsed by a serializer (blank ones ignored); 400 {name: [message]}."""
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _may_see(context: dict[str, Any], perm: str) -> bool:
    request = context.get("request")
    return request is not None and request.user.has_perm(perm)


class SalesDocumentLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.INT)
class _ScopedCustomer(serializers.PrimaryKeyRelatedField):
    """A customer the caller may see (others are refused as an unknown id)."""

    def get_queryset(self) -> QuerySet[Customer]:
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        return scope.visible(request.user, Customer.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class _ScopedContract(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Contract]:
        request = self.context.get("request")
        if request is None:
            return Contract.objects.none()
        return scope.visible(request.user, Contract.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class _ScopedQuote(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Quote]:
        request = self.context.get("request")
        if request is None:
            return Quote.objects.none()
        return quote_selectors.quotes(request.user)


# Sales orders: reading -----------------------------------------------------------------------------


class SalesOrderLineSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    discount_rate = TaxRateField(read_only=True, help_text="fraction, e.g. 0.05")
    tax_rate = TaxRateField(read_only=True, help_text="fraction, e.g. 0.13")
    price_source = serializers.CharField(
        read_only=True, help_text="contract, last_price, price_level, sale_price, quote or typed"
    )
    amount = _money()
    tax_amount = _money()
    amount_ex_tax = _money()
    open_quantity = _quantity()

    class Meta:
        model = SalesOrderLine
        fields = [
            "id",
            "product",
            "product_code",
            "product_name",
            "unit",
            "quantity",
            "unit_price",
            "discount_rate",
            "tax_rate",
            "price_source",
            "below_min_reason",
            "amount",
            "tax_amount",
            "amount_ex_tax",
            "shipped_quantity",
            "returned_quantity",
            "open_quantity",
        ]
        read_only_fields = fields


class SalesOrderInstallmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesOrderInstallment
        fields = ["id", "due_date", "amount"]
        read_only_fields = fields


class SalesOrderSerializer(serializers.ModelSerializer):
    """销售订单 as read. `amount` is tax-inclusive after discounts; `receivable` is the receivable its
    approval opened (null before approval, once reversed, or for those who may not see it)."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    contract_number = serializers.CharField(
        source="contract.number", read_only=True, default=None, allow_null=True
    )
    quote_number = serializers.CharField(source="quote.number", read_only=True, default=None, allow_null=True)
    amount = _money()
    lines = SalesOrderLineSerializer(many=True, read_only=True)
    installments = SalesOrderInstallmentSerializer(many=True, read_only=True)
    shipments = SalesDocumentLinkSerializer(many=True, read_only=True)
    returns = SalesDocumentLinkSerializer(many=True, read_only=True)
    receivable = serializers.SerializerMethodField()

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "version",
            "number",
            "status",
            "status_display",
            "customer",
            "customer_name",
            "warehouse",
            "warehouse_name",
            "contract",
            "contract_number",
            "quote",
            "quote_number",
            "order_date",
            "delivery_date",
            "delivery_address",
            "receiver",
            "receiver_phone",
            "note",
            "amount",
            "lines",
            "installments",
            "owner",
            "owner_name",
            "department",
            "credit_override_reason",
            "receivable",
            "shipments",
            "returns",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedObligationSerializer(allow_null=True))
    def get_receivable(self, order: SalesOrder) -> dict[str, Any] | None:
        if not _may_see(self.context, "finance.view_receivable"):
            return None
        known: dict[int, Obligation] | None = self.context.get("receivables")
        if known is None:
            known = ledger_selectors.opened_by(
                SalesOrder.DOCUMENT_TYPE, [order.pk], direction=Direction.RECEIVABLE
            )
        found = known.get(order.pk)
        return dict(LinkedObligationSerializer(found).data) if found is not None else None


def _order_rows(qs: QuerySet[SalesOrder]) -> QuerySet[SalesOrder]:
    return qs.select_related(
        "customer", "warehouse", "owner", "department", "contract", "quote"
    ).prefetch_related(
        Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product").order_by("id")),
        Prefetch("installments", queryset=SalesOrderInstallment.objects.order_by("due_date", "id")),
        Prefetch("shipments", queryset=Shipment.objects.order_by("shipped_on", "id")),
        Prefetch("returns", queryset=SalesReturn.objects.order_by("created_at", "id")),
    )


# Sales orders: writing -----------------------------------------------------------------------------


class SalesOrderLineInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("商品"))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))
    unit_price = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        allow_null=True,
        label=_("含税单价"),
        help_text="tax-inclusive; missing or null: the proposed price (see price_source)",
    )
    discount_rate = TaxRateField(required=False, label=_("折扣"), help_text="fraction, default 0")
    tax_rate = TaxRateField(required=False, label=_("税率"), help_text="fraction, default 0.13")
    below_min_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("低于最低售价原因"),
        help_text="needed (with the permission) to sell under the product's minimum sale price",
    )

    def to_line(self, row: dict[str, Any]) -> order_services.OrderLineInput:
        return order_services.OrderLineInput(
            product_id=row["product"],
            quantity=row["quantity"],
            unit_price=row.get("unit_price"),
            discount_rate=row.get("discount_rate", ZERO),
            tax_rate=row.get("tax_rate", order_services.DEFAULT_TAX_RATE),
            below_min_reason=row.get("below_min_reason", ""),
        )


class SalesOrderInstallmentInput(serializers.Serializer):
    due_date = serializers.DateField(label=_("到期日"))
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("金额"))


HEADER_INPUTS = (
    "customer",
    "warehouse",
    "contract",
    "order_date",
    "delivery_date",
    "delivery_address",
    "receiver",
    "receiver_phone",
    "note",
)


class SalesOrderInput(serializers.Serializer):
    """A new order, or (PUT) the whole of a draft or rejected one: lines and installments are
    replaced. PATCH keeps what is not given. An order from a `quote` may leave out `lines` (the
    quote's are taken); the quote cannot be changed afterwards."""

    customer = _ScopedCustomer(required=False, label=_("客户"), help_text="required unless from a quote")
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), label=_("发货仓库"))
    contract = _ScopedContract(required=False, allow_null=True, label=_("合同"))
    quote = _ScopedQuote(required=False, allow_null=True, label=_("来源报价"), help_text="create only")
    order_date = serializers.DateField(
        required=False, allow_null=True, label=_("订单日期"), help_text="default today"
    )
    delivery_date = serializers.DateField(required=False, allow_null=True, label=_("要求交货日期"))
    delivery_address = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        label=_("收货地址"),
        help_text="default the customer's",
    )
    receiver = serializers.CharField(max_length=60, required=False, allow_blank=True, label=_("收货人"))
    receiver_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, label=_("收货电话")
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, label=_("备注"))
    lines = SalesOrderLineInput(many=True, required=False, allow_empty=True)
    installments = SalesOrderInstallmentInput(
        many=True,
        required=False,
        help_text="optional; they must add up to the amount (default: one installment 30 days after the "
        "delivery date, else the order date)",
    )

    def _lines(self) -> list[order_services.OrderLineInput]:
        line_form: Any = self.fields["lines"]
        return [line_form.child.to_line(row) for row in self.validated_data["lines"]]

    def _installments(self) -> list[finance.InstallmentInput]:
        return [
            finance.InstallmentInput(row["due_date"], row["amount"])
            for row in self.validated_data.get("installments", [])
        ]

    def to_create(self) -> dict[str, Any]:
        data = self.validated_data
        kwargs: dict[str, Any] = {name: data[name] for name in HEADER_INPUTS if name in data}
        kwargs["installments"] = self._installments()
        quote = data.get("quote")
        if quote is not None and "lines" not in data:
            kwargs.pop("customer", None)
            return {"quote": quote, **kwargs}
        if quote is not None:
            kwargs["quote"] = quote
            kwargs.setdefault("customer", quote.customer)
        if "customer" not in kwargs:
            raise serializers.ValidationError({"customer": [_("请选择客户。")]})
        kwargs["lines"] = self._lines() if "lines" in data else []
        return kwargs

    def to_update(self, current: SalesOrder | None) -> dict[str, Any]:
        """The service's keyword arguments; for PATCH, what is missing comes from `current`."""
        data = self.validated_data
        kwargs: dict[str, Any] = {}
        if current is not None:
            kwargs = {name: getattr(current, name) for name in HEADER_INPUTS}
            kwargs["lines"] = [
                order_services.OrderLineInput(
                    line.product_id,
                    line.quantity,
                    line.unit_price,
                    line.discount_rate,
                    line.tax_rate,
                    line.below_min_reason,
                )
                for line in current.lines.order_by("id")
            ]
            kwargs["installments"] = [
                finance.InstallmentInput(i.due_date, i.amount) for i in current.installments.all()
            ]
        for name in HEADER_INPUTS:
            if name in data:
                kwargs[name] = data[name]
        if "lines" in data or current is None:
            kwargs["lines"] = self._lines() if "lines" in data else []
        if "installments" in data or current is None:
            kwargs["installments"] = self._installments()
        if "customer" not in kwargs:
            raise serializers.ValidationError({"customer": [_("请选择客户。")]})
        return kwargs


class SalesApproveInput(serializers.Serializer):
    comment = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("审批意见")
    )
    credit_override_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("超信用额度原因"),
        help_text="lets an approver with the permission approve above the customer's credit limit",
    )


class ShipLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("订单明细"))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))
    lot = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, label=_("批次"), help_text="lot id"
    )
    lot_number = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        label=_("批号"),
        help_text="instead of lot; neither: first expiry first out",
    )


class SalesShipInput(serializers.Serializer):
    """发货: some of the order's open quantities leave (partial shipments are fine)."""

    lines = ShipLineInput(many=True, allow_empty=True)
    carrier = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("承运商")
    )
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("运单号")
    )
    shipped_on = serializers.DateField(
        required=False, allow_null=True, label=_("发货日期"), help_text="default today; not after today"
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("备注")
    )

    def to_service(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "lines": [
                shipment_services.ShipmentLineInput(
                    line_id=row["line"],
                    quantity=row["quantity"],
                    lot_id=row.get("lot") or None,
                    lot_number=row.get("lot_number", ""),
                )
                for row in data["lines"]
            ],
            "shipped_on": data.get("shipped_on"),
            "carrier": data["carrier"],
            "tracking_number": data["tracking_number"],
            "note": data["note"],
        }


# Shipments -----------------------------------------------------------------------------------------


class ShipmentLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line_id", read_only=True)
    product = serializers.IntegerField(source="order_line.product_id", read_only=True)
    product_code = serializers.CharField(source="order_line.product.code", read_only=True)
    product_name = serializers.CharField(source="order_line.product.name", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = [
            "id",
            "line",
            "product",
            "product_code",
            "product_name",
            "lot",
            "lot_number",
            "expiry_date",
            "quantity",
            "returned_quantity",
        ]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    """发货单: posted when saved (in_progress: 运输中), done when the customer signed (已签收)."""

    status = serializers.CharField(read_only=True, help_text="in_progress (in transit) or done (delivered)")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sales_order = serializers.IntegerField(source="order_id", read_only=True)
    sales_order_number = serializers.CharField(source="order.number", read_only=True)
    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)
    # API.md's names for the shipping and delivery dates (the same values as shipped_on/delivered_on).
    shipped_at = serializers.DateField(source="shipped_on", read_only=True, help_text="= shipped_on")
    delivered_at = serializers.DateField(
        source="delivered_on", read_only=True, allow_null=True, help_text="= delivered_on"
    )

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "sales_order",
            "sales_order_number",
            "customer",
            "customer_name",
            "warehouse",
            "warehouse_name",
            "shipped_on",
            "shipped_at",
            "carrier",
            "tracking_number",
            "delivered_on",
            "delivered_at",
            "signed_by",
            "note",
            "lines",
            "owner",
            "owner_name",
            "created_at",
        ]
        read_only_fields = fields


def _shipment_rows(qs: QuerySet[Shipment]) -> QuerySet[Shipment]:
    return qs.select_related("order", "order__customer", "warehouse", "owner").prefetch_related(
        Prefetch(
            "lines",
            queryset=ShipmentLine.objects.select_related("order_line__product", "lot").order_by("id"),
        )
    )


class DeliverInput(serializers.Serializer):
    delivered_on = serializers.DateField(
        required=False, allow_null=True, label=_("签收日期"), help_text="default today; not after today"
    )
    signed_by = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", label=_("签收人")
    )


class ShipmentQuery(serializers.Serializer):
    sales_order = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="order id"
    )
    status = serializers.ChoiceField(choices=[Status.IN_PROGRESS, Status.DONE], required=False)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    owner = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="the order's salesperson (employee id)"
    )
    date_from = serializers.DateField(required=False, help_text="shipped on or after")
    date_to = serializers.DateField(required=False, help_text="shipped on or before")
    search = serializers.CharField(
        required=False, help_text="shipment or order number, customer, tracking number"
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[ShipmentQuery],
        responses={200: ShipmentSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: ShipmentSerializer, **error_responses(401, 403, 404)}),
    deliver=posted(DeliverInput, ShipmentSerializer),
)
class ShipmentViewSet(
    PdfActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """发货单 of the orders in the caller's data scope, newest first. Made by
    `POST /sales-orders/{id}/ship/`; never edited. `deliver` records the customer's signature."""

    serializer_class = ShipmentSerializer
    permission_classes = [DocumentPermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {"deliver": "sales.deliver_shipment"}

    def get_queryset(self) -> QuerySet[Shipment]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Shipment.objects.none()
        return _shipment_rows(shipping_selectors.shipments(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(ShipmentQuery, self.request)
        found = shipping_selectors.shipments(
            self.request.user,
            search=data.get("search", ""),
            status=data.get("status", ""),
            customer_id=data.get("customer"),
            shipped_from=data.get("date_from"),
            shipped_to=data.get("date_to"),
        )
        if data.get("sales_order") is not None:
            found = found.filter(order_id=data["sales_order"])
        if data.get("owner") is not None:
            found = found.filter(order__owner_id=data["owner"])
        return _shipment_rows(found)

    def _answer(self, doc: Shipment) -> Response:
        fresh = _shipment_rows(Shipment.objects.all()).get(pk=doc.pk)
        return Response(self.get_serializer(fresh).data)

    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None) -> Response:
        """签收: the customer received the goods (a day between shipping and today)."""
        doc = self.get_object()
        form = DeliverInput(data=request.data)
        form.is_valid(raise_exception=True)
        shipment_services.deliver_shipment(
            doc,
            actor=acting(request),
            delivered_on=form.validated_data.get("delivered_on"),
            signed_by=form.validated_data["signed_by"],
        )
        return self._answer(doc)


# Sales orders: the viewset -------------------------------------------------------------------------


class SalesOrderQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    owner = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="salesperson (employee id)"
    )
    date_from = serializers.DateField(required=False, help_text="order date on or after")
    date_to = serializers.DateField(required=False, help_text="order date on or before")
    to_ship = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: approved or partly shipped with something left to ship",
    )
    search = serializers.CharField(required=False, help_text="number, customer name or pinyin initials")
    ordering = serializers.ChoiceField(
        choices=[*selectors.ORDER_ORDERINGS, *(f"-{name}" for name in selectors.ORDER_ORDERINGS)],
        required=False,
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[SalesOrderQuery],
        responses={200: SalesOrderSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: SalesOrderSerializer, **error_responses(401, 403, 404)}),
    create=posted(SalesOrderInput, SalesOrderSerializer, 201),
    update=extend_schema(
        request=SalesOrderInput,
        responses={200: SalesOrderSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        request=SalesOrderInput(partial=True),
        responses={200: SalesOrderSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, SalesOrderSerializer),
    withdraw=posted(None, SalesOrderSerializer),
    approve=posted(SalesApproveInput, SalesOrderSerializer),
    reject=posted(RejectInput, SalesOrderSerializer),
    unapprove=posted(DocumentReasonInput, SalesOrderSerializer),
    cancel=posted(DocumentReasonInput, SalesOrderSerializer),
    ship=posted(SalesShipInput, ShipmentSerializer, 201),
)
class SalesOrderViewSet(
    PdfActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """销售订单 in the caller's data scope, newest order date first. Workflow: submit → approve
    (reserves the stock, checks the credit limit, opens the receivable) / reject → ship (logistics,
    partial shipments) …; withdraw, unapprove, cancel."""

    serializer_class = SalesOrderSerializer
    permission_classes = [DocumentPermission]
    filter_backends: list[type] = []  # the selector filters, searches and orders
    action_permissions: ClassVar[dict[str, str]] = {
        "submit": "change",
        "withdraw": "change",
        "cancel": "change",
        # Approvers are named by the approval rules (the service refuses others: not_approver).
        "approve": "view",
        "reject": "view",
        "unapprove": "view",
        "ship": "sales.add_shipment",
    }

    def get_queryset(self) -> QuerySet[SalesOrder]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return SalesOrder.objects.none()
        return _order_rows(selectors.orders(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the role check answers first (403 whatever the query).
        if self.action != "list":
            return queryset
        data = _query(SalesOrderQuery, self.request)
        return _order_rows(
            selectors.orders(
                self.request.user,
                search=data.get("search", ""),
                status=data.get("status", ""),
                customer_id=data.get("customer"),
                owner_id=data.get("owner"),
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                to_ship=data["to_ship"],
                ordering=data.get("ordering", ""),
            )
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows: Sequence[SalesOrder] = page if page is not None else list(queryset)
        receivables = ledger_selectors.opened_by(
            SalesOrder.DOCUMENT_TYPE, [o.pk for o in rows], direction=Direction.RECEIVABLE
        )
        data = SalesOrderSerializer(
            rows, many=True, context={**self.get_serializer_context(), "receivables": receivables}
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _answer(self, order: SalesOrder, status: int = 200) -> Response:
        fresh = _order_rows(SalesOrder.objects.all()).get(pk=order.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = SalesOrderInput(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        service_kwargs = form.to_create()
        if "lines" not in service_kwargs:
            quote = service_kwargs.pop("quote")
            order = order_services.create_order_from_quote(quote, actor=acting(request), **service_kwargs)
        else:
            order = order_services.create_order(actor=acting(request), **service_kwargs)
        return self._answer(order, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        partial = kwargs.pop("partial", False)
        form = SalesOrderInput(data=request.data, partial=partial, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        updated = order_services.update_order(
            order,
            actor=acting(request),
            version=expected_version(request),
            **form.to_update(order if partial else None),
        )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """提交审核: to the owner's department manager (or the approval rules' approvers)."""
        order = self.get_object()
        order_services.submit_order(order, actor=acting(request))
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """撤回 a submitted order before a decision; it is a draft again."""
        order = self.get_object()
        order_services.withdraw_order(order, actor=acting(request))
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """审核通过 by a named approver: the stock is reserved (409 insufficient_stock naming the
        products), the credit limit checked (409 credit_limit_exceeded, unless an approver with the
        permission gives `credit_override_reason`) and the receivable opened."""
        order = self.get_object()
        form = SalesApproveInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.approve_order(order, actor=acting(request), **form.validated_data)
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """驳回 with a reason: the order may be edited and submitted again."""
        order = self.get_object()
        form = RejectInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.reject_order(order, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def unapprove(self, request: Request, pk: str | None = None) -> Response:
        """反审核 while nothing was shipped or collected (else 409 has_downstream): the reservation is
        released, the receivable reversed, and the order is a draft again."""
        order = self.get_object()
        form = DocumentReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.unapprove_order(order, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """作废 a draft or rejected order, or an approved one nothing was shipped or collected for
        (a reason is then required; the reservation is released and the receivable reversed)."""
        order = self.get_object()
        form = DocumentReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.cancel_order(order, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """发货 by logistics: answers 201 with the shipment. Lots first expiry first out unless `lot`
        or `lot_number` is given; refusals: over_shipment, lot_expired, insufficient_stock (with the
        line's `field`), invalid_state."""
        order = self.get_object()
        form = SalesShipInput(data=request.data)
        form.is_valid(raise_exception=True)
        doc = shipment_services.ship_order(order, actor=acting(request), **form.to_service())
        fresh = _shipment_rows(Shipment.objects.all()).get(pk=doc.pk)
        return Response(ShipmentSerializer(fresh, context=self.get_serializer_context()).data, status=201)


# Sales returns -------------------------------------------------------------------------------------


class SalesReturnLineSerializer(serializers.ModelSerializer):
    shipment = serializers.IntegerField(source="shipment_line.shipment_id", read_only=True)
    shipment_number = serializers.CharField(source="shipment_line.shipment.number", read_only=True)
    line = serializers.IntegerField(source="shipment_line.order_line_id", read_only=True)
    product = serializers.IntegerField(source="shipment_line.order_line.product_id", read_only=True)
    product_code = serializers.CharField(source="shipment_line.order_line.product.code", read_only=True)
    product_name = serializers.CharField(source="shipment_line.order_line.product.name", read_only=True)
    lot = serializers.IntegerField(source="shipment_line.lot_id", read_only=True)
    lot_number = serializers.CharField(source="shipment_line.lot.lot_number", read_only=True)
    expiry_date = serializers.DateField(source="shipment_line.lot.expiry_date", read_only=True)
    amount = _money()

    class Meta:
        model = SalesReturnLine
        fields = [
            "id",
            "shipment_line",
            "shipment",
            "shipment_number",
            "line",
            "product",
            "product_code",
            "product_name",
            "lot",
            "lot_number",
            "expiry_date",
            "quantity",
            "amount",
        ]
        read_only_fields = fields


class SalesReturnSerializer(serializers.ModelSerializer):
    """销售退货 as read; `refund` is the payable to the customer receiving it opened."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sales_order = serializers.IntegerField(source="order_id", read_only=True)
    sales_order_number = serializers.CharField(source="order.number", read_only=True)
    customer = serializers.IntegerField(source="order.customer_id", read_only=True)
    customer_name = serializers.CharField(source="order.customer.name", read_only=True)
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    amount = _money()
    lines = SalesReturnLineSerializer(many=True, read_only=True)
    refund = serializers.SerializerMethodField()

    class Meta:
        model = SalesReturn
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "sales_order",
            "sales_order_number",
            "customer",
            "customer_name",
            "warehouse",
            "warehouse_name",
            "reason",
            "amount",
            "lines",
            "received_on",
            "owner",
            "owner_name",
            "department",
            "refund",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedObligationSerializer(allow_null=True))
    def get_refund(self, doc: SalesReturn) -> dict[str, Any] | None:
        if not _may_see(self.context, "finance.view_payable"):
            return None
        known: dict[int, Obligation] | None = self.context.get("refunds")
        if known is None:
            known = ledger_selectors.opened_by(
                SalesReturn.DOCUMENT_TYPE, [doc.pk], direction=Direction.PAYABLE
            )
        found = known.get(doc.pk)
        return dict(LinkedObligationSerializer(found).data) if found is not None else None


class SalesReturnLineInput(serializers.Serializer):
    shipment_line = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        label=_("发货明细"),
        help_text="shipment line id",
    )
    line = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        label=_("订单明细"),
        help_text="instead of shipment_line: the order line id, with lot_number",
    )
    lot_number = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        label=_("批号"),
        help_text="with line; blank for a product without lot tracking",
    )
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("shipment_line") and not attrs.get("line"):
            raise serializers.ValidationError(
                {"shipment_line": [_("请选择发货明细，或填写订单明细和批号。")]}
            )
        return attrs


class SalesReturnInput(serializers.Serializer):
    """A new return of shipped goods of a sales order."""

    sales_order = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("销售订单"))
    lines = SalesReturnLineInput(many=True, allow_empty=True)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("退货原因"),
        help_text="required",
    )
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(),
        required=False,
        allow_null=True,
        label=_("退回仓库"),
        help_text="default the order's warehouse",
    )


class SalesReturnUpdateInput(serializers.Serializer):
    """(PUT) the lines, reason and warehouse of a draft or rejected return (its order stays); PATCH
    keeps what is not given."""

    lines = SalesReturnLineInput(many=True, allow_empty=True)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("退货原因"),
        help_text="required",
    )
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True, label=_("退回仓库")
    )


class ReceiveReturnInput(serializers.Serializer):
    received_on = serializers.DateField(
        required=False, allow_null=True, label=_("收货日期"), help_text="default today; not after today"
    )


def _return_lines(
    order: SalesOrder, rows: Sequence[dict[str, Any]], *, exclude: SalesReturn | None = None
) -> tuple[list[return_services.ReturnLineInput], list[int]]:
    """The rows as the service takes them, and for each the index of the row it came from. A row
    naming an order line and a lot number takes its quantity from that order line's shipment lines
    of the lot, oldest shipment first, each up to what may still be returned from it (the last takes
    the rest, for the service to refuse)."""
    left = shipping_selectors.returnable(order, exclude=exclude)
    taken: dict[int, Decimal] = {}
    found: list[return_services.ReturnLineInput] = []
    origins: list[int] = []
    for index, row in enumerate(rows):
        if row.get("shipment_line"):
            found.append(return_services.ReturnLineInput(row["shipment_line"], row["quantity"]))
            origins.append(index)
            continue
        number = (row.get("lot_number") or "").strip()
        candidates = list(
            ShipmentLine.objects.filter(
                shipment__order=order, order_line_id=row["line"], lot__lot_number=number
            ).order_by("shipment__shipped_on", "shipment_id", "id")
        )
        if not candidates:
            raise line_error(
                index, "lot_number", _("这张订单的这行明细没有发出过批号“%(lot)s”。") % {"lot": number or "—"}
            )
        rest = row["quantity"]
        for position, candidate in enumerate(candidates):
            last = position == len(candidates) - 1
            room = max(left.get(candidate.pk, ZERO) - taken.get(candidate.pk, ZERO), ZERO)
            part = rest if last else min(rest, room)
            if part <= 0 and not last:
                continue
            found.append(return_services.ReturnLineInput(candidate.pk, part))
            origins.append(index)
            taken[candidate.pk] = taken.get(candidate.pk, ZERO) + part
            rest -= part
            if rest <= 0:
                break
    return found, origins


@contextmanager
def _row_paths(origins: Sequence[int]) -> Iterator[None]:
    """A service refusal about `lines.<n>` names the request's row that line came from."""
    try:
        yield
    except DomainError as exc:
        parts = (exc.field or "").split(".")
        if len(parts) > 1 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(origins):
            parts[1] = str(origins[int(parts[1])])
            exc.field = ".".join(parts)
        raise


class SalesReturnQuery(serializers.Serializer):
    sales_order = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="order id"
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    owner = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="salesperson (employee id)"
    )
    date_from = serializers.DateField(required=False, help_text="created on or after")
    date_to = serializers.DateField(required=False, help_text="created on or before")
    to_receive = serializers.BooleanField(
        required=False, default=False, help_text="true: approved, waiting for logistics to receive"
    )
    search = serializers.CharField(required=False, help_text="number, order number or customer name")


def _return_rows(qs: QuerySet[SalesReturn]) -> QuerySet[SalesReturn]:
    return qs.select_related("order", "order__customer", "warehouse", "owner").prefetch_related(
        Prefetch(
            "lines",
            queryset=SalesReturnLine.objects.select_related(
                "shipment_line__shipment", "shipment_line__order_line__product", "shipment_line__lot"
            ).order_by("id"),
        )
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[SalesReturnQuery],
        responses={200: SalesReturnSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: SalesReturnSerializer, **error_responses(401, 403, 404)}),
    create=posted(SalesReturnInput, SalesReturnSerializer, 201),
    update=extend_schema(
        request=SalesReturnUpdateInput,
        responses={200: SalesReturnSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        request=SalesReturnUpdateInput(partial=True),
        responses={200: SalesReturnSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, SalesReturnSerializer),
    withdraw=posted(None, SalesReturnSerializer),
    approve=posted(ApproveInput, SalesReturnSerializer),
    reject=posted(RejectInput, SalesReturnSerializer),
    cancel=posted(DocumentReasonInput, SalesReturnSerializer),
    receive=posted(ReceiveReturnInput, SalesReturnSerializer),
)
class SalesReturnViewSet(
    PdfActionMixin,
    ApprovalActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """销售退货 in the caller's data scope, newest first. submit → approve / reject → receive
    (logistics: the goods go back into their lots, the customer's refund is owed)."""

    serializer_class = SalesReturnSerializer
    permission_classes = [DocumentPermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {
        "submit": "change",
        "withdraw": "change",
        "cancel": "change",
        "approve": "view",
        "reject": "view",
        "receive": "sales.receive_salesreturn",
    }

    def get_queryset(self) -> QuerySet[SalesReturn]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return SalesReturn.objects.none()
        return _return_rows(shipping_selectors.returns(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(SalesReturnQuery, self.request)
        found = shipping_selectors.returns(
            self.request.user,
            status=data.get("status", ""),
            search=data.get("search", ""),
            customer_id=data.get("customer"),
            to_receive=data["to_receive"],
        )
        if data.get("sales_order") is not None:
            found = found.filter(order_id=data["sales_order"])
        if data.get("owner") is not None:
            found = found.filter(owner_id=data["owner"])
        if data.get("date_from") is not None:
            found = found.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to") is not None:
            found = found.filter(created_at__date__lte=data["date_to"])
        return _return_rows(found)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows: Sequence[SalesReturn] = page if page is not None else list(queryset)
        refunds = ledger_selectors.opened_by(
            SalesReturn.DOCUMENT_TYPE, [doc.pk for doc in rows], direction=Direction.PAYABLE
        )
        data = SalesReturnSerializer(
            rows, many=True, context={**self.get_serializer_context(), "refunds": refunds}
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _answer(self, doc: SalesReturn, status: int = 200) -> Response:
        fresh = _return_rows(SalesReturn.objects.all()).get(pk=doc.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = SalesReturnInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            order = selectors.order(request.user, data["sales_order"])
        except NotFoundInScope:
            raise serializers.ValidationError(
                {"sales_order": [_("销售订单不存在或不在您的数据范围内。")]}
            ) from None
        lines, origins = _return_lines(order, data["lines"])
        with _row_paths(origins):
            doc = return_services.create_return(
                order,
                actor=acting(request),
                lines=lines,
                reason=data["reason"],
                warehouse=data.get("warehouse"),
            )
        return self._answer(doc, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        doc = self.get_object()
        partial = kwargs.pop("partial", False)
        form = SalesReturnUpdateInput(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if "lines" in data:
            lines, origins = _return_lines(doc.order, data["lines"], exclude=doc)
        else:
            lines = [
                return_services.ReturnLineInput(line.shipment_line_id, line.quantity)
                for line in doc.lines.order_by("id")
            ]
            origins = list(range(len(lines)))
        with _row_paths(origins):
            updated = return_services.update_return(
                doc,
                actor=acting(request),
                lines=lines,
                reason=data.get("reason", doc.reason),
                warehouse=data["warehouse"] if data.get("warehouse") is not None else doc.warehouse,
            )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """提交审核."""
        doc = self.get_object()
        return_services.submit_return(doc, actor=acting(request))
        return self._answer(doc)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """撤回 before a decision."""
        doc = self.get_object()
        return_services.withdraw_return(doc, actor=acting(request))
        return self._answer(doc)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """作废 a draft or rejected return."""
        doc = self.get_object()
        form = DocumentReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        return_services.cancel_return(doc, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(doc)

    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """收货 by logistics: the goods go back into their lots at the cost they left at, and the
        customer's refund is owed (`refund`)."""
        doc = self.get_object()
        form = ReceiveReturnInput(data=request.data)
        form.is_valid(raise_exception=True)
        return_services.receive_return(
            doc, actor=acting(request), received_on=form.validated_data.get("received_on")
        )
        return self._answer(doc)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("sales-orders", SalesOrderViewSet, basename="sales-order")
    router.register("shipments", ShipmentViewSet, basename="shipment")
    router.register("sales-returns", SalesReturnViewSet, basename="sales-return")
