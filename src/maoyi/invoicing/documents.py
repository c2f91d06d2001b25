"""The documents invoices cover, as invoicing reads them: sales orders (销项) and purchase orders
(进项). For each: its number, party, status, currency, and the amount that may be invoiced — the
order's amount (tax included) less the goods that came back on completed returns (a sales return
received, a purchase return shipped), since nobody invoices goods that were returned.

Invoicing sits above sales and purchasing (pyproject's import contract), so it reads their models
directly; they never import it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet

from maoyi.core.documents import Status
from maoyi.core.money import BASE_CURRENCY, quantize_money
from maoyi.invoicing.models import SourceType
from maoyi.org import scope
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseReturnLine
from maoyi.sales.models import SalesOrder, SalesOrderLine, SalesReturnLine

ZERO = Decimal("0")
# Approved or later: the deal stands, so it may be invoiced.
INVOICEABLE_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)
MODELS: dict[str, type[SalesOrder] | type[PurchaseOrder]] = {
    SourceType.SALES_ORDER: SalesOrder,
    SourceType.PURCHASE_ORDER: PurchaseOrder,
}
PARTY_FIELD: dict[str, str] = {SourceType.SALES_ORDER: "customer", SourceType.PURCHASE_ORDER: "supplier"}


@dataclass(frozen=True)
class SourceDocument:
    type: str
    id: int
    number: str
    party_id: int
    status: str
    currency: str
    ordered: Decimal  # the order's amount, tax included, in its currency
    returned: Decimal  # what completed returns took back
    order: Any  # the SalesOrder or PurchaseOrder

    @property
    def amount(self) -> Decimal:
        """What may be invoiced: ordered less returned."""
        return self.ordered - self.returned

    @property
    def invoiceable(self) -> bool:
        return self.status in INVOICEABLE_STATUSES

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status in Status.values else self.status


def model_of(source_type: str) -> type[SalesOrder] | type[PurchaseOrder]:
    return MODELS[source_type]


def _ordered(source_type: str, ids: list[int]) -> dict[int, Decimal]:
    """Σ line amounts per order (as `SalesOrder.amount` / `PurchaseOrder.amount` compute them)."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lines: Iterable[Any]
    if source_type == SourceType.SALES_ORDER:
        lines = SalesOrderLine.objects.filter(order_id__in=ids).only(
            "order_id", "quantity", "unit_price", "discount_rate"
        )
    else:
        lines = PurchaseOrderLine.objects.filter(order_id__in=ids).only("order_id", "quantity", "unit_price")
    for line in lines:
        totals[line.order_id] += line.amount
    return {pk: quantize_money(total) for pk, total in totals.items()}


def _returned(source_type: str, ids: list[int]) -> dict[int, Decimal]:
    """What completed returns took back per order, tax included, at the order's prices."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if source_type == SourceType.SALES_ORDER:
        for order_id, amount in SalesReturnLine.objects.filter(
            sales_return__order_id__in=ids, sales_return__status=Status.DONE
        ).values_list("sales_return__order_id", "amount"):
            totals[order_id] += amount
    else:
        for order_id, quantity, price in PurchaseReturnLine.objects.filter(
            document__order_id__in=ids, document__status=Status.DONE
        ).values_list("document__order_id", "quantity", "order_line__unit_price"):
            totals[order_id] += quantize_money(quantity * price)
    return dict(totals)


def describe(source_type: str, orders: Iterable[Any]) -> dict[int, SourceDocument]:
    """The orders (already fetched) as invoicing sees them, by id."""
    rows = list(orders)
    ids = [o.pk for o in rows]
    ordered, returned = _ordered(source_type, ids), _returned(source_type, ids)
    party_field = f"{PARTY_FIELD[source_type]}_id"
    return {
        o.pk: SourceDocument(
            type=source_type,
            id=o.pk,
            number=o.number,
            party_id=getattr(o, party_field),
            status=o.status,
            currency=getattr(o, "currency", BASE_CURRENCY),
            ordered=ordered.get(o.pk, ZERO),
            returned=returned.get(o.pk, ZERO),
            order=o,
        )
        for o in rows
    }


def load(source_type: str, ids: Iterable[int], *, lock: bool = False) -> dict[int, SourceDocument]:
    """The orders with these ids; `lock` takes their row locks, in id order (the order every
    invoice takes them in, so two clerks invoicing the same orders queue instead of deadlocking)."""
    wanted = sorted(set(ids))
    qs: QuerySet[Any] = model_of(source_type)._default_manager.filter(pk__in=wanted).order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return describe(source_type, list(qs))


def visible(user: Any, source_type: str) -> QuerySet[Any]:
    """The orders of this type the user may see."""
    model: type[models.Model] = model_of(source_type)
    return scope.visible(user, model._default_manager.all())
