"""The home page's queues (工作台): purchasing sees its open orders (late ones marked) and quotes
running out within 14 days; logistics what to receive and which returns to ship, the sales orders
to ship today and the sales returns to receive; finance the payables overdue or due within a week;
salespeople their orders waiting (被驳回, 待提交, 待审批), their goods in transit and the money to
collect. Each block shows only to the people who work it."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.finance.services import InstallmentInput
from maoyi.purchasing.services import orders
from maoyi.sales.services.returns import submit_return
from maoyi.sales.services.shipments import deliver_shipment
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
from tests.sales import builders as selling

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


# Sales and logistics ----------------------------------------------------------------------------------

SALES_BLOCKS = (
    "queue-sales-orders",
    "queue-in-transit",
    "queue-receivables-due",
    "queue-ship-today",
    "queue-returns-to-receive",
)


def sales_shown(page: str) -> set[str]:
    return {b for b in SALES_BLOCKS if f'data-testid="{b}"' in page}


@pytest.fixture
def sales_shop(company):
    shop = selling.build_shop(company)
    selling.put_in(shop, "500", "5.00", "L1")
    return shop


def test_a_salesperson_sees_their_orders_waiting_their_goods_in_transit_and_the_money_to_collect(
    company, sales_shop, client_for
):
    shop = sales_shop
    rejected = selling.draft_order(shop, status=Status.REJECTED)
    draft = selling.draft_order(shop)
    submitted = selling.draft_order(shop, status=Status.SUBMITTED)
    cancelled = selling.draft_order(shop, status=Status.CANCELLED)
    theirs = selling.draft_order(shop, owner=company.rep_b1, customer=shop.other_customer)
    # Receivables: 30 days after the order date, so these fall due 5 days ago, in 5 days and in 30.
    overdue = selling.approved_order(shop, order_date=selling.days(-35))
    soon = selling.approved_order(shop, order_date=selling.days(-25))
    later = selling.approved_order(shop, order_date=selling.days(0))
    moving = selling.ship(shop, overdue, tracking_number="SF0000000001")
    arrived = selling.ship(shop, soon, tracking_number="SF0000000002")
    deliver_shipment(arrived, actor=shop.keeper)

    page = home(client_for(company.rep_a1))

    assert sales_shown(page) == {"queue-sales-orders", "queue-in-transit", "queue-receivables-due"}
    waiting = block(page, "queue-sales-orders")
    # The rejected ones first (to fix), then the drafts (to submit), then those waiting for approval.
    assert re.findall(r"XS\d{8}-\d{4}", waiting) == [rejected.number, draft.number, submitted.number]
    assert cancelled.number not in waiting and theirs.number not in waiting and later.number not in waiting
    assert "被驳回 1" in waiting and "待提交 1" in waiting and "待审批 1" in waiting
    assert reverse("web:sales-order-detail", args=[rejected.pk]) in waiting
    assert f"{reverse('web:sales-order-list')}?status=rejected" in waiting
    transit = block(page, "queue-in-transit")
    assert moving.number in transit and "SF0000000001" in transit and arrived.number not in transit
    assert reverse("web:shipment-detail", args=[moving.pk]) in transit
    assert f"{reverse('web:shipment-list')}?status=in_progress" in transit
    money = block(page, "queue-receivables-due")
    assert money.count('data-testid="queue-item"') == 2 and money.count('data-testid="late"') == 1
    assert selling.days(-5).isoformat() in money and selling.days(5).isoformat() in money
    assert selling.days(30).isoformat() not in money and "逾期 1" in money
    assert "¥113.00" in money  # 10 × 11.30 still to collect
    assert f"{reverse('web:finance-due')}?direction=receivable" in money


def test_a_salesperson_sees_nothing_of_a_colleague_s_orders_and_empty_queues_say_so(
    company, sales_shop, client_for
):
    selling.draft_order(sales_shop, status=Status.REJECTED)
    selling.ship(sales_shop, selling.approved_order(sales_shop))

    page = home(client_for(company.rep_a2))

    assert sales_shown(page) == {"queue-sales-orders", "queue-in-transit", "queue-receivables-due"}
    assert 'data-testid="queue-item"' not in page
    assert "没有待提交、待审批或被驳回的销售订单。" in page
    assert "没有运输中的发货。" in page and "近期没有要收的款。" in page


def test_logistics_sees_the_sales_orders_to_ship_today_and_the_returns_to_receive(
    company, sales_shop, client_for
):
    shop = sales_shop
    late = selling.approved_order(shop, order_date=selling.days(-5), delivery_date=selling.days(-2))
    due = selling.approved_order(shop, delivery_date=selling.days(0))
    undated = selling.approved_order(shop)
    future = selling.approved_order(shop, delivery_date=selling.days(3))
    shipped = selling.approved_order(shop)
    selling.ship(shop, shipped)
    shipment_line = shipped.shipments.get().lines.get()
    coming_back = selling.approved_return(shop, shipped, selling.back(shipment_line, "2"))
    waiting = selling.draft_return(shop, shipped, selling.back(shipment_line, "1"))
    submit_return(waiting, actor=shop.rep)

    page = home(client_for(shop.keeper))

    assert sales_shown(page) == {"queue-ship-today", "queue-returns-to-receive"}
    today_block = block(page, "queue-ship-today")
    # The oldest requested delivery first, orders without a date last.
    assert re.findall(r"XS\d{8}-\d{4}", today_block) == [late.number, due.number, undated.number]
    assert future.number not in today_block and shipped.number not in today_block
    assert today_block.count('data-testid="late"') == 1 and "未指定交货日期" in today_block
    assert reverse("web:shipment-create", args=[late.pk]) in today_block
    assert reverse("web:sales-to-ship") in today_block
    back_block = block(page, "queue-returns-to-receive")
    assert coming_back.number in back_block and waiting.number not in back_block
    assert reverse("web:sales-return-detail", args=[coming_back.pk]) in back_block
    assert reverse("web:sales-return-to-receive") in back_block


def test_logistics_with_nothing_to_do_sees_empty_sales_queues(sales_shop, client_for):
    page = home(client_for(sales_shop.keeper))

    assert "今天没有要发货的销售订单。" in page and "没有待收货的销售退货。" in page
    assert block(page, "queue-ship-today").count('data-testid="queue-item"') == 0


def test_people_who_neither_sell_nor_ship_see_no_sales_queues(company, sales_shop, client_for):
    selling.approved_order(sales_shop, order_date=selling.days(-40))
    assert sales_shown(home(client_for(company.purchaser))) == set()
    assert sales_shown(home(client_for(company.finance_clerk))) == set()


def test_the_sales_queues_render_in_english(company, sales_shop, client_for):
    selling.ship(sales_shop, selling.approved_order(sales_shop, order_date=selling.days(-35)))
    client = client_for(company.rep_a1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
    response = client.get(reverse("web:home"))

    page = response.content.decode()
    assert response.status_code == 200
    money = block(page, "queue-receivables-due")
    assert "Overdue" in money and "All" in money and "逾期 1" not in money
