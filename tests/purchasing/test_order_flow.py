"""The purchasing seed flow end to end, through the services: supplier → quote → product →
purchase order → approval → two partial receipts with lots → payment in two installments → a
purchase return → the supplier's refund. At the end stock, payables and receivables match figures
computed by hand. Then each refusal on the way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.catalog.models import Product
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Payable, Receivable
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Lot, StockLevel, Warehouse
from maoyi.org.models import Employee
from maoyi.purchasing.models import PurchaseOrder, Supplier, SupplierQuote
from maoyi.purchasing.parties import as_party
from maoyi.purchasing.services import orders, receipts, returns
from maoyi.purchasing.services import suppliers as supplier_services
from tests.conftest import Company
from tests.factories import make_employee

pytestmark = pytest.mark.django_db


@dataclass
class Shop:
    company: Company
    buyer_manager: Employee
    keeper: Employee
    supplier: Supplier
    product: Product
    warehouse: Warehouse


@pytest.fixture
def shop(company: Company) -> Shop:
    buyer_manager = make_employee(
        company.purchasing, "manager", username="mgr_p", name="高经理", is_manager=True
    )
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆仓管")
    supplier = supplier_services.create_supplier(
        actor=company.purchaser,
        name="江西华康医疗器械有限公司",
        buyer=company.purchaser,
        payment_terms_days=30,
    )
    product = Product.objects.create(
        code="ZS001", name="一次性使用无菌注射器", unit="支", lot_tracked=True, purchase_price=D("10.00")
    )
    warehouse = Warehouse.objects.create(code="WH01", name="北京主仓")
    return Shop(company, buyer_manager, keeper, supplier, product, warehouse)


def level(shop: Shop) -> StockLevel:
    return StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse)


def test_the_whole_purchasing_flow_matches_hand_computed_figures(shop: Shop) -> None:
    c = shop.company
    today = timezone.localdate()
    SupplierQuote.objects.create(
        supplier=shop.supplier,
        product=shop.product,
        unit_price=D("11.30"),
        currency="CNY",
        valid_from=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=50),
        created_by=c.purchaser,
    )
    order = orders.create_order(
        actor=c.purchaser,
        supplier=shop.supplier,
        warehouse=shop.warehouse,
        expected_date=today + dt.timedelta(days=7),
        lines=[orders.OrderLineInput(product_id=shop.product.pk, quantity=D("1000"))],
        installments=[
            finance.InstallmentInput(today + dt.timedelta(days=30), D("5650.00")),
            finance.InstallmentInput(today + dt.timedelta(days=60), D("5650.00")),
        ],
    )
    line = order.lines.get()
    assert (line.unit_price, line.quote_id is not None, order.amount) == (D("11.30"), True, D("11300.00"))

    orders.submit_order(order, actor=c.purchaser)
    orders.approve_order(order, actor=shop.buyer_manager, comment="同意")
    order.refresh_from_db()
    payable = Payable.objects.get(source_type="purchase_order", source_id=order.pk)
    assert (order.status, payable.amount, payable.installments.count()) == (Status.APPROVED, D("11300.00"), 2)
    assert stock.availability(shop.product)["total"].incoming == D("1000")

    first = receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[receipts.ReceiptLineInput(line.pk, D("600"), "L2601", today, today + dt.timedelta(days=700))],
    )
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[receipts.ReceiptLineInput(line.pk, D("400"), "L2602", today, today + dt.timedelta(days=800))],
    )
    order.refresh_from_db()
    # 11.30 with 13% VAT is 10.00 a unit without tax: 1,000 units are worth 10,000.00.
    assert order.status == Status.DONE and first.number.startswith("RK")
    assert (level(shop).on_hand, level(shop).value) == (D("1000"), D("10000.00"))
    assert stock.availability(shop.product)["total"].incoming == D("0")

    party = as_party(shop.supplier)
    for amount in ("5650.00", "5650.00"):
        finance.record_settlement(
            direction="payable",
            actor=c.finance_clerk,
            party=party,
            amount=D(amount),
            occurred_on=today,
            allocations=[finance.AllocationInput(payable.pk, D(amount))],
        )
    payable.refresh_from_db()
    assert (payable.outstanding, payable.status) == (D("0.00"), "settled")

    lot = Lot.objects.get(lot_number="L2602")
    back = returns.create_return(
        actor=c.purchaser,
        order=order,
        lines=[returns.ReturnLineInput(line.pk, lot.pk, D("100"))],
        reason="外包装破损",
    )
    returns.submit_return(back, actor=c.purchaser)
    from maoyi.approvals import services as approvals

    approvals.approve(back, actor=shop.buyer_manager)
    returns.ship_return(back, actor=shop.keeper, carrier="顺丰", tracking_number="SF100200300")
    back.refresh_from_db()
    line.refresh_from_db()
    refund = Receivable.objects.get(source_type="purchase_return", source_id=back.pk)
    assert (back.status, line.returned_quantity, refund.amount) == (Status.DONE, D("100"), D("1130.00"))
    assert (level(shop).on_hand, level(shop).value) == (D("900"), D("9000.00"))

    finance.record_settlement(
        direction="receivable",
        actor=c.finance_clerk,
        party=party,
        amount=D("1130.00"),
        occurred_on=today,
        allocations=[finance.AllocationInput(refund.pk, D("1130.00"))],
    )
    refund.refresh_from_db()
    assert (refund.outstanding, refund.status) == (D("0.00"), "settled")
    assert finance_selectors.ledger_mismatches() == []
    assert stock.ledger_mismatches() == []


@pytest.fixture
def received(shop: Shop) -> tuple[PurchaseOrder, Payable]:
    c = shop.company
    today = timezone.localdate()
    order = orders.create_order(
        actor=c.purchaser,
        supplier=shop.supplier,
        warehouse=shop.warehouse,
        expected_date=today,
        lines=[orders.OrderLineInput(product_id=shop.product.pk, quantity=D("100"), unit_price=D("11.30"))],
    )
    orders.submit_order(order, actor=c.purchaser)
    orders.approve_order(order, actor=shop.buyer_manager)
    line = order.lines.get()
    receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[receipts.ReceiptLineInput(line.pk, D("60"), "L1", expiry_date=today + dt.timedelta(days=300))],
    )
    order.refresh_from_db()
    return order, Payable.objects.get(source_id=order.pk, source_type="purchase_order")


def test_receiving_more_than_is_still_due_is_refused(
    shop: Shop, received: tuple[PurchaseOrder, Payable]
) -> None:
    order, _payable = received
    line = order.lines.get()
    with pytest.raises(DomainError) as refused:
        receipts.receive_goods(
            order, actor=shop.keeper, lines=[receipts.ReceiptLineInput(line.pk, D("41"), "L1")]
        )
    assert refused.value.code == "over_receipt"
    assert refused.value.message == "第 1 行：ZS001 本次入库 41，超过未到货数量 40。"
    line.refresh_from_db()
    assert line.received_quantity == D("60") and level(shop).on_hand == D("60")


def test_unapprove_after_a_receipt_is_refused(shop: Shop, received: tuple[PurchaseOrder, Payable]) -> None:
    order, payable = received
    with pytest.raises(DomainError) as refused:
        orders.unapprove_order(order, actor=shop.buyer_manager, reason="价格有误")
    assert refused.value.code == "has_downstream"
    payable.refresh_from_db()
    assert payable.status == "open"


def test_unapprove_before_any_receipt_reverses_the_payable(shop: Shop) -> None:
    c = shop.company
    order = orders.create_order(
        actor=c.purchaser,
        supplier=shop.supplier,
        warehouse=shop.warehouse,
        expected_date=timezone.localdate(),
        lines=[orders.OrderLineInput(product_id=shop.product.pk, quantity=D("10"), unit_price=D("2.00"))],
    )
    orders.submit_order(order, actor=c.purchaser)
    orders.approve_order(order, actor=shop.buyer_manager)
    orders.unapprove_order(order, actor=shop.buyer_manager, reason="数量要改")
    order.refresh_from_db()
    payable = Payable.objects.get(source_id=order.pk, source_type="purchase_order")
    assert (order.status, payable.status) == (Status.DRAFT, "reversed")
    assert stock.availability(shop.product)["total"].incoming == D("0")


def test_returning_more_than_received_is_refused(shop: Shop, received: tuple[PurchaseOrder, Payable]) -> None:
    order, _payable = received
    line = order.lines.get()
    lot = Lot.objects.get(lot_number="L1")
    with pytest.raises(DomainError) as refused:
        returns.create_return(
            actor=shop.company.purchaser,
            order=order,
            lines=[returns.ReturnLineInput(line.pk, lot.pk, D("61"))],
            reason="质量问题",
        )
    assert refused.value.code == "over_return"
    assert refused.value.message == "第 1 行：ZS001 该批次可退 60，本次退货 61。"


def test_shipping_a_return_whose_lot_is_no_longer_in_stock_is_refused(
    shop: Shop, received: tuple[PurchaseOrder, Payable]
) -> None:
    from maoyi.approvals import services as approvals
    from maoyi.inventory.services import ledger

    order, _payable = received
    line = order.lines.get()
    lot = Lot.objects.get(lot_number="L1")
    back = returns.create_return(
        actor=shop.company.purchaser,
        order=order,
        lines=[returns.ReturnLineInput(line.pk, lot.pk, D("50"))],
        reason="质量问题",
    )
    returns.submit_return(back, actor=shop.company.purchaser)
    approvals.approve(back, actor=shop.buyer_manager)
    ledger.issue(
        [ledger.Outgoing(shop.product.pk, shop.warehouse.pk, D("20"), lot_id=lot.pk)],
        source=order.ref,
        actor=shop.keeper,
    )
    with pytest.raises(DomainError) as refused:
        returns.ship_return(back, actor=shop.keeper)
    assert refused.value.code == "insufficient_stock"
    back.refresh_from_db()
    assert back.status == Status.APPROVED and level(shop).on_hand == D("40")
    assert not Receivable.objects.filter(source_type="purchase_return").exists()


def test_paying_more_than_is_outstanding_is_refused(
    shop: Shop, received: tuple[PurchaseOrder, Payable]
) -> None:
    _order, payable = received
    with pytest.raises(DomainError) as refused:
        finance.record_settlement(
            direction="payable",
            actor=shop.company.finance_clerk,
            party=as_party(shop.supplier),
            amount=D("1200.00"),
            occurred_on=timezone.localdate(),
            allocations=[finance.AllocationInput(payable.pk, D("1200.00"))],
        )
    assert refused.value.code == "over_allocation"
    payable.refresh_from_db()
    assert payable.allocated == D("0")
