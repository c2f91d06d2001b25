"""invoices (API.md): the VAT invoice register (发票登记). List, retrieve, create (an invoice issued
to a customer or received from a supplier, allocated to the sales or purchase orders it covers by
their numbers) and `reverse` (红字: a red invoice cancels it). Nothing is updated or deleted (405).
Input serializer → one `maoyi.invoicing.services` call → output serializer.

Rows are scoped like `maoyi.invoicing.selectors.invoices`: by the party's owner and department;
an invoice outside the caller's scope answers 404 like a missing one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.finance import MAX_ID, PartyInput
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.pdf import PdfActionMixin
from maoyi.api.permissions import ModelPermission
from maoyi.api.viewsets import acting
from maoyi.core.errors import DomainError
from maoyi.finance.parties import PartyKind
from maoyi.invoicing import selectors, services
from maoyi.invoicing.models import (
    SOURCE_TYPE,
    Invoice,
    InvoiceAllocation,
    InvoiceDirection,
    InvoiceKind,
    InvoiceStatus,
)

# The services' parameter names as this resource calls them.
API_NAMES = {"kind": "invoice_type", "number": "invoice_number", "red_number": "red_invoice_number"}
DOCUMENT_FIELD = "source_number"


@contextmanager
def _api_names() -> Iterator[None]:
    """A refusal about `number` or `allocations.0.document` names the API's field instead."""
    try:
        yield
    except DomainError as exc:
        if exc.field:
            names = {**API_NAMES, "document": DOCUMENT_FIELD}
            exc.field = ".".join(names.get(part, part) for part in exc.field.split("."))
        raise


class InvoiceAllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceAllocation
        fields = ["id", "source_type", "source_id", "source_number", "amount"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice with the orders it covers. `total` = `amount` (excluding tax) + `tax_amount`; a
    red invoice (`reverses` set) has negative amounts; `reversed_by` is the red invoice that
    cancelled this one."""

    invoice_type = serializers.CharField(source="kind", read_only=True)
    invoice_number = serializers.CharField(source="number", read_only=True)
    customer = serializers.SerializerMethodField(help_text="the customer's id for an issued invoice")
    supplier = serializers.SerializerMethodField(help_text="the supplier's id for a received invoice")
    reversed_by = serializers.SerializerMethodField(help_text="the red invoice's id once reversed")
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None, allow_null=True)
    allocations = InvoiceAllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "direction",
            "invoice_type",
            "invoice_number",
            "issued_on",
            "customer",
            "supplier",
            "party_kind",
            "party_id",
            "party_name",
            "amount",
            "tax_amount",
            "total",
            "status",
            "reverses",
            "reversed_by",
            "reverse_reason",
            "owner",
            "owner_name",
            "note",
            "created_at",
            "allocations",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_customer(self, invoice: Invoice) -> int | None:
        return invoice.party_id if invoice.party_kind == PartyKind.CUSTOMER else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_supplier(self, invoice: Invoice) -> int | None:
        return invoice.party_id if invoice.party_kind == PartyKind.SUPPLIER else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_reversed_by(self, invoice: Invoice) -> int | None:
        red = getattr(invoice, "reversed_by_invoice", None)
        return red.pk if red is not None else None


class AllocationInput(serializers.Serializer):
    source_number = serializers.CharField(
        max_length=60, label=_("来源单据"), help_text="the sales order's (issued) or purchase order's number"
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("开票金额（含税）"))


class InvoiceInput(PartyInput):
    direction = serializers.ChoiceField(choices=InvoiceDirection.choices, label=_("发票方向"))
    invoice_type = serializers.ChoiceField(choices=InvoiceKind.choices, label=_("发票类型"))
    invoice_number = serializers.CharField(
        max_length=40, label=_("发票号码"), help_text="digits: 8 or 20 (数电票: 20)"
    )
    issued_on = serializers.DateField(label=_("开票日期"), help_text="not after today")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("金额（不含税）"))
    tax_amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("税额"))
    allocations = AllocationInput(many=True, help_text="they must add up to amount + tax_amount")
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("备注")
    )


class ReverseInput(serializers.Serializer):
    red_invoice_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", label=_("红字发票号码")
    )
    issued_on = serializers.DateField(
        required=False, allow_null=True, default=None, label=_("红字发票开票日期"), help_text="default today"
    )
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("红冲原因"),
        help_text="required",
    )


class InvoiceQuery(serializers.Serializer):
    direction = serializers.ChoiceField(choices=InvoiceDirection.choices, required=False)
    invoice_type = serializers.ChoiceField(choices=InvoiceKind.choices, required=False)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    supplier = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="supplier id"
    )
    date_from = serializers.DateField(required=False, help_text="issued on or after")
    date_to = serializers.DateField(required=False, help_text="issued on or before")
    red = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="red invoices only"
    )
    search = serializers.CharField(required=False, help_text="invoice number, party name or order number")
    ordering = serializers.ChoiceField(choices=list(selectors.INVOICE_ORDERINGS), required=False)


def _posted(request: Any, status: int = 200) -> Any:
    return extend_schema(
        request=request,
        responses={status: InvoiceSerializer, **error_responses(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[InvoiceQuery],
        responses={200: InvoiceSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: InvoiceSerializer, **error_responses(401, 403, 404)}),
    create=_posted(InvoiceInput, 201),
    reverse=_posted(ReverseInput),
)
class InvoiceViewSet(
    PdfActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """VAT invoices in the caller's data scope, newest first, with the orders they cover."""

    serializer_class = InvoiceSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []
    action_permissions = {"reverse": "change"}

    @staticmethod
    def _rows(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
        return qs.select_related("reversed_by_invoice").prefetch_related(
            Prefetch("allocations", queryset=InvoiceAllocation.objects.order_by("id"))
        )

    def get_queryset(self) -> QuerySet[Invoice]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Invoice.objects.none()
        return self._rows(selectors.invoices(self.request.user))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the role check answers first (403 whatever the query).
        if self.action != "list":
            return queryset
        params = {name: value for name, value in self.request.query_params.items() if value != ""}
        query = InvoiceQuery(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customer, supplier = data.get("customer"), data.get("supplier")
        if customer is not None and supplier is not None:
            return queryset.none()
        party_kind, party_id = "", None
        if customer is not None:
            party_kind, party_id = PartyKind.CUSTOMER.value, customer
        elif supplier is not None:
            party_kind, party_id = PartyKind.SUPPLIER.value, supplier
        return self._rows(
            selectors.invoices(
                self.request.user,
                search=data.get("search", ""),
                direction=data.get("direction", ""),
                kind=data.get("invoice_type", ""),
                status=data.get("status", ""),
                party_kind=party_kind,
                party_id=party_id,
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                red=data.get("red"),
                ordering=data.get("ordering", ""),
            )
        )

    def _fresh(self, pk: int) -> Any:
        return self.get_serializer(self._rows(Invoice.objects.all()).get(pk=pk))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        direction = request.data.get("direction") if hasattr(request.data, "get") else None
        party_field = "supplier" if direction == InvoiceDirection.RECEIVED else "customer"
        form = InvoiceInput(
            data=request.data, context={**self.get_serializer_context(), "party_field": party_field}
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        source_type = SOURCE_TYPE[data["direction"]]
        ids = selectors.document_ids(source_type, [row["source_number"] for row in data["allocations"]])
        with _api_names():
            invoice = services.record_invoice(
                actor=acting(request),
                direction=data["direction"],
                kind=data["invoice_type"],
                number=data["invoice_number"],
                issued_on=data["issued_on"],
                party=data["party"],
                amount=data["amount"],
                tax_amount=data["tax_amount"],
                allocations=[
                    services.AllocationInput(
                        document_id=ids.get(row["source_number"], 0), amount=row["amount"]
                    )
                    for row in data["allocations"]
                ],
                note=data["note"],
            )
        return Response(self._fresh(invoice.pk).data, status=201)

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        """红字: record the red invoice (`red_invoice_number`) that cancels this one; answers this
        invoice, now 已红冲, with `reversed_by` naming the red one."""
        invoice = self.get_object()
        form = ReverseInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with _api_names():
            services.reverse_invoice(
                invoice,
                actor=acting(request),
                reason=data["reason"],
                red_number=data["red_invoice_number"],
                issued_on=data["issued_on"],
            )
        return Response(self._fresh(invoice.pk).data)


def register(router: BaseRouter) -> None:
    """Add this module's viewset to the v1 router."""
    router.register("invoices", InvoiceViewSet, basename="invoice")
