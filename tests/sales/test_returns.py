"""销售退货: a return written against shipment lines (their lots), its refund at the order line's
price after discount, the quantity limit (shipped − returned − what other submitted or approved
returns claim), editing, the approval workflow, and receiving the goods back: the same lot, at
the cost they left at, into the order's or a separate warehouse, the returned quantities and costs
on the shipment and order lines, and a refund payable to the customer that finance pays. Every
refusal is checked with its code and message and changes nothing; the ledgers' invariants are
checked after every test (tests/sales/conftest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.approvals import services as approvals
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.parties import as_party as customer_party
from maoyi.finance import services as finance
from maoyi.finance.models import ObligationStatus
from maoyi.inventory.models import MoveKind, StockMove
from maoyi.sales import shipping_selectors as selectors
from maoyi.sales.models import SalesOrder, SalesReturn, Shipment, ShipmentLine
from maoyi.sales.services import returns
from maoyi.sales.services.returns import ReturnLineInput
from tests.conftest import Company
from tests.sales.builders import (
    Line,
    Shop,
    approved_order,
    approved_return,
    back,
    build_shop,
    days,
    draft_return,
    item,
    level,
    line_of,
    lot,
    on_lot,
    put_in,
    refund_of,
    ship,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    return build_shop(company)


def shipped_order(shop: Shop, quantity: str = "10", price: str = "22.60", discount: str = "10") -> SalesOrder:
    """100 units of ZS001 in lot L1 at 8.00; an order of `quantity` at 22.60 less 10 % (20.34 a
    unit, tax included), all shipped in one shipment."""
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, quantity, price, discount))
    ship(shop, order, item(line_of(order), quantity))
    return order


def shipment_line(order: SalesOrder, n: int = 0) -> ShipmentLine:
    return list(ShipmentLine.objects.filter(shipment__order=order).order_by("id"))[n]


def refused(call: Any, *args: Any, **kw: Any) -> DomainError:
    with unchanged(), pytest.raises(DomainError) as refusal:
        call(*args, **kw)
    return refusal.value


# Writing a return --------------------------------------------------------------------------------


def test_a_return_is_a_draft_owned_by_the_orders_salesperson_with_the_refund_per_line(
    shop: Shop, company: Company
) -> None:
    order = shipped_order(shop)

    doc = returns.create_return(
        order, actor=company.assistant_a, lines=[back(shipment_line(order), "3")], reason="  外包装破损 "
    )

    assert doc.number.startswith("XT")
    assert (doc.status, doc.owner, doc.department, doc.created_by) == (
        Status.DRAFT,
        company.rep_a1,
        company.rep_a1.department,
        company.assistant_a.user,
    )
    assert (doc.order, doc.warehouse, doc.reason) == (order, shop.warehouse, "外包装破损")
    assert list(doc.lines.values_list("shipment_line", "quantity", "amount")) == [
        (shipment_line(order).pk, D("3"), D("61.02"))  # 3 × 20.34
    ]
    assert doc.amount == D("61.02")
    entry = AuditEntry.objects.get(action="create", content_type__model="salesreturn", object_id=str(doc.pk))
    assert entry.changes["lines"] == [None, "ZS001 L1 × 3 61.02"]
    assert entry.changes["reason"] == [None, "外包装破损"]


def test_the_refund_is_rounded_to_the_cent_per_line(shop: Shop) -> None:
    order = shipped_order(shop, price="11.30", discount="3")  # 10.961 a unit

    doc = draft_return(shop, order, back(shipment_line(order), "3"))

    assert doc.lines.get().amount == D("32.88")  # 32.883


def test_goods_may_go_back_to_a_separate_warehouse(shop: Shop) -> None:
    order = shipped_order(shop)

    doc = draft_return(shop, order, back(shipment_line(order), "1"), warehouse=shop.quality)

    assert doc.warehouse == shop.quality


def test_returning_more_than_was_shipped_is_refused(shop: Shop) -> None:
    order = shipped_order(shop)

    refusal = refused(draft_return, shop, order, back(shipment_line(order), "11"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_return",
        "lines.0.quantity",
        "第 1 行：ZS001 批次 L1 可退 10，本次退货 11。",
    )


def test_two_rows_of_one_shipment_line_are_added_up(shop: Shop) -> None:
    order = shipped_order(shop)

    refusal = refused(
        draft_return, shop, order, back(shipment_line(order), "6"), back(shipment_line(order), "5")
    )

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_return",
        "lines.1.quantity",
        "第 2 行：ZS001 批次 L1 可退 10，本次退货 11。",
    )


def test_submitted_and_approved_returns_are_counted_but_drafts_are_not(shop: Shop) -> None:
    order = shipped_order(shop)
    submitted = draft_return(shop, order, back(shipment_line(order), "3"))
    returns.submit_return(submitted, actor=shop.rep)
    approved_return(shop, order, back(shipment_line(order), "2"))
    draft_return(shop, order, back(shipment_line(order), "5"))  # a draft claims nothing

    assert selectors.returnable(order) == {shipment_line(order).pk: D("5")}
    refusal = refused(draft_return, shop, order, back(shipment_line(order), "6"))
    draft_return(shop, order, back(shipment_line(order), "5"))

    assert refusal.message == "第 1 行：ZS001 批次 L1 可退 5，本次退货 6。"


def test_submitting_checks_again_against_what_other_returns_claim_now(shop: Shop) -> None:
    order = shipped_order(shop)
    first = draft_return(shop, order, back(shipment_line(order), "6"))
    second = draft_return(shop, order, back(shipment_line(order), "6"))
    returns.submit_return(first, actor=shop.rep)

    refusal = refused(returns.submit_return, second, actor=shop.rep)

    assert (refusal.code, refusal.message) == ("over_return", "第 1 行：ZS001 批次 L1 可退 4，本次退货 6。")
    assert SalesReturn.objects.get(pk=second.pk).status == Status.DRAFT


def test_received_returns_count_through_the_shipment_line(shop: Shop) -> None:
    order = shipped_order(shop)
    returns.receive_return(approved_return(shop, order, back(shipment_line(order), "4")), actor=shop.keeper)

    refusal = refused(draft_return, shop, order, back(shipment_line(order), "7"))

    assert refusal.message == "第 1 行：ZS001 批次 L1 可退 6，本次退货 7。"
    assert [(r.line.pk, r.returnable) for r in selectors.returnable_lines(order)] == [
        (shipment_line(order).pk, D("6"))
    ]


def test_an_order_not_shipped_yet_has_nothing_to_return(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(draft_return, shop, order, ReturnLineInput(1, D("1")))

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"销售订单 {order.number} 还没有发货，不能退货。",
    )


def test_a_shipment_line_of_another_order_is_refused(shop: Shop) -> None:
    order = shipped_order(shop)
    other = approved_order(shop, Line(shop.product, "5", "22.60"))
    ship(shop, other, item(line_of(other), "5"))

    refusal = refused(draft_return, shop, order, back(shipment_line(other), "1"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "lines.0.shipment_line",
        "第 1 行：不是这张订单的发货明细。",
    )


@pytest.mark.parametrize(
    ("quantity", "code", "message"),
    [
        ("0", "invalid", "请至少填写一行退货数量。"),
        ("-2", "invalid", "第 1 行：数量必须大于零，最多四位小数。"),
    ],
)
def test_a_return_needs_a_positive_quantity(shop: Shop, quantity: str, code: str, message: str) -> None:
    order = shipped_order(shop)

    refusal = refused(draft_return, shop, order, back(shipment_line(order), quantity))

    assert (refusal.code, refusal.message) == (code, message)


def test_a_return_needs_a_reason(shop: Shop) -> None:
    order = shipped_order(shop)

    refusal = refused(draft_return, shop, order, back(shipment_line(order), "1"), reason="  ")

    assert (refusal.code, refusal.field, refusal.message) == ("reason_required", "reason", "请填写退货原因。")


def test_an_inactive_warehouse_is_refused(shop: Shop) -> None:
    order = shipped_order(shop)
    shop.quality.is_active = False
    shop.quality.save()

    refusal = refused(draft_return, shop, order, back(shipment_line(order), "1"), warehouse=shop.quality)

    assert (refusal.code, refusal.field, refusal.message) == ("invalid", "warehouse", "请选择启用中的仓库。")


def test_returns_follow_the_orders_scope(shop: Shop, company: Company) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "1"))

    outsider = refused(
        returns.create_return,
        order,
        actor=company.rep_b1,
        lines=[back(shipment_line(order), "1")],
        reason="x",
    )
    no_permission = refused(
        returns.create_return, order, actor=shop.keeper, lines=[back(shipment_line(order), "1")], reason="x"
    )

    assert outsider.code == "not_found"
    assert no_permission.code == "permission_denied"
    assert list(selectors.returns(company.rep_a1.user)) == [doc]
    assert list(selectors.returns(company.rep_b1.user)) == []
    assert list(selectors.returns(company.manager_a.user)) == [doc]
    assert list(selectors.returns(shop.keeper.user, to_receive=True)) == []
    assert selectors.sales_return(company.rep_a1.user, doc.pk) == doc
    with pytest.raises(NotFoundInScope):
        selectors.sales_return(company.rep_b1.user, doc.pk)


# Editing and the workflow ------------------------------------------------------------------------------


def test_a_draft_is_edited_lines_reason_and_warehouse(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "1"))

    returns.update_return(
        doc,
        actor=shop.rep,
        lines=[back(shipment_line(order), "10")],
        reason="质量问题",
        warehouse=shop.quality,
    )

    doc.refresh_from_db()
    assert (doc.reason, doc.warehouse, doc.amount) == ("质量问题", shop.quality, D("203.40"))
    entry = AuditEntry.objects.get(action="update", content_type__model="salesreturn", object_id=str(doc.pk))
    assert entry.changes == {
        "reason": ["包装破损", "质量问题"],
        "warehouse": ["北京主仓", "不合格品仓"],
        "lines": ["ZS001 L1 × 1 20.34", "ZS001 L1 × 10 203.40"],
    }


def test_a_submitted_return_cannot_be_edited(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "1"))
    returns.submit_return(doc, actor=shop.rep)

    refusal = refused(
        returns.update_return, doc, actor=shop.rep, lines=[back(shipment_line(order), "2")], reason="x"
    )

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"单据 {doc.number} 当前状态为“待审核”，不能修改。",
    )


def test_a_rejected_return_is_edited_and_submitted_again(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "1"))
    returns.submit_return(doc, actor=shop.rep)
    approvals.reject(doc, actor=shop.manager, reason="数量不对")

    returns.update_return(doc, actor=shop.rep, lines=[back(shipment_line(order), "2")], reason="包装破损")
    returns.submit_return(doc, actor=shop.rep)

    assert SalesReturn.objects.get(pk=doc.pk).status == Status.SUBMITTED


def test_a_return_is_withdrawn_and_cancelled(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "10"))
    returns.submit_return(doc, actor=shop.rep)

    returns.withdraw_return(doc, actor=shop.rep)
    returns.cancel_return(doc, actor=shop.rep, reason="客户不退了")

    assert SalesReturn.objects.get(pk=doc.pk).status == Status.CANCELLED
    assert selectors.returnable(order) == {shipment_line(order).pk: D("10")}


def test_the_manager_approves_a_return(shop: Shop) -> None:
    order = shipped_order(shop)

    doc = approved_return(shop, order, back(shipment_line(order), "2"))

    assert doc.status == Status.APPROVED
    assert list(selectors.returns(shop.keeper.user, to_receive=True)) == [doc]


# Receiving the goods back ------------------------------------------------------------------------------


def test_receiving_puts_the_goods_back_into_their_lot_at_the_cost_they_left_at(shop: Shop) -> None:
    order = shipped_order(shop)  # 10 × L1 left at 8.00: cost 80.00
    put_in(shop, "50", "14.00", "L2", expiry=days(800))  # 140 units worth 1420.00: average 10.142857…
    doc = approved_return(shop, order, back(shipment_line(order), "4"))

    returns.receive_return(doc, actor=shop.keeper, received_on=days(-1))

    doc.refresh_from_db()
    assert (doc.status, doc.received_on) == (Status.DONE, days(-1))
    (move,) = StockMove.objects.filter(source_type="sales_return", source_id=doc.pk)
    assert (move.kind, move.lot, move.warehouse, move.quantity, move.value, move.unit_cost) == (
        MoveKind.SALES_RETURN,
        lot("L1"),
        shop.warehouse,
        D("4"),
        D("32.00"),
        D("8.000000"),
    )
    assert level(shop) == (D("144"), D("0"), D("1452.00"))
    assert on_lot(shop, "L1") == D("94")
    assert shipment_line(order).returned_quantity == D("4")
    order_line = line_of(order)
    assert (order_line.returned_quantity, order_line.returned_cost) == (D("4"), D("32.00"))
    assert (order_line.shipped_quantity, order_line.shipped_cost) == (D("10"), D("80.00"))
    entry = AuditEntry.objects.get(action="receive", content_type__model="salesreturn", object_id=str(doc.pk))
    assert entry.changes == {"status": ["已审核", "已完成"], "received_on": [None, days(-1).isoformat()]}


def test_receiving_opens_a_refund_payable_to_the_customer(shop: Shop, company: Company) -> None:
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_line(order), "4"))

    returns.receive_return(doc, actor=shop.keeper)

    refund = refund_of(doc)
    assert (refund.party_kind, refund.party_id, refund.party_name) == (
        "customer",
        shop.customer.pk,
        "北京协和医院",
    )
    assert (refund.amount, refund.allocated, refund.status) == (D("81.36"), D("0"), ObligationStatus.OPEN)
    assert (refund.owner, refund.department) == (company.rep_a1, company.rep_a1.department)
    assert (refund.source_type, refund.source_number, refund.issued_on) == (
        "sales_return",
        doc.number,
        today(),
    )
    assert refund.due_date == today() + dt.timedelta(days=30)
    assert refund.note == f"销售退货退款：{order.number}"
    assert list(refund.installments.values_list("amount", flat=True)) == [D("81.36")]
    assert list(selectors.refunds_of(doc)) == [refund]


def test_finance_pays_the_refund(shop: Shop, company: Company) -> None:
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_line(order), "4"))
    returns.receive_return(doc, actor=shop.keeper)
    refund = refund_of(doc)

    finance.record_settlement(
        direction="payable",
        actor=company.finance_clerk,
        party=customer_party(shop.customer),
        amount=D("81.36"),
        occurred_on=today(),
        allocations=[finance.AllocationInput(refund.pk, D("81.36"))],
    )

    refund.refresh_from_db()
    assert (refund.allocated, refund.status) == (D("81.36"), ObligationStatus.SETTLED)


def test_rejected_goods_go_into_the_separate_warehouse(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_line(order), "3"), warehouse=shop.quality)

    returns.receive_return(doc, actor=shop.keeper)

    assert level(shop, warehouse=shop.quality) == (D("3"), D("0"), D("24.00"))
    assert on_lot(shop, "L1", shop.quality) == D("3")
    assert level(shop) == (D("90"), D("0"), D("720.00"))


def test_a_shipment_line_returned_in_parts_gives_back_exactly_its_cost(shop: Shop) -> None:
    put_in(shop, "3", "3.333333", "L1")  # 9.999999 → 10.00 for 3 units
    order = approved_order(shop, Line(shop.product, "3", "22.60"))
    ship(shop, order, item(line_of(order), "3"))
    assert (shipment_line(order).cost, shipment_line(order).unit_cost) == (D("10.00"), D("3.333333"))

    values = []
    for _n in range(3):
        doc = approved_return(shop, order, back(shipment_line(order), "1"))
        returns.receive_return(doc, actor=shop.keeper)
        values.append(StockMove.objects.get(source_type="sales_return", source_id=doc.pk).value)

    assert values == [D("3.33"), D("3.34"), D("3.33")]
    assert (line_of(order).returned_quantity, line_of(order).returned_cost) == (D("3"), D("10.00"))
    assert level(shop) == (D("3"), D("0"), D("10.00"))


def test_a_return_of_lines_of_two_products_and_two_shipments(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "100", "2.50", product=shop.plain)
    order = approved_order(shop, Line(shop.product, "10", "22.60", "10"), Line(shop.plain, "40", "5.65"))
    first = ship(shop, order, item(line_of(order), "6"), item(line_of(order, 1), "40"))
    second = ship(shop, order, item(line_of(order), "4"))
    lines = {
        (r.shipment_id, r.order_line.product_id): r
        for r in ShipmentLine.objects.filter(shipment__order=order)
    }
    doc = approved_return(
        shop,
        order,
        back(lines[(first.pk, shop.product.pk)], "2"),
        back(lines[(second.pk, shop.product.pk)], "4"),
        back(lines[(first.pk, shop.plain.pk)], "10"),
    )

    returns.receive_return(doc, actor=shop.keeper)

    assert [(r.returned_quantity, r.returned_cost) for r in order.lines.order_by("id")] == [
        (D("6"), D("48.00")),
        (D("10"), D("25.00")),
    ]
    assert refund_of(doc).amount == D("178.54")  # 6 × 20.34 + 10 × 5.65
    assert level(shop, shop.plain) == (D("70"), D("0"), D("175.00"))
    assert Shipment.objects.get(pk=second.pk).lines.get().returned_quantity == D("4")


def test_free_goods_come_back_without_a_refund(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "2", "0"))
    ship(shop, order, item(line_of(order), "2"))
    doc = approved_return(shop, order, back(shipment_line(order), "1"))

    returns.receive_return(doc, actor=shop.keeper)

    assert list(selectors.refunds_of(doc)) == []
    assert line_of(order).returned_cost == D("8.00")


@pytest.mark.parametrize("state", ["draft", "submitted", "done"])
def test_only_an_approved_return_is_received(shop: Shop, state: str) -> None:
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_line(order), "1"))
    label = "草稿"
    if state != "draft":
        returns.submit_return(doc, actor=shop.rep)
        label = "待审核"
    if state == "done":
        approvals.approve(doc, actor=shop.manager)
        returns.receive_return(doc, actor=shop.keeper)
        label = "已完成"

    refusal = refused(returns.receive_return, doc, actor=shop.keeper)

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"销售退货单 {doc.number} 当前状态为“{label}”，不能收货。",
    )


def test_a_salesperson_cannot_receive_returned_goods(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_line(order), "1"))

    refusal = refused(returns.receive_return, doc, actor=shop.rep)

    assert refusal.code == "permission_denied"


def test_the_receiving_day_may_not_be_in_the_future(shop: Shop) -> None:
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_line(order), "1"))

    refusal = refused(returns.receive_return, doc, actor=shop.keeper, received_on=days(1))

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "received_on",
        "收货日期不能晚于今天。",
    )


def test_the_lot_trace_shows_what_came_back(shop: Shop) -> None:
    order = shipped_order(shop)
    returns.receive_return(approved_return(shop, order, back(shipment_line(order), "4")), actor=shop.keeper)

    (customer,) = selectors.lot_customers(shop.keeper.user, lot("L1"))

    assert (customer.customer, customer.shipped, customer.returned, customer.kept) == (
        "北京协和医院",
        D("10"),
        D("4"),
        D("6"),
    )
