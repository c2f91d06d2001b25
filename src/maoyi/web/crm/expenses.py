"""Expense pages (费用): the list with its filters, totals and 按…汇总 tables, the 待支付 quick filter
for finance, the apply / edit form, the detail with its workflow buttons (submit, withdraw, cancel,
反审核 for the approver, 支付 for finance), and the customer's 费用 tab (registered here at import).

Expenses are seen through their owner (the applicant) and department; one outside the user's scope
answers 404 like a missing one. The department manager approves or rejects in the approval inbox
(the registered expense approval opens the payable). Each view parses the request, calls one
selector or service and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.approvals.models import RequestStatus
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import Campaign, Customer, Expense, ExpenseCategory
from maoyi.crm.selectors import expenses as selectors
from maoyi.crm.services import expenses as services
from maoyi.finance.models import PaymentMethod
from maoyi.org import scope
from maoyi.org.scope import employee_of
from maoyi.web.common import acting_employee, chosen_tab, form_data, or_404, record_panels
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.finance.forms import MoneyInput
from maoyi.web.forms import StyledForm, apply_domain_error, date_field
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import ReasonForm

EXPENSE_TABS = {
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
DETAIL = "web:expense-detail"
PAYING = ("crm.pay_expense", "finance.add_payment")


class CustomerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return obj.name


class CampaignField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Campaign) -> str:
        return f"{obj.code} {obj.name}"


# Forms -----------------------------------------------------------------------------------------------


class ExpenseForm(StyledForm):
    """What the applicant types; the service checks it (its messages land on the fields)."""

    category = forms.ChoiceField(
        label=gettext_lazy("费用类别"),
        choices=[("", "---------"), *ExpenseCategory.choices],
        required=False,
    )
    amount = MoneyInput(
        label=gettext_lazy("金额"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    incurred_on = date_field(gettext_lazy("发生日期"), required=False)
    description = forms.CharField(
        label=gettext_lazy("费用说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("做什么用的：时间、地点、人员、事由。"),
    )
    customer = CustomerField(
        label=gettext_lazy("客户"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不关联客户）"),
    )
    campaign = CampaignField(
        label=gettext_lazy("市场活动"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不关联市场活动）"),
    )

    def __init__(self, *args: Any, user: Any, expense: Expense | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if user.has_perm("crm.view_customer"):
            customers = customer_selectors.customers(user)
            if expense is not None and expense.customer_id is not None:
                # Keep the customer already charged, even if it moved to a colleague since.
                customers = Customer.objects.filter(pk__in=customers.values("pk")) | Customer.objects.filter(
                    pk=expense.customer_id
                )
            fields["customer"].queryset = customers.order_by("pinyin", "id")
        else:
            del fields["customer"]
        if user.has_perm("crm.view_campaign"):
            charged = expense.campaign_id if expense else None
            fields["campaign"].queryset = selectors.campaigns(include=charged)
        else:
            del fields["campaign"]


class PayForm(StyledForm):
    paid_on = date_field(gettext_lazy("支付日期"), initial=timezone.localdate)
    method = forms.ChoiceField(
        label=gettext_lazy("结算方式"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER
    )
    reference = forms.CharField(
        label=gettext_lazy("参考号"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("银行流水号或票据号。"),
    )


class UnapproveForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("反审核原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# List ------------------------------------------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _pick(value: str, choices: Any) -> Any:
    return next((c for c in choices if str(c.pk) == value), None)


# The list's columns in its Excel export (导出), as on screen.
EXPENSE_COLUMNS = [
    ExportColumn(gettext_lazy("费用单号"), key="number"),
    ExportColumn(gettext_lazy("发生日期"), key="incurred_on", kind=Kind.DATE),
    ExportColumn(gettext_lazy("费用类别"), key="get_category_display"),
    ExportColumn(gettext_lazy("金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("费用说明"), key="description"),
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("市场活动"), key="campaign.name"),
    ExportColumn(gettext_lazy("申请人"), key="owner.name"),
    ExportColumn(
        gettext_lazy("状态"),
        getter=lambda e: _("已支付") if e.status == Status.DONE else e.get_status_display(),
    ),
]


@permission_required("crm.view_expense", raise_exception=True)
def expense_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    search = get.get("q", "").strip()
    status = get.get("status", "")
    status = status if status in (*selectors.LIST_STATUSES, selectors.TO_PAY) else ""
    category = get.get("category", "")
    category = category if category in ExpenseCategory.values else ""
    owners = list(selectors.applicants(request.user))
    owner = _pick(get.get("owner", ""), owners)
    # The one chosen customer (a chip), never a list of them all: `q` finds customers by name and pinyin.
    customer_id = get.get("customer", "").strip()
    customer = (
        selectors.charged_customers(request.user).filter(pk=int(customer_id)).first()
        if customer_id.isdigit()
        else None
    )
    campaigns = list(selectors.charged_campaigns(request.user))
    campaign = _pick(get.get("campaign", ""), campaigns)
    date_from, date_to = _date(get.get("date_from", "")), _date(get.get("date_to", ""))
    by = get.get("by", "")
    by = by if by in selectors.DIMENSIONS else ""
    qs = selectors.expenses(
        request.user,
        search=search,
        status=status,
        category=category,
        owner_id=owner.pk if owner else None,
        customer_id=customer.pk if customer else None,
        campaign_id=campaign.pk if campaign else None,
        date_from=date_from,
        date_to=date_to,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, EXPENSE_COLUMNS, gettext_lazy("费用"))
    listing = paginate(request, qs)
    group_links = [
        ("", _("逐笔"), listing.querystring(by="")),
        *((key, str(label), listing.querystring(by=key)) for key, label in selectors.DIMENSIONS.items()),
    ]
    context = {
        "listing": listing,
        "group_links": group_links,
        "totals": selectors.totals(qs),
        "by": by,
        "grouped": selectors.totals_by(qs, by) if by else [],
        "dimensions": selectors.DIMENSION_HEADINGS,
        "q": search,
        "status": status,
        "statuses": selectors.status_choices(),
        "to_pay": selectors.TO_PAY,
        "category": category,
        "categories": ExpenseCategory.choices,
        "owner": owner,
        "owners": owners,
        "customer": customer,
        "campaign": campaign,
        "campaigns": campaigns,
        "date_from": date_from,
        "date_to": date_to,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(
            search or status or category or owner or customer or campaign or date_from or date_to
        ),
        "can_pay": all(request.user.has_perm(p) for p in PAYING),
    }
    return render(request, "web/crm/expense_list.html", context)


# Form ------------------------------------------------------------------------------------------------


def _preselected(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"incurred_on": timezone.localdate()}
    for name in ("customer", "campaign"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    return initial


def _expense_form(request: HttpRequest, expense: Expense | None) -> HttpResponse:
    if expense is None:
        initial = _preselected(request)
    else:
        initial = {
            "category": expense.category,
            "amount": f"{expense.amount:f}",
            "incurred_on": expense.incurred_on,
            "description": expense.description,
            "customer": expense.customer_id,
            "campaign": expense.campaign_id,
        }
    form = ExpenseForm(form_data(request), initial=initial, user=request.user, expense=expense)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "category": data["category"],
            "amount": data["amount"],
            "incurred_on": data["incurred_on"],
            "description": data["description"],
            "customer": data.get("customer"),
            "campaign": data.get("campaign"),
        }
        if expense is not None:
            # Fields the user's role does not show keep what the expense has.
            if "customer" not in form.fields:
                fields["customer"] = expense.customer
            if "campaign" not in form.fields:
                fields["campaign"] = expense.campaign
        actor = acting_employee(request)
        try:
            if expense is None:
                saved = services.create_expense(actor=actor, **fields)
            else:
                saved = services.update_expense(expense, actor=actor, **fields)
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存费用 %(number)s。") % {"number": saved.number})
            return redirect(DETAIL, saved.pk)
    context = {"expense": expense, "form": form}
    return render(request, "web/crm/expense_form.html", context, status=400 if form.errors else 200)


@permission_required("crm.add_expense", raise_exception=True)
def expense_create(request: HttpRequest) -> HttpResponse:
    return _expense_form(request, None)


@permission_required("crm.change_expense", raise_exception=True)
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expense = or_404(selectors.expense, request.user, pk)
    if not selectors.is_applicant(request.user, expense):
        raise PermissionDenied  # seen by the manager, finance…; written only by the applicant
    if not expense.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": expense.number, "status": selectors.status_label(expense.status)},
        )
        return redirect(DETAIL, expense.pk)
    return _expense_form(request, expense)


# Detail and workflow ---------------------------------------------------------------------------------


def _is_standing_approver(request: HttpRequest, steps: list[Any]) -> bool:
    """Whether the user is one of the approvers of the expense's standing approval (反审核 is theirs)."""
    employee = employee_of(request.user)
    approved = [s.request for s in steps if s.request.status == RequestStatus.APPROVED]
    return employee is not None and bool(approved) and approved[-1].approvers.filter(pk=employee.pk).exists()


