"""VAT invoice register pages (发票登记): the list with its export, recording an invoice with the
orders it covers, the detail page with 红冲, and the 待开票 (sales orders still to invoice) and 缺票
(purchase orders whose supplier invoices are missing) lists. A missing permission answers 403; an
invoice outside the user's data scope answers 404, the same as a missing one. Each view parses
the request, calls one selector or service and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.finance import parties
from maoyi.finance.parties import Party
from maoyi.invoicing import selectors, services
from maoyi.invoicing.models import (
    PARTY_KIND,
    SOURCE_TYPE,
    Invoice,
    InvoiceDirection,
    InvoiceKind,
    InvoiceStatus,
    SourceType,
)
from maoyi.invoicing.services import AllocationInput
from maoyi.web.common import acting_employee, chosen_tab, form_data, or_404, record_panels
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import apply_domain_error
from maoyi.web.invoicing.forms import InvoiceForm, ReverseForm, posted_allocations
from maoyi.web.lists import PAGE_SIZES, paginate

VIEW = "invoicing.view_invoice"
ADD = "invoicing.add_invoice"
CHANGE = "invoicing.change_invoice"
DETAIL = "web:invoice-detail"
TABS = {
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
DOCUMENT_PAGES: dict[str, tuple[str, str]] = {
    SourceType.SALES_ORDER: ("web:sales-order-detail", "sales.view_salesorder"),
    SourceType.PURCHASE_ORDER: ("web:purchase-order-detail", "purchasing.view_purchaseorder"),
}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _direction(value: Any) -> str:
    return value if value in InvoiceDirection.values else InvoiceDirection.ISSUED


def _party(request: HttpRequest, direction: str, party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    return parties.get_party(request.user, PARTY_KIND[direction], party_id)


def document_url(request: HttpRequest, source_type: str, source_id: int) -> str:
    """The order's page, when the user may open it; else ""."""
    url_name, permission = DOCUMENT_PAGES[source_type]
    return reverse(url_name, args=[source_id]) if request.user.has_perm(permission) else ""


# The list ------------------------------------------------------------------------------------------


def _signed(invoice: Invoice) -> str:
    return _("红字") if invoice.is_red else _("蓝字")


