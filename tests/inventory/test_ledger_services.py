"""Every ledger service on its happy path and on each refusal. Figures are computed by hand in the
comments; a refusal asserts the exact code, the exact Chinese message and that nothing changed
(moves, balances, levels, reservations and lots compared row by row before and after)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.inventory.errors import InsufficientStock, LotExpired, LotRequired
from maoyi.inventory.models import (
    Lot,
    MoveKind,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockLevel,
    StockMove,
    Warehouse,
)
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from maoyi.org.models import Employee

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


@dataclass
class World:
    syringe: Product  # lot-tracked
    mask: Product  # no lot tracking, purchase price 2.50
    bj: Warehouse
    sh: Warehouse
    actor: Employee


@pytest.fixture
def w(company) -> World:
    return World(
        syringe=Product.objects.create(code="P001", name="一次性注射器", unit="支", lot_tracked=True),
        mask=Product.objects.create(
            code="P002", name="医用口罩", unit="盒", lot_tracked=False, purchase_price=D("2.5")
        ),
        bj=Warehouse.objects.create(code="WH1", name="北京主仓"),
        sh=Warehouse.objects.create(code="WH2", name="上海分仓"),
        actor=company.admin,
    )


def ref(n: int, kind: str = "test") -> DocRef:
    return DocRef(type=kind, id=n, number=f"T{n:04d}")


def ledger_state() -> dict[str, Any]:
    """Every row the ledger writes, so a refusal can be shown to have changed nothing."""
    return {
        "counts": (
            StockMove.objects.count(),
            StockBalance.objects.count(),
            StockLevel.objects.count(),
            Reservation.objects.count(),
            Lot.objects.count(),
        ),
        "moves": list(StockMove.objects.order_by("id").values_list("id", "lot_id", "quantity", "value")),
        "balances": list(StockBalance.objects.order_by("id").values_list("id", "lot_id", "on_hand")),
        "levels": list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "reserved", "value")),
        "reservations": list(Reservation.objects.order_by("id").values_list("id", "quantity", "status")),
        "lots": list(
            Lot.objects.order_by("id").values_list("id", "lot_number", "production_date", "expiry_date")
        ),
    }


def assert_refused(
    call: Callable[[], object],
    error: type[DomainError],
    code: str,
    message: str,
    field: str | None = None,
) -> DomainError:
    before = ledger_state()
    with pytest.raises(error) as refused:
        call()
    assert refused.value.code == code
    assert refused.value.message == message
    assert refused.value.field == field
    assert ledger_state() == before
    return refused.value


def level(product: Product, warehouse: Warehouse) -> tuple[D, D, D]:
    row = StockLevel.objects.get(product=product, warehouse=warehouse)
    return row.on_hand, row.reserved, row.value


def on_lots(product: Product, warehouse: Warehouse) -> dict[str, D]:
    return {
        b.lot.lot_number: b.on_hand
        for b in StockBalance.objects.filter(product=product, warehouse=warehouse).select_related("lot")
    }


def receive(
    w: World,
    n: int,
    quantity: str,
    cost: str,
    lot: str = "",
    *,
    product: Product | None = None,
    warehouse: Warehouse | None = None,
    expiry: dt.date | None = None,
) -> StockMove:
    product = product or w.syringe
    warehouse = warehouse or w.bj
    [move] = ledger.receive(
        [Incoming(product.pk, warehouse.pk, D(quantity), D(cost), lot, expiry_date=expiry)],
        source=ref(n),
        actor=w.actor,
    )
    return move


def lot_id(product: Product, number: str) -> int:
    return Lot.objects.get(product=product, lot_number=number).pk


# receive -------------------------------------------------------------------------------------------


def test_a_receipt_creates_the_lot_the_balance_the_level_and_one_move_at_its_cost(w: World) -> None:
    [move] = ledger.receive(
        [
            Incoming(
                w.syringe.pk,
                w.bj.pk,
                D("3"),
                D("1.115"),
                " L1 ",
                production_date=dt.date(2026, 1, 1),
                expiry_date=dt.date(2028, 1, 1),
            )
        ],
        source=ref(1, "purchase_receipt"),
        actor=w.actor,
    )
    # 3 × 1.115 = 3.345, rounded half up to the cent: 3.35
    assert (move.kind, move.quantity, move.unit_cost, move.value) == (
        MoveKind.RECEIPT,
        D("3"),
        D("1.115000"),
        D("3.35"),
    )
    assert (move.source_type, move.source_id, move.source_number) == ("purchase_receipt", 1, "T0001")
    assert move.created_by == w.actor.user
    lot = Lot.objects.get()
    assert (lot.product, lot.lot_number, lot.production_date, lot.expiry_date) == (
        w.syringe,
        "L1",
        dt.date(2026, 1, 1),
        dt.date(2028, 1, 1),
    )
    assert on_lots(w.syringe, w.bj) == {"L1": D("3")}
    assert level(w.syringe, w.bj) == (D("3"), D("0"), D("3.35"))


def test_a_product_without_lot_tracking_keeps_its_stock_in_the_lot_without_a_number(w: World) -> None:
    ledger.receive(
        [Incoming(w.mask.pk, w.bj.pk, D("10"), D("2"), "IGNORED", expiry_date=dt.date(2027, 1, 1))],
        source=ref(1),
        actor=w.actor,
    )
    ledger.receive([Incoming(w.mask.pk, w.bj.pk, D("5"), D("3"))], source=ref(2), actor=w.actor)
    lot = Lot.objects.get()
    assert (lot.lot_number, lot.expiry_date, str(lot)) == ("", None, "（无批次）")
    # 10 × 2 + 5 × 3 = 35.00 for 15 units
    assert on_lots(w.mask, w.bj) == {"": D("15")}
    assert level(w.mask, w.bj) == (D("15"), D("0"), D("35.00"))


def test_a_later_receipt_fills_in_the_expiry_of_a_lot_registered_without_one(w: World) -> None:
    receive(w, 1, "2", "1", "L1")
    receive(w, 2, "2", "1", "L1", expiry=dt.date(2027, 5, 1))
    receive(w, 3, "2", "1", "L1", expiry=dt.date(2027, 5, 1))  # the same expiry again is fine
    assert Lot.objects.get().expiry_date == dt.date(2027, 5, 1)
    assert on_lots(w.syringe, w.bj) == {"L1": D("6")}


def test_a_lot_tracked_product_without_a_lot_number_is_refused(w: World) -> None:
    for blank in ("", "   "):
        assert_refused(
            lambda blank=blank: receive(w, 1, "5", "1", blank),
            LotRequired,
            "lot_required",
            "商品 P001 实行批次管理，请填写批号。",
            "lot_number",
        )
    assert StockLevel.objects.count() == 0  # the level row made under the lock was rolled back too


def test_a_negative_cost_is_refused(w: World) -> None:
    assert_refused(
        lambda: receive(w, 1, "5", "-0.01", "L1"), DomainError, "invalid", "成本不能为负数。", "unit_cost"
    )


def test_a_zero_or_negative_quantity_is_refused_everywhere(w: World) -> None:
    receive(w, 1, "5", "1", "L1")
    for quantity in (D("0"), D("-1")):
        for call in (
            lambda q=quantity: ledger.receive(
                [Incoming(w.syringe.pk, w.bj.pk, q, D("1"), "L1")], source=ref(2), actor=w.actor
            ),
            lambda q=quantity: ledger.issue(
                [Outgoing(w.syringe.pk, w.bj.pk, q)], source=ref(2), actor=w.actor, today=TODAY
            ),
            lambda q=quantity: ledger.reserve([Hold(w.syringe.pk, w.bj.pk, q)], source=ref(2), actor=w.actor),
            lambda q=quantity: ledger.transfer(
                [Outgoing(w.syringe.pk, w.bj.pk, q)], to_warehouse_id=w.sh.pk, source=ref(2), actor=w.actor
            ),
        ):
            assert_refused(call, DomainError, "invalid", "数量必须大于零。", "quantity")


def test_an_expiry_before_the_production_date_is_refused(w: World) -> None:
    assert_refused(
        lambda: ledger.receive(
            [
                Incoming(
                    w.syringe.pk,
                    w.bj.pk,
                    D("5"),
                    D("1"),
                    "L1",
                    production_date=dt.date(2026, 6, 2),
                    expiry_date=dt.date(2026, 6, 1),
                )
            ],
            source=ref(1),
            actor=w.actor,
        ),
        DomainError,
        "invalid",
        "有效期不能早于生产日期。",
        "expiry_date",
    )


def test_an_expiry_that_contradicts_the_registered_lot_is_refused(w: World) -> None:
    receive(w, 1, "5", "1", "L1", expiry=dt.date(2028, 1, 1))
    assert_refused(
        lambda: receive(w, 2, "5", "1", "L1", expiry=dt.date(2028, 6, 30)),
        DomainError,
        "invalid",
        "批号 L1 已登记的有效期为 2028-01-01，与本次填写的不一致。",
        "expiry_date",
    )


def test_a_receipt_with_one_bad_line_posts_none_of_its_lines(w: World) -> None:
    assert_refused(
        lambda: ledger.receive(
            [
                Incoming(w.mask.pk, w.bj.pk, D("5"), D("1")),  # fine on its own
                Incoming(w.syringe.pk, w.bj.pk, D("5"), D("1"), ""),  # no lot number
            ],
            source=ref(1),
            actor=w.actor,
        ),
        LotRequired,
        "lot_required",
        "商品 P001 实行批次管理，请填写批号。",
        "lot_number",
    )


# issue ---------------------------------------------------------------------------------------------


def three_lots(w: World) -> None:
    """Received out of expiry order: C (no expiry) 4 @ 8.00, A (2027-03-01) 5 @ 10.00, B (2026-12-31)
    3 @ 12.00. Level 12 units, 32.00 + 50.00 + 36.00 = 118.00."""
    receive(w, 1, "4", "8.00", "C")
    receive(w, 2, "5", "10.00", "A", expiry=dt.date(2027, 3, 1))
    receive(w, 3, "3", "12.00", "B", expiry=dt.date(2026, 12, 31))
    assert level(w.syringe, w.bj) == (D("12"), D("0"), D("118.00"))


def test_an_issue_takes_lots_first_expiry_first_out_with_the_lot_without_expiry_last(w: World) -> None:
    three_lots(w)
    moves = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("10"))], source=ref(4, "sales_issue"), actor=w.actor, today=TODAY
    )
    # The average moves by at most a rounding step as each lot part is taken:
    #   B: 3 × 118.00/12 = 29.50 exactly          → 9 units, 88.50 (average 9.833333)
    #   A: 5 × 88.50/9 = 49.1666… → 49.17        → 4 units, 39.33 (average 9.8325)
    #   C: 2 × 39.33/4 = 19.665 → 19.67 (half up) → 2 units, 19.66
    assert [(m.kind, m.lot.lot_number, m.quantity, m.unit_cost, m.value) for m in moves] == [
        (MoveKind.ISSUE, "B", D("-3"), D("9.833333"), D("-29.50")),
        (MoveKind.ISSUE, "A", D("-5"), D("9.833333"), D("-49.17")),
        (MoveKind.ISSUE, "C", D("-2"), D("9.832500"), D("-19.67")),
    ]
    assert on_lots(w.syringe, w.bj) == {"C": D("2"), "A": D("0"), "B": D("0")}
    assert level(w.syringe, w.bj) == (D("2"), D("0"), D("19.66"))
    # the issue that empties the stock takes exactly the value left
    [last] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("2"))], source=ref(5), actor=w.actor, today=TODAY
    )
    assert (last.lot.lot_number, last.quantity, last.unit_cost, last.value) == (
        "C",
        D("-2"),
        D("9.830000"),
        D("-19.66"),
    )
    assert level(w.syringe, w.bj) == (D("0"), D("0"), D("0.00"))


def test_an_issue_from_a_named_lot_takes_that_lot_even_when_another_expires_first(w: World) -> None:
    three_lots(w)
    [move] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("2"), lot_id=lot_id(w.syringe, "C"))],
        source=ref(4),
        actor=w.actor,
        today=TODAY,
    )
    # 2 × 118.00/12 = 19.666… → 19.67
    assert (move.lot.lot_number, move.quantity, move.value) == ("C", D("-2"), D("-19.67"))
    assert on_lots(w.syringe, w.bj) == {"C": D("2"), "A": D("5"), "B": D("3")}
    assert level(w.syringe, w.bj) == (D("10"), D("0"), D("98.33"))


def test_a_named_lot_and_a_first_expiry_line_of_the_same_product_share_the_stock(w: World) -> None:
    three_lots(w)
    # B expires first; naming B for 3 and asking 5 more first-expiry-first-out must take A, not
    # refuse because the unnamed line emptied B before the named one was posted.
    moves = ledger.issue(
        [
            Outgoing(w.syringe.pk, w.bj.pk, D("3"), lot_id=lot_id(w.syringe, "B")),
            Outgoing(w.syringe.pk, w.bj.pk, D("5")),
        ],
        source=ref(4),
        actor=w.actor,
        today=TODAY,
    )
    assert sorted((m.lot.lot_number, m.quantity) for m in moves) == [("A", D("-5")), ("B", D("-3"))]
    assert on_lots(w.syringe, w.bj) == {"C": D("4"), "A": D("0"), "B": D("0")}


def test_a_named_lot_with_too_little_stock_is_refused_even_when_the_product_has_enough(w: World) -> None:
    three_lots(w)
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("6"), lot_id=lot_id(w.syringe, "A"))],
            source=ref(4),
            actor=w.actor,
            today=TODAY,
        ),
        InsufficientStock,
        "insufficient_stock",
        "批次 A（P001）只有 5，需要 6。",
    )


def test_a_lot_of_another_product_is_refused(w: World) -> None:
    three_lots(w)
    receive(w, 4, "5", "1", product=w.mask)
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.mask.pk, w.bj.pk, D("1"), lot_id=lot_id(w.syringe, "A"))],
            source=ref(5),
            actor=w.actor,
            today=TODAY,
        ),
        DomainError,
        "invalid",
        "批次不属于这个商品。",
        "lot",
    )


def expired_and_good(w: World) -> None:
    """E expired on 2026-10-31: 4 @ 5.00; C without expiry: 4 @ 7.00. Level 8 units, 48.00."""
    receive(w, 1, "4", "5.00", "E", expiry=dt.date(2026, 10, 31))
    receive(w, 2, "4", "7.00", "C")


def test_a_named_expired_lot_cannot_go_to_a_customer_but_can_leave_otherwise(w: World) -> None:
    expired_and_good(w)
    expired = lot_id(w.syringe, "E")
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("1"), lot_id=expired)],
            source=ref(3),
            actor=w.actor,
            today=TODAY,
        ),
        LotExpired,
        "lot_expired",
        "批次 E（P001）已于 2026-10-31 过期，不能发给客户。",
    )
    [move] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("4"), lot_id=expired)],
        source=ref(4, "scrap"),
        actor=w.actor,
        to_customer=False,
        today=TODAY,
    )
    # 4 × 48.00/8 = 24.00
    assert (move.lot.lot_number, move.quantity, move.value) == ("E", D("-4"), D("-24.00"))
    assert level(w.syringe, w.bj) == (D("4"), D("0"), D("24.00"))


def test_first_expiry_first_out_skips_expired_lots_for_a_customer_and_takes_them_first_otherwise(
    w: World,
) -> None:
    expired_and_good(w)
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("5"))], source=ref(3), actor=w.actor, today=TODAY
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 5，可用 4。",
    )
    [to_customer] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("3"))], source=ref(4), actor=w.actor, today=TODAY
    )
    # 3 × 48.00/8 = 18.00, from C although E expires first
    assert (to_customer.lot.lot_number, to_customer.value) == ("C", D("-18.00"))
    [internal] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("3"))],
        source=ref(5),
        actor=w.actor,
        to_customer=False,
        today=TODAY,
    )
    # 3 × 30.00/5 = 18.00, from E: the earliest expiry, expired or not
    assert (internal.lot.lot_number, internal.value) == ("E", D("-18.00"))
    assert on_lots(w.syringe, w.bj) == {"E": D("1"), "C": D("1")}
    assert level(w.syringe, w.bj) == (D("2"), D("0"), D("12.00"))


def test_a_lot_is_good_through_its_expiry_date(w: World) -> None:
    receive(w, 1, "2", "1", "D", expiry=TODAY)
    [move] = ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("1"))], source=ref(2), actor=w.actor, today=TODAY
    )
    assert move.lot.lot_number == "D"
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("1"))],
            source=ref(3),
            actor=w.actor,
            today=TODAY + dt.timedelta(days=1),
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 1，可用 0。",
    )


def test_an_issue_does_not_touch_stock_reserved_for_another_document(w: World) -> None:
    receive(w, 1, "10", "3.00", "L1")
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("6"))], source=ref(2, "sales_order"), actor=w.actor)
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("5"))], source=ref(3), actor=w.actor, today=TODAY
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 5，可用 4。",
    )
    ledger.issue([Outgoing(w.syringe.pk, w.bj.pk, D("4"))], source=ref(3), actor=w.actor, today=TODAY)
    # 4 × 3.00 = 12.00 left; the reservation of T0002 is whole
    assert level(w.syringe, w.bj) == (D("6"), D("6"), D("18.00"))
    reservation = Reservation.objects.get()
    assert (reservation.quantity, reservation.status) == (D("6"), ReservationStatus.OPEN)


def test_an_issue_consumes_its_own_reservation_and_may_take_free_stock_on_top(w: World) -> None:
    receive(w, 1, "10", "3.00", "L1")
    order = ref(2, "sales_order")
    other = ref(3, "sales_order")
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("6"))], source=order, actor=w.actor)
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("3"))], source=other, actor=w.actor)
    # free for the order: 10 on hand − (9 reserved − its own 6) = 7; 8 is one too many
    assert_refused(
        lambda: ledger.issue(
            [Outgoing(w.syringe.pk, w.bj.pk, D("8"))],
            source=ref(4),
            actor=w.actor,
            reservation=order,
            today=TODAY,
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 8，可用 7。",
    )
    ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("7"))],
        source=ref(4),
        actor=w.actor,
        reservation=order,
        today=TODAY,
    )
    # 6 from the reservation, 1 from free stock: 3 on hand, 3 reserved (for the other order)
    assert level(w.syringe, w.bj) == (D("3"), D("3"), D("9.00"))
    mine = Reservation.objects.get(source_id=2)
    assert (mine.quantity, mine.original_quantity, mine.status) == (D("0"), D("6"), ReservationStatus.CLOSED)
    # a partial shipment of the other order leaves the rest of its reservation open
    ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("2"))],
        source=ref(5),
        actor=w.actor,
        reservation=other,
        today=TODAY,
    )
    theirs = Reservation.objects.get(source_id=3)
    assert (theirs.quantity, theirs.status) == (D("1"), ReservationStatus.OPEN)
    assert level(w.syringe, w.bj) == (D("1"), D("1"), D("3.00"))


def test_a_refused_issue_names_every_short_line_and_posts_none(w: World) -> None:
    receive(w, 1, "2", "1", "L1")
    receive(w, 2, "3", "1", product=w.mask)
    receive(w, 3, "1", "1", product=w.mask, warehouse=w.sh)
    assert_refused(
        lambda: ledger.issue(
            [
                Outgoing(w.mask.pk, w.bj.pk, D("2")),  # enough
                Outgoing(w.syringe.pk, w.bj.pk, D("2.5")),
                Outgoing(w.mask.pk, w.sh.pk, D("4")),
            ],
            source=ref(4),
            actor=w.actor,
            today=TODAY,
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 2.5，可用 2；"
        "P002 医用口罩 在 上海分仓 需要 4，可用 1。",
    )


# reserve and release ------------------------------------------------------------------------------


def test_reserving_holds_stock_per_product_and_warehouse_and_releasing_gives_it_back_once(w: World) -> None:
    receive(w, 1, "10", "1", "L1")
    receive(w, 2, "5", "1", product=w.mask)
    order = ref(3, "sales_order")
    made = ledger.reserve(
        [
            Hold(w.syringe.pk, w.bj.pk, D("4")),
            Hold(w.mask.pk, w.bj.pk, D("5")),
            Hold(w.syringe.pk, w.bj.pk, D("2")),  # a second line of the same product adds up
        ],
        source=order,
        actor=w.actor,
        today=TODAY,
    )
    assert sorted((r.product_id, r.quantity, r.original_quantity, r.status) for r in made) == sorted(
        [
            (w.syringe.pk, D("6"), D("6"), ReservationStatus.OPEN),
            (w.mask.pk, D("5"), D("5"), ReservationStatus.OPEN),
        ]
    )
    assert {r.source_number for r in made} == {"T0003"}
    assert level(w.syringe, w.bj) == (D("10"), D("6"), D("10.00"))
    assert level(w.mask, w.bj) == (D("5"), D("5"), D("5.00"))

    assert ledger.release(order, actor=w.actor) == D("11")
    assert level(w.syringe, w.bj) == (D("10"), D("0"), D("10.00"))
    assert level(w.mask, w.bj) == (D("5"), D("0"), D("5.00"))
    assert list(Reservation.objects.order_by("id").values_list("quantity", "status")) == [
        (D("0"), ReservationStatus.CLOSED),
        (D("0"), ReservationStatus.CLOSED),
    ]
    before = ledger_state()
    assert ledger.release(order, actor=w.actor) == D("0")  # releasing twice releases nothing more
    assert ledger_state() == before


def test_releasing_after_a_partial_shipment_gives_back_only_the_rest(w: World) -> None:
    receive(w, 1, "10", "1", "L1")
    order = ref(2, "sales_order")
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("6"))], source=order, actor=w.actor)
    ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("4"))],
        source=ref(3),
        actor=w.actor,
        reservation=order,
        today=TODAY,
    )
    assert ledger.release(order, actor=w.actor) == D("2")
    assert level(w.syringe, w.bj) == (D("6"), D("0"), D("6.00"))


def test_a_refused_reservation_names_every_short_line_and_reserves_nothing(w: World) -> None:
    receive(w, 1, "4", "1", "E", expiry=dt.date(2026, 10, 31))  # expired: not available
    receive(w, 2, "3", "1", "L1")
    receive(w, 3, "5", "1", product=w.mask)
    assert_refused(
        lambda: ledger.reserve(
            [
                Hold(w.mask.pk, w.bj.pk, D("5")),  # enough
                Hold(w.syringe.pk, w.bj.pk, D("4")),
                Hold(w.syringe.pk, w.sh.pk, D("1")),  # nothing ever in Shanghai
            ],
            source=ref(4),
            actor=w.actor,
            today=TODAY,
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 4，可用 3；"
        "P001 一次性注射器 在 上海分仓 需要 1，可用 0。",
    )


# transfer ------------------------------------------------------------------------------------------


def test_a_transfer_carries_lots_and_cost_and_the_value_out_equals_the_value_in(w: World) -> None:
    receive(w, 1, "4", "8.00", "C")
    receive(w, 2, "5", "10.00", "A", expiry=dt.date(2027, 3, 1))
    # Beijing: 9 units, 32.00 + 50.00 = 82.00
    moves = ledger.transfer(
        [Outgoing(w.syringe.pk, w.bj.pk, D("6"))],
        to_warehouse_id=w.sh.pk,
        source=ref(3, "transfer"),
        actor=w.actor,
    )
    # first expiry first: A 5 × 82.00/9 = 45.555… → 45.56, leaving 4 units, 36.44 (average 9.11)
    #                     C 1 × 36.44/4 = 9.11
    assert [(m.kind, m.warehouse_id, m.lot.lot_number, m.quantity, m.unit_cost, m.value) for m in moves] == [
        (MoveKind.TRANSFER_OUT, w.bj.pk, "A", D("-5"), D("9.111111"), D("-45.56")),
        (MoveKind.TRANSFER_OUT, w.bj.pk, "C", D("-1"), D("9.110000"), D("-9.11")),
        (MoveKind.TRANSFER_IN, w.sh.pk, "A", D("5"), D("9.111111"), D("45.56")),
        (MoveKind.TRANSFER_IN, w.sh.pk, "C", D("1"), D("9.110000"), D("9.11")),
    ]
    assert sum(m.value for m in moves) == 0
    assert level(w.syringe, w.bj) == (D("3"), D("0"), D("27.33"))
    assert level(w.syringe, w.sh) == (D("6"), D("0"), D("54.67"))
    assert on_lots(w.syringe, w.sh) == {"A": D("5"), "C": D("1")}
    # the lots keep their expiry wherever they are
    assert {b.lot.expiry_date for b in StockBalance.objects.filter(warehouse=w.sh).select_related("lot")} == {
        dt.date(2027, 3, 1),
        None,
    }


def test_a_transfer_into_a_warehouse_with_stock_averages_the_cost_there(w: World) -> None:
    receive(w, 1, "10", "4.00", product=w.mask)
    receive(w, 2, "10", "6.00", product=w.mask, warehouse=w.sh)
    ledger.transfer(
        [Outgoing(w.mask.pk, w.bj.pk, D("5"))], to_warehouse_id=w.sh.pk, source=ref(3), actor=w.actor
    )
    # Shanghai: 60.00 + 5 × 4.00 = 80.00 for 15 units
    assert level(w.mask, w.bj) == (D("5"), D("0"), D("20.00"))
    assert level(w.mask, w.sh) == (D("15"), D("0"), D("80.00"))


def test_a_transfer_leaves_reserved_stock_where_it_is(w: World) -> None:
    receive(w, 1, "10", "2.00", "L1")
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("7"))], source=ref(2, "sales_order"), actor=w.actor)
    assert_refused(
        lambda: ledger.transfer(
            [Outgoing(w.syringe.pk, w.bj.pk, D("4"))], to_warehouse_id=w.sh.pk, source=ref(3), actor=w.actor
        ),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 4，可用 3。",
    )
    ledger.transfer(
        [Outgoing(w.syringe.pk, w.bj.pk, D("3"))], to_warehouse_id=w.sh.pk, source=ref(3), actor=w.actor
    )
    assert level(w.syringe, w.bj) == (D("7"), D("7"), D("14.00"))
    assert level(w.syringe, w.sh) == (D("3"), D("0"), D("6.00"))


def test_a_transfer_may_move_an_expired_lot(w: World) -> None:
    expired_and_good(w)
    moves = ledger.transfer(
        [Outgoing(w.syringe.pk, w.bj.pk, D("4"), lot_id=lot_id(w.syringe, "E"))],
        to_warehouse_id=w.sh.pk,
        source=ref(3),
        actor=w.actor,
    )
    assert [(m.lot.lot_number, m.value) for m in moves] == [("E", D("-24.00")), ("E", D("24.00"))]


def test_a_transfer_into_the_same_warehouse_is_refused(w: World) -> None:
    receive(w, 1, "10", "2.00", "L1")
    assert_refused(
        lambda: ledger.transfer(
            [Outgoing(w.syringe.pk, w.bj.pk, D("1"))], to_warehouse_id=w.bj.pk, source=ref(2), actor=w.actor
        ),
        DomainError,
        "invalid",
        "调出和调入不能是同一个仓库。",
        "to_warehouse",
    )


# adjust --------------------------------------------------------------------------------------------


def test_a_stocktake_gain_comes_in_at_the_current_average_cost(w: World) -> None:
    receive(w, 1, "4", "8.00", "C")
    receive(w, 2, "5", "10.00", "A", expiry=dt.date(2027, 3, 1))
    move = ledger.adjust(
        product_id=w.syringe.pk,
        warehouse_id=w.bj.pk,
        lot=Lot.objects.get(lot_number="C"),
        quantity=D("2"),
        source=ref(3, "stocktake"),
        actor=w.actor,
    )
    # 82.00/9 = 9.111111…; 2 × 9.111… = 18.222… → 18.22
    assert (move.kind, move.quantity, move.unit_cost, move.value) == (
        MoveKind.STOCKTAKE_GAIN,
        D("2"),
        D("9.111111"),
        D("18.22"),
    )
    assert level(w.syringe, w.bj) == (D("11"), D("0"), D("100.22"))
    assert on_lots(w.syringe, w.bj) == {"C": D("6"), "A": D("5")}


def test_a_stocktake_gain_with_nothing_in_stock_comes_in_at_the_purchase_price(w: World) -> None:
    lot = ledger.lot_for(w.mask, "")
    move = ledger.adjust(
        product_id=w.mask.pk, warehouse_id=w.bj.pk, lot=lot, quantity=D("4"), source=ref(1), actor=w.actor
    )
    # 4 × 2.50 = 10.00
    assert (move.unit_cost, move.value) == (D("2.500000"), D("10.00"))
    ledger.issue([Outgoing(w.mask.pk, w.bj.pk, D("4"))], source=ref(2), actor=w.actor, today=TODAY)
    assert level(w.mask, w.bj) == (D("0"), D("0"), D("0.00"))
    # the level row exists but is empty: again the purchase price, not 0 / 0
    move = ledger.adjust(
        product_id=w.mask.pk, warehouse_id=w.bj.pk, lot=lot, quantity=D("1.5"), source=ref(3), actor=w.actor
    )
    assert move.value == D("3.75")
    assert level(w.mask, w.bj) == (D("1.5"), D("0"), D("3.75"))


def test_a_stocktake_loss_leaves_from_its_lot_at_the_average_cost(w: World) -> None:
    receive(w, 1, "4", "8.00", "C")
    receive(w, 2, "5", "10.00", "A", expiry=dt.date(2027, 3, 1))
    move = ledger.adjust(
        product_id=w.syringe.pk,
        warehouse_id=w.bj.pk,
        lot=Lot.objects.get(lot_number="A"),
        quantity=D("-3"),
        source=ref(3, "stocktake"),
        actor=w.actor,
    )
    # 3 × 82.00/9 = 27.333… → 27.33
    assert (move.kind, move.lot.lot_number, move.quantity, move.value) == (
        MoveKind.STOCKTAKE_LOSS,
        "A",
        D("-3"),
        D("-27.33"),
    )
    assert level(w.syringe, w.bj) == (D("6"), D("0"), D("54.67"))
    assert on_lots(w.syringe, w.bj) == {"C": D("4"), "A": D("2")}


def test_a_stocktake_loss_beyond_the_lot_or_into_reserved_stock_is_refused(w: World) -> None:
    receive(w, 1, "4", "8.00", "C")
    receive(w, 2, "5", "10.00", "A", expiry=dt.date(2027, 3, 1))
    lot_a = Lot.objects.get(lot_number="A")

    def loss(quantity: str) -> Callable[[], object]:
        return lambda: ledger.adjust(
            product_id=w.syringe.pk,
            warehouse_id=w.bj.pk,
            lot=lot_a,
            quantity=D(quantity),
            source=ref(3),
            actor=w.actor,
        )

    # lot A has 5 of the 9
    assert_refused(
        loss("-6"),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 6，可用 5。",
    )
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("7"))], source=ref(4, "sales_order"), actor=w.actor)
    # 9 − 3 = 6 would be below the 7 reserved: at most 9 − 7 = 2 may go
    assert_refused(
        loss("-3"),
        InsufficientStock,
        "insufficient_stock",
        "库存不足：P001 一次性注射器 在 北京主仓 需要 3，可用 2。",
    )
    loss("-2")()
    assert level(w.syringe, w.bj) == (D("7"), D("7"), D("63.78"))  # 82.00 − 2 × 9.111… (18.22)


def test_a_zero_stocktake_difference_is_refused(w: World) -> None:
    receive(w, 1, "4", "8.00", "C")
    assert_refused(
        lambda: ledger.adjust(
            product_id=w.syringe.pk,
            warehouse_id=w.bj.pk,
            lot=Lot.objects.get(),
            quantity=D("0"),
            source=ref(2),
            actor=w.actor,
        ),
        DomainError,
        "invalid",
        "差异为零，无需过账。",
        "quantity",
    )


# reverse (红冲) -------------------------------------------------------------------------------------


def test_reversing_a_receipt_posts_the_opposite_moves_at_the_original_cost(w: World) -> None:
    original = receive(w, 1, "10", "5.00", "L1")
    receive(w, 2, "10", "8.00", "L2")
    # 50.00 + 80.00 = 130.00 for 20 units (average 6.50)
    [reversal] = ledger.reverse(ref(1), reversal=ref(3, "stock_reversal"), actor=w.actor)
    # out at the receipt's own 5.00, not at the average 6.50
    assert (
        reversal.kind,
        reversal.lot.lot_number,
        reversal.quantity,
        reversal.unit_cost,
        reversal.value,
        reversal.reverses_id,
        reversal.source_number,
    ) == (MoveKind.REVERSAL, "L1", D("-10"), D("5.000000"), D("-50.00"), original.pk, "T0003")
    assert level(w.syringe, w.bj) == (D("10"), D("0"), D("80.00"))
    assert on_lots(w.syringe, w.bj) == {"L1": D("0"), "L2": D("10")}
    assert_refused(
        lambda: ledger.reverse(ref(1), reversal=ref(4), actor=w.actor),
        DomainError,
        "invalid_state",
        "单据 T0001 没有可红冲的库存流水。",
    )


def test_reversing_an_issue_puts_the_goods_back_at_the_cost_they_left_at(w: World) -> None:
    receive(w, 1, "10", "6.00", "L1")
    ledger.issue([Outgoing(w.syringe.pk, w.bj.pk, D("4"))], source=ref(2), actor=w.actor, today=TODAY)
    receive(w, 3, "6", "9.00", "L2")
    # 36.00 + 54.00 = 90.00 for 12 units (average 7.50); the issue left at 6.00
    [back] = ledger.reverse(ref(2), reversal=ref(4), actor=w.actor)
    assert (back.lot.lot_number, back.quantity, back.unit_cost, back.value) == (
        "L1",
        D("4"),
        D("6.000000"),
        D("24.00"),
    )
    assert level(w.syringe, w.bj) == (D("16"), D("0"), D("114.00"))


def test_a_receipt_whose_goods_have_left_cannot_be_reversed(w: World) -> None:
    receive(w, 1, "10", "5.00", "L1")
    ledger.issue([Outgoing(w.syringe.pk, w.bj.pk, D("8"))], source=ref(2), actor=w.actor, today=TODAY)
    assert_refused(
        lambda: ledger.reverse(ref(1), reversal=ref(3), actor=w.actor),
        InsufficientStock,
        "insufficient_stock",
        "货物已出库，不能红冲：P001 一次性注射器 在 北京主仓 需要 10，现存 2。",
    )


def test_a_receipt_whose_goods_are_reserved_cannot_be_reversed(w: World) -> None:
    receive(w, 1, "10", "5.00", "L1")
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("1"))], source=ref(2, "sales_order"), actor=w.actor)
    assert_refused(
        lambda: ledger.reverse(ref(1), reversal=ref(3), actor=w.actor),
        InsufficientStock,
        "insufficient_stock",
        "货物已出库，不能红冲：P001 一次性注射器 在 北京主仓 需要 10，现存 9。",
    )


def test_a_receipt_of_two_lots_is_not_reversed_into_stock_reserved_for_an_order(w: World) -> None:
    ledger.receive(
        [
            Incoming(w.syringe.pk, w.bj.pk, D("5"), D("2.00"), "L1"),
            Incoming(w.syringe.pk, w.bj.pk, D("5"), D("2.00"), "L2"),
        ],
        source=ref(1),
        actor=w.actor,
    )
    ledger.reserve([Hold(w.syringe.pk, w.bj.pk, D("5"))], source=ref(2, "sales_order"), actor=w.actor)
    # each lot alone fits in the 10 − 5 = 5 free, but together the receipt needs 10
    assert_refused(
        lambda: ledger.reverse(ref(1), reversal=ref(3), actor=w.actor),
        InsufficientStock,
        "insufficient_stock",
        "货物已出库，不能红冲：P001 一次性注射器 在 北京主仓 需要 10，现存 5。",
    )


def test_a_reversal_that_empties_the_stock_after_the_average_moved_takes_exactly_the_value_left(
    w: World,
) -> None:
    receive(w, 1, "10", "10.00", "L1")
    receive(w, 2, "10", "20.00", "L2")
    # 20 units, 300.00 (average 15.00); L2 leaves entirely at 10 × 15.00 = 150.00
    ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("10"), lot_id=lot_id(w.syringe, "L2"))],
        source=ref(3),
        actor=w.actor,
        today=TODAY,
    )
    assert level(w.syringe, w.bj) == (D("10"), D("0"), D("150.00"))
    # The receipt came in at 100.00; taking out only that would leave 50.00 without any goods.
    [reversal] = ledger.reverse(ref(1), reversal=ref(4), actor=w.actor)
    assert (reversal.quantity, reversal.unit_cost, reversal.value) == (D("-10"), D("10.000000"), D("-150.00"))
    assert level(w.syringe, w.bj) == (D("0"), D("0"), D("0.00"))


def test_a_reversal_worth_more_than_the_stock_takes_the_value_left_and_never_goes_negative(w: World) -> None:
    receive(w, 1, "5", "20.00", "L1")
    receive(w, 2, "10", "1.00", "L2")
    # 15 units, 110.00; 5 of L2 leave at 5 × 110.00/15 = 36.666… → 36.67: 10 units, 73.33
    ledger.issue(
        [Outgoing(w.syringe.pk, w.bj.pk, D("5"), lot_id=lot_id(w.syringe, "L2"))],
        source=ref(3),
        actor=w.actor,
        today=TODAY,
    )
    [reversal] = ledger.reverse(ref(1), reversal=ref(4), actor=w.actor)
    # the receipt was worth 100.00 but only 73.33 is left: the 5 units of L2 stay at zero value
    assert (reversal.quantity, reversal.value) == (D("-5"), D("-73.33"))
    assert level(w.syringe, w.bj) == (D("5"), D("0"), D("0.00"))


def test_reversing_a_transfer_brings_the_goods_back_at_the_transferred_cost(w: World) -> None:
    receive(w, 1, "9", "3.00", product=w.mask)
    ledger.transfer(
        [Outgoing(w.mask.pk, w.bj.pk, D("4"))], to_warehouse_id=w.sh.pk, source=ref(2), actor=w.actor
    )
    moves = ledger.reverse(ref(2), reversal=ref(3), actor=w.actor)
    assert sorted((m.warehouse_id, m.quantity, m.value) for m in moves) == sorted(
        [(w.sh.pk, D("-4"), D("-12.00")), (w.bj.pk, D("4"), D("12.00"))]
    )
    assert level(w.mask, w.bj) == (D("9"), D("0"), D("27.00"))
    assert level(w.mask, w.sh) == (D("0"), D("0"), D("0.00"))


# moving average over a longer story ---------------------------------------------------------------


def test_the_moving_average_over_receipts_issues_and_a_transfer_out_and_back_matches_hand_figures(
    w: World,
) -> None:
    mask, bj, sh = w.mask, w.bj, w.sh
    n = iter(range(1, 100))

    def rec(warehouse: Warehouse, quantity: str, cost: str) -> StockMove:
        return receive(w, next(n), quantity, cost, product=mask, warehouse=warehouse)

    def out(warehouse: Warehouse, quantity: str) -> D:
        moves = ledger.issue(
            [Outgoing(mask.pk, warehouse.pk, D(quantity))], source=ref(next(n)), actor=w.actor, today=TODAY
        )
        return sum((m.value for m in moves), D("0"))

    def move(source: Warehouse, target: Warehouse, quantity: str) -> D:
        moves = ledger.transfer(
            [Outgoing(mask.pk, source.pk, D(quantity))],
            to_warehouse_id=target.pk,
            source=ref(next(n)),
            actor=w.actor,
        )
        assert sum(m.value for m in moves) == 0
        return sum((m.value for m in moves if m.kind == MoveKind.TRANSFER_IN), D("0"))

    def at(warehouse: Warehouse) -> tuple[D, D]:
        on_hand, _reserved, value = level(mask, warehouse)
        return on_hand, value

    assert rec(bj, "100", "3.20").value == D("320.00")  # 100 × 3.20
    assert at(bj) == (D("100"), D("320.00"))
    assert rec(bj, "50", "3.50").value == D("175.00")  # 50 × 3.50
    assert at(bj) == (D("150"), D("495.00"))  # average 3.30
    assert out(bj, "30") == D("-99.00")  # 30 × 3.30
    assert at(bj) == (D("120"), D("396.00"))  # average still 3.30
    assert rec(bj, "40", "3.1234").value == D("124.94")  # 40 × 3.1234 = 124.936
    assert at(bj) == (D("160"), D("520.94"))  # average 3.255875
    assert out(bj, "25") == D("-81.40")  # 25 × 3.255875 = 81.396875
    assert at(bj) == (D("135"), D("439.54"))  # average 3.2558518…
    assert move(bj, sh, "35") == D("113.95")  # 35 × 439.54/135 = 113.95481…
    assert at(bj) == (D("100"), D("325.59"))
    assert at(sh) == (D("35"), D("113.95"))
    assert rec(sh, "15", "3.40").value == D("51.00")
    assert at(sh) == (D("50"), D("164.95"))  # average 3.299
    assert move(sh, bj, "20") == D("65.98")  # 20 × 3.299
    assert at(sh) == (D("30"), D("98.97"))
    assert at(bj) == (D("120"), D("391.57"))  # average 3.2630833…
    assert out(bj, "70") == D("-228.42")  # 70 × 391.57/120 = 228.4158…
    assert at(bj) == (D("50"), D("163.15"))
    assert out(sh, "30") == D("-98.97")  # empties Shanghai: exactly the value left
    assert out(bj, "50") == D("-163.15")  # empties Beijing: exactly the value left
    assert at(bj) == at(sh) == (D("0"), D("0.00"))
    # every cent that came in went out: 320.00 + 175.00 + 124.94 + 51.00 = 670.94
    #                                  = 99.00 + 81.40 + 228.42 + 98.97 + 163.15
    issued = StockMove.objects.filter(kind=MoveKind.ISSUE).values_list("value", flat=True)
    assert sum(issued, D("0")) == D("-670.94")
