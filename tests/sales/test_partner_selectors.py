"""采购汇总: what a channel partner bought over the last 12 months, by product: shipped less
returned (received returns only) and its amount at each order line's price after the discount;
older shipments, other customers and orders outside the reader's scope are left out. Figures are
worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.crm.models import CustomerKind
from maoyi.sales.partner_selectors import partner_purchases
from maoyi.sales.services import returns
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.sales.builders import (
    Line,
    Shop,
    approved_order,
    approved_return,
    back,
    build_shop,
    days,
    draft_return,
    item,
    line_of,
    put_in,
    ship,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    shop = build_shop(company)
    shop.customer = make_customer(company.rep_a1, "河北安康医药有限公司", kind=CustomerKind.DISTRIBUTOR)
    put_in(shop, "200", "5.00", "L1")
    put_in(shop, "50", "1.00", product=shop.plain)
    return shop


def test_a_partner_s_purchases_are_what_was_shipped_less_what_came_back_by_product(shop: Shop) -> None:
    # 30 syringes at 11.30 less 10 % (10.17 each) and 5 swabs at 2.00; 4 syringes come back.
    first = approved_order(shop, Line(shop.product, "30", "11.30", "10"), Line(shop.plain, "5", "2.00"))
    shipment = ship(shop, first, item(line_of(first, 0), "30"), item(line_of(first, 1), "5"))
    syringes = shipment.lines.get(order_line__product=shop.product)
    returned = approved_return(shop, first, back(syringes, "4"))
    returns.receive_return(returned, actor=shop.keeper)
    # 10 more syringes at 12.00, and a return of 3 still waiting: it does not count yet.
    second = approved_order(shop, Line(shop.product, "10", "12.00"))
    later = ship(shop, second)
    returns.submit_return(draft_return(shop, second, back(later.lines.get(), "3")), actor=shop.rep)
    # Shipped 400 days ago (outside the 12 months), and to another customer: left out.
    old = approved_order(shop, Line(shop.product, "7", "9.00"), order_date=days(-401))
    ship(shop, old, item(line_of(old), "7"), shipped_on=days(-400))
    other = approved_order(
        shop, Line(shop.product, "9", "9.00"), owner=shop.company.rep_b1, customer=shop.other_customer
    )
    ship(shop, other, item(line_of(other), "9"))

    found = partner_purchases(shop.company.manager_a.user, shop.customer)

    # Syringes: 26 kept × 10.17 = 264.42, plus 10 × 12.00 = 120.00: 384.42. Swabs: 5 × 2.00.
    assert [(r.product.code, r.shipped, r.returned, r.quantity, r.amount) for r in found.rows] == [
        ("PJ001", D("5"), D("0"), D("5"), D("10.00")),
        ("ZS001", D("40"), D("4"), D("36"), D("384.42")),
    ]
    assert found.amount == D("394.42")
    assert (found.since, found.until) == (days(-364), today())


def test_a_salesperson_sums_only_the_orders_they_may_see(shop: Shop) -> None:
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    ship(shop, order)

    assert [r.quantity for r in partner_purchases(shop.company.rep_a1.user, shop.customer).rows] == [D("10")]
    assert partner_purchases(shop.company.rep_b1.user, shop.customer).rows == []
    assert partner_purchases(shop.company.rep_a2.user, shop.customer).amount == D("0")