def _render_expense(
    request: HttpRequest,
    expense: Expense,
    *,
    cancel_form: forms.Form | None = None,
    pay_form: forms.Form | None = None,
    unapprove_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    steps = selectors.approvals_of(expense)
    can_change = user.has_perm("crm.change_expense") and selectors.is_applicant(user, expense)
    context = {
        "expense": expense,
        "status_label": selectors.status_label(expense.status),
        "payable": selectors.payable_of(expense),
        "payment": selectors.payment_of(expense),
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": chosen_tab(request, EXPENSE_TABS),
        "tabs": EXPENSE_TABS,
        "can_edit": can_change and expense.is_editable,
        "can_withdraw": can_change and expense.status == Status.SUBMITTED,
        "can_cancel": can_change and expense.is_editable,
        "can_pay": all(user.has_perm(p) for p in PAYING) and expense.status == Status.APPROVED,
        "can_unapprove": expense.status == Status.APPROVED and _is_standing_approver(request, steps),
        "cancel_form": cancel_form or ReasonForm(),
        "pay_form": pay_form or PayForm(),
        "unapprove_form": unapprove_form or UnapproveForm(),
        "action_error": action_error,
        **record_panels(expense),
    }
    return render(request, "web/crm/expense_detail.html", context, status=status)


def _expense_or_404(request: HttpRequest, pk: int) -> Expense:
    return or_404(selectors.expense, request.user, pk)


@permission_required("crm.view_expense", raise_exception=True)
def expense_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_expense(request, _expense_or_404(request, pk))


def _step(request: HttpRequest, pk: int, run: Callable[[Expense], object], done: str) -> HttpResponse:
    expense = _expense_or_404(request, pk)
    try:
        run(expense)
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        expense.refresh_from_db()
        return _render_expense(request, expense, action_error=exc.message, status=400)
    messages.success(request, done % {"number": expense.number})
    return redirect(DETAIL, expense.pk)


def _with_form(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    run: Callable[[Expense, dict[str, Any]], object],
    *,
    form_name: str,
    done: str,
) -> HttpResponse:
    """A step with a form (cancel, pay, 反审核): a refusal goes onto the form, shown open."""
    expense = _expense_or_404(request, pk)
    if form.is_valid():
        try:
            run(expense, form.cleaned_data)
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, done % {"number": expense.number})
            return redirect(DETAIL, expense.pk)
    expense.refresh_from_db()
    shown: dict[str, Any] = {form_name: form}
    return _render_expense(request, expense, status=400, **shown)


