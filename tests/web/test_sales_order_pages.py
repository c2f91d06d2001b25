"""The sales order pages as salespeople, their manager, logistics and people without the permissions
see them: the list (search, filters, scope, collection status), the form with the proposed price
and its source, a refusal on its grid cell, live availability marking a short line and the credit
warning, the order made from a quote, submit / withdraw / 作废 / 反审核 (refused once goods
left), the profit tab behind the cost permission, and one English page."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.crm.models import QuoteStatus
from maoyi.purchasing.services import orders as purchase_orders
from maoyi.purchasing.services import suppliers as supplier_services
from maoyi.sales.models import PriceSource, SalesOrder
from maoyi.sales.services import orders as order_services
from maoyi.sales.services import returns as return_services
from maoyi.sales.services import shipments
from tests.factories import make_employee
from tests.sales.order_builders import (
    Desk,
    approved,
    build_desk,
    collect,
    days,
    draft,
    line,
    make_contract,
    make_quote,
    put_stock,
    receivable_of,
    submitted,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(company) -> Desk:
    return build_desk(company)


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return re.findall(r'data-testid="order-link">([^<]+)<', text(response))


def grid(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def row(product, quantity: str, price: str = "", **cells: str) -> dict[str, str]:
    return {
        "product": str(product.pk),
        "quantity": quantity,
        "unit_price": price,
        "discount_rate": "",
        "tax_rate": "13",
        "below_min_reason": "",
        **cells,
    }


def order_post(desk: Desk, lines: list[dict[str, str]], plan: list[dict[str, str]] = (), **header: str):
    data = {
        "customer": str(desk.xiehe.pk),
        "warehouse": str(desk.main.pk),
        "order_date": today().isoformat(),
        "delivery_date": days(10).isoformat(),
        "contract": "",
        "delivery_address": "",
        "receiver": "王主任",
        "receiver_phone": "010-69156114",
        "note": "",
        **header,
    }
    return {**data, **grid("lines", lines), **grid("installments", list(plan))}


def grid_rows(response) -> list[dict]:
    found = re.search(r'id="grid-rows" type="application/json">(.*?)</script>', text(response))
    assert found is not None
    return json.loads(found.group(1))


def availability(client, desk: Desk, lines: list[dict[str, str]], **header: str):
    return client.post(reverse("web:sales-order-availability"), order_post(desk, lines, **header))


def cell(response, kind: str, index: int) -> str:
    """The content an out-of-band swap puts into one grid cell (avail-<i>, price-<i>, amount-<i>)."""
    found = re.search(
        rf'<div id="{kind}-{index}" hx-swap-oob="innerHTML">(.*?)</div>\s*(?=<div id=|$)',
        text(response),
        re.S,
    )
    assert found is not None, f"{kind}-{index}"
    return found.group(1)


def ship_some(desk: Desk, order: SalesOrder, quantity: str = "10") -> None:
    first = order.lines.order_by("id").first()
    shipments.ship_order(order, actor=desk.keeper, lines=[shipments.ShipmentLineInput(first.pk, D(quantity))])
    order.refresh_from_db()


def incoming(desk: Desk, quantity: str) -> None:
    """An approved purchase order of gloves into the main warehouse, due in 7 days."""
    c = desk.company
    boss = make_employee(c.purchasing, "manager", username="mgr_p", name="高峰", is_manager=True)
    supplier = supplier_services.create_supplier(
        actor=c.purchaser, name="江西华康医疗器械有限公司", buyer=c.purchaser
    )
    order = purchase_orders.create_order(
        actor=c.purchaser,
        supplier=supplier,
        warehouse=desk.main,
        expected_date=days(7),
        lines=[purchase_orders.OrderLineInput(desk.gloves.pk, D(quantity), D("8.00"))],
    )
    purchase_orders.submit_order(order, actor=c.purchaser)
    purchase_orders.approve_order(order, actor=boss)


# Access and scope ------------------------------------------------------------------------------


def test_the_pages_render_for_a_salesperson_and_refuse_a_purchaser(company, desk, client_for):
    order = draft(desk)
    rep, buyer = client_for(company.rep_a1), client_for(company.purchaser)
    for name, args in (
        ("sales-order-list", []),
        ("sales-order-create", []),
        ("sales-order-detail", [order.pk]),
        ("sales-order-edit", [order.pk]),
    ):
        assert rep.get(reverse(f"web:{name}", args=args)).status_code == 200, name
        assert buyer.get(reverse(f"web:{name}", args=args)).status_code == 403, name
    assert availability(rep, desk, [row(desk.gloves, "1")]).status_code == 200
    assert availability(buyer, desk, [row(desk.gloves, "1")]).status_code == 403
    for name in ("sales-order-submit", "sales-order-withdraw", "sales-order-cancel"):
        assert buyer.post(reverse(f"web:{name}", args=[order.pk])).status_code == 403, name
    # logistics follows orders but does not write them
    keeper = client_for(desk.keeper)
    assert keeper.get(reverse("web:sales-order-detail", args=[order.pk])).status_code == 200
    assert keeper.get(reverse("web:sales-order-create")).status_code == 403


def test_another_team_neither_lists_nor_finds_the_order(company, desk, client_for):
    mine = draft(desk)
    other = client_for(company.rep_b1)
    page = other.get(reverse("web:sales-order-list"))
    assert listed(page) == [] and "还没有销售订单。" in text(page)
    for name in ("sales-order-detail", "sales-order-edit"):
        assert other.get(reverse(f"web:{name}", args=[mine.pk])).status_code == 404, name
    assert other.post(reverse("web:sales-order-submit", args=[mine.pk])).status_code == 404
    assert other.post(reverse("web:sales-order-cancel", args=[mine.pk]), {"reason": "x"}).status_code == 404
    assert other.get(reverse("web:sales-order-detail", args=[99999])).status_code == 404
    mine.refresh_from_db()
    assert mine.status == Status.DRAFT
    assert listed(client_for(company.rep_a1).get(reverse("web:sales-order-list"))) == [mine.number]
    assert listed(client_for(company.manager_a).get(reverse("web:sales-order-list"))) == [mine.number]


# List ------------------------------------------------------------------------------------------


def test_the_list_searches_filters_and_sorts(company, desk, client_for):
    xiehe = draft(desk, order_date=days(-5))
    ruijin = submitted(desk, line(desk.masks, "10", "3.20"), customer=desk.ruijin, actor=company.rep_a2)
    client = client_for(company.manager_a)
    url = reverse("web:sales-order-list")
    assert set(listed(client.get(url))) == {xiehe.number, ruijin.number}
    assert listed(client.get(url, {"q": "bjxh"})) == [xiehe.number]  # pinyin initials
    assert listed(client.get(url, {"q": ruijin.number})) == [ruijin.number]
    assert listed(client.get(url, {"q": "瑞金"})) == [ruijin.number]
    assert listed(client.get(url, {"status": "submitted"})) == [ruijin.number]
    assert listed(client.get(url, {"customer": desk.xiehe.pk})) == [xiehe.number]
    assert listed(client.get(url, {"from": days(-1).isoformat()})) == [ruijin.number]
    assert listed(client.get(url, {"to": days(-1).isoformat()})) == [xiehe.number]
    assert listed(client.get(url, {"o": "order_date"})) == [xiehe.number, ruijin.number]
    assert listed(client.get(url, {"o": "-order_date"})) == [ruijin.number, xiehe.number]
    page = text(client.get(url, {"q": ruijin.number}))
    assert "¥32.00" in page and 'data-testid="shipped">0/10<' in page and "陈静" in page
    nothing = client.get(url, {"status": "done"})
    assert listed(nothing) == [] and "没有符合条件的销售订单。" in text(nothing)
    assert 'data-testid="order-create"' in text(client.get(url))
    assert 'data-testid="order-create"' not in text(client_for(desk.keeper).get(url))


def test_the_list_shows_what_was_collected_to_who_may_see_receivables(company, desk, client_for):
    put_stock(desk, desk.gloves, "200")
    order = approved(desk)  # 100 × 11.30 = 1,130.00
    url = reverse("web:sales-order-list")
    rep = client_for(company.rep_a1)
    page = text(rep.get(url))
    # open: the badge alone (the amount column says how much)
    assert re.search(r'data-testid="collection-open">未收</span>\s*</td>', page)
    collect(desk, order, "500")
    page = text(rep.get(url))
    assert 'data-testid="collection-partial"' in page and "待收 ¥630.00" in page
    collect(desk, order, "630")
    page = text(rep.get(url))
    assert 'data-testid="collection-settled"' in page and "已收清" in page
    # logistics does not see money
    assert 'data-testid="collection' not in text(client_for(desk.keeper).get(url))
    plan = text(rep.get(reverse("web:sales-order-detail", args=[order.pk]), {"tab": "plan"}))
    receivable = receivable_of(order)
    assert receivable.number in plan and reverse("web:receivable-detail", args=[receivable.pk]) in plan
    assert "已收 ¥1,130.00" in plan


# The form --------------------------------------------------------------------------------------


def test_a_blank_price_takes_the_proposed_price_and_shows_where_it_comes_from(company, desk, client_for):
    client = client_for(company.rep_a1)
    form = client.get(reverse("web:sales-order-create"), {"customer": desk.xiehe.pk})
    assert form.status_code == 200 and f'<option value="{desk.xiehe.pk}" selected>' in text(form)
    assert desk.agent.name not in text(form)  # another team's customer is not offered
    live = availability(client, desk, [row(desk.gloves, "100")])
    assert "建议价 10.8（客户等级价）" in cell(live, "price", 0)
    assert "¥1,080.00" in cell(live, "amount", 0)
    response = client.post(
        reverse("web:sales-order-create"),
        order_post(
            desk,
            [row(desk.gloves, "100"), row(desk.masks, "50", "3.00", discount_rate="10")],
            [
                {"due_date": days(30).isoformat(), "amount": "600.00"},
                {"due_date": days(60).isoformat(), "amount": "615"},
            ],
            note="首单",
        ),
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:sales-order-detail", args=[order.pk]
    )
    gloves, masks = order.lines.order_by("id")
    assert (gloves.unit_price, gloves.price_source) == (D("10.80"), PriceSource.PRICE_LEVEL)
    assert (masks.unit_price, masks.discount_rate, masks.price_source) == (
        D("3.00"),
        D("10"),
        PriceSource.TYPED,
    )
    assert order.amount == D("1215.00") and order.owner == company.rep_a1
    assert (order.receiver, order.delivery_address) == ("王主任", "北京市东城区帅府园1号")
    detail = text(client.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert "客户等级价" in detail and "手工录入" in detail and "¥1,215.00" in detail and "草稿" in detail
    assert "¥2.70" in detail  # the masks' price after the 10% discount
    plan = text(client.get(reverse("web:sales-order-detail", args=[order.pk]), {"tab": "plan"}))
    assert "¥600.00" in plan and "¥615.00" in plan
    # Editing keeps the proposed price blank (saving again proposes again) and the typed one typed.
    rows = grid_rows(client.get(reverse("web:sales-order-edit", args=[order.pk])))
    assert [(r["unit_price"], r["saved_price"]) for r in rows] == [("", "10.8"), ("3", "")]


def test_a_price_below_the_minimum_is_refused_on_its_cell_and_nothing_is_saved(company, desk, client_for):
    client = client_for(company.rep_a1)
    live = availability(client, desk, [row(desk.masks, "1"), row(desk.gloves, "10", "9.00")])
    assert 'data-testid="below-min"' in cell(live, "price", 1)
    assert 'data-testid="below-min"' not in cell(live, "price", 0)
    with unchanged():
        response = client.post(
            reverse("web:sales-order-create"),
            order_post(
                desk, [row(desk.masks, "1"), row(desk.gloves, "10", "9.00", below_min_reason="老客户")]
            ),
        )
    assert response.status_code == 400 and 'data-testid="line-errors"' in text(response)
    rows = grid_rows(response)
    assert [r["errors"] for r in rows] == [{}, {"unit_price": "第 2 行：P001 折后单价 9 低于最低售价 10。"}]
    assert rows[1]["below_min_reason"] == "老客户"  # what was typed comes back
    assert not SalesOrder.objects.exists()


def test_a_manager_may_sell_below_the_minimum_with_a_reason_kept_on_the_line(company, desk, client_for):
    client = client_for(company.manager_a)
    refused = client.post(
        reverse("web:sales-order-create"), order_post(desk, [row(desk.gloves, "10", "9.00")])
    )
    assert refused.status_code == 400
    assert grid_rows(refused)[0]["errors"] == {
        "unit_price": "第 1 行：P001 折后单价 9 低于最低售价 10，如确需低价销售请填写原因。"
    }
    saved = client.post(
        reverse("web:sales-order-create"),
        order_post(desk, [row(desk.gloves, "10", "9.00", below_min_reason="清库存")]),
    )
    order = SalesOrder.objects.get()
    assert saved.status_code == 302 and order.lines.get().below_min_reason == "清库存"
    detail = text(client.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert 'data-testid="below-min-reason">低于最低售价：清库存<' in detail


def test_a_header_refusal_lands_on_its_field(company, desk, client_for):
    client = client_for(company.rep_a1)
    response = client.post(
        reverse("web:sales-order-create"),
        order_post(desk, [row(desk.gloves, "1")], delivery_date=days(-3).isoformat()),
    )
    assert response.status_code == 400 and "交货日期不能早于订单日期。" in text(response)
    plan = client.post(
        reverse("web:sales-order-create"),
        order_post(
            desk, [row(desk.gloves, "10", "11.30")], [{"due_date": days(30).isoformat(), "amount": "100"}]
        ),
    )
    assert plan.status_code == 400 and 'data-testid="plan-errors"' in text(plan)
    assert "分期金额合计 100.00 与总金额 113.00 不一致。" in text(plan)
    assert not SalesOrder.objects.exists()


def test_the_grid_marks_a_line_asking_for_more_than_is_available_and_unmarks_it(company, desk, client_for):
    put_stock(desk, desk.gloves, "40")
    put_stock(desk, desk.gloves, "30", warehouse=desk.second)
    incoming(desk, "100")
    client = client_for(company.rep_a1)
    short = availability(client, desk, [row(desk.masks, "5"), row(desk.gloves, "60")])
    assert short.status_code == 200
    gloves = cell(short, "avail", 1)
    # the purchase order's expected date (incoming(): 7 days from today) says when goods arrive
    expected = f"可用 40，缺 20，在途 100，预计 {days(7).isoformat()} 到货"
    assert 'data-testid="line-short"' in gloves and "table-danger" in gloves
    assert f">{expected}<" in gloves
    assert "现有 40 · 预留 0 · 可用 40 · 在途 100" in gloves and "其他仓库可用 30" in gloves
    masks = cell(short, "avail", 0)  # nothing in stock at all, nothing coming
    assert "可用 0，缺 5<" in masks
    assert 'data-testid="short-summary"' in text(short)
    enough = availability(client, desk, [row(desk.masks, "0.5"), row(desk.gloves, "40")])
    assert 'data-testid="line-short"' not in cell(enough, "avail", 1)
    # the other warehouse has the gloves: choosing it clears the mark
    there = availability(client, desk, [row(desk.gloves, "30")], warehouse=str(desk.second.pk))
    assert 'data-testid="line-short"' not in cell(there, "avail", 0)
    # a shortage does not stop saving or submitting (approval reserves)
    saved = client.post(
        reverse("web:sales-order-create"), order_post(desk, [row(desk.gloves, "60", "11.30")])
    )
    order = SalesOrder.objects.get()
    assert saved.status_code == 302
    detail = text(client.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert 'data-testid="order-shortages"' in detail and f">{expected}<" in detail
    assert client.post(reverse("web:sales-order-submit", args=[order.pk])).status_code == 302


def test_the_credit_position_warns_when_the_order_would_exceed_the_limit(company, desk, client_for):
    desk.xiehe.credit_limit = D("1000.00")
    desk.xiehe.save(update_fields=["credit_limit"])
    client = client_for(company.rep_a1)
    over = text(availability(client, desk, [row(desk.gloves, "100")]))  # 100 × 10.80
    assert (
        'data-testid="credit-limit">¥1,000.00<' in over
        and 'data-testid="credit-available">¥1,000.00<' in over
    )
    assert 'data-testid="order-total">¥1,080.00<' in over
    assert 'data-testid="credit-warning"' in over and "超出信用额度 ¥80.00" in over
    within = text(availability(client, desk, [row(desk.gloves, "50")]))
    assert 'data-testid="credit-warning"' not in within
    nobody = text(availability(client, desk, [row(desk.gloves, "50")], customer=""))
    assert 'data-testid="credit-position"' not in nobody and 'data-testid="proposed-price"' not in nobody


def test_an_order_from_an_accepted_quote_takes_its_customer_lines_and_prices(company, desk, client_for):
    quote = make_quote(
        desk, (desk.gloves, "10", "11.00"), (desk.masks, "20", "3.00"), status=QuoteStatus.ACCEPTED
    )
    client = client_for(company.rep_a1)
    url = reverse("web:sales-order-create") + f"?quote={quote.pk}"
    quote_page = text(client.get(reverse("web:customer-quote-detail", args=[quote.pk])))
    assert f'href="{url}"' in quote_page and 'data-testid="quote-to-order"' in quote_page
    form = client.get(url)
    assert form.status_code == 200 and 'data-testid="quote-customer"' in text(form)
    assert [(r["product"], r["quantity"]) for r in grid_rows(form)] == [
        (str(desk.gloves.pk), "10"),
        (str(desk.masks.pk), "20"),
    ]
    live = availability(client, desk, [row(desk.gloves, "10")], customer="", quote=str(quote.pk))
    assert "建议价 11（报价单价格）" in cell(live, "price", 0)
    data = order_post(desk, [row(desk.gloves, "10"), row(desk.masks, "20")])
    del data["customer"]
    response = client.post(url, data)
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and (order.quote, order.customer) == (quote, desk.xiehe)
    assert [(x.unit_price, x.price_source) for x in order.lines.order_by("id")] == [
        (D("11.00"), PriceSource.QUOTE),
        (D("3.00"), PriceSource.QUOTE),
    ]
    detail = text(client.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert reverse("web:customer-quote-detail", args=[quote.pk]) in detail
    # a draft quote is refused with the service's message, nothing saved
    drafted = make_quote(desk, (desk.gloves, "1", "11.00"), status=QuoteStatus.DRAFT)
    refused = client.post(reverse("web:sales-order-create") + f"?quote={drafted.pk}", data)
    assert refused.status_code == 400
    assert f"报价单 {drafted.number} 当前状态为“草稿”，只有已发送或已接受的报价单才能下单。" in text(refused)
    assert SalesOrder.objects.count() == 1
    # another team's quote is not found
    assert client_for(company.rep_b1).get(url).status_code == 404


def test_an_order_under_a_contract_starts_from_its_lines(company, desk, client_for):
    contract = make_contract(desk, (desk.gloves, "50", "10.50"))
    client = client_for(company.rep_a1)
    form = client.get(reverse("web:sales-order-create"), {"contract": contract.pk})
    assert f'<option value="{contract.pk}" selected' in text(form)
    assert [(r["product"], r["quantity"]) for r in grid_rows(form)] == [(str(desk.gloves.pk), "50")]
    live = availability(client, desk, [row(desk.gloves, "50")], contract=str(contract.pk))
    assert "建议价 10.5（合同价）" in cell(live, "price", 0)
    client.post(
        reverse("web:sales-order-create"),
        order_post(desk, [row(desk.gloves, "50")], contract=str(contract.pk)),
    )
    order = SalesOrder.objects.get()
    assert order.contract == contract and order.lines.get().price_source == PriceSource.CONTRACT


# Workflow --------------------------------------------------------------------------------------


def test_submit_withdraw_and_cancel_from_the_detail_page(company, desk, client_for):
    order = draft(desk)
    client = client_for(company.rep_a1)
    detail = reverse("web:sales-order-detail", args=[order.pk])
    assert client.post(reverse("web:sales-order-submit", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == Status.SUBMITTED
    page = text(client.get(detail))
    assert 'data-testid="approval-link"' in page and 'data-testid="document-withdraw"' in page
    assert 'data-testid="document-edit"' not in page
    assert client.get(reverse("web:sales-order-edit", args=[order.pk])).status_code == 302
    # a submitted order cannot be cancelled: the service says so on the page
    with unchanged():
        refused = client.post(reverse("web:sales-order-cancel", args=[order.pk]), {"reason": "不要了"})
    assert refused.status_code == 400 and 'data-testid="cancel-form"' in text(refused)
    assert client.post(reverse("web:sales-order-withdraw", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    assert (
        client.post(reverse("web:sales-order-cancel", args=[order.pk]), {"reason": "客户取消"}).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert 'data-testid="document-cancel"' not in text(client.get(detail))


def test_submitting_an_order_nobody_can_approve_shows_why_and_keeps_it_a_draft(company, desk, client_for):
    order = draft(desk)
    type(company.manager_a).objects.filter(pk__in=[company.manager_a.pk, company.sales_head.pk]).update(
        is_manager=False
    )
    response = client_for(company.rep_a1).post(reverse("web:sales-order-submit", args=[order.pk]))
    order.refresh_from_db()
    assert response.status_code == 400 and 'data-testid="action-error"' in text(response)
    assert order.status == Status.DRAFT


def test_the_approver_unapproves_with_a_reason(company, desk, client_for):
    put_stock(desk, desk.gloves, "200")
    order = approved(desk)
    detail = reverse("web:sales-order-detail", args=[order.pk])
    assert 'data-testid="document-unapprove"' not in text(client_for(company.rep_a1).get(detail))
    manager = client_for(company.manager_a)
    assert 'data-testid="document-unapprove"' in text(manager.get(detail))
    with unchanged():
        refused = manager.post(reverse("web:sales-order-unapprove", args=[order.pk]), {"reason": " "})
    assert refused.status_code == 400 and 'data-testid="unapprove-form"' in text(refused)
    done = manager.post(reverse("web:sales-order-unapprove", args=[order.pk]), {"reason": "价格有误"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DRAFT and receivable_of(order).status == "reversed"


def test_unapprove_and_cancel_after_a_shipment_are_refused_and_change_nothing(company, desk, client_for):
    put_stock(desk, desk.gloves, "200")
    order = approved(desk)
    ship_some(desk, order)
    assert order.status == Status.IN_PROGRESS
    manager, rep = client_for(company.manager_a), client_for(company.rep_a1)
    with unchanged():
        refused = manager.post(reverse("web:sales-order-unapprove", args=[order.pk]), {"reason": "价格有误"})
        cancel = rep.post(reverse("web:sales-order-cancel", args=[order.pk]), {"reason": "客户取消"})
    assert refused.status_code == 400
    assert f"销售订单 {order.number} 已有发货或收款，不能反审核。" in text(refused)
    assert cancel.status_code == 400 and f"销售订单 {order.number} 已有发货或收款，不能作废。" in text(cancel)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    page = text(rep.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert 'data-testid="order-shipped">10/100<' in page
    assert 'data-testid="document-unapprove"' not in page and 'data-testid="document-cancel"' not in page
    shipped = text(rep.get(reverse("web:sales-order-detail", args=[order.pk]), {"tab": "shipments"}))
    assert shipped.count('data-testid="shipment-row"') == 1
    assert 'data-testid="shipment-status">运输中<' in shipped  # in logistics' words, as on its own page


def test_the_profit_tab_is_shown_only_to_who_may_see_costs(company, desk, client_for):
    put_stock(desk, desk.gloves, "200", cost="8.00")
    order = approved(desk)  # 100 × 11.30, 13% VAT: 1,000.00 ex tax
    ship_some(desk, order, "100")
    url = reverse("web:sales-order-detail", args=[order.pk])
    rep = text(client_for(company.rep_a1).get(url, {"tab": "profit"}))
    assert 'href="?tab=profit"' not in rep and 'data-testid="order-profit"' not in rep
    page = text(client_for(company.manager_a).get(url, {"tab": "profit"}))
    assert 'href="?tab=profit"' in page
    assert 'data-testid="profit-revenue">¥1,000.00<' in page and 'data-testid="profit-cost">¥800.00<' in page
    assert 'data-testid="profit-profit">¥200.00<' in page and 'data-testid="profit-margin">20.00%<' in page


def test_logistics_gets_the_ship_button_and_the_salesperson_the_return_button(company, desk, client_for):
    put_stock(desk, desk.gloves, "200")
    order = submitted(desk)
    url = reverse("web:sales-order-detail", args=[order.pk])
    keeper, rep = client_for(desk.keeper), client_for(company.rep_a1)
    assert 'data-testid="order-ship"' not in text(keeper.get(url))
    order_services.approve_order(order, actor=desk.manager)
    assert f'href="{reverse("web:shipment-create", args=[order.pk])}"' in text(keeper.get(url))
    page = text(rep.get(url))
    assert 'data-testid="order-ship"' not in page and 'data-testid="order-return"' not in page
    ship_some(desk, order)
    assert f'href="{reverse("web:sales-return-create", args=[order.pk])}"' in text(rep.get(url))
    shipment = order.shipments.get()
    shipped = text(rep.get(url, {"tab": "shipments"}))
    assert f'href="{reverse("web:shipment-detail", args=[shipment.pk])}"' in shipped
    back = return_services.create_return(
        order,
        actor=company.rep_a1,
        lines=[return_services.ReturnLineInput(shipment.lines.get().pk, D("2"))],
        reason="包装破损",
    )
    returned = text(rep.get(url, {"tab": "returns"}))
    assert (
        f'href="{reverse("web:sales-return-detail", args=[back.pk])}"' in returned and "包装破损" in returned
    )


def test_the_detail_page_in_english(company, desk, client_for):
    order = draft(desk)
    client = client_for(company.rep_a1)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = text(client.get(reverse("web:sales-order-detail", args=[order.pk])))
    assert '<html lang="en">' in page and ">Draft<" in page
    listing = text(client.get(reverse("web:sales-order-list")))
    assert '<html lang="en">' in listing and order.number in listing
