"""Concurrent allocations and reversals against the same receivable. Every thread has its own
database connection (closed in `finally`) and its own copy of the clerk, and all start together at
a barrier. On PostgreSQL the receivable row is locked before its outstanding amount is read, so
racing receipts never take more than is owed; a reversal racing an allocation leaves the ledger
whole whichever goes first. The SQLite variant of the main race checks the same figures through
SQLite's single writer."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.db import connection

from maoyi.core.errors import DomainError
from maoyi.finance import services
from maoyi.finance.models import Allocation, ObligationStatus, Receipt, SettlementStatus
from maoyi.finance.selectors import ledger_mismatches
from maoyi.org.models import Employee
from tests.conftest import IS_POSTGRES
from tests.finance.builders import fresh, live_allocated, make_parties, receivable, settle, to_input

DATABASE = "postgresql" if IS_POSTGRES else "sqlite"
DUE = dt.date(2026, 4, 30)
PAID_ON = dt.date(2026, 4, 10)


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


def race(threads: int, work: Callable[[int, Employee], None], tally: Tally, clerk_pk: int) -> float:
    """Run `work(index, clerk)` in `threads` threads released together; returns the seconds taken."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            clerk = Employee.objects.select_related("user").get(pk=clerk_pk)  # its own permission cache
            barrier.wait(timeout=30)
            work(index, clerk)
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


# (a) ten receipts of 100 against a receivable of 500 ------------------------------------------------


