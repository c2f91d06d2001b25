"""No deadlock reaching a user (issue 8, part 2): orders whose lines name a few hot products in
random order are approved, shipped and cancelled all at once, in process on PostgreSQL (threads,
each with its own connection) and through the HTTP API against gunicorn with several workers on
SQLite and on PostgreSQL. Every call ends in success or a clean business refusal (a `DomainError`;
over HTTP a 409 with its code), never a database error, a 500, a deadlock or a lock timeout; an
order is never both shipped and cancelled; and afterwards every ledger agrees: stock balances and
levels with their moves and reservations, each order's open reservation with what it has left to
ship, the receivables with their allocations."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import transaction

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import selectors as finance_selectors
from maoyi.inventory import selectors as stock_selectors
from maoyi.inventory.models import Reservation, ReservationStatus, StockLevel
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, Shipment
from maoyi.sales.services import orders, shipments
from tests.catalog.builders import make_product
from tests.conftest import Company
from tests.reliability.conftest import Tally, assert_no_tracebacks, race
from tests.reliability.server import FULL, Api, AppServer, Outcomes, in_threads, token_for
from tests.sales.order_builders import Desk, approved, build_desk, line, put_stock, submitted

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 64 if FULL else 24
CLIENTS = 16 if FULL else 8
STOCK = "30"  # per hot product: tight, so some approvals are refused for stock
REFUSALS = {"insufficient_stock", "invalid_state", "has_downstream", "over_shipment"}
CANCEL_REASON = "客户取消"


@dataclass(frozen=True)
class Job:
    kind: str  # approve, ship or cancel
    order_pk: int
    lines: tuple[tuple[int, D], ...] = ()  # ship: (order line id, quantity)


@dataclass
class Plan:
    desk: Desk
    order_pks: list[int]
    jobs: list[Job]


@dataclass
class Results:
    """(job, outcome) per call: "ok" or a refusal's code; anything else in `unexpected`."""

    done: list[tuple[Job, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, job: Job, outcome: str) -> None:
        with self.lock:
            self.done.append((job, outcome))

    def counts(self) -> Counter[str]:
        return Counter(f"{job.kind} {outcome}" for job, outcome in self.done)


def prepare(company: Company, seed: int = 8) -> Plan:
    """Four hot products (two lot-tracked); ORDERS orders of two to four lines naming them in a
    random order, half approved (to be shipped, some also cancelled at the same moment), half
    submitted (to be approved, some also cancelled or shipped at the same moment)."""
    rng = random.Random(seed)
    with transaction.atomic():
        desk = build_desk(company)
        extra = [
            make_product("P101", "输液器", sale_price="11.30", lot_tracked=True),
            make_product("P102", "医用胶带", sale_price="11.30", lot_tracked=False),
        ]
        hot = [desk.gloves, desk.masks, *extra]
        for product in hot:
            put_stock(desk, product, STOCK)
        jobs: list[Job] = []
        pks: list[int] = []
        for n in range(ORDERS):
            chosen = rng.sample(hot, rng.choice([2, 3, 4]))
            lines = [line(product, str(rng.randint(1, 3)), "11.30") for product in chosen]
            order = approved(desk, *lines) if n % 2 == 0 else submitted(desk, *lines)
            pks.append(order.pk)
            to_ship = tuple((ol.pk, ol.quantity) for ol in order.lines.order_by("?"))
            if n % 2 == 0:
                jobs.append(Job("ship", order.pk, to_ship))
                if n % 4 == 0:
                    jobs.append(Job("cancel", order.pk))
            else:
                jobs.append(Job("approve", order.pk))
                if n % 4 == 1:
                    jobs.append(Job("cancel", order.pk))
                if n % 4 == 3:
                    jobs.append(Job("ship", order.pk, to_ship))
    rng.shuffle(jobs)
    return Plan(desk, pks, jobs)


def assert_consistent(plan: Plan, results: Results) -> None:
    """Every job answered once, with success or a business refusal; no order both shipped and
    cancelled; each order's open reservation is exactly what it has left to ship (nothing once
    cancelled or done); every stock and money invariant holds."""
    assert results.unexpected == []
    assert len(results.done) == len(plan.jobs)
    assert {outcome for _job, outcome in results.done} <= {"ok", *REFUSALS}
    succeeded: dict[int, set[str]] = defaultdict(set)
    for job, outcome in results.done:
        if outcome == "ok":
            succeeded[job.order_pk].add(job.kind)
    assert [pk for pk, kinds in succeeded.items() if {"ship", "cancel"} <= kinds] == []
    for order in SalesOrder.objects.filter(pk__in=plan.order_pks).prefetch_related("lines"):
        kinds = succeeded[order.pk]
        held: dict[int, D] = defaultdict(D)
        for reservation in Reservation.objects.filter(
            source_type=SalesOrder.DOCUMENT_TYPE, source_id=order.pk, status=ReservationStatus.OPEN
        ):
            held[reservation.product_id] += reservation.quantity
        if order.status in (Status.APPROVED, Status.IN_PROGRESS):
            expected = {ol.product_id: ol.open_quantity for ol in order.lines.all() if ol.open_quantity > 0}
        else:
            expected = {}
        assert {p: q for p, q in held.items() if q} == expected, order.number
        if "ship" in kinds:
            assert order.status == Status.DONE, order.number
            assert all(ol.shipped_quantity == ol.quantity for ol in order.lines.all())
        else:
            assert not Shipment.objects.filter(order=order).exists(), order.number
        if "cancel" in kinds:
            assert order.status == Status.CANCELLED, order.number
    assert all(lvl.on_hand >= lvl.reserved >= 0 for lvl in StockLevel.objects.all())
    assert stock_selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []


# In process (PostgreSQL) ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_approve_ship_and_cancel_at_once_in_threads_never_deadlock_and_keep_the_ledgers(
    company: Company,
) -> None:
    plan = prepare(company)
    desk = plan.desk
    people = {"approve": desk.manager.pk, "ship": desk.keeper.pk, "cancel": desk.rep.pk}
    results = Results()
    tally = Tally()

    def call(job: Job, actor: Employee) -> None:
        order = SalesOrder.objects.get(pk=job.order_pk)
        if job.kind == "approve":
            orders.approve_order(order, actor=actor)
        elif job.kind == "cancel":
            orders.cancel_order(order, actor=actor, reason=CANCEL_REASON)
        else:
            lines = [shipments.ShipmentLineInput(pk, quantity) for pk, quantity in job.lines]
            shipments.ship_order(order, actor=actor, lines=lines, carrier="顺丰速运")

    def work(index: int, actors: dict[int, Employee]) -> None:
        for job in plan.jobs[index::CLIENTS]:
            try:
                call(job, actors[people[job.kind]])
            except DomainError as refusal:
                results.add(job, refusal.code)
            except Exception as exc:  # a deadlock, a lock timeout, any database error
                with results.lock:
                    results.unexpected.append(f"{job}: {exc!r}")
            else:
                results.add(job, "ok")

    seconds = race(CLIENTS, work, tally, list(people.values()))

    print(f"FIGURE deadlock_threads jobs={len(plan.jobs)} {dict(results.counts())} seconds={seconds:.2f}")
    assert tally.errors == []
    assert_consistent(plan, results)
    assert results.counts()["approve ok"] > 0 and results.counts()["ship ok"] > 0


