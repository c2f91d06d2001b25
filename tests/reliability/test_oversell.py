"""No oversell (issue 8, part 2): approvals racing for the same stock reserve exactly what there is.

In process on PostgreSQL (threads, each with its own connection), and through the HTTP API against
gunicorn with several worker processes on SQLite and on PostgreSQL: 20 orders of 10 on a stock of
100 → exactly 10 approved and 10 refused `insufficient_stock`; single-unit orders from many clients
on a small stock → exactly the stock approved. Reservations, levels and receivables agree
afterwards. The issue's full counts (400 single-unit orders from 16 clients on 100) run in process
on PostgreSQL always, and through HTTP with MAOYI_RELIABILITY_FULL=1 (make bench)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum

from maoyi.core.documents import Status
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Obligation
from maoyi.inventory import selectors as stock_selectors
from maoyi.inventory.models import Reservation, ReservationStatus, StockLevel
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder
from maoyi.sales.services import orders
from tests.conftest import Company
from tests.reliability.conftest import Tally, assert_no_tracebacks, race
from tests.reliability.server import FULL, Api, AppServer, Outcomes, in_threads, token_for
from tests.sales.order_builders import Desk, build_desk, level, line, put_stock, submitted

pytestmark = pytest.mark.django_db(transaction=True)

SINGLE_HTTP = (400, 100, 16) if FULL else (120, 30, 8)  # (orders, stock, clients)


@dataclass
class Race:
    desk: Desk
    pending: list[SalesOrder]
    stock: int
    quantity: int


def prepare(company: Company, orders_count: int, quantity: int, stock: int) -> Race:
    """`orders_count` submitted orders of `quantity` gloves each (rep_a1's 协和, to manager_a) on
    `stock` gloves in the main warehouse."""
    with transaction.atomic():  # one commit: the setup is not what is measured
        desk = build_desk(company)
        put_stock(desk, desk.gloves, str(stock))
        pending = [submitted(desk, line(desk.gloves, str(quantity), "11.30")) for _n in range(orders_count)]
    return Race(desk, pending, stock, quantity)


def shortage(quantity: int) -> str:
    return f"库存不足：P001 医用手套 在 北京主仓 需要 {quantity}，可用 0。"


def assert_exactly_the_stock_was_reserved(setup: Race) -> None:
    """stock / quantity orders approved, the rest still submitted; reserved = on hand = the stock;
    one receivable per approved order; every ledger invariant holds."""
    desk, approved_count = setup.desk, setup.stock // setup.quantity
    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    assert statuses == Counter(
        {Status.APPROVED: approved_count, Status.SUBMITTED: len(setup.pending) - approved_count}
    )
    assert level(desk.gloves, desk.main) == (D(setup.stock), D(setup.stock))
    held = Reservation.objects.filter(status=ReservationStatus.OPEN).aggregate(total=Sum("quantity"))["total"]
    assert held == D(setup.stock)
    approved_ids = set(SalesOrder.objects.filter(status=Status.APPROVED).values_list("pk", flat=True))
    assert set(Reservation.objects.values_list("source_id", flat=True)) == approved_ids
    receivables = Obligation.objects.filter(source_type="sales_order")
    assert receivables.count() == approved_count
    assert set(receivables.values_list("source_id", flat=True)) == approved_ids
    assert all(lvl.on_hand >= lvl.reserved >= 0 for lvl in StockLevel.objects.all())
    assert stock_selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []


# In process (PostgreSQL) -----------------------------------------------------------------------------


def approve_in_threads(setup: Race, threads: int) -> Tally:
    tally = Tally()
    manager_pk = setup.desk.manager.pk
    ids = [order.pk for order in setup.pending]

    def work(index: int, actors: dict[int, Employee]) -> None:
        manager = actors[manager_pk]
        for pk in ids[index::threads]:
            order = SalesOrder.objects.get(pk=pk)

            def approve(order: SalesOrder = order) -> object:
                return orders.approve_order(order, actor=manager)

            tally.run(approve, "approved")

    seconds = race(threads, work, tally, [manager_pk])
    print(
        f"FIGURE oversell_threads orders={len(ids)} threads={threads} {dict(tally.outcomes)} "
        f"seconds={seconds:.2f}"
    )
    return tally


@pytest.mark.postgres
def test_twenty_orders_of_ten_on_100_approved_at_once_in_threads_exactly_ten_pass(company: Company) -> None:
    setup = prepare(company, 20, 10, 100)

    tally = approve_in_threads(setup, 20)

    assert tally.errors == []
    assert tally.outcomes == Counter({"approved": 10, "insufficient_stock": 10})
    assert tally.messages == {shortage(10)}
    assert_exactly_the_stock_was_reserved(setup)


@pytest.mark.postgres
def test_400_single_unit_orders_from_16_clients_on_100_in_threads_exactly_100_pass(company: Company) -> None:
    setup = prepare(company, 400, 1, 100)

    tally = approve_in_threads(setup, 16)

    assert tally.errors == []
    assert tally.outcomes == Counter({"approved": 100, "insufficient_stock": 300})
    assert tally.messages == {shortage(1)}
    assert_exactly_the_stock_was_reserved(setup)


# Through HTTP (gunicorn, several workers; SQLite and PostgreSQL) ------------------------------------------


def approve_over_http(setup: Race, servers: list[AppServer], clients: int) -> Outcomes:
    """Every pending order approved by manager_a through `POST /sales-orders/{id}/approve/`, the
    requests spread over `servers` in turn, from `clients` threads at once."""
    token = token_for(setup.desk.manager)
    apis = [Api(server.url, token) for server in servers]
    outcomes = Outcomes()

    def approve(n: int, pk: int) -> Callable[[], None]:
        return lambda: outcomes.add("approve", apis[n % len(apis)].post(f"sales-orders/{pk}/approve/"))

    in_threads(clients, [approve(n, order.pk) for n, order in enumerate(setup.pending)], outcomes)
    print(
        f"FIGURE oversell_http orders={len(setup.pending)} servers={len(servers)} clients={clients} "
        f"{outcomes.counts()}"
    )
    return outcomes


def assert_http_outcomes(outcomes: Outcomes, setup: Race) -> None:
    approved_count = setup.stock // setup.quantity
    assert outcomes.errors == []
    assert outcomes.counts() == {
        "200": approved_count,
        "409 insufficient_stock": len(setup.pending) - approved_count,
    }
    refusals = {a.body["detail"] for _label, a in outcomes.answers if a.status == 409}
    assert refusals == {shortage(setup.quantity)}
    approved = {a.body["id"] for _label, a in outcomes.answers if a.status == 200}
    assert {a.body["status"] for _label, a in outcomes.answers if a.status == 200} == {Status.APPROVED}
    assert approved == set(SalesOrder.objects.filter(status=Status.APPROVED).values_list("pk", flat=True))


def test_twenty_orders_of_ten_on_100_approved_at_once_over_http_exactly_ten_pass(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    setup = prepare(company, 20, 10, 100)
    server = app_servers(workers=4)

    outcomes = approve_over_http(setup, [server], clients=20)

    assert_http_outcomes(outcomes, setup)
    assert_exactly_the_stock_was_reserved(setup)
    assert_no_tracebacks(server)


def test_single_unit_orders_from_many_clients_over_http_approve_exactly_the_stock(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    orders_count, stock, clients = SINGLE_HTTP
    setup = prepare(company, orders_count, 1, stock)
    server = app_servers(workers=4)

    outcomes = approve_over_http(setup, [server], clients=clients)

    assert_http_outcomes(outcomes, setup)
    assert_exactly_the_stock_was_reserved(setup)
    assert_no_tracebacks(server)
