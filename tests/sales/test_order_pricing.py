"""The price a sales order line proposes and the minimum sale price (最低售价): the quote, the
contract, the last price to this customer, the customer's price level and the product's sale price,
in that order, each recorded on the line; a typed price; a net price (after discount) under the
minimum refused unless a permitted role gives a reason."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError
from maoyi.crm.models import QuoteStatus
from maoyi.sales import selectors
from maoyi.sales.models import PriceSource, SalesOrder
from maoyi.sales.services import orders
from tests.conftest import Company
from tests.sales.order_builders import (
    Desk,
    approved,
    build_desk,
    days,
    draft,
    line,
    make_contract,
    make_quote,
    put_stock,
    submitted,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(company: Company) -> Desk:
    put = build_desk(company)
    put_stock(put, put.gloves, "1000")
    put_stock(put, put.masks, "1000")
    return put


def priced(order: SalesOrder) -> list[tuple[str, D, str]]:
    return [(x.product.code, x.unit_price, x.price_source) for x in order.lines.order_by("id")]


def test_without_a_level_or_history_the_sale_price_is_proposed(desk: Desk) -> None:
    order = draft(
        desk, line(desk.gloves, "10"), line(desk.masks, "10"), customer=desk.ruijin, actor=desk.company.rep_a2
    )
    assert priced(order) == [
        ("P001", D("12.50"), PriceSource.SALE_PRICE),
        ("P002", D("3.20"), PriceSource.SALE_PRICE),
    ]


def test_the_customers_price_level_comes_before_the_sale_price(desk: Desk) -> None:
    order = draft(desk, line(desk.gloves, "10"), line(desk.masks, "10"))
    # 协和 is on VIP: gloves have a VIP price, masks do not
    assert priced(order) == [
        ("P001", D("10.80"), PriceSource.PRICE_LEVEL),
        ("P002", D("3.20"), PriceSource.SALE_PRICE),
    ]


def test_the_last_price_of_an_approved_order_comes_before_the_price_level(desk: Desk) -> None:
    approved(desk, line(desk.gloves, "10", "11.90"), order_date=days(-20))
    approved(desk, line(desk.gloves, "10", "11.50"), order_date=days(-5))
    approved(desk, line(desk.gloves, "10", "12.10"), order_date=days(-9))  # older, though approved later
    submitted(desk, line(desk.gloves, "10", "13.00"))  # not approved: does not count
    draft(desk, line(desk.gloves, "10", "14.00"))
    other = approved(
        desk, line(desk.gloves, "10", "10.50"), customer=desk.ruijin, actor=desk.company.rep_a2
    )  # another customer's

    order = draft(desk, line(desk.gloves, "10"))
    assert priced(order) == [("P001", D("11.50"), PriceSource.LAST_PRICE)]
    assert other.customer != order.customer
    assert selectors.last_prices(desk.xiehe, [desk.gloves.pk, desk.masks.pk]) == {desk.gloves.pk: D("11.50")}


def test_the_contract_price_comes_before_the_last_price(desk: Desk) -> None:
    approved(desk, line(desk.gloves, "10", "11.50"))
    contract = make_contract(desk, (desk.gloves, "500", "11.00"))
    order = draft(desk, line(desk.gloves, "10"), line(desk.masks, "10"), contract=contract)
    assert order.contract == contract
    assert priced(order) == [
        ("P001", D("11.00"), PriceSource.CONTRACT),
        ("P002", D("3.20"), PriceSource.SALE_PRICE),  # not in the contract: the usual proposal
    ]


def test_an_order_from_a_quote_copies_its_lines_at_the_quote_price(desk: Desk) -> None:
    contract = make_contract(desk, (desk.gloves, "500", "11.00"))
    quote = make_quote(
        desk, (desk.gloves, "30", "11.20"), (desk.masks, "20", "3.00"), status=QuoteStatus.ACCEPTED
    )
    order = orders.create_order_from_quote(quote, actor=desk.rep, warehouse=desk.main, contract=contract)
    assert order.quote == quote
    assert priced(order) == [
        ("P001", D("11.20"), PriceSource.QUOTE),
        ("P002", D("3.00"), PriceSource.QUOTE),
    ]
    assert [x.quantity for x in order.lines.order_by("id")] == [D("30"), D("20")]

    # editing the draft keeps the quote, and blank prices come from it again
    orders.update_order(
        order,
        actor=desk.rep,
        customer=desk.xiehe,
        warehouse=desk.main,
        contract=contract,
        lines=[line(desk.gloves, "40"), line(desk.masks, "20", "3.10")],
    )
    order.refresh_from_db()
    assert order.quote == quote
    assert priced(order) == [
        ("P001", D("11.20"), PriceSource.QUOTE),
        ("P002", D("3.10"), PriceSource.TYPED),
    ]


def test_a_typed_price_equal_to_the_proposal_keeps_the_proposals_source(desk: Desk) -> None:
    order = draft(desk, line(desk.gloves, "10", "10.8"), line(desk.gloves, "10", "10.81"))
    assert priced(order) == [
        ("P001", D("10.80"), PriceSource.PRICE_LEVEL),
        ("P001", D("10.81"), PriceSource.TYPED),
    ]


def test_the_proposed_prices_selector_answers_for_the_order_form(desk: Desk) -> None:
    contract = make_contract(desk, (desk.masks, "100", "2.90"))
    found = selectors.proposed_prices(desk.xiehe, [desk.gloves, desk.masks], contract=contract)
    assert found == {
        desk.gloves.pk: selectors.ProposedPrice(D("10.80"), PriceSource.PRICE_LEVEL),
        desk.masks.pk: selectors.ProposedPrice(D("2.90"), PriceSource.CONTRACT),
    }


# The minimum sale price ---------------------------------------------------------------------------------


def test_a_salesperson_cannot_sell_under_the_minimum_price_even_with_a_reason(desk: Desk) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        draft(desk, line(desk.masks, "1"), line(desk.gloves, "10", "9.50", reason="清库存"))
    error = caught.value
    assert (error.code, error.field, error.message) == (
        "below_min_price",
        "lines.1.unit_price",
        "第 2 行：P001 折后单价 9.5 低于最低售价 10。",
    )


def test_the_discount_counts_toward_the_minimum_price(desk: Desk) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        draft(desk, line(desk.gloves, "10", "12.50", discount="25"))
    assert (caught.value.code, caught.value.message) == (
        "below_min_price",
        "第 1 行：P001 折后单价 9.375 低于最低售价 10。",
    )
    # exactly the minimum after discount is allowed
    order = draft(desk, line(desk.gloves, "10", "12.50", discount="20"))
    assert order.amount == D("100.00")


def test_an_unpriced_product_proposes_nothing_and_a_blank_price_is_refused(desk: Desk) -> None:
    """A sale price of 0 means "not priced": a blank price is refused, a typed 0 (a free sample) is not."""
    desk.masks.sale_price = D("0")
    desk.masks.save(update_fields=["sale_price"])
    assert desk.masks.pk not in selectors.proposed_prices(desk.xiehe, [desk.masks])
    with unchanged(), pytest.raises(DomainError) as caught:
        draft(desk, line(desk.gloves, "10"), line(desk.masks, "10"))
    assert (caught.value.code, caught.value.field, caught.value.message) == (
        "invalid",
        "lines.1.unit_price",
        "第 2 行：P002 没有可用的建议价（无报价、合同价、成交价、等级价，销售价为 0），请填写单价。",
    )
    order = draft(desk, line(desk.masks, "10", "0"))
    assert [(x.unit_price, x.price_source) for x in order.lines.all()] == [(D("0"), PriceSource.TYPED)]


def test_a_proposed_price_under_the_minimum_is_refused_too(desk: Desk) -> None:
    approved(desk, line(desk.gloves, "10", "10.00"))
    desk.gloves.min_sale_price = D("10.50")
    desk.gloves.save(update_fields=["min_sale_price"])
    with unchanged(), pytest.raises(DomainError) as caught:
        draft(desk, line(desk.gloves, "10"))
    assert caught.value.message == "第 1 行：P001 折后单价 10 低于最低售价 10.5。"


def test_the_manager_must_give_a_reason_to_sell_under_the_minimum(desk: Desk) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        draft(desk, line(desk.gloves, "10", "9.50"), actor=desk.manager)
    assert (caught.value.code, caught.value.field, caught.value.message) == (
        "below_min_price",
        "lines.0.unit_price",
        "第 1 行：P001 折后单价 9.5 低于最低售价 10，如确需低价销售请填写原因。",
    )


def test_the_manager_sells_under_the_minimum_with_a_reason_recorded_and_audited(desk: Desk) -> None:
    order = draft(
        desk,
        line(desk.gloves, "10", "9.50", reason="  清理近效期库存 "),
        line(desk.masks, "10", reason="不需要的原因"),
        actor=desk.manager,
    )
    assert [(x.product.code, x.below_min_reason) for x in order.lines.order_by("id")] == [
        ("P001", "清理近效期库存"),
        ("P002", ""),  # not under the minimum: nothing to explain
    ]
    entry = history_of(order).get(action="create")
    assert entry.changes["below_min_reason"] == [None, "P001: 清理近效期库存"]
    assert entry.actor == desk.manager.user
    # the order stays the customer owner's, and goes through approval as usual
    assert order.owner == desk.rep
