"""`GET …/{id}/pdf/` (API.md "Documents"): a document as the PDF its print page makes, from the same
template under `web/print/` (see `maoyi.web.printing`), in A4 or, with `?size=a5`, A5 landscape.

A document viewset gets the action by adding `PdfActionMixin` to its bases; the mixin knows how each
document type fills its template (`PRINTS`). The document is found with the viewset's own
`get_object()`, so the data scope is the viewset's (404 outside it); the role needs the model's
view permission (403). A refusal is the API's JSON whatever was asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.errors import error_responses
from maoyi.api.permissions import ModelPermission
from maoyi.core.money import quantize_money
from maoyi.core.printing import PAPER_SIZES, PDF_MIME, PdfUnavailable, html_to_pdf, paper_size, pdf_response
from maoyi.crm.models import Contract, Expense, Quote
from maoyi.crm.selectors import quotes as quote_selectors
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Payable, Payment, Receipt, Receivable
from maoyi.invoicing import selectors as invoice_selectors
from maoyi.invoicing.models import Invoice
from maoyi.purchasing import order_selectors as purchase_selectors
from maoyi.purchasing.models import GoodsReceipt, PurchaseOrder, PurchaseReturn
from maoyi.sales import selectors as sales_selectors
from maoyi.sales import shipping_selectors
from maoyi.sales.models import SalesOrder, SalesReturn, Shipment


@dataclass(frozen=True)
class Print:
    """How one document type fills its print template: the template, its title, its lines and
    anything else the template reads, worked out from the lines (a quote's total)."""

    template: str
    title: Any
    lines: Callable[[Any], Any]
    more: Callable[[Any], dict[str, Any]] | None = None


def _purchase_return_lines(doc: PurchaseReturn) -> list[Any]:
    return list(doc.lines.select_related("order_line", "order_line__product", "lot").order_by("id"))


@dataclass(frozen=True)
class LineRow:
    """A document line with what it is worth at its price (tax included)."""

    line: Any
    amount: Decimal


def _goods_receipt_lines(doc: GoodsReceipt) -> list[LineRow]:
    rows = doc.lines.select_related("order_line", "order_line__product", "lot").order_by("id")
    return [LineRow(row, quantize_money(row.quantity * row.order_line.unit_price)) for row in rows]


def _contract_lines(doc: Contract) -> list[LineRow]:
    return [
        LineRow(row, quantize_money(row.quantity * row.unit_price))
        for row in quote_selectors.contract_lines(doc)
    ]


def _total(rows: list[LineRow]) -> dict[str, Any]:
    return {"total": quantize_money(sum((row.amount for row in rows), Decimal("0")))}


def _settlement_lines(doc: Any) -> list[Any]:
    return list(finance_selectors.allocations_of(doc))


_OBLIGATION = "web/print/obligation.html"
_SETTLEMENT = "web/print/settlement.html"

PRINTS: dict[type, Print] = {
    SalesOrder: Print("web/print/sales_order.html", _("销售订单"), sales_selectors.order_lines),
    PurchaseOrder: Print("web/print/purchase_order.html", _("采购订单"), purchase_selectors.order_lines),
    Shipment: Print(
        "web/print/delivery_note.html", _("送货单"), lambda doc: list(shipping_selectors.shipment_lines(doc))
    ),
    SalesReturn: Print(
        "web/print/sales_return.html", _("销售退货单"), lambda doc: list(shipping_selectors.return_lines(doc))
    ),
    PurchaseReturn: Print("web/print/purchase_return.html", _("采购退货单"), _purchase_return_lines),
    Quote: Print(
        "web/print/quote.html",
        _("报价单"),
        quote_selectors.quote_lines,
        more=lambda lines: {"total": quote_selectors.quote_total(lines)},
    ),
    GoodsReceipt: Print("web/print/goods_receipt.html", _("采购入库单"), _goods_receipt_lines, more=_total),
    Contract: Print("web/print/contract.html", _("合同"), _contract_lines),
    Expense: Print("web/print/expense.html", _("费用报销单"), lambda doc: [doc]),
    Invoice: Print("web/print/invoice.html", _("发票"), invoice_selectors.allocations_of),
    Receivable: Print(_OBLIGATION, _("应收款"), finance_selectors.installments_of),
    Payable: Print(_OBLIGATION, _("应付款"), finance_selectors.installments_of),
    Receipt: Print(_SETTLEMENT, _("收款单"), _settlement_lines),
    Payment: Print(_SETTLEMENT, _("付款单"), _settlement_lines),
}


class PdfRenderer(BaseRenderer):
    """Lets a client ask for the PDF with `Accept: application/pdf` (or `?format=pdf`). The PDF itself
    is a plain response; what this renders is only a refusal, as JSON."""

    media_type = PDF_MIME
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = dict(renderer_context or {})
        response = context.get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data, "application/json", context)


class ViewPermission(ModelPermission):
    """The model's view permission: reading a document as PDF is reading it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        meta = view.get_queryset().model._meta
        return bool(request.user and request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}"))


def document_pdf(request: Request, doc: Any) -> HttpResponse:
    """The document's PDF download, named after its number."""
    spec = PRINTS[type(doc)]
    lines = spec.lines(doc)
    context = {
        **(spec.more(lines) if spec.more is not None else {}),
        "doc": doc,
        "lines": lines,
        "doc_title": spec.title,
        "doc_number": doc.number,
        "size": paper_size(request.query_params.get("size")),
        "printed_on": timezone.localdate(),
        "pdf": True,
    }
    django_request = request._request
    html = render_to_string(spec.template, context, request=django_request)
    try:
        content = html_to_pdf(html, base_url=django_request.build_absolute_uri("/"))
    except PdfUnavailable as exc:
        return Response({"detail": str(exc.message), "code": "pdf_unavailable"}, status=503)
    return pdf_response(content, f"{doc.number}.pdf")


class PdfActionMixin:
    """`GET …/{id}/pdf/` for a document viewset whose model is in `PRINTS`."""

    @extend_schema(
        summary="PDF",
        parameters=[
            OpenApiParameter("size", str, enum=list(PAPER_SIZES), description="a4 (default) or a5 landscape")
        ],
        responses={
            (200, PDF_MIME): OpenApiResponse(OpenApiTypes.BINARY, description="The printable document."),
            **error_responses(403, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="pdf",
        renderer_classes=[JSONRenderer, PdfRenderer],
        permission_classes=[ViewPermission],
    )
    def pdf(self: Any, request: Request, pk: str | None = None) -> HttpResponse:
        """The document as a PDF (A4, or A5 landscape with `?size=a5`), with the letterhead, the
        table header on every page, the total in 大写, signature lines and 第 x 页 / 共 y 页."""
        return document_pdf(request, self.get_object())
