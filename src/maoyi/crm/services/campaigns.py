"""Writes to campaigns (市场活动): create, update, add and remove the customers involved (参与客户),
cancel with a reason. Each function is one transaction that checks the permission and who may
change the campaign, validates, writes and audits.

Campaigns are company information every holder of the view permission reads; managers (and the
administrator) create them and change those they answer for: their own, or the ones of the
departments in their data scope (`selectors.campaigns.may_change`). Someone who sees a campaign but
may not change it is told so (`permission_denied`), not told it is missing — it is on their screen.

The partners are customers the actor may see; one they may not see is refused like a missing one.
Partners the actor may not see are never dropped by the actor's edit: an update sets the partners
among the customers the actor sees and keeps the others. Partner changes are audited as the names
removed and added. A cancelled campaign (已取消) is no longer changed; its expenses stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, InvalidState, PermissionRefused, required_reason
from maoyi.core.money import quantize_money
from maoyi.core.numbering import next_number
from maoyi.core.permissions import require_permission
from maoyi.crm.models import Campaign, CampaignKind, Customer
from maoyi.crm.selectors import campaigns as selectors
from maoyi.org import scope
from maoyi.org.models import Employee, EmployeeStatus

CAMPAIGN_FIELDS = (
    "code",
    "name",
    "kind",
    "start_date",
    "end_date",
    "budget",
    "description",
    "owner",
    "department",
)
NAME_MAX = 200
MAX_AMOUNT = Decimal("1e16")


# Checks ------------------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写活动名称。"), code="invalid", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("活动名称不能超过 %(max)s 个字。"), code="invalid", field="name", max=NAME_MAX)
    return name


def _clean_kind(kind: str) -> str:
    if kind not in CampaignKind.values:
        raise DomainError(_("请选择活动类型。"), code="invalid", field="kind")
    return kind


def _clean_dates(start_date: dt.date | None, end_date: dt.date | None) -> None:
    if start_date is None:
        raise DomainError(_("请填写开始日期。"), code="invalid", field="start_date")
    if end_date is None:
        raise DomainError(_("请填写结束日期。"), code="invalid", field="end_date")
    if end_date < start_date:
        raise DomainError(_("结束日期不能早于开始日期。"), code="invalid", field="end_date")


def _clean_budget(budget: Decimal | None) -> Decimal:
    if budget is None:
        return Decimal("0.00")
    try:
        value = Decimal(budget)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("预算无效。"), code="invalid", field="budget") from None
    if not value.is_finite() or value >= MAX_AMOUNT:
        raise DomainError(_("预算无效。"), code="invalid", field="budget")
    if value < 0:
        raise DomainError(_("预算不能为负数。"), code="invalid", field="budget")
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(_("预算最多保留两位小数。"), code="invalid", field="budget")
    return quantize_money(value)


def _check_owner(actor: Employee | None, owner: Employee | None) -> Employee:
    if owner is None:
        if actor is None:
            raise DomainError(_("请选择负责人。"), code="invalid", field="owner")
        owner = actor
    owner = Employee.objects.select_related("department", "user").get(pk=owner.pk)
    if owner.status != EmployeeStatus.ACTIVE:
        raise DomainError(_("负责人“%(name)s”已离职。"), code="invalid", field="owner", name=owner.name)
    if actor is not None and owner.pk != actor.pk and not scope.can_view(actor.user, owner):
        raise DomainError(_("“%(name)s”不在您的管理范围内。"), code="invalid", field="owner", name=owner.name)
    return owner


def _check_new_partners(actor: Employee | None, customers: Iterable[Customer]) -> list[Customer]:
    """Customers to add: each one the actor may see (others read as missing) and active."""
    wanted = {c.pk for c in customers}
    if not wanted:
        return []
    found = Customer.objects.filter(pk__in=wanted)
    if actor is not None:
        found = scope.visible(actor.user, found)
    rows = list(found.order_by("pinyin", "id"))
    if len(rows) != len(wanted):
        raise DomainError(_("所选客户不存在或不在您的范围内。"), code="invalid", field="partners")
    for customer in rows:
        if not customer.is_active:
            raise DomainError(
                _("客户“%(name)s”已停用，不能加入活动。"),
                code="invalid",
                field="partners",
                name=customer.name,
            )
    return rows


def _check_change(actor: Employee | None, campaign: Campaign, *, cancelling: bool = False) -> Campaign:
    """The campaign locked for the change, once the actor is known to be allowed to change it."""
    require_permission(actor, "crm.change_campaign")
    locked = Campaign.objects.select_for_update().select_related("department", "owner").get(pk=campaign.pk)
    if actor is not None and not selectors.may_change(actor.user, locked):
        raise PermissionRefused(_("只有活动负责人或其所在部门的主管可以修改这个市场活动。"))
    if locked.is_cancelled:
        message = (
            _("市场活动 %(campaign)s 已经取消。")
            if cancelling
            else _("市场活动 %(campaign)s 已取消，不能修改。")
        )
        raise InvalidState(message, campaign=locked.code)
    return locked


def _names(customers: Iterable[Customer]) -> list[str]:
    return sorted(c.name for c in customers)


def _partner_change(removed: Sequence[Customer], added: Sequence[Customer]) -> dict[str, list[object]]:
    """The audit entry's `partners` change: the names removed and the names added."""
    if not removed and not added:
        return {}
    return {"partners": [_names(removed), _names(added)]}


