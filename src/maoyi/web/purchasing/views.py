"""Purchasing pages: suppliers (list, detail with contacts, attachments and history, form,
停用/启用).

Suppliers are company data: a page needs the model's permission (403 otherwise); a missing record
answers 404. Each view parses the request, calls one selector or service and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError
from maoyi.core.money import Currency
from maoyi.core.tabular import Kind
from maoyi.finance.models import Direction
from maoyi.finance.parties import PartyKind
from maoyi.purchasing import selectors
from maoyi.purchasing.models import Supplier, SupplierContact
from maoyi.purchasing.services import suppliers as services
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.finance.party_money import party_money
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.purchasing.forms import ACTIVE_FILTER, ContactForm, SupplierForm
from maoyi.web.versioning import add_version, posted_version

ACTIVE_VALUES: dict[str, bool | None] = {"active": True, "inactive": False, "all": None}


def _supplier_or_404(pk: int) -> Supplier:
    return or_404(selectors.supplier, pk)


# The list's columns in its Excel export (导出), as on screen.
SUPPLIER_COLUMNS = [
    ExportColumn(gettext_lazy("供应商编码"), key="code"),
    ExportColumn(gettext_lazy("供应商名称"), key="name"),
    ExportColumn(gettext_lazy("简称"), key="short_name"),
    ExportColumn(gettext_lazy("币种"), key="get_currency_display"),
    ExportColumn(gettext_lazy("电话"), key="phone"),
    ExportColumn(gettext_lazy("税号"), key="tax_id"),
    ExportColumn(gettext_lazy("账期（天）"), key="payment_terms_days", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("采购负责人"), key="buyer.name"),
    ExportColumn(gettext_lazy("状态"), getter=lambda s: _("启用") if s.is_active else _("停用")),
]


@permission_required("purchasing.view_supplier", raise_exception=True)
def supplier_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    active = request.GET.get("active", "active")
    active = active if active in ACTIVE_VALUES else "active"
    currency = request.GET.get("currency", "")
    currency = currency if currency in Currency.values else ""
    ordering = request.GET.get("o", "")
    qs = selectors.suppliers(
        search=search, active=ACTIVE_VALUES[active], currency=currency, ordering=ordering
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, SUPPLIER_COLUMNS, gettext_lazy("供应商"))
    context = {
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "active": active,
        "actives": ACTIVE_FILTER,
        "currency": currency,
        "currencies": Currency.choices,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or currency or active != "active"),
    }
    return render(request, "web/purchasing/supplier_list.html", context)


def supplier_tabs(request: HttpRequest) -> dict[str, Any]:
    """The detail page's tabs in order. Another tab (应付 …) goes before 附件, with its template
    `web/purchasing/supplier_tab_<key>.html` and its context added in `_render_detail`."""
    tabs: dict[str, Any] = {"info": gettext_lazy("基本信息")}
    if request.user.has_perm("finance.view_payable"):
        tabs["payables"] = gettext_lazy("应付")
    if request.user.has_perm("purchasing.view_supplierquote"):
        tabs["quotes"] = gettext_lazy("报价")  # context: web.purchasing.quotes.supplier_quotes_context
    tabs["attachments"] = gettext_lazy("附件")
    tabs["history"] = gettext_lazy("操作日志")
    return tabs


def _payables_context(request: HttpRequest, supplier: Supplier) -> dict[str, Any]:
    return party_money(
        request, direction=Direction.PAYABLE, party_kind=PartyKind.SUPPLIER, party_id=supplier.pk
    )


# Per-tab data beyond the supplier itself: tab key → function(request, supplier) → context.
TAB_CONTEXT: dict[str, Any] = {"payables": _payables_context}


def _render_detail(
    request: HttpRequest, supplier: Supplier, *, contact_form: ContactForm | None = None
) -> HttpResponse:
    tabs = supplier_tabs(request)
    tab = "info" if contact_form is not None else chosen_tab(request, tabs)
    context: dict[str, Any] = {"supplier": supplier, "tab": tab, "tabs": tabs, **record_panels(supplier)}
    if tab == "info":
        contacts = list(selectors.contacts(supplier))
        if contact_form is None:
            editing = request.GET.get("contact", "")
            chosen = next((c for c in contacts if str(c.pk) == editing), None)
            contact_form = ContactForm(instance=chosen)
        context["contacts"] = contacts
        context["contact_form"] = contact_form
    elif tab not in ("attachments", "history"):
        context["tab_template"] = f"web/purchasing/supplier_tab_{tab}.html"
        if tab in TAB_CONTEXT:
            context.update(TAB_CONTEXT[tab](request, supplier))
    return render(
        request,
        "web/purchasing/supplier_detail.html",
        context,
        status=form_status(contact_form) if contact_form is not None else 200,
    )


@permission_required("purchasing.view_supplier", raise_exception=True)
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _supplier_or_404(pk))


def _save_supplier(request: HttpRequest, supplier: Supplier | None) -> HttpResponse:
    actor = acting_employee(request)
    form = SupplierForm(form_data(request), instance=supplier)
    add_version(form, supplier)
    if request.method == "POST" and form.is_valid():
        try:
            if supplier is None:
                saved = services.create_supplier(actor=actor, **form.supplier_fields())
            else:
                saved = services.update_supplier(
                    supplier, actor=actor, version=posted_version(form), **form.supplier_fields()
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已创建供应商“%(name)s”。") if supplier is None else _("已保存供应商“%(name)s”。")
            messages.success(request, done % {"name": saved.name})
            return redirect("web:supplier-detail", saved.pk)
    context = {"form": form, "supplier": supplier}
    return render(request, "web/purchasing/supplier_form.html", context, status=form_status(form))


@permission_required("purchasing.add_supplier", raise_exception=True)
def supplier_create(request: HttpRequest) -> HttpResponse:
    return _save_supplier(request, None)


@permission_required("purchasing.change_supplier", raise_exception=True)
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_supplier(request, _supplier_or_404(pk))


@require_POST
@permission_required("purchasing.change_supplier", raise_exception=True)
def supplier_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """停用 or 启用, as the button said (`active` = 1 or 0), so a double click does not undo itself."""
    supplier = _supplier_or_404(pk)
    wanted = request.POST.get("active")
    active = (wanted == "1") if wanted in ("0", "1") else not supplier.is_active
    try:
        services.set_supplier_active(supplier, actor=acting_employee(request), active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("已启用供应商“%(name)s”。") if active else _("已停用供应商“%(name)s”。")
        messages.success(request, done % {"name": supplier.name})
    return redirect("web:supplier-detail", supplier.pk)


@require_POST
@permission_required("purchasing.change_supplier", raise_exception=True)
def supplier_contact_save(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier_or_404(pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        contact_id = form.cleaned_data["contact"]
        contact = or_404(selectors.contact, supplier, contact_id) if contact_id else None
        try:
            saved = services.save_contact(
                supplier, actor=acting_employee(request), contact=contact, **form.contact_fields()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存联系人“%(name)s”。") % {"name": saved.name})
            return redirect("web:supplier-detail", supplier.pk)
    return _render_detail(request, supplier, contact_form=form)


@require_POST
@permission_required("purchasing.change_supplier", raise_exception=True)
def supplier_contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    supplier = _supplier_or_404(pk)
    contact: SupplierContact = or_404(selectors.contact, supplier, contact_pk)
    try:
        services.remove_contact(contact, actor=acting_employee(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除联系人“%(name)s”。") % {"name": contact.name})
    return redirect("web:supplier-detail", supplier.pk)