def _receipts_racing_for_one_receivable(company, threads: int) -> None:
    parties = make_parties(company)
    clerk = company.finance_clerk
    owed = receivable(clerk, parties.hospital, "500.00", DUE)
    tally = Tally()

    def work(_index: int, actor: Employee) -> None:
        tally.run(lambda: settle(actor, parties.hospital, "100.00", PAID_ON, (owed, "100.00")), "allocated")

    seconds = race(threads, work, tally, clerk.pk)
    print(
        f"FIGURE allocation_races={threads} successes={tally.outcomes['allocated']} "
        f"over_allocation={tally.outcomes['over_allocation']} mismatches={len(ledger_mismatches())} "
        f"database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert (tally.outcomes["allocated"], tally.outcomes["over_allocation"]) == (5, threads - 5)
    assert tally.messages == {f"{owed.number} 未结金额 0.00，本次核销 100.00，超出 100.00。"}
    owed = fresh(owed)
    assert (owed.allocated, owed.outstanding, owed.status) == (
        D("500.00"),
        D("0.00"),
        ObligationStatus.SETTLED,
    )
    assert live_allocated(owed) == D("500.00")
    assert Allocation.objects.count() == 5
    # a refused receipt is not recorded at all: five receipts, numbered without gaps
    assert Receipt.objects.count() == 5
    by_day: dict[str, list[int]] = {}
    for number in Receipt.objects.values_list("number", flat=True):
        day, serial = number.rsplit("-", 1)
        by_day.setdefault(day, []).append(int(serial))
    assert all(sorted(serials) == list(range(1, len(serials) + 1)) for serials in by_day.values())
    assert ledger_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_receipts_of_100_racing_for_a_receivable_of_500_exactly_five_succeed(company) -> None:
    _receipts_racing_for_one_receivable(company, 10)


@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite variant; PostgreSQL has its own test")
@pytest.mark.django_db(transaction=True)
def test_ten_receipts_of_100_racing_for_a_receivable_of_500_on_sqlite(company) -> None:
    _receipts_racing_for_one_receivable(company, 10)


# (b) reversals racing allocations ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reversals_racing_new_receipts_leave_the_ledger_whole(company) -> None:
    """500 owed, 400 of it settled by four receipts. Four threads reverse those receipts while
    eight record a new receipt of 100 each: however they interleave, what the new receipts took
    is exactly what is allocated, never more than 500, and every figure equals its allocations."""
    parties = make_parties(company)
    clerk = company.finance_clerk
    owed = receivable(clerk, parties.hospital, "500.00", DUE)
    old = [settle(clerk, parties.hospital, "100.00", PAID_ON, (owed, "100.00")) for _n in range(4)]
    tally = Tally()

    def work(index: int, actor: Employee) -> None:
        if index < 4:
            tally.run(
                lambda: services.reverse_settlement(old[index], actor=actor, reason="银行退票"), "reversed"
            )
        else:
            tally.run(
                lambda: settle(actor, parties.hospital, "100.00", PAID_ON, (owed, "100.00")), "allocated"
            )

    seconds = race(12, work, tally, clerk.pk)
    new = tally.outcomes["allocated"]
    print(
        f"FIGURE reversal_races=12 reversed={tally.outcomes['reversed']} successes={new} "
        f"over_allocation={tally.outcomes['over_allocation']} mismatches={len(ledger_mismatches())} "
        f"database={DATABASE} seconds={seconds:.2f}"
    )
    assert tally.errors == []
    assert tally.outcomes["reversed"] == 4
    assert 1 <= new <= 5 and new + tally.outcomes["over_allocation"] == 8
    owed = fresh(owed)
    assert owed.allocated == live_allocated(owed) == D("100.00") * new
    assert owed.status == (ObligationStatus.SETTLED if new == 5 else ObligationStatus.OPEN)
    assert all(fresh(s).status == SettlementStatus.REVERSED for s in old)
    assert ledger_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reversing_an_advance_while_it_is_being_allocated(company) -> None:
    """Four advances of 100, each reversed by one thread while another allocates it to the same
    receivable. Whichever goes first, the receivable ends with nothing allocated: allocated then
    reversed gives the money back; reversed first refuses the allocation (invalid_state)."""
    parties = make_parties(company)
    clerk = company.finance_clerk
    owed = receivable(clerk, parties.hospital, "500.00", DUE)
    advances = [settle(clerk, parties.hospital, "100.00", PAID_ON) for _n in range(4)]
    tally = Tally()

    def work(index: int, actor: Employee) -> None:
        advance = advances[index % 4]
        if index < 4:
            tally.run(
                lambda: services.reverse_settlement(advance, actor=actor, reason="重复录入"), "reversed"
            )
        else:
            tally.run(
                lambda: services.allocate(advance, actor=actor, allocations=[to_input(owed, "100.00")]),
                "allocated",
            )

    race(8, work, tally, clerk.pk)
    assert tally.errors == []
    assert tally.outcomes["reversed"] == 4
    assert tally.outcomes["allocated"] + tally.outcomes["invalid_state"] == 4
    owed = fresh(owed)
    assert (owed.allocated, owed.status) == (D("0.00"), ObligationStatus.OPEN)
    assert ledger_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reversing_an_opening_balance_while_a_receipt_is_allocated_to_it(company) -> None:
    """Four opening balances, each raced by a reversal and a receipt: exactly one of the two wins
    each pair (the receipt is refused with invalid_state, or the reversal with has_downstream)."""
    parties = make_parties(company)
    clerk = company.finance_clerk
    openings = [receivable(clerk, parties.hospital, "100.00", DUE) for _n in range(4)]
    tally = Tally()

    def work(index: int, actor: Employee) -> None:
        ob = openings[index % 4]
        if index < 4:
            tally.run(lambda: services.reverse_opening_balance(ob, actor=actor, reason="录错"), "reversed")
        else:
            tally.run(lambda: settle(actor, parties.hospital, "100.00", PAID_ON, (ob, "100.00")), "allocated")

    race(8, work, tally, clerk.pk)
    assert tally.errors == []
    assert tally.outcomes["reversed"] + tally.outcomes["has_downstream"] == 4
    assert tally.outcomes["allocated"] + tally.outcomes["invalid_state"] == 4
    assert tally.outcomes["reversed"] == tally.outcomes["invalid_state"]
    for ob in openings:
        ob = fresh(ob)
        assert ob.status in {ObligationStatus.REVERSED, ObligationStatus.SETTLED}
        assert ob.allocated == (D("100.00") if ob.status == ObligationStatus.SETTLED else D("0"))
    assert ledger_mismatches() == []
