"""Invoicing test helpers: a desk (the sales shop's customers and products, a CNY and a USD
supplier), sales and purchase orders made directly in the state their own services leave them
(invoicing only reads them), a shortcut to record an invoice, and a snapshot of every row a
refused call could have touched."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from maoyi.approvals import services as approvals
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.crm.models import Customer
from maoyi.crm.parties import as_party as customer_party
from maoyi.invoicing import services
from maoyi.invoicing.models import Invoice, InvoiceAllocation
from maoyi.org.models import Employee
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from maoyi.purchasing.parties import as_party as supplier_party
from maoyi.purchasing.services import suppliers as supplier_services
from maoyi.sales.models import SalesOrder
from tests.conftest import Company
from tests.sales.builders import Line, Shop, build_shop, draft_order, today

_numbers = itertools.count(10000001)


@dataclass
class Desk:
    shop: Shop
    supplier: Supplier  # CNY, the purchaser's
    usd_supplier: Supplier

    @property
    def company(self) -> Company:
        return self.shop.company

    @property
    def clerk(self) -> Employee:
        return self.shop.company.finance_clerk

    @property
    def customer(self) -> Customer:  # rep_a1's (team A)
        return self.shop.customer

    @property
    def other_customer(self) -> Customer:  # rep_b1's (team B)
        return self.shop.other_customer


def build_desk(company: Company) -> Desk:
    shop = build_shop(company)
    supplier = supplier_services.create_supplier(
        actor=None, name="江西华康医疗器械有限公司", buyer=company.purchaser
    )
    usd = supplier_services.create_supplier(
        actor=None, name="Medivena Medical GmbH", currency="USD", buyer=company.purchaser
    )
    return Desk(shop, supplier, usd)


def sales_order(
    desk: Desk, price: str = "113.00", quantity: str = "10", *, status: str = Status.APPROVED, **kw: Any
) -> SalesOrder:
    """A sales order of `quantity` × `price` (default 1130.00), in `status`."""
    return draft_order(desk.shop, Line(desk.shop.product, quantity, price), status=status, **kw)


def purchase_order(
    desk: Desk,
    price: str = "56.50",
    quantity: str = "20",
    *,
    received: str | None = None,
    status: str = Status.IN_PROGRESS,
    supplier: Supplier | None = None,
) -> PurchaseOrder:
    """A purchase order of `quantity` × `price` (default 1130.00) with `received` of it in."""
    buyer = desk.company.purchaser
    supplier = supplier or desk.supplier
    order = PurchaseOrder(
        owner=buyer,
        department=buyer.department,
        created_by=buyer.user,
        supplier=supplier,
        warehouse=desk.shop.warehouse,
        currency=supplier.currency,
        exchange_rate=D("7.1") if supplier.currency != "CNY" else D("1"),
        expected_date=today(),
        status=status,
    )
    approvals.assign_number(order)
    order.save()
    PurchaseOrderLine.objects.create(
        order=order,
        product=desk.shop.product,
        quantity=D(quantity),
        unit_price=D(price),
        received_quantity=D(received if received is not None else quantity),
    )
    return order


def next_number() -> str:
    return str(next(_numbers))


def issue(
    desk: Desk,
    allocations: Sequence[tuple[Any, str]],
    *,
    amount: str | None = None,
    tax: str | None = None,
    number: str | None = None,
    customer: Customer | None = None,
    kind: str = "special",
    actor: Employee | None = None,
) -> Invoice:
    """An issued invoice covering the orders; amount and tax default to a 13% split of the total."""
    total = sum((D(a) for _d, a in allocations), D("0"))
    tax_amount = D(tax) if tax is not None else (total * D("13") / D("113")).quantize(D("0.01"))
    return services.record_invoice(
        actor=actor or desk.clerk,
        direction="issued",
        kind=kind,
        number=number or next_number(),
        issued_on=today(),
        party=customer_party(customer or desk.customer),
        amount=D(amount) if amount is not None else total - tax_amount,
        tax_amount=tax_amount,
        allocations=[(doc, D(a)) for doc, a in allocations],
    )


def receive_invoice(
    desk: Desk, allocations: Sequence[tuple[Any, str]], *, number: str | None = None, kind: str = "special"
) -> Invoice:
    total = sum((D(a) for _d, a in allocations), D("0"))
    tax_amount = (total * D("13") / D("113")).quantize(D("0.01"))
    return services.record_invoice(
        actor=desk.clerk,
        direction="received",
        kind=kind,
        number=number or next_number(),
        issued_on=today(),
        party=supplier_party(desk.supplier),
        amount=total - tax_amount,
        tax_amount=tax_amount,
        allocations=[(doc, D(a)) for doc, a in allocations],
    )


WATCHED: tuple[Any, ...] = (Invoice, InvoiceAllocation, AuditEntry, SalesOrder, PurchaseOrder)


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves invoices, orders and the audit trail as they were."""
    before = db_state()
    yield
    assert db_state() == before