INVOICE_COLUMNS = [
    ExportColumn(gettext_lazy("发票号码"), key="number"),
    ExportColumn(gettext_lazy("发票方向"), getter=lambda i: i.get_direction_display()),
    ExportColumn(gettext_lazy("发票类型"), getter=lambda i: i.get_kind_display()),
    ExportColumn(gettext_lazy("红蓝字"), getter=_signed),
    ExportColumn(gettext_lazy("开票日期"), key="issued_on", kind=Kind.DATE),
    ExportColumn(gettext_lazy("往来单位"), key="party_name"),
    ExportColumn(gettext_lazy("金额（不含税）"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("税额"), key="tax_amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("价税合计"), key="total", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("状态"), getter=lambda i: i.get_status_display()),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
    ExportColumn(gettext_lazy("备注"), key="note"),
]


@permission_required(VIEW, raise_exception=True)
def invoice_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    direction = request.GET.get("direction", "")
    direction = direction if direction in InvoiceDirection.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in InvoiceKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in InvoiceStatus.values else ""
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    ordering = request.GET.get("o", "")
    qs = selectors.invoices(
        request.user,
        search=search,
        direction=direction,
        kind=kind,
        status=status,
        date_from=date_from,
        date_to=date_to,
        ordering=ordering,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, INVOICE_COLUMNS, _("发票登记"))
    context = {
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "direction": direction,
        "directions": InvoiceDirection.choices,
        "kind": kind,
        "kinds": InvoiceKind.choices,
        "status": status,
        "statuses": InvoiceStatus.choices,
        "date_from": date_from,
        "date_to": date_to,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or direction or kind or status or date_from or date_to),
    }
    return render(request, "web/invoicing/invoice_list.html", context)


# Recording -----------------------------------------------------------------------------------------


def _open_documents(
    request: HttpRequest,
    direction: str,
    party: Party | None,
    *,
    values: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
    preferred: int | None = None,
) -> dict[str, Any]:
    """What the allocation grid shows: the party's orders still to invoice (a preferred one first),
    each with the amount typed for it."""
    items: list[dict[str, Any]] = []
    if party is not None:
        found = selectors.open_documents(request.user, direction, party.id)
        found.sort(key=lambda row: row.document.pk != preferred)
        values, errors = values or {}, errors or {}
        items = [
            {
                "row": row,
                "value": values.get(row.document.pk, ""),
                "error": errors.get(row.document.pk, ""),
                "url": document_url(request, SOURCE_TYPE[direction], row.document.pk),
            }
            for row in found
        ]
    return {
        "items": items,
        "party": party,
        "direction": direction,
        "direction_label": InvoiceDirection(direction).label,
        "prefilled": values is not None,
    }


def _allocation_error(
    exc: DomainError, form: InvoiceForm, allocations: list[AllocationInput]
) -> dict[int, str]:
    """A refusal about one allocation goes on its row (and above the form); others on their field."""
    parts = (exc.field or "").split(".")
    if parts[0] != "allocations":
        apply_domain_error(form, exc)
        return {}
    form.add_error(None, exc.message)
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(allocations):
        return {allocations[int(parts[1])].document_id: exc.message}
    return {}


@permission_required(ADD, raise_exception=True)
def invoice_create(request: HttpRequest) -> HttpResponse:
    """登记发票: the invoice, and below it the party's orders still to invoice, to allocate it to.
    ?direction=&party=&document= prefill the party and put the order's remainder on its row."""
    actor = acting_employee(request)
    preferred = _int(request.GET.get("document"))
    initial = {"direction": _direction(request.GET.get("direction")), "party": _int(request.GET.get("party"))}
    form = InvoiceForm(form_data(request), initial=initial)
    direction = _direction(form.data.get("direction") if form.is_bound else initial["direction"])
    party = _party(request, direction, _int(form.data.get("party") if form.is_bound else initial["party"]))
    values: dict[int, str] | None = None
    row_errors: dict[int, str] = {}
    if request.method == "POST":
        values, allocations, row_errors = posted_allocations(request.POST)
        if row_errors:
            form.add_error(None, _("开票金额有误，请检查标红的行。"))
        if form.is_valid() and not row_errors:
            data = form.cleaned_data
            if party is None:
                form.add_error("party", _("请选择往来单位。"))
            else:
                try:
                    saved = services.record_invoice(
                        actor=actor,
                        direction=data["direction"],
                        kind=data["kind"],
                        number=data["number"],
                        issued_on=data["issued_on"],
                        party=party,
                        amount=data["amount"],
                        tax_amount=data["tax_amount"],
                        allocations=allocations,
                        note=data["note"],
                    )
                except DomainError as exc:
                    row_errors = _allocation_error(exc, form, allocations)
                else:
                    messages.success(
                        request,
                        _("已登记发票 %(number)s，价税合计 %(total)s。")
                        % {"number": saved.number, "total": f"{saved.total:,.2f}"},
                    )
                    return redirect(DETAIL, saved.pk)
    elif preferred is not None and party is not None:
        rows = selectors.open_documents(request.user, direction, party.id)
        values = {row.document.pk: f"{row.remaining:.2f}" for row in rows if row.document.pk == preferred}
    context = {
        "form": form,
        **_open_documents(request, direction, party, values=values, errors=row_errors, preferred=preferred),
    }
    return render(request, "web/invoicing/invoice_form.html", context, status=400 if form.errors else 200)


@require_GET
@permission_required(ADD, raise_exception=True)
def open_documents(request: HttpRequest) -> HttpResponse:
    """The allocation grid of the form, refreshed by htmx when the direction or the party changes."""
    direction = _direction(request.GET.get("direction"))
    party = _party(request, direction, _int(request.GET.get("party")))
    return render(request, "web/invoicing/_open_documents.html", _open_documents(request, direction, party))


@require_GET
@permission_required(ADD, raise_exception=True)
def party_search(request: HttpRequest) -> HttpResponse:
    """The picker's list (htmx): customers (issued) or suppliers (received) matching ?q=."""
    kind = PARTY_KIND[_direction(request.GET.get("direction"))]
    text = request.GET.get("q", "").strip()
    found = parties.search_parties(request.user, kind, text)
    return render(request, "web/finance/_party_options.html", {"parties": found, "q": text, "kind": kind})


# One invoice ----------------------------------------------------------------------------------------


def _invoice_page(
    request: HttpRequest, invoice: Invoice, *, reverse_form: ReverseForm | None = None
) -> HttpResponse:
    allocations = selectors.allocations_of(invoice)
    for row in allocations:
        row.url = document_url(request, row.source_type, row.source_id)  # type: ignore[attr-defined]
    statuses = {}
    for source_type in {row.source_type for row in allocations}:
        ids = [row.source_id for row in allocations if row.source_type == source_type]
        statuses.update(
            {(source_type, k): v for k, v in selectors.invoicing_status(source_type, ids).items()}
        )
    for row in allocations:
        row.invoicing = statuses.get((row.source_type, row.source_id))  # type: ignore[attr-defined]
    can_reverse = (
        request.user.has_perm(CHANGE) and not invoice.is_red and invoice.status == InvoiceStatus.NORMAL
    )
    context = {
        "invoice": invoice,
        "allocations": allocations,
        "red": selectors.red_invoice_of(invoice) if invoice.status == InvoiceStatus.REVERSED else None,
        "can_reverse": can_reverse,
        "reverse_form": reverse_form or ReverseForm(),
        "tab": chosen_tab(request, TABS),
        "tabs": TABS,
        **record_panels(invoice),
    }
    failed = reverse_form is not None and bool(reverse_form.errors)
    return render(request, "web/invoicing/invoice_detail.html", context, status=400 if failed else 200)


@permission_required(VIEW, raise_exception=True)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _invoice_page(request, or_404(selectors.invoice, request.user, pk))


@require_POST
@permission_required(CHANGE, raise_exception=True)
def invoice_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """红冲: record the red invoice that cancels this one."""
    invoice = or_404(selectors.invoice, request.user, pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            red = services.reverse_invoice(
                invoice,
                actor=acting_employee(request),
                reason=data["reason"],
                red_number=data["red_number"],
                issued_on=data["issued_on"],
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已红冲 %(number)s，红字发票 %(red)s。") % {"number": invoice.number, "red": red.number},
            )
            return redirect(DETAIL, invoice.pk)
    invoice.refresh_from_db()
    return _invoice_page(request, invoice, reverse_form=form)


# What is still to invoice ---------------------------------------------------------------------------


def _queue(request: HttpRequest, rows: list[Any], template: str, source_type: str) -> HttpResponse:
    listing = paginate(request, rows)  # type: ignore[arg-type]  # a list pages like a queryset
    listing.page.object_list = [
        {"row": row, "url": document_url(request, source_type, row.document.pk)}
        for row in listing.page.object_list
    ]
    context = {
        "listing": listing,
        "q": request.GET.get("q", "").strip(),
        "page_sizes": PAGE_SIZES,
        "can_add": request.user.has_perm(ADD),
    }
    return render(request, template, context)


@permission_required(VIEW, raise_exception=True)
def to_invoice(request: HttpRequest) -> HttpResponse:
    """待开票: sales orders approved or later not yet invoiced in full."""
    rows = selectors.to_invoice(request.user, search=request.GET.get("q", ""))
    return _queue(request, rows, "web/invoicing/to_invoice.html", SourceType.SALES_ORDER)


@permission_required(VIEW, raise_exception=True)
def missing_invoices(request: HttpRequest) -> HttpResponse:
    """缺票: purchase orders with goods received whose supplier invoices are missing."""
    rows = selectors.missing_supplier_invoices(request.user, search=request.GET.get("q", ""))
    return _queue(request, rows, "web/invoicing/missing.html", SourceType.PURCHASE_ORDER)