# Through HTTP (gunicorn, several workers; SQLite and PostgreSQL) ------------------------------------------


def run_over_http(plan: Plan, servers: list[AppServer]) -> Results:
    desk = plan.desk
    tokens = {
        "approve": token_for(desk.manager),
        "ship": token_for(desk.keeper),
        "cancel": token_for(desk.rep),
    }
    apis = {kind: [Api(server.url, token) for server in servers] for kind, token in tokens.items()}
    results = Results()
    outcomes = Outcomes()

    def job_call(n: int, job: Job) -> Callable[[], None]:
        def call() -> None:
            api = apis[job.kind][n % len(servers)]
            if job.kind == "ship":
                payload = {
                    "lines": [{"line": pk, "quantity": str(quantity)} for pk, quantity in job.lines],
                    "carrier": "顺丰速运",
                }
                answer = api.post(f"sales-orders/{job.order_pk}/ship/", payload)
                success = 201
            else:
                payload = {"reason": CANCEL_REASON} if job.kind == "cancel" else {}
                answer = api.post(f"sales-orders/{job.order_pk}/{job.kind}/", payload)
                success = 200
            if answer.status == success:
                results.add(job, "ok")
            elif answer.status == 409 and answer.code in REFUSALS:
                results.add(job, answer.code)
            else:
                with results.lock:
                    results.unexpected.append(f"{job}: {answer.status} {answer.body!r}"[:2000])

        return call

    in_threads(CLIENTS, [job_call(n, job) for n, job in enumerate(plan.jobs)], outcomes)
    assert outcomes.errors == []
    return results


def test_approve_ship_and_cancel_at_once_over_http_never_answer_500_and_keep_the_ledgers(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    plan = prepare(company)
    server = app_servers(workers=4)

    results = run_over_http(plan, [server])

    print(f"FIGURE deadlock_http jobs={len(plan.jobs)} {dict(results.counts())}")
    assert_consistent(plan, results)
    assert results.counts()["approve ok"] > 0 and results.counts()["ship ok"] > 0
    assert_no_tracebacks(server)
