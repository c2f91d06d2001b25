"""REST resources `quotes` (报价单 to customers) and `contracts` (合同, a document with approval)
(API.md). Input serializer → one service → output serializer.

Quotes are seen through their customer, contracts through their owner and department: a record
outside the caller's scope answers 404 like a missing one, and a customer the caller cannot see is
refused as an unknown id (400). A quote line's missing or null `unit_price` takes the customer's
price-level price (else the product's sale price). Quote actions: `send`, `accept`, `decline`
(`to-sales-order` comes with sales). Contract actions: `submit`, `withdraw`, `cancel`, and `approve`
/ `reject` by a named approver (as in the approval inbox). Nothing is deleted (405)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
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
from maoyi.api.permissions import ModelPermission
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import acting, posted
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.crm.models import Contract, ContractLine, Customer, Opportunity, Quote, QuoteLine, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import quotes as quote_services
from maoyi.org import scope

MAX_ID = 2**63 - 1


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


class LineInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, label=_("商品"))
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, label=_("数量"))
    unit_price = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        allow_null=True,
        label=_("含税单价"),
        help_text="tax-inclusive; missing or null: the customer's price-level price, else the sale price",
    )


def _line_inputs(rows: list[dict[str, Any]]) -> list[quote_services.QuoteLineInput]:
    return [
        quote_services.QuoteLineInput(row["product"], row["quantity"], row.get("unit_price")) for row in rows
    ]


@extend_schema_field(OpenApiTypes.INT)
class _ScopedCustomer(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Customer]:
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        return scope.visible(request.user, Customer.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class _ScopedOpportunity(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Opportunity]:
        request = self.context.get("request")
        if request is None:
            return Opportunity.objects.none()
        return scope.visible(request.user, Opportunity.objects.all())


# Quotes ----------------------------------------------------------------------------------------------


class QuoteLineSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    amount = _money()
    below_minimum = serializers.SerializerMethodField(help_text="under the product's minimum sale price")

    class Meta:
        model = QuoteLine
        fields = [
            "id",
            "product",
            "product_code",
            "product_name",
            "quantity",
            "unit_price",
            "price_source",
            "amount",
            "below_minimum",
        ]
        read_only_fields = fields

    def get_below_minimum(self, line: QuoteLine) -> bool:
        return selectors.below_minimum(line.product, line.unit_price)


class QuoteSerializer(serializers.ModelSerializer):
    """报价单 as read; `expired` is true for a draft or sent quote past `valid_until`."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    expired = serializers.SerializerMethodField()
    amount = _money()
    lines = QuoteLineSerializer(many=True, read_only=True)
    created_by_name = serializers.CharField(source="created_by.name", read_only=True, default=None)

    class Meta:
        model = Quote
        fields = [
            "id",
            "version",
            "number",
            "status",
            "status_display",
            "expired",
            "customer",
            "customer_name",
            "opportunity",
            "valid_until",
            "note",
            "amount",
            "lines",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_expired(self, quote: Quote) -> bool:
        return selectors.is_expired(quote)


class QuoteInput(serializers.Serializer):
    """A new quote, or (PUT) the whole of a draft: lines are replaced. PATCH keeps what is missing."""

    customer = _ScopedCustomer(label=_("客户"))
    opportunity = _ScopedOpportunity(required=False, allow_null=True, label=_("机会"))
    valid_until = serializers.DateField(label=_("有效期至"))
    note = serializers.CharField(required=False, allow_blank=True, label=_("备注"))
    lines = LineInput(many=True, allow_empty=True)


class QuoteQuery(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=[*QuoteStatus.values], required=False)
    search = serializers.CharField(required=False, help_text="number, customer name or pinyin")


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=[QuoteQuery],
        responses={200: QuoteSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: QuoteSerializer, **error_responses(401, 403, 404)}),
    create=posted(QuoteInput, QuoteSerializer, 201),
    update=extend_schema(
        request=QuoteInput, responses={200: QuoteSerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
    partial_update=extend_schema(
        request=QuoteInput(partial=True),
        responses={200: QuoteSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    send=posted(None, QuoteSerializer),
    accept=posted(None, QuoteSerializer),
    decline=posted(None, QuoteSerializer),
)
class QuoteViewSet(
    PdfActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Quotes of the customers in the caller's data scope, newest first. `status=expired` lists
    drafts and sent quotes past their validity."""

    serializer_class = QuoteSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Quote]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Quote.objects.none()
        return selectors.quotes(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(QuoteQuery, self.request)
        return selectors.quotes(
            self.request.user,
            customer_id=data.get("customer"),
            status=data.get("status", ""),
            search=data.get("search", ""),
        )

    def _answer(self, quote: Quote, status: int = 200) -> Response:
        fresh = selectors.quotes(self.request.user).filter(pk=quote.pk).first() or quote
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = QuoteInput(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        quote = quote_services.create_quote(
            actor=acting(request),
            customer=data["customer"],
            valid_until=data["valid_until"],
            lines=_line_inputs(data["lines"]),
            opportunity=data.get("opportunity"),
            note=data.get("note", ""),
        )
        return self._answer(quote, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        quote = self.get_object()
        partial = kwargs.pop("partial", False)
        form = QuoteInput(data=request.data, partial=partial, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        customer = data.get("customer")
        if customer is not None and customer.pk != quote.customer_id:
            raise DomainError(_("报价单的客户不能修改。"), code="invalid", field="customer")
        lines = (
            _line_inputs(data["lines"])
            if "lines" in data
            else [
                quote_services.QuoteLineInput(
                    x.product_id,
                    x.quantity,
                    x.unit_price if x.price_source == selectors.PRICE_TYPED else None,
                )
                for x in quote.lines.order_by("id")
            ]
        )
        updated = quote_services.update_quote(
            quote,
            actor=acting(request),
            version=expected_version(request),
            valid_until=data.get("valid_until", quote.valid_until),
            lines=lines,
            opportunity=data.get("opportunity", quote.opportunity),
            note=data.get("note", quote.note),
        )
        return self._answer(updated)

    def _mark(self, request: Request, status: str) -> Response:
        quote = self.get_object()
        marked = quote_services.mark_quote(quote, actor=acting(request), status=status)
        return self._answer(marked)

    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """已发送: the draft went to the customer (refused past its validity)."""
        return self._mark(request, QuoteStatus.SENT)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """已接受 by the customer (refused past its validity)."""
        return self._mark(request, QuoteStatus.ACCEPTED)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """已拒绝 by the customer."""
        return self._mark(request, QuoteStatus.DECLINED)


# Contracts -------------------------------------------------------------------------------------------


class ContractLineSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    amount = serializers.SerializerMethodField()

    class Meta:
        model = ContractLine
        fields = ["id", "product", "product_code", "product_name", "quantity", "unit_price", "amount"]
        read_only_fields = fields

    def get_amount(self, line: ContractLine) -> str:
        return f"{selectors.lines_total([line]):.2f}"


class ContractSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    lines = ContractLineSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "version",
            "number",
            "status",
            "status_display",
            "customer",
            "customer_name",
            "quote",
            "title",
            "amount",
            "signed_on",
            "start_date",
            "end_date",
            "note",
            "lines",
            "owner",
            "owner_name",
            "department",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContractInput(serializers.Serializer):
    """A new contract, or (PUT) the whole of a draft or rejected one. `amount` may be left out when
    there are lines (it is their sum). PATCH keeps what is missing."""

    customer = _ScopedCustomer(label=_("客户"))
    title = serializers.CharField(max_length=200, allow_blank=True, label=_("合同名称"))
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, label=_("合同金额")
    )
    signed_on = serializers.DateField(label=_("签订日期"))
    start_date = serializers.DateField(label=_("开始日期"))
    end_date = serializers.DateField(label=_("结束日期"))
    note = serializers.CharField(required=False, allow_blank=True, label=_("备注"))
    lines = LineInput(many=True, required=False)


class ContractReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("原因")
    )


class ContractQuery(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    search = serializers.CharField(required=False, help_text="number, title, customer name or pinyin")


@extend_schema_view(
    list=extend_schema(
        parameters=[ContractQuery],
        responses={200: ContractSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: ContractSerializer, **error_responses(401, 403, 404)}),
    create=posted(ContractInput, ContractSerializer, 201),
    update=extend_schema(
        request=ContractInput, responses={200: ContractSerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
    partial_update=extend_schema(
        request=ContractInput(partial=True),
        responses={200: ContractSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, ContractSerializer),
    withdraw=posted(None, ContractSerializer),
    cancel=posted(ContractReasonInput, ContractSerializer),
    approve=posted(ApproveInput, ContractSerializer),
    reject=posted(RejectInput, ContractSerializer),
)
class ContractViewSet(
    PdfActionMixin,
    ApprovalActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """合同 in the caller's data scope, latest signed first. Workflow: submit → approve / reject
    (here or in the approvals inbox); withdraw; cancel a draft or rejected one."""

    serializer_class = ContractSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {
        "submit": "change",
        "withdraw": "change",
        "cancel": "change",
        "approve": "view",  # approvers are named by the rules; the service refuses others
        "reject": "view",
    }

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Contract.objects.none()
        return selectors.contracts(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(ContractQuery, self.request)
        return selectors.contracts(
            self.request.user,
            customer_id=data.get("customer"),
            status=data.get("status", ""),
            search=data.get("search", ""),
        )

    def _answer(self, contract: Contract, status: int = 200) -> Response:
        fresh = selectors.contracts(self.request.user).filter(pk=contract.pk).first()
        if fresh is None:  # an approver outside the owner's scope still gets the document back
            fresh = Contract.objects.get(pk=contract.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = ContractInput(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        contract = contract_services.create_contract(
            actor=acting(request),
            customer=data["customer"],
            title=data["title"],
            amount=data.get("amount"),
            signed_on=data["signed_on"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            lines=_line_inputs(data.get("lines", [])),
            note=data.get("note", ""),
        )
        return self._answer(contract, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        partial = kwargs.pop("partial", False)
        form = ContractInput(data=request.data, partial=partial, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        customer = data.get("customer")
        if customer is not None and customer.pk != contract.customer_id:
            raise DomainError(_("合同的客户不能修改。"), code="invalid", field="customer")
        if "lines" in data:
            lines = _line_inputs(data["lines"])
        elif partial:
            lines = [
                quote_services.QuoteLineInput(x.product_id, x.quantity, x.unit_price)
                for x in contract.lines.order_by("id")
            ]
        else:
            lines = []
        amount = data.get("amount", contract.amount if partial else None)
        updated = contract_services.update_contract(
            contract,
            actor=acting(request),
            version=expected_version(request),
            title=data.get("title", contract.title),
            amount=amount,
            signed_on=data.get("signed_on", contract.signed_on),
            start_date=data.get("start_date", contract.start_date),
            end_date=data.get("end_date", contract.end_date),
            lines=lines,
            note=data.get("note", contract.note if partial else ""),
        )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """提交审核: to the approvers the approval rules name."""
        contract = self.get_object()
        contract_services.submit_contract(contract, actor=acting(request))
        return self._answer(contract)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        contract_services.withdraw_contract(contract, actor=acting(request))
        return self._answer(contract)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """作废 a draft or rejected contract."""
        contract = self.get_object()
        form = ContractReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        contract_services.cancel_contract(
            contract, actor=acting(request), reason=form.validated_data["reason"]
        )
        return self._answer(contract)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("quotes", QuoteViewSet, basename="quote")
    router.register("contracts", ContractViewSet, basename="contract")
