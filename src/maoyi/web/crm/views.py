"""Customer pages: the list, the detail with its tabs, the create and edit forms, and the 查重 check.

Customers are owned data: every read goes through the data scope, and a customer outside it answers
404 like a missing one. Each view parses the request, calls one selector or service and renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.crm import selectors, services
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.finance.models import Direction
from maoyi.finance.parties import PartyKind
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.crm.forms import CheckForm, CustomerForm
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.finance.party_money import party_money
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.versioning import add_version, posted_version

POOL = "pool"  # the owner filter's value for customers without owner (公海)


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    return or_404(selectors.customer, request.user, pk)


def _owner_choices(request: HttpRequest) -> list[Employee]:
    """The owners the list can be filtered by: the employees in the user's scope who own customers."""
    owned = selectors.customers(request.user).exclude(owner=None).values("owner")
    return list(scope.visible(request.user, Employee.objects.filter(pk__in=owned)).order_by("pinyin"))


# The list's columns in its Excel export (导出), as on screen.
CUSTOMER_COLUMNS = [
    ExportColumn(gettext_lazy("客户名称"), key="name"),
    ExportColumn(gettext_lazy("客户类型"), key="get_kind_display"),
    ExportColumn(gettext_lazy("客户等级"), key="get_level_display"),
    ExportColumn(gettext_lazy("电话"), key="phone"),
    ExportColumn(gettext_lazy("负责人"), getter=lambda c: c.owner.name if c.owner else _("公海")),
    ExportColumn(gettext_lazy("信用额度"), key="credit_limit", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("最近跟进"), key="last_activity_at", kind=Kind.DATE),
]


@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in CustomerKind.values else ""
    level = request.GET.get("level", "")
    level = level if level in CustomerLevel.values else ""
    owners = _owner_choices(request)
    owner_value = request.GET.get("owner", "")
    owner = next((e for e in owners if str(e.pk) == owner_value), None)
    pool = True if owner_value == POOL else None
    if owner is None and pool is None:
        owner_value = ""
    ordering = request.GET.get("o", "")
    qs = selectors.customers(
        request.user, search=search, kind=kind, level=level, owner=owner, pool=pool, ordering=ordering
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, CUSTOMER_COLUMNS, gettext_lazy("客户"))
    listing = paginate(request, qs, ordering=ordering)
    rows = list(listing.page.object_list)
    badges = pool_selectors.return_badges(rows)
    for row in rows:
        setattr(row, "pool_return_days", badges.get(row.pk))  # noqa: B010 (read by pool_tags)
    listing.page.object_list = rows
    context = {
        "listing": listing,
        "q": search,
        "kind": kind,
        "kinds": CustomerKind.choices,
        "level": level,
        "levels": CustomerLevel.choices,
        "owner": owner_value,
        "owners": owners,
        "pool": POOL,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or kind or level or owner_value),
    }
    return render(request, "web/crm/customer_list.html", context)


@dataclass(frozen=True)
class CustomerTab:
    """A tab of the customer page: shown to holders of `permission` (None: everyone who sees the
    customer), its panel is `web/crm/tabs/<key>.html`, and `context(request, customer)` adds the
    panel's data. Areas register theirs with `add_customer_tab` (contacts, activities, 机会 …)."""

    key: str
    label: Any
    permission: str | None = None
    context: Callable[[HttpRequest, Customer], dict[str, Any]] | None = None
    order: int = 50


def _info_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "children": selectors.customers(request.user).filter(parent=customer),
        "served": selectors.customers(request.user).filter(channel_partner=customer),
    }


def _receivables_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return party_money(
        request, direction=Direction.RECEIVABLE, party_kind=PartyKind.CUSTOMER, party_id=customer.pk
    )


CUSTOMER_TABS: dict[str, CustomerTab] = {}


def add_customer_tab(tab: CustomerTab) -> None:
    CUSTOMER_TABS[tab.key] = tab


add_customer_tab(CustomerTab("info", gettext_lazy("基本信息"), context=_info_context, order=0))
add_customer_tab(
    CustomerTab(
        "receivables", gettext_lazy("应收"), "finance.view_receivable", _receivables_context, order=80
    )
)
add_customer_tab(CustomerTab("attachments", gettext_lazy("附件"), order=90))
add_customer_tab(CustomerTab("history", gettext_lazy("操作日志"), order=99))


def customer_tabs(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    """The tabs this user sees on the customer page, in order (key → label)."""
    shown = sorted(CUSTOMER_TABS.values(), key=lambda t: (t.order, t.key))
    return {t.key: t.label for t in shown if t.permission is None or request.user.has_perm(t.permission)}


@permission_required("crm.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    tabs = customer_tabs(request, customer)
    tab = chosen_tab(request, tabs)
    context: dict[str, Any] = {
        "customer": customer,
        "tab": tab,
        "tabs": tabs,
        "tab_template": f"web/crm/tabs/{tab}.html",
        "can_change": scope.can_change(request.user, customer),
        **record_panels(customer),
    }
    extra = CUSTOMER_TABS[tab].context
    if extra is not None:
        context.update(extra(request, customer))
    return render(request, "web/crm/customer_detail.html", context)


def _save_customer(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    actor = acting_employee(request)
    form = CustomerForm(form_data(request), user=request.user, instance=customer)
    add_version(form, customer)
    if request.method == "POST" and form.is_valid():
        try:
            if customer is None:
                saved = services.create_customer(actor=actor, **form.customer_fields())
            else:
                saved = services.update_customer(
                    customer, actor=actor, version=posted_version(form), **form.customer_fields()
                )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已创建客户“%(name)s”。") if customer is None else _("已保存客户“%(name)s”。")
            messages.success(request, done % {"name": saved.name})
            if scope.can_view(request.user, saved):
                return redirect("web:customer-detail", saved.pk)
            return redirect("web:customer-list")  # given to someone outside the user's scope
    context = {"form": form, "customer": customer}
    return render(request, "web/crm/customer_form.html", context, status=form_status(form))


@permission_required("crm.add_customer", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    return _save_customer(request, None)


@permission_required("crm.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    return _save_customer(request, customer)


@permission_required("crm.view_customer", raise_exception=True)
def customer_check(request: HttpRequest) -> HttpResponse:
    """查重: whether a customer with this name, phone or tax id exists anywhere, and who owns it."""
    form = CheckForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    exclude = None
    if data.get("exclude"):
        exclude = selectors.customers(request.user).filter(pk=data["exclude"]).first()
    asked = any(data.get(k) for k in ("name", "phone", "tax_id"))
    found = selectors.duplicates_of(
        name=data.get("name", ""), phone=data.get("phone", ""), tax_id=data.get("tax_id", ""), exclude=exclude
    )
    return render(request, "web/crm/customer_check.html", {"asked": asked, "found": found})
