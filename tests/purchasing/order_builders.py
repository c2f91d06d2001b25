"""Helpers of the purchase order, goods receipt and purchase return tests: a shop (the purchasing
department's manager, a warehouse keeper, suppliers in CNY and USD, a lot-tracked and a plain
product, a warehouse), builders that go through the services, and a snapshot of every row a
refused call could have touched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Product
from maoyi.core.models import DocumentSequence
from maoyi.finance import services as finance
from maoyi.finance.models import Allocation, ExchangeRate, Installment, Obligation, Settlement
from maoyi.inventory.models import Lot, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.org.models import Employee
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderInstallment,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
    Supplier,
    SupplierQuote,
)
from maoyi.purchasing.parties import as_party
from maoyi.purchasing.services import orders, receipts, returns
from maoyi.purchasing.services import suppliers as supplier_services
from tests.conftest import Company
from tests.factories import make_employee


@dataclass
class Shop:
    company: Company
    manager: Employee  # manager of the purchasing department: approves the purchaser's documents
    keeper: Employee  # logistics: receives goods and ships returns
    supplier: Supplier  # CNY, 30 days' terms
    usd_supplier: Supplier  # USD, 60 days' terms
    product: Product  # lot-tracked, purchase price 10.00
    plain: Product  # no lot tracking, no purchase price
    warehouse: Warehouse

    @property
    def purchaser(self) -> Employee:
        return self.company.purchaser


def build_shop(company: Company) -> Shop:
    manager = make_employee(company.purchasing, "manager", username="mgr_p", name="高峰", is_manager=True)
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    supplier = supplier_services.create_supplier(
        actor=company.purchaser,
        name="江西华康医疗器械有限公司",
        buyer=company.purchaser,
        payment_terms_days=30,
    )
    usd_supplier = supplier_services.create_supplier(
        actor=company.purchaser,
        name="Medivena Medical GmbH",
        currency="USD",
        buyer=company.purchaser,
        payment_terms_days=60,
    )
    product = Product.objects.create(
        code="ZS001", name="一次性使用无菌注射器", unit="支", lot_tracked=True, purchase_price=D("10.00")
    )
    plain = Product.objects.create(code="PJ001", name="包装箱", unit="个", lot_tracked=False)
    warehouse = Warehouse.objects.create(code="WH01", name="北京主仓")
    return Shop(company, manager, keeper, supplier, usd_supplier, product, plain, warehouse)


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def quote(
    shop: Shop,
    price: str,
    *,
    supplier: Supplier | None = None,
    product: Product | None = None,
    currency: str = "CNY",
    min_quantity: str = "0",
    valid: tuple[int, int] = (-10, 50),
    is_active: bool = True,
) -> SupplierQuote:
    return SupplierQuote.objects.create(
        supplier=supplier or shop.supplier,
        product=product or shop.product,
        unit_price=D(price),
        currency=currency,
        min_quantity=D(min_quantity),
        valid_from=days(valid[0]),
        valid_until=days(valid[1]),
        is_active=is_active,
        created_by=shop.purchaser,
    )


def line(product: Product, quantity: str, price: str | None = None, tax: str = "13") -> orders.OrderLineInput:
    return orders.OrderLineInput(
        product_id=product.pk,
        quantity=D(quantity),
        unit_price=D(price) if price is not None else None,
        tax_rate=D(tax),
    )


def draft(
    shop: Shop,
    *lines: orders.OrderLineInput,
    supplier: Supplier | None = None,
    actor: Employee | None = None,
    **fields: Any,
) -> PurchaseOrder:
    fields.setdefault("expected_date", days(7))
    return orders.create_order(
        actor=actor or shop.purchaser,
        supplier=supplier or shop.supplier,
        warehouse=fields.pop("warehouse", shop.warehouse),
        lines=list(lines) or [line(shop.product, "100", "11.30")],
        **fields,
    )


def approved(shop: Shop, *lines: orders.OrderLineInput, **fields: Any) -> PurchaseOrder:
    order = draft(shop, *lines, **fields)
    orders.submit_order(order, actor=order.owner)
    orders.approve_order(order, actor=shop.manager)
    order.refresh_from_db()
    return order


def receive(
    shop: Shop,
    order: PurchaseOrder,
    quantity: str,
    lot: str = "L1",
    *,
    order_line: PurchaseOrderLine | None = None,
) -> GoodsReceipt:
    target = order_line or order.lines.order_by("id").first()
    assert target is not None
    receipt = receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[receipts.ReceiptLineInput(target.pk, D(quantity), lot, days(-30), days(700))],
    )
    order.refresh_from_db()
    return receipt


def approved_return(
    shop: Shop, order: PurchaseOrder, quantity: str, lot: str = "L1", reason: str = "外包装破损"
) -> PurchaseReturn:
    doc = returns.create_return(
        actor=shop.purchaser,
        order=order,
        lines=[return_line(order, quantity, lot)],
        reason=reason,
    )
    returns.submit_return(doc, actor=shop.purchaser)
    approvals.approve(doc, actor=shop.manager)
    doc.refresh_from_db()
    return doc


def return_line(order: PurchaseOrder, quantity: str, lot: str = "L1") -> returns.ReturnLineInput:
    target = order.lines.order_by("id").first()
    assert target is not None
    found = Lot.objects.get(product_id=target.product_id, lot_number=lot)
    return returns.ReturnLineInput(target.pk, found.pk, D(quantity))


def pay(
    shop: Shop, obligation: Obligation, amount: str, installment: Installment | None = None
) -> Settlement:
    supplier = Supplier.objects.get(pk=obligation.party_id)
    return finance.record_settlement(
        direction="payable",
        actor=shop.company.finance_clerk,
        party=as_party(supplier),
        amount=D(amount),
        occurred_on=today(),
        currency=obligation.currency,
        exchange_rate=obligation.exchange_rate,
        allocations=[
            finance.AllocationInput(obligation.pk, D(amount), installment.pk if installment else None)
        ],
    )


def payable_of(order: PurchaseOrder) -> Obligation:
    return Obligation.objects.get(direction="payable", source_type="purchase_order", source_id=order.pk)


def on_hand(shop: Shop, product: Product | None = None) -> D:
    level = StockLevel.objects.filter(product=product or shop.product, warehouse=shop.warehouse).first()
    return level.on_hand if level else D("0")


WATCHED: tuple[Any, ...] = (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderInstallment,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseReturn,
    PurchaseReturnLine,
    Obligation,
    Installment,
    Settlement,
    Allocation,
    ExchangeRate,
    Lot,
    StockMove,
    StockBalance,
    StockLevel,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    DocumentSequence,
)


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves every purchasing, stock and money row as it was."""
    before = db_state()
    yield
    assert db_state() == before
