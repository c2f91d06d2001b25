"""REST resources of crm (API.md): contacts and activities. Input serializer → one service → output
serializer.

Both are seen through their customer: the querysets go through the data scope, so a contact or an
activity of a customer outside it answers 404 like a missing one, and creating one for a customer
the caller cannot see is a 400 on `customer` (an unknown id). Nothing is deleted (405): a contact who
leaves is marked 离职 (`deactivate`), an activity's follow-up is closed with `done`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.permissions import ModelPermission
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import actor_of, flag
from maoyi.crm.models import Activity, ActivityKind, Contact, Customer
from maoyi.crm.selectors import activities as reads
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import contacts as contact_services
from maoyi.org import scope
from maoyi.org.models import Employee

CONTACT_WRITABLE = ("name", "department", "title", "mobile", "phone", "email", "wechat", "is_primary", "note")


def _visible_customers(serializer: serializers.Serializer) -> QuerySet[Customer]:
    request = serializer.context.get("request")
    if request is None:
        return Customer.objects.none()
    return scope.visible(request.user, Customer.objects.all())


class ContactSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), label=_("客户"))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    # Plain text: the service checks the address (400 on `email`) in the user's language.
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, label=_("邮箱"))

    class Meta:
        model = Contact
        fields = [
            "id",
            "version",
            "customer",
            "customer_name",
            "name",
            "department",
            "title",
            "mobile",
            "phone",
            "email",
            "wechat",
            "is_primary",
            "note",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "is_active", "created_at"]
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            fields["customer"].read_only = True  # a contact stays with its customer
        else:
            fields["customer"].queryset = _visible_customers(self)


class ActivitySerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), label=_("客户"))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), allow_null=True, required=False, label=_("联系人")
    )
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    employee_name = serializers.CharField(source="employee.name", read_only=True)
    occurred_at = serializers.DateTimeField(required=False, label=_("跟进时间"))

    class Meta:
        model = Activity
        fields = [
            "id",
            "customer",
            "customer_name",
            "contact",
            "contact_name",
            "kind",
            "kind_display",
            "summary",
            "occurred_at",
            "next_follow_up",
            "follow_up_done",
            "employee",
            "employee_name",
            "created_at",
        ]
        read_only_fields = ["id", "follow_up_done", "employee", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        fields: Any = self.fields
        fields["customer"].queryset = _visible_customers(self)
        if request is not None:
            fields["contact"].queryset = scope.visible(request.user, Contact.objects.all())


CONTACT_PARAMETERS = [
    OpenApiParameter("customer", OpenApiTypes.INT, description="the customer's id"),
    OpenApiParameter("active", OpenApiTypes.BOOL, description="only contacts still there (or who left)"),
]


@extend_schema_view(
    list=extend_schema(
        responses={200: ContactSerializer(many=True), **error_responses(401, 403)},
        parameters=CONTACT_PARAMETERS,
    ),
    retrieve=extend_schema(responses={200: ContactSerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        responses={201: ContactSerializer, **error_responses(400, 401, 403, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
    update=extend_schema(responses={200: ContactSerializer, **error_responses(400, 401, 403, 404)}),
    partial_update=extend_schema(responses={200: ContactSerializer, **error_responses(400, 401, 403, 404)}),
    deactivate=extend_schema(
        request=None, responses={200: ContactSerializer, **error_responses(401, 403, 404, 409)}
    ),
)
class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contacts (联系人) of the customers in the caller's data scope; `search` matches the name, the
    mobile and the customer's name."""

    serializer_class = ContactSerializer
    permission_classes = [ModelPermission]
    action_permissions = {"deactivate": "change"}
    ordering_fields = ["name", "id", "created_at"]

    def get_queryset(self) -> QuerySet[Contact]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Contact.objects.none()
        if self.action != "list":
            return reads.contacts(self.request.user)
        params = self.request.query_params
        customer = None
        if params.get("customer"):
            customer = _customer_param(self.request)
            if customer is None:
                return Contact.objects.none()
        return reads.contacts(
            self.request.user,
            customer=customer,
            active=flag(self.request, "active"),
            search=params.get("search", ""),
        )

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = contact_services.add_contact(actor=actor_of(self.request), **data)

    def perform_update(self, serializer: Any) -> None:
        contact: Contact = serializer.instance
        current = {name: getattr(contact, name) for name in CONTACT_WRITABLE}
        data = {**current, **serializer.validated_data}
        data.pop("customer", None)
        serializer.instance = contact_services.update_contact(
            contact, actor=actor_of(self.request), version=expected_version(self.request), **data
        )

    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: Any = None) -> Response:
        """离职: the contact has left the customer; kept, no longer primary."""
        contact = contact_services.deactivate_contact(self.get_object(), actor=actor_of(request))
        return Response(ContactSerializer(contact, context=self.get_serializer_context()).data)


