"""Reads of campaigns (市场活动).

Campaigns are company information: every holder of `crm.view_campaign` sees all of them (the
scope gate's `shared` policy). Changing one is narrower (`may_change`): the owner, or someone whose
data scope covers the campaign's department, or the whole company. The customers involved
(参与客户) are named only to those who may see each customer; the others are only counted, in the
partner list and in the history alike.

A campaign's phase (未开始 / 进行中 / 已结束 / 已取消) is read from its dates against today and its
cancelled flag, never stored. Its cost is the expenses charged to it, summed in the database (one
subquery per figure, so a list costs one query whatever its length): applied (待审核), approved
(已审核 and 已支付), paid (已支付), the remaining budget (budget − approved) and whether it is over
budget."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.audit.models import AuditEntry
from maoyi.audit.selectors import history_of
from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.crm.models import Campaign, Customer, Expense
from maoyi.org import scope
from maoyi.org.models import DataScope, Employee
from maoyi.org.selectors import active_employees


class CampaignPhase(models.TextChoices):
    PLANNED = "planned", gettext_lazy("未开始")
    RUNNING = "running", gettext_lazy("进行中")
    ENDED = "ended", gettext_lazy("已结束")
    CANCELLED = "cancelled", gettext_lazy("已取消")


# Which expenses count towards each cost figure.
APPLIED_STATUSES = (Status.SUBMITTED,)
APPROVED_STATUSES = (Status.APPROVED, Status.DONE)
PAID_STATUSES = (Status.DONE,)

_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
_ZERO = Decimal("0.00")


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def phase_of(campaign: Campaign, today: dt.date | None = None) -> str:
    """The phase of one campaign on `today` (default: the local date)."""
    today = _today(today)
    if campaign.is_cancelled:
        return CampaignPhase.CANCELLED
    if campaign.start_date > today:
        return CampaignPhase.PLANNED
    if campaign.end_date < today:
        return CampaignPhase.ENDED
    return CampaignPhase.RUNNING


def phase_filter(phase: str, today: dt.date | None = None) -> Q:
    """The condition on campaigns in `phase` on `today`; an unknown phase matches everything."""
    today = _today(today)
    if phase == CampaignPhase.CANCELLED:
        return Q(is_cancelled=True)
    if phase == CampaignPhase.PLANNED:
        return Q(is_cancelled=False, start_date__gt=today)
    if phase == CampaignPhase.ENDED:
        return Q(is_cancelled=False, end_date__lt=today)
    if phase == CampaignPhase.RUNNING:
        return Q(is_cancelled=False, start_date__lte=today, end_date__gte=today)
    return Q()


def _expense_total(statuses: Sequence[str]) -> Coalesce:
    total = (
        Expense.objects.filter(campaign=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=_MONEY), Value(_ZERO), output_field=_MONEY)


def with_figures(qs: QuerySet[Campaign], today: dt.date | None = None) -> QuerySet[Campaign]:
    """Annotate each campaign with `phase`, `cost_applied`, `cost_approved`, `cost_paid`,
    `remaining_budget` and `over_budget`, all computed by the database."""
    today = _today(today)
    return qs.annotate(
        phase=Case(
            When(is_cancelled=True, then=Value(CampaignPhase.CANCELLED.value)),
            When(start_date__gt=today, then=Value(CampaignPhase.PLANNED.value)),
            When(end_date__lt=today, then=Value(CampaignPhase.ENDED.value)),
            default=Value(CampaignPhase.RUNNING.value),
            output_field=models.CharField(),
        ),
        cost_applied=_expense_total(APPLIED_STATUSES),
        cost_approved=_expense_total(APPROVED_STATUSES),
        cost_paid=_expense_total(PAID_STATUSES),
    ).annotate(
        remaining_budget=ExpressionWrapper(F("budget") - F("cost_approved"), output_field=_MONEY),
        over_budget=Case(
            When(cost_approved__gt=F("budget"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def _rows(qs: QuerySet[Campaign], today: dt.date | None = None) -> QuerySet[Campaign]:
    return with_figures(qs.select_related("owner", "department", "created_by"), today)


def campaigns(
    user: Any,
    *,
    search: str = "",
    kind: str = "",
    phase: str = "",
    owner: Employee | None = None,
    customer_id: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[Campaign]:
    """Campaigns the user may see (all of them, for a holder of the view permission), latest start
    first, with their figures. `search` matches the name and the code; `customer_id` keeps the
    campaigns a customer takes part in, when the user may see that customer."""
    qs = scope.visible(user, Campaign.objects.all())
    term = search.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    if kind:
        qs = qs.filter(kind=kind)
    if phase:
        qs = qs.filter(phase_filter(phase, today))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if customer_id is not None:
        seen = scope.visible(user, Customer.objects.filter(pk=customer_id))
        qs = qs.filter(pk__in=Campaign.objects.filter(partners__in=seen).values("pk"))
    return _rows(qs, today).order_by("-start_date", "-id")


def campaign(user: Any, pk: int, *, today: dt.date | None = None) -> Campaign:
    """One campaign with its figures; NotFoundInScope when missing (or when the user sees none)."""
    try:
        return scope.get_visible(user, _rows(Campaign.objects.all(), today), pk=pk)
    except Campaign.DoesNotExist:
        raise NotFoundInScope() from None


def customer_campaigns(user: Any, customer: Customer) -> QuerySet[Campaign]:
    """The campaigns a customer (one the user may see) takes part in."""
    return campaigns(user, customer_id=customer.pk)


def owner_choices(user: Any) -> QuerySet[Employee]:
    """Who may be named a campaign's owner by this user: active employees in their data scope."""
    return scope.visible(user, active_employees()).order_by("pinyin", "id")


