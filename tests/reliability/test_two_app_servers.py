"""Two separate app servers against one database (issue 8, part 2): two gunicorn masters on two
ports, each with its own workers, take the oversell races between them (requests alternate between
the servers). All locking lives in the database, so the count is still exact: 20 orders of 10 on 100
→ 10 approved; 60 single-unit orders on 15 (400 on 100 with MAOYI_RELIABILITY_FULL=1) → exactly the
stock approved. SQLite (WAL, one file) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Company
from tests.reliability.conftest import assert_no_tracebacks
from tests.reliability.server import FULL, AppServer
from tests.reliability.test_oversell import (
    approve_over_http,
    assert_exactly_the_stock_was_reserved,
    assert_http_outcomes,
    prepare,
)

pytestmark = pytest.mark.django_db(transaction=True)

SINGLE = (400, 100, 16) if FULL else (60, 15, 8)  # (orders, stock, clients)


def test_twenty_orders_of_ten_on_100_split_over_two_servers_exactly_ten_pass(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    setup = prepare(company, 20, 10, 100)
    servers = [app_servers(workers=2), app_servers(workers=2)]
    assert servers[0].url != servers[1].url

    outcomes = approve_over_http(setup, servers, clients=20)

    assert_http_outcomes(outcomes, setup)
    assert_exactly_the_stock_was_reserved(setup)
    assert_no_tracebacks(*servers)


def test_single_unit_orders_split_over_two_servers_approve_exactly_the_stock(
    company: Company, app_servers: Callable[..., AppServer]
) -> None:
    orders_count, stock, clients = SINGLE
    setup = prepare(company, orders_count, 1, stock)
    servers = [app_servers(workers=2), app_servers(workers=2)]

    outcomes = approve_over_http(setup, servers, clients=clients)

    assert_http_outcomes(outcomes, setup)
    assert_exactly_the_stock_was_reserved(setup)
    assert_no_tracebacks(*servers)
