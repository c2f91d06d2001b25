"""汇率: finance sets what a foreign currency is worth in CNY from a day on (one rate per currency
and day; a second one the same day replaces it, audited); `rate_on` answers the rate in force on a
day. Refusals change nothing; only finance may set rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError
from maoyi.finance import selectors, services
from maoyi.finance.models import ExchangeRate

pytestmark = pytest.mark.django_db

D = dt.date


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (ExchangeRate, AuditEntry)}


def set_rate(actor: Any, currency: str, rate: str, day: dt.date) -> ExchangeRate:
    return services.set_exchange_rate(actor=actor, currency=currency, rate=Decimal(rate), valid_from=day)


def test_finance_sets_a_rate_and_it_is_audited(company):
    found = set_rate(company.finance_clerk, "USD", "7.1234", D(2026, 3, 1))

    found.refresh_from_db()
    assert (found.currency, found.rate, found.valid_from) == ("USD", Decimal("7.123400"), D(2026, 3, 1))
    assert found.created_by == company.finance_clerk.user
    assert history_of(found).get().action == "create"


def test_a_second_rate_the_same_day_replaces_the_first(company):
    first = set_rate(company.finance_clerk, "USD", "7.1", D(2026, 3, 1))
    second = set_rate(company.finance_clerk, "USD", "7.2", D(2026, 3, 1))

    assert second.pk == first.pk
    assert ExchangeRate.objects.get().rate == Decimal("7.2")
    old, new = history_of(first).filter(action="update").get().changes["rate"]
    assert (Decimal(old), Decimal(new)) == (Decimal("7.1"), Decimal("7.2"))


def test_rate_on_answers_the_latest_rate_in_force(company):
    set_rate(company.finance_clerk, "USD", "7.1", D(2026, 3, 1))
    set_rate(company.finance_clerk, "USD", "7.3", D(2026, 3, 20))
    set_rate(company.finance_clerk, "EUR", "7.8", D(2026, 1, 1))

    assert selectors.rate_on("USD", D(2026, 2, 28)) is None
    assert selectors.rate_on("USD", D(2026, 3, 1)) == Decimal("7.1")
    assert selectors.rate_on("USD", D(2026, 3, 19)) == Decimal("7.1")
    assert selectors.rate_on("USD", D(2026, 3, 20)) == Decimal("7.3")
    assert selectors.rate_on("EUR", D(2026, 3, 10)) == Decimal("7.8")
    assert selectors.rate_on("JPY", D(2026, 3, 10)) is None
    assert selectors.rate_on("CNY", D(2000, 1, 1)) == Decimal("1")
    assert [(r.currency, r.valid_from) for r in selectors.exchange_rates()] == [
        ("EUR", D(2026, 1, 1)),
        ("USD", D(2026, 3, 20)),
        ("USD", D(2026, 3, 1)),
    ]


@pytest.mark.parametrize(
    ("currency", "rate", "code", "message"),
    [
        ("CNY", "1", "invalid", "人民币是本位币，不需要汇率。"),
        ("GBP", "9", "invalid", "币种无效。"),
        ("USD", "0", "invalid", "外币须填写大于零的汇率。"),
        ("USD", "-7", "invalid", "外币须填写大于零的汇率。"),
        ("USD", "7.1234567", "invalid", "汇率最多六位小数，且小于一万。"),
        ("USD", "10000", "invalid", "汇率最多六位小数，且小于一万。"),
    ],
)
def test_invalid_rates_are_refused_and_nothing_changes(company, currency, rate, code, message):
    before = state()
    with pytest.raises(DomainError) as caught:
        set_rate(company.finance_clerk, currency, rate, D(2026, 3, 1))
    assert (caught.value.code, caught.value.message) == (code, message)
    assert state() == before


@pytest.mark.parametrize("who", ["purchaser", "rep_a1", "manager_a"])
def test_only_finance_sets_rates(company, who):
    before = state()
    with pytest.raises(DomainError) as caught:
        set_rate(getattr(company, who), "USD", "7.1", D(2026, 3, 1))
    assert (caught.value.code, caught.value.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert state() == before
