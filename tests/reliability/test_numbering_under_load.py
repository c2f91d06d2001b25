"""Gap-free numbering under load (issue 8, part 2). `maoyi.core.numbering` promises numbers
PREFIX + YYYYMMDD + '-' + a 4-digit serial per document type and day, taken inside the document's
own transaction (the counter row stays locked until it ends), so a creation that is refused gives
its number back: whatever the concurrency, the numbers of the documents that exist are 0001…N with
no gap and no duplicate, and the day's counter says N.

Sales orders are created from many clients at once, a quarter refused before a number is taken
(`below_min_price`); shipments of single units are posted from many clients at once, some refused
after their number was taken (they name lot L2, which holds one unit: `insufficient_stock` from the
ledger, so the transaction that took the number rolls back). In process on PostgreSQL (threads,
each with its own connection) and through the HTTP API against gunicorn on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from maoyi.core.errors import DomainError
from maoyi.core.models import DocumentSequence
from maoyi.inventory import selectors as stock_selectors
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, Shipment
from maoyi.sales.services import orders, shipments
from tests.conftest import Company
from tests.reliability.conftest import Tally, assert_no_tracebacks, race
from tests.reliability.server import FULL, Api, AppServer, Outcomes, in_threads, token_for
from tests.sales.order_builders import Desk, build_desk, days, line, put_stock

pytestmark = pytest.mark.django_db(transaction=True)

CREATES = 200 if FULL else 40  # every fourth refused before numbering
SHIPS = 64 if FULL else 16  # every fourth names lot L2 (one unit): all but one refused after numbering
CLIENTS = 16 if FULL else 8
GOOD_PRICE, BELOW_MIN = "11.30", "5.00"  # gloves: minimum sale price 10.00


@dataclass
class Counted:
    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def fail(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what[:2000])


def prepare(company: Company) -> Desk:
    """Gloves in two lots: L1 (100, first to expire, so first-expiry-first-out takes it) and L2
    (one unit)."""
    with transaction.atomic():
        desk = build_desk(company)
        put_stock(desk, desk.gloves, "100", lot="L1", expiry=days(200))
        put_stock(desk, desk.gloves, "1", lot="L2", expiry=days(300))
    return desk


def refused_create(n: int) -> bool:
    return n % 4 == 3


def named_lot(n: int) -> str:
    return "L2" if n % 4 == 0 else ""


def approve_for_shipping(desk: Desk) -> list[tuple[int, int]]:
    """SHIPS of the created orders submitted and approved: [(order id, its line id)]."""
    found = []
    with transaction.atomic():
        for order in SalesOrder.objects.order_by("pk")[:SHIPS]:
            orders.submit_order(order, actor=desk.rep)
            orders.approve_order(order, actor=desk.manager)
            found.append((order.pk, order.lines.get().pk))
    return found


def serials(model: type[SalesOrder] | type[Shipment], prefix: str) -> list[int]:
    """The serials of today's numbers, in order; every number must have today's shape."""
    today = f"{prefix}{timezone.localdate():%Y%m%d}-"
    numbers = list(model.objects.values_list("number", flat=True))
    assert all(number.startswith(today) and len(number) == len(today) + 4 for number in numbers), numbers
    return sorted(int(number[len(today) :]) for number in numbers)


def assert_gap_free(created: Counted, shipped: Counted) -> None:
    orders_made = CREATES - CREATES // 4
    l2_ships = len([n for n in range(SHIPS) if named_lot(n)])
    shipments_made = SHIPS - (l2_ships - 1)
    print(
        f"FIGURE numbering creates={dict(created.outcomes)} ships={dict(shipped.outcomes)} "
        f"orders={SalesOrder.objects.count()} shipments={Shipment.objects.count()}"
    )
    assert created.unexpected == [] and shipped.unexpected == []
    assert created.outcomes == Counter({"ok": orders_made, "below_min_price": CREATES // 4})
    assert shipped.outcomes == Counter({"ok": shipments_made, "insufficient_stock": l2_ships - 1})
    assert serials(SalesOrder, "XS") == list(range(1, orders_made + 1))
    assert serials(Shipment, "FH") == list(range(1, shipments_made + 1))
    today = timezone.localdate()
    assert DocumentSequence.objects.get(document_type="sales_order", day=today).last == orders_made
    assert DocumentSequence.objects.get(document_type="shipment", day=today).last == shipments_made
    assert stock_selectors.ledger_mismatches() == []


# In process (PostgreSQL) ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_creations_and_shipments_in_threads_are_numbered_without_gap_or_duplicate(
    company: Company,
) -> None:
    desk = prepare(company)
    created, shipped, tally = Counted(), Counted(), Tally()

    def create(index: int, actors: dict[int, Employee]) -> None:
        for n in range(index, CREATES, CLIENTS):
            price = BELOW_MIN if refused_create(n) else GOOD_PRICE
            try:
                orders.create_order(
                    actor=actors[desk.rep.pk],
                    customer=desk.xiehe,
                    warehouse=desk.main,
                    lines=[line(desk.gloves, "1", price)],
                )
            except DomainError as refusal:
                created.add(refusal.code)
            except Exception as exc:
                created.fail(repr(exc))
            else:
                created.add("ok")

    race(CLIENTS, create, tally, [desk.rep.pk])
    to_ship = approve_for_shipping(desk)

    def ship(index: int, actors: dict[int, Employee]) -> None:
        for n in range(index, SHIPS, CLIENTS):
            order_pk, line_pk = to_ship[n]
            item = shipments.ShipmentLineInput(line_pk, D("1"), lot_number=named_lot(n))
            try:
                shipments.ship_order(
                    SalesOrder.objects.get(pk=order_pk), actor=actors[desk.keeper.pk], lines=[item]
                )
            except DomainError as refusal:
                shipped.add(refusal.code)
            except Exception as exc:
                shipped.fail(repr(exc))
            else:
                shipped.add("ok")

    race(CLIENTS, ship, tally, [desk.keeper.pk])

    assert tally.errors == []
    assert_gap_free(created, shipped)


# Through HTTP (gunicorn, several workers; SQLite and PostgreSQL) ------------------------------------------


def http_outcome(counted: Counted, answer_status: int, success: int, code: str, body: object) -> None:
    if answer_status == success:
        counted.add("ok")
    elif answer_status == 409 and code:
        counted.add(code)
    else:
        counted.fail(f"{answer_status} {body!r}")


def test_concurrent_creations_and_shipments_over_http_are_numbered_without_gap_or_duplicate(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    desk = prepare(company)
    server = app_servers(workers=4)
    rep = Api(server.url, token_for(desk.rep))
    keeper = Api(server.url, token_for(desk.keeper))
    created, shipped, outcomes = Counted(), Counted(), Outcomes()

    def create(n: int) -> Callable[[], None]:
        def call() -> None:
            price = BELOW_MIN if refused_create(n) else GOOD_PRICE
            payload = {
                "customer": desk.xiehe.pk,
                "warehouse": desk.main.pk,
                "lines": [{"product": desk.gloves.pk, "quantity": "1", "unit_price": price}],
            }
            answer = rep.post("sales-orders/", payload)
            http_outcome(created, answer.status, 201, answer.code, answer.body)

        return call

    in_threads(CLIENTS, [create(n) for n in range(CREATES)], outcomes)
    to_ship = approve_for_shipping(desk)

    def ship(n: int) -> Callable[[], None]:
        def call() -> None:
            order_pk, line_pk = to_ship[n]
            payload = {"lines": [{"line": line_pk, "quantity": "1", "lot_number": named_lot(n)}]}
            answer = keeper.post(f"sales-orders/{order_pk}/ship/", payload)
            http_outcome(shipped, answer.status, 201, answer.code, answer.body)

        return call

    in_threads(CLIENTS, [ship(n) for n in range(SHIPS)], outcomes)

    assert outcomes.errors == []
    assert_gap_free(created, shipped)
    assert_no_tracebacks(server)
