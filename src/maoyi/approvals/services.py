"""The approval workflow every document uses: submit → approve / reject (with a reason) →
unapprove while nothing downstream exists. Each step is one transaction: the document's conditional
status change, the approval request and its recorded step, and the audit row."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals.models import ApprovalRequest, ApprovalRule, ApprovalStep, ApproverKind, RequestStatus
from maoyi.audit import services as audit
from maoyi.core import numbering
from maoyi.core.documents import Document, Status, approvable_document_types, document_types, transition
from maoyi.core.errors import (
    MAX_REASON,
    DomainError,
    HasDownstream,
    InvalidState,
    NoApprover,
    NotApprover,
    NotFoundInScope,
    required_reason,
)
from maoyi.core.models import NumberingRule
from maoyi.core.money import quantize_money
from maoyi.core.permissions import require_permission
from maoyi.org import scope
from maoyi.org.models import Department, Employee, EmployeeStatus


def _in_scope(actor: Employee, doc: Document) -> None:
    if not scope.can_view(actor.user, doc):
        raise NotFoundInScope()


def _managers_above(department: Department | None, exclude: set[int]) -> list[Employee]:
    """The nearest managers of `department` or its ancestors, other than the employees in `exclude`
    (no one approves their own document)."""
    node = department
    while node is not None:
        found = list(
            Employee.objects.filter(department=node, is_manager=True, status=EmployeeStatus.ACTIVE).exclude(
                pk__in=exclude
            )
        )
        if found:
            return found
        node = node.parent
    return []


def matching_rule(document_type: str, amount: Decimal | None) -> ApprovalRule | None:
    """The active rule with the highest threshold that the amount reaches (a rule without a
    threshold always matches)."""
    best: ApprovalRule | None = None
    for rule in ApprovalRule.objects.filter(document_type=document_type, is_active=True):
        if rule.min_amount is not None and (amount is None or amount < rule.min_amount):
            continue
        if best is None or (rule.min_amount or Decimal("-1")) > (best.min_amount or Decimal("-1")):
            best = rule
    return best


def resolve_approvers(doc: Document, *, requested_by: Employee) -> tuple[ApprovalRule | None, list[Employee]]:
    rule = matching_rule(doc.DOCUMENT_TYPE, doc.approval_amount())
    kind = rule.approver_kind if rule else ApproverKind.MANAGER
    # Neither the requester nor the document's owner approves it (a colleague may submit for the owner).
    exclude = {requested_by.pk, doc.owner.pk}
    if kind == ApproverKind.ROLE and rule is not None:
        people = list(
            Employee.objects.filter(roles=rule.role, status=EmployeeStatus.ACTIVE).exclude(pk__in=exclude)
        )
    elif kind == ApproverKind.PERSON and rule is not None:
        person = rule.person
        ok = person is not None and person.status == EmployeeStatus.ACTIVE and person.pk not in exclude
        people = [person] if ok and person is not None else []
    else:
        people = _managers_above(doc.department, exclude)
    return rule, people


def _open_request(doc: Document) -> ApprovalRequest | None:
    ct = ContentType.objects.get_for_model(doc)
    return (
        ApprovalRequest.objects.select_for_update()
        .filter(content_type=ct, object_id=doc.pk, status=RequestStatus.PENDING)
        .first()
    )


def _last_request(doc: Document, status: str) -> ApprovalRequest | None:
    ct = ContentType.objects.get_for_model(doc)
    return (
        ApprovalRequest.objects.filter(content_type=ct, object_id=doc.pk, status=status)
        .order_by("-requested_at", "-id")
        .first()
    )


def _close(request: ApprovalRequest, *, to: str, actor: Employee, reason: str = "") -> ApprovalRequest:
    """Close a pending request with a conditional update: exactly one decision wins a race."""
    now = timezone.now()
    closed = ApprovalRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
        status=to, decided_by=actor, decided_at=now, reason=reason
    )
    if not closed:
        raise InvalidState(_("这张单据已经有人处理过了，请刷新页面。"))
    request.status, request.decided_by, request.decided_at, request.reason = to, actor, now, reason
    return request


@transaction.atomic
def submit(doc: Document, *, actor: Employee) -> ApprovalRequest:
    """Send a draft (or a rejected document, after editing) for approval, to the approvers the
    document type's rules name."""
    return submit_step(doc, actor=actor)


