"""The sales seed flow end to end, through the services, as the people who do each step: customer
→ contact → follow-up → quote (sent, accepted) → contract (approved) → order under the contract →
approval (stock reserved, receivable in two installments) → two shipments from two lots →
delivery → the receipt in two installments → a partial return (approved, received back) → the
refund paid. At the end stock, receivables, payables and gross profit match figures computed by
hand, and both ledgers' invariants hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.core.documents import Status
from maoyi.crm import services as customers
from maoyi.crm.models import CustomerKind, CustomerLevel, QuoteStatus
from maoyi.crm.parties import as_party
from maoyi.crm.services import activities, contacts, contracts, quotes
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Payable, Receivable
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Lot, StockBalance, StockLevel
from maoyi.sales import profit, shipping_selectors
from maoyi.sales.models import PriceSource
from maoyi.sales.services import orders, returns, shipments
from tests.sales.builders import Shop, build_shop, put_in

pytestmark = pytest.mark.django_db


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _on_lot(shop: Shop, number: str) -> D:
    return StockBalance.objects.get(lot__lot_number=number, warehouse=shop.warehouse).on_hand


def test_the_whole_sales_flow_matches_hand_computed_figures(company) -> None:
    shop = build_shop(company)
    rep, manager, keeper, clerk = company.rep_a1, company.manager_a, shop.keeper, company.finance_clerk
    # 1,000 syringes in two lots: 600 at 8.00 and 400 at 9.00 (moving average 8.40).
    put_in(shop, "600", "8.00", "L1", expiry=_days(300))
    put_in(shop, "400", "9.00", "L2", expiry=_days(700))

    # CRM: the customer, its contact, a visit, a quote the customer accepts, an approved contract.
    customer = customers.create_customer(
        actor=rep, name="北京朝阳医院", kind=CustomerKind.END_CUSTOMER, level=CustomerLevel.A
    )
    contact = contacts.add_contact(
        actor=rep, customer=customer, name="王主任", title="设备科主任", mobile="13800138000", is_primary=True
    )
    activities.log_activity(
        actor=rep, customer=customer, kind="visit", summary="拜访设备科，确认注射器年度用量", contact=contact
    )
    quote = quotes.create_quote(
        actor=rep,
        customer=customer,
        valid_until=_days(30),
        lines=[quotes.QuoteLineInput(shop.product.pk, D("500"), D("11.30"))],
    )
    quote = quotes.mark_quote(quote, actor=rep, status=QuoteStatus.SENT)
    quote = quotes.mark_quote(quote, actor=rep, status=QuoteStatus.ACCEPTED)
    contract = contracts.create_contract_from_quote(
        quote, actor=rep, signed_on=_days(0), start_date=_days(0), end_date=_days(365)
    )
    contracts.submit_contract(contract, actor=rep)
    approvals.approve(contract, actor=manager)
    contract.refresh_from_db()
    assert contract.status == Status.APPROVED

    # The order under the contract: the price comes from it; two installments of 2,825.00.
    order = orders.create_order(
        actor=rep,
        customer=customer,
        warehouse=shop.warehouse,
        contract=contract,
        lines=[orders.OrderLineInput(shop.product.pk, D("500"))],
        installments=[
            finance.InstallmentInput(_days(30), D("2825.00")),
            finance.InstallmentInput(_days(60), D("2825.00")),
        ],
    )
    line = order.lines.get()
    assert (line.unit_price, line.price_source, order.amount) == (
        D("11.30"),
        PriceSource.CONTRACT,
        D("5650.00"),
    )
    assert (line.tax_amount, line.amount_ex_tax) == (D("650.00"), D("5000.00"))
    orders.submit_order(order, actor=rep)
    orders.approve_order(order, actor=manager, comment="同意")
    order.refresh_from_db()
    receivable = Receivable.objects.get(source_type="sales_order", source_id=order.pk)
    level = StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse)
    assert (order.status, receivable.amount, receivable.installments.count()) == (
        Status.APPROVED,
        D("5650.00"),
        2,
    )
    assert (level.on_hand, level.reserved) == (D("1000"), D("500"))
    assert [o.pk for o in shipping_selectors.to_ship(keeper.user)] == [order.pk]

    # Two shipments: 300 first expiry first out (L1), then 200 from the chosen lot L2.
    first = shipments.ship_order(
        order,
        actor=keeper,
        lines=[shipments.ShipmentLineInput(line.pk, D("300"))],
        carrier="顺丰速运",
        tracking_number="SF1000000001",
    )
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    l2 = Lot.objects.get(lot_number="L2")
    second = shipments.ship_order(
        order,
        actor=keeper,
        lines=[shipments.ShipmentLineInput(line.pk, D("200"), lot_id=l2.pk)],
        carrier="顺丰速运",
        tracking_number="SF1000000002",
    )
    for shipment in (first, second):
        shipments.deliver_shipment(shipment, actor=keeper, signed_by="王主任")
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == Status.DONE
    assert [(sl.lot.lot_number, sl.quantity) for sl in first.lines.all()] == [("L1", D("300"))]
    # Moving average 8.40: 300 cost 2,520.00 and 200 cost 1,680.00.
    assert (line.shipped_quantity, line.shipped_cost) == (D("500"), D("4200.00"))
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.value) == (D("500"), D("0"), D("4200.00"))
    assert (_on_lot(shop, "L1"), _on_lot(shop, "L2")) == (D("300"), D("200"))

    # The customer pays in two installments.
    party = as_party(customer)
    for amount in ("2825.00", "2825.00"):
        finance.record_settlement(
            direction="receivable",
            actor=clerk,
            party=party,
            amount=D(amount),
            occurred_on=_days(0),
            allocations=[finance.AllocationInput(receivable.pk, D(amount))],
        )
    receivable.refresh_from_db()
    assert (receivable.allocated, receivable.outstanding, receivable.status) == (
        D("5650.00"),
        D("0.00"),
        "settled",
    )

    # 50 of the second shipment come back (damaged packaging): approved, received back at 8.40.
    shipped_line = second.lines.get()
    back = returns.create_return(
        order, actor=rep, lines=[returns.ReturnLineInput(shipped_line.pk, D("50"))], reason="外包装破损"
    )
    returns.submit_return(back, actor=rep)
    approvals.approve(back, actor=manager)
    returns.receive_return(back, actor=keeper)
    back.refresh_from_db()
    line.refresh_from_db()
    refund = Payable.objects.get(source_type="sales_return", source_id=back.pk)
    assert (back.status, line.returned_quantity, line.returned_cost, refund.amount) == (
        Status.DONE,
        D("50"),
        D("420.00"),
        D("565.00"),  # 50 × 11.30
    )
    level.refresh_from_db()
    assert (level.on_hand, level.value) == (D("550"), D("4620.00"))  # 550 × 8.40
    assert _on_lot(shop, "L2") == D("250")

    # Finance pays the refund back.
    finance.record_settlement(
        direction="payable",
        actor=clerk,
        party=party,
        amount=D("565.00"),
        occurred_on=_days(0),
        allocations=[finance.AllocationInput(refund.pk, D("565.00"))],
    )
    refund.refresh_from_db()
    assert (refund.outstanding, refund.status) == (D("0.00"), "settled")

    # Gross profit: revenue without VAT 450 × 10.00 = 4,500.00, cost 4,200.00 − 420.00 = 3,780.00.
    figures = profit.order_profit(order)
    assert (figures.revenue, figures.cost, figures.profit, figures.margin) == (
        D("4500.00"),
        D("3780.00"),
        D("720.00"),
        D("16.00"),
    )
    (by_customer,) = [g for g in profit.profit_by_customer(manager.user) if g.label == "北京朝阳医院"]
    assert by_customer.profit.profit == D("720.00")
    assert finance_selectors.ledger_mismatches() == []
    assert stock.ledger_mismatches() == []
