"""Purchase returns (采购退货): only received goods go back, lot by lot; returns still pending take
their quantities from what is returnable; logistics ships an approved return, which takes the goods
out of stock and opens the supplier's refund at the order's prices, currency and rate. Every refusal
with its code and message, leaving nothing behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from functools import partial

import pytest

from maoyi.approvals import services as approvals
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Obligation, ObligationStatus
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Lot, MoveKind, StockMove
from maoyi.purchasing import order_selectors
from maoyi.purchasing.models import PurchaseOrder, PurchaseReturn
from maoyi.purchasing.services import receipts, returns
from maoyi.purchasing.services.returns import ReturnLineInput
from tests.conftest import Company
from tests.factories import make_employee
from tests.purchasing.order_builders import (
    Shop,
    approved,
    approved_return,
    build_shop,
    days,
    line,
    on_hand,
    receive,
    return_line,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    return build_shop(company)


@pytest.fixture
def received(shop: Shop) -> PurchaseOrder:
    """100 ordered at 11.30 (10.00 without VAT): 60 received in lot L1, 40 in lot L2."""
    order = approved(shop)
    receive(shop, order, "60", "L1")
    receive(shop, order, "40", "L2")
    return order


def create(
    shop: Shop, order: PurchaseOrder, *items: ReturnLineInput, reason: str = "外包装破损"
) -> PurchaseReturn:
    return returns.create_return(actor=shop.purchaser, order=order, lines=list(items), reason=reason)


def refused(call: Callable[[], object]) -> DomainError:
    with unchanged(), pytest.raises(DomainError) as refusal:
        call()
    return refusal.value


def refund_of(doc: PurchaseReturn) -> Obligation:
    return Obligation.objects.get(direction="receivable", source_type="purchase_return", source_id=doc.pk)


# What may be returned ------------------------------------------------------------------------------------


def test_a_return_is_written_against_received_lots(shop: Shop, received: PurchaseOrder) -> None:
    doc = create(shop, received, return_line(received, "10", "L1"), return_line(received, "5", "L2"))

    assert doc.number.startswith("CT") and doc.status == Status.DRAFT
    assert (doc.owner, doc.department, doc.reason) == (shop.purchaser, shop.company.purchasing, "外包装破损")
    assert sorted((x.lot.lot_number, x.quantity) for x in doc.lines.all()) == [
        ("L1", D("10")),
        ("L2", D("5")),
    ]
    assert doc.amount == D("169.50")  # 15 × 11.30
    assert on_hand(shop) == D("100")  # nothing leaves before it ships


def test_nothing_can_be_returned_before_something_was_received(shop: Shop) -> None:
    order = approved(shop)
    receive(shop, approved(shop), "10", "L1")  # the lot exists, from another order
    lot = Lot.objects.get(lot_number="L1")

    refusal = refused(lambda: create(shop, order, ReturnLineInput(order.lines.get().pk, lot.pk, D("1"))))

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"采购订单 {order.number} 还没有入库，不能退货。",
    )


def test_a_lot_not_received_on_that_line_is_refused(shop: Shop, received: PurchaseOrder) -> None:
    other = approved(shop)
    receive(shop, other, "10", "L9")
    foreign_lot = Lot.objects.get(lot_number="L9")

    refusal = refused(
        lambda: create(shop, received, ReturnLineInput(received.lines.get().pk, foreign_lot.pk, D("1")))
    )

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_return",
        "lines.0.lot",
        "第 1 行：ZS001 没有从这个批次入库。",
    )


def test_a_line_of_another_order_is_refused(shop: Shop, received: PurchaseOrder) -> None:
    other = approved(shop)
    receive(shop, other, "10", "L1")
    lot = Lot.objects.get(lot_number="L1")

    refusal = refused(lambda: create(shop, received, ReturnLineInput(other.lines.get().pk, lot.pk, D("1"))))

    assert (refusal.code, refusal.message) == ("invalid", "第 1 行：不是这张订单的明细。")


def test_more_than_the_lot_received_is_refused_summing_lines_of_the_same_lot(
    shop: Shop, received: PurchaseOrder
) -> None:
    refusal = refused(
        lambda: create(shop, received, return_line(received, "30", "L2"), return_line(received, "11", "L2"))
    )

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_return",
        "lines.1.quantity",
        "第 2 行：ZS001 该批次可退 40，本次退货 41。",
    )


def test_pending_returns_count_against_what_is_returnable(shop: Shop, received: PurchaseOrder) -> None:
    first = create(shop, received, return_line(received, "40", "L1"))  # a draft still counts

    refusal = refused(lambda: create(shop, received, return_line(received, "30", "L1")))
    assert (refusal.code, refusal.message) == ("over_return", "第 1 行：ZS001 该批次可退 20，本次退货 30。")

    returns.submit_return(first, actor=shop.purchaser)
    approvals.reject(first, actor=shop.manager, reason="先与供应商确认")
    refusal = refused(
        lambda: create(shop, received, return_line(received, "30", "L1"))
    )  # rejected: may come back
    assert refusal.code == "over_return"

    returns.cancel_return(first, actor=shop.purchaser, reason="供应商同意换货")
    second = create(shop, received, return_line(received, "30", "L1"))
    assert second.status == Status.DRAFT


def test_shipped_returns_count_too(shop: Shop, received: PurchaseOrder) -> None:
    doc = approved_return(shop, received, "50", "L1")
    returns.ship_return(doc, actor=shop.keeper)

    refusal = refused(lambda: create(shop, received, return_line(received, "11", "L1")))

    assert (refusal.code, refusal.message) == ("over_return", "第 1 行：ZS001 该批次可退 10，本次退货 11。")
    assert returns.returnable(received) == {
        (received.lines.get().pk, Lot.objects.get(lot_number="L1").pk): D("10"),
        (received.lines.get().pk, Lot.objects.get(lot_number="L2").pk): D("40"),
    }


def test_return_input_is_checked(shop: Shop, received: PurchaseOrder) -> None:
    no_reason = refused(lambda: create(shop, received, return_line(received, "1", "L1"), reason="  "))
    nothing = refused(lambda: create(shop, received, return_line(received, "0", "L1")))
    negative = refused(lambda: create(shop, received, return_line(received, "-1", "L1")))

    assert (no_reason.code, no_reason.message) == ("reason_required", "请填写退货原因。")
    assert (nothing.code, nothing.message) == ("invalid", "请至少填写一行退货数量。")
    assert (negative.code, negative.message) == ("invalid", "第 1 行：数量必须大于零。")


def test_editing_a_draft_return_does_not_count_its_own_lines(shop: Shop, received: PurchaseOrder) -> None:
    doc = create(shop, received, return_line(received, "50", "L1"))

    returns.update_return(doc, actor=shop.purchaser, lines=[return_line(received, "60", "L1")], reason="霉变")

    doc.refresh_from_db()
    assert (doc.reason, doc.lines.get().quantity) == ("霉变", D("60"))
    returns.submit_return(doc, actor=shop.purchaser)
    refusal = refused(
        lambda: returns.update_return(
            doc, actor=shop.purchaser, lines=[return_line(received, "1", "L1")], reason="x"
        )
    )
    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"单据 {doc.number} 当前状态为“待审核”，不能修改。",
    )


def test_returns_are_written_by_purchasing_within_its_scope(shop: Shop, received: PurchaseOrder) -> None:
    colleague = make_employee(shop.company.purchasing, "purchaser", username="buyer2", name="刘洋")

    outsider = refused(
        lambda: returns.create_return(
            actor=shop.keeper, order=received, lines=[return_line(received, "1", "L1")], reason="破损"
        )
    )
    out_of_scope = refused(
        lambda: returns.create_return(
            actor=colleague, order=received, lines=[return_line(received, "1", "L1")], reason="破损"
        )
    )

    assert outsider.code == "permission_denied"
    assert (out_of_scope.code, out_of_scope.message) == ("not_found", "记录不存在。")


# Shipping ------------------------------------------------------------------------------------------------


def test_shipping_takes_the_goods_out_and_opens_the_refund(shop: Shop, received: PurchaseOrder) -> None:
    doc = approved_return(shop, received, "25", "L2")

    shipped = returns.ship_return(doc, actor=shop.keeper, carrier=" 顺丰 ", tracking_number="SF1234567890")

    doc.refresh_from_db()
    order_line = received.lines.get()
    assert (doc.status, doc.carrier, doc.tracking_number) == (Status.DONE, "顺丰", "SF1234567890")
    assert doc.shipped_at is not None and shipped.pk == doc.pk
    assert (order_line.received_quantity, order_line.returned_quantity) == (D("100"), D("25"))
    move = StockMove.objects.get(source_type="purchase_return", source_id=doc.pk)
    assert (move.kind, move.quantity, move.lot.lot_number, move.value) == (
        MoveKind.PURCHASE_RETURN,
        D("-25"),
        "L2",
        D("-250.00"),
    )
    assert on_hand(shop) == D("75")
    refund = refund_of(doc)
    assert (refund.amount, refund.currency, refund.exchange_rate, refund.status) == (
        D("282.50"),  # 25 × 11.30, tax included
        "CNY",
        D("1"),
        ObligationStatus.OPEN,
    )
    assert (refund.party_kind, refund.party_id, refund.owner, refund.source_number) == (
        "supplier",
        shop.supplier.pk,
        shop.purchaser,
        doc.number,
    )
    assert refund.due_date == today() + dt.timedelta(days=30)
    assert refund.note == f"采购退货退款：{received.number}"
    assert stock.ledger_mismatches() == [] and finance_selectors.ledger_mismatches() == []
    assert list(order_selectors.returns(shop.keeper.user, to_ship=True)) == []


def test_the_refund_is_each_line_at_its_order_price_in_the_order_currency_and_rate(shop: Shop) -> None:
    finance.set_exchange_rate(
        actor=shop.company.finance_clerk, currency="USD", rate=D("7.1"), valid_from=days(-1)
    )
    order = approved(
        shop,
        line(shop.product, "1000", "1.13"),
        line(shop.plain, "50", "0.3333", "0"),
        supplier=shop.usd_supplier,
    )
    first, second = order.lines.order_by("id")
    receipts.receive_goods(
        order,
        actor=shop.keeper,
        lines=[
            receipts.ReceiptLineInput(first.pk, D("1000"), "U1", days(-10), days(700)),
            receipts.ReceiptLineInput(second.pk, D("50")),
        ],
    )
    plain_lot = Lot.objects.get(product=shop.plain, lot_number="")
    doc = create(
        shop,
        order,
        ReturnLineInput(first.pk, Lot.objects.get(lot_number="U1").pk, D("100")),
        ReturnLineInput(second.pk, plain_lot.pk, D("7")),
    )
    returns.submit_return(doc, actor=shop.purchaser)
    approvals.approve(doc, actor=shop.manager)

    returns.ship_return(doc, actor=shop.keeper)

    refund = refund_of(doc)
    # 100 × 1.13 = 113.00 and 7 × 0.3333 = 2.3331 → 2.33; in USD at the order's 7.1
    assert (refund.amount, refund.currency, refund.exchange_rate) == (D("115.33"), "USD", D("7.1"))
    assert on_hand(shop) == D("900") and on_hand(shop, shop.plain) == D("43")
    assert stock.ledger_mismatches() == [] and finance_selectors.ledger_mismatches() == []


@pytest.mark.parametrize("state", ["draft", "submitted", "rejected", "done"])
def test_only_an_approved_return_ships(shop: Shop, received: PurchaseOrder, state: str) -> None:
    doc = create(shop, received, return_line(received, "5", "L1"))
    labels = {"draft": "草稿", "submitted": "待审核", "rejected": "已驳回", "done": "已完成"}
    if state != "draft":
        returns.submit_return(doc, actor=shop.purchaser)
    if state == "rejected":
        approvals.reject(doc, actor=shop.manager, reason="不同意")
    if state == "done":
        approvals.approve(doc, actor=shop.manager)
        returns.ship_return(doc, actor=shop.keeper)

    refusal = refused(lambda: returns.ship_return(doc, actor=shop.keeper))

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"退货单 {doc.number} 当前状态为“{labels[state]}”，不能发出。",
    )


def test_only_a_role_allowed_to_ship_returns_ships_them(shop: Shop, received: PurchaseOrder) -> None:
    doc = approved_return(shop, received, "5", "L1")

    for outsider in (shop.purchaser, shop.manager, shop.company.finance_clerk, shop.company.admin):
        refusal = refused(partial(returns.ship_return, doc, actor=outsider))
        assert (refusal.code, refusal.message) == ("permission_denied", "您的角色不能执行此操作。")

    returns.ship_return(doc, actor=shop.keeper)
    assert on_hand(shop) == D("95")


def test_an_approved_return_waits_in_logistics_list_until_shipped(
    shop: Shop, received: PurchaseOrder
) -> None:
    waiting = approved_return(shop, received, "5", "L1")
    create(shop, received, return_line(received, "5", "L2"))

    assert list(order_selectors.returns(shop.keeper.user, to_ship=True)) == [waiting]


def test_the_refund_is_closed_when_the_supplier_pays_back(shop: Shop, received: PurchaseOrder) -> None:
    from maoyi.purchasing.parties import as_party

    doc = approved_return(shop, received, "10", "L1")
    returns.ship_return(doc, actor=shop.keeper)
    refund = refund_of(doc)

    finance.record_settlement(
        direction="receivable",
        actor=shop.company.finance_clerk,
        party=as_party(shop.supplier),
        amount=D("113.00"),
        occurred_on=today(),
        allocations=[finance.AllocationInput(refund.pk, D("113.00"))],
    )

    refund.refresh_from_db()
    assert (refund.outstanding, refund.status) == (D("0.00"), ObligationStatus.SETTLED)
    assert finance_selectors.ledger_mismatches() == []