def submit_step(doc: Document, *, actor: Employee, scope_checked: bool = False) -> ApprovalRequest:
    """`submit` as one step of the calling service's transaction, without a savepoint of its own:
    the caller must let a refusal end its transaction, never catch it and go on writing.
    `scope_checked`: the caller has just checked the document is in the actor's scope."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("submit_step must be called inside the document's transaction")
    if not scope_checked:
        _in_scope(actor, doc)
    rule, people = resolve_approvers(doc, requested_by=actor)
    if not people:
        raise NoApprover()
    old = transition(doc, "submit")
    request = ApprovalRequest.objects.create(
        content_type=ContentType.objects.get_for_model(doc),
        object_id=doc.pk,
        document_type=doc.DOCUMENT_TYPE,
        document_number=doc.number,
        document_title=str(doc)[:200],
        amount=doc.approval_amount(),
        department=doc.department,
        requested_by=actor,
        requested_at=timezone.now(),
        rule=rule,
    )
    request.approvers.add(*people)  # a new request: nobody to remove
    ApprovalStep.objects.create(request=request, actor=actor, decision="submit", at=request.requested_at)
    audit.record_status_change(actor, "submit", doc, old)
    return request


def _decide(doc: Document, *, actor: Employee, approve: bool, reason: str) -> ApprovalRequest:
    request = _open_request(doc)
    if request is None:
        raise InvalidState(_("单据 %(number)s 不在待审核状态。"), number=doc.number)
    if not request.approvers.filter(pk=actor.pk).exists():
        raise NotApprover()
    action = "approve" if approve else "reject"
    old = transition(doc, action)
    _close(
        request, to=RequestStatus.APPROVED if approve else RequestStatus.REJECTED, actor=actor, reason=reason
    )
    ApprovalStep.objects.create(
        request=request, actor=actor, decision=action, reason=reason, at=timezone.now()
    )
    audit.record_status_change(actor, action, doc, old, note=reason)
    return request


@transaction.atomic
def approve(doc: Document, *, actor: Employee, comment: str = "") -> ApprovalRequest:
    """One of the named approvers approves (审核通过). Documents that take effect on approval call
    this first, then do their own work in the same transaction."""
    return approve_step(doc, actor=actor, comment=comment)


def approve_step(doc: Document, *, actor: Employee, comment: str = "") -> ApprovalRequest:
    """`approve` as one step of the calling service's transaction, without a savepoint of its own:
    the caller must let a refusal end its transaction, never catch it and go on writing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("approve_step must be called inside the document's transaction")
    return _decide(doc, actor=actor, approve=True, reason=(comment or "").strip()[:MAX_REASON])


@transaction.atomic
def reject(doc: Document, *, actor: Employee, reason: str) -> ApprovalRequest:
    """One of the named approvers sends the document back (驳回) with a reason; it can be edited
    and submitted again."""
    return _decide(doc, actor=actor, approve=False, reason=required_reason(reason))


@transaction.atomic
def withdraw(doc: Document, *, actor: Employee) -> ApprovalRequest:
    """The submitter (or someone with the document in scope) takes it back before a decision."""
    _in_scope(actor, doc)
    request = _open_request(doc)
    if request is None:
        raise InvalidState(_("单据 %(number)s 不在待审核状态。"), number=doc.number)
    old = transition(doc, "withdraw")
    _close(request, to=RequestStatus.WITHDRAWN, actor=actor)
    ApprovalStep.objects.create(request=request, actor=actor, decision="withdraw", at=timezone.now())
    audit.record_status_change(actor, "withdraw", doc, old)
    return request


@transaction.atomic
def unapprove(doc: Document, *, actor: Employee, reason: str) -> ApprovalRequest:
    """反审核: an approver of the document takes the approval back, with a reason, while nothing
    downstream (a shipment, a receipt, a payment…) exists; the document returns to draft."""
    reason = required_reason(reason)
    request = _last_request(doc, RequestStatus.APPROVED)
    if request is None or doc.status != Status.APPROVED:
        if doc.has_downstream():  # moved on (shipped, posted…): say why, not just "wrong status"
            raise HasDownstream()
        raise InvalidState(_("只有已审核的单据才能反审核。"))
    if not request.approvers.filter(pk=actor.pk).exists():
        raise NotApprover()
    if doc.has_downstream():
        raise HasDownstream()
    old = transition(doc, "unapprove")
    updated = ApprovalRequest.objects.filter(pk=request.pk, status=RequestStatus.APPROVED).update(
        status=RequestStatus.REVOKED
    )
    if not updated:
        raise InvalidState(_("这张单据已经有人处理过了，请刷新页面。"))
    ApprovalStep.objects.create(
        request=request, actor=actor, decision="unapprove", reason=reason, at=timezone.now()
    )
    audit.record_status_change(actor, "unapprove", doc, old, note=reason)
    return request


