"""Campaign pages (市场活动): the list with its filters, the detail (budget against cost, the
customers involved, the expenses charged, attachments and history), the create and edit forms, the
cancel with a reason, and the customer's 市场活动 tab (registered here at import).

Campaigns are company information everyone with the view permission reads; the edit and cancel
buttons show only to who may change the campaign (its owner, a manager whose scope covers its
department, the administrator). The customers involved are named only to those who may see them.
Each view parses the request, calls one selector or service and renders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.crm.models import Campaign, CampaignKind, Customer
from maoyi.crm.selectors import campaigns as selectors
from maoyi.crm.selectors.campaigns import CampaignPhase
from maoyi.crm.services import campaigns as services
from maoyi.org.models import Employee
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error, plain
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import ReasonForm

CAMPAIGN_TABS = {
    "partners": gettext_lazy("参与客户"),
    "expenses": gettext_lazy("费用"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}


def expense_url(pk: int) -> str:
    """The expense's page, when the expense pages exist (another area adds them); else no link."""
    try:
        return reverse("web:expense-detail", args=[pk])
    except NoReverseMatch:
        return ""


# Forms -----------------------------------------------------------------------------------------------


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Employee) -> str:
        return f"{obj.name}（{obj.department}）"


class PartnersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return obj.name


class CampaignForm(StyledForm):
    """Parses a campaign; the rules (name, dates, budget ≥ 0 with two decimals, partners and owner in
    the user's scope) are the service's, whose refusals the views put back on these fields."""

    name = forms.CharField(label=gettext_lazy("活动名称"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("活动类型"), choices=CampaignKind.choices)
    start_date = forms.DateField(
        label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(
        label=gettext_lazy("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    budget = forms.DecimalField(
        label=gettext_lazy("预算"),
        max_digits=18,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    owner = OwnerField(label=gettext_lazy("负责人"), queryset=Employee.objects.none(), empty_label=None)
    description = forms.CharField(
        label=gettext_lazy("活动说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    partners = PartnersField(
        label=gettext_lazy("参与客户"),
        queryset=Customer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        owners = selectors.owner_choices(user)
        if campaign is not None:
            owners = Employee.objects.filter(pk__in=owners.values("pk")) | Employee.objects.filter(
                pk=campaign.owner_id
            )
        fields["owner"].queryset = owners.select_related("department").order_by("pinyin", "id")
        keep: list[int] = []
        if campaign is not None:
            keep = selectors.partner_ids(user, campaign)[0]
        fields["partners"].queryset = selectors.partner_choices(user, keep=keep)

    def partner_options(self) -> list[dict[str, Any]]:
        """The partner checkboxes with what the filter box searches (name and pinyin initials)."""
        field: Any = self.fields["partners"]
        chosen = {str(v) for v in (self["partners"].value() or [])}
        return [
            {
                "pk": c.pk,
                "name": c.name,
                "search": f"{c.name} {c.pinyin}".lower(),
                "kind": c.get_kind_display(),
                "checked": str(c.pk) in chosen,
            }
            for c in field.queryset
        ]


# List ------------------------------------------------------------------------------------------------


# The list's columns in its Excel export (导出), as on screen.
CAMPAIGN_COLUMNS = [
    ExportColumn(gettext_lazy("活动编号"), key="code"),
    ExportColumn(gettext_lazy("活动名称"), key="name"),
    ExportColumn(gettext_lazy("活动类型"), key="get_kind_display"),
    ExportColumn(gettext_lazy("开始日期"), key="start_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("结束日期"), key="end_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("预算"), key="budget", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("已批准费用"), key="cost_approved", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("超预算"), getter=lambda c: _("超预算") if c.over_budget else ""),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
    ExportColumn(gettext_lazy("进度"), getter=lambda c: CampaignPhase(c.phase).label if c.phase else ""),
]


@permission_required("crm.view_campaign", raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in CampaignKind.values else ""
    phase = request.GET.get("phase", "")
    phase = phase if phase in CampaignPhase.values else ""
    owners = list(selectors.campaign_owners())
    owner_value = request.GET.get("owner", "")
    owner = next((e for e in owners if str(e.pk) == owner_value), None)
    if owner is None:
        owner_value = ""
    qs = selectors.campaigns(request.user, search=search, kind=kind, phase=phase, owner=owner)
    if wants_xlsx(request):
        return xlsx_response(request, qs, CAMPAIGN_COLUMNS, gettext_lazy("市场活动"))
    context = {
        "listing": paginate(request, qs),
        "q": search,
        "kind": kind,
        "kinds": CampaignKind.choices,
        "phase": phase,
        "phases": CampaignPhase.choices,
        "owner": owner_value,
        "owners": owners,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or kind or phase or owner_value),
    }
    return render(request, "web/crm/campaign_list.html", context)


# Detail and cancel -----------------------------------------------------------------------------------


def _render_campaign(
    request: HttpRequest, campaign: Campaign, *, cancel_form: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    may_change = selectors.may_change(request.user, campaign)
    tab = chosen_tab(request, CAMPAIGN_TABS)
    expenses = selectors.campaign_expenses(request.user, campaign)
    used = 0
    if campaign.budget > 0:
        used = min(100, int(campaign.cost_approved * 100 / campaign.budget))  # type: ignore[attr-defined]
    context = {
        "campaign": campaign,
        "tab": tab,
        "tabs": CAMPAIGN_TABS,
        "partners": selectors.campaign_partners(request.user, campaign),
        "expense_rows": [{"expense": e, "url": expense_url(e.pk)} for e in expenses.visible],
        "hidden_expenses": expenses.hidden,
        "can_edit": may_change and not campaign.is_cancelled,
        "can_cancel": may_change and not campaign.is_cancelled,
        "cancel_form": cancel_form or ReasonForm(),
        "used_percent": used,
        **record_panels(campaign),
        "history": selectors.campaign_history(request.user, campaign),
    }
    return render(request, "web/crm/campaign_detail.html", context, status=status)


@permission_required("crm.view_campaign", raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_campaign(request, or_404(selectors.campaign, request.user, pk))


@require_POST
@permission_required("crm.change_campaign", raise_exception=True)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = or_404(selectors.campaign, request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_campaign(
                campaign, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已取消市场活动 %(code)s。") % {"code": campaign.code})
            return redirect("web:campaign-detail", campaign.pk)
    return _render_campaign(
        request, or_404(selectors.campaign, request.user, pk), cancel_form=form, status=400
    )


# Create and edit -------------------------------------------------------------------------------------


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    actor = acting_employee(request)
    if campaign is None:
        today = timezone.localdate()
        initial: dict[str, Any] = {"start_date": today, "end_date": today, "budget": "0", "owner": actor.pk}
        hidden = 0
    else:
        visible, hidden = selectors.partner_ids(request.user, campaign)
        initial = {
            "name": campaign.name,
            "kind": campaign.kind,
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
            "budget": plain(campaign.budget),
            "owner": campaign.owner_id,
            "description": campaign.description,
            "partners": visible,
        }
    form = CampaignForm(form_data(request), initial=initial, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "kind": data["kind"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "budget": data["budget"],
            "description": data["description"],
            "partners": list(data["partners"]),
            "owner": data["owner"],
        }
        try:
            if campaign is None:
                saved = services.create_campaign(actor=actor, **fields)
            else:
                saved = services.update_campaign(campaign, actor=actor, **fields)
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存市场活动 %(code)s。") % {"code": saved.code})
            return redirect("web:campaign-detail", saved.pk)
    context = {"form": form, "campaign": campaign, "hidden_partners": hidden}
    return render(request, "web/crm/campaign_form.html", context, status=form_status(form))


@permission_required("crm.add_campaign", raise_exception=True)
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@permission_required("crm.change_campaign", raise_exception=True)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = or_404(selectors.campaign, request.user, pk)
    if not selectors.may_change(request.user, campaign):
        raise PermissionDenied
    if campaign.is_cancelled:
        messages.warning(request, _("市场活动 %(campaign)s 已取消，不能修改。") % {"campaign": campaign.code})
        return redirect("web:campaign-detail", campaign.pk)
    return _campaign_form(request, campaign)


# The customer's 市场活动 tab -----------------------------------------------------------------------------


def _campaigns_tab(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {"customer_campaigns": list(selectors.customer_campaigns(request.user, customer))}


add_customer_tab(
    CustomerTab("campaigns", gettext_lazy("市场活动"), "crm.view_campaign", _campaigns_tab, order=70)
)


urlpatterns: list[URLPattern] = [
    path("campaigns/", campaign_list, name="campaign-list"),
    path("campaigns/new/", campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/cancel/", campaign_cancel, name="campaign-cancel"),
]
