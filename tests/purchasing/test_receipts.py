"""Goods receipts (入库) against approved purchase orders: lots and their dates, the unit cost in
CNY without VAT, partial and full receipts moving the order's status, every refusal (with its
code and message, leaving nothing behind), and the incoming quantities inventory shows."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import services as finance
from maoyi.inventory import selectors as stock
from maoyi.inventory.incoming import Incoming
from maoyi.inventory.models import Lot, MoveKind, StockLevel, StockMove, Warehouse
from maoyi.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine
from maoyi.purchasing.order_selectors import incoming_quantities
from maoyi.purchasing.services import orders, receipts
from maoyi.purchasing.services.receipts import ReceiptLineInput
from tests.conftest import Company
from tests.purchasing.order_builders import (
    Shop,
    approved,
    build_shop,
    days,
    draft,
    line,
    on_hand,
    receive,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    return build_shop(company)


def first_line(order: PurchaseOrder) -> PurchaseOrderLine:
    found = order.lines.order_by("id").first()
    assert found is not None
    return found


def refused_receipt(shop: Shop, order: PurchaseOrder, *items: ReceiptLineInput, **kw: Any) -> DomainError:
    with unchanged(), pytest.raises(DomainError) as refused:
        receipts.receive_goods(order, actor=shop.keeper, lines=list(items), **kw)
    return refused.value


# Lots ------------------------------------------------------------------------------------------------


def test_a_lot_tracked_product_needs_a_lot_number(shop: Shop) -> None:
    order = approved(shop)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "  ", days(-10), days(700))

    refusal = refused_receipt(shop, order, item)

    assert (refusal.code, refusal.field, refusal.message) == (
        "lot_required",
        "lines.0.lot_number",
        "第 1 行：商品 ZS001 实行批次管理，请填写批号。",
    )


def test_a_lot_tracked_product_needs_an_expiry_date(shop: Shop) -> None:
    order = approved(shop)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-10), None)

    refusal = refused_receipt(shop, order, item)

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "lines.0.expiry_date",
        "第 1 行：请填写有效期。",
    )


def test_an_expiry_before_the_production_date_is_refused(shop: Shop) -> None:
    order = approved(shop)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-10), days(-11))

    refusal = refused_receipt(shop, order, item)

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "lines.0.expiry_date",
        "第 1 行：有效期不能早于生产日期。",
    )


def test_a_lot_number_already_registered_with_another_expiry_is_refused(shop: Shop) -> None:
    order = approved(shop)
    receive(shop, order, "10", "L1")  # expires days(700)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-30), days(500))

    refusal = refused_receipt(shop, order, item)

    assert refusal.code == "invalid"
    assert refusal.message == f"批号 L1 已登记的有效期为 {days(700).isoformat()}，与本次填写的不一致。"


def test_a_product_without_lot_tracking_ignores_the_lot_fields(shop: Shop) -> None:
    order = approved(shop, line(shop.plain, "20", "2.26"))

    receipt = receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[ReceiptLineInput(first_line(order).pk, D("20"), "X-99", days(-5), days(300))],
    )

    received = receipt.lines.get()
    assert (received.lot.lot_number, received.lot.production_date, received.lot.expiry_date) == (
        "",
        None,
        None,
    )
    assert not Lot.objects.filter(lot_number="X-99").exists()
    assert on_hand(shop, shop.plain) == D("20")


# Cost --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "tax", "cost", "value"),
    [
        ("11.30", "13", "10.000000", "1000.00"),  # 11.30 / 1.13
        ("1.00", "13", "0.884956", "88.50"),  # 1 / 1.13 = 0.8849557…; 100 × 0.884956 = 88.4956
        ("5.00", "0", "5.000000", "500.00"),
        ("2.12", "6", "2.000000", "200.00"),
    ],
)
def test_stock_is_received_at_the_price_without_vat(
    shop: Shop, price: str, tax: str, cost: str, value: str
) -> None:
    order = approved(shop, line(shop.product, "100", price, tax))

    receipt = receive(shop, order, "100")

    assert receipt.lines.get().unit_cost == D(cost)
    move = StockMove.objects.get(source_type="goods_receipt", source_id=receipt.pk)
    assert (move.kind, move.quantity, move.value) == (MoveKind.RECEIPT, D("100"), D(value))


def test_a_usd_order_is_received_in_cny_at_the_order_rate(shop: Shop) -> None:
    finance.set_exchange_rate(
        actor=shop.company.finance_clerk, currency="USD", rate=D("7.1"), valid_from=days(-1)
    )
    order = approved(shop, line(shop.product, "1000", "1.13"), supplier=shop.usd_supplier)
    assert (order.currency, order.exchange_rate) == ("USD", D("7.1"))

    receipt = receive(shop, order, "1000")

    # 1.13 USD with 13% VAT is 1.00 USD without it; at 7.1 that is 7.10 CNY a unit.
    assert receipt.lines.get().unit_cost == D("7.100000")
    level = StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse)
    assert (level.on_hand, level.value) == (D("1000"), D("7100.00"))
    assert stock.ledger_mismatches() == []


# Partial and full --------------------------------------------------------------------------------------


def test_a_partial_receipt_then_the_rest_moves_the_order_to_in_progress_then_done(shop: Shop) -> None:
    order = approved(shop)
    order_line = first_line(order)

    first = receive(shop, order, "60", "L1")
    order_line.refresh_from_db()
    assert (order.status, order_line.received_quantity, order_line.open_quantity) == (
        Status.IN_PROGRESS,
        D("60"),
        D("40"),
    )
    assert first.number.startswith("RK") and first.status == Status.DONE
    assert (first.order, first.warehouse, first.received_on, first.owner) == (
        order,
        shop.warehouse,
        today(),
        shop.keeper,
    )

    receive(shop, order, "40", "L2")
    order_line.refresh_from_db()
    assert (order.status, order_line.received_quantity) == (Status.DONE, D("100"))
    assert on_hand(shop) == D("100")
    assert GoodsReceipt.objects.filter(order=order).count() == 2
    assert stock.ledger_mismatches() == []


def test_an_order_stays_in_progress_while_one_of_its_lines_is_open(shop: Shop) -> None:
    order = approved(shop, line(shop.product, "10", "11.30"), line(shop.plain, "5", "1.00"))

    receive(shop, order, "10")

    assert order.status == Status.IN_PROGRESS
    plain_line = order.lines.get(product=shop.plain)
    receive(shop, order, "5", order_line=plain_line)
    assert order.status == Status.DONE


def test_two_lines_for_the_same_order_line_count_together_against_what_is_open(shop: Shop) -> None:
    order = approved(shop)
    pk = first_line(order).pk

    refusal = refused_receipt(
        shop,
        order,
        ReceiptLineInput(pk, D("60"), "L1", days(-5), days(700)),
        ReceiptLineInput(pk, D("50"), "L2", days(-5), days(800)),
    )
    assert (refusal.code, refusal.field, refusal.message) == (
        "over_receipt",
        "lines.1.quantity",
        "第 2 行：ZS001 本次入库 110，超过未到货数量 100。",
    )

    receipt = receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[
            ReceiptLineInput(pk, D("60"), "L1", days(-5), days(700)),
            ReceiptLineInput(pk, D("40"), "L2", days(-5), days(800)),
        ],
    )
    assert sorted((r.lot.lot_number, r.quantity) for r in receipt.lines.all()) == [
        ("L1", D("60")),
        ("L2", D("40")),
    ]
    order.refresh_from_db()
    assert order.status == Status.DONE


def test_receiving_more_than_is_open_after_a_partial_receipt_is_refused(shop: Shop) -> None:
    order = approved(shop)
    receive(shop, order, "70")

    refusal = refused_receipt(
        shop, order, ReceiptLineInput(first_line(order).pk, D("31"), "L1", days(-30), days(700))
    )

    assert (refusal.code, refusal.message) == (
        "over_receipt",
        "第 1 行：ZS001 本次入库 31，超过未到货数量 30。",
    )


# Other refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "label"),
    [("draft", "草稿"), ("submitted", "待审核"), ("cancelled", "已作废"), ("done", "已完成")],
)
def test_receiving_against_an_order_not_open_for_goods_is_refused(shop: Shop, state: str, label: str) -> None:
    order = draft(shop)
    if state == "submitted":
        orders.submit_order(order, actor=shop.purchaser)
    elif state == "cancelled":
        orders.cancel_order(order, actor=shop.purchaser)
    elif state == "done":
        order = approved(shop)
        receive(shop, order, "100")
    order.refresh_from_db()

    refusal = refused_receipt(
        shop, order, ReceiptLineInput(first_line(order).pk, D("1"), "L1", days(-30), days(700))
    )

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"采购订单 {order.number} 当前状态为“{label}”，不能入库。",
    )


def test_a_receipt_dated_in_the_future_is_refused_and_one_in_the_past_is_kept(shop: Shop) -> None:
    order = approved(shop)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-30), days(700))

    refusal = refused_receipt(shop, order, item, received_on=days(1))
    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "received_on",
        "入库日期不能晚于今天。",
    )

    receipt = receipts.receive_goods(order, actor=shop.keeper, lines=[item], received_on=days(-3))
    assert receipt.received_on == days(-3)


def test_receipt_lines_are_checked(shop: Shop) -> None:
    order = approved(shop)
    other = approved(shop)
    pk = first_line(order).pk

    nothing = refused_receipt(shop, order, ReceiptLineInput(pk, D("0"), "L1"))
    negative = refused_receipt(shop, order, ReceiptLineInput(pk, D("-1"), "L1"))
    foreign = refused_receipt(shop, order, ReceiptLineInput(first_line(other).pk, D("1"), "L1"))

    assert (nothing.code, nothing.message) == ("invalid", "请至少填写一行入库数量。")
    assert (negative.code, negative.message) == ("invalid", "第 1 行：数量必须大于零。")
    assert (foreign.code, foreign.message) == ("invalid", "第 1 行：不是这张订单的明细。")


def test_only_logistics_receives_goods(shop: Shop) -> None:
    order = approved(shop)
    item = ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-30), days(700))

    for outsider in (shop.purchaser, shop.manager, shop.company.finance_clerk, shop.company.rep_a1):
        with unchanged(), pytest.raises(DomainError) as refused:
            receipts.receive_goods(order, actor=outsider, lines=[item])
        assert refused.value.code == "permission_denied"


def test_a_receipt_into_a_warehouse_switched_off_since_approval_is_refused(shop: Shop) -> None:
    order = approved(shop)
    Warehouse.objects.filter(pk=shop.warehouse.pk).update(is_active=False)

    refusal = refused_receipt(
        shop, order, ReceiptLineInput(first_line(order).pk, D("10"), "L1", days(-30), days(700))
    )

    assert (refusal.code, refusal.message) == ("invalid", "仓库 北京主仓 已停用，不能入库。")


# Incoming quantities -----------------------------------------------------------------------------------


def test_incoming_counts_approved_and_partly_received_orders_only(shop: Shop) -> None:
    second = Warehouse.objects.create(code="WH02", name="天津分仓")
    draft(shop, line(shop.product, "1000", "1.00"))
    submitted = draft(shop, line(shop.product, "2000", "1.00"))
    orders.submit_order(submitted, actor=shop.purchaser)
    approved(shop, line(shop.product, "100", "1.00"))
    partly = approved(shop, line(shop.product, "50", "1.00"), line(shop.plain, "7", "1.00"))
    receive(shop, partly, "20")
    done = approved(shop, line(shop.product, "30", "1.00"))
    receive(shop, done, "30")
    cancelled = approved(shop, line(shop.product, "4000", "1.00"))
    orders.cancel_order(cancelled, actor=shop.purchaser, reason="不要了")
    approved(shop, line(shop.product, "8", "1.00"), warehouse=second, expected_date=days(3))
    approved(shop, line(shop.product, "5", "1.00"), expected_date=days(30))

    everywhere = incoming_quantities([shop.product.pk, shop.plain.pk], None)
    main_only = incoming_quantities([shop.product.pk], [shop.warehouse.pk])

    # Every open order's date counts: the earliest is when the first goods are expected.
    assert everywhere == {
        (shop.product.pk, shop.warehouse.pk): Incoming(D("135"), days(7)),  # 100 + (50 − 20) + 5
        (shop.plain.pk, shop.warehouse.pk): Incoming(D("7"), days(7)),
        (shop.product.pk, second.pk): Incoming(D("8"), days(3)),
    }
    assert main_only == {(shop.product.pk, shop.warehouse.pk): Incoming(D("135"), days(7))}
    total = stock.availability(shop.product)["total"]
    assert (total.incoming, total.expected_date) == (D("143"), days(3))


def test_receipt_lines_add_up_to_the_received_quantities(shop: Shop) -> None:
    order = approved(shop, line(shop.product, "100", "11.30"), line(shop.plain, "9", "1.00"))
    receive(shop, order, "35", "L1")
    receive(shop, order, "25", "L2")
    receive(shop, order, "9", order_line=order.lines.get(product=shop.plain))

    for order_line in order.lines.all():
        total = sum((r.quantity for r in GoodsReceiptLine.objects.filter(order_line=order_line)), D("0"))
        assert total == order_line.received_quantity
    assert on_hand(shop) == D("60") and on_hand(shop, shop.plain) == D("9")
