"""Public pool (公海) pages: the pool list with its claim buttons and the user's quota, a pool
customer's page (what a claimer may see before claiming), release and transfer on the customer page,
the pool settings, and the home page's pool notices.

Pool customers have no owner, so the data scope hides them from salespeople; the pool pages read
them through `crm.selectors.pool`, which shows every pooled customer's name, kind, level, address
and last follow-up to `crm.view_customer` holders and nothing more until they claim it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.crm import selectors
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel, PoolRule
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import pool as pool_services
from maoyi.org import scope
from maoyi.org.models import DataScope, Employee
from maoyi.org.selectors import active_employees
from maoyi.web.common import acting_employee, form_data, form_status, or_404
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate

NOTICES_SHOWN = 10


def may_transfer(user: Any) -> bool:
    """Whether the transfer button shows: `crm.change_customer` and a scope wider than 本人."""
    return user.has_perm("crm.change_customer") and scope.data_scope(user) in (
        DataScope.DEPARTMENT,
        DataScope.ALL,
    )


# The pool list and a pool customer's page ---------------------------------------------------------------


# The list's columns in its Excel export (导出), as on screen.
POOL_COLUMNS = [
    ExportColumn(gettext_lazy("客户名称"), key="name"),
    ExportColumn(gettext_lazy("客户类型"), key="get_kind_display"),
    ExportColumn(gettext_lazy("客户等级"), key="get_level_display"),
    ExportColumn(gettext_lazy("地址"), key="address"),
    ExportColumn(gettext_lazy("最近跟进"), key="last_activity_at", kind=Kind.DATE),
]


@permission_required("crm.view_customer", raise_exception=True)
def pool_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in CustomerKind.values else ""
    level = request.GET.get("level", "")
    level = level if level in CustomerLevel.values else ""
    qs = pool_selectors.pool_customers(request.user, search=search, kind=kind, level=level)
    if wants_xlsx(request):
        return xlsx_response(request, qs, POOL_COLUMNS, gettext_lazy("公海客户"))
    employee = scope.employee_of(request.user)
    context = {
        "listing": paginate(request, qs),
        "q": search,
        "kind": kind,
        "kinds": CustomerKind.choices,
        "level": level,
        "levels": CustomerLevel.choices,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or kind or level),
        "quota": pool_selectors.quota(employee) if employee is not None else None,
        "may_claim": employee is not None
        and request.user.has_perm("crm.change_customer")
        and pool_services.can_own_customers(employee),
    }
    return render(request, "web/crm/pool_list.html", context)


@permission_required("crm.view_customer", raise_exception=True)
def pool_customer(request: HttpRequest, pk: int) -> HttpResponse:
    """A pool customer as a claimer sees it; once someone owns it, the customer page (or 404)."""
    customer = Customer.objects.filter(pk=pk).first()
    if customer is not None and customer.owner_id is not None:
        if scope.can_view(request.user, customer):
            return redirect("web:customer-detail", pk)
        raise Http404
    customer = or_404(pool_selectors.pool_customer, request.user, pk)
    employee = scope.employee_of(request.user)
    context = {
        "customer": customer,
        "entry": pool_selectors.last_entry(customer),
        "full_view": scope.can_view(request.user, customer),
        "quota": pool_selectors.quota(employee) if employee is not None else None,
        "may_claim": employee is not None
        and request.user.has_perm("crm.change_customer")
        and pool_services.can_own_customers(employee),
        "cooldown_until": pool_selectors.cooldown_until(customer, employee) if employee is not None else None,
    }
    return render(request, "web/crm/pool_customer.html", context)


@require_POST
@permission_required("crm.change_customer", raise_exception=True)
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None or not pool_selectors.may_see_pool(request.user):
        raise Http404
    if customer.owner_id is not None and not scope.can_view(request.user, customer):
        raise Http404  # someone else's customer: not even its name is told

    try:
        pool_services.claim_customer(customer, actor=actor)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or "web:pool-list")
    messages.success(request, _("已领取客户“%(name)s”。") % {"name": customer.name})
    return redirect("web:customer-detail", pk)


# Release and transfer on the customer page ------------------------------------------------------------


class ReleaseForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("释放原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class TransferForm(StyledForm):
    to = forms.ModelChoiceField(label=gettext_lazy("新负责人"), queryset=Employee.objects.none())
    reason = forms.CharField(
        label=gettext_lazy("转移原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sellers = active_employees().filter(roles__code__in=pool_services.SELLING_ROLES).distinct()
        if customer.owner_id is not None:
            sellers = sellers.exclude(pk=customer.owner_id)
        field: Any = self.fields["to"]
        field.queryset = scope.visible(user, sellers)
        field.label_from_instance = lambda e: f"{e.name}（{e.department}）"


def _changeable_customer(request: HttpRequest, pk: int) -> Customer:
    customer = or_404(selectors.customer, request.user, pk)
    if not scope.can_change(request.user, customer):
        raise Http404
    return customer


@permission_required("crm.change_customer", raise_exception=True)
def customer_release(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _changeable_customer(request, pk)
    form = ReleaseForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            pool_services.release_customer(
                customer, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已将客户“%(name)s”释放到公海。") % {"name": customer.name})
            if scope.can_view(request.user, customer):
                return redirect("web:customer-detail", pk)
            return redirect("web:pool-list")
    context = {"form": form, "customer": customer}
    return render(request, "web/crm/pool_release.html", context, status=form_status(form))


@permission_required("crm.change_customer", raise_exception=True)
def customer_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_transfer(request.user):
        raise PermissionDenied
    customer = _changeable_customer(request, pk)
    form = TransferForm(form_data(request), user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pool_services.transfer_customer(
                customer, actor=acting_employee(request), to=data["to"], reason=data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已将客户“%(name)s”转移给%(to)s。") % {"name": customer.name, "to": data["to"].name},
            )
            if scope.can_view(request.user, customer):
                return redirect("web:customer-detail", pk)
            return redirect("web:customer-list")
    context = {"form": form, "customer": customer}
    return render(request, "web/crm/pool_transfer.html", context, status=form_status(form))


# Settings ---------------------------------------------------------------------------------------------


class SettingsForm(StyledForm):
    max_owned = forms.IntegerField(label=gettext_lazy("每人最多负责客户数"), min_value=1)
    daily_claims = forms.IntegerField(label=gettext_lazy("每人每天最多领取"), min_value=1)
    cooldown_days = forms.IntegerField(label=gettext_lazy("释放后不可重新领取（天）"), min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = {(r.kind, r.level): r for r in PoolRule.objects.all()}
        self.rule_rows: list[dict[str, Any]] = []
        for kind, kind_label in CustomerKind.choices:
            cells = []
            for level, level_label in CustomerLevel.choices:
                rule = rules.get((kind, level))
                name = f"rule_{kind}_{level}"
                self.fields[f"{name}_idle"] = forms.IntegerField(
                    label=gettext_lazy("回收天数"), min_value=1, required=False
                )
                self.fields[f"{name}_warn"] = forms.IntegerField(
                    label=gettext_lazy("提前提醒天数"), min_value=0, required=False
                )
                if rule is not None:
                    self.initial.setdefault(f"{name}_idle", rule.idle_days if rule.is_active else None)
                    self.initial.setdefault(f"{name}_warn", rule.warn_days)
                else:
                    self.initial.setdefault(f"{name}_warn", 7)
                cells.append({"level": level_label, "idle": f"{name}_idle", "warn": f"{name}_warn"})
            self.rule_rows.append({"kind": kind_label, "cells": cells})

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": row["kind"],
                "cells": [
                    {"level": c["level"], "idle": self[c["idle"]], "warn": self[c["warn"]]}
                    for c in row["cells"]
                ],
            }
            for row in self.rule_rows
        ]

    def rules(self) -> list[pool_services.RuleInput]:
        data = self.cleaned_data
        found = []
        for kind in CustomerKind.values:
            for level in CustomerLevel.values:
                name = f"rule_{kind}_{level}"
                warn = data.get(f"{name}_warn")
                found.append(
                    pool_services.RuleInput(
                        kind=kind,
                        level=level,
                        idle_days=data.get(f"{name}_idle"),
                        warn_days=7 if warn is None else warn,
                    )
                )
        return found


@permission_required("crm.change_poolsettings", raise_exception=True)
def pool_settings(request: HttpRequest) -> HttpResponse:
    current = pool_selectors.pool_settings()
    initial = {
        "max_owned": current.max_owned,
        "daily_claims": current.daily_claims,
        "cooldown_days": current.cooldown_days,
    }
    form = SettingsForm(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pool_services.save_pool_settings(
                actor=acting_employee(request),
                max_owned=data["max_owned"],
                daily_claims=data["daily_claims"],
                cooldown_days=data["cooldown_days"],
                rules=form.rules(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存公海设置。"))
            return redirect("web:pool-settings")
    context = {"form": form, "rows": form.bound_rows()}
    return render(request, "web/crm/pool_settings.html", context, status=form_status(form))


# Home page notices ---------------------------------------------------------------------------------------


def pool_notice_context(request: HttpRequest) -> dict[str, Any]:
    """The home page's block: the user's unread pool notices (customers about to return or returned)."""
    if not request.user.has_perm("crm.view_customer"):
        return {}
    unread = pool_selectors.notices_for(request.user)
    return {"pool_notices": list(unread[:NOTICES_SHOWN]), "pool_notices_total": unread.count()}


@require_POST
def pool_notices_read(request: HttpRequest) -> HttpResponse:
    actor = acting_employee(request)
    ids = [int(v) for v in request.POST.getlist("notice") if v.isdigit()]
    pool_services.mark_notices_read(actor=actor, ids=ids or None)
    return redirect("web:home")
