"""Suppliers saved at the same moment (PostgreSQL): blank codes get distinct GYS numbers, and of two
saves of one name exactly one is created, the other refused with `duplicate_supplier`, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from maoyi.core.errors import DomainError
from maoyi.org.models import Employee
from maoyi.purchasing.models import Supplier
from maoyi.purchasing.services import suppliers as services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls from as many threads, each with its own connection, released together."""
    barrier = threading.Barrier(len(calls))
    outcome: list[Any] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            outcome.append(call())
        except DomainError as exc:
            outcome.append(exc)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcome, errors


def _creator(actor_pk: int, name: str) -> Callable[[], Supplier]:
    def create() -> Supplier:
        actor = Employee.objects.select_related("user").get(pk=actor_pk)
        return services.create_supplier(actor=actor, name=name)

    return create


def test_concurrent_creates_get_distinct_consecutive_codes(company) -> None:
    calls = [_creator(company.purchaser.pk, f"并发供应商{n}") for n in range(6)]

    outcome, errors = _together(calls)

    assert not errors
    assert sorted(s.code for s in outcome) == [f"GYS{n:04d}" for n in range(1, 7)]


def test_two_concurrent_creates_of_one_name_make_one_supplier_and_one_refusal(company) -> None:
    for n in range(5):
        name = f"同名供应商{n}"
        outcome, errors = _together(
            [_creator(company.purchaser.pk, name), _creator(company.admin.pk, f"{name}有限公司")]
        )
        assert not errors
        refusals = [o for o in outcome if isinstance(o, DomainError)]
        assert len(outcome) == 2 and len(refusals) == 1
        assert refusals[0].code == "duplicate_supplier"
        assert Supplier.objects.filter(name_key=name).count() == 1
