"""Shipments racing (PostgreSQL). Every thread has its own database connection (closed in `finally`)
and its own copy of the employee, and all start together at a barrier. A shipment locks its order
row first, then the order's lines, then the stock rows in one ordered query, so two clerks shipping
the same order's last units queue on the order: one ships, the other reads what is left after the
first committed and is refused with `over_shipment`. Shipments of different orders of the same
products, and a return received while its order ships, take the locks in the same order and never
deadlock; no database error reaches the caller."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import connection

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesOrderLine, SalesReturn, Shipment, ShipmentLine
from maoyi.sales.services import returns, shipments
from tests.conftest import Company
from tests.sales.builders import (
    Line,
    approved_order,
    approved_return,
    assert_ledgers_consistent,
    back,
    build_shop,
    item,
    level,
    line_of,
    put_in,
    ship,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@dataclass
class Tally:
    """What the threads did: an outcome per call (a refusal's code), the refusal messages, and
    anything unexpected (a deadlock, a 500)."""

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


def race(work: list[tuple[int, Callable[[Employee], None]]], tally: Tally) -> None:
    """Run each `(employee pk, work)` in its own thread, released together."""
    barrier = threading.Barrier(len(work))

    def run(actor_pk: int, job: Callable[[Employee], None]) -> None:
        try:
            actor = Employee.objects.select_related("user").get(pk=actor_pk)  # its own permission cache
            barrier.wait(timeout=30)
            job(actor)
        except BaseException as exc:  # reported by the main thread
            with tally.lock:
                tally.errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=pair) for pair in work]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"


def shipper(order_pk: int, line_pk: int, quantity: str, tally: Tally) -> Callable[[Employee], None]:
    def job(actor: Employee) -> None:
        tally.run(
            lambda: shipments.ship_order(
                SalesOrder.objects.get(pk=order_pk),
                actor=actor,
                lines=[shipments.ShipmentLineInput(line_pk, D(quantity))],
            ),
            "shipped",
        )

    return job


def test_two_clerks_shipping_an_orders_last_units_at_once_one_ships_the_other_is_refused(
    company: Company,
) -> None:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    for _round in range(4):
        order = approved_order(shop, Line(shop.product, "10", "22.60"))
        ship(shop, order, item(line_of(order), "6"))
        line_pk = line_of(order).pk
        tally = Tally()

        race(
            [
                (shop.keeper.pk, shipper(order.pk, line_pk, "4", tally)),
                (shop.keeper2.pk, shipper(order.pk, line_pk, "4", tally)),
            ],
            tally,
        )

        assert tally.errors == []
        assert (tally.outcomes["shipped"], tally.outcomes["over_shipment"]) == (1, 1)
        assert tally.messages == {"第 1 行：ZS001 本次发货 4，超过未发货数量 0。"}
        order_line = SalesOrderLine.objects.get(pk=line_pk)
        in_shipments = sum((r.quantity for r in ShipmentLine.objects.filter(order_line=order_line)), D("0"))
        assert order_line.shipped_quantity == in_shipments == D("10")
        assert order_line.shipped_cost == D("80.00")
        assert SalesOrder.objects.get(pk=order.pk).status == Status.DONE
        assert Shipment.objects.filter(order=order).count() == 2
        assert_ledgers_consistent()
    assert level(shop) == (D("60"), D("0"), D("480.00"))


def test_eight_clerks_shipping_three_each_of_twenty_open_units_six_succeed(company: Company) -> None:
    shop = build_shop(company)
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    line_pk = line_of(order).pk
    tally = Tally()
    clerks = [shop.keeper.pk, shop.keeper2.pk] * 4

    race([(pk, shipper(order.pk, line_pk, "3", tally)) for pk in clerks], tally)

    assert tally.errors == []
    assert (tally.outcomes["shipped"], tally.outcomes["over_shipment"]) == (6, 2)
    assert tally.messages == {"第 1 行：ZS001 本次发货 3，超过未发货数量 2。"}
    order_line = SalesOrderLine.objects.get(pk=line_pk)
    assert (order_line.shipped_quantity, order_line.shipped_cost) == (D("18"), D("144.00"))
    assert SalesOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    assert level(shop) == (D("32"), D("2"), D("256.00"))
    assert_ledgers_consistent()


def test_shipments_of_different_orders_of_the_same_products_do_not_deadlock(company: Company) -> None:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "100", "2.50", product=shop.plain)
    orders = []
    for n in range(10):
        # half the orders list the products the other way round: the locks must not follow the lines
        pair = [Line(shop.product, "5", "22.60"), Line(shop.plain, "5", "5.65")]
        orders.append(approved_order(shop, *(pair if n % 2 else reversed(pair))))
    tally = Tally()

    def shipping(order: SalesOrder) -> Callable[[Employee], None]:
        def job(actor: Employee) -> None:
            lines = [shipments.ShipmentLineInput(line.pk, D("5")) for line in order.lines.order_by("id")]
            tally.run(
                lambda: shipments.ship_order(SalesOrder.objects.get(pk=order.pk), actor=actor, lines=lines),
                "shipped",
            )

        return job

    race([(shop.keeper.pk if n % 2 else shop.keeper2.pk, shipping(o)) for n, o in enumerate(orders)], tally)

    assert tally.errors == []
    assert tally.outcomes == Counter({"shipped": 10})
    assert SalesOrder.objects.filter(pk__in=[o.pk for o in orders], status=Status.DONE).count() == 10
    assert level(shop) == (D("50"), D("0"), D("400.00"))
    assert level(shop, shop.plain) == (D("50"), D("0"), D("125.00"))
    assert_ledgers_consistent()


def test_a_return_received_while_its_order_ships_does_not_deadlock(company: Company) -> None:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    for _round in range(3):
        order = approved_order(shop, Line(shop.product, "10", "22.60"))
        first = ship(shop, order, item(line_of(order), "5"))
        doc = approved_return(shop, order, back(first.lines.get(), "2"))
        line_pk = line_of(order).pk
        tally = Tally()

        def receive(actor: Employee, pk: int = doc.pk, tally: Tally = tally) -> None:
            tally.run(lambda: returns.receive_return(SalesReturn.objects.get(pk=pk), actor=actor), "received")

        race([(shop.keeper.pk, shipper(order.pk, line_pk, "5", tally)), (shop.keeper2.pk, receive)], tally)

        assert tally.errors == []
        assert tally.outcomes == Counter({"shipped": 1, "received": 1})
        order_line = SalesOrderLine.objects.get(pk=line_pk)
        assert (order_line.shipped_quantity, order_line.returned_quantity) == (D("10"), D("2"))
        assert (order_line.shipped_cost, order_line.returned_cost) == (D("80.00"), D("16.00"))
        assert_ledgers_consistent()
    assert level(shop) == (D("76"), D("0"), D("608.00"))
