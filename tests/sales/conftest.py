"""Every test under tests/sales that touches the database ends with the stock and money ledger
invariants checked (balances equal their moves, reserved equals the open reservations, every
`allocated` equals its live allocations), so whatever a test did or was refused, the ledgers still
add up. The check runs in the call phase, before the database is rolled back or flushed."""

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
        from maoyi.finance.selectors import ledger_mismatches as money_mismatches
        from maoyi.inventory.selectors import ledger_mismatches as stock_mismatches

        mismatches = [*stock_mismatches(), *money_mismatches()]
        if mismatches:
            pytest.fail("ledger invariants broken after the test:\n" + "\n".join(mismatches))
    return result
