"""receivables, payables, receipts and payments (API.md): the money ledger. Input serializer → one
`maoyi.finance.services` call → output serializer.

Each pair shares one table and one set of rules, so each is written once, for a `direction`:
`ObligationViewSet` (receivables, payables: list, retrieve, create = an opening balance 期初,
`reverse` of an opening balance) and `SettlementViewSet` (receipts, payments: list, retrieve,
create, `allocate`, `reverse`), each with two thin subclasses. Nothing is updated or deleted (405).

Rows are scoped exactly as `maoyi.finance.selectors`: a salesperson sees the money of their own
customers, finance sees all; a record outside the caller's scope answers 404 like a missing one.
Parties (customers, suppliers) are found through `maoyi.finance.parties`; one the caller may not
see is refused on its field (400) like one that does not exist. A party is given as `customer` or
`supplier` (a receipt from a supplier or a payment to a customer is a refund), or as
`party_kind` + `party_id`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.pdf import PdfActionMixin
from maoyi.api.permissions import ModelPermission
from maoyi.api.viewsets import acting
from maoyi.core.errors import DomainError
from maoyi.core.money import BASE_CURRENCY, Currency
from maoyi.finance import selectors, services
from maoyi.finance.models import (
    Allocation,
    Direction,
    ExchangeRate,
    Installment,
    Obligation,
    ObligationStatus,
    PaymentMethod,
    Settlement,
    SettlementStatus,
)
from maoyi.finance.parties import PartyKind, get_party

MAX_ID = 2**63 - 1
NOT_VISIBLE = {
    PartyKind.CUSTOMER: _("客户不存在或不在您的数据范围内。"),
    PartyKind.SUPPLIER: _("供应商不存在或不在您的数据范围内。"),
}
PARTY_FIELDS = {"customer": PartyKind.CUSTOMER, "supplier": PartyKind.SUPPLIER}


@contextmanager
def _api_names(names: dict[str, str]) -> Iterator[None]:
    """A service's refusal about one of its parameters, named as the API names that field
    (`occurred_on` → `received_on`, `allocations.0.obligation` → `allocations.0.receivable`)."""
    try:
        yield
    except DomainError as exc:
        if exc.field:
            exc.field = ".".join(names.get(part, part) for part in exc.field.split("."))
        raise


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters parsed by a serializer (blank ones ignored); 400 {name: [message]}."""
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = serializer_class(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _party_filter(data: dict[str, Any]) -> dict[str, Any] | None:
    """The selector's party arguments from `customer`, `supplier`, `party_kind`, `party_id`; None
    when they contradict each other (nothing can match)."""
    kind, party_id = data.get("party_kind", ""), data.get("party_id")
    named = {(PARTY_FIELDS[name], data[name]) for name in PARTY_FIELDS if data.get(name) is not None}
    if not named:
        return {"party_kind": kind, "party_id": party_id}
    if len(named) > 1:
        return None
    named_kind, named_id = named.pop()
    if (kind and kind != named_kind) or (party_id is not None and party_id != named_id):
        return None
    return {"party_kind": named_kind, "party_id": named_id}


# Shared pieces -------------------------------------------------------------------------------------


class PartyRecordSerializer(serializers.ModelSerializer):
    """What receivables, payables, receipts and payments show of their party: `customer` or
    `supplier` (the id, when the party is of that kind), and always kind, id and name."""

    customer = serializers.SerializerMethodField(help_text="the customer's id when the party is a customer")
    supplier = serializers.SerializerMethodField(help_text="the supplier's id when the party is a supplier")
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None, allow_null=True)

    PARTY_FIELDS: ClassVar[list[str]] = ["customer", "supplier", "party_kind", "party_id", "party_name"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_customer(self, record: Obligation | Settlement) -> int | None:
        return record.party_id if record.party_kind == PartyKind.CUSTOMER else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_supplier(self, record: Obligation | Settlement) -> int | None:
        return record.party_id if record.party_kind == PartyKind.SUPPLIER else None


class PartyInput(serializers.Serializer):
    """The party of a new record: `customer` or `supplier`, or `party_kind` + `party_id`; it must
    exist and be visible to the caller. `validated_data["party"]` is the `Party`. A missing party
    is reported on the resource's own party field (context "party_field")."""

    customer = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, label=_("客户")
    )
    supplier = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, label=_("供应商")
    )
    party_kind = serializers.ChoiceField(
        choices=PartyKind.choices, required=False, label=_("往来单位类型"), help_text="with party_id"
    )
    party_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, label=_("往来单位"), help_text="with party_kind"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [
            (name, PARTY_FIELDS[name], attrs[name]) for name in PARTY_FIELDS if attrs.get(name) is not None
        ]
        kind, party_id = attrs.get("party_kind"), attrs.get("party_id")
        if kind or party_id is not None:
            if not kind:
                raise serializers.ValidationError({"party_kind": [_("请选择往来单位类型。")]})
            if party_id is None:
                raise serializers.ValidationError({"party_id": [_("请填写往来单位。")]})
            given.append(("party_id", kind, party_id))
        if not given:
            field = self.context.get("party_field", "customer")
            raise serializers.ValidationError({field: [_("请选择客户或供应商。")]})
        if len(given) > 1:
            raise serializers.ValidationError({given[1][0]: [_("只能填写一个往来单位。")]})
        field, kind, party_id = given[0]
        request = self.context["request"]
        party = get_party(request.user, kind, party_id)
        if party is None:
            raise serializers.ValidationError({field: [NOT_VISIBLE[kind]]})
        attrs["party"] = party
        return attrs


