"""The last module of the suite (its folder sorts after every other): it creates nothing and checks
that what the whole run left committed in the test database still satisfies the stock invariants.
Tests that commit (`transaction=True`) flush the database when they end, so each of them also
checks the invariants itself, after every step; this is the final word on what survived."""

from __future__ import annotations

import pytest

from maoyi.inventory.selectors import ledger_mismatches


@pytest.mark.django_db
def test_the_stock_ledger_left_in_the_database_by_the_whole_suite_is_consistent() -> None:
    assert ledger_mismatches() == []