def _visible_partners(actor: Employee | None, campaign: Campaign) -> list[Customer]:
    current = campaign.partners.all()
    return list(current if actor is None else scope.visible(actor.user, current))


# Services ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    *,
    actor: Employee | None,
    name: str,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    budget: Decimal | None = None,
    description: str = "",
    partners: Sequence[Customer] = (),
    owner: Employee | None = None,
) -> Campaign:
    """A new campaign owned by `owner` (the actor unless given: an active employee in the actor's
    scope) and its department, with partners among the customers the actor may see."""
    require_permission(actor, "crm.add_campaign")
    name = _clean_name(name)
    kind = _clean_kind(kind)
    _clean_dates(start_date, end_date)
    value = _clean_budget(budget)
    owner = _check_owner(actor, owner)
    added = _check_new_partners(actor, partners)
    campaign = Campaign.objects.create(
        code=next_number("campaign", default_prefix="HD"),
        name=name,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        budget=value,
        description=(description or "").strip(),
        owner=owner,
        department=owner.department,
        created_by=(actor or owner).user,
    )
    campaign.partners.add(*added)
    also = {"partners": [None, _names(added)]} if added else None
    audit.record_created(actor, campaign, CAMPAIGN_FIELDS, also=also)
    return campaign


@transaction.atomic
def update_campaign(
    campaign: Campaign,
    *,
    actor: Employee | None,
    name: str,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    budget: Decimal | None,
    description: str = "",
    partners: Sequence[Customer] | None = None,
    owner: Employee | None = None,
) -> Campaign:
    """Change a campaign the actor may change (not a cancelled one). `partners`, when given, are
    the partners among the customers the actor may see (the others stay); `owner`, when given, the
    new owner (its department follows)."""
    locked = _check_change(actor, campaign)
    name = _clean_name(name)
    kind = _clean_kind(kind)
    _clean_dates(start_date, end_date)
    value = _clean_budget(budget)
    changes_owner = owner is not None and owner.pk != locked.owner_id
    new_owner = _check_owner(actor, owner) if changes_owner else locked.owner
    removed: list[Customer] = []
    added: list[Customer] = []
    if partners is not None:
        wanted = {c.pk for c in partners}
        current = set(locked.partners.values_list("pk", flat=True))
        added = _check_new_partners(actor, [c for c in partners if c.pk not in current])
        removed = [c for c in _visible_partners(actor, locked) if c.pk not in wanted]
    before = audit.snapshot(locked, CAMPAIGN_FIELDS)
    locked.name, locked.kind, locked.budget = name, kind, value
    locked.start_date, locked.end_date = start_date, end_date
    locked.description = (description or "").strip()
    locked.owner, locked.department = new_owner, new_owner.department
    locked.updated_at = timezone.now()
    locked.save()
    locked.partners.remove(*removed)
    locked.partners.add(*added)
    changes = {
        **audit.diff(before, audit.snapshot(locked, CAMPAIGN_FIELDS)),
        **_partner_change(removed, added),
    }
    if changes:
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def add_partners(campaign: Campaign, *, actor: Employee | None, customers: Sequence[Customer]) -> Campaign:
    """Add customers the actor may see to the campaign's partners."""
    locked = _check_change(actor, campaign)
    if not customers:
        raise DomainError(_("请选择客户。"), code="invalid", field="partners")
    current = set(locked.partners.values_list("pk", flat=True))
    added = _check_new_partners(actor, [c for c in customers if c.pk not in current])
    if not added:
        raise DomainError(_("所选客户已经是这个活动的参与客户。"), code="invalid", field="partners")
    locked.partners.add(*added)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["updated_at"])
    audit.record(actor, "update", locked, _partner_change([], added))
    return locked


@transaction.atomic
def remove_partners(campaign: Campaign, *, actor: Employee | None, customers: Sequence[Customer]) -> Campaign:
    """Remove customers (ones the actor may see) from the campaign's partners."""
    locked = _check_change(actor, campaign)
    if not customers:
        raise DomainError(_("请选择客户。"), code="invalid", field="partners")
    visible = {c.pk: c for c in _visible_partners(actor, locked)}
    removed = []
    for customer in customers:
        if customer.pk not in visible:
            raise DomainError(
                _("所选客户不是这个活动的参与客户，或不在您的范围内。"), code="invalid", field="partners"
            )
        removed.append(visible[customer.pk])
    locked.partners.remove(*removed)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["updated_at"])
    audit.record(actor, "update", locked, _partner_change(removed, []))
    return locked


@transaction.atomic
def cancel_campaign(campaign: Campaign, *, actor: Employee | None, reason: str) -> Campaign:
    """取消 a campaign, with a reason; its expenses stay as they are."""
    locked = _check_change(actor, campaign, cancelling=True)
    reason = required_reason(reason)
    locked.is_cancelled = True
    locked.cancel_reason = reason
    locked.updated_at = timezone.now()
    locked.save(update_fields=["is_cancelled", "cancel_reason", "updated_at"])
    audit.record(actor, "cancel", locked, {"cancel_reason": [None, reason]})
    return locked
