"""Goods receipts and purchase returns racing for the same order line and lot (PostgreSQL). Every
thread has its own database connection (closed in `finally`) and its own copy of the employee, and
all start together at a barrier. A receipt locks its order before reading what is still open, so
racing receipts never take more than was ordered; a return is written under the same lock and
shipped under the line and stock locks, so nothing goes back that was not received and is not in
stock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import connection

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Obligation
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Lot, MoveKind, StockBalance, StockMove
from maoyi.inventory.services import ledger
from maoyi.org.models import Employee
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseReturn,
    PurchaseReturnLine,
)
from maoyi.purchasing.services import receipts, returns
from tests.conftest import IS_POSTGRES
from tests.purchasing.order_builders import (
    Shop,
    approved,
    approved_return,
    build_shop,
    days,
    on_hand,
    receive,
)

DATABASE = "postgresql" if IS_POSTGRES else "sqlite"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@dataclass
class Tally:
    """What the threads did, counted under a lock: an outcome per call (a refusal's code), the
    refusal messages, and anything unexpected."""

    outcomes: Counter[str] = field(default_factory=Counter)
    messages: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call: Callable[[], object], success: str) -> None:
        try:
            call()
        except DomainError as refusal:
            with self.lock:
                self.outcomes[refusal.code] += 1
                self.messages.add(refusal.message)
        else:
            with self.lock:
                self.outcomes[success] += 1


def race(threads: int, work: Callable[[int, Employee], None], tally: Tally, actor_pk: int) -> float:
    """Run `work(index, actor)` in `threads` threads released together; returns the seconds taken."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            actor = Employee.objects.select_related("user").get(pk=actor_pk)  # its own permission cache
            barrier.wait(timeout=30)
            work(index, actor)
        except BaseException as exc:  # reported by the main thread
            with tally.lock:
                tally.errors.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return time.monotonic() - started


def test_eight_receipts_of_30_racing_for_a_line_of_100_exactly_three_succeed(company) -> None:
    shop = build_shop(company)
    order = approved(shop)  # 100 × ZS001
    line_pk = order.lines.get().pk
    tally = Tally()

    def work(index: int, keeper: Employee) -> None:
        item = receipts.ReceiptLineInput(line_pk, D("30"), f"R{index}", days(-30), days(700))
        tally.run(
            lambda: receipts.receive_goods(
                PurchaseOrder.objects.get(pk=order.pk), actor=keeper, lines=[item]
            ),
            "received",
        )

    seconds = race(8, work, tally, shop.keeper.pk)
    order_line = order.lines.get()
    in_receipts = sum((r.quantity for r in GoodsReceiptLine.objects.filter(order_line=order_line)), D("0"))
    print(
        f"FIGURE receipt_races=8 successes={tally.outcomes['received']} "
        f"over_receipt={tally.outcomes['over_receipt']} "
        f"received={order_line.received_quantity.normalize():f} "
        f"on_hand={on_hand(shop).normalize():f} database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["received"], tally.outcomes["over_receipt"]) == (3, 5)
    assert tally.messages == {"第 1 行：ZS001 本次入库 30，超过未到货数量 10。"}
    assert order_line.received_quantity == in_receipts == on_hand(shop) == D("90")
    assert GoodsReceipt.objects.filter(order=order).count() == 3
    assert Lot.objects.filter(product=shop.product).count() == 3  # refused receipts left no lot behind
    assert PurchaseOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    assert stock.ledger_mismatches() == []


def _received_lot(shop: Shop) -> tuple[PurchaseOrder, Lot]:
    order = approved(shop)
    receive(shop, order, "100", "L1")
    return order, Lot.objects.get(lot_number="L1")


def _returned_within_received(order: PurchaseOrder, lot: Lot) -> None:
    """The invariants whatever the interleaving: shipped ≤ received, pending + shipped ≤ received,
    stock never negative, and every figure equals the rows it comes from."""
    order_line = order.lines.get()
    live = PurchaseReturnLine.objects.filter(order_line=order_line).exclude(
        document__status__in=(Status.CANCELLED, Status.REVERSED)
    )
    shipped = live.filter(document__status=Status.DONE)
    moved = StockMove.objects.filter(kind=MoveKind.PURCHASE_RETURN, lot=lot)
    assert order_line.returned_quantity <= order_line.received_quantity == D("100")
    assert sum((r.quantity for r in live), D("0")) <= order_line.received_quantity
    assert order_line.returned_quantity == sum((r.quantity for r in shipped), D("0"))
    assert -sum((m.quantity for m in moved), D("0")) == order_line.returned_quantity
    assert all(b.on_hand >= 0 for b in StockBalance.objects.filter(lot=lot))
    refunds = Obligation.objects.filter(direction="receivable", source_type="purchase_return").count()
    assert refunds == PurchaseReturn.objects.filter(status=Status.DONE).count()
    assert stock.ledger_mismatches() == [] and finance_selectors.ledger_mismatches() == []


def test_six_returns_of_30_written_at_once_against_a_lot_of_100_exactly_three_are_kept(company) -> None:
    shop = build_shop(company)
    order, lot = _received_lot(shop)
    tally = Tally()

    def work(_index: int, purchaser: Employee) -> None:
        item = returns.ReturnLineInput(order.lines.get().pk, lot.pk, D("30"))
        tally.run(
            lambda: returns.create_return(actor=purchaser, order=order, lines=[item], reason="质量问题"),
            "created",
        )

    seconds = race(6, work, tally, shop.purchaser.pk)
    print(
        f"FIGURE return_create_races=6 successes={tally.outcomes['created']} "
        f"over_return={tally.outcomes['over_return']} database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["created"], tally.outcomes["over_return"]) == (3, 3)
    assert tally.messages == {"第 1 行：ZS001 该批次可退 10，本次退货 30。"}
    assert PurchaseReturn.objects.count() == 3
    _returned_within_received(order, lot)


def test_six_threads_shipping_and_writing_returns_of_one_lot_never_return_more_than_received(company) -> None:
    """100 received in lot L1, of which 50 were issued elsewhere. Two approved returns of 30 wait to
    ship and only one fits in the 50 left in stock; meanwhile four threads each write a new return
    of 15 and only two fit in the 40 still returnable (100 received − 60 in the two returns)."""
    shop = build_shop(company)
    order, lot = _received_lot(shop)
    waiting = [approved_return(shop, order, "30", "L1") for _n in range(2)]
    ledger.issue(
        [ledger.Outgoing(shop.product.pk, shop.warehouse.pk, D("50"), lot_id=lot.pk)],
        source=order.ref,
        actor=shop.keeper,
        to_customer=False,
    )
    tally = Tally()
    keeper_pk, purchaser_pk = shop.keeper.pk, shop.purchaser.pk

    def work(index: int, _actor: Employee) -> None:
        if index < 2:
            keeper = Employee.objects.select_related("user").get(pk=keeper_pk)
            tally.run(lambda: returns.ship_return(waiting[index], actor=keeper), "shipped")
        else:
            purchaser = Employee.objects.select_related("user").get(pk=purchaser_pk)
            item = returns.ReturnLineInput(order.lines.get().pk, lot.pk, D("15"))
            tally.run(
                lambda: returns.create_return(actor=purchaser, order=order, lines=[item], reason="质量问题"),
                "created",
            )

    seconds = race(6, work, tally, shop.keeper.pk)
    print(
        f"FIGURE return_ship_races=6 shipped={tally.outcomes['shipped']} "
        f"insufficient_stock={tally.outcomes['insufficient_stock']} created={tally.outcomes['created']} "
        f"over_return={tally.outcomes['over_return']} database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["shipped"], tally.outcomes["insufficient_stock"]) == (1, 1)
    assert (tally.outcomes["created"], tally.outcomes["over_return"]) == (2, 2)
    assert on_hand(shop) == D("20")  # 100 − 50 issued − 30 shipped
    _returned_within_received(order, lot)
    # the return that did not fit is still approved, waiting for stock
    assert sorted(
        PurchaseReturn.objects.filter(pk__in=[w.pk for w in waiting]).values_list("status", flat=True)
    ) == [
        Status.APPROVED,
        Status.DONE,
    ]
