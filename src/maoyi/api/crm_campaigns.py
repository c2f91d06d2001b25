"""REST resource `campaigns` (市场活动, API.md). Input serializer → one service → output serializer.

Campaigns are company information: every holder of `crm.view_campaign` lists and reads all of
them. Changing one (update, `cancel`) needs `crm.change_campaign` and that the caller may change
that campaign (its owner, or a manager whose data scope covers its department, or the
administrator): others get 403. `partners` are customer ids: on read only those the caller may
see, with `hidden_partner_count` for the rest; on write only customers the caller may see (others
are refused as unknown ids, 400), and partners the caller may not see are kept. The phase and the
cost figures (applied, approved, paid, remaining budget, over budget) are read-only and computed
from the dates and the expenses charged to the campaign. Nothing is deleted (405)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.permissions import ModelPermission
from maoyi.api.viewsets import acting, posted
from maoyi.crm.models import Campaign, CampaignKind, Customer
from maoyi.crm.selectors import campaigns as selectors
from maoyi.crm.selectors.campaigns import CampaignPhase
from maoyi.crm.services import campaigns as services
from maoyi.org import scope
from maoyi.org.models import Employee

MAX_ID = 2**63 - 1


def _money(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True, help_text=help_text)


@extend_schema_field(OpenApiTypes.INT)
class _ScopedCustomer(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Customer]:
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        return scope.visible(request.user, Customer.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class _ScopedEmployee(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Employee]:
        request = self.context.get("request")
        if request is None:
            return Employee.objects.none()
        return scope.visible(request.user, Employee.objects.all())


class CampaignSerializer(serializers.ModelSerializer):
    """市场活动 as read, with its phase and cost figures."""

    # A plain string here: the input's `kind` enum is the one component (others collide by name).
    kind = serializers.CharField(read_only=True, help_text=", ".join(CampaignKind.values))
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    phase = serializers.ChoiceField(choices=CampaignPhase.choices, read_only=True)
    phase_display = serializers.SerializerMethodField()
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    partners = serializers.SerializerMethodField(help_text="ids of the customers the caller may see")
    hidden_partner_count = serializers.SerializerMethodField(help_text="partners outside the caller's scope")
    cost_applied = _money("expenses waiting for approval (待审核)")
    cost_approved = _money("approved and paid expenses")
    cost_paid = _money("paid expenses")
    remaining_budget = _money("budget − cost_approved")
    over_budget = serializers.BooleanField(read_only=True, help_text="cost_approved > budget")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "start_date",
            "end_date",
            "phase",
            "phase_display",
            "budget",
            "cost_applied",
            "cost_approved",
            "cost_paid",
            "remaining_budget",
            "over_budget",
            "description",
            "partners",
            "hidden_partner_count",
            "owner",
            "owner_name",
            "department",
            "department_name",
            "is_cancelled",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _partners(self, campaign: Campaign) -> tuple[list[int], int]:
        known = self.context.get("partner_map")
        if known is not None and campaign.pk in known:
            found: tuple[list[int], int] = known[campaign.pk]
            return found
        return selectors.partner_ids(self.context["request"].user, campaign)

    def get_phase_display(self, campaign: Campaign) -> str:
        return str(CampaignPhase(getattr(campaign, "phase", selectors.phase_of(campaign))).label)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_partners(self, campaign: Campaign) -> list[int]:
        return self._partners(campaign)[0]

    def get_hidden_partner_count(self, campaign: Campaign) -> int:
        return self._partners(campaign)[1]


class CampaignInput(serializers.Serializer):
    """A new campaign, or (PUT) the whole of one: `partners` (the customers the caller may see)
    replaces those the caller sees. PATCH keeps what is missing. `owner` defaults to the caller."""

    name = serializers.CharField(max_length=200, allow_blank=True, label=_("活动名称"))
    kind = serializers.ChoiceField(choices=CampaignKind.choices, label=_("活动类型"))
    start_date = serializers.DateField(label=_("开始日期"))
    end_date = serializers.DateField(label=_("结束日期"))
    budget = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, default=Decimal("0"), label=_("预算")
    )
    description = serializers.CharField(required=False, allow_blank=True, default="", label=_("活动说明"))
    partners = _ScopedCustomer(many=True, required=False, label=_("参与客户"))
    owner = _ScopedEmployee(required=False, allow_null=True, label=_("负责人"))


class CampaignReasonInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", label=_("原因")
    )


class CampaignQuery(serializers.Serializer):
    search = serializers.CharField(required=False, help_text="code or name")
    kind = serializers.ChoiceField(choices=CampaignKind.choices, required=False)
    phase = serializers.ChoiceField(choices=CampaignPhase.choices, required=False)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="campaigns this customer takes part in"
    )


# The list's parameters as plain strings with their values (a second `kind` enum component would
# collide with the customers' and activities' ones).
LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="code or name"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=CampaignKind.values),
    OpenApiParameter("phase", OpenApiTypes.STR, enum=CampaignPhase.values),
    OpenApiParameter("owner", OpenApiTypes.INT),
    OpenApiParameter("customer", OpenApiTypes.INT, description="campaigns this customer takes part in"),
]


def _query(request: Request) -> dict[str, Any]:
    params = {name: value for name, value in request.query_params.items() if value != ""}
    query = CampaignQuery(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=LIST_PARAMETERS,
        responses={200: CampaignSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(responses={200: CampaignSerializer, **error_responses(401, 403, 404)}),
    create=posted(CampaignInput, CampaignSerializer, 201),
    update=extend_schema(
        request=CampaignInput, responses={200: CampaignSerializer, **error_responses(400, 401, 403, 404, 409)}
    ),
    partial_update=extend_schema(
        request=CampaignInput(partial=True),
        responses={200: CampaignSerializer, **error_responses(400, 401, 403, 404, 409)},
    ),
    cancel=posted(CampaignReasonInput, CampaignSerializer),
)
class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """市场活动, latest start first. Filters: `search` (code, name), `kind`, `phase` (`planned`
    未开始, `running` 进行中, `ended` 已结束, `cancelled` 已取消), `owner`, `customer`."""

    serializer_class = CampaignSerializer
    permission_classes = [ModelPermission]
    filter_backends: list[type] = []
    action_permissions: ClassVar[dict[str, str]] = {"cancel": "change"}

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Campaign.objects.none()
        return selectors.campaigns(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        data = _query(self.request)
        owner = Employee(pk=data["owner"]) if "owner" in data else None  # the id is all the filter uses
        return selectors.campaigns(
            self.request.user,
            search=data.get("search", ""),
            kind=data.get("kind", ""),
            phase=data.get("phase", ""),
            owner=owner,
            customer_id=data.get("customer"),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "partner_map": selectors.partner_map(request.user, rows)}
        data = CampaignSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _answer(self, campaign: Campaign, status: int = 200) -> Response:
        fresh = selectors.campaign(self.request.user, campaign.pk)
        return Response(self.get_serializer(fresh).data, status=status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = CampaignInput(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        campaign = services.create_campaign(
            actor=acting(request),
            name=data["name"],
            kind=data["kind"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            budget=data["budget"],
            description=data["description"],
            partners=data.get("partners", []),
            owner=data.get("owner"),
        )
        return self._answer(campaign, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign: Campaign = self.get_object()
        partial = kwargs.pop("partial", False)
        form = CampaignInput(data=request.data, partial=partial, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if "partners" in data:
            partners: list[Customer] | None = list(data["partners"])
        else:
            partners = None if partial else []
        updated = services.update_campaign(
            campaign,
            actor=acting(request),
            name=data.get("name", campaign.name),
            kind=data.get("kind", campaign.kind),
            start_date=data.get("start_date", campaign.start_date),
            end_date=data.get("end_date", campaign.end_date),
            budget=data.get("budget", campaign.budget),
            description=data.get("description", campaign.description),
            partners=partners,
            owner=data.get("owner"),
        )
        return self._answer(updated)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """取消 the campaign, with a reason (required); its expenses stay."""
        campaign: Campaign = self.get_object()
        form = CampaignReasonInput(data=request.data)
        form.is_valid(raise_exception=True)
        services.cancel_campaign(campaign, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(campaign)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("campaigns", CampaignViewSet, basename="campaign")
