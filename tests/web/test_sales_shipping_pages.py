"""The shipment pages as logistics, salespeople and other roles see them: the 待发货 queue (earliest
requested delivery first, late ones marked, filtered by warehouse and search, within the user's
scope), the shipping form with first expiry first out or a chosen lot, refusals on the row they
name with nothing changed, the shipments list, the detail with 确认签收, and the printable
delivery note without prices."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.inventory.models import Warehouse
from maoyi.sales.models import SalesOrder, Shipment
from tests.sales.builders import (
    Line,
    approved_order,
    build_shop,
    days,
    draft_order,
    item,
    level,
    line_of,
    lot,
    on_lot,
    put_in,
    ship,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    return build_shop(company)


def text(response) -> str:
    return response.content.decode()


def listed(response, testid: str = "order-link") -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]+)<', text(response))


def row_errors(response) -> list[str]:
    return re.findall(r'data-testid="row-error">([^<]+)<', text(response))


def grid(rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"lines-{index}-{key}": value for key, value in row.items()})
    return data


def ship_post(rows: list[dict[str, str]], **header: str) -> dict[str, str]:
    data = {
        "shipped_on": days(0).isoformat(),
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
        "note": "",
        **header,
    }
    return {**data, **grid(rows)}


def stocked(shop) -> None:
    """Lot SOON (10, expiring first), lot LATE (40) and an expired lot OLD (5) of ZS001."""
    put_in(shop, "10", "8.00", "SOON", expiry=days(100))
    put_in(shop, "40", "8.00", "LATE", expiry=days(400))
    put_in(shop, "5", "8.00", "OLD", expiry=days(-1))


# Access ----------------------------------------------------------------------------------------


def test_logistics_reaches_every_page_and_a_salesperson_only_the_ones_to_read(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    doc = ship(shop, order, item(line_of(order), "5"))
    keeper, rep = client_for(shop.keeper), client_for(company.rep_a1)
    for name, args in (
        ("sales-to-ship", []),
        ("shipment-create", [order.pk]),
        ("shipment-list", []),
        ("shipment-detail", [doc.pk]),
        ("shipment-note", [doc.pk]),
    ):
        assert keeper.get(reverse(f"web:{name}", args=args)).status_code == 200, name
    for name, args in (("shipment-list", []), ("shipment-detail", [doc.pk]), ("shipment-note", [doc.pk])):
        assert rep.get(reverse(f"web:{name}", args=args)).status_code == 200, name
    # A salesperson does not ship nor confirm delivery.
    assert rep.get(reverse("web:sales-to-ship")).status_code == 403
    assert rep.get(reverse("web:shipment-create", args=[order.pk])).status_code == 403
    assert rep.post(reverse("web:shipment-create", args=[order.pk]), ship_post([])).status_code == 403
    assert rep.post(reverse("web:shipment-deliver", args=[doc.pk]), {"signed_by": "王"}).status_code == 403
    purchaser = client_for(company.purchaser)
    assert purchaser.get(reverse("web:shipment-list")).status_code == 403
    assert purchaser.get(reverse("web:shipment-detail", args=[doc.pk])).status_code == 403


def test_a_shipment_of_another_teams_order_is_not_found(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    doc = ship(shop, order, item(line_of(order), "5"))
    other = client_for(company.rep_b1)
    for name in ("shipment-detail", "shipment-note"):
        assert other.get(reverse(f"web:{name}", args=[doc.pk])).status_code == 404, name
    assert other.get(reverse("web:shipment-detail", args=[99999])).status_code == 404
    assert listed(other.get(reverse("web:shipment-list")), "shipment-link") == []
    assert listed(client_for(company.manager_a).get(reverse("web:shipment-list")), "shipment-link") == [
        doc.number
    ]


# 待发货 ----------------------------------------------------------------------------------------------


def test_the_queue_lists_open_orders_earliest_delivery_first_and_marks_the_late_ones(
    company, shop, client_for
):
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "100", "2.00", product=shop.plain)
    later = approved_order(shop, Line(shop.product, "5", "22.60"), delivery_date=days(5))
    undated = approved_order(shop, Line(shop.product, "5", "22.60"))
    late = approved_order(
        shop,
        Line(shop.product, "5", "22.60"),
        Line(shop.plain, "5", "5.00"),
        delivery_date=days(-3),
        customer=shop.other_customer,
        owner=company.rep_b1,
    )
    done = approved_order(shop, Line(shop.product, "5", "22.60"), delivery_date=days(-9))
    ship(shop, done, item(line_of(done), "5"))
    draft_order(shop)
    keeper = client_for(shop.keeper)
    page = keeper.get(reverse("web:sales-to-ship"))
    assert listed(page) == [late.number, later.number, undated.number]
    body = text(page)
    assert body.count('data-testid="late"') == 1
    assert re.findall(r'data-testid="open-lines">(\d+)<', body) == ["2", "1", "1"]
    assert reverse("web:shipment-create", args=[late.pk]) in body
    # Partly shipped: still listed, with one line open.
    ship(shop, late, item(line_of(late), "5"))
    assert re.findall(r'data-testid="open-lines">(\d+)<', text(keeper.get(reverse("web:sales-to-ship")))) == [
        "1",
        "1",
        "1",
    ]
    assert listed(keeper.get(reverse("web:sales-to-ship"), {"q": "瑞金"})) == [late.number]
    assert listed(keeper.get(reverse("web:sales-to-ship"), {"q": later.number})) == [later.number]
    other = Warehouse.objects.create(code="WH02", name="上海仓")
    nothing = keeper.get(reverse("web:sales-to-ship"), {"warehouse": other.pk})
    assert listed(nothing) == [] and "没有符合条件的待发货订单。" in text(nothing)
    assert len(listed(keeper.get(reverse("web:sales-to-ship"), {"warehouse": shop.warehouse.pk}))) == 3


def test_the_queue_keeps_to_the_users_data_scope(company, shop, client_for):
    put_in(shop, "100", "8.00", "L1")
    mine = approved_order(shop, Line(shop.product, "5", "22.60"))
    approved_order(shop, Line(shop.product, "5", "22.60"), customer=shop.other_customer, owner=company.rep_b1)
    # A salesperson given the right to ship still sees only their own orders (本人 scope).
    company.rep_a1.user.user_permissions.add(Permission.objects.get(codename="add_shipment"))
    assert listed(client_for(company.rep_a1).get(reverse("web:sales-to-ship"))) == [mine.number]
    empty = client_for(shop.keeper).get(reverse("web:sales-to-ship"), {"q": "不存在的客户"})
    assert 'data-testid="empty"' in text(empty)


# The shipping form -----------------------------------------------------------------------------


def test_the_form_prefills_the_open_quantities_and_offers_the_lots_of_the_warehouse(
    company, shop, client_for
):
    stocked(shop)
    put_in(shop, "9", "8.00", "ELSEWHERE", warehouse=shop.quality)
    put_in(shop, "20", "2.00", product=shop.plain)
    order = approved_order(shop, Line(shop.product, "12", "22.60"), Line(shop.plain, "3", "5.00"))
    ship(shop, order, item(line_of(order), "2"))
    page = client_for(shop.keeper).get(reverse("web:shipment-create", args=[order.pk]))
    body = text(page)
    assert page.status_code == 200 and body.count('data-testid="shipment-row"') == 2
    assert re.findall(r'data-testid="open-quantity">([^<]+)<', body) == ["10", "3"]
    assert 'name="lines-0-quantity" value="10"' in body and 'name="lines-1-quantity" value="3"' in body
    assert body.count('data-testid="lot-select"') == 1  # the plain product has no lots to pick
    assert "先到期先出 (FEFO)" in body
    assert f"SOON · 有效期至 {days(100).isoformat()} · 库存 8" in body  # 2 already shipped from it
    assert "LATE · 有效期至" in body and "ELSEWHERE" not in body
    expired = re.search(r"<option value=\"(\d+)\" disabled>OLD [^<]*已过期</option>", body)
    assert expired is not None and expired.group(1) == str(lot("OLD").pk)


def test_shipping_first_expiry_first_out_posts_the_shipment_and_names_the_orders_new_status(
    company, shop, client_for
):
    stocked(shop)
    order = approved_order(shop, Line(shop.product, "25", "22.60"))
    first = line_of(order)
    keeper = client_for(shop.keeper)
    response = keeper.post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(first.pk), "quantity": "15", "lot": ""}], note="轻放"),
    )
    doc = Shipment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:shipment-detail", args=[doc.pk]
    )
    assert list(doc.lines.order_by("id").values_list("lot__lot_number", "quantity")) == [
        ("SOON", D("10")),
        ("LATE", D("5")),
    ]
    assert (doc.carrier, doc.tracking_number, doc.note, doc.status) == (
        "顺丰速运",
        "SF1234567890",
        "轻放",
        Status.IN_PROGRESS,
    )
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and line_of(order).shipped_quantity == D("15")
    detail = keeper.get(response["Location"])
    body = text(detail)
    assert f"已发货 {doc.number}，订单 {order.number} 状态：执行中。" in body
    assert re.findall(r'data-testid="lot-link">([^<]+)<', body) == [
        "SOON",
        "LATE",
    ]
    assert 'data-testid="shipment-status">运输中<' in body and 'data-testid="deliver-form"' in body
    assert 'data-testid="unit-cost">8<' in body and 'data-testid="total-cost">¥120.00<' in body
    # The rest ships next; the order is done and leaves the queue.
    keeper.post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(first.pk), "quantity": "10"}]),
    )
    order.refresh_from_db()
    assert order.status == Status.DONE and listed(keeper.get(reverse("web:sales-to-ship"))) == []


def test_a_chosen_lot_is_taken_instead_of_the_first_to_expire(company, shop, client_for):
    stocked(shop)
    order = approved_order(shop, Line(shop.product, "25", "22.60"))
    response = client_for(shop.keeper).post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(line_of(order).pk), "quantity": "6", "lot": str(lot("LATE").pk)}]),
    )
    assert response.status_code == 302
    assert list(Shipment.objects.get().lines.values_list("lot__lot_number", "quantity")) == [("LATE", D("6"))]
    assert (on_lot(shop, "SOON"), on_lot(shop, "LATE")) == (D("10"), D("34"))


def test_shipping_more_than_is_open_is_refused_on_its_row_and_nothing_changes(company, shop, client_for):
    stocked(shop)
    put_in(shop, "20", "2.00", product=shop.plain)
    order = approved_order(shop, Line(shop.plain, "3", "5.00"), Line(shop.product, "10", "22.60"))
    plain, tracked = order.lines.order_by("id")
    before = level(shop)
    with unchanged():
        response = client_for(shop.keeper).post(
            reverse("web:shipment-create", args=[order.pk]),
            ship_post(
                [
                    {"line": str(plain.pk), "quantity": ""},  # not shipped this time: row 1 of the service
                    {"line": str(tracked.pk), "quantity": "11", "lot": ""},
                ]
            ),
        )
    assert response.status_code == 400
    assert row_errors(response) == ["第 1 行：ZS001 本次发货 11，超过未发货数量 10。"]
    body = text(response)
    assert 'name="lines-1-quantity" value="11"' in body  # the error sits on the second grid row
    assert body.index('data-testid="row-error"') > body.index('name="lines-1-quantity"')
    order.refresh_from_db()
    assert order.status == Status.APPROVED and level(shop) == before


def test_an_expired_lot_is_refused_on_its_lot_cell_and_nothing_changes(company, shop, client_for):
    stocked(shop)
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    with unchanged():
        response = client_for(shop.keeper).post(
            reverse("web:shipment-create", args=[order.pk]),
            ship_post([{"line": str(line_of(order).pk), "quantity": "3", "lot": str(lot("OLD").pk)}]),
        )
    assert response.status_code == 400
    assert row_errors(response) == [
        f"第 1 行：批次 OLD（ZS001）已于 {days(-1).isoformat()} 过期，不能发给客户。"
    ]
    assert 'class="form-select is-invalid" data-testid="lot-select"' in text(response)
    assert on_lot(shop, "OLD") == D("5") and not Shipment.objects.exists()


def test_a_lot_without_enough_stock_and_a_future_date_are_refused_where_they_belong(
    company, shop, client_for
):
    stocked(shop)
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    keeper = client_for(shop.keeper)
    short = keeper.post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(line_of(order).pk), "quantity": "12", "lot": str(lot("SOON").pk)}]),
    )
    assert short.status_code == 400 and row_errors(short) == ["第 1 行：批次 SOON（ZS001）只有 10，需要 12。"]
    future = keeper.post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(line_of(order).pk), "quantity": "1"}], shipped_on=days(1).isoformat()),
    )
    assert future.status_code == 400 and "发货日期不能晚于今天。" in text(future)
    nothing = keeper.post(
        reverse("web:shipment-create", args=[order.pk]),
        ship_post([{"line": str(line_of(order).pk), "quantity": ""}]),
    )
    assert nothing.status_code == 400 and 'data-testid="form-errors"' in text(nothing)
    assert "请至少填写一行发货数量。" in text(nothing)
    assert not Shipment.objects.exists()


def test_an_order_that_is_not_approved_is_not_shipped(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = draft_order(shop)
    response = client_for(shop.keeper).get(reverse("web:shipment-create", args=[order.pk]))
    assert response.status_code == 302
    other = approved_order(shop, customer=shop.other_customer, owner=company.rep_b1)
    company.rep_a1.user.user_permissions.add(Permission.objects.get(codename="add_shipment"))
    assert client_for(company.rep_a1).get(reverse("web:shipment-create", args=[other.pk])).status_code == 404


# Shipments: list, detail, delivery ----------------------------------------------------------------


def test_the_list_searches_the_tracking_number_and_filters_by_status_customer_and_date(
    company, shop, client_for
):
    put_in(shop, "100", "8.00", "L1")
    mine = approved_order(shop, Line(shop.product, "20", "22.60"))
    theirs = approved_order(
        shop, Line(shop.product, "20", "22.60"), customer=shop.other_customer, owner=company.rep_b1
    )
    first = ship(shop, mine, item(line_of(mine), "5"), tracking_number="SF0001")
    second = ship(shop, theirs, item(line_of(theirs), "5"), tracking_number="YT0002", carrier="圆通")
    client = client_for(shop.keeper)
    url = reverse("web:shipment-list")
    assert set(listed(client.get(url), "shipment-link")) == {first.number, second.number}
    assert listed(client.get(url, {"q": "YT0002"}), "shipment-link") == [second.number]
    assert listed(client.get(url, {"customer": shop.customer.pk}), "shipment-link") == [first.number]
    client.post(reverse("web:shipment-deliver", args=[first.pk]), {"delivered_on": days(0).isoformat()})
    assert listed(client.get(url, {"status": "done"}), "shipment-link") == [first.number]
    assert listed(client.get(url, {"status": "in_progress"}), "shipment-link") == [second.number]
    assert 'data-testid="shipment-status">已签收<' in text(client.get(url, {"status": "done"}))
    assert (
        len(
            listed(client.get(url, {"from": days(0).isoformat(), "to": days(0).isoformat()}), "shipment-link")
        )
        == 2
    )
    nothing = client.get(url, {"from": days(1).isoformat()})
    assert listed(nothing, "shipment-link") == [] and "没有符合条件的发货单。" in text(nothing)
    assert "还没有发货单。" in text(client_for(company.rep_a2).get(url))


def test_delivery_is_confirmed_with_the_day_and_the_signer(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"), order_date=days(-5))
    doc = ship(shop, order, item(line_of(order), "5"), shipped_on=days(-2))
    keeper = client_for(shop.keeper)
    refused = keeper.post(
        reverse("web:shipment-deliver", args=[doc.pk]),
        {"delivered_on": days(-3).isoformat(), "signed_by": "王护士"},
    )
    assert refused.status_code == 400
    assert f"签收日期不能早于发货日期 {days(-2).isoformat()}。" in text(refused)
    assert 'data-testid="deliver-form"' in text(refused)
    doc.refresh_from_db()
    assert doc.status == Status.IN_PROGRESS
    response = keeper.post(
        reverse("web:shipment-deliver", args=[doc.pk]),
        {"delivered_on": days(-1).isoformat(), "signed_by": "王护士"},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert (doc.status, doc.delivered_on, doc.signed_by) == (Status.DONE, days(-1), "王护士")
    body = text(keeper.get(reverse("web:shipment-detail", args=[doc.pk])))
    assert f"发货单 {doc.number} 已确认签收。" in body
    assert (
        'data-testid="signed-by">王护士<' in body
        and f'data-testid="delivered-on">{days(-1).isoformat()}<' in body
    )
    assert 'data-testid="deliver-form"' not in body and 'data-testid="shipment-status">已签收<' in body


def test_the_detail_shows_the_cost_only_to_who_may_see_it(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    doc = ship(shop, order, item(line_of(order), "5"))
    body = text(client_for(company.rep_a1).get(reverse("web:shipment-detail", args=[doc.pk])))
    assert "单位成本" not in body and 'data-testid="unit-cost"' not in body
    assert 'data-testid="deliver-form"' not in body and reverse("web:shipment-note", args=[doc.pk]) in body
    assert 'data-testid="tracking-number">SF1234567890<' in body
    history = text(
        client_for(shop.keeper).get(reverse("web:shipment-detail", args=[doc.pk]), {"tab": "history"})
    )
    assert shop.keeper.name in history
    attachments = client_for(shop.keeper).get(
        reverse("web:shipment-detail", args=[doc.pk]), {"tab": "attachments"}
    )
    assert 'data-testid="attachments"' in text(attachments)


def test_the_delivery_note_prints_customer_lots_and_tracking_but_no_price(company, shop, client_for):
    put_in(shop, "10", "8.00", "L2601", expiry=days(300))
    order = approved_order(shop, Line(shop.product, "10", "22.60"))
    SalesOrder.objects.filter(pk=order.pk).update(
        delivery_address="北京市东城区帅府园1号", receiver="王护士", receiver_phone="010-69156114"
    )
    doc = ship(shop, order, item(line_of(order), "10"), carrier="顺丰速运", tracking_number="SF9988776655")
    response = client_for(shop.keeper).get(reverse("web:shipment-note", args=[doc.pk]))
    body = text(response)
    assert response.status_code == 200
    assert (
        'data-testid="note-customer">北京协和医院<' in body and 'data-testid="company-name">测试公司<' in body
    )
    assert 'data-testid="note-lot">L2601<' in body and days(300).isoformat() in body
    assert 'data-testid="note-tracking">SF9988776655<' in body
    assert all(
        s in body for s in ("北京市东城区帅府园1号", "王护士", "010-69156114", order.number, doc.number)
    )
    assert all(s in body for s in ("制单", "仓管", "送货", "签收", "@media print", "size: A4"))
    assert 'class="toolbar no-print"' in body and "window.print()" in body
    # No price, amount or cost anywhere on the note, and none of the app's chrome.
    assert "22.6" not in body and "¥" not in body and "单价" not in body and "金额" not in body
    assert 'data-testid="sidebar"' not in body


def test_the_shipment_page_renders_in_english(company, shop, client_for):
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    doc = ship(shop, order, item(line_of(order), "5"))
    client = client_for(shop.keeper)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = text(client.get(reverse("web:shipment-detail", args=[doc.pk])))
    assert '<html lang="en">' in body and "Tracking number" in body and "Carrier" in body