@require_POST
@permission_required("crm.change_expense", raise_exception=True)
def expense_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    return _step(
        request,
        pk,
        lambda e: services.submit_expense(e, actor=actor),
        _("已提交 %(number)s，等待审核。"),
    )


@require_POST
@permission_required("crm.change_expense", raise_exception=True)
def expense_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    return _step(
        request,
        pk,
        lambda e: services.withdraw_expense(e, actor=actor),
        _("已撤回 %(number)s，可以修改后重新提交。"),
    )


@require_POST
@permission_required("crm.change_expense", raise_exception=True)
def expense_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    return _with_form(
        request,
        pk,
        ReasonForm(request.POST),
        lambda e, data: services.cancel_expense(e, actor=actor, reason=data["reason"]),
        form_name="cancel_form",
        done=_("已作废 %(number)s。"),
    )


@require_POST
@permission_required("crm.pay_expense", raise_exception=True)
def expense_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """支付 by finance: a payment to the applicant settles the expense's payable."""
    actor = acting_employee(request)
    return _with_form(
        request,
        pk,
        PayForm(request.POST),
        lambda e, data: services.pay_expense(
            e, actor=actor, paid_on=data["paid_on"], method=data["method"], reference=data["reference"]
        ),
        form_name="pay_form",
        done=_("已支付 %(number)s。"),
    )


@require_POST
@permission_required("crm.view_expense", raise_exception=True)
def expense_unapprove(request: HttpRequest, pk: int) -> HttpResponse:
    """反审核, by one of the approvers (the service checks who may) while the expense is unpaid."""
    actor = acting_employee(request)
    return _with_form(
        request,
        pk,
        UnapproveForm(request.POST),
        lambda e, data: services.unapprove_expense(e, actor=actor, reason=data["reason"]),
        form_name="unapprove_form",
        done=_("已反审核 %(number)s，费用回到草稿。"),
    )


# The customer's 费用 tab ---------------------------------------------------------------------------------


def _expenses_tab(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    found = selectors.expenses(request.user, customer_id=customer.pk)
    return {
        "expenses": list(found),
        "expense_totals": selectors.totals(found),
        "can_add_expense": request.user.has_perm("crm.add_expense")
        and scope.can_view(request.user, customer),
    }


add_customer_tab(CustomerTab("expenses", gettext_lazy("费用"), "crm.view_expense", _expenses_tab, order=70))


urlpatterns: list[URLPattern] = [
    path("expenses/", expense_list, name="expense-list"),
    path("expenses/new/", expense_create, name="expense-create"),
    path("expenses/<int:pk>/", expense_detail, name="expense-detail"),
    path("expenses/<int:pk>/edit/", expense_edit, name="expense-edit"),
    path("expenses/<int:pk>/submit/", expense_submit, name="expense-submit"),
    path("expenses/<int:pk>/withdraw/", expense_withdraw, name="expense-withdraw"),
    path("expenses/<int:pk>/cancel/", expense_cancel, name="expense-cancel"),
    path("expenses/<int:pk>/pay/", expense_pay, name="expense-pay"),
    path("expenses/<int:pk>/unapprove/", expense_unapprove, name="expense-unapprove"),
]
