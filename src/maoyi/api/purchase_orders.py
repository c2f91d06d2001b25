"""purchase-orders (with `receive`), goods-receipts (read-only) and purchase-returns (with `ship`)
(API.md). Input serializer → one `maoyi.purchasing.services` call → output serializer.

Rows are scoped exactly as `maoyi.purchasing.order_selectors`: a purchaser sees their own orders and
returns, managers their department's, logistics and finance all; a record outside the caller's
scope answers 404 like a missing one. Nothing is deleted (405): a document is cancelled (作废).

Shapes follow API.md: a line's `unit_price` is tax-inclusive, its `tax_rate` a fraction (`"0.13"`;
the model keeps the percentage); a missing or null `unit_price` takes the supplier's best valid
quote; a blank `exchange_rate` takes the rate in force today. A purchase return names each lot by
`lot` (id) or `lot_number`; a product without lot tracking needs neither."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.approvals import ApproveInput, RejectInput
from maoyi.api.documents import ApprovalActionsMixin
from maoyi.api.errors import error_responses
from maoyi.api.pdf import PdfActionMixin
from maoyi.api.permissions import ModelPermission
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import acting, posted
from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import Currency
from maoyi.finance import selectors as ledger_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Obligation
from maoyi.inventory.models import Warehouse
from maoyi.purchasing import order_selectors as selectors
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderInstallment,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
    Supplier,
)
from maoyi.purchasing.services import orders as order_services
from maoyi.purchasing.services import receipts as receipt_services
from maoyi.purchasing.services import returns as return_services

MAX_ID = 2**63 - 1
COST_PERMISSION = "inventory.view_stockmove"
STATUS_HELP = "draft, submitted, approved, rejected, in_progress, done, cancelled, reversed"
PERCENT = Decimal("100")


def _quantity() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


class DocumentPermission(ModelPermission):
    """The model's permissions, and for actions another model's: `action_permissions` may name a
    full permission (`"receive": "purchasing.add_goodsreceipt"`) instead of a verb."""

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None) or "", "")
        if "." in needed:
            return bool(request.user and request.user.has_perm(needed))
        return super().has_permission(request, view)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters parsed by a serializer (blank ones ignored); 400 {name: [message]}."""
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _may_see(context: dict[str, Any], perm: str) -> bool:
    request = context.get("request")
    return request is not None and request.user.has_perm(perm)


# Shared fields -------------------------------------------------------------------------------------


class TaxRateField(serializers.DecimalField):
    """API.md's tax rate, a fraction (`"0.13"`); the model keeps the percentage (13.00)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=6, decimal_places=4, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        value = super().to_internal_value(data)
        if value < 0:
            self.fail("min_value", min_value=0)
        if value >= 1:
            self.fail("max_value", max_value="0.9999")
        return value * PERCENT

    def to_representation(self, value: Any) -> str:
        fraction = (Decimal(value) / PERCENT).quantize(Decimal("0.0001"))
        short = fraction.quantize(Decimal("0.01"))
        return f"{short if short == fraction else fraction.normalize():f}"


class BlankDecimalField(serializers.DecimalField):
    """A decimal where a blank string means "not given" (None)."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if isinstance(data, str) and not data.strip():
            return True, None
        return super().validate_empty_values(data)


