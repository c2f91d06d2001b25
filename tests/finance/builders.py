"""Money-ledger test helpers: the parties a test company deals with (finance sees them as plain
`Party` values, so no crm or purchasing rows are needed), builders that go through the services,
a snapshot of every row a refused call could have touched, and a frozen clock for the few rules
that read today's date (the future-date check, the day a record is reversed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.core.models import DocumentSequence
from maoyi.finance import services
from maoyi.finance.models import (
    Allocation,
    Direction,
    Installment,
    Obligation,
    Settlement,
)
from maoyi.finance.parties import Party
from maoyi.finance.services import AllocationInput, InstallmentInput
from maoyi.org.models import Employee

RECEIVABLE = Direction.RECEIVABLE
PAYABLE = Direction.PAYABLE


@dataclass(frozen=True)
class Parties:
    hospital: Party  # rep_a1's customer (team A)
    clinic: Party  # rep_a2's customer (team A)
    dealer: Party  # rep_b1's customer (team B)
    pool: Party  # a customer in the public pool: nobody owns it
    supplier: Party  # the purchaser's supplier


def make_parties(company: Any) -> Parties:
    return Parties(
        hospital=Party(
            kind="customer",
            id=101,
            name="北京协和医院",
            owner_id=company.rep_a1.pk,
            department_id=company.team_a.pk,
        ),
        clinic=Party(
            kind="customer",
            id=102,
            name="朝阳社区诊所",
            owner_id=company.rep_a2.pk,
            department_id=company.team_a.pk,
        ),
        dealer=Party(
            kind="customer",
            id=103,
            name="上海医械经销商",
            owner_id=company.rep_b1.pk,
            department_id=company.team_b.pk,
        ),
        pool=Party(kind="customer", id=104, name="公海客户"),
        supplier=Party(
            kind="supplier",
            id=201,
            name="威高医疗器械",
            owner_id=company.purchaser.pk,
            department_id=company.purchasing.pk,
        ),
    )


def receivable(
    actor: Employee,
    party: Party,
    amount: str,
    due: dt.date,
    *,
    issued_on: dt.date | None = None,
    plan: Sequence[tuple[dt.date, str]] = (),
    direction: str = RECEIVABLE,
    source: DocRef | None = None,
    **kwargs: Any,
) -> Obligation:
    """A receivable (or payable) of `amount`: opened for a document when `source` is given,
    otherwise entered as an opening balance."""
    installments = [InstallmentInput(due_date=day, amount=D(a)) for day, a in plan]
    common: dict[str, Any] = {
        "direction": direction,
        "actor": actor,
        "party": party,
        "amount": D(amount),
        "issued_on": issued_on or due - dt.timedelta(days=30),
        "due_date": None if plan else due,
        "installments": installments,
        **kwargs,
    }
    if source is not None:
        return services.open_obligation(source=source, **common)
    return services.create_opening_balance(**common)


def payable(actor: Employee, party: Party, amount: str, due: dt.date, **kwargs: Any) -> Obligation:
    return receivable(actor, party, amount, due, direction=PAYABLE, **kwargs)


def settle(
    actor: Employee,
    party: Party,
    amount: str,
    on: dt.date,
    *allocations: tuple[Obligation, str] | tuple[Obligation, str, Installment],
    direction: str = RECEIVABLE,
    **kwargs: Any,
) -> Settlement:
    """A receipt (or payment) of `amount` on `on`, allocated as given: (obligation, amount) or
    (obligation, amount, installment)."""
    return services.record_settlement(
        direction=direction,
        actor=actor,
        party=party,
        amount=D(amount),
        occurred_on=on,
        allocations=[to_input(*a) for a in allocations],
        **kwargs,
    )


def to_input(obligation: Obligation, amount: str, installment: Installment | None = None) -> AllocationInput:
    return AllocationInput(
        obligation_id=obligation.pk,
        amount=D(amount),
        installment_id=installment.pk if installment is not None else None,
    )


def fresh(record: Any) -> Any:
    record.refresh_from_db()
    return record


def installments(obligation: Obligation) -> list[tuple[int, dt.date, D, D]]:
    """(sequence, due date, amount, allocated) of each installment."""
    return [
        (i.sequence, i.due_date, i.amount, i.allocated)
        for i in Installment.objects.filter(obligation=obligation).order_by("sequence")
    ]


def live_allocated(obligation: Obligation) -> D:
    return sum(
        (a.amount for a in Allocation.objects.filter(obligation=obligation, reversed_at__isnull=True)),
        D("0"),
    )


# "Nothing changed" ----------------------------------------------------------------------------------


def ledger_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row a money-ledger call writes: records, installments, allocations, the audit trail
    and the number counters (a refused call must not even use up a number)."""
    return {
        "obligations": list(Obligation.objects.order_by("pk").values_list()),
        "installments": list(Installment.objects.order_by("pk").values_list()),
        "settlements": list(Settlement.objects.order_by("pk").values_list()),
        "allocations": list(Allocation.objects.order_by("pk").values_list()),
        "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", "action", "object_id")),
        "numbers": list(DocumentSequence.objects.order_by("pk").values_list("pk", "last")),
    }


@contextmanager
def refused(code: str, message: str | None = None, *, field: str | None = None) -> Iterator[Any]:
    """`with refused("over_allocation", "…"): call()` asserts the call raises a DomainError with
    that code (and exact message and field, when given) and leaves the ledger as it was."""
    before = ledger_state()
    with pytest.raises(DomainError) as caught:
        yield caught
    error = caught.value
    assert error.code == code, error.message
    if message is not None:
        assert error.message == message
    if field is not None:
        assert error.field == field
    assert ledger_state() == before


# A frozen clock --------------------------------------------------------------------------------------


@contextmanager
def frozen(day: dt.date, hour: int = 10) -> Iterator[None]:
    """Pretend it is `hour` o'clock on `day` in the company's time zone: every `timezone.now()`
    and `timezone.localdate()` the services and selectors read returns that moment."""
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield
