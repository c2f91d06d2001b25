"""The home page's queues (工作台): purchasing sees its open orders (late ones marked) and quotes
running out within 14 days; logistics what to receive and which returns to ship; finance the
payables overdue or due within a week. Each block shows only to the people who work it."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.finance.services import InstallmentInput
from maoyi.purchasing.services import orders
from tests.purchasing.order_builders import (
    approved,
    approved_return,
    days,
    draft,
    line,
    quote,
    receive,
)
from tests.purchasing.order_builders import build_shop as _build_shop

pytestmark = pytest.mark.django_db

BLOCKS = (
    "queue-open-orders",
    "queue-expiring-quotes",
    "queue-to-receive",
    "queue-to-ship",
    "queue-payables-due",
)


@pytest.fixture
def shop(company):
    return _build_shop(company)


def home(client) -> str:
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    return response.content.decode()


def block(page: str, testid: str) -> str:
    """The HTML of one queue card (up to the next card)."""
    start = page.index(f'data-testid="{testid}"')
    end = page.find('<div class="col-lg-6">', start)
    return page[start : end if end != -1 else len(page)]


def shown(page: str) -> set[str]:
    return {b for b in BLOCKS if f'data-testid="{b}"' in page}


def test_purchasing_sees_its_open_orders_with_the_late_ones_marked_and_quotes_running_out(
    company, shop, client_for
):
    late = approved(shop, expected_date=days(-2))
    waiting = draft(shop, expected_date=days(5))
    done = approved(shop, line(shop.product, "10", "1.00"))
    receive(shop, done, "10")
    cancelled = draft(shop)
    orders.cancel_order(cancelled, actor=company.purchaser)
    soon = quote(shop, "11.00", valid=(-10, 5))
    later = quote(shop, "11.50", valid=(-10, 30))
    quote(shop, "10.50", valid=(-10, 3), is_active=False)  # withdrawn: nobody needs a new one
    page = home(client_for(company.purchaser))
    assert shown(page) == {"queue-open-orders", "queue-expiring-quotes"}
    open_block = block(page, "queue-open-orders")
    assert late.number in open_block and waiting.number in open_block
    assert done.number not in open_block and cancelled.number not in open_block
    assert open_block.count('data-testid="late"') == 1 and "逾期 1" in open_block
    assert open_block.index(late.number) < open_block.index(waiting.number)  # the late one first
    quotes_block = block(page, "queue-expiring-quotes")
    assert quotes_block.count('data-testid="queue-item"') == 1 and "还有 5 天" in quotes_block
    assert reverse("web:quote-history", args=[soon.product_id]) in quotes_block
    assert "11 CNY" in quotes_block
    assert f"{later.unit_price.normalize()} CNY" not in quotes_block and "10.5 CNY" not in quotes_block


def test_a_purchaser_sees_only_their_own_orders_on_the_home_page(company, shop, client_for):
    from tests.factories import make_employee

    mine = draft(shop)
    other = make_employee(company.purchasing, "purchaser", username="buyer2")
    page = home(client_for(other))
    assert mine.number not in block(page, "queue-open-orders")


def test_logistics_sees_what_to_receive_and_which_returns_to_ship(company, shop, client_for):
    late = approved(shop, expected_date=days(-1))
    partly = approved(shop, expected_date=days(3))
    receive(shop, partly, "20", "L1")
    not_yet = draft(shop)
    back = approved_return(shop, partly, "5")
    page = home(client_for(shop.keeper))
    assert shown(page) == {"queue-to-receive", "queue-to-ship"}
    receive_block = block(page, "queue-to-receive")
    assert re.findall(r"CG\d{8}-\d{4}", receive_block) == [late.number, partly.number]
    assert not_yet.number not in receive_block and receive_block.count('data-testid="late"') == 1
    assert reverse("web:goods-receipt-create", args=[late.pk]) in receive_block
    ship_block = block(page, "queue-to-ship")
    assert back.number in ship_block and reverse("web:purchase-return-to-ship") in ship_block


def test_finance_sees_the_payables_overdue_and_due_within_a_week(company, shop, client_for):
    order = draft(
        shop,
        line(shop.product, "100", "3.00"),
        installments=[
            InstallmentInput(days(-2), D("100.00")),
            InstallmentInput(days(3), D("100.00")),
            InstallmentInput(days(30), D("100.00")),
        ],
    )
    orders.submit_order(order, actor=company.purchaser)
    orders.approve_order(order, actor=shop.manager)
    page = home(client_for(company.finance_clerk))
    assert shown(page) == {"queue-payables-due"}
    due_block = block(page, "queue-payables-due")
    assert due_block.count('data-testid="queue-item"') == 2 and due_block.count('data-testid="late"') == 1
    assert days(-2).isoformat() in due_block and days(3).isoformat() in due_block
    assert days(30).isoformat() not in due_block and "逾期 1" in due_block
    assert reverse("web:finance-due") in due_block


def test_people_outside_purchasing_logistics_and_finance_see_none_of_these_queues(company, shop, client_for):
    approved(shop, expected_date=days(-1))
    quote(shop, "11.00", valid=(-10, 5))
    assert shown(home(client_for(company.rep_a1))) == set()
    assert shown(home(client_for(shop.manager))) == set()