@transaction.atomic
def cancel(doc: Document, *, actor: Employee, reason: str = "") -> Document:
    """作废 a draft or rejected document; it stays on record with its number."""
    _in_scope(actor, doc)
    old = transition(doc, "cancel")
    audit.record_status_change(actor, "cancel", doc, old, note=(reason or "").strip()[:MAX_REASON])
    return doc


def assign_number(doc: Document) -> None:
    """Give a new document its number, inside the transaction that creates it."""
    doc.number = numbering.next_number(doc.DOCUMENT_TYPE)


# Administration ------------------------------------------------------------------------------------


@transaction.atomic
def set_number_prefix(*, actor: Employee | None, document_type: str, prefix: str) -> NumberingRule:
    """An administrator changes a document type's number prefix; numbers already given stay."""
    require_permission(actor, "core.change_numberingrule")
    if document_type not in document_types():
        raise DomainError(_("未知的单据类型。"), code="invalid", field="document_type")
    value = numbering.validate_prefix(prefix)
    clash = NumberingRule.objects.filter(prefix=value).exclude(document_type=document_type).first()
    if clash is not None:
        raise DomainError(
            _("前缀 %(prefix)s 已被其他单据类型使用。"), code="duplicate", field="prefix", prefix=value
        )
    rule = NumberingRule.objects.filter(document_type=document_type).first()
    old = rule.prefix if rule else numbering.prefix_for(document_type)
    if rule is None:
        rule = NumberingRule.objects.create(document_type=document_type, prefix=value)
    else:
        rule.prefix = value
        rule.save(update_fields=["prefix", "updated_at"])
    if old != value:
        audit.record(actor, "update", rule, {"prefix": [old, value]})
    return rule


RULE_FIELDS = ("document_type", "name", "min_amount", "approver_kind", "role", "person", "is_active")


@transaction.atomic
def save_rule(
    rule: ApprovalRule | None,
    *,
    actor: Employee | None,
    document_type: str,
    name: str,
    approver_kind: str,
    min_amount: Decimal | None = None,
    role_id: int | None = None,
    person_id: int | None = None,
    is_active: bool = True,
) -> ApprovalRule:
    """Create or change an approval rule; a role rule names a role, a person rule a person."""
    require_permission(actor, "approvals.change_approvalrule" if rule else "approvals.add_approvalrule")
    if document_type not in approvable_document_types():
        raise DomainError(_("未知的单据类型。"), code="invalid", field="document_type")
    if approver_kind == ApproverKind.ROLE and not role_id:
        raise DomainError(_("请选择审批角色。"), code="invalid", field="role")
    if approver_kind == ApproverKind.PERSON and not person_id:
        raise DomainError(_("请选择审批人。"), code="invalid", field="person")
    if approver_kind not in ApproverKind.values:
        raise DomainError(_("审批人类型无效。"), code="invalid", field="approver_kind")
    if min_amount is not None and min_amount < 0:
        raise DomainError(_("金额不能为负数。"), code="invalid", field="min_amount")
    if min_amount is not None:
        min_amount = quantize_money(min_amount)
    target = rule or ApprovalRule()
    before = audit.snapshot(target, RULE_FIELDS) if rule else {}
    target.document_type, target.name, target.approver_kind = document_type, name.strip(), approver_kind
    target.min_amount, target.is_active = min_amount, is_active
    target.role_id = role_id if approver_kind == ApproverKind.ROLE else None
    target.person_id = person_id if approver_kind == ApproverKind.PERSON else None
    target.save()
    after = audit.snapshot(target, RULE_FIELDS)
    if rule is None:
        audit.record(actor, "create", target, {k: [None, v] for k, v in after.items() if v not in (None, "")})
    elif changes := audit.diff(before, after):
        audit.record(actor, "update", target, changes)
    return target


@transaction.atomic
def delete_rule(rule: ApprovalRule, *, actor: Employee | None) -> None:
    """Rules are configuration, not posted records: an administrator may remove one."""
    require_permission(actor, "approvals.delete_approvalrule")
    audit.record(actor, "delete", rule, audit.diff(audit.snapshot(rule, RULE_FIELDS), {}))
    rule.delete()