class LinkedObligationSerializer(serializers.Serializer):
    """The payable an order opened, or the receivable (refund) a return opened."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, settled or reversed")
    currency = serializers.CharField(read_only=True)
    amount = _money()
    allocated = _money()
    outstanding = _money()
    due_date = serializers.DateField(read_only=True)


class DocumentReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("原因"), help_text="required"
    )


# Purchase orders: reading --------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    tax_rate = TaxRateField(read_only=True, help_text="fraction, e.g. 0.13")
    open_quantity = _quantity()
    amount = _money()
    tax_amount = _money()

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "product",
            "product_code",
            "product_name",
            "unit",
            "quantity",
            "unit_price",
            "tax_rate",
            "quote",
            "received_quantity",
            "returned_quantity",
            "open_quantity",
            "amount",
            "tax_amount",
        ]
        read_only_fields = fields


class PurchaseOrderInstallmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrderInstallment
        fields = ["id", "due_date", "amount"]
        read_only_fields = fields


class PurchaseOrderDocumentLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class PurchaseOrderReceiptLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    received_on = serializers.DateField(read_only=True)


class PurchaseOrderSerializer(serializers.ModelSerializer):
    """采购订单 as read. `amount` is tax-inclusive in the order's currency; `payable` is the payable
    its approval opened (null before approval or once reversed)."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    amount = _money()
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    installments = PurchaseOrderInstallmentSerializer(many=True, read_only=True)
    payable = serializers.SerializerMethodField()
    receipts = PurchaseOrderReceiptLinkSerializer(many=True, read_only=True)
    returns = PurchaseOrderDocumentLinkSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "version",
            "number",
            "status",
            "status_display",
            "supplier",
            "supplier_name",
            "warehouse",
            "warehouse_name",
            "currency",
            "exchange_rate",
            "expected_date",
            "note",
            "amount",
            "lines",
            "installments",
            "owner",
            "owner_name",
            "department",
            "payable",
            "receipts",
            "returns",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedObligationSerializer(allow_null=True))
    def get_payable(self, order: PurchaseOrder) -> dict[str, Any] | None:
        """The payable, for those who may see payables (not logistics)."""
        if not _may_see(self.context, "finance.view_payable"):
            return None
        known: dict[int, Obligation] | None = self.context.get("payables")
        if known is None:
            known = ledger_selectors.opened_by(PurchaseOrder.DOCUMENT_TYPE, [order.pk])
        found = known.get(order.pk)
        return dict(LinkedObligationSerializer(found).data) if found is not None else None


# Purchase orders: writing --------------------------------------------------------------------------


class PurchaseOrderLineInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("商品"))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))
    unit_price = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        allow_null=True,
        label=_("含税单价"),
        help_text="tax-inclusive; missing or null: the supplier's best valid quote",
    )
    tax_rate = TaxRateField(required=False, label=_("税率"), help_text="fraction, default 0.13")

    def to_line(self, row: dict[str, Any]) -> order_services.OrderLineInput:
        return order_services.OrderLineInput(
            product_id=row["product"],
            quantity=row["quantity"],
            unit_price=row.get("unit_price"),
            tax_rate=row.get("tax_rate", Decimal("13")),
        )


class PurchaseOrderInstallmentInput(serializers.Serializer):
    due_date = serializers.DateField(label=_("到期日"))
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("金额"))


class PurchaseOrderInput(serializers.Serializer):
    """A new order, or (PUT) the whole of a draft or rejected one: lines and installments are
    replaced. PATCH keeps what is not given."""

    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all(), label=_("供应商"))
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), label=_("收货仓库"))
    currency = serializers.ChoiceField(
        choices=Currency.choices,
        required=False,
        allow_blank=True,
        label=_("币种"),
        help_text="blank or missing: the supplier's currency",
    )
    exchange_rate = BlankDecimalField(
        max_digits=16,
        decimal_places=6,
        required=False,
        allow_null=True,
        label=_("汇率"),
        help_text="CNY per unit of the currency; blank or missing: the rate in force today",
    )
    expected_date = serializers.DateField(label=_("预计到货日期"))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, label=_("备注"))
    lines = PurchaseOrderLineInput(many=True, allow_empty=True)
    installments = PurchaseOrderInstallmentInput(
        many=True,
        required=False,
        help_text="optional; they must add up to the amount (default: one installment after the "
        "supplier's payment terms)",
    )

    def to_service(self, current: PurchaseOrder | None = None) -> dict[str, Any]:
        """The service's keyword arguments; for PATCH, what is missing comes from `current`."""
        data = self.validated_data
        line_form: Any = self.fields["lines"]
        kwargs: dict[str, Any] = {}
        if current is not None:
            kwargs = {
                "supplier": current.supplier,
                "warehouse": current.warehouse,
                "currency": current.currency,
                "exchange_rate": current.exchange_rate,
                "expected_date": current.expected_date,
                "note": current.note,
                "lines": [
                    order_services.OrderLineInput(
                        line.product_id, line.quantity, line.unit_price, line.tax_rate
                    )
                    for line in current.lines.order_by("id")
                ],
                "installments": [
                    finance.InstallmentInput(i.due_date, i.amount) for i in current.installments.all()
                ],
            }
        for name in ("supplier", "warehouse", "expected_date", "note"):
            if name in data:
                kwargs[name] = data[name]
        if "currency" in data or current is None:
            kwargs["currency"] = data.get("currency") or None
            if "exchange_rate" not in data:
                kwargs["exchange_rate"] = None  # a new currency takes its rate in force today
        if "exchange_rate" in data or current is None:
            kwargs["exchange_rate"] = data.get("exchange_rate")
        if "lines" in data:
            kwargs["lines"] = [line_form.child.to_line(row) for row in data["lines"]]
        if "installments" in data or current is None:
            kwargs["installments"] = [
                finance.InstallmentInput(row["due_date"], row["amount"])
                for row in data.get("installments", [])
            ]
        kwargs.setdefault("note", "")
        return kwargs


class ReceiveLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("订单明细"))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))
    lot_number = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        label=_("批号"),
        help_text="required for lot-tracked products (409 lot_required)",
    )
    production_date = serializers.DateField(required=False, allow_null=True, label=_("生产日期"))
    expiry_date = serializers.DateField(
        required=False, allow_null=True, label=_("有效期至"), help_text="required for lot-tracked products"
    )


class ReceiveInput(serializers.Serializer):
    """入库: some of the order's open quantities arrive (partial receipts are fine)."""

    lines = ReceiveLineInput(many=True, allow_empty=True)
    received_on = serializers.DateField(
        required=False, allow_null=True, label=_("入库日期"), help_text="default today; not after today"
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("备注")
    )

    def to_lines(self) -> list[receipt_services.ReceiptLineInput]:
        return [
            receipt_services.ReceiptLineInput(
                line_id=row["line"],
                quantity=row["quantity"],
                lot_number=row["lot_number"],
                production_date=row.get("production_date"),
                expiry_date=row.get("expiry_date"),
            )
            for row in self.validated_data["lines"]
        ]


# Goods receipts ------------------------------------------------------------------------------------


class GoodsReceiptLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line_id", read_only=True)
    product = serializers.IntegerField(source="order_line.product_id", read_only=True)
    product_code = serializers.CharField(source="order_line.product.code", read_only=True)
    product_name = serializers.CharField(source="order_line.product.name", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    production_date = serializers.DateField(source="lot.production_date", read_only=True)
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True)

    class Meta:
        model = GoodsReceiptLine
        fields = [
            "id",
            "line",
            "product",
            "product_code",
            "product_name",
            "lot",
            "lot_number",
            "production_date",
            "expiry_date",
            "quantity",
            "unit_cost",
        ]
        read_only_fields = fields
        extra_kwargs = {"unit_cost": {"help_text": "CNY without tax; only with inventory.view_stockmove"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Without a request (the schema generator) every field is described.
        if request is not None and not request.user.has_perm(COST_PERMISSION):
            self.fields.pop("unit_cost")


class GoodsReceiptSerializer(serializers.ModelSerializer):
    """入库单: posted when saved, never edited."""

    status = serializers.CharField(read_only=True, help_text="done")
    purchase_order = serializers.IntegerField(source="order_id", read_only=True)
    purchase_order_number = serializers.CharField(source="order.number", read_only=True)
    supplier = serializers.IntegerField(source="order.supplier_id", read_only=True)
    supplier_name = serializers.CharField(source="order.supplier.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    lines = GoodsReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = GoodsReceipt
        fields = [
            "id",
            "number",
            "status",
            "purchase_order",
            "purchase_order_number",
            "supplier",
            "supplier_name",
            "warehouse",
            "received_on",
            "note",
            "owner",
            "owner_name",
            "created_at",
            "lines",
        ]
        read_only_fields = fields


def _receipt_rows() -> Prefetch[Any]:
    return Prefetch(
        "lines",
        queryset=GoodsReceiptLine.objects.select_related("order_line__product", "lot").order_by("id"),
    )


class GoodsReceiptQuery(serializers.Serializer):
    purchase_order = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="purchase order id"
    )
    search = serializers.CharField(required=False, help_text="receipt or order number")


@extend_schema_view(
    list=extend_schema(
        parameters=[GoodsReceiptQuery],
        responses={200: GoodsReceiptSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: GoodsReceiptSerializer, **error_responses(401, 403, 404)}),
)
class GoodsReceiptViewSet(
    PdfActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """入库单 in the caller's data scope (that of their orders), newest first. Read-only: receipts
    are made by `POST /purchase-orders/{id}/receive/`."""

    serializer_class = GoodsReceiptSerializer
    permission_classes = [DocumentPermission]
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[GoodsReceipt]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return GoodsReceipt.objects.none()
        return selectors.receipts(self.request.user).prefetch_related(_receipt_rows())

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(GoodsReceiptQuery, self.request)
        found = selectors.receipts(self.request.user, search=data.get("search", ""))
        if data.get("purchase_order") is not None:
            found = found.filter(order_id=data["purchase_order"])
        return found.prefetch_related(_receipt_rows())


def _fresh_receipt(receipt: GoodsReceipt) -> GoodsReceipt:
    return (
        GoodsReceipt.objects.select_related("order", "order__supplier", "warehouse", "owner")
        .prefetch_related(_receipt_rows())
        .get(pk=receipt.pk)
    )


# Purchase orders: the viewset ----------------------------------------------------------------------


class PurchaseOrderQuery(serializers.Serializer):
    supplier = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="supplier id"
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    to_receive = serializers.BooleanField(
        required=False, default=False, help_text="true: approved or partly received (logistics' list)"
    )
    search = serializers.CharField(
        required=False, help_text="number, supplier name or pinyin, product code or name"
    )
    ordering = serializers.ChoiceField(choices=list(selectors.ORDER_ORDERINGS), required=False)


def _order_rows(qs: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    return qs.select_related("supplier", "warehouse", "owner").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("product").order_by("id")),
        Prefetch("installments", queryset=PurchaseOrderInstallment.objects.order_by("due_date", "id")),
        Prefetch("receipts", queryset=GoodsReceipt.objects.order_by("received_on", "id")),
        Prefetch("returns", queryset=PurchaseReturn.objects.order_by("created_at", "id")),
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[PurchaseOrderQuery],
        responses={200: PurchaseOrderSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: PurchaseOrderSerializer, **error_responses(401, 403, 404)}),
    create=posted(PurchaseOrderInput, PurchaseOrderSerializer, 201),
    update=extend_schema(
        request=PurchaseOrderInput,
        responses={200: PurchaseOrderSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        request=PurchaseOrderInput(partial=True),
        responses={200: PurchaseOrderSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, PurchaseOrderSerializer),
    withdraw=posted(None, PurchaseOrderSerializer),
    approve=posted(ApproveInput, PurchaseOrderSerializer),
    reject=posted(RejectInput, PurchaseOrderSerializer),
    unapprove=posted(DocumentReasonInput, PurchaseOrderSerializer),
    cancel=posted(DocumentReasonInput, PurchaseOrderSerializer),
    receive=posted(ReceiveInput, GoodsReceiptSerializer, 201),
)
class PurchaseOrderViewSet(
    PdfActionMixin,
    ApprovalActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """采购订单 in the caller's data scope, newest first. Workflow: submit → approve / reject (here
    or in the approvals inbox) → receive (logistics) …; withdraw, unapprove, cancel."""

    serializer_class = PurchaseOrderSerializer
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
        "receive": "purchasing.add_goodsreceipt",
    }

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return PurchaseOrder.objects.none()
        return _order_rows(selectors.orders(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the role check answers first (403 whatever the query).
        if self.action != "list":
            return queryset
        data = _query(PurchaseOrderQuery, self.request)
        return _order_rows(
            selectors.orders(
                self.request.user,
                search=data.get("search", ""),
                status=data.get("status", ""),
                supplier_id=data.get("supplier"),
                to_receive=data["to_receive"],
                ordering=data.get("ordering", ""),
            )
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows: Sequence[PurchaseOrder] = page if page is not None else list(queryset)
        payables = ledger_selectors.opened_by(PurchaseOrder.DOCUMENT_TYPE, [order.pk for order in rows])
        data = PurchaseOrderSerializer(
            rows, many=True, context={**self.get_serializer_context(), "payables": payables}
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _answer(self, order: PurchaseOrder, status: int = 200) -> Response:
        fresh = _order_rows(PurchaseOrder.objects.all()).get(pk=order.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = PurchaseOrderInput(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_services.create_order(actor=acting(request), **form.to_service())
        return self._answer(order, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        partial = kwargs.pop("partial", False)
        form = PurchaseOrderInput(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        updated = order_services.update_order(
            order,
            actor=acting(request),
            version=expected_version(request),
            **form.to_service(order if partial else None),
        )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """提交审核: to the approvers the approval rules name."""
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
    def unapprove(self, request: Request, pk: str | None = None) -> Response:
        """反审核 by an approver while nothing was received or paid (else 409 has_downstream): the
        payable is reversed and the order is a draft again."""
        order = self.get_object()
        form = DocumentReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.unapprove_order(order, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """作废 a draft or rejected order, or an approved one nothing was received or paid for (a
        reason is then required; its payable is reversed)."""
        order = self.get_object()
        form = DocumentReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        order_services.cancel_order(order, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(order)

    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """入库 by logistics: answers 201 with the goods receipt. More than is still due is refused
        (409 over_receipt); a lot-tracked product needs its lot number (409 lot_required)."""
        order = self.get_object()
        form = ReceiveInput(data=request.data)
        form.is_valid(raise_exception=True)
        receipt = receipt_services.receive_goods(
            order,
            actor=acting(request),
            lines=form.to_lines(),
            received_on=form.validated_data.get("received_on"),
            note=form.validated_data["note"],
        )
        context = self.get_serializer_context()
        return Response(GoodsReceiptSerializer(_fresh_receipt(receipt), context=context).data, status=201)


# Purchase returns ----------------------------------------------------------------------------------


class PurchaseReturnLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line_id", read_only=True)
    product = serializers.IntegerField(source="order_line.product_id", read_only=True)
    product_code = serializers.CharField(source="order_line.product.code", read_only=True)
    product_name = serializers.CharField(source="order_line.product.name", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    unit_price = serializers.DecimalField(
        source="order_line.unit_price", max_digits=18, decimal_places=4, read_only=True
    )
    amount = _money()

    class Meta:
        model = PurchaseReturnLine
        fields = [
            "id",
            "line",
            "product",
            "product_code",
            "product_name",
            "lot",
            "lot_number",
            "quantity",
            "unit_price",
            "amount",
        ]
        read_only_fields = fields


class PurchaseReturnSerializer(serializers.ModelSerializer):
    """采购退货 as read; `refund` is the receivable from the supplier its shipment opened."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    purchase_order = serializers.IntegerField(source="order_id", read_only=True)
    purchase_order_number = serializers.CharField(source="order.number", read_only=True)
    supplier = serializers.IntegerField(source="order.supplier_id", read_only=True)
    supplier_name = serializers.CharField(source="order.supplier.name", read_only=True)
    currency = serializers.CharField(source="order.currency", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    amount = _money()
    lines = PurchaseReturnLineSerializer(many=True, read_only=True)
    refund = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseReturn
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "purchase_order",
            "purchase_order_number",
            "supplier",
            "supplier_name",
            "currency",
            "reason",
            "amount",
            "lines",
            "carrier",
            "tracking_number",
            "shipped_at",
            "owner",
            "owner_name",
            "department",
            "refund",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedObligationSerializer(allow_null=True))
    def get_refund(self, doc: PurchaseReturn) -> dict[str, Any] | None:
        """The refund receivable, for those who may see receivables."""
        if not _may_see(self.context, "finance.view_receivable"):
            return None
        known: dict[int, Obligation] | None = self.context.get("refunds")
        if known is None:
            known = ledger_selectors.opened_by(PurchaseReturn.DOCUMENT_TYPE, [doc.pk])
        found = known.get(doc.pk)
        return dict(LinkedObligationSerializer(found).data) if found is not None else None


class PurchaseReturnLineInput(serializers.Serializer):
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
        help_text="instead of lot; neither is needed for a product without lot tracking",
    )


class PurchaseReturnInput(serializers.Serializer):
    """A new return against a received purchase order, or (PUT) the lines and reason of a draft or
    rejected one (its purchase order stays)."""

    purchase_order = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("采购订单"))
    lines = PurchaseReturnLineInput(many=True, allow_empty=True)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("退货原因"),
        help_text="required",
    )


class PurchaseReturnUpdateInput(serializers.Serializer):
    lines = PurchaseReturnLineInput(many=True, allow_empty=True)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("退货原因"),
        help_text="required",
    )


class ShipInput(serializers.Serializer):
    carrier = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("承运商")
    )
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("运单号")
    )


def _return_lines(rows: Sequence[dict[str, Any]]) -> list[return_services.ReturnLineInput]:
    """The rows as the service takes them; it finds a lot named by number."""
    return [
        return_services.ReturnLineInput(
            line_id=row["line"],
            lot_id=row.get("lot") or None,
            quantity=row["quantity"],
            lot_number=row.get("lot_number", ""),
        )
        for row in rows
    ]


class PurchaseReturnQuery(serializers.Serializer):
    purchase_order = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="purchase order id"
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    to_ship = serializers.BooleanField(
        required=False, default=False, help_text="true: approved, waiting for logistics to ship"
    )
    search = serializers.CharField(required=False, help_text="number, order number or supplier name")


def _return_rows(qs: QuerySet[PurchaseReturn]) -> QuerySet[PurchaseReturn]:
    return qs.select_related("order", "order__supplier", "owner").prefetch_related(
        Prefetch(
            "lines",
            queryset=PurchaseReturnLine.objects.select_related("order_line__product", "lot").order_by("id"),
        )
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[PurchaseReturnQuery],
        responses={200: PurchaseReturnSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: PurchaseReturnSerializer, **error_responses(401, 403, 404)}),
    create=posted(PurchaseReturnInput, PurchaseReturnSerializer, 201),
    update=extend_schema(
        request=PurchaseReturnUpdateInput,
        responses={200: PurchaseReturnSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        request=PurchaseReturnUpdateInput(partial=True),
        responses={200: PurchaseReturnSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, PurchaseReturnSerializer),
    withdraw=posted(None, PurchaseReturnSerializer),
    approve=posted(ApproveInput, PurchaseReturnSerializer),
    reject=posted(RejectInput, PurchaseReturnSerializer),
    cancel=posted(DocumentReasonInput, PurchaseReturnSerializer),
    ship=posted(ShipInput, PurchaseReturnSerializer),
)
class PurchaseReturnViewSet(
    PdfActionMixin,
    ApprovalActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """采购退货 in the caller's data scope, newest first. submit → approve → ship (logistics: the
    goods leave the lots, the supplier's refund is owed)."""

    serializer_class = PurchaseReturnSerializer
    permission_classes = [DocumentPermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {
        "submit": "change",
        "withdraw": "change",
        "cancel": "change",
        "approve": "view",
        "reject": "view",
        "ship": "purchasing.ship_purchasereturn",
    }

    def get_queryset(self) -> QuerySet[PurchaseReturn]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return PurchaseReturn.objects.none()
        return _return_rows(selectors.returns(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(PurchaseReturnQuery, self.request)
        found = selectors.returns(
            self.request.user,
            status=data.get("status", ""),
            search=data.get("search", ""),
            to_ship=data["to_ship"],
        )
        if data.get("purchase_order") is not None:
            found = found.filter(order_id=data["purchase_order"])
        return _return_rows(found)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows: Sequence[PurchaseReturn] = page if page is not None else list(queryset)
        refunds = ledger_selectors.opened_by(PurchaseReturn.DOCUMENT_TYPE, [doc.pk for doc in rows])
        data = PurchaseReturnSerializer(
            rows, many=True, context={**self.get_serializer_context(), "refunds": refunds}
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _answer(self, doc: PurchaseReturn, status: int = 200) -> Response:
        fresh = _return_rows(PurchaseReturn.objects.all()).get(pk=doc.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = PurchaseReturnInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            order = selectors.order(request.user, data["purchase_order"])
        except NotFoundInScope:
            raise serializers.ValidationError(
                {"purchase_order": [_("采购订单不存在或不在您的数据范围内。")]}
            ) from None
        doc = return_services.create_return(
            actor=acting(request),
            order=order,
            lines=_return_lines(data["lines"]),
            reason=data["reason"],
        )
        return self._answer(doc, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        doc = self.get_object()
        partial = kwargs.pop("partial", False)
        form = PurchaseReturnUpdateInput(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if "lines" in data:
            lines = _return_lines(data["lines"])
        else:
            lines = [
                return_services.ReturnLineInput(line.order_line_id, line.lot_id, line.quantity)
                for line in doc.lines.order_by("id")
            ]
        reason = data.get("reason", doc.reason)
        updated = return_services.update_return(doc, actor=acting(request), lines=lines, reason=reason)
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
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """发出 by logistics: the goods leave their lots (409 insufficient_stock when a lot no
        longer holds them) and the supplier's refund is owed (`refund`)."""
        doc = self.get_object()
        form = ShipInput(data=request.data)
        form.is_valid(raise_exception=True)
        return_services.ship_return(doc, actor=acting(request), **form.validated_data)
        return self._answer(doc)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")
    router.register("goods-receipts", GoodsReceiptViewSet, basename="goods-receipt")
    router.register("purchase-returns", PurchaseReturnViewSet, basename="purchase-return")