class MoneyInput(PartyInput):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("金额"))
    currency = serializers.ChoiceField(choices=Currency.choices, default=BASE_CURRENCY, label=_("币种"))
    exchange_rate = serializers.DecimalField(
        max_digits=16,
        decimal_places=6,
        required=False,
        allow_null=True,
        label=_("汇率"),
        help_text="CNY per unit of the currency; required for a foreign currency, ignored for CNY",
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("备注")
    )


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("红冲原因"),
        help_text="required",
    )


def _ledger_schema(read: Any, query: type[serializers.Serializer], write: Any, allocate: Any = None) -> Any:
    """Refusals, query parameters, request bodies and the Idempotency-Key header of a ledger
    viewset: the base class writes each action once, each subclass names its own shapes."""

    def posted(request: Any, status: int = 200) -> Any:
        return extend_schema(
            request=request,
            responses={status: read, **error_responses(400, 401, 403, 404, 409, 422)},
            parameters=[IDEMPOTENCY_KEY],
        )

    views: dict[str, Any] = {
        "list": extend_schema(
            parameters=[query], responses={200: read(many=True), **error_responses(400, 401, 403)}
        ),
        "retrieve": extend_schema(responses={200: read, **error_responses(401, 403, 404)}),
        "create": posted(write, 201),
        "reverse": posted(ReasonInput),
    }
    if allocate is not None:
        views["allocate"] = posted(allocate)
    return extend_schema_view(**views)


# Receivables and payables --------------------------------------------------------------------------


class ObligationInstallmentSerializer(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Installment
        fields = ["id", "sequence", "due_date", "amount", "allocated", "outstanding"]
        read_only_fields = fields


class ObligationSerializer(PartyRecordSerializer):
    """A receivable (what a party owes us) or payable (what we owe a party) with its installments;
    `outstanding` = amount − allocated."""

    outstanding = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    installments = ObligationInstallmentSerializer(many=True, read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "number",
            "source_type",
            "source_number",
            "is_opening",
            *PartyRecordSerializer.PARTY_FIELDS,
            "currency",
            "exchange_rate",
            "amount",
            "allocated",
            "outstanding",
            "issued_on",
            "due_date",
            "status",
            "owner",
            "owner_name",
            "note",
            "created_at",
            "reversed_at",
            "reverse_reason",
            "installments",
        ]
        read_only_fields = fields


class InstallmentInputSerializer(serializers.Serializer):
    due_date = serializers.DateField(label=_("到期日"))
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("金额"))


