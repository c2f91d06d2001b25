"""Concurrent postings against the same stock. Every thread has its own database connection (closed
in `finally`) and all start together at a barrier. On PostgreSQL the product × warehouse rows are
locked in one ordered query, so racing reservations neither oversell nor deadlock; on SQLite the
IMMEDIATE write transactions queue behind the busy timeout and give the same figures."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory.errors import InsufficientStock
from maoyi.inventory.models import (
    Reservation,
    ReservationStatus,
    StockBalance,
    StockLevel,
    StockMove,
    Warehouse,
)
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from tests.conftest import IS_POSTGRES

DATABASE = "postgresql" if IS_POSTGRES else "sqlite"


@dataclass
class Shop:
    user: object
    main: Warehouse
    second: Warehouse
    products: list[Product]


@dataclass
class Tally:
    """What the threads did, counted under a lock."""

    outcomes: Counter[str] = field(default_factory=Counter)
    quantities: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str, quantity: D = D("0")) -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            self.quantities[outcome] += quantity


_numbers = iter(range(1, 1_000_000))
_numbers_lock = threading.Lock()


def new_ref(kind: str) -> DocRef:
    with _numbers_lock:
        n = next(_numbers)
    return DocRef(type=kind, id=n, number=f"C{n:06d}")


def open_shop(products: int, lots: list[tuple[str, str]]) -> Shop:
    """`products` hot products in the main warehouse, each with the given (lot, quantity) lots at 2.00."""
    user = get_user_model().objects.create_user(username="keeper", password=None)
    shop = Shop(
        user=user,
        main=Warehouse.objects.create(code="WH1", name="北京主仓"),
        second=Warehouse.objects.create(code="WH2", name="上海分仓"),
        products=[
            Product.objects.create(code=f"H{i:03d}", name=f"热销品{i}", unit="支", lot_tracked=True)
            for i in range(1, products + 1)
        ],
    )
    ledger.receive(
        [
            Incoming(p.pk, shop.main.pk, D(quantity), D("2.00"), lot)
            for p in shop.products
            for lot, quantity in lots
        ],
        source=new_ref("opening_stock"),
        actor=user,
    )
    return shop


def race(threads: int, work: Callable[[int], None], tally: Tally) -> float:
    """Run `work(index)` in `threads` threads released together; returns the seconds taken."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
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
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in pool), "a posting thread hung"
    return time.monotonic() - started


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind a Django database error (40P01 is a deadlock)."""
    cause: BaseException | None = exc
    while cause is not None:
        code = getattr(cause, "sqlstate", None)
        if code:
            return str(code)
        cause = cause.__cause__
    return None


def assert_sound() -> list[str]:
    mismatches = ledger_mismatches()
    assert mismatches == []
    assert not StockBalance.objects.filter(on_hand__lt=0).exists()
    assert not StockLevel.objects.filter(on_hand__lt=0).exists()
    assert not StockLevel.objects.filter(value__lt=0).exists()
    return mismatches


def figure(case: str, threads: int, tally: Tally, successes: str, refused: str, seconds: float) -> None:
    print(
        f"FIGURE ledger_concurrency_{case} threads={threads} successes={tally.outcomes[successes]} "
        f"refused={tally.outcomes[refused]} mismatches={len(ledger_mismatches())} "
        f"database={DATABASE} seconds={seconds:.2f}"
    )


# (a) 20 reservations of 10 against 100 --------------------------------------------------------------


def _twenty_reserve_ten(case: str) -> None:
    shop = open_shop(1, [("L1", "60"), ("L2", "40")])
    product = shop.products[0]
    tally = Tally()
    messages: set[str] = set()

    def work(_index: int) -> None:
        try:
            ledger.reserve(
                [Hold(product.pk, shop.main.pk, D("10"))], source=new_ref("sales_order"), actor=shop.user
            )
            tally.count("reserved", D("10"))
        except InsufficientStock as refusal:
            with tally.lock:
                messages.add(refusal.message)
            tally.count("refused")

    seconds = race(20, work, tally)
    figure(case, 20, tally, "reserved", "refused", seconds)
    assert tally.errors == []
    assert (tally.outcomes["reserved"], tally.outcomes["refused"]) == (10, 10)
    assert messages == {"库存不足：H001 热销品1 在 北京主仓 需要 10，可用 0。"}
    level = StockLevel.objects.get(product=product, warehouse=shop.main)
    assert (level.on_hand, level.reserved) == (D("100"), D("100"))
    assert Reservation.objects.filter(status=ReservationStatus.OPEN).count() == 10
    assert_sound()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_reserving_ten_of_a_hundred_get_exactly_ten_reservations_on_postgresql() -> None:
    _twenty_reserve_ten("reserve_race")


@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite variant; PostgreSQL has its own test")
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_reserving_ten_of_a_hundred_get_exactly_ten_reservations_on_sqlite() -> None:
    _twenty_reserve_ten("reserve_race_sqlite")


# (b) 16 threads × 25 reservations of one unit against 100 -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_hundred_one_unit_reservations_against_a_hundred_reserve_exactly_a_hundred() -> None:
    shop = open_shop(1, [("L1", "100")])
    product = shop.products[0]
    tally = Tally()

    def work(_index: int) -> None:
        for _attempt in range(25):
            try:
                ledger.reserve(
                    [Hold(product.pk, shop.main.pk, D("1"))], source=new_ref("sales_order"), actor=shop.user
                )
                tally.count("reserved", D("1"))
            except InsufficientStock:
                tally.count("refused")

    seconds = race(16, work, tally)
    figure("reserve_units", 16, tally, "reserved", "refused", seconds)
    assert tally.errors == []
    assert (tally.outcomes["reserved"], tally.outcomes["refused"]) == (100, 300)
    level = StockLevel.objects.get(product=product, warehouse=shop.main)
    assert (level.on_hand, level.reserved) == (D("100"), D("100"))
    assert Reservation.objects.aggregate(total=Sum("quantity"))["total"] == D("100")
    assert_sound()


# (c) reserve-then-ship orders and plain issues competing for too little stock ---------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_that_reserve_then_ship_and_plain_issues_never_oversell() -> None:
    # 150 in three lots for a demand of about (8 + 2) × 12 × 5.5 = 660
    shop = open_shop(1, [("L1", "60"), ("L2", "50"), ("L3", "40")])
    product, main = shop.products[0], shop.main
    tally = Tally()

    def orders(index: int) -> None:
        rng = random.Random(1000 + index)
        for _n in range(12):
            quantity = D(rng.randint(1, 10))
            order = new_ref("sales_order")
            try:
                ledger.reserve([Hold(product.pk, main.pk, quantity)], source=order, actor=shop.user)
            except InsufficientStock:
                tally.count("order_refused")
                continue
            # reserved stock is the order's: shipping it must never be refused
            ledger.issue(
                [Outgoing(product.pk, main.pk, quantity)],
                source=new_ref("sales_issue"),
                actor=shop.user,
                reservation=order,
            )
            tally.count("shipped", quantity)

    def plain(index: int) -> None:
        rng = random.Random(2000 + index)
        for _n in range(12):
            quantity = D(rng.randint(1, 10))
            try:
                ledger.issue(
                    [Outgoing(product.pk, main.pk, quantity)], source=new_ref("sales_issue"), actor=shop.user
                )
                tally.count("shipped", quantity)
            except InsufficientStock:
                tally.count("issue_refused")

    seconds = race(10, lambda i: orders(i) if i < 8 else plain(i), tally)
    refused = tally.outcomes["order_refused"] + tally.outcomes["issue_refused"]
    print(
        f"FIGURE ledger_concurrency_reserve_then_issue threads=10 successes={tally.outcomes['shipped']} "
        f"refused={refused} mismatches={len(ledger_mismatches())} database={DATABASE} seconds={seconds:.2f} "
        f"shipped_units={tally.quantities['shipped']}"
    )
    assert tally.errors == []
    level = StockLevel.objects.get(product=product, warehouse=main)
    issued = -(StockMove.objects.filter(kind="issue").aggregate(total=Sum("quantity"))["total"] or D("0"))
    assert tally.quantities["shipped"] == D("150") - level.on_hand == issued
    assert level.reserved == 0
    assert tally.outcomes["shipped"] > 0 and refused > 0  # the stock covered only part of the demand
    assert not Reservation.objects.filter(status=ReservationStatus.OPEN).exists()
    assert_sound()


# (d) multi-product orders, lines in random order, on four hot products -----------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_multi_product_postings_with_lines_in_random_order_never_surface_a_deadlock() -> None:
    shop = open_shop(4, [("L1", "80"), ("L2", "70")])
    hot = [p.pk for p in shop.products]
    main, second = shop.main.pk, shop.second.pk
    tally = Tally()

    def lines(rng: random.Random) -> list[tuple[int, D]]:
        chosen = rng.sample(hot, rng.randint(2, 4))
        if rng.random() < 0.3:
            chosen.append(rng.choice(chosen))  # the same product on two lines
        rng.shuffle(chosen)
        return [(pk, D(rng.randint(1, 6))) for pk in chosen]

    def work(index: int) -> None:
        rng = random.Random(3000 + index)
        for _n in range(10):
            action = rng.choice(["ship", "ship", "ship", "cancel", "receive", "transfer"])
            order_lines = lines(rng)
            try:
                if action in {"ship", "cancel"}:
                    order = new_ref("sales_order")
                    ledger.reserve(
                        [Hold(pk, main, q) for pk, q in order_lines], source=order, actor=shop.user
                    )
                    if action == "cancel":
                        ledger.release(order, actor=shop.user)
                    else:
                        rng.shuffle(order_lines)
                        ledger.issue(
                            [Outgoing(pk, main, q) for pk, q in order_lines],
                            source=new_ref("sales_issue"),
                            actor=shop.user,
                            reservation=order,
                        )
                elif action == "receive":
                    ledger.receive(
                        [Incoming(pk, main, q, D("2.50"), "L3") for pk, q in order_lines],
                        source=new_ref("purchase_receipt"),
                        actor=shop.user,
                    )
                else:
                    source, target = (main, second) if rng.random() < 0.6 else (second, main)
                    ledger.transfer(
                        [Outgoing(pk, source, q) for pk, q in order_lines],
                        to_warehouse_id=target,
                        source=new_ref("transfer"),
                        actor=shop.user,
                    )
                tally.count(f"{action}_done")
            except InsufficientStock:
                tally.count(f"{action}_refused")

    seconds = race(8, work, tally)
    done = sum(n for outcome, n in tally.outcomes.items() if outcome.endswith("_done"))
    refused = sum(n for outcome, n in tally.outcomes.items() if outcome.endswith("_refused"))
    deadlocks = sum(1 for exc in tally.errors if sqlstate(exc) == "40P01")
    print(
        f"FIGURE ledger_concurrency_multi_product threads=8 successes={done} refused={refused} "
        f"mismatches={len(ledger_mismatches())} database={DATABASE} seconds={seconds:.2f} "
        f"deadlocks={deadlocks} outcomes={dict(sorted(tally.outcomes.items()))}"
    )
    assert deadlocks == 0
    assert tally.errors == []
    assert done == 80 - refused and tally.outcomes["ship_done"] > 0
    assert not StockLevel.objects.filter(reserved__gt=0).exists()  # every order shipped or was cancelled
    assert_sound()


# (e) the same new lots received into different warehouses at once ----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_receipts_of_the_same_new_lots_into_different_warehouses_never_surface_a_deadlock() -> None:
    # Each thread posts to its own warehouse, so the level locks never meet; what the receipts
    # share is the new lot rows, which must be created in one order by everyone.
    shop = open_shop(2, [("L0", "1")])
    extra = [Warehouse.objects.create(code=f"WH{i}", name=f"分仓{i}") for i in range(3, 5)]
    warehouses = [shop.main.pk, shop.second.pk, *(w.pk for w in extra)]
    hot = [p.pk for p in shop.products]
    tally = Tally()
    rounds = 15
    barriers = [threading.Barrier(len(warehouses)) for _round in range(rounds)]

    def work(index: int) -> None:
        rng = random.Random(4000 + index)
        try:
            for n in range(rounds):
                lines = [(pk, f"R{n:02d}-{lot}") for pk in hot for lot in "ABC"]
                rng.shuffle(lines)
                barriers[n].wait(timeout=60)
                ledger.receive(
                    [Incoming(pk, warehouses[index], D("1"), D("1.00"), lot) for pk, lot in lines],
                    source=new_ref("purchase_receipt"),
                    actor=shop.user,
                )
                tally.count("received")
        except BaseException:
            for barrier in barriers:  # the others stop at their next round instead of waiting
                barrier.abort()
            raise

    seconds = race(len(warehouses), work, tally)
    deadlocks = sum(1 for exc in tally.errors if sqlstate(exc) == "40P01")
    print(
        f"FIGURE ledger_concurrency_same_new_lots threads={len(warehouses)} "
        f"successes={tally.outcomes['received']} refused=0 mismatches={len(ledger_mismatches())} "
        f"database={DATABASE} seconds={seconds:.2f} deadlocks={deadlocks}"
    )
    assert deadlocks == 0
    assert tally.errors == []
    assert tally.outcomes["received"] == len(warehouses) * rounds
    assert StockMove.objects.filter(kind="receipt").count() == 1 * 2 + len(warehouses) * rounds * 6
    assert_sound()
