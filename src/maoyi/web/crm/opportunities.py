"""Opportunity pages (机会): the list, the pipeline (销售漏斗) with its stage buttons and the managers'
table by person, the create and edit forms, the detail with its stage history, and the customer's
机会 tab (registered here at import).

Opportunities are seen through their customer: one outside the user's scope answers 404 like a
missing one. Each view parses the request, calls one selector or service and renders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.core.tabular import Kind
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import OPEN_STAGES, Customer, Opportunity, OpportunityStage
from maoyi.crm.selectors import opportunities as selectors
from maoyi.crm.services import opportunities as services
from maoyi.org import scope
from maoyi.org.models import DataScope
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.versioning import add_version, posted_version

# Forms -----------------------------------------------------------------------------------------------


class OpportunityForm(StyledForm):
    """Parses an opportunity; the rules (title, amount ≥ 0 with two decimals, 输单 reason) are the
    service's, whose refusals the views put back on these fields."""

    customer = forms.ModelChoiceField(label=gettext_lazy("客户"), queryset=Customer.objects.none())
    title = forms.CharField(label=gettext_lazy("机会名称"), max_length=200)
    stage = forms.ChoiceField(
        label=gettext_lazy("阶段"), choices=OpportunityStage.choices, initial=OpportunityStage.INITIAL
    )
    expected_amount = forms.DecimalField(
        label=gettext_lazy("预计金额"),
        max_digits=18,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    expected_close = forms.DateField(
        label=gettext_lazy("预计成交日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    lost_reason = forms.CharField(
        label=gettext_lazy("输单原因"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("阶段为输单时必填"),
    )
    note = forms.CharField(
        label=gettext_lazy("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        instance: Opportunity | None = None,
        customer: Customer | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": instance.title,
                    "expected_amount": format(instance.expected_amount.normalize(), "f"),
                    "expected_close": instance.expected_close,
                    "note": instance.note,
                },
            )
        elif customer is not None:
            kwargs.setdefault("initial", {"customer": customer.pk})
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if instance is None:
            choices = customer_selectors.customers(user).filter(is_active=True)
            fields["customer"].queryset = choices
        else:  # the customer stays; the stage moves with the stage buttons
            for name in ("customer", "stage", "lost_reason"):
                del fields[name]

    def opportunity_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in self.fields if name != "version"}


# Helpers ---------------------------------------------------------------------------------------------


def _opportunity_or_404(request: HttpRequest, pk: int) -> Opportunity:
    return or_404(selectors.opportunity, request.user, pk)


def _sees_team(user: Any) -> bool:
    """Managers (and others whose scope is wider than their own customers) see the table by person."""
    return scope.data_scope(user) in (DataScope.DEPARTMENT, DataScope.ALL)


def _owner_filter(request: HttpRequest) -> tuple[str, Any, list[Any]]:
    """The owner filter's value, the selector argument for it, and the choices."""
    owners = selectors.owners(request.user)
    value = request.GET.get("owner", "")
    if value == selectors.NO_OWNER:
        return value, selectors.NO_OWNER, owners
    chosen = next((e for e in owners if str(e.pk) == value), None)
    if chosen is None:
        return "", None, owners
    return value, chosen.pk, owners


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _stage_actions(opportunity: Opportunity) -> dict[str, Any]:
    """What the stage buttons of an open opportunity offer: the next stage, the other open stages."""
    labels = dict(OpportunityStage.choices)
    following = selectors.next_stage(opportunity.stage)
    return {
        "next_stage": following,
        "next_label": labels[following] if following else None,
        "open_stages": [(s, labels[s]) for s in OPEN_STAGES if s != opportunity.stage],
    }


# List --------------------------------------------------------------------------------------------------


# The list's columns in its Excel export (导出), as on screen.
OPPORTUNITY_COLUMNS = [
    ExportColumn(gettext_lazy("机会名称"), key="title"),
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("阶段"), key="get_stage_display"),
    ExportColumn(gettext_lazy("预计金额"), key="expected_amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("预计成交日期"), key="expected_close", kind=Kind.DATE),
    ExportColumn(
        gettext_lazy("负责人"), getter=lambda o: o.customer.owner.name if o.customer.owner else _("公海")
    ),
    ExportColumn(gettext_lazy("修改时间"), key="updated_at", kind=Kind.DATETIME),
]


@permission_required("crm.view_opportunity", raise_exception=True)
def opportunity_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    stage = request.GET.get("stage", "")
    stage = stage if stage in OpportunityStage.values else ""
    owner_value, owner_id, owners = _owner_filter(request)
    closing = request.GET.get("closing_before", "")
    closing_before = _date(closing)
    qs = selectors.opportunities(
        request.user, stage=stage, owner_id=owner_id, search=search, closing_before=closing_before
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, OPPORTUNITY_COLUMNS, gettext_lazy("销售机会"))
    context = {
        "listing": paginate(request, qs),
        "q": search,
        "stage": stage,
        "stages": OpportunityStage.choices,
        "owner": owner_value,
        "owners": owners,
        "pool": selectors.NO_OWNER,
        "closing_before": closing_before,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or stage or owner_value or closing_before),
    }
    return render(request, "web/crm/opportunity_list.html", context)


# Pipeline ----------------------------------------------------------------------------------------------


@permission_required("crm.view_opportunity", raise_exception=True)
def pipeline(request: HttpRequest) -> HttpResponse:
    owner_value, owner_id, owners = _owner_filter(request)
    sees_team = _sees_team(request.user)
    context: dict[str, Any] = {
        "pipeline": selectors.pipeline(request.user, owner_id=owner_id),
        "owner": owner_value,
        "owners": owners,
        "pool": selectors.NO_OWNER,
        "sees_team": sees_team,
        "can_change": request.user.has_perm("crm.change_opportunity"),
        "stage_labels": dict(OpportunityStage.choices),
    }
    if sees_team:
        context["people"] = selectors.pipeline_by_person(request.user)
        context["all_stages"] = OpportunityStage.choices
        context["open_stages"] = [str(s) for s in OPEN_STAGES]
    return render(request, "web/crm/opportunity_pipeline.html", context)


@require_POST
@permission_required("crm.change_opportunity", raise_exception=True)
def opportunity_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an opportunity to the posted stage (输单 with `lost_reason`), then back to `next`."""
    opportunity = _opportunity_or_404(request, pk)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    try:
        moved = services.move_stage(
            opportunity,
            actor=acting_employee(request),
            stage=request.POST.get("stage", ""),
            lost_reason=request.POST.get("lost_reason", ""),
        )
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("机会“%(title)s”已进入“%(stage)s”阶段。")
            % {"title": moved.title, "stage": moved.get_stage_display()},
        )
    return redirect(target) if target else redirect("web:opportunity-detail", opportunity.pk)


# Detail ------------------------------------------------------------------------------------------------


def _detail_tabs() -> dict[str, Any]:
    return {
        "info": gettext_lazy("基本信息"),
        "attachments": gettext_lazy("附件"),
        "history": gettext_lazy("操作日志"),
    }


@permission_required("crm.view_opportunity", raise_exception=True)
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity_or_404(request, pk)
    tabs = _detail_tabs()
    tab = chosen_tab(request, tabs)
    is_open = opportunity.stage in OPEN_STAGES
    can_change = request.user.has_perm("crm.change_opportunity") and scope.can_change(
        request.user, opportunity.customer
    )
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "tab": tab,
        "tabs": tabs,
        "is_open": is_open,
        "can_change": can_change and is_open,
        "stage_history": selectors.stage_history(opportunity),
        **record_panels(opportunity),
    }
    if is_open:
        context.update(_stage_actions(opportunity))
    return render(request, "web/crm/opportunity_detail.html", context)


# Forms -------------------------------------------------------------------------------------------------


def _preselected(request: HttpRequest) -> Customer | None:
    value = request.GET.get("customer", "")
    if not value.isdigit():
        return None
    return customer_selectors.customers(request.user).filter(pk=value).first()


def _save(request: HttpRequest, opportunity: Opportunity | None) -> HttpResponse:
    actor = acting_employee(request)
    customer = _preselected(request) if opportunity is None else None
    form = OpportunityForm(form_data(request), user=request.user, instance=opportunity, customer=customer)
    add_version(form, opportunity)
    if request.method == "POST" and form.is_valid():
        try:
            if opportunity is None:
                saved = services.create_opportunity(actor=actor, **form.opportunity_fields())
            else:
                saved = services.update_opportunity(
                    opportunity, actor=actor, version=posted_version(form), **form.opportunity_fields()
                )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已创建机会“%(title)s”。") if opportunity is None else _("已保存机会“%(title)s”。")
            messages.success(request, done % {"title": saved.title})
            return redirect("web:opportunity-detail", saved.pk)
    context = {"form": form, "opportunity": opportunity, "customer": customer}
    return render(request, "web/crm/opportunity_form.html", context, status=form_status(form))


@permission_required("crm.add_opportunity", raise_exception=True)
def opportunity_create(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@permission_required("crm.change_opportunity", raise_exception=True)
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, _opportunity_or_404(request, pk))


# The customer's 机会 tab -------------------------------------------------------------------------------


def _customer_tab_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    rows = list(selectors.of_customer(request.user, customer))
    open_rows = [o for o in rows if o.stage in OPEN_STAGES]
    return {
        "opportunities": rows,
        "open_count": len(open_rows),
        "open_amount": quantize_money(sum((o.expected_amount for o in open_rows), Decimal(0))),
        "can_add_opportunity": request.user.has_perm("crm.add_opportunity")
        and scope.can_change(request.user, customer),
    }


add_customer_tab(
    CustomerTab(
        "opportunities",
        gettext_lazy("机会"),
        "crm.view_opportunity",
        _customer_tab_context,
        order=30,
    )
)