class OpeningBalanceInput(MoneyInput):
    """期初: what a party owed us (receivables) or we owed it (payables) before Maoyi."""

    issued_on = serializers.DateField(label=_("业务日期"))
    due_date = serializers.DateField(
        required=False, allow_null=True, label=_("到期日"), help_text="required without installments"
    )
    installments = InstallmentInputSerializer(
        many=True,
        required=False,
        help_text="optional; they must add up to the amount (default: one installment on due_date)",
    )
    reference = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        label=_("原单据号"),
        help_text="the old system's document number, kept as source_number",
    )


class ObligationQuery(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    supplier = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="supplier id"
    )
    party_kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    party_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=ObligationStatus.choices, required=False)
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open with an installment past due; false: the others",
    )
    is_opening = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="only opening balances (期初), or none"
    )
    search = serializers.CharField(required=False, help_text="number, party name or source document number")
    ordering = serializers.ChoiceField(choices=list(selectors.OBLIGATION_ORDERINGS), required=False)


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Receivables or payables in the caller's data scope, newest first."""

    direction: ClassVar[str] = ""
    party_field: ClassVar[str] = ""  # where a missing party is reported: "customer" / "supplier"
    serializer_class = ObligationSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []  # the selector filters, searches and orders
    action_permissions = {"reverse": "change"}

    def get_queryset(self) -> QuerySet[Obligation]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return services.OBLIGATION_MODELS[self.direction].objects.none()
        return selectors.obligations(self.request.user, self.direction).prefetch_related("installments")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Parsed here, not in get_queryset: the role check answers first (403 whatever the query).
        if self.action != "list":
            return queryset
        data = _query(ObligationQuery, self.request)
        party = _party_filter(data)
        if party is None:
            return queryset.none()
        overdue, opening = data.get("overdue"), data.get("is_opening")
        found = selectors.obligations(
            self.request.user,
            self.direction,
            search=data.get("search", ""),
            status=data.get("status", ""),
            overdue=bool(overdue),
            is_opening=opening,
            ordering=data.get("ordering", ""),
            **party,
        )
        if overdue is False:
            found = found.exclude(
                pk__in=selectors.obligations(self.request.user, self.direction, overdue=True)
            )
        return found.prefetch_related("installments")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """期初: an opening balance, entered by finance."""
        form = OpeningBalanceInput(
            data=request.data, context={**self.get_serializer_context(), "party_field": self.party_field}
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        record = services.create_opening_balance(
            direction=self.direction,
            actor=acting(request),
            party=data["party"],
            amount=data["amount"],
            issued_on=data["issued_on"],
            due_date=data.get("due_date"),
            installments=[services.InstallmentInput(**row) for row in data.get("installments", [])],
            currency=data["currency"],
            exchange_rate=data.get("exchange_rate"),
            reference=data["reference"],
            note=data["note"],
        )
        return Response(self.get_serializer(record).data, status=201)

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        """红冲 an opening balance entered by mistake (nothing may be allocated to it). Those opened by
        a document are reversed through the document (invalid_state here)."""
        obligation = self.get_object()
        form = ReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        record = services.reverse_opening_balance(
            obligation, actor=acting(request), reason=form.validated_data["reason"]
        )
        return Response(self.get_serializer(self._fresh(record.pk)).data)

    def _fresh(self, pk: int) -> Obligation:
        model = services.OBLIGATION_MODELS[self.direction]
        return model.objects.select_related("owner").prefetch_related("installments").get(pk=pk)


@_ledger_schema(ObligationSerializer, ObligationQuery, OpeningBalanceInput)
class ReceivableViewSet(PdfActionMixin, ObligationViewSet):
    direction = Direction.RECEIVABLE
    party_field = "customer"


@_ledger_schema(ObligationSerializer, ObligationQuery, OpeningBalanceInput)
class PayableViewSet(PdfActionMixin, ObligationViewSet):
    direction = Direction.PAYABLE
    party_field = "supplier"


# Receipts and payments -----------------------------------------------------------------------------


class VisibleObligationField(serializers.PrimaryKeyRelatedField):
    """A receivable or payable id the caller may see; another reads like a missing one."""

    def __init__(self, direction: str, **kwargs: Any) -> None:
        self.direction = direction
        model = services.OBLIGATION_MODELS[direction]
        kwargs.setdefault(
            "error_messages",
            {"does_not_exist": _("单据不存在或不在您的数据范围内。"), "incorrect_type": _("请填写单据ID。")},
        )
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet[Obligation]:
        request = self.context.get("request")
        if request is None:
            return services.OBLIGATION_MODELS[self.direction].objects.none()
        return selectors.obligations(request.user, self.direction)


class AllocationInputSerializer(serializers.Serializer):
    """One allocation (核销): `amount` of this receipt or payment applied to a receivable or
    payable; to one of its installments when `installment` is given, else earliest due first."""

    OBLIGATION_FIELD: ClassVar[str] = ""

    amount = serializers.DecimalField(max_digits=18, decimal_places=2, label=_("核销金额"))
    installment = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, label=_("分期")
    )

    def to_allocation(self, row: dict[str, Any]) -> services.AllocationInput:
        return services.AllocationInput(
            obligation_id=row[self.OBLIGATION_FIELD].pk,
            amount=row["amount"],
            installment_id=row.get("installment"),
        )


