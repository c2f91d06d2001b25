"""REST resource `expenses` (费用, a document with approval) (API.md). Input serializer → one service →
output serializer.

An expense is the applicant's own: it is seen by them, their managers (department tree) and finance;
one outside the caller's scope answers 404 like a missing one. A customer the caller cannot see, or
a campaign that does not exist, is refused as an unknown id (400). Workflow: `submit`, `withdraw`,
`cancel`, `approve` / `reject` by a named approver (as in the approval inbox: approval opens the
payable to the applicant), `unapprove` while unpaid, and `pay` by finance ({paid_on, method,
reference}: a payment settles the payable, the expense is done). Nothing is deleted (405)."""

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
from maoyi.api.viewsets import acting, posted
from maoyi.crm.models import Campaign, Customer, Expense, ExpenseCategory
from maoyi.crm.selectors import expenses as selectors
from maoyi.crm.services import expenses as services
from maoyi.finance.models import PaymentMethod
from maoyi.org import scope

MAX_ID = 2**63 - 1
STATUS_CHOICES = [*selectors.LIST_STATUSES, selectors.TO_PAY]


class ExpensePermission(ModelPermission):
    """The model's permissions, and for actions another one: `action_permissions` may name a full
    permission (`"pay": "crm.pay_expense"`) instead of a verb."""

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None) or "", "")
        if "." in needed:
            return bool(request.user and request.user.has_perm(needed))
        return super().has_permission(request, view)


@extend_schema_field(OpenApiTypes.INT)
class _ScopedCustomer(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Customer]:
        request = self.context.get("request")
        if request is None or not request.user.has_perm("crm.view_customer"):
            return Customer.objects.none()
        return scope.visible(request.user, Customer.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class _CampaignField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Campaign]:
        request = self.context.get("request")
        if request is None or not request.user.has_perm("crm.view_campaign"):
            return Campaign.objects.none()
        return Campaign.objects.all()


class ExpenseSerializer(serializers.ModelSerializer):
    """费用 as read. `status` is the document status (`done`: paid, 已支付); `payment_number` and
    `payable_number` name the ledger records once they exist."""

    status = serializers.CharField(
        read_only=True, help_text="draft, submitted, approved, rejected, done (paid), cancelled"
    )
    status_display = serializers.SerializerMethodField()
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, default=None, allow_null=True
    )
    campaign_name = serializers.CharField(
        source="campaign.name", read_only=True, default=None, allow_null=True
    )
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    payment_number = serializers.CharField(
        source="payment.number", read_only=True, default=None, allow_null=True
    )
    payable_number = serializers.SerializerMethodField()

    class Meta:
        model = Expense
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "category",
            "category_display",
            "amount",
            "incurred_on",
            "description",
            "customer",
            "customer_name",
            "campaign",
            "campaign_name",
            "owner",
            "owner_name",
            "department",
            "approved_at",
            "payable_number",
            "payment",
            "payment_number",
            "paid_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_status_display(self, expense: Expense) -> str:
        return selectors.status_label(expense.status)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_payable_number(self, expense: Expense) -> str | None:
        payable = selectors.payable_of(expense) if expense.status in ("approved", "done") else None
        return payable.number if payable is not None else None


class ExpenseInput(serializers.Serializer):
    """A new expense, or (PUT) the whole of a draft or rejected one. PATCH keeps what is missing."""

    category = serializers.ChoiceField(choices=ExpenseCategory.choices, label=_("费用类别"))
    amount = serializers.DecimalField(
        max_digits=30, decimal_places=10, label=_("金额"), help_text="more than 0, at most 2 decimals"
    )
    incurred_on = serializers.DateField(label=_("发生日期"), help_text="not after today")
    description = serializers.CharField(label=_("费用说明"), allow_blank=True)
    customer = _ScopedCustomer(required=False, allow_null=True, label=_("客户"))
    campaign = _CampaignField(required=False, allow_null=True, label=_("市场活动"))


class ExpenseReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("原因")
    )


class ExpenseUnapproveInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, label=_("反审核原因"))


class ExpensePayInput(serializers.Serializer):
    paid_on = serializers.DateField(label=_("支付日期"), help_text="not after today")
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER, label=_("结算方式")
    )
    reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("参考号")
    )


class ExpenseQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES, required=False, help_text="a status, or to_pay (approved, oldest first)"
    )
    category = serializers.ChoiceField(choices=ExpenseCategory.choices, required=False)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = serializers.DateField(required=False, help_text="incurred on or after")
    date_to = serializers.DateField(required=False, help_text="incurred on or before")
    search = serializers.CharField(required=False, help_text="number, description, customer name or pinyin")


