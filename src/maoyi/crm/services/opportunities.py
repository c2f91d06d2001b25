"""Writes to opportunities (机会). Each function is one transaction that checks the caller's
permission and that they may change the opportunity's customer (otherwise: not found), validates,
writes and audits. Stages move only through `move_stage`; 赢单 and 输单 are final."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import check, claim
from maoyi.crm.models import Customer, Opportunity, OpportunityStage
from maoyi.org import scope
from maoyi.org.models import Employee

OPPORTUNITY_FIELDS = (
    "customer",
    "title",
    "stage",
    "expected_amount",
    "expected_close",
    "lost_reason",
    "note",
)
EDITABLE_FIELDS = ("title", "expected_amount", "expected_close", "note")
CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)
STAGE_ACTION = "stage"  # the audit action of a stage change (the detail page's stage history)
TITLE_MAX = 200
REASON_MAX = 300


def _check_scope(actor: Employee | None, customer: Customer) -> None:
    """An opportunity is worked by whoever may change its customer; anyone else finds nothing."""
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写机会名称。"), code="invalid", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(_("机会名称不能超过 %(max)s 个字。"), code="invalid", field="title", max=TITLE_MAX)
    return title


def _clean_amount(amount: Decimal | None) -> Decimal:
    if amount is None:
        raise DomainError(_("请填写预计金额。"), code="invalid", field="expected_amount")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise DomainError(_("预计金额无效。"), code="invalid", field="expected_amount")
    if amount < 0:
        raise DomainError(_("预计金额不能为负数。"), code="invalid", field="expected_amount")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise DomainError(_("预计金额最多保留两位小数。"), code="invalid", field="expected_amount")
    if amount >= Decimal("1e16"):
        raise DomainError(_("预计金额太大。"), code="invalid", field="expected_amount")
    return amount.quantize(Decimal("0.01"))


def _clean_stage(stage: str) -> str:
    if stage not in OpportunityStage.values:
        raise DomainError(_("请选择机会阶段。"), code="invalid", field="stage")
    return stage


def _clean_reason(stage: str, lost_reason: str) -> str:
    """输单 needs a reason; any other stage keeps none."""
    if stage != OpportunityStage.LOST:
        return ""
    reason = (lost_reason or "").strip()
    if not reason:
        raise DomainError(_("输单必须填写原因。"), code="reason_required", field="lost_reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("输单原因不能超过 %(max)s 个字。"), code="invalid", field="lost_reason", max=REASON_MAX
        )
    return reason


@transaction.atomic
def create_opportunity(
    *,
    actor: Employee | None,
    customer: Customer,
    title: str,
    stage: str = OpportunityStage.INITIAL,
    expected_amount: Decimal,
    expected_close: dt.date | None = None,
    note: str = "",
    lost_reason: str = "",
) -> Opportunity:
    """A new opportunity on a customer the actor may change (others: not found). It may start in
    any stage; one recorded as 输单 needs its reason."""
    require_permission(actor, "crm.add_opportunity")
    _check_scope(actor, customer)
    title = _clean_title(title)
    stage = _clean_stage(stage)
    amount = _clean_amount(expected_amount)
    reason = _clean_reason(stage, lost_reason)
    if not customer.is_active:
        raise DomainError(
            _("客户“%(name)s”已停用，不能新建机会。"), code="invalid", field="customer", name=customer.name
        )
    now = timezone.now()
    opportunity = Opportunity.objects.create(
        customer=customer,
        title=title,
        stage=stage,
        expected_amount=amount,
        expected_close=expected_close,
        lost_reason=reason,
        note=(note or "").strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    audit.record_created(actor, opportunity, OPPORTUNITY_FIELDS)
    return opportunity


def _locked(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_for_update().select_related("customer").get(pk=opportunity.pk)


@transaction.atomic
def update_opportunity(
    opportunity: Opportunity,
    *,
    actor: Employee | None,
    title: str,
    expected_amount: Decimal,
    expected_close: dt.date | None = None,
    note: str = "",
    version: int | None = None,
) -> Opportunity:
    """Change an open opportunity's title, amount, expected close and note. The customer stays;
    the stage changes through `move_stage`; a won or lost opportunity is final."""
    require_permission(actor, "crm.change_opportunity")
    _check_scope(actor, opportunity.customer)
    opportunity = _locked(opportunity)
    if opportunity.stage in CLOSED_STAGES:
        raise DomainError(
            _("机会已%(stage)s，不能再修改。"),
            code="invalid_state",
            stage=opportunity.get_stage_display(),
        )
    check(opportunity, version, history=history_of)  # bumped below only if something changes
    before = audit.snapshot(opportunity, OPPORTUNITY_FIELDS)
    opportunity.title = _clean_title(title)
    opportunity.expected_amount = _clean_amount(expected_amount)
    opportunity.expected_close = expected_close
    opportunity.note = (note or "").strip()
    changes = audit.diff(before, audit.snapshot(opportunity, OPPORTUNITY_FIELDS))
    if changes:
        claim(opportunity, None)
        opportunity.updated_at = timezone.now()
        opportunity.save()
        audit.record(actor, "update", opportunity, changes)
    return opportunity


@transaction.atomic
def move_stage(
    opportunity: Opportunity,
    *,
    actor: Employee | None,
    stage: str,
    lost_reason: str = "",
    version: int | None = None,
) -> Opportunity:
    """Move an open opportunity to another stage (forward or back); 赢单 and 输单 are final, and
    输单 needs a reason. Moving to the stage it is in changes nothing. Audited with old → new."""
    require_permission(actor, "crm.change_opportunity")
    _check_scope(actor, opportunity.customer)
    stage = _clean_stage(stage)
    opportunity = _locked(opportunity)
    if opportunity.stage in CLOSED_STAGES:
        raise DomainError(
            _("机会已%(stage)s，不能再变更阶段。"),
            code="invalid_state",
            stage=opportunity.get_stage_display(),
        )
    reason = _clean_reason(stage, lost_reason)
    if stage == opportunity.stage:
        return opportunity
    claim(opportunity, version, history=history_of)
    before = audit.snapshot(opportunity, ("stage", "lost_reason"))
    opportunity.stage = stage
    opportunity.lost_reason = reason
    opportunity.updated_at = timezone.now()
    opportunity.save(update_fields=["stage", "lost_reason", "updated_at"])
    changes = audit.diff(before, audit.snapshot(opportunity, ("stage", "lost_reason")))
    audit.record(actor, STAGE_ACTION, opportunity, changes)
    return opportunity
