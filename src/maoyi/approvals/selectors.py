"""Reads of approvals: the inbox (待我审批), my submissions, a document's approval history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from maoyi.approvals.models import ApprovalRequest, ApprovalRule, ApprovalStep, RequestStatus
from maoyi.core import numbering
from maoyi.core.documents import approvable_document_types, document_types
from maoyi.org import scope

_BASE = ("requested_by", "decided_by", "department", "content_type")


def pending_for(user: Any) -> QuerySet[ApprovalRequest]:
    """What waits for this user's decision now."""
    employee = scope.employee_of(user)
    if employee is None:
        return ApprovalRequest.objects.none()
    return (
        ApprovalRequest.objects.filter(status=RequestStatus.PENDING, approvers=employee)
        .select_related(*_BASE)
        .order_by("requested_at", "id")
    )


def pending_count(user: Any) -> int:
    return pending_for(user).count()


def requests_for(
    user: Any, *, mine: str = "", status: str = "", search: str = ""
) -> QuerySet[ApprovalRequest]:
    """`mine`: "pending" (waiting for me), "submitted" (I submitted), "decided" (I decided), or ""
    (everything in my data scope plus everything I may decide)."""
    employee = scope.employee_of(user)
    if employee is None:
        return ApprovalRequest.objects.none()
    if mine == "pending":
        qs = pending_for(user)
    elif mine == "submitted":
        qs = ApprovalRequest.objects.filter(requested_by=employee)
    elif mine == "decided":
        qs = ApprovalRequest.objects.filter(decided_by=employee)
    else:
        condition = scope.scope_filter(user, ApprovalRequest)
        if condition is None:
            qs = ApprovalRequest.objects.all()
        else:
            mine_q = condition | Q(approvers=employee) | Q(requested_by=employee)
            qs = ApprovalRequest.objects.filter(pk__in=ApprovalRequest.objects.filter(mine_q).values("pk"))
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(document_number__icontains=search) | Q(document_title__icontains=search))
    return qs.select_related(*_BASE)


def visible_request(user: Any, pk: int) -> ApprovalRequest:
    """One request the user may see (in scope, submitted by or waiting for them); DoesNotExist otherwise."""
    return requests_for(user).get(pk=pk)


def history_of(doc: models.Model) -> QuerySet[ApprovalStep]:
    ct = ContentType.objects.get_for_model(doc)
    return (
        ApprovalStep.objects.filter(request__content_type=ct, request__object_id=doc.pk)
        .select_related("actor", "request")
        .order_by("at", "id")
    )


def rules(*, document_type: str = "") -> QuerySet[ApprovalRule]:
    qs = ApprovalRule.objects.select_related("role", "person")
    return qs.filter(document_type=document_type) if document_type else qs


# Administration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberPrefix:
    document_type: str
    label: Any
    prefix: str
    default_prefix: str
    example: str


def number_prefixes(*, on: dt.date | None = None) -> list[NumberPrefix]:
    """Every installed document type with its number prefix and what a number of `on` (today)
    looks like."""
    day = on or timezone.localdate()
    rows = []
    for code, kind in sorted(document_types().items()):
        prefix = numbering.prefix_for(code)
        rows.append(NumberPrefix(code, kind.label, prefix, kind.default_prefix, f"{prefix}{day:%Y%m%d}-0001"))
    return rows


@dataclass(frozen=True)
class RuleGroup:
    document_type: str
    label: Any
    rules: list[ApprovalRule]
    installed: bool = True


def rule_groups() -> list[RuleGroup]:
    """Approval rules by document type: every installed type (with its rules or none), then the
    rules of types no longer installed."""
    by_type: dict[str, list[ApprovalRule]] = {}
    ordered = rules().order_by("document_type", F("min_amount").asc(nulls_first=True), "id")
    for rule in ordered:
        by_type.setdefault(rule.document_type, []).append(rule)
    installed = sorted(approvable_document_types().items())
    groups = [RuleGroup(code, kind.label, by_type.pop(code, [])) for code, kind in installed]
    groups += [RuleGroup(code, code, found, installed=False) for code, found in sorted(by_type.items())]
    return groups
