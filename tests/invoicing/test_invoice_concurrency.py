"""Clerks invoicing one order at the same time (PostgreSQL): the order's row lock, taken before
what it was already invoiced is read, makes them queue, so together they never invoice it beyond
its amount; a refusal is `over_invoice`, never a deadlock."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal as D

import pytest
from django.db import connection

from maoyi.core.errors import DomainError
from maoyi.crm.parties import as_party
from maoyi.invoicing import selectors, services
from maoyi.invoicing.models import Invoice
from maoyi.org.models import Employee
from tests.invoicing.builders import build_desk, sales_order
from tests.sales.builders import today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_six_clerks_invoicing_400_of_an_order_of_1130_at_once_exactly_two_pass(company) -> None:
    desk = build_desk(company)
    order, other = sales_order(desk), sales_order(desk)
    party = as_party(desk.customer)
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def run(index: int) -> None:
        try:
            clerk = Employee.objects.select_related("user").get(pk=desk.clerk.pk)
            # Half list the two orders the other way round: the locks are still taken in id order.
            pair = [(order, D("400.00")), (other, D("1.00"))]
            barrier.wait(timeout=30)
            try:
                services.record_invoice(
                    actor=clerk,
                    direction="issued",
                    kind="special",
                    number=f"{20000000 + index}",
                    issued_on=today(),
                    party=party,
                    amount=D("355.75"),
                    tax_amount=D("45.25"),
                    allocations=pair if index % 2 else pair[::-1],
                )
            except DomainError as refusal:
                with lock:
                    outcomes[refusal.code] += 1
            else:
                with lock:
                    outcomes["recorded"] += 1
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert outcomes == Counter({"recorded": 2, "over_invoice": 4})
    assert Invoice.objects.count() == 2
    assert selectors.invoiced_amounts("sales_order", [order.pk, other.pk]) == {
        order.pk: D("800.00"),
        other.pk: D("2.00"),
    }
