"""Sales orders approved at the same time (PostgreSQL). Every thread has its own database connection
(closed in `finally`) and its own copy of the approver, and all start together at a barrier.
Approval reserves under the product × warehouse row locks (taken in one ordered query), so racing
approvals never reserve more than the unexpired stock; the credit check runs under the customer's
row lock, so racing approvals for one customer never pass its limit together. Nobody sees a
deadlock: a refusal is `insufficient_stock` or `credit_limit_exceeded`, nothing else."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.crm.models import Customer
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Obligation
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Reservation, ReservationStatus, StockLevel
from maoyi.org.models import Employee
from maoyi.sales import selectors, shipping_selectors
from maoyi.sales.models import SalesOrder
from maoyi.sales.services import orders
from tests.catalog.builders import make_product
from tests.conftest import IS_POSTGRES
from tests.sales.order_builders import build_desk, level, line, put_stock, submitted

DATABASE = "postgresql" if IS_POSTGRES else "sqlite"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@dataclass
class Tally:
    """What the threads did, counted under a lock: an outcome per call (a refusal's code), the
    refusal messages, and anything unexpected (a deadlock would land here)."""

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


def _approve_all(pending: list[SalesOrder], tally: Tally, manager_pk: int) -> float:
    def work(index: int, manager: Employee) -> None:
        order = SalesOrder.objects.get(pk=pending[index].pk)
        tally.run(lambda: orders.approve_order(order, actor=manager), "approved")

    return race(len(pending), work, tally, manager_pk)


def _ledgers_hold() -> None:
    assert all(lvl.on_hand >= lvl.reserved >= 0 for lvl in StockLevel.objects.all())
    assert stock.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []


def test_twenty_orders_of_ten_approved_at_once_against_100_in_stock_exactly_ten_pass(company) -> None:
    desk = build_desk(company)
    put_stock(desk, desk.gloves, "100")
    pending = [submitted(desk, line(desk.gloves, "10", "11.30")) for _n in range(20)]
    tally = Tally()

    seconds = _approve_all(pending, tally, desk.manager.pk)

    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    held = Reservation.objects.filter(status=ReservationStatus.OPEN).aggregate(total=Sum("quantity"))["total"]
    print(
        f"FIGURE sales_approval_races=20 approved={tally.outcomes['approved']} "
        f"insufficient_stock={tally.outcomes['insufficient_stock']} "
        f"reserved={level(desk.gloves, desk.main)[1].normalize():f} database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["approved"], tally.outcomes["insufficient_stock"]) == (10, 10)
    assert tally.messages == {"库存不足：P001 医用手套 在 北京主仓 需要 10，可用 0。"}
    assert statuses == Counter({Status.APPROVED: 10, Status.SUBMITTED: 10})
    assert level(desk.gloves, desk.main) == (D("100"), D("100")) and held == D("100")
    assert Obligation.objects.filter(source_type="sales_order").count() == 10
    approved_ids = set(SalesOrder.objects.filter(status=Status.APPROVED).values_list("pk", flat=True))
    assert set(Obligation.objects.filter(source_type="sales_order").values_list("source_id", flat=True)) == (
        approved_ids
    )
    assert set(shipping_selectors.to_ship(desk.keeper.user).values_list("pk", flat=True)) == approved_ids
    _ledgers_hold()


def test_six_orders_of_one_customer_approved_at_once_never_pass_its_credit_limit_together(company) -> None:
    """Limit 3500.00, each order 1130.00: three fit (3390.00), the fourth would be 4520.00. The
    approver is a manager who may override, but gives no reason. Each order is for a product of
    its own, so only the customer's row lock keeps the approvals apart."""
    desk = build_desk(company)
    products = [make_product(f"P1{n:02d}", f"耗材{n}", sale_price="11.30") for n in range(6)]
    for product in products:
        put_stock(desk, product, "100")
    Customer.objects.filter(pk=desk.xiehe.pk).update(credit_limit=D("3500.00"))
    pending = [submitted(desk, line(product, "100", "11.30")) for product in products]
    tally = Tally()

    seconds = _approve_all(pending, tally, desk.manager.pk)

    print(
        f"FIGURE sales_credit_races=6 approved={tally.outcomes['approved']} "
        f"credit_limit_exceeded={tally.outcomes['credit_limit_exceeded']} database={DATABASE} "
        f"seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["approved"], tally.outcomes["credit_limit_exceeded"]) == (3, 3)
    assert tally.messages == {
        "客户“北京协和医院”超出信用额度：未收款 3390.00 + 本单 1130.00 = 4520.00，信用额度 3500.00。"
        "如确需审核，请填写超信用额度原因。"
    }
    assert selectors.credit_position(Customer.objects.get(pk=desk.xiehe.pk)).outstanding == D("3390.00")
    reserved = sorted(level(product, desk.main)[1] for product in products)
    assert reserved == [D("0")] * 3 + [D("100")] * 3
    _ledgers_hold()
