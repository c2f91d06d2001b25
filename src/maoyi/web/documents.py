"""Where each document type's own page is, so shared pages (the approval inbox, audit entries)
can link to the document itself. Each web area adds its types here."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

DETAIL_URL_NAMES: dict[str, str] = {
    "opening_stock": "web:opening-detail",
    "stocktake": "web:stocktake-detail",
    "transfer": "web:transfer-detail",
    "stock_reversal": "web:stock-reversal-detail",
    "purchase_order": "web:purchase-order-detail",
    "purchase_return": "web:purchase-return-detail",
    "goods_receipt": "web:goods-receipt-detail",
    "contract": "web:contract-detail",
    "expense": "web:expense-detail",
    "sales_order": "web:sales-order-detail",
    "shipment": "web:shipment-detail",
    "sales_return": "web:sales-return-detail",
}


def document_url(document_type: str, pk: int) -> str | None:
    name = DETAIL_URL_NAMES.get(document_type)
    if name is None:
        return None
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None
