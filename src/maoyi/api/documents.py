"""What document resources share: the 审核通过 and 驳回 actions, answered by the document type's
registered approval service (the same one the approval inbox calls)."""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.approvals import ApproveInput, RejectInput
from maoyi.api.viewsets import acting
from maoyi.approvals import registry


class ApprovalActionsMixin:
    """`approve` and `reject` for a document viewset; the viewset provides `get_object()` and
    `_answer(doc)` (the document as read after the change)."""

    @action(detail=True, methods=["post"])
    def approve(self: Any, request: Request, pk: str | None = None) -> Response:
        """审核通过 by a named approver (as in the approvals inbox)."""
        doc = self.get_object()
        form = ApproveInput(data=request.data)
        form.is_valid(raise_exception=True)
        actions = registry.actions_for(doc.DOCUMENT_TYPE)
        actions.approve(doc, actor=acting(request), comment=form.validated_data.get("comment", ""))
        return self._answer(doc)

    @action(detail=True, methods=["post"])
    def reject(self: Any, request: Request, pk: str | None = None) -> Response:
        """驳回 with a reason: the document may be edited and submitted again."""
        doc = self.get_object()
        form = RejectInput(data=request.data)
        form.is_valid(raise_exception=True)
        actions = registry.actions_for(doc.DOCUMENT_TYPE)
        actions.reject(doc, actor=acting(request), reason=form.validated_data["reason"])
        return self._answer(doc)
