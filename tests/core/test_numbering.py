"""Gap-free document numbers (R3): PREFIX + local date + a 4-digit serial per type and day, taken
inside the document's own transaction so that a rollback gives the number back."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.audit.models import AuditEntry
from maoyi.core import numbering
from maoyi.core.errors import DomainError
from maoyi.core.models import DocumentSequence, NumberingRule
from maoyi.org.models import Employee
from tests.conftest import IS_POSTGRES, Company, build_company
from tests.docapp.models import SampleDocument
from tests.docapp.services import create_sample
from tests.factories import make_sample

THREADS = 8
PER_THREAD = 25
FAIL_EVERY = 5  # every fifth creation of each thread rolls back on purpose


def day_code(day: dt.date | None = None) -> str:
    return f"{day or timezone.localdate():%Y%m%d}"


def test_a_number_is_the_prefix_the_local_date_and_a_four_digit_serial(company: Company) -> None:
    doc = make_sample(company.rep_a1)

    assert doc.number == f"CS{day_code()}-0001"
    assert re.fullmatch(r"CS\d{8}-\d{4}", doc.number)
    doc.refresh_from_db()
    assert doc.number == f"CS{day_code()}-0001"


def test_serials_count_up_per_document_type_and_day(company: Company) -> None:
    numbers = [make_sample(company.rep_a1).number for _ in range(3)]
    with transaction.atomic():
        other_type = numbering.next_number("othertype")

    today = day_code()
    assert numbers == [f"CS{today}-0001", f"CS{today}-0002", f"CS{today}-0003"]
    assert other_type == f"OTHERTYPE{today}-0001"
    assert DocumentSequence.objects.get(document_type="sample", day=timezone.localdate()).last == 3


def test_a_new_day_restarts_the_serial_at_0001(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    first = make_sample(company.rep_a1).number
    second = make_sample(company.rep_a1).number

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    next_day = make_sample(company.rep_a1).number

    assert (first, second) == (f"CS{day_code(today)}-0001", f"CS{day_code(today)}-0002")
    assert next_day == f"CS{day_code(tomorrow)}-0001"
    assert DocumentSequence.objects.get(document_type="sample", day=today).last == 2
    assert DocumentSequence.objects.get(document_type="sample", day=tomorrow).last == 1


def test_a_number_for_an_explicit_day_uses_that_days_counter(db: None) -> None:
    with transaction.atomic():
        numbers = [numbering.next_number("sample", on=dt.date(2026, 11, 27)) for _ in range(2)]

    assert numbers == ["CS20261127-0001", "CS20261127-0002"]


def test_a_rolled_back_creation_gives_its_number_back(company: Company) -> None:
    first = make_sample(company.rep_a1)
    entries = AuditEntry.objects.count()

    with pytest.raises(RuntimeError, match="rolled back on purpose"):
        create_sample(actor=company.rep_a1, title="会回滚", amount=Decimal("5"), fail=True)

    assert SampleDocument.objects.count() == 1
    assert AuditEntry.objects.count() == entries
    assert DocumentSequence.objects.get(document_type="sample").last == 1
    following = make_sample(company.rep_a1)
    assert first.number == f"CS{day_code()}-0001"
    assert following.number == f"CS{day_code()}-0002"


def test_an_edited_prefix_applies_to_new_numbers_and_old_numbers_stay(company: Company) -> None:
    old = make_sample(company.rep_a1)

    approvals.set_number_prefix(actor=company.admin, document_type="sample", prefix=" ts ")
    new = make_sample(company.rep_a1)

    old.refresh_from_db()
    assert old.number == f"CS{day_code()}-0001"
    assert new.number == f"TS{day_code()}-0002"  # the serial belongs to the type, not to the prefix
    assert NumberingRule.objects.get(document_type="sample").prefix == "TS"
    entry = AuditEntry.objects.filter(action="update").latest("id")
    assert entry.changes == {"prefix": ["CS", "TS"]}
    assert entry.actor == company.admin.user


@pytest.mark.parametrize("prefix", ["1CS", "C-S", "ABCDEFGHIJKLM", "", "测试"])
def test_an_invalid_prefix_is_refused_and_changes_nothing(company: Company, prefix: str) -> None:
    approvals.set_number_prefix(actor=None, document_type="sample", prefix="CSA")
    entries = AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        approvals.set_number_prefix(actor=None, document_type="sample", prefix=prefix)

    assert refused.value.code == "invalid_prefix"
    assert refused.value.message == "编号前缀须以字母开头，只含大写字母和数字，最多 12 位。"
    assert NumberingRule.objects.get(document_type="sample").prefix == "CSA"
    assert NumberingRule.objects.count() == 1
    assert AuditEntry.objects.count() == entries


def test_a_prefix_another_document_type_uses_is_refused(company: Company) -> None:
    NumberingRule.objects.create(document_type="othertype", prefix="XS")

    with pytest.raises(DomainError) as refused:
        approvals.set_number_prefix(actor=None, document_type="sample", prefix="xs")

    assert refused.value.code == "duplicate"
    assert refused.value.message == "前缀 XS 已被其他单据类型使用。"
    assert not NumberingRule.objects.filter(document_type="sample").exists()
    assert make_sample(company.rep_a1).number.startswith("CS")


@pytest.mark.django_db(transaction=True)
def test_next_number_outside_a_transaction_raises_and_takes_no_number() -> None:
    assert not connection.in_atomic_block

    with pytest.raises(RuntimeError, match="must be called inside the document's transaction"):
        numbering.next_number("sample")

    assert DocumentSequence.objects.count() == 0


# Concurrency ---------------------------------------------------------------------------------------


def _create_from_threads(owner_pks: list[int]) -> tuple[int, float]:
    """THREADS threads, each with its own connection, create PER_THREAD documents; every FAIL_EVERY-th
    creation rolls back on purpose. Returns (rolled back, seconds)."""
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    rolled_back = 0
    errors: list[BaseException] = []

    def work(index: int) -> None:
        nonlocal rolled_back
        try:
            owner = Employee.objects.select_related("user", "department").get(
                pk=owner_pks[index % len(owner_pks)]
            )
            barrier.wait(timeout=30)
            for n in range(PER_THREAD):
                fail = n % FAIL_EVERY == FAIL_EVERY - 1
                try:
                    create_sample(actor=owner, title=f"线程{index}-{n}", amount=Decimal("1"), fail=fail)
                except RuntimeError as exc:
                    if not fail or "rolled back on purpose" not in str(exc):
                        raise
                    with lock:
                        rolled_back += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a numbering thread hung"
    assert errors == []
    return rolled_back, time.monotonic() - started


def _assert_gap_free(database: str, rolled_back: int, seconds: float) -> None:
    numbers = list(SampleDocument.objects.values_list("number", flat=True))
    committed = THREADS * PER_THREAD - rolled_back
    duplicates = sum(count - 1 for count in Counter(numbers).values() if count > 1)
    today = day_code()
    serials = sorted(int(n.rsplit("-", 1)[1]) for n in numbers if n.startswith(f"CS{today}-"))
    gaps = len(set(range(1, committed + 1)) - set(serials))

    print(f"FIGURE numbering_documents={len(numbers)} database={database}")
    print(f"FIGURE numbering_rolled_back={rolled_back} database={database}")
    print(f"FIGURE numbering_duplicates={duplicates} database={database}")
    print(f"FIGURE numbering_gaps={gaps} database={database}")
    print(f"FIGURE numbering_seconds={seconds:.2f} database={database} threads={THREADS}x{PER_THREAD}")

    assert rolled_back == THREADS * (PER_THREAD // FAIL_EVERY)
    assert len(numbers) == committed
    assert duplicates == 0
    assert serials == list(range(1, committed + 1))
    assert DocumentSequence.objects.get(document_type="sample", day=timezone.localdate()).last == committed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_on_postgresql_gives_no_duplicate_and_no_gap() -> None:
    company = build_company()
    rolled_back, seconds = _create_from_threads(
        [company.rep_a1.pk, company.rep_a2.pk, company.rep_b1.pk, company.purchaser.pk]
    )
    _assert_gap_free("postgresql", rolled_back, seconds)


@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite variant; PostgreSQL has its own test")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_on_sqlite_gives_no_duplicate_and_no_gap() -> None:
    company = build_company()
    rolled_back, seconds = _create_from_threads(
        [company.rep_a1.pk, company.rep_a2.pk, company.rep_b1.pk, company.purchaser.pk]
    )
    _assert_gap_free("sqlite", rolled_back, seconds)
