"""The stock ledger as a hypothesis state machine: random sequences of receipts (one or two lines),
issues (first-expiry-first-out or from a named lot, to a customer or not, against an order's
reservation or not), reservations, releases, transfers, stocktake gains and losses, and reversals
of earlier receipts, against a plain Python model of what should be on hand per product ×
warehouse × lot and reserved per order. The model predicts every refusal; a refused call must
change nothing. After every step the invariants hold: `ledger_mismatches() == []`, 0 ≤ reserved ≤
on hand, on hand equals the model, value ≥ 0, and no value is left without stock.

Each example runs inside a savepoint that is rolled back, so examples do not leak into each other."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.inventory.models import Lot, Reservation, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from tests.conftest import IS_POSTGRES

TODAY = dt.date(2026, 11, 27)
ZERO = D("0")
# The syringe is lot-tracked: A has expired, B expires next, C never does (first-expiry-first-out
# takes A, B, C in that order, and skips A for a customer). The mask keeps everything in lot "".
LOT_EXPIRY: dict[str, dt.date | None] = {"A": dt.date(2026, 10, 31), "B": dt.date(2027, 1, 31), "C": None}
FEFO = ["A", "B", "C"]
PRODUCTS = ["syringe", "mask"]
WAREHOUSES = [0, 1]

Pair = tuple[str, int]
Key = tuple[str, int, str]

quantities = st.integers(1, 32).map(lambda q: D(q) / 4)  # 0.25 … 8, quarter units
arrivals = st.integers(1, 120).map(lambda q: D(q) / 4)  # 0.25 … 30: receipts outweigh single demands
costs = st.one_of(
    st.integers(0, 5000).map(lambda c: D(c) / 100), st.integers(0, 500_000).map(lambda c: D(c) / 10_000)
)
products = st.sampled_from(PRODUCTS)
warehouses = st.sampled_from(WAREHOUSES)
lot_names = st.sampled_from(FEFO)


@dataclass
class World:
    user: Any
    products: dict[str, Product]
    warehouses: list[Warehouse]
    lots: dict[tuple[str, str], Lot]  # (product, lot number)


def make_world() -> World:
    syringe = Product.objects.create(
        code="P001", name="一次性注射器", lot_tracked=True, purchase_price=D("3.3333")
    )
    mask = Product.objects.create(code="P002", name="医用口罩", lot_tracked=False, purchase_price=D("0.15"))
    lots = {("syringe", n): ledger.lot_for(syringe, n, expiry_date=LOT_EXPIRY[n]) for n in FEFO}
    lots[("mask", "")] = ledger.lot_for(mask, "")
    return World(
        user=get_user_model().objects.create_user(username="keeper", password=None),
        products={"syringe": syringe, "mask": mask},
        warehouses=[
            Warehouse.objects.create(code="WH1", name="北京主仓"),
            Warehouse.objects.create(code="WH2", name="上海分仓"),
        ],
        lots=lots,
    )


def expired(lot: str) -> bool:
    expiry = LOT_EXPIRY.get(lot)
    return expiry is not None and expiry < TODAY


def snapshot() -> tuple[object, ...]:
    """Every row a refused call could have touched (a new move, balance, level or reservation
    shows as a changed count or a changed list)."""
    return (
        StockMove.objects.count(),
        list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "reserved", "value")),
        list(StockBalance.objects.order_by("id").values_list("id", "on_hand")),
        list(Reservation.objects.order_by("id").values_list("id", "quantity", "status")),
    )


@dataclass
class Receipt:
    ref: DocRef
    pair: Pair
    lines: list[tuple[str, D]]
    reversed: bool = False


class LedgerMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.on_hand: defaultdict[Key, D] = defaultdict(lambda: ZERO)
        self.orders: dict[int, dict[Pair, D]] = {}  # open reservations per order
        self.receipts: list[Receipt] = []
        self.number = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # the model ------------------------------------------------------------------------------------

    def ref(self, kind: str) -> DocRef:
        self.number += 1
        return DocRef(type=kind, id=self.number, number=f"H{self.number:05d}")

    def lots_of(self, product: str) -> list[str]:
        return FEFO if product == "syringe" else [""]

    def key(self, product: str, warehouse: int, lot: str) -> Key:
        return (product, warehouse, lot if product == "syringe" else "")

    def total(self, pair: Pair, *, usable_only: bool = False) -> D:
        product, warehouse = pair
        return sum(
            (
                self.on_hand[(product, warehouse, lot)]
                for lot in self.lots_of(product)
                if not (usable_only and expired(lot))
            ),
            ZERO,
        )

    def reserved(self, pair: Pair) -> D:
        return sum((held.get(pair, ZERO) for held in self.orders.values()), ZERO)

    def pick(self, pair: Pair, quantity: D, *, skip_expired: bool) -> list[tuple[str, D]]:
        picked, left = [], quantity
        for lot in self.lots_of(pair[0]):
            if skip_expired and expired(lot):
                continue
            part = min(self.on_hand[(*pair, lot)], left)
            if part > 0:
                picked.append((lot, part))
                left -= part
        assert left == 0
        return picked

    def attempt(self, code: str | None, call: Callable[[], object], effect: Callable[[], None]) -> None:
        """Run a service call the model expects to succeed (`code` None) or to be refused with `code`."""
        if code is None:
            call()
            effect()
            self.outcomes["posted"] += 1
            return
        before = snapshot()
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == code, refused.value.message
        assert snapshot() == before
        self.outcomes[code] += 1

    def ids(self, product: str, warehouse: int) -> tuple[int, int]:
        return self.world.products[product].pk, self.world.warehouses[warehouse].pk

    # rules ----------------------------------------------------------------------------------------

    @rule(
        product=products,
        warehouse=warehouses,
        lines=st.lists(st.tuples(lot_names, arrivals, costs), min_size=1, max_size=2),
    )
    def receive(self, product: str, warehouse: int, lines: list[tuple[str, D, D]]) -> None:
        p, w = self.ids(product, warehouse)
        ref = self.ref("purchase_receipt")
        lot_lines = [(self.key(product, warehouse, lot)[2], q) for lot, q, _c in lines]

        def effect() -> None:
            for lot, q in lot_lines:
                self.on_hand[(product, warehouse, lot)] += q
            self.receipts.append(Receipt(ref, (product, warehouse), lot_lines))

        self.attempt(
            None,
            lambda: ledger.receive(
                [Incoming(p, w, q, c, lot, expiry_date=LOT_EXPIRY[lot]) for lot, q, c in lines],
                source=ref,
                actor=self.world.user,
            ),
            effect,
        )

    @rule(
        product=products,
        warehouse=warehouses,
        quantity=quantities,
        to_customer=st.booleans(),
        named=st.one_of(st.none(), lot_names),
        order=st.one_of(st.none(), st.integers(0, 30)),
    )
    def issue(
        self,
        product: str,
        warehouse: int,
        quantity: D,
        to_customer: bool,
        named: str | None,
        order: int | None,
    ) -> None:
        pair = (product, warehouse)
        p, w = self.ids(product, warehouse)
        open_orders = sorted(self.orders)
        order_id = open_orders[order % len(open_orders)] if order is not None and open_orders else None
        mine = self.orders[order_id].get(pair, ZERO) if order_id is not None else ZERO
        lot = self.key(product, warehouse, named)[2] if named is not None else None
        free = self.total(pair, usable_only=to_customer) - (self.reserved(pair) - mine)
        if lot is not None and to_customer and expired(lot):
            code: str | None = "lot_expired"
        elif quantity > free or (lot is not None and quantity > self.on_hand[(*pair, lot)]):
            code = "insufficient_stock"
        else:
            code = None

        def effect() -> None:
            if order_id is not None and mine > 0:
                self.orders[order_id][pair] = mine - min(quantity, mine)
            parts = (
                [(lot, quantity)] if lot is not None else self.pick(pair, quantity, skip_expired=to_customer)
            )
            for taken, part in parts:
                self.on_hand[(*pair, taken)] -= part

        self.attempt(
            code,
            lambda: ledger.issue(
                [
                    Outgoing(
                        p, w, quantity, lot_id=self.world.lots[(product, lot)].pk if lot is not None else None
                    )
                ],
                source=self.ref("sales_issue"),
                actor=self.world.user,
                to_customer=to_customer,
                reservation=DocRef("sales_order", order_id, f"SO{order_id}")
                if order_id is not None
                else None,
                today=TODAY,
            ),
            effect,
        )

    @rule(product=products, warehouse=warehouses, quantity=quantities)
    def reserve(self, product: str, warehouse: int, quantity: D) -> None:
        pair = (product, warehouse)
        p, w = self.ids(product, warehouse)
        free = self.total(pair, usable_only=True) - self.reserved(pair)
        ref = self.ref("sales_order")
        order = DocRef("sales_order", ref.id, f"SO{ref.id}")

        def effect() -> None:
            self.orders[ref.id] = {pair: quantity}

        self.attempt(
            "insufficient_stock" if quantity > free else None,
            lambda: ledger.reserve([Hold(p, w, quantity)], source=order, actor=self.world.user, today=TODAY),
            effect,
        )

    @rule(order=st.integers(0, 30))
    def release(self, order: int) -> None:
        if self.orders and order % 4:  # mostly an order that exists, sometimes one that never did
            order = sorted(self.orders)[order % len(self.orders)]
        else:
            order += 100_000
        expected = sum(self.orders.get(order, {}).values(), ZERO)
        released = ledger.release(DocRef("sales_order", order, f"SO{order}"), actor=self.world.user)
        assert released == expected
        if order in self.orders:
            self.orders[order] = {}
        self.outcomes["released"] += 1

    @rule(product=products, source=warehouses, quantity=quantities, named=st.one_of(st.none(), lot_names))
    def transfer(self, product: str, source: int, quantity: D, named: str | None) -> None:
        pair, target = (product, source), 1 - source
        p, w = self.ids(product, source)
        lot = self.key(product, source, named)[2] if named is not None else None
        free = self.total(pair) - self.reserved(pair)
        short = quantity > free or (lot is not None and quantity > self.on_hand[(*pair, lot)])

        def effect() -> None:
            parts = [(lot, quantity)] if lot is not None else self.pick(pair, quantity, skip_expired=False)
            for moved, part in parts:
                self.on_hand[(*pair, moved)] -= part
                self.on_hand[(product, target, moved)] += part

        self.attempt(
            "insufficient_stock" if short else None,
            lambda: ledger.transfer(
                [
                    Outgoing(
                        p, w, quantity, lot_id=self.world.lots[(product, lot)].pk if lot is not None else None
                    )
                ],
                to_warehouse_id=self.world.warehouses[target].pk,
                source=self.ref("transfer"),
                actor=self.world.user,
            ),
            effect,
        )

    @rule(product=products, warehouse=warehouses, named=lot_names, quantity=quantities, gain=st.booleans())
    def adjust(self, product: str, warehouse: int, named: str, quantity: D, gain: bool) -> None:
        key = self.key(product, warehouse, named)
        pair = (product, warehouse)
        p, w = self.ids(product, warehouse)
        difference = quantity if gain else -quantity
        short = not gain and (
            quantity > self.on_hand[key] or self.total(pair) - quantity < self.reserved(pair)
        )

        def effect() -> None:
            self.on_hand[key] += difference

        self.attempt(
            "insufficient_stock" if short else None,
            lambda: ledger.adjust(
                product_id=p,
                warehouse_id=w,
                lot=self.world.lots[(product, key[2])],
                quantity=difference,
                source=self.ref("stocktake"),
                actor=self.world.user,
            ),
            effect,
        )

    @rule(data=st.data())
    def reverse_a_receipt(self, data: st.DataObject) -> None:
        if not self.receipts:
            return
        receipt = data.draw(st.sampled_from(self.receipts))
        pair = receipt.pair
        net: defaultdict[str, D] = defaultdict(lambda: ZERO)
        for lot, q in receipt.lines:
            net[lot] += q
        room = self.total(pair) - self.reserved(pair)
        if receipt.reversed:
            code: str | None = "invalid_state"
        elif (
            any(q > min(self.on_hand[(*pair, lot)], room) for lot, q in net.items())
            or sum(net.values()) > room
        ):
            code = "insufficient_stock"
        else:
            code = None

        def effect() -> None:
            for lot, q in net.items():
                self.on_hand[(*pair, lot)] -= q
            receipt.reversed = True

        self.attempt(
            code,
            lambda: ledger.reverse(receipt.ref, reversal=self.ref("stock_reversal"), actor=self.world.user),
            effect,
        )

    # invariants -----------------------------------------------------------------------------------

    @invariant()
    def the_ledger_agrees_with_itself_and_with_the_model(self) -> None:
        assert ledger_mismatches() == []
        names = {pk: name for name, pk in ((n, p.pk) for n, p in self.world.products.items())}
        index = {w.pk: i for i, w in enumerate(self.world.warehouses)}
        for level in StockLevel.objects.all():
            pair = (names[level.product_id], index[level.warehouse_id])
            assert 0 <= level.reserved <= level.on_hand, pair
            assert level.reserved == self.reserved(pair), pair
            assert level.value >= 0, pair
            if level.on_hand == 0:
                assert level.value == 0, pair
        actual = {
            (names[p], index[w], lot): q
            for p, w, lot, q in StockBalance.objects.filter(on_hand__gt=0).values_list(
                "product_id", "warehouse_id", "lot__lot_number", "on_hand"
            )
        }
        assert actual == {key: q for key, q in self.on_hand.items() if q != 0}


@pytest.mark.django_db
def test_random_sequences_of_postings_keep_the_ledger_equal_to_a_simple_model() -> None:
    LedgerMachine.world = make_world()
    LedgerMachine.outcomes = Counter()
    started = time.monotonic()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    seconds = time.monotonic() - started
    outcomes = LedgerMachine.outcomes
    print(
        f"FIGURE ledger_properties database={'postgresql' if IS_POSTGRES else 'sqlite'} "
        f"steps={sum(outcomes.values())} posted={outcomes['posted']} released={outcomes['released']} "
        f"insufficient_stock={outcomes['insufficient_stock']} lot_expired={outcomes['lot_expired']} "
        f"invalid_state={outcomes['invalid_state']} seconds={seconds:.2f}"
    )
    assert outcomes["posted"] > 0 and outcomes["insufficient_stock"] > 0  # both paths were exercised
    assert ledger_mismatches() == []
