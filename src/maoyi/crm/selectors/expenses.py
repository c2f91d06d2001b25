"""Reads of expenses (费用), always through the data scope: an applicant sees their own, a manager
their department tree's, finance and the administrator all. Lists filter by person, category,
customer, campaign, status and the day spent; totals group the filtered set by person, category,
customer or campaign with the amounts applied for (待审核), approved (待支付) and paid (已支付),
summed by the database. Finance's 待支付 list is the approved ones, oldest approval first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from maoyi.approvals.selectors import history_of as approval_history
from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.crm.models import Campaign, Customer, Expense, ExpenseCategory
from maoyi.finance.models import Direction, Obligation, Settlement
from maoyi.org import scope
from maoyi.org.models import Employee

ZERO = Decimal("0")
TO_PAY = "to_pay"  # the list's quick filter for finance: approved, oldest approval first

# The statuses a list may filter by, in the order of an expense's life.
LIST_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.APPROVED,
    Status.DONE,
    Status.CANCELLED,
)
PAID_LABEL = _("已支付")  # an expense's done reads 已支付 (Status.DONE is 已完成 elsewhere)

# Dimensions the totals may be grouped by: the field grouped on and the label of a blank value.
PERSON, CATEGORY, CUSTOMER, CAMPAIGN = "person", "category", "customer", "campaign"
DIMENSIONS: dict[str, Any] = {
    PERSON: _("按人员"),
    CATEGORY: _("按类别"),
    CUSTOMER: _("按客户"),
    CAMPAIGN: _("按市场活动"),
}
# The grouped table's first column heading per dimension.
DIMENSION_HEADINGS: dict[str, Any] = {
    PERSON: _("申请人"),
    CATEGORY: _("费用类别"),
    CUSTOMER: _("客户"),
    CAMPAIGN: _("市场活动"),
}
_GROUP_FIELDS = {PERSON: "owner", CATEGORY: "category", CUSTOMER: "customer", CAMPAIGN: "campaign"}
_BLANK_LABELS: dict[str, Any] = {CUSTOMER: _("（未关联客户）"), CAMPAIGN: _("（未关联市场活动）")}


def _rows(qs: QuerySet[Expense]) -> QuerySet[Expense]:
    return qs.select_related("owner", "department", "customer", "campaign", "payment", "created_by")


def expenses(
    user: Any,
    *,
    search: str = "",
    status: str = "",
    category: str = "",
    owner_id: int | None = None,
    customer_id: int | None = None,
    campaign_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Expense]:
    """Expenses in the user's scope, latest spent first. `search` matches the number, the
    description and the customer's name and pinyin; the dates bound the day spent (发生日期).
    `status` TO_PAY lists the approved ones, oldest approval first (finance's 待支付)."""
    qs = scope.visible(user, Expense.objects.all())
    if status == TO_PAY:
        qs = qs.filter(status=Status.APPROVED)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if category in ExpenseCategory.values:
        qs = qs.filter(category=category)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    if date_from is not None:
        qs = qs.filter(incurred_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(incurred_on__lte=date_to)
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(description__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__pinyin__contains=term.lower())
        )
    if status == TO_PAY:
        return _rows(qs).order_by("approved_at", "id")
    return _rows(qs).order_by("-incurred_on", "-id")


def to_pay(user: Any) -> QuerySet[Expense]:
    """Finance's 待支付: approved expenses in the user's scope, oldest approval first."""
    return expenses(user, status=TO_PAY)


def expense(user: Any, pk: int) -> Expense:
    """One expense in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        return scope.get_visible(user, _rows(Expense.objects.all()), pk=pk)
    except Expense.DoesNotExist:
        raise NotFoundInScope() from None


def is_applicant(user: Any, expense: Expense) -> bool:
    """Only the applicant changes, submits, withdraws or cancels their own expense claim."""
    employee = scope.employee_of(user)
    return employee is not None and employee.pk == expense.owner_id


def status_label(status: str) -> str:
    """How an expense's status reads in lists, badges and messages (已支付 for done)."""
    if status == Status.DONE:
        return str(PAID_LABEL)
    return str(Status(status).label) if status in Status.values else status


def status_choices() -> list[tuple[str, str]]:
    return [(s.value, status_label(s.value)) for s in LIST_STATUSES]


def approvals_of(expense: Expense) -> list[Any]:
    return list(approval_history(expense))


def payable_of(expense: Expense) -> Obligation | None:
    """The payable the expense's approval opened (the live one; else the last reversed one)."""
    found = Obligation.objects.filter(
        direction=Direction.PAYABLE, source_type=Expense.DOCUMENT_TYPE, source_id=expense.pk
    ).order_by("-id")
    return found.exclude(status="reversed").first() or found.first()


def payment_of(expense: Expense) -> Settlement | None:
    return expense.payment


# Totals ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    """What a set of expenses comes to, by stage: applied for and waiting for approval (待审核),
    approved and waiting for payment (待支付), and paid (已支付)."""

    applied: Decimal
    approved: Decimal
    paid: Decimal
    count: int

    @property
    def total(self) -> Decimal:
        return self.applied + self.approved + self.paid


@dataclass(frozen=True)
class TotalRow:
    key: str  # the grouped value as a query-string value ("" for none)
    label: str
    amounts: Amounts


def _sums() -> dict[str, Any]:
    return {
        "applied": Sum("amount", filter=Q(status=Status.SUBMITTED)),
        "approved": Sum("amount", filter=Q(status=Status.APPROVED)),
        "paid": Sum("amount", filter=Q(status=Status.DONE)),
    }


def _money(value: Any) -> Decimal:
    return quantize_money(Decimal(value or 0))  # SQLite sums decimals as floats: round back


def _amounts(row: dict[str, Any], count: int) -> Amounts:
    return Amounts(_money(row["applied"]), _money(row["approved"]), _money(row["paid"]), count)


COUNTED = (Status.SUBMITTED, Status.APPROVED, Status.DONE)


def totals(qs: QuerySet[Expense]) -> Amounts:
    """The amounts of a filtered list (drafts, rejected and cancelled expenses count for nothing)."""
    base = qs.model._default_manager.filter(pk__in=qs.order_by().values("pk"))
    row = base.aggregate(**_sums())
    return _amounts(row, base.filter(status__in=COUNTED).count())


def totals_by(qs: QuerySet[Expense], dimension: str) -> list[TotalRow]:
    """The amounts of a filtered list grouped by person, category, customer or campaign, largest
    total first; rows with nothing applied, approved or paid are left out."""
    field = _GROUP_FIELDS[dimension]
    base = (
        qs.model._default_manager.filter(pk__in=qs.order_by().values("pk"))
        .filter(status__in=COUNTED)
        .order_by()
        .values(field)
    )
    grouped = list(base.annotate(**_sums(), n=Count("id")))
    labels = _labels(dimension, {row[field] for row in grouped if row[field] is not None})
    rows = []
    for row in grouped:
        value = row[field]
        label = _BLANK_LABELS[dimension] if value is None else labels.get(value, value)
        rows.append(
            TotalRow(
                key="" if value is None else str(value),
                label=str(label),
                amounts=_amounts(row, int(row["n"] or 0)),
            )
        )
    return sorted(rows, key=lambda r: (-r.amounts.total, r.label))


def _labels(dimension: str, keys: set[Any]) -> dict[Any, str]:
    if dimension == PERSON:
        return dict(Employee.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == CATEGORY:
        return {k: str(v) for k, v in ExpenseCategory.choices}
    if dimension == CUSTOMER:
        return dict(Customer.objects.filter(pk__in=keys).values_list("pk", "name"))
    return dict(Campaign.objects.filter(pk__in=keys).values_list("pk", "name"))


# Choices for the list's filters and the form ---------------------------------------------------------


def applicants(user: Any) -> QuerySet[Employee]:
    """The people whose expenses the user sees (the list's 人员 filter)."""
    owners = scope.visible(user, Expense.objects.all()).values("owner")
    return Employee.objects.filter(pk__in=owners).order_by("pinyin", "id")


def charged_customers(user: Any) -> QuerySet[Customer]:
    """The customers the user's visible expenses are charged to (the list's 客户 filter)."""
    ids = scope.visible(user, Expense.objects.exclude(customer=None)).values("customer")
    return Customer.objects.filter(pk__in=ids).order_by("pinyin", "id")


def campaigns(*, include: int | None = None) -> QuerySet[Campaign]:
    """Campaigns open for expenses (not cancelled), plus `include` (the one an expense already
    names, so a form can show it)."""
    condition = Q(is_cancelled=False)
    if include is not None:
        condition |= Q(pk=include)
    return Campaign.objects.filter(condition).order_by("-start_date", "-id")


def charged_campaigns(user: Any) -> QuerySet[Campaign]:
    """The campaigns the user's visible expenses are charged to (the list's 市场活动 filter)."""
    ids = scope.visible(user, Expense.objects.exclude(campaign=None)).values("campaign")
    return Campaign.objects.filter(pk__in=ids).order_by("-start_date", "-id")