class ReceiptAllocationInput(AllocationInputSerializer):
    OBLIGATION_FIELD = "receivable"
    receivable = VisibleObligationField(Direction.RECEIVABLE, label=_("应收款"))


class PaymentAllocationInput(AllocationInputSerializer):
    OBLIGATION_FIELD = "payable"
    payable = VisibleObligationField(Direction.PAYABLE, label=_("应付款"))


class AllocationSerializer(serializers.ModelSerializer):
    """An allocation of a receipt or payment, live or (with `reversed_at`) undone by its reversal."""

    installment_sequence = serializers.IntegerField(source="installment.sequence", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "installment", "installment_sequence", "amount", "created_at", "reversed_at"]
        read_only_fields = fields


class ReceiptAllocationSerializer(AllocationSerializer):
    receivable = serializers.IntegerField(source="obligation_id", read_only=True)
    receivable_number = serializers.CharField(source="obligation.number", read_only=True)

    class Meta(AllocationSerializer.Meta):
        fields = ["id", "receivable", "receivable_number", *AllocationSerializer.Meta.fields[1:]]
        read_only_fields = fields


class PaymentAllocationSerializer(AllocationSerializer):
    payable = serializers.IntegerField(source="obligation_id", read_only=True)
    payable_number = serializers.CharField(source="obligation.number", read_only=True)

    class Meta(AllocationSerializer.Meta):
        fields = ["id", "payable", "payable_number", *AllocationSerializer.Meta.fields[1:]]
        read_only_fields = fields


class SettlementSerializer(PartyRecordSerializer):
    """A receipt (money in) or payment (money out); `unallocated` = amount − allocated, an advance
    (预收/预付) still to allocate while it is posted."""

    unallocated = serializers.DecimalField(
        max_digits=18, decimal_places=2, source="outstanding", read_only=True
    )
    # A plain string: one enum shared by two components would collide with the other `status` enums.
    status = serializers.CharField(read_only=True, help_text="posted (已入账) or reversed (已红冲)")

    class Meta:
        model = Settlement
        fields = [
            "id",
            "number",
            *PartyRecordSerializer.PARTY_FIELDS,
            "currency",
            "exchange_rate",
            "amount",
            "allocated",
            "unallocated",
            "method",
            "reference",
            "note",
            "status",
            "owner",
            "owner_name",
            "created_at",
            "reversed_at",
            "reverse_reason",
        ]
        read_only_fields = fields


class ReceiptSerializer(SettlementSerializer):
    received_on = serializers.DateField(source="occurred_on", read_only=True)
    allocations = ReceiptAllocationSerializer(many=True, read_only=True)

    class Meta(SettlementSerializer.Meta):
        fields = [*SettlementSerializer.Meta.fields, "received_on", "allocations"]
        read_only_fields = fields


class PaymentSerializer(SettlementSerializer):
    paid_on = serializers.DateField(source="occurred_on", read_only=True)
    allocations = PaymentAllocationSerializer(many=True, read_only=True)

    class Meta(SettlementSerializer.Meta):
        fields = [*SettlementSerializer.Meta.fields, "paid_on", "allocations"]
        read_only_fields = fields