def campaign_owners() -> QuerySet[Employee]:
    """Everyone who owns a campaign (the list's owner filter): campaigns are company information."""
    return Employee.objects.filter(pk__in=Campaign.objects.values("owner")).order_by("pinyin", "id")


def partner_choices(user: Any, *, keep: Iterable[int] = ()) -> QuerySet[Customer]:
    """Customers the user may name as partners: the active ones they may see, plus `keep` (the
    current partners they may see, even if no longer active)."""
    condition = Q(is_active=True)
    kept = list(keep)
    if kept:
        condition |= Q(pk__in=kept)
    return scope.visible(user, Customer.objects.filter(condition)).order_by("pinyin", "id")


# Who may change a campaign ----------------------------------------------------------------------------


def may_change(user: Any, campaign: Campaign) -> bool:
    """Campaigns are shared for reading, not for changing: the change permission, and the user owns
    the campaign, or their scope covers its department (with sub-departments), or is the whole
    company."""
    if not user.has_perm("crm.change_campaign"):
        return False
    width = scope.data_scope(user)
    if width == DataScope.ALL:
        return True
    employee = scope.employee_of(user)
    if width is None or employee is None:
        return False
    if campaign.owner_id == employee.pk:
        return True
    if width == DataScope.DEPARTMENT:
        return campaign.department.path.startswith(employee.department.path)
    return False


# Partners and expenses as one user may see them ------------------------------------------------------


@dataclass(frozen=True)
class Partners:
    """The customers of a campaign the user may see (named), and how many others there are."""

    visible: list[Customer]
    hidden: int

    @property
    def total(self) -> int:
        return len(self.visible) + self.hidden


def campaign_partners(user: Any, campaign: Campaign) -> Partners:
    every = campaign.partners.all()
    visible = list(scope.visible(user, every).select_related("owner").order_by("pinyin", "id"))
    return Partners(visible=visible, hidden=every.count() - len(visible))