def _customer_param(request: Request) -> Customer | None:
    value = request.query_params.get("customer", "")
    if not value.isdigit():
        return None
    return scope.visible(request.user, Customer.objects.filter(pk=value)).first()


def _date_param(request: Request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.query_params.get(name, ""))
    except ValueError:
        return None


ACTIVITY_PARAMETERS = [
    OpenApiParameter("customer", OpenApiTypes.INT, description="the customer's id"),
    OpenApiParameter("employee", OpenApiTypes.INT, description="the employee who logged it"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ActivityKind.values),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="occurred on or after (local date)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="occurred on or before (local date)"),
    OpenApiParameter(
        "due", OpenApiTypes.BOOL, description="only follow-ups not yet done, due today or earlier (跟进提醒)"
    ),
]


@extend_schema_view(
    list=extend_schema(
        responses={200: ActivitySerializer(many=True), **error_responses(401, 403)},
        parameters=ACTIVITY_PARAMETERS,
    ),
    retrieve=extend_schema(responses={200: ActivitySerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        responses={201: ActivitySerializer, **error_responses(400, 401, 403, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
    done=extend_schema(
        request=None, responses={200: ActivitySerializer, **error_responses(401, 403, 404, 409)}
    ),
)
class ActivityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Activities (跟进记录) of the customers in the caller's data scope, newest first. Logging one
    moves the customer's `last_activity_at` and closes the customer's earlier open follow-ups;
    `done` closes this one's follow-up. Activities are a record of what happened: no update, no
    delete."""

    serializer_class = ActivitySerializer
    permission_classes = [ModelPermission]
    action_permissions = {"done": "change"}
    ordering_fields = ["occurred_at", "next_follow_up", "id"]

    def get_queryset(self) -> QuerySet[Activity]:
        if getattr(self, "swagger_fake_view", False) or not hasattr(self, "request"):
            return Activity.objects.none()
        user = self.request.user
        if self.action != "list":
            return reads.activities(user)
        params = self.request.query_params
        customer = employee = None
        if params.get("customer"):
            customer = _customer_param(self.request)
            if customer is None:
                return Activity.objects.none()
        if params.get("employee"):
            value = params["employee"]
            employee = Employee.objects.filter(pk=value).first() if value.isdigit() else None
            if employee is None:
                return Activity.objects.none()
        kind = params.get("kind", "")
        qs = reads.activities(
            user,
            employee=employee,
            customer=customer,
            kind=kind if kind in ActivityKind.values else "",
            date_from=_date_param(self.request, "date_from"),
            date_to=_date_param(self.request, "date_to"),
        )
        if flag(self.request, "due"):
            qs = qs.filter(pk__in=reads.open_follow_ups(user).values("pk")).order_by("next_follow_up", "id")
        return qs

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        backends = [b for b in self.filter_backends if b.__name__ == "OrderingFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = activity_services.log_activity(
            actor=actor_of(self.request), **serializer.validated_data
        )

    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: Any = None) -> Response:
        """已跟进: close this activity's next follow-up."""
        activity = activity_services.complete_follow_up(self.get_object(), actor=actor_of(request))
        return Response(ActivitySerializer(activity, context=self.get_serializer_context()).data)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("activities", ActivityViewSet, basename="activity")