class SettlementInput(MoneyInput):
    DATE_FIELD: ClassVar[str] = ""

    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER, label=_("结算方式")
    )
    reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("流水号/票据号")
    )


class ReceiptInput(SettlementInput):
    """收款: money from a customer (or a refund from a supplier), allocated to receivables now
    or later; what is not allocated stays on it as an advance."""

    DATE_FIELD = "received_on"
    received_on = serializers.DateField(label=_("收款日期"), help_text="not after today")
    allocations = ReceiptAllocationInput(many=True, required=False)


class PaymentInput(SettlementInput):
    """付款: money to a supplier (or a refund to a customer), allocated to payables now or later."""

    DATE_FIELD = "paid_on"
    paid_on = serializers.DateField(label=_("付款日期"), help_text="not after today")
    allocations = PaymentAllocationInput(many=True, required=False)


class ReceiptAllocateInput(serializers.Serializer):
    allocations = ReceiptAllocationInput(many=True)


class PaymentAllocateInput(serializers.Serializer):
    allocations = PaymentAllocationInput(many=True)


class SettlementQuery(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="customer id"
    )
    supplier = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="supplier id"
    )
    party_kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    party_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=SettlementStatus.choices, required=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    date_from = serializers.DateField(required=False, help_text="received / paid on or after")
    date_to = serializers.DateField(required=False, help_text="received / paid on or before")
    unallocated = serializers.BooleanField(
        required=False, default=False, help_text="only posted ones with money still to allocate"
    )
    search = serializers.CharField(required=False, help_text="number, party name or reference")
    ordering = serializers.ChoiceField(choices=list(selectors.SETTLEMENT_ORDERINGS), required=False)


class SettlementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Receipts or payments in the caller's data scope, newest first, with their allocations."""

    direction: ClassVar[str] = ""
    party_field: ClassVar[str] = ""
    input_class: ClassVar[type[SettlementInput]] = SettlementInput
    allocate_class: ClassVar[type[serializers.Serializer]] = serializers.Serializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []
    action_permissions = {"allocate": "change", "reverse": "change"}

    @property
    def names(self) -> dict[str, str]:
        """The services' parameter names as this resource calls them."""
        return {"occurred_on": self.input_class.DATE_FIELD, "obligation": self.obligation_field}

    @property
    def obligation_field(self) -> str:
        return "receivable" if self.direction == Direction.RECEIVABLE else "payable"

    def _base(self) -> QuerySet[Settlement]:
        return services.SETTLEMENT_MODELS[self.direction].objects.all()

    @staticmethod
    def _with_allocations(qs: QuerySet[Settlement]) -> QuerySet[Settlement]:
        rows = Allocation.objects.select_related("obligation", "installment").order_by("id")
        return qs.prefetch_related(Prefetch("allocations", queryset=rows))

    def get_queryset(self) -> QuerySet[Settlement]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return self._base().none()
        return self._with_allocations(selectors.settlements(self.request.user, self.direction))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(SettlementQuery, self.request)
        party = _party_filter(data)
        if party is None:
            return queryset.none()
        found = selectors.settlements(
            self.request.user,
            self.direction,
            search=data.get("search", ""),
            status=data.get("status", ""),
            method=data.get("method", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            unallocated=data["unallocated"],
            ordering=data.get("ordering", ""),
            **party,
        )
        return self._with_allocations(found)

    def _fresh(self, pk: int) -> Settlement:
        return self._with_allocations(self._base().select_related("owner")).get(pk=pk)

    def _allocations(self, form: serializers.Serializer) -> list[services.AllocationInput]:
        rows = form.validated_data.get("allocations", [])
        child: Any = form.fields["allocations"].child  # type: ignore[attr-defined]
        return [child.to_allocation(row) for row in rows]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.input_class(
            data=request.data, context={**self.get_serializer_context(), "party_field": self.party_field}
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with _api_names(self.names):
            record = services.record_settlement(
                direction=self.direction,
                actor=acting(request),
                party=data["party"],
                amount=data["amount"],
                occurred_on=data[self.input_class.DATE_FIELD],
                method=data["method"],
                currency=data["currency"],
                exchange_rate=data.get("exchange_rate"),
                reference=data["reference"],
                note=data["note"],
                allocations=self._allocations(form),
            )
        return Response(self.get_serializer(self._fresh(record.pk)).data, status=201)

    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        """核销 what is still unallocated on the receipt or payment to receivables or payables of
        the same party."""
        settlement = self.get_object()
        form = self.allocate_class(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        with _api_names(self.names):
            services.allocate(settlement, actor=acting(request), allocations=self._allocations(form))
        return Response(self.get_serializer(self._fresh(settlement.pk)).data)

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        """红冲: the receipt or payment and its allocations stay, stamped reversed; what it settled
        is owed again."""
        settlement = self.get_object()
        form = ReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        services.reverse_settlement(settlement, actor=acting(request), reason=form.validated_data["reason"])
        return Response(self.get_serializer(self._fresh(settlement.pk)).data)


@_ledger_schema(ReceiptSerializer, SettlementQuery, ReceiptInput, ReceiptAllocateInput)
class ReceiptViewSet(PdfActionMixin, SettlementViewSet):
    direction = Direction.RECEIVABLE
    party_field = "customer"
    serializer_class = ReceiptSerializer
    input_class = ReceiptInput
    allocate_class = ReceiptAllocateInput


@_ledger_schema(PaymentSerializer, SettlementQuery, PaymentInput, PaymentAllocateInput)
class PaymentViewSet(PdfActionMixin, SettlementViewSet):
    direction = Direction.PAYABLE
    party_field = "supplier"
    serializer_class = PaymentSerializer
    input_class = PaymentInput
    allocate_class = PaymentAllocateInput


# Exchange rates (汇率) ------------------------------------------------------------------------------


class ExchangeRateSerializer(serializers.ModelSerializer):
    """A rate as read and as set: what one unit of `currency` is worth in CNY from `valid_from` on.
    Setting one for a currency and day that already has one replaces it."""

    currency = serializers.ChoiceField(choices=Currency.choices, label=_("币种"))
    rate = serializers.DecimalField(
        max_digits=None, decimal_places=None, label=_("汇率"), help_text="CNY per unit, ≤ 6 decimals"
    )
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "rate", "valid_from", "created_by_name", "created_at"]
        read_only_fields = ["id", "created_by_name", "created_at"]
        validators: list[Any] = []

    def get_created_by_name(self, rate: ExchangeRate) -> str:
        employee = getattr(rate.created_by, "employee", None)
        return employee.name if employee is not None else rate.created_by.get_username()


class ExchangeRateQuery(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[ExchangeRateQuery],
        responses={200: ExchangeRateSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: ExchangeRateSerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        responses={201: ExchangeRateSerializer, **error_responses(400, 401, 403, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
)
class ExchangeRateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """汇率, by currency, newest first. Set by finance; never updated or deleted (405): a new rate
    from a later day takes over, and documents keep the rate they were saved with."""

    serializer_class = ExchangeRateSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []
    # Methods no action answers (PUT, PATCH, DELETE) need only the view permission, so a reader
    # learns 405 (never changed) rather than 403 (not your role).
    action_permissions: dict[str | None, str] = {None: "view"}

    def get_queryset(self) -> QuerySet[ExchangeRate]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return ExchangeRate.objects.none()
        return selectors.exchange_rates()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        currency = _query(ExchangeRateQuery, self.request).get("currency")
        return queryset.filter(currency=currency) if currency else queryset

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        with _api_names({"exchange_rate": "rate"}):
            found = services.set_exchange_rate(
                actor=acting(self.request),
                currency=data["currency"],
                rate=data["rate"],
                valid_from=data["valid_from"],
            )
        serializer.instance = selectors.exchange_rates().get(pk=found.pk)  # as stored


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("receivables", ReceivableViewSet, basename="receivable")
    router.register("payables", PayableViewSet, basename="payable")
    router.register("receipts", ReceiptViewSet, basename="receipt")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
