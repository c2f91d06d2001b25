"""The purchase order, goods receipt and purchase return pages as the purchaser, their manager,
logistics and people without the permissions see them: lists, the order form with its quote
prices and payment plan, approval through the inbox (which opens the payable), partial receipts
with lots, the over-receipt refusal on its row, a return shipped by logistics (the refund becomes a
receivable), 反审核 and 作废, and data scope."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.approvals.models import ApprovalRequest
from maoyi.core.documents import Status
from maoyi.finance.models import Obligation, Payable
from maoyi.inventory.models import Lot
from maoyi.org.models import Employee
from maoyi.purchasing.models import GoodsReceipt, PurchaseOrder, PurchaseReturn
from tests.factories import make_employee
from tests.purchasing.order_builders import (
    approved,
    approved_return,
    days,
    draft,
    line,
    on_hand,
    payable_of,
    quote,
    receive,
    unchanged,
)
from tests.purchasing.order_builders import build_shop as _build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    return _build_shop(company)


def text(response) -> str:
    return response.content.decode()


def listed(response, testid: str = "order-link") -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]+)<', text(response))


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


def order_post(shop, lines: list[dict[str, str]], plan: list[dict[str, str]] = (), **header: str):
    data = {
        "supplier": str(shop.supplier.pk),
        "warehouse": str(shop.warehouse.pk),
        "currency": "",
        "exchange_rate": "",
        "expected_date": days(7).isoformat(),
        "note": "",
        **header,
    }
    return {**data, **grid("lines", lines), **grid("installments", list(plan))}


def grid_rows(response) -> list[dict]:
    """The line grid's rows as the page hands them to the browser (with each cell's error)."""
    found = re.search(r'id="grid-rows" type="application/json">(.*?)</script>', text(response))
    assert found is not None
    return json.loads(found.group(1))


def receipt_post(order, rows: list[dict[str, str]], **header: str) -> dict[str, str]:
    return {"received_on": days(0).isoformat(), "note": "", **header, **grid("lines", rows)}


def approve_in_inbox(client, doc) -> None:
    request = ApprovalRequest.objects.get(document_type=doc.DOCUMENT_TYPE, object_id=doc.pk, status="pending")
    response = client.post(reverse("web:approval-decide", args=[request.pk, "approve"]), {"comment": "同意"})
    assert response.status_code == 302, text(response)


# Access ----------------------------------------------------------------------------------------


def test_each_page_renders_for_its_role_and_refuses_the_others(company, shop, client_for):
    order = approved(shop)
    receipt = receive(shop, order, "60")
    back = approved_return(shop, order, "10")
    buyer, keeper, rep = client_for(company.purchaser), client_for(shop.keeper), client_for(company.rep_a1)
    for name, args in (
        ("purchase-order-list", []),
        ("purchase-order-create", []),
        ("purchase-order-detail", [order.pk]),
        ("purchase-return-list", []),
        ("purchase-return-detail", [back.pk]),
        ("purchase-return-create", [order.pk]),
        ("goods-receipt-detail", [receipt.pk]),
    ):
        assert buyer.get(reverse(f"web:{name}", args=args)).status_code == 200, name
        assert rep.get(reverse(f"web:{name}", args=args)).status_code == 403, name
    for name, args in (
        ("purchase-to-receive", []),
        ("purchase-return-to-ship", []),
        ("goods-receipt-create", [order.pk]),
        ("purchase-order-detail", [order.pk]),
        ("purchase-return-detail", [back.pk]),
        ("goods-receipt-detail", [receipt.pk]),
    ):
        assert keeper.get(reverse(f"web:{name}", args=args)).status_code == 200, name
        assert rep.get(reverse(f"web:{name}", args=args)).status_code == 403, name
    # The purchaser does not receive goods nor ship returns; logistics does not write orders.
    assert buyer.get(reverse("web:purchase-to-receive")).status_code == 403
    assert buyer.get(reverse("web:purchase-return-to-ship")).status_code == 403
    assert buyer.get(reverse("web:goods-receipt-create", args=[order.pk])).status_code == 403
    assert keeper.get(reverse("web:purchase-order-create")).status_code == 403
    assert keeper.post(reverse("web:purchase-order-submit", args=[order.pk])).status_code == 403
    finance = client_for(company.finance_clerk)
    assert finance.get(reverse("web:purchase-order-detail", args=[order.pk])).status_code == 200
    assert finance.get(reverse("web:purchase-order-create")).status_code == 403


def test_a_purchaser_sees_their_own_orders_and_another_purchaser_gets_404(company, shop, client_for):
    mine = draft(shop)
    other = make_employee(company.purchasing, "purchaser", username="buyer2", name="周敏")
    client = client_for(other)
    assert listed(client.get(reverse("web:purchase-order-list"))) == []
    for name in ("purchase-order-detail", "purchase-order-edit"):
        assert client.get(reverse(f"web:{name}", args=[mine.pk])).status_code == 404
    assert client.post(reverse("web:purchase-order-submit", args=[mine.pk])).status_code == 404
    assert client.get(reverse("web:purchase-order-detail", args=[99999])).status_code == 404
    assert listed(client_for(company.purchaser).get(reverse("web:purchase-order-list"))) == [mine.number]
    assert listed(client_for(shop.manager).get(reverse("web:purchase-order-list"))) == [mine.number]


# List ------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_and_supplier_marks_late_orders_and_shows_progress(
    company, shop, client_for
):
    late = approved(shop, expected_date=days(-3))
    receive(shop, late, "60")
    usd = draft(shop, line(shop.product, "5", "2.00"), supplier=shop.usd_supplier, exchange_rate=D("7.1"))
    client = client_for(company.purchaser)
    page = client.get(reverse("web:purchase-order-list"))
    assert set(listed(page)) == {late.number, usd.number}
    body = text(page)
    assert 'data-testid="progress">60/100<' in body and "$10.00" in body and "¥1,130.00" in body
    assert body.count('data-testid="late"') == 1
    assert listed(client.get(reverse("web:purchase-order-list"), {"status": "in_progress"})) == [late.number]
    by_supplier = client.get(reverse("web:purchase-order-list"), {"supplier": shop.usd_supplier.pk})
    assert listed(by_supplier) == [usd.number]
    assert listed(client.get(reverse("web:purchase-order-list"), {"q": "Medivena"})) == [usd.number]
    assert listed(client.get(reverse("web:purchase-order-list"), {"o": "expected"})) == [
        late.number,
        usd.number,
    ]
    nothing = client.get(reverse("web:purchase-order-list"), {"status": "done"})
    assert listed(nothing) == [] and "没有符合条件的采购订单。" in text(nothing)


# The order form ---------------------------------------------------------------------------------


def test_a_new_order_takes_the_best_quote_when_the_price_is_left_blank_and_says_so(company, shop, client_for):
    quote(shop, "12.00")
    best = quote(shop, "11.30")
    client = client_for(company.purchaser)
    form = client.get(reverse("web:purchase-order-create"))
    assert form.status_code == 200 and 'id="grid-config"' in text(form) and '"11.3"' in text(form)
    response = client.post(
        reverse("web:purchase-order-create"),
        order_post(
            shop,
            [{"product": str(shop.product.pk), "quantity": "1000", "unit_price": "", "tax_rate": "13"}],
            [
                {"due_date": days(30).isoformat(), "amount": "5,650.00"},
                {"due_date": days(60).isoformat(), "amount": "5650"},
            ],
            note="首单",
        ),
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:purchase-order-detail", args=[order.pk]
    )
    saved = order.lines.get()
    assert (saved.unit_price, saved.quote_id, order.amount, order.currency) == (
        D("11.30"),
        best.pk,
        D("11300.00"),
        "CNY",
    )
    assert [i.amount for i in order.installments.all()] == [D("5650.00"), D("5650.00")]
    detail = text(client.get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert 'data-testid="from-quote"' in detail and "¥11,300.00" in detail and "草稿" in detail
    plan = text(client.get(reverse("web:purchase-order-detail", args=[order.pk]), {"tab": "plan"}))
    assert plan.count("¥5,650.00") == 2
    # Editing keeps the quoted line blank (shown as a hint), so saving again keeps the quote.
    edit = client.get(reverse("web:purchase-order-edit", args=[order.pk]))
    assert '"saved_price": "11.3"' in text(edit) and '"unit_price": ""' in text(edit)


def test_a_plan_that_does_not_add_up_and_a_line_without_price_are_refused_and_nothing_is_saved(
    company, shop, client_for
):
    client = client_for(company.purchaser)
    with unchanged():
        response = client.post(
            reverse("web:purchase-order-create"),
            order_post(
                shop,
                [{"product": str(shop.product.pk), "quantity": "10", "unit_price": "2", "tax_rate": "13"}],
                [{"due_date": days(30).isoformat(), "amount": "15"}],
            ),
        )
        assert response.status_code == 400
        assert "分期金额合计 15.00 与总金额 20.00 不一致。" in text(response)
        response = client.post(
            reverse("web:purchase-order-create"),
            order_post(
                shop,
                [
                    {"product": str(shop.product.pk), "quantity": "10", "unit_price": "2", "tax_rate": "13"},
                    {"product": str(shop.plain.pk), "quantity": "5", "unit_price": "", "tax_rate": "13"},
                ],
            ),
        )
        assert response.status_code == 400 and 'data-testid="line-errors"' in text(response)
        rows = grid_rows(response)
        assert [row["errors"] for row in rows] == [{}, {"unit_price": "第 2 行：没有有效报价，请填写单价。"}]
        assert rows[1]["quantity"] == "5"  # what was typed comes back


def test_a_usd_order_without_a_rate_asks_for_one_on_the_rate_field(company, shop, client_for):
    client = client_for(company.purchaser)
    response = client.post(
        reverse("web:purchase-order-create"),
        order_post(
            shop,
            [{"product": str(shop.product.pk), "quantity": "10", "unit_price": "2", "tax_rate": "13"}],
            supplier=str(shop.usd_supplier.pk),
        ),
    )
    assert response.status_code == 400 and "还没有 USD 的汇率" in text(response)
    assert not PurchaseOrder.objects.exists()


# Workflow -------------------------------------------------------------------------------------


def test_submit_then_approve_in_the_inbox_opens_the_payable_shown_on_the_order(company, shop, client_for):
    order = draft(shop, line(shop.product, "100", "11.30"))
    buyer = client_for(company.purchaser)
    response = buyer.post(reverse("web:purchase-order-submit", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.SUBMITTED
    page = text(buyer.get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert 'data-testid="approval-link"' in page and 'data-testid="document-withdraw"' in page
    assert 'data-testid="document-edit"' not in page
    approve_in_inbox(client_for(shop.manager), order)
    order.refresh_from_db()
    payable = payable_of(order)
    assert order.status == Status.APPROVED and payable.amount == D("1130.00")
    page = text(buyer.get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert payable.number in page and 'data-testid="order-payable"' in page
    assert 'data-testid="order-receive"' not in page  # the purchaser does not receive goods
    keeper_page = text(client_for(shop.keeper).get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert 'data-testid="order-receive"' in keeper_page and payable.number not in keeper_page
    history = text(buyer.get(reverse("web:purchase-order-detail", args=[order.pk]), {"tab": "approvals"}))
    assert "同意" in history and shop.manager.name in history


def test_submitting_an_order_nobody_can_approve_shows_why_and_keeps_it_a_draft(company, shop, client_for):
    Employee.objects.filter(pk=shop.manager.pk).update(is_manager=False)
    order = draft(shop)
    response = client_for(company.purchaser).post(reverse("web:purchase-order-submit", args=[order.pk]))
    order.refresh_from_db()
    assert response.status_code == 400 and 'data-testid="action-error"' in text(response)
    assert order.status == Status.DRAFT


def test_the_approver_unapproves_with_a_reason_and_the_payable_is_reversed(company, shop, client_for):
    order = approved(shop)
    buyer_page = text(
        client_for(company.purchaser).get(reverse("web:purchase-order-detail", args=[order.pk]))
    )
    assert 'data-testid="document-unapprove"' not in buyer_page
    manager = client_for(shop.manager)
    assert 'data-testid="document-unapprove"' in text(
        manager.get(reverse("web:purchase-order-detail", args=[order.pk]))
    )
    refused = manager.post(reverse("web:purchase-order-unapprove", args=[order.pk]), {"reason": ""})
    assert refused.status_code == 400 and 'data-testid="unapprove-form"' in text(refused)
    order.refresh_from_db()
    assert order.status == Status.APPROVED
    done = manager.post(reverse("web:purchase-order-unapprove", args=[order.pk]), {"reason": "价格有误"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DRAFT and payable_of(order).status == "reversed"


def test_cancelling_an_approved_order_needs_a_reason_and_reverses_the_payable(company, shop, client_for):
    order = approved(shop)
    client = client_for(company.purchaser)
    refused = client.post(reverse("web:purchase-order-cancel", args=[order.pk]), {"reason": " "})
    assert refused.status_code == 400 and "请填写原因。" in text(refused)
    order.refresh_from_db()
    assert order.status == Status.APPROVED
    assert (
        client.post(
            reverse("web:purchase-order-cancel", args=[order.pk]), {"reason": "供应商停产"}
        ).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and payable_of(order).status == "reversed"


# Goods receipts --------------------------------------------------------------------------------


def test_logistics_receives_partly_then_fully_and_the_order_follows(company, shop, client_for):
    order = approved(shop, line(shop.product, "1000", "11.30"), line(shop.plain, "10", "5.00"))
    first, second = order.lines.order_by("id")
    keeper = client_for(shop.keeper)
    queue = keeper.get(reverse("web:purchase-to-receive"))
    assert listed(queue) == [order.number]
    form = keeper.get(reverse("web:goods-receipt-create", args=[order.pk]))
    assert form.status_code == 200 and text(form).count('data-testid="receipt-row"') == 2
    assert 'value="1000"' in text(form) and text(form).count('name="lines-0-lot_number"') == 1
    assert 'name="lines-1-lot_number"' not in text(form)  # the plain product has no lot fields
    response = keeper.post(
        reverse("web:goods-receipt-create", args=[order.pk]),
        receipt_post(
            order,
            [
                {
                    "line": str(first.pk),
                    "quantity": "600",
                    "lot_number": "L2601",
                    "production_date": days(-10).isoformat(),
                    "expiry_date": days(700).isoformat(),
                },
                {"line": str(second.pk), "quantity": ""},
            ],
        ),
    )
    receipt = GoodsReceipt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:goods-receipt-detail", args=[receipt.pk]
    )
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and on_hand(shop) == D("600")
    page = text(keeper.get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert 'data-testid="order-progress">59%<' in page  # 600 of 1,010 units
    # Finance weighs the payable against what arrived: 600 × 11.30, and the payable links back.
    finance_page = text(
        client_for(company.finance_clerk).get(reverse("web:purchase-order-detail", args=[order.pk]))
    )
    assert "已到货金额 ¥6,780.00" in finance_page
    payable = Payable.objects.get(source_type="purchase_order", source_id=order.pk)
    payable_page = text(
        client_for(company.finance_clerk).get(reverse("web:payable-detail", args=[payable.pk]))
    )
    assert (
        f'<a href="{reverse("web:purchase-order-detail", args=[order.pk])}">{order.number}</a>'
        in payable_page
    )
    detail = text(keeper.get(reverse("web:goods-receipt-detail", args=[receipt.pk])))
    lot = Lot.objects.get(lot_number="L2601")
    assert reverse("web:lot-trace", args=[lot.pk]) in detail and 'data-testid="unit-cost">10<' in detail
    assert reverse("web:purchase-order-detail", args=[order.pk]) in detail
    form = text(keeper.get(reverse("web:goods-receipt-create", args=[order.pk])))
    assert 'value="400"' in form
    response = keeper.post(
        reverse("web:goods-receipt-create", args=[order.pk]),
        receipt_post(
            order,
            [
                {
                    "line": str(first.pk),
                    "quantity": "400",
                    "lot_number": "L2602",
                    "expiry_date": days(800).isoformat(),
                },
                {"line": str(second.pk), "quantity": "10"},
            ],
        ),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DONE and on_hand(shop) == D("1000") and on_hand(shop, shop.plain) == D("10")
    assert listed(keeper.get(reverse("web:purchase-to-receive"))) == []
    receipts_tab = text(
        keeper.get(reverse("web:purchase-order-detail", args=[order.pk]), {"tab": "receipts"})
    )
    assert all(r.number in receipts_tab for r in GoodsReceipt.objects.all())


def test_receiving_more_than_is_open_is_refused_on_its_row_and_nothing_is_saved(company, shop, client_for):
    order = approved(shop)
    receive(shop, order, "60")
    first = order.lines.get()
    keeper = client_for(shop.keeper)
    with unchanged():
        response = keeper.post(
            reverse("web:goods-receipt-create", args=[order.pk]),
            receipt_post(
                order,
                [
                    {
                        "line": str(first.pk),
                        "quantity": "41",
                        "lot_number": "L2",
                        "expiry_date": days(500).isoformat(),
                    }
                ],
            ),
        )
    assert response.status_code == 400
    row_error = re.search(r'data-testid="row-error">([^<]+)<', text(response))
    assert row_error is not None and row_error.group(1) == "第 1 行：ZS001 本次入库 41，超过未到货数量 40。"
    assert 'value="41"' in text(response)  # what was typed stays in the cell
    first.refresh_from_db()
    assert first.received_quantity == D("60")


def test_a_lot_tracked_line_without_a_lot_number_is_refused_on_that_cell(company, shop, client_for):
    order = approved(shop)
    first = order.lines.get()
    response = client_for(shop.keeper).post(
        reverse("web:goods-receipt-create", args=[order.pk]),
        receipt_post(order, [{"line": str(first.pk), "quantity": "10", "lot_number": ""}]),
    )
    assert response.status_code == 400 and "实行批次管理，请填写批号。" in text(response)
    assert not GoodsReceipt.objects.exists()


def test_the_receipt_hides_the_cost_from_who_may_not_see_it(company, shop, client_for):
    order = approved(shop)
    receipt = receive(shop, order, "10")
    viewer = make_employee(company.root, username="viewer", name="赵看")
    viewer.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_goodsreceipt", "view_purchaseorder"])
    )
    page = text(client_for(viewer).get(reverse("web:goods-receipt-detail", args=[receipt.pk])))
    assert "单位成本" not in page and 'data-testid="unit-cost"' not in page


def test_a_draft_order_cannot_be_received(company, shop, client_for):
    order = draft(shop)
    response = client_for(shop.keeper).get(reverse("web:goods-receipt-create", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:purchase-order-detail", args=[order.pk]
    )


# Purchase returns ------------------------------------------------------------------------------


def test_a_return_is_written_approved_and_shipped_and_the_refund_becomes_a_receivable(
    company, shop, client_for
):
    order = approved(shop)
    receive(shop, order, "60", "L1")
    receive(shop, order, "40", "L2")
    buyer = client_for(company.purchaser)
    page = text(buyer.get(reverse("web:purchase-order-detail", args=[order.pk])))
    assert 'data-testid="order-return"' in page
    form = buyer.get(reverse("web:purchase-return-create", args=[order.pk]))
    assert form.status_code == 200 and text(form).count('data-testid="return-row"') == 2
    assert re.findall(r'data-testid="returnable">([^<]+)<', text(form)) == ["60", "40"]
    first = order.lines.get()
    l2 = Lot.objects.get(lot_number="L2")
    l1 = Lot.objects.get(lot_number="L1")
    response = buyer.post(
        reverse("web:purchase-return-create", args=[order.pk]),
        {
            "reason": "外包装破损",
            **grid(
                "lines",
                [
                    {"line": str(first.pk), "lot": str(l1.pk), "quantity": ""},
                    {"line": str(first.pk), "lot": str(l2.pk), "quantity": "10"},
                ],
            ),
        },
    )
    back = PurchaseReturn.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:purchase-return-detail", args=[back.pk]
    )
    assert [(x.lot_id, x.quantity) for x in back.lines.all()] == [(l2.pk, D("10"))]
    assert buyer.post(reverse("web:purchase-return-submit", args=[back.pk])).status_code == 302
    approve_in_inbox(client_for(shop.manager), back)
    back.refresh_from_db()
    assert back.status == Status.APPROVED
    keeper = client_for(shop.keeper)
    assert listed(keeper.get(reverse("web:purchase-return-to-ship")), "return-link") == [back.number]
    detail = text(keeper.get(reverse("web:purchase-return-detail", args=[back.pk])))
    assert 'data-testid="ship-form"' in detail
    assert 'data-testid="ship-form"' not in text(
        buyer.get(reverse("web:purchase-return-detail", args=[back.pk]))
    )
    shipped = keeper.post(
        reverse("web:purchase-return-ship", args=[back.pk]),
        {"carrier": "顺丰", "tracking_number": "SF100200300"},
    )
    assert shipped.status_code == 302
    back.refresh_from_db()
    refund = Obligation.objects.get(direction="receivable", source_type="purchase_return", source_id=back.pk)
    assert (back.status, back.tracking_number, refund.amount) == (Status.DONE, "SF100200300", D("113.00"))
    assert on_hand(shop) == D("90")
    page = text(client_for(company.finance_clerk).get(reverse("web:purchase-return-detail", args=[back.pk])))
    assert refund.number in page and reverse("web:receivable-detail", args=[refund.pk]) in page
    assert 'data-testid="refund-outstanding">¥113.00<' in page
    assert listed(keeper.get(reverse("web:purchase-return-to-ship")), "return-link") == []
    assert listed(buyer.get(reverse("web:purchase-return-list"), {"status": "done"}), "return-link") == [
        back.number
    ]


def test_returning_more_than_was_received_is_refused_on_its_row(company, shop, client_for):
    order = approved(shop)
    receive(shop, order, "60", "L1")
    first = order.lines.get()
    lot = Lot.objects.get(lot_number="L1")
    with unchanged():
        response = client_for(company.purchaser).post(
            reverse("web:purchase-return-create", args=[order.pk]),
            {
                "reason": "质量问题",
                **grid("lines", [{"line": str(first.pk), "lot": str(lot.pk), "quantity": "61"}]),
            },
        )
    assert response.status_code == 400
    assert "第 1 行：ZS001 该批次可退 60，本次退货 61。" in text(response)


def test_a_return_without_a_reason_is_refused_on_the_reason_field(company, shop, client_for):
    order = approved(shop)
    receive(shop, order, "60", "L1")
    first = order.lines.get()
    lot = Lot.objects.get(lot_number="L1")
    response = client_for(company.purchaser).post(
        reverse("web:purchase-return-create", args=[order.pk]),
        {"reason": "", **grid("lines", [{"line": str(first.pk), "lot": str(lot.pk), "quantity": "5"}])},
    )
    assert response.status_code == 400 and "请填写退货原因。" in text(response)
    assert not PurchaseReturn.objects.exists()


def test_a_draft_return_is_edited_withdrawn_and_cancelled_from_its_page(company, shop, client_for):
    order = approved(shop)
    receive(shop, order, "60", "L1")
    first = order.lines.get()
    lot = Lot.objects.get(lot_number="L1")
    buyer = client_for(company.purchaser)
    buyer.post(
        reverse("web:purchase-return-create", args=[order.pk]),
        {
            "reason": "质量问题",
            **grid("lines", [{"line": str(first.pk), "lot": str(lot.pk), "quantity": "5"}]),
        },
    )
    back = PurchaseReturn.objects.get()
    edit = buyer.get(reverse("web:purchase-return-edit", args=[back.pk]))
    assert edit.status_code == 200 and 'value="5"' in text(edit)
    buyer.post(
        reverse("web:purchase-return-edit", args=[back.pk]),
        {
            "reason": "数量有误",
            **grid("lines", [{"line": str(first.pk), "lot": str(lot.pk), "quantity": "8"}]),
        },
    )
    back.refresh_from_db()
    assert (back.reason, back.lines.get().quantity) == ("数量有误", D("8"))
    buyer.post(reverse("web:purchase-return-submit", args=[back.pk]))
    assert buyer.get(reverse("web:purchase-return-edit", args=[back.pk])).status_code == 302
    buyer.post(reverse("web:purchase-return-withdraw", args=[back.pk]))
    back.refresh_from_db()
    assert back.status == Status.DRAFT
    assert (
        buyer.post(reverse("web:purchase-return-cancel", args=[back.pk]), {"reason": "不退了"}).status_code
        == 302
    )
    back.refresh_from_db()
    assert back.status == Status.CANCELLED


def test_another_purchaser_cannot_see_or_return_against_someone_elses_order(company, shop, client_for):
    order = approved(shop)
    receive(shop, order, "60", "L1")
    back = approved_return(shop, order, "5")
    other = client_for(make_employee(company.purchasing, "purchaser", username="buyer2"))
    assert other.get(reverse("web:purchase-return-create", args=[order.pk])).status_code == 404
    assert other.get(reverse("web:purchase-return-detail", args=[back.pk])).status_code == 404
    assert listed(other.get(reverse("web:purchase-return-list")), "return-link") == []


def test_the_approval_inbox_links_to_the_order_page(company, shop, client_for):
    order = draft(shop)
    client_for(company.purchaser).post(reverse("web:purchase-order-submit", args=[order.pk]))
    request = ApprovalRequest.objects.get(document_type="purchase_order", object_id=order.pk)
    page = text(client_for(shop.manager).get(reverse("web:approval-detail", args=[request.pk])))
    assert reverse("web:purchase-order-detail", args=[order.pk]) in page


def test_the_availability_page_says_when_the_ordered_goods_are_expected(company, shop, client_for):
    """An approved order's open quantity is incoming stock, shown with its expected date."""
    approved(shop, line(shop.product, "100", "11.30"), expected_date=days(9))
    page = client_for(shop.keeper).get(reverse("web:availability"), {"product": shop.product.pk})

    assert page.status_code == 200
    dates = re.findall(r'data-testid="expected-date">([^<]+)<', text(page))
    assert dates == [f"预计 {days(9):%Y-%m-%d} 起到货"]
