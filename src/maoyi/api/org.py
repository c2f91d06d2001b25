"""departments and employees (API.md): input serializer → one service → output serializer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.errors import error_responses
from maoyi.api.fields import SafeSlugRelatedField
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.permissions import ModelPermission
from maoyi.api.versioning import expected_version
from maoyi.api.viewsets import actor_of, crud_schema
from maoyi.core.errors import DomainError
from maoyi.crm.services.handover import hand_over, preview_handover
from maoyi.org import scope, selectors, services
from maoyi.org.models import Department, Employee, EmployeeStatus, Role


class DepartmentSerializer(serializers.ModelSerializer):
    # A declared field named "parent" shadows Field.parent only in the stubs: the serializer
    # metaclass moves declared fields off the class.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Department.objects.all(), allow_null=True, required=False, label=_("上级部门")
    )

    class Meta:
        model = Department
        fields = ["id", "version", "name", "name_en", "parent", "path", "sort_order", "is_active"]
        read_only_fields = ["id", "path"]
        # The service checks sibling names (with its own message, on the `name` field); DRF's
        # generated UniqueTogetherValidator would answer first with a generic non_field_errors.
        validators: list[Any] = []


@crud_schema(DepartmentSerializer)
class DepartmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DepartmentSerializer
    permission_classes = [ModelPermission]
    search_fields = ["name", "name_en"]
    ordering_fields = ["path", "name", "sort_order"]
    filterset_fields = ["parent", "is_active"]

    def get_queryset(self) -> QuerySet[Department]:
        return scope.visible(self.request.user, Department.objects.select_related("parent")).order_by("path")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_department(
            actor=actor_of(self.request),
            name=data["name"],
            parent=data.get("parent"),
            name_en=data.get("name_en", ""),
            sort_order=data.get("sort_order", 0),
        )

    def perform_update(self, serializer: Any) -> None:
        dept = serializer.instance
        data = {**DepartmentSerializer(dept).data, **serializer.validated_data}
        parent = serializer.validated_data.get("parent", dept.parent)
        serializer.instance = services.update_department(
            dept,
            actor=actor_of(self.request),
            version=expected_version(self.request),
            name=data["name"],
            parent=parent,
            name_en=data.get("name_en", ""),
            sort_order=data.get("sort_order", 0),
            is_active=data.get("is_active", True),
        )


class EmployeeSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", label=_("登录名"))
    password = serializers.CharField(write_only=True, required=False, label=_("密码"), trim_whitespace=False)
    roles = SafeSlugRelatedField(slug_field="code", many=True, queryset=Role.objects.all(), label=_("角色"))
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), label=_("部门"))

    class Meta:
        model = Employee
        fields = [
            "id",
            "version",
            "username",
            "password",
            "name",
            "pinyin",
            "department",
            "title",
            "mobile",
            "email",
            "is_manager",
            "roles",
            "status",
            "joined_on",
            "left_on",
            "handed_over_to",
        ]
        read_only_fields = ["id", "pinyin", "status", "left_on", "handed_over_to"]


class LeaveSerializer(serializers.Serializer):
    handover_to = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.filter(status=EmployeeStatus.ACTIVE), label=_("交接人")
    )


@crud_schema(EmployeeSerializer)
class EmployeeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EmployeeSerializer
    permission_classes = [ModelPermission]
    action_permissions = {"leave": "change"}
    filterset_fields = ["department", "status", "is_manager"]
    ordering_fields = ["name", "id"]

    def get_queryset(self) -> QuerySet[Employee]:
        search = self.request.query_params.get("search", "") if hasattr(self, "request") else ""
        return selectors.employees(self.request.user, search=search).order_by("id")

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # `search` is handled by the selector (it knows pinyin); the other backends still apply.
        backends = [b for b in self.filter_backends if b.__name__ != "SearchFilter"]
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        if not data.get("password"):
            raise serializers.ValidationError({"password": [_("请设置初始密码。")]})
        serializer.instance = services.create_employee(
            actor=actor_of(self.request),
            username=data["user"]["username"],
            password=data["password"],
            name=data["name"],
            department=data["department"],
            roles=data.get("roles", []),
            title=data.get("title", ""),
            mobile=data.get("mobile", ""),
            email=data.get("email", ""),
            is_manager=data.get("is_manager", False),
            joined_on=data.get("joined_on"),
        )

    def perform_update(self, serializer: Any) -> None:
        employee: Employee = serializer.instance
        data = serializer.validated_data
        if "user" in data and data["user"]["username"] != employee.user.username:
            raise serializers.ValidationError({"username": [_("登录名不能修改。")]})
        actor = actor_of(self.request)
        serializer.instance = services.update_employee(
            employee,
            actor=actor,
            version=expected_version(self.request),
            name=data.get("name", employee.name),
            department=data.get("department", employee.department),
            roles=data.get("roles", list(employee.roles.all())),
            title=data.get("title", employee.title),
            mobile=data.get("mobile", employee.mobile),
            email=data.get("email", employee.email),
            is_manager=data.get("is_manager", employee.is_manager),
        )
        if data.get("password"):
            services.set_password(serializer.instance, actor=actor, password=data["password"])

    @extend_schema(
        request=LeaveSerializer,
        responses={200: EmployeeSerializer, **error_responses(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str | None = None) -> Response:
        """离职: the employee can no longer log in and their tokens stop working at once. When they
        still own customers, contracts or open receivables, those are handed over (交接) to
        `handover_to` first, in the same transaction (refused as a whole if the handover is)."""
        employee = self.get_object()
        form = LeaveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        actor = actor_of(request)
        handover_to = form.validated_data["handover_to"]
        with transaction.atomic():
            # Leave's own refusals (already left, handing over to oneself) come from leave_employee.
            moves = employee.is_active and handover_to.pk != employee.pk
            if moves and not preview_handover(employee=employee).is_empty:
                try:
                    hand_over(actor=actor, employee=employee, to=handover_to, reason=str(_("离职交接")))
                except DomainError as exc:
                    if exc.field == "to":  # the handover's receiver is this action's handover_to
                        exc.field = "handover_to"
                    raise
            employee = services.leave_employee(employee, actor=actor, handover_to=handover_to)
        return Response(EmployeeSerializer(employee).data)
