"""`ledger_mismatches()` must be able to fail: each derived figure, corrupted directly in the
database (no service would do it), is reported; put back, the ledger is whole again (the
conftest checks it once more after the test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.finance.models import Allocation, Installment, Obligation, ObligationStatus, Settlement
from maoyi.finance.selectors import ledger_mismatches
from tests.finance.builders import make_parties, receivable, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(company):
    clerk, parties = company.finance_clerk, make_parties(company)
    owed = receivable(
        clerk,
        parties.hospital,
        "1000.00",
        dt.date(2026, 4, 30),
        plan=[(dt.date(2026, 3, 31), "400.00"), (dt.date(2026, 4, 30), "600.00")],
    )
    receipt = settle(clerk, parties.hospital, "700.00", dt.date(2026, 4, 10), (owed, "500.00"))
    assert ledger_mismatches() == []
    return owed, receipt


def test_a_corrupted_allocated_on_a_receivable_is_reported(ledger) -> None:
    owed, _receipt = ledger
    Obligation.objects.filter(pk=owed.pk).update(allocated=D("499.99"))
    assert ledger_mismatches() == [f"obligation {owed.number}: allocated 499.99 != 500.00"]
    Obligation.objects.filter(pk=owed.pk).update(allocated=D("500.00"))
    assert ledger_mismatches() == []


def test_a_corrupted_installment_receipt_plan_or_status_is_reported(ledger) -> None:
    owed, receipt = ledger
    first = Installment.objects.get(obligation=owed, sequence=1)
    Installment.objects.filter(pk=first.pk).update(allocated=D("300.00"))
    Settlement.objects.filter(pk=receipt.pk).update(allocated=D("700.00"))
    assert ledger_mismatches() == [
        f"installment {first.pk}: allocated 300.00 != 400.00",
        f"settlement {receipt.number}: allocated 700.00 != 500.00",
    ]
    Installment.objects.filter(pk=first.pk).update(allocated=D("400.00"))
    Settlement.objects.filter(pk=receipt.pk).update(allocated=D("500.00"))

    Installment.objects.filter(pk=first.pk).update(amount=D("450.00"))
    assert ledger_mismatches() == [f"obligation {owed.number}: amount 1000.00 != Σ installments 1050.00"]
    Installment.objects.filter(pk=first.pk).update(amount=D("400.00"))

    Obligation.objects.filter(pk=owed.pk).update(status=ObligationStatus.SETTLED)
    assert ledger_mismatches() == [f"obligation {owed.number}: status settled with 500.00/1000.00"]
    Obligation.objects.filter(pk=owed.pk).update(status=ObligationStatus.OPEN)
    assert ledger_mismatches() == []


def test_a_live_allocation_stamped_reversed_behind_the_ledger_is_reported(ledger) -> None:
    owed, receipt = ledger
    row = Allocation.objects.filter(settlement=receipt).order_by("id").first()
    Allocation.objects.filter(pk=row.pk).update(reversed_at=dt.datetime(2026, 4, 11, tzinfo=dt.UTC))
    found = ledger_mismatches()
    assert f"obligation {owed.number}: allocated 500.00 != 100.00" in found
    assert f"settlement {receipt.number}: allocated 500.00 != 100.00" in found
    Allocation.objects.filter(pk=row.pk).update(reversed_at=None)
    assert ledger_mismatches() == []
