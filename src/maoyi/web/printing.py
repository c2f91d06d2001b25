"""Print-ready pages and PDF downloads (打印/PDF) of the sales order, purchase order, quote, delivery
note (送货单), statement of account (对账单) and stocktake sheet (盘点表).

Every document has an HTML page (`…/print/`, the browser prints it) and a PDF (`…/pdf/`, a download
named after the document number), both from one template under `web/print/` that extends the shared
layout `web/print/base.html`: letterhead from settings, the document's facts, a table whose header
repeats on every page, totals also in 大写, signature lines and "第 x 页 / 共 y 页". `?size=a5`
prints A5 landscape (the two-part 二联单 format), anything else A4 portrait.

Each view needs the permission the document's detail page needs (403) and finds the document
through the same scoped selector (404 outside the user's data scope)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from maoyi.core.printing import PdfUnavailable, html_to_pdf, paper_size, pdf_response
from maoyi.crm.selectors import quotes as quote_selectors
from maoyi.finance import parties
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.parties import PartyKind
from maoyi.inventory import selectors as stock_selectors
from maoyi.inventory.models import Stocktake
from maoyi.inventory.services.documents import perm as stock_perm
from maoyi.org.scope import employee_of
from maoyi.purchasing import order_selectors as purchase_selectors
from maoyi.sales import selectors as sales_selectors
from maoyi.sales import shipping_selectors
from maoyi.web.common import or_404
from maoyi.web.finance.views import STATEMENT_PERMISSIONS


def render_pdf(request: HttpRequest, template: str, context: dict[str, Any], filename: str) -> HttpResponse:
    """The print template rendered to a PDF download (`filename`, e.g. "XS20260101001.pdf")."""
    html = render_to_string(template, {**context, "pdf": True}, request=request)
    try:
        content = html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    except PdfUnavailable as exc:
        return HttpResponse(str(exc.message), status=503, content_type="text/plain; charset=utf-8")
    return pdf_response(content, filename)


def _print(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    number: str,
    pdf: bool,
    urls: tuple[str, str],
    query: dict[str, str] | None = None,
) -> HttpResponse:
    """The print page, or with `pdf` its PDF, in the paper size `?size=` asks for."""
    context = {
        **context,
        "doc_number": number,
        "size": paper_size(request.GET.get("size")),
        "printed_on": timezone.localdate(),
        "query": urlencode(query or {}),
    }
    if pdf:
        return render_pdf(request, template, context, f"{number}.pdf")
    context.update({"pdf": False, "pdf_url": urls[0], "back_url": urls[1]})
    return render(request, template, context)


def _urls(name: str, pk: int, back: str) -> tuple[str, str]:
    """The PDF of the document and its detail page (the print page's 下载 PDF and 返回 links)."""
    return reverse(f"web:{name}-pdf", args=[pk]), reverse(back, args=[pk])


# Documents ------------------------------------------------------------------------------------------


@permission_required("sales.view_salesorder", raise_exception=True)
def sales_order(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """销售订单: customer, delivery, lines with prices, total in figures and 大写; 制单/审核/仓管/签收."""
    order = or_404(sales_selectors.order, request.user, pk)
    context = {"doc": order, "lines": sales_selectors.order_lines(order), "doc_title": _("销售订单")}
    return _print(
        request,
        "web/print/sales_order.html",
        context,
        number=order.number,
        pdf=pdf,
        urls=_urls("sales-order", pk, "web:sales-order-detail"),
    )


@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def purchase_order(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """采购订单: supplier, warehouse, lines, total in figures and 大写 (in CNY for another currency)."""
    order = or_404(purchase_selectors.order, request.user, pk)
    context = {"doc": order, "lines": purchase_selectors.order_lines(order), "doc_title": _("采购订单")}
    return _print(
        request,
        "web/print/purchase_order.html",
        context,
        number=order.number,
        pdf=pdf,
        urls=_urls("purchase-order", pk, "web:purchase-order-detail"),
    )


@permission_required("crm.view_quote", raise_exception=True)
def quote(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """报价单 in the shared layout (the older one-page print view stays at `customer-quote-print`)."""
    found = or_404(quote_selectors.quote, request.user, pk)
    rows = quote_selectors.quote_lines(found)
    context = {
        "doc": found,
        "lines": rows,
        "total": quote_selectors.quote_total(rows),
        "doc_title": _("报价单"),
    }
    return _print(
        request,
        "web/print/quote.html",
        context,
        number=found.number,
        pdf=pdf,
        urls=(reverse("web:customer-quote-pdf", args=[pk]), reverse("web:customer-quote-detail", args=[pk])),
    )


@permission_required("sales.view_shipment", raise_exception=True)
def delivery_note(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """送货单: what travels with the goods; quantities and lots, no prices."""
    doc = or_404(shipping_selectors.shipment, request.user, pk)
    context = {"doc": doc, "lines": list(shipping_selectors.shipment_lines(doc)), "doc_title": _("送货单")}
    return _print(
        request,
        "web/print/delivery_note.html",
        context,
        number=doc.number,
        pdf=pdf,
        urls=_urls("shipment-note", pk, "web:shipment-detail"),
    )


def stocktake(request: HttpRequest, pk: int, pdf: bool = False) -> HttpResponse:
    """盘点表: book and counted quantity per lot; `?blank=1` leaves the counts empty, the sheet the
    counters fill in by hand."""
    if not request.user.has_perm(stock_perm(Stocktake, "view")):
        raise PermissionDenied
    doc = or_404(stock_selectors.visible_stock_document, request.user, Stocktake, pk)
    lines = list(
        doc.lines.select_related("product", "lot").order_by(
            "product__code", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
        )
    )
    blank = request.GET.get("blank") == "1"
    context = {"doc": doc, "lines": lines, "blank_counts": blank, "doc_title": _("盘点表")}
    return _print(
        request,
        "web/print/stocktake.html",
        context,
        number=doc.number,
        pdf=pdf,
        query={"blank": "1"} if blank else None,
        urls=_urls("stocktake-sheet", pk, "web:stocktake-detail"),
    )


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def statement(request: HttpRequest, pdf: bool = False) -> HttpResponse:
    """对账单 with one customer or supplier over a period (`?party_kind=&party=&from=&to=`, as the
    finance statement page takes them; the period defaults to this month), closing balance in 大写."""
    kind = request.GET.get("party_kind", PartyKind.CUSTOMER)
    permission = STATEMENT_PERMISSIONS.get(kind)
    if permission is None:
        raise Http404
    if not request.user.has_perm(permission):
        raise PermissionDenied
    party_id = request.GET.get("party", "").strip()
    party = parties.get_party(request.user, kind, int(party_id)) if party_id.isdigit() else None
    if party is None:
        raise Http404
    today = timezone.localdate()
    date_from = _day(request.GET.get("from")) or today.replace(day=1)
    date_to = _day(request.GET.get("to")) or today.replace(
        day=calendar.monthrange(today.year, today.month)[1]
    )
    report = finance_selectors.statement(
        request.user,
        party_kind=party.kind,
        party_id=party.id,
        party_name=party.name,
        date_from=date_from,
        date_to=date_to,
    )
    preparer = employee_of(request.user)
    query = {"party_kind": party.kind, "party": str(party.id), "from": f"{date_from}", "to": f"{date_to}"}
    context = {
        "party": party,
        "report": report,
        "date_from": date_from,
        "date_to": date_to,
        "preparer": preparer.name if preparer else "",
        "doc_title": _("对账单"),
    }
    number = f"{_('对账单')}-{party.name}-{date_from:%Y%m%d}-{date_to:%Y%m%d}".replace("/", "-")
    return _print(
        request,
        "web/print/statement.html",
        context,
        number=number,
        pdf=pdf,
        urls=(
            f"{reverse('web:statement-pdf')}?{urlencode(query)}",
            f"{reverse('web:finance-statement')}?{urlencode(query)}",
        ),
        query=query,
    )


PDF = {"pdf": True}

urlpatterns: list[URLPattern] = [
    path("sales/orders/<int:pk>/print/", sales_order, name="sales-order-print"),
    path("sales/orders/<int:pk>/pdf/", sales_order, PDF, name="sales-order-pdf"),
    path("purchasing/orders/<int:pk>/print/", purchase_order, name="purchase-order-print"),
    path("purchasing/orders/<int:pk>/pdf/", purchase_order, PDF, name="purchase-order-pdf"),
    path("crm/customer-quotes/<int:pk>/sheet/", quote, name="customer-quote-sheet"),
    path("crm/customer-quotes/<int:pk>/pdf/", quote, PDF, name="customer-quote-pdf"),
    path("sales/shipments/<int:pk>/print/", delivery_note, name="shipment-note-print"),
    path("sales/shipments/<int:pk>/pdf/", delivery_note, PDF, name="shipment-note-pdf"),
    path("stock-documents/stocktakes/<int:pk>/print/", stocktake, name="stocktake-sheet-print"),
    path("stock-documents/stocktakes/<int:pk>/pdf/", stocktake, PDF, name="stocktake-sheet-pdf"),
    path("finance/statement/print/", statement, name="statement-print"),
    path("finance/statement/pdf/", statement, PDF, name="statement-pdf"),
]
