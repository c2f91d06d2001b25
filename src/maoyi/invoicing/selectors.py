"""Reads of the VAT invoice register: invoices (scoped like finance's records, by the party's
owner and department), what each sales or purchase order has been invoiced and its state
(未开票 / 部分开票 / 已开票), the sales orders still to invoice (待开票), the purchase orders whose
goods arrived without the supplier's invoice (缺票), and a party's orders open to invoicing (the
record form's allocation grid)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import BASE_CURRENCY
from maoyi.invoicing import documents
from maoyi.invoicing.models import (
    SOURCE_TYPE,
    Invoice,
    InvoiceAllocation,
    InvoiceDirection,
    InvoiceKind,
    InvoiceStatus,
    SourceType,
)
from maoyi.org import scope
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine
from maoyi.sales.models import SalesOrder

ZERO = Decimal("0")
NONE, PARTIAL, FULL = "none", "partial", "full"
INVOICING_LABELS = {NONE: _("未开票"), PARTIAL: _("部分开票"), FULL: _("已开票")}
INVOICE_ORDERINGS = {
    "number": "number",
    "-number": "-number",
    "party": "party_name",
    "-party": "-party_name",
    "date": "issued_on",
    "-date": "-issued_on",
    "total": "total",
    "-total": "-total",
}


# Invoices -------------------------------------------------------------------------------------------


def invoices(
    user: Any,
    *,
    search: str = "",
    direction: str = "",
    kind: str = "",
    status: str = "",
    party_kind: str = "",
    party_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    red: bool | None = None,
    ordering: str = "",
) -> QuerySet[Invoice]:
    """Invoices the user may see, newest first. `search` matches the invoice number, the party's
    name and the number of an order it covers; `red` keeps red invoices (True) or blue ones."""
    qs = scope.visible(user, Invoice.objects.select_related("owner", "reverses", "created_by"))
    term = search.strip()
    if term:
        covering = InvoiceAllocation.objects.filter(invoice=OuterRef("pk"), source_number__icontains=term)
        qs = qs.filter(Q(number__icontains=term) | Q(party_name__icontains=term) | Exists(covering))
    if direction in InvoiceDirection.values:
        qs = qs.filter(direction=direction)
    if kind in InvoiceKind.values:
        qs = qs.filter(kind=kind)
    if status in InvoiceStatus.values:
        qs = qs.filter(status=status)
    if party_kind:
        qs = qs.filter(party_kind=party_kind)
    if party_id is not None:
        qs = qs.filter(party_id=party_id)
    if date_from is not None:
        qs = qs.filter(issued_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(issued_on__lte=date_to)
    if red is not None:
        qs = qs.filter(reverses__isnull=not red)
    return qs.order_by(INVOICE_ORDERINGS.get(ordering, "-issued_on"), "-id")


def invoice(user: Any, pk: int) -> Invoice:
    """One invoice in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        rows = Invoice.objects.select_related("owner", "reverses", "created_by")
        return scope.get_visible(user, rows, pk=pk)
    except Invoice.DoesNotExist:
        raise NotFoundInScope() from None


def allocations_of(invoice: Invoice) -> list[InvoiceAllocation]:
    return list(invoice.allocations.order_by("id"))


def red_invoice_of(invoice: Invoice) -> Invoice | None:
    """The red invoice that reversed this one, if any."""
    return Invoice.objects.filter(reverses=invoice).first()


def invoices_of_document(user: Any, source_type: str, source_id: int) -> QuerySet[Invoice]:
    """The invoices (blue and red) the user may see that cover one order."""
    covering = InvoiceAllocation.objects.filter(source_type=source_type, source_id=source_id)
    return invoices(user).filter(pk__in=covering.values("invoice_id"))


# What orders were invoiced ----------------------------------------------------------------------------


def invoiced_amounts(source_type: str, ids: Iterable[int]) -> dict[int, Decimal]:
    """What each order has been invoiced, tax included, net of red invoices (orders never invoiced
    are left out). Summed in Python: SQLite would add the decimals as floats."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for source_id, amount in InvoiceAllocation.objects.filter(
        source_type=source_type, source_id__in=list(ids)
    ).values_list("source_id", "amount"):
        totals[source_id] += amount
    return dict(totals)


def state_of(invoiced: Decimal, amount: Decimal) -> str:
    """未开票 while nothing is invoiced (of an amount to invoice), 已开票 once the amount is reached,
    部分开票 in between."""
    if invoiced >= amount:
        return FULL
    return NONE if invoiced <= 0 else PARTIAL


def invoicing_status(source_type: str, ids: Iterable[int]) -> dict[int, tuple[str, Decimal, Decimal]]:
    """For each order: (state, invoiced, amount to invoice) — state "none", "partial" or "full"
    (`INVOICING_LABELS`), the amount being the order's less completed returns."""
    found = documents.load(source_type, ids)
    invoiced = invoiced_amounts(source_type, list(found))
    return {
        pk: (state_of(invoiced.get(pk, ZERO), doc.amount), invoiced.get(pk, ZERO), doc.amount)
        for pk, doc in found.items()
    }


