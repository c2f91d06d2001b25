"""Two people save the same new product code at the same moment: one product is created, the other
save is refused with `duplicate` (the unique index decides), never a 500."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from maoyi.catalog import services
from maoyi.catalog.models import Product
from maoyi.core.errors import DomainError
from maoyi.org.models import Employee
from tests.conftest import build_company

ROUNDS = 10


def _race(code: str, actor_pks: list[int]) -> tuple[list[Any], list[BaseException]]:
    """Create the same code from two threads, each with its own connection, released together."""
    barrier = threading.Barrier(len(actor_pks))
    outcome: list[Any] = []
    errors: list[BaseException] = []

    def create(actor_pk: int) -> None:
        try:
            actor = Employee.objects.select_related("user").get(pk=actor_pk)
            barrier.wait(timeout=30)
            outcome.append(services.create_product(actor=actor, code=code, name="并发商品", unit="个"))
        except DomainError as exc:
            outcome.append(exc)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(pk,)) for pk in actor_pks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a create thread hung"
    return outcome, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_code_make_one_product_and_one_duplicate_refusal() -> None:
    company = build_company()
    for n in range(ROUNDS):
        code = f"RACE-{n}"
        outcome, errors = _race(code, [company.admin.pk, company.purchaser.pk])
        assert not errors
        refusals = [o for o in outcome if isinstance(o, DomainError)]
        assert len(outcome) == 2 and len(refusals) == 1
        assert (refusals[0].code, refusals[0].field, refusals[0].message) == (
            "duplicate",
            "code",
            f"商品编码“{code}”已存在。",
        )
        assert Product.objects.filter(code=code).count() == 1
