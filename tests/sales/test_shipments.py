"""发货: partial and full shipments out of the order's reservation, lots first expiry first out or
chosen, expired lots refused, the cost taken from the stock moves, over-shipment and the order's
status refused (each with its code and message, changing nothing), delivery confirmation, the
permissions and the data scope of the reads, the logistics queue and the lot trace to customers.
The stock and money ledger invariants are checked after every test (tests/sales/conftest.py)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.inventory.models import Lot, MoveKind, Reservation, ReservationStatus, StockMove
from maoyi.sales import shipping_selectors as selectors
from maoyi.sales.models import SalesOrder, Shipment
from maoyi.sales.services import shipments
from maoyi.sales.services.shipments import ShipmentLineInput
from tests.conftest import Company
from tests.sales.builders import (
    Line,
    Shop,
    approved_order,
    build_shop,
    days,
    draft_order,
    item,
    level,
    line_of,
    lot,
    on_lot,
    put_in,
    ship,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    return build_shop(company)


def refused(shop: Shop, order: SalesOrder, *items: ShipmentLineInput, **kw: Any) -> DomainError:
    kw.setdefault("actor", shop.keeper)
    with unchanged(), pytest.raises(DomainError) as refusal:
        shipments.ship_order(order, lines=list(items), **kw)
    return refusal.value


def open_reserved(order: SalesOrder) -> D:
    return sum(
        (
            r.quantity
            for r in Reservation.objects.filter(
                source_type="sales_order", source_id=order.pk, status=ReservationStatus.OPEN
            )
        ),
        D("0"),
    )


# Partial and full shipments --------------------------------------------------------------------------


def test_a_partial_shipment_takes_goods_out_of_the_reservation_and_leaves_the_order_in_progress(
    shop: Shop,
) -> None:
    put_in(shop, "100", "8.00", "L1")  # value 800.00, average 8.00
    order = approved_order(shop, Line(shop.product, "30", "22.60"))

    doc = ship(shop, order, item(line_of(order), "12"), shipped_on=today(), note="先发一部分")

    assert doc.number.startswith("FH")
    assert (doc.status, doc.shipped_on, doc.carrier, doc.tracking_number, doc.note) == (
        Status.IN_PROGRESS,
        today(),
        "顺丰速运",
        "SF1234567890",
        "先发一部分",
    )
    assert (doc.owner, doc.department, doc.warehouse) == (shop.keeper, shop.keeper.department, shop.warehouse)
    (row,) = doc.lines.all()
    assert (row.lot, row.quantity, row.cost, row.unit_cost, row.returned_quantity) == (
        lot("L1"),
        D("12"),
        D("96.00"),
        D("8.000000"),
        D("0"),
    )
    order_line = line_of(order)
    assert (order_line.shipped_quantity, order_line.shipped_cost, order_line.open_quantity) == (
        D("12"),
        D("96.00"),
        D("18"),
    )
    assert order.status == Status.IN_PROGRESS
    assert level(shop) == (D("88"), D("18"), D("704.00"))
    assert open_reserved(order) == D("18")
    (move,) = StockMove.objects.filter(source_type="shipment", source_id=doc.pk)
    assert (move.kind, move.quantity, move.value, move.source_number) == (
        MoveKind.ISSUE,
        D("-12"),
        D("-96.00"),
        doc.number,
    )
    entry = AuditEntry.objects.filter(
        action="create", content_type__model="shipment", object_id=str(doc.pk)
    ).get()
    assert entry.changes["lines"] == [None, "ZS001 L1 × 12"]
    status_change = AuditEntry.objects.filter(action="ship", object_id=str(order.pk)).get()
    assert status_change.changes == {"status": ["已审核", "执行中"]}
    assert status_change.note == doc.number


def test_shipping_the_rest_completes_the_order_and_closes_the_reservation(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "50", "2.50", product=shop.plain)
    order = approved_order(shop, Line(shop.product, "30", "22.60"), Line(shop.plain, "20", "5.65"))
    ship(shop, order, item(line_of(order), "12"))

    ship(shop, order, item(line_of(order), "18"), item(line_of(order, 1), "20"))

    assert order.status == Status.DONE
    assert [(line.shipped_quantity, line.shipped_cost) for line in order.lines.order_by("id")] == [
        (D("30"), D("240.00")),
        (D("20"), D("50.00")),
    ]
    assert open_reserved(order) == D("0")
    assert level(shop) == (D("70"), D("0"), D("560.00"))
    assert level(shop, shop.plain) == (D("30"), D("0"), D("75.00"))
    assert order.shipments.count() == 2
    changes = list(
        AuditEntry.objects.filter(action="ship", object_id=str(order.pk))
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert changes == [{"status": ["已审核", "执行中"]}, {"status": ["执行中", "已完成"]}]


def test_shipping_everything_at_once_goes_from_approved_to_done(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    ship(shop, order, item(line_of(order), "10"))

    assert order.status == Status.DONE
    assert level(shop) == (D("0"), D("0"), D("0.00"))


def test_the_cost_is_the_moving_average_the_ledger_took_not_the_lots_purchase_price(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1", expiry=days(100))
    put_in(shop, "20", "11.00", "L2", expiry=days(200))  # 30 units worth 300.00: average 10.00
    order = approved_order(shop, Line(shop.product, "12", "22.60"))

    doc = ship(shop, order, item(line_of(order), "12"))

    rows = list(doc.lines.order_by("id").values_list("lot__lot_number", "quantity", "cost", "unit_cost"))
    assert rows == [("L1", D("10"), D("100.00"), D("10.000000")), ("L2", D("2"), D("20.00"), D("10.000000"))]
    moves = StockMove.objects.filter(source_type="shipment", source_id=doc.pk).order_by("id")
    assert [(-m.quantity, -m.value) for m in moves] == [(D("10"), D("100.00")), (D("2"), D("20.00"))]
    assert line_of(order).shipped_cost == D("120.00")


def test_the_cost_of_a_line_is_the_value_of_its_moves_to_the_cent(shop: Shop) -> None:
    put_in(shop, "3", "10.00", "L1")  # 30.00 for 3: average 10.00
    put_in(shop, "3", "10.01", "L2", expiry=days(800))  # 60.03 for 6: average 10.005
    order = approved_order(shop, Line(shop.product, "6", "22.60"))

    first = ship(shop, order, item(line_of(order), "1"))
    last = ship(shop, order, item(line_of(order), "5"))

    # 1 × 10.005 = 10.005 → 10.01; the last issue empties the stock and takes the 50.02 left
    assert list(first.lines.values_list("cost", "unit_cost")) == [(D("10.01"), D("10.005000"))]
    assert sum(r.cost for r in last.lines.all()) == D("50.02")
    assert line_of(order).shipped_cost == D("60.03")
    assert level(shop) == (D("0"), D("0"), D("0.00"))


# Lots ------------------------------------------------------------------------------------------------


def test_lots_are_taken_first_expiry_first_out(shop: Shop) -> None:
    put_in(shop, "40", "8.00", "LATE", expiry=days(400))
    put_in(shop, "10", "8.00", "SOON", expiry=days(100))
    order = approved_order(shop, Line(shop.product, "25", "22.60"))

    doc = ship(shop, order, item(line_of(order), "25"))

    assert list(doc.lines.order_by("id").values_list("lot__lot_number", "quantity", "cost")) == [
        ("SOON", D("10"), D("80.00")),
        ("LATE", D("15"), D("120.00")),
    ]
    assert (on_lot(shop, "SOON"), on_lot(shop, "LATE")) == (D("0"), D("25"))


def test_a_chosen_lot_is_taken_instead_of_the_first_to_expire(shop: Shop) -> None:
    put_in(shop, "40", "8.00", "LATE", expiry=days(400))
    put_in(shop, "10", "8.00", "SOON", expiry=days(100))
    order = approved_order(shop, Line(shop.product, "25", "22.60"))

    ship(
        shop, order, item(line_of(order), "5", lot=lot("LATE")), item(line_of(order), "3", lot_number="SOON")
    )

    assert (on_lot(shop, "SOON"), on_lot(shop, "LATE")) == (D("7"), D("35"))
    assert line_of(order).shipped_quantity == D("8")


def test_a_chosen_lot_is_served_before_a_first_expiry_line_of_the_same_product(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "SOON", expiry=days(100))
    put_in(shop, "10", "8.00", "LATE", expiry=days(400))
    order = approved_order(shop, Line(shop.product, "20", "22.60"))

    doc = ship(shop, order, item(line_of(order), "15"), item(line_of(order), "5", lot=lot("SOON")))

    assert sorted(doc.lines.values_list("lot__lot_number", "quantity")) == [
        ("LATE", D("10")),
        ("SOON", D("5")),
        ("SOON", D("5")),
    ]


def test_goods_without_lot_tracking_ship_from_their_one_lot(shop: Shop) -> None:
    put_in(shop, "50", "2.50", product=shop.plain)
    order = approved_order(shop, Line(shop.plain, "20", "5.65"))

    doc = ship(shop, order, item(line_of(order), "20"))

    assert list(doc.lines.values_list("lot__lot_number", "quantity", "cost")) == [("", D("20"), D("50.00"))]


def test_a_chosen_expired_lot_is_refused_naming_lot_and_expiry(shop: Shop) -> None:
    put_in(shop, "20", "8.00", "GOOD", expiry=days(300))
    put_in(shop, "5", "8.00", "OLD", expiry=days(-1))
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), "3", lot=lot("OLD")))

    assert (refusal.code, refusal.field, refusal.message) == (
        "lot_expired",
        "lines.0.lot",
        f"第 1 行：批次 OLD（ZS001）已于 {days(-1).isoformat()} 过期，不能发给客户。",
    )


def test_first_expiry_first_out_never_takes_an_expired_lot(shop: Shop) -> None:
    put_in(shop, "5", "8.00", "OLD", expiry=days(-1))
    put_in(shop, "10", "8.00", "GOOD", expiry=days(300))
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    doc = ship(shop, order, item(line_of(order), "10"))

    assert list(doc.lines.values_list("lot__lot_number", "quantity")) == [("GOOD", D("10"))]
    assert on_lot(shop, "OLD") == D("5")


def test_a_lot_that_expired_since_approval_leaves_nothing_to_ship(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1", expiry=days(5))
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    Lot.objects.filter(lot_number="L1").update(expiry_date=days(-1))  # time passed

    refusal = refused(shop, order, item(line_of(order), "10"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "insufficient_stock",
        "lines.0.quantity",
        "第 1 行：库存不足：ZS001 一次性使用无菌注射器 在 北京主仓 需要 10，可用 0。",
    )


def test_a_lot_of_another_product_or_an_unknown_lot_number_is_refused(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1")
    put_in(shop, "10", "2.50", product=shop.plain)
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    other_lot = lot("", shop.plain)

    wrong = refused(shop, order, item(line_of(order), "1", lot=other_lot))
    unknown = refused(shop, order, item(line_of(order), "1", lot_number="NOPE"))

    assert (wrong.code, wrong.field, wrong.message) == (
        "invalid",
        "lines.0.lot",
        "第 1 行：批次不属于这个商品。",
    )
    assert (unknown.code, unknown.field, unknown.message) == (
        "invalid",
        "lines.0.lot",
        "第 1 行：批号 NOPE 不存在。",
    )


def test_a_chosen_lot_without_enough_stock_is_refused_on_its_line(shop: Shop) -> None:
    put_in(shop, "3", "8.00", "SMALL", expiry=days(100))
    put_in(shop, "20", "8.00", "BIG", expiry=days(400))
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), "5", lot=lot("SMALL")))

    assert (refusal.code, refusal.field, refusal.message) == (
        "insufficient_stock",
        "lines.0.lot",
        "第 1 行：批次 SMALL（ZS001）只有 3，需要 5。",
    )


# Refusals ---------------------------------------------------------------------------------------------


def test_shipping_more_than_is_open_is_refused_and_changes_nothing(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "30", "22.60"))
    ship(shop, order, item(line_of(order), "25"))

    refusal = refused(shop, order, item(line_of(order), "6"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_shipment",
        "lines.0.quantity",
        "第 1 行：ZS001 本次发货 6，超过未发货数量 5。",
    )
    assert line_of(order).shipped_quantity == D("25")
    assert level(shop) == (D("75"), D("5"), D("600.00"))


def test_two_rows_of_one_line_together_above_the_open_quantity_are_refused(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), "6"), item(line_of(order), "5"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "over_shipment",
        "lines.1.quantity",
        "第 2 行：ZS001 本次发货 11，超过未发货数量 10。",
    )


def test_a_completed_order_refuses_more_as_over_shipment(shop: Shop) -> None:
    put_in(shop, "10", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    ship(shop, order, item(line_of(order), "10"))

    refusal = refused(shop, order, item(line_of(order), "1"))

    assert (refusal.code, refusal.message) == (
        "over_shipment",
        "第 1 行：ZS001 本次发货 1，超过未发货数量 0。",
    )


@pytest.mark.parametrize(("status", "label"), [(Status.DRAFT, "草稿"), (Status.CANCELLED, "已作废")])
def test_an_order_that_is_not_approved_cannot_be_shipped(shop: Shop, status: str, label: str) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = draft_order(shop, Line(shop.product, "10", "22.60"), status=status)

    refusal = refused(shop, order, item(line_of(order), "1"))

    assert (refusal.code, refusal.message) == (
        "invalid_state",
        f"销售订单 {order.number} 当前状态为“{label}”，不能发货。",
    )


def test_a_submitted_order_cannot_be_shipped(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = draft_order(shop, Line(shop.product, "10", "22.60"), status=Status.SUBMITTED)

    assert refused(shop, order, item(line_of(order), "1")).code == "invalid_state"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "请至少填写一行发货数量。"),
        ("-1", "第 1 行：数量必须大于零，最多四位小数。"),
        ("1.00001", "第 1 行：数量必须大于零，最多四位小数。"),
    ],
)
def test_quantities_must_be_positive_with_at_most_four_decimals(
    shop: Shop, quantity: str, message: str
) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), quantity))

    assert (refusal.code, refusal.message) == ("invalid", message)


def test_a_line_of_another_order_is_refused(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    other = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(other), "1"))

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "lines.0.line",
        "第 1 行：不是这张订单的明细。",
    )


def test_the_shipping_date_may_not_be_in_the_future_or_before_the_order(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"), order_date=days(-3))

    future = refused(shop, order, item(line_of(order), "1"), shipped_on=days(1))
    early = refused(shop, order, item(line_of(order), "1"), shipped_on=days(-4))
    doc = ship(shop, order, item(line_of(order), "1"), shipped_on=days(-3))

    assert (future.code, future.field, future.message) == ("invalid", "shipped_on", "发货日期不能晚于今天。")
    assert (early.field, early.message) == (
        "shipped_on",
        f"发货日期不能早于订单日期 {days(-3).isoformat()}。",
    )
    assert doc.shipped_on == days(-3)


def test_a_tracking_number_longer_than_the_field_is_refused(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), "1"), tracking_number="9" * 101)

    assert (refusal.code, refusal.field, refusal.message) == (
        "invalid",
        "tracking_number",
        "运单号最多 100 个字。",
    )


# Permissions and scope ---------------------------------------------------------------------------------


def test_a_salesperson_cannot_ship_and_logistics_can(shop: Shop) -> None:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"))

    refusal = refused(shop, order, item(line_of(order), "1"), actor=shop.rep)
    ship(shop, order, item(line_of(order), "1"), actor=shop.keeper2)

    assert (refusal.code, refusal.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert line_of(order).shipped_quantity == D("1")


def test_shipments_are_read_through_the_orders_scope(shop: Shop, company: Company) -> None:
    put_in(shop, "100", "8.00", "L1")
    mine = approved_order(shop, Line(shop.product, "10", "22.60"))
    theirs = approved_order(
        shop, Line(shop.product, "10", "22.60"), owner=company.rep_b1, customer=shop.other_customer
    )
    a = ship(shop, mine, item(line_of(mine), "2"))
    b = ship(shop, theirs, item(line_of(theirs), "3"))

    assert list(selectors.shipments(company.rep_a1.user)) == [a]
    assert list(selectors.shipments(company.rep_b1.user)) == [b]
    assert set(selectors.shipments(company.manager_a.user)) == {a}
    assert set(selectors.shipments(company.sales_head.user)) == {a, b}
    assert set(selectors.shipments(shop.keeper.user)) == {a, b}
    assert set(selectors.shipments(company.finance_clerk.user)) == {a, b}
    assert selectors.shipment(company.rep_a1.user, a.pk) == a
    with pytest.raises(NotFoundInScope):
        selectors.shipment(company.rep_a1.user, b.pk)
    with pytest.raises(NotFoundInScope):
        selectors.shipment(company.rep_a1.user, 999_999)
    assert list(selectors.shipments(shop.keeper.user, search="上海瑞金")) == [b]
    assert list(selectors.shipments(shop.keeper.user, order=mine)) == [a]
    assert [(r.lot.lot_number, r.quantity) for r in selectors.shipment_lines(a)] == [("L1", D("2"))]


# Delivery ------------------------------------------------------------------------------------------------


def shipped(shop: Shop, **kw: Any) -> Shipment:
    put_in(shop, "100", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "10", "22.60"), order_date=days(-5))
    return ship(shop, order, item(line_of(order), "4"), **kw)


def test_delivery_is_confirmed_with_the_day_and_the_signer(shop: Shop) -> None:
    doc = shipped(shop, shipped_on=days(-2))

    shipments.deliver_shipment(doc, actor=shop.keeper, delivered_on=days(-1), signed_by="  王护士长 ")

    doc.refresh_from_db()
    assert (doc.status, doc.delivered_on, doc.signed_by) == (Status.DONE, days(-1), "王护士长")
    entry = AuditEntry.objects.filter(action="deliver", object_id=str(doc.pk)).get()
    assert entry.changes == {
        "status": ["执行中", "已完成"],
        "delivered_on": [None, days(-1).isoformat()],
        "signed_by": [None, "王护士长"],
    }


def test_delivery_defaults_to_today(shop: Shop) -> None:
    doc = shipped(shop)

    shipments.deliver_shipment(doc, actor=shop.keeper)

    assert (doc.status, doc.delivered_on) == (Status.DONE, today())


def test_a_delivered_shipment_cannot_be_delivered_again(shop: Shop) -> None:
    doc = shipped(shop)
    shipments.deliver_shipment(doc, actor=shop.keeper)

    with unchanged(), pytest.raises(DomainError) as refusal:
        shipments.deliver_shipment(doc, actor=shop.keeper)

    assert (refusal.value.code, refusal.value.message) == (
        "invalid_state",
        f"发货单 {doc.number} 当前状态为“已完成”，不能确认签收。",
    )


@pytest.mark.parametrize(
    ("offset", "message"), [(1, "签收日期不能晚于今天。"), (-3, "签收日期不能早于发货日期 {shipped}。")]
)
def test_the_delivery_day_lies_between_shipping_and_today(shop: Shop, offset: int, message: str) -> None:
    doc = shipped(shop, shipped_on=days(-2))

    with unchanged(), pytest.raises(DomainError) as refusal:
        shipments.deliver_shipment(doc, actor=shop.keeper, delivered_on=days(offset))

    assert (refusal.value.code, refusal.value.field, refusal.value.message) == (
        "invalid",
        "delivered_on",
        message.format(shipped=days(-2).isoformat()),
    )


def test_a_salesperson_cannot_confirm_delivery(shop: Shop) -> None:
    doc = shipped(shop)

    with unchanged(), pytest.raises(DomainError) as refusal:
        shipments.deliver_shipment(doc, actor=shop.rep)

    assert refusal.value.code == "permission_denied"


# Logistics' queue and the lot trace ----------------------------------------------------------------------


def test_the_list_to_ship_has_open_orders_oldest_delivery_date_first(shop: Shop, company: Company) -> None:
    put_in(shop, "100", "8.00", "L1")
    later = approved_order(shop, Line(shop.product, "5", "22.60"), delivery_date=days(5))
    undated = approved_order(shop, Line(shop.product, "5", "22.60"))
    sooner = approved_order(
        shop,
        Line(shop.product, "5", "22.60"),
        delivery_date=days(-1),
        owner=company.rep_b1,
        customer=shop.other_customer,
    )
    partly = approved_order(shop, Line(shop.product, "5", "22.60"), delivery_date=days(2))
    ship(shop, partly, item(line_of(partly), "2"))
    done = approved_order(shop, Line(shop.product, "5", "22.60"), delivery_date=days(-9))
    ship(shop, done, item(line_of(done), "5"))
    draft_order(shop, Line(shop.product, "5", "22.60"))

    queue = list(selectors.to_ship(shop.keeper.user))

    assert queue == [sooner, partly, later, undated]
    assert [o.open_lines for o in queue] == [1, 1, 1, 1]
    assert list(selectors.to_ship_today(shop.keeper.user)) == [sooner, undated]
    assert list(selectors.to_ship(company.rep_a1.user)) == [partly, later, undated]


def test_the_lot_trace_names_the_customers_who_received_a_lot(shop: Shop, company: Company) -> None:
    put_in(shop, "100", "8.00", "L1", expiry=days(100))
    put_in(shop, "100", "8.00", "L2", expiry=days(200))
    mine = approved_order(shop, Line(shop.product, "30", "22.60"))
    theirs = approved_order(
        shop, Line(shop.product, "95", "22.60"), owner=company.rep_b1, customer=shop.other_customer
    )
    a1 = ship(shop, mine, item(line_of(mine), "10"))
    b1 = ship(shop, theirs, item(line_of(theirs), "95"))  # the 90 left of L1, then 5 of L2
    a2 = ship(shop, mine, item(line_of(mine), "3"))  # L1 is empty: from L2

    trace = selectors.lot_customers(shop.keeper.user, lot("L1"))

    assert [(c.customer, c.shipped, c.returned, c.kept, c.shipments) for c in trace] == [
        ("北京协和医院", D("10"), D("0"), D("10"), (a1.number,)),
        ("上海瑞金医院", D("90"), D("0"), D("90"), (b1.number,)),
    ]
    assert [c.customer for c in selectors.lot_customers(company.rep_a1.user, lot("L1"))] == ["北京协和医院"]
    assert [r.shipment for r in selectors.lot_shipments(shop.keeper.user, lot("L2"))] == [b1, a2]
    assert selectors.shipment_customers(shop.keeper.user, [a1.pk, b1.pk]) == {
        a1.pk: "北京协和医院",
        b1.pk: "上海瑞金医院",
    }
    assert selectors.shipment_customers(company.rep_a1.user, [a1.pk, b1.pk]) == {a1.pk: "北京协和医院"}
