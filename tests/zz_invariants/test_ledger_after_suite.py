"""The last module of the suite (its folder sorts after every other): it creates nothing and checks
that what the whole run left committed in the test database still satisfies the stock and money
ledger invariants. Tests that commit (`transaction=True`) flush the database when they end, so each
of them also checks the invariants itself, after every step; this is the final word on what
survived."""

from __future__ import annotations

import pytest

from maoyi.finance.selectors import ledger_mismatches as money_ledger_mismatches
from maoyi.inventory.selectors import ledger_mismatches


@pytest.mark.django_db
def test_the_stock_ledger_left_in_the_database_by_the_whole_suite_is_consistent() -> None:
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_the_money_ledger_left_in_the_database_by_the_whole_suite_is_consistent() -> None:
    assert money_ledger_mismatches() == []