@dataclass(frozen=True)
class OpenDocument:
    """An order as the invoicing lists show it."""

    document: Any  # the SalesOrder or PurchaseOrder
    number: str
    amount: Decimal  # to invoice in all: the order's amount less completed returns
    invoiced: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.invoiced

    @property
    def state(self) -> str:
        return state_of(self.invoiced, self.amount)

    @property
    def state_label(self) -> str:
        return str(INVOICING_LABELS[self.state])


def _not_fully_invoiced(source_type: str, orders: Sequence[Any]) -> list[OpenDocument]:
    found = documents.describe(source_type, orders)
    invoiced = invoiced_amounts(source_type, list(found))
    rows = [OpenDocument(o, o.number, found[o.pk].amount, invoiced.get(o.pk, ZERO)) for o in orders]
    return [row for row in rows if row.remaining > 0]


def _search_orders(qs: QuerySet[Any], party: str, search: str) -> QuerySet[Any]:
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(**{f"{party}__name__icontains": term})
            | Q(**{f"{party}__pinyin__contains": term.lower()})
        )
    return qs


def to_invoice(user: Any, *, search: str = "", customer_id: int | None = None) -> list[OpenDocument]:
    """待开票: sales orders approved or later that the user may see and that are not yet invoiced in
    full, oldest order date first."""
    qs = documents.visible(user, SourceType.SALES_ORDER).filter(status__in=documents.INVOICEABLE_STATUSES)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    qs = _search_orders(qs, "customer", search)
    orders: list[SalesOrder] = list(qs.select_related("customer", "owner").order_by("order_date", "id"))
    return _not_fully_invoiced(SourceType.SALES_ORDER, orders)


def missing_supplier_invoices(
    user: Any, *, search: str = "", supplier_id: int | None = None
) -> list[OpenDocument]:
    """缺票: purchase orders in CNY, approved or later, with goods received, whose supplier invoices
    do not yet cover them in full, oldest first. (Foreign suppliers issue no VAT invoice: import VAT
    is paid at customs.)"""
    received = PurchaseOrderLine.objects.filter(order=OuterRef("pk"), received_quantity__gt=0)
    qs = (
        documents.visible(user, SourceType.PURCHASE_ORDER)
        .filter(status__in=documents.INVOICEABLE_STATUSES, currency=BASE_CURRENCY)
        .filter(Exists(received))
    )
    if supplier_id is not None:
        qs = qs.filter(supplier_id=supplier_id)
    qs = _search_orders(qs, "supplier", search)
    orders: list[PurchaseOrder] = list(qs.select_related("supplier", "owner").order_by("created_at", "id"))
    return _not_fully_invoiced(SourceType.PURCHASE_ORDER, orders)


def open_documents(user: Any, direction: str, party_id: int) -> list[OpenDocument]:
    """The party's orders an invoice of this direction may still cover (the record form's grid):
    approved or later, in CNY, not invoiced in full, in the user's scope, oldest first."""
    source_type = SOURCE_TYPE[direction]
    party = documents.PARTY_FIELD[source_type]
    qs = documents.visible(user, source_type).filter(
        status__in=documents.INVOICEABLE_STATUSES, **{f"{party}_id": party_id}
    )
    if source_type == SourceType.PURCHASE_ORDER:
        qs = qs.filter(currency=BASE_CURRENCY)
    date_field = "order_date" if source_type == SourceType.SALES_ORDER else "created_at"
    return _not_fully_invoiced(source_type, list(qs.order_by(date_field, "id")))


def document_ids(source_type: str, numbers: Iterable[str]) -> dict[str, int]:
    """The ids of the orders of this type with these numbers (unknown numbers are left out)."""
    model = documents.model_of(source_type)
    return dict(model._default_manager.filter(number__in=list(numbers)).values_list("number", "pk"))
