"""approvals (API.md): the inbox (`?mine=pending`) and the approve / reject actions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.approvals import registry, selectors
from maoyi.approvals.models import ApprovalRequest, ApprovalStep, RequestStatus
from maoyi.core.errors import InvalidState, NotFoundInScope
from maoyi.org import scope


class StepSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = ApprovalStep
        fields = ["decision", "actor", "reason", "at"]


class ApprovalSerializer(serializers.ModelSerializer):
    requested_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    decided_by = serializers.CharField(read_only=True, allow_null=True)  # str(employee) or null
    department: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    document_id = serializers.IntegerField(source="object_id", read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "document_type",
            "document_id",
            "document_number",
            "document_title",
            "amount",
            "department",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "reason",
            "steps",
        ]
        read_only_fields = fields


class ApproveInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, label=_("审批意见"))


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, label=_("驳回原因"))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "mine",
                OpenApiTypes.STR,
                enum=["pending", "submitted", "decided"],
                description="pending: waiting for me; submitted: by me; decided: by me",
            ),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=["pending", "approved", "rejected", "withdrawn", "revoked"]
            ),
            OpenApiParameter("search", OpenApiTypes.STR, description="document number or title contains"),
        ],
        responses={200: ApprovalSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(responses={200: ApprovalSerializer, **error_responses(401, 404)}),
)
class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApprovalSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[ApprovalRequest]:
        params = self.request.query_params
        qs = selectors.requests_for(
            self.request.user,
            mine=params.get("mine", "") if self.action == "list" else "",
            status=params.get("status", ""),
            search=params.get("search", ""),
        )
        return qs.prefetch_related("steps__actor").order_by("-requested_at", "-id")

    def _decide(self, request: Request, approve: bool) -> Response:
        approval = self.get_object()
        document = approval.document
        actor = scope.employee_of(request.user)
        if document is None or actor is None:
            raise NotFoundInScope()
        form: serializers.Serializer = (
            ApproveInput(data=request.data) if approve else RejectInput(data=request.data)
        )
        form.is_valid(raise_exception=True)
        # The services decide the document's *open* request while the URL names one request: when
        # that one is closed (a later round may be open), the decision is refused, never moved.
        not_pending = InvalidState(_("单据 %(number)s 不在待审核状态。"), number=approval.document_number)
        if approval.status != RequestStatus.PENDING:
            raise not_pending
        actions = registry.actions_for(approval.document_type)
        with transaction.atomic():
            if approve:
                actions.approve(document, actor=actor, comment=form.validated_data.get("comment", ""))
            else:
                actions.reject(document, actor=actor, reason=form.validated_data["reason"])
            if ApprovalRequest.objects.filter(pk=approval.pk, status=RequestStatus.PENDING).exists():
                raise not_pending  # another round was decided: undo it
        return Response(ApprovalSerializer(self.get_queryset().get(pk=approval.pk)).data)

    @extend_schema(
        request=ApproveInput,
        responses={200: ApprovalSerializer, **error_responses(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """审核通过: only a named approver of this request may approve."""
        return self._decide(request, approve=True)

    @extend_schema(
        request=RejectInput,
        responses={200: ApprovalSerializer, **error_responses(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """驳回 with a required reason; the document goes back to its owner for editing."""
        return self._decide(request, approve=False)
