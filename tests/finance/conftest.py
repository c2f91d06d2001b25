"""Every test under tests/finance that touches the database ends with the money-ledger invariants
checked: whatever a test did (or was refused), every derived `allocated` figure still equals the
sum of its live allocations, installments add up to their receivable or payable, and a record is
settled exactly when nothing is outstanding. A mismatch fails the test itself (the check runs in
the call phase, before the database is rolled back or flushed, so it sees what the test left)."""

from __future__ import annotations

from collections.abc import Generator

import pytest

DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DB_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield  # re-raises the test's own failure, which then needs no second report
    if _uses_database(item):
        from maoyi.finance.selectors import ledger_mismatches

        mismatches = ledger_mismatches()
        if mismatches:
            pytest.fail("money ledger invariants broken after the test:\n" + "\n".join(mismatches))
    return result