def _query(request: Request) -> dict[str, Any]:
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = ExpenseQuery(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=[ExpenseQuery],
        responses={200: ExpenseSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: ExpenseSerializer, **error_responses(401, 403, 404)}),
    create=posted(ExpenseInput, ExpenseSerializer, 201),
    update=extend_schema(
        request=ExpenseInput, responses={200: ExpenseSerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
    partial_update=extend_schema(
        request=ExpenseInput(partial=True),
        responses={200: ExpenseSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    submit=posted(None, ExpenseSerializer),
    withdraw=posted(None, ExpenseSerializer),
    cancel=posted(ExpenseReasonInput, ExpenseSerializer),
    approve=posted(ApproveInput, ExpenseSerializer),
    reject=posted(RejectInput, ExpenseSerializer),
    unapprove=posted(ExpenseUnapproveInput, ExpenseSerializer),
    pay=posted(ExpensePayInput, ExpenseSerializer),
)
class ExpenseViewSet(
    PdfActionMixin,
    ApprovalActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """费用 in the caller's data scope, latest spent first (`status=to_pay`: approved ones, oldest
    approval first). Workflow: submit → approve / reject (here or in the approvals inbox) → pay
    (finance); withdraw, unapprove while unpaid, cancel a draft or rejected one."""

    serializer_class = ExpenseSerializer
    permission_classes = [ExpensePermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {
        "submit": "change",
        "withdraw": "change",
        "cancel": "change",
        # Approvers are named by the approval rules (the service refuses others: not_approver).
        "approve": "view",
        "reject": "view",
        "unapprove": "view",
        "pay": "crm.pay_expense",
    }

    def get_queryset(self) -> QuerySet[Expense]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Expense.objects.none()
        return selectors.expenses(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(self.request)
        return selectors.expenses(
            self.request.user,
            search=data.get("search", ""),
            status=data.get("status", ""),
            category=data.get("category", ""),
            owner_id=data.get("owner"),
            customer_id=data.get("customer"),
            campaign_id=data.get("campaign"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def _answer(self, expense: Expense, status: int = 200) -> Response:
        fresh = selectors.expenses(self.request.user).filter(pk=expense.pk).first()
        if fresh is None:  # an approver outside the applicant's scope still gets the document back
            fresh = Expense.objects.select_related("customer", "campaign", "owner", "payment").get(
                pk=expense.pk
            )
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = ExpenseInput(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        expense = services.create_expense(
            actor=acting(request),
            category=data["category"],
            amount=data["amount"],
            incurred_on=data["incurred_on"],
            description=data["description"],
            customer=data.get("customer"),
            campaign=data.get("campaign"),
        )
        return self._answer(expense, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expense = self.get_object()
        partial = kwargs.pop("partial", False)
        form = ExpenseInput(data=request.data, partial=partial, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        updated = services.update_expense(
            expense,
            actor=acting(request),
            category=data.get("category", expense.category),
            amount=data.get("amount", expense.amount),
            incurred_on=data.get("incurred_on", expense.incurred_on),
            description=data.get("description", expense.description),
            customer=data.get("customer", expense.customer if partial else None),
            campaign=data.get("campaign", expense.campaign if partial else None),
        )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """提交审核: to the approvers the approval rules name (by default the department manager)."""
        expense = self.get_object()
        services.submit_expense(expense, actor=acting(request))
        return self._answer(expense)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """撤回 a submitted expense before a decision; it is a draft again."""
        expense = self.get_object()
        services.withdraw_expense(expense, actor=acting(request))
        return self._answer(expense)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """作废 a draft or rejected expense."""
        expense = self.get_object()
        form = ExpenseReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        services.cancel_expense(expense, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(expense)

    @action(detail=True, methods=["post"])
    def unapprove(self, request: Request, pk: str | None = None) -> Response:
        """反审核 by an approver while unpaid (else 409 has_downstream): the payable is reversed and
        the expense is a draft again."""
        expense = self.get_object()
        form = ExpenseUnapproveInput(data=request.data)
        form.is_valid(raise_exception=True)
        services.unapprove_expense(expense, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(expense)

    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        """支付 by finance: a payment to the applicant settles the payable; the expense is done.
        Only an approved expense may be paid (409 invalid_state)."""
        expense = self.get_object()
        form = ExpensePayInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.pay_expense(
            expense,
            actor=acting(request),
            paid_on=data["paid_on"],
            method=data["method"],
            reference=data["reference"],
        )
        return self._answer(expense)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("expenses", ExpenseViewSet, basename="expense")