def partner_ids(user: Any, campaign: Campaign) -> tuple[list[int], int]:
    """The ids of the partners the user may see, and the count of the others."""
    every = list(campaign.partners.values_list("pk", flat=True))
    seen = set(scope.visible(user, Customer.objects.filter(pk__in=every)).values_list("pk", flat=True))
    visible = sorted(pk for pk in every if pk in seen)
    return visible, len(every) - len(visible)


def partner_map(user: Any, rows: Iterable[Campaign]) -> dict[int, tuple[list[int], int]]:
    """`partner_ids` for many campaigns in two queries (an API page)."""
    ids = [c.pk for c in rows]
    links: dict[int, list[int]] = defaultdict(list)
    through = Campaign.partners.through.objects.filter(campaign_id__in=ids).order_by("customer_id")
    for campaign_id, customer_id in through.values_list("campaign_id", "customer_id"):
        links[campaign_id].append(customer_id)
    every = {pk for found in links.values() for pk in found}
    seen = set(scope.visible(user, Customer.objects.filter(pk__in=every)).values_list("pk", flat=True))
    result: dict[int, tuple[list[int], int]] = {}
    for pk in ids:
        mine = links.get(pk, [])
        visible = [c for c in mine if c in seen]
        result[pk] = (visible, len(mine) - len(visible))
    return result


@dataclass(frozen=True)
class ExpenseRows:
    """The expenses charged to a campaign that the user may see, and how many others there are."""

    visible: list[Expense]
    hidden: int


def campaign_expenses(user: Any, campaign: Campaign) -> ExpenseRows:
    """Expenses are owned like documents: a holder of `crm.view_expense` sees those in their data
    scope; everyone else sees none, only the campaign's figures."""
    every = Expense.objects.filter(campaign=campaign)
    if not user.has_perm("crm.view_expense"):
        return ExpenseRows(visible=[], hidden=every.count())
    visible = list(scope.visible(user, every).select_related("owner").order_by("-incurred_on", "-id"))
    return ExpenseRows(visible=visible, hidden=every.count() - len(visible))


# History -------------------------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    """An audit entry as the campaign page shows it (the partner names the reader may not see
    replaced by a count)."""

    entry: AuditEntry
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _partner_text(names: list[str], visible: set[str]) -> str | None:
    if not names:
        return None
    shown = [n for n in names if n in visible]
    hidden = len(names) - len(shown)
    if hidden:
        shown.append(_("另有 %(count)s 家不在你范围内的客户") % {"count": hidden})
    return "、".join(shown)


def campaign_history(user: Any, campaign: Campaign) -> list[HistoryRow]:
    """The campaign's audit trail, newest first. The partner changes (recorded as lists of customer
    names: removed, added) read as text; names of customers the user may not see are counted."""
    entries = list(history_of(campaign))
    mentioned = {
        name
        for entry in entries
        for side in (entry.changes or {}).get("partners", [])
        for name in _names(side)
    }
    visible = set(
        scope.visible(user, Customer.objects.filter(name__in=mentioned)).values_list("name", flat=True)
    )
    rows = []
    for entry in entries:
        changes = dict(entry.changes or {})
        if "partners" in changes:
            before, after = [*changes["partners"], None, None][:2]
            changes["partners"] = [
                _partner_text(_names(before), visible),
                _partner_text(_names(after), visible),
            ]
        rows.append(HistoryRow(entry=entry, changes=changes))
    return rows


# Holdings (离职 and 交接) ----------------------------------------------------------------------------------


def owned_campaigns(employee: Employee, today: dt.date | None = None) -> QuerySet[Campaign]:
    """Campaigns the employee answers for that still matter: planned or running, not cancelled."""
    return Campaign.objects.filter(owner=employee, is_cancelled=False, end_date__gte=_today(today))


def campaign_holdings(employee: Employee) -> list[str]:
    """What `employee` still owns in campaigns, as a short label (an org.holdings provider)."""
    count = owned_campaigns(employee).count()
    return [_("市场活动 %(count)s 个") % {"count": count}] if count else []
