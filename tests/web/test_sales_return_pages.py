"""The sales return pages: the return form against an order's shipped lots (what each may still give
back), the over-return refusal on its row, the reason asked on its field, editing, submitting,
withdrawing and cancelling from the detail page, logistics' 待收退货 queue and 收货 (into the
warehouse for rejected goods), the refund payable shown to finance, and who may do what."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.sales.models import SalesOrder, SalesReturn, ShipmentLine
from tests.sales.builders import (
    Line,
    approved_order,
    approved_return,
    back,
    build_shop,
    days,
    draft_return,
    item,
    level,
    line_of,
    on_lot,
    put_in,
    refund_of,
    ship,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    return build_shop(company)


def text(response) -> str:
    return response.content.decode()


def listed(response, testid: str = "return-link") -> list[str]:
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


def shipped_order(shop) -> SalesOrder:
    """ZS001 in lots L1 (6) and L2 (100) at 8.00; an order of 10 at 22.60 less 10 % (20.34 a unit),
    shipped first expiry first out: 6 from L1 and 4 from L2."""
    put_in(shop, "6", "8.00", "L1", expiry=days(200))
    put_in(shop, "100", "8.00", "L2", expiry=days(500))
    order = approved_order(shop, Line(shop.product, "10", "22.60", "10"))
    ship(shop, order, item(line_of(order), "10"))
    return order


def shipment_lines(order: SalesOrder) -> list[ShipmentLine]:
    return list(ShipmentLine.objects.filter(shipment__order=order).order_by("id"))


def return_post(rows: list[tuple[ShipmentLine, str]], *, reason: str = "包装破损", warehouse=None) -> dict:
    data = {"reason": reason, "warehouse": str(warehouse.pk) if warehouse is not None else ""}
    return {**data, **grid([{"shipment_line": str(line.pk), "quantity": q} for line, q in rows])}


# Access ----------------------------------------------------------------------------------------


def test_each_page_answers_its_roles_and_refuses_the_others(company, shop, client_for):
    order = shipped_order(shop)
    doc = approved_return(shop, order, back(shipment_lines(order)[0], "2"))
    rep, keeper = client_for(company.rep_a1), client_for(shop.keeper)
    for name, args in (
        ("sales-return-list", []),
        ("sales-return-create", [order.pk]),
        ("sales-return-detail", [doc.pk]),
    ):
        assert rep.get(reverse(f"web:{name}", args=args)).status_code == 200, name
    for name, args in (
        ("sales-return-list", []),
        ("sales-return-to-receive", []),
        ("sales-return-detail", [doc.pk]),
    ):
        assert keeper.get(reverse(f"web:{name}", args=args)).status_code == 200, name
    # The salesperson does not receive goods; logistics does not write returns.
    assert rep.get(reverse("web:sales-return-to-receive")).status_code == 403
    assert rep.post(reverse("web:sales-return-receive", args=[doc.pk]), {}).status_code == 403
    assert keeper.get(reverse("web:sales-return-create", args=[order.pk])).status_code == 403
    assert keeper.post(reverse("web:sales-return-submit", args=[doc.pk])).status_code == 403
    assert client_for(company.purchaser).get(reverse("web:sales-return-list")).status_code == 403


def test_another_teams_salesperson_neither_sees_nor_returns_against_the_order(company, shop, client_for):
    order = shipped_order(shop)
    doc = draft_return(shop, order, back(shipment_lines(order)[0], "2"))
    other = client_for(company.rep_b1)
    assert other.get(reverse("web:sales-return-create", args=[order.pk])).status_code == 404
    for name in ("sales-return-detail", "sales-return-edit"):
        assert other.get(reverse(f"web:{name}", args=[doc.pk])).status_code == 404, name
    assert other.post(reverse("web:sales-return-submit", args=[doc.pk])).status_code == 404
    assert listed(other.get(reverse("web:sales-return-list"))) == []
    assert "还没有销售退货。" in text(other.get(reverse("web:sales-return-list")))


# Writing a return ------------------------------------------------------------------------------


def test_a_return_is_written_against_the_shipped_lots_into_the_chosen_warehouse(company, shop, client_for):
    order = shipped_order(shop)
    l1, l2 = shipment_lines(order)
    rep = client_for(company.rep_a1)
    form = rep.get(reverse("web:sales-return-create", args=[order.pk]))
    body = text(form)
    assert form.status_code == 200 and body.count('data-testid="return-row"') == 2
    assert re.findall(r'data-testid="returnable">([^<]+)<', body) == ["6", "4"]
    assert l1.shipment.number in body and "L1" in body and "L2" in body
    assert f'<option value="{shop.warehouse.pk}" selected>' in body  # the order's warehouse by default
    response = rep.post(
        reverse("web:sales-return-create", args=[order.pk]),
        return_post([(l1, ""), (l2, "3")], reason="外包装破损", warehouse=shop.quality),
    )
    doc = SalesReturn.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:sales-return-detail", args=[doc.pk]
    )
    assert (doc.status, doc.warehouse, doc.reason, doc.owner) == (
        Status.DRAFT,
        shop.quality,
        "外包装破损",
        company.rep_a1,
    )
    assert [(x.shipment_line_id, x.quantity, x.amount) for x in doc.lines.all()] == [
        (l2.pk, D("3"), D("61.02"))
    ]
    detail = text(rep.get(response["Location"]))
    assert f"已保存销售退货单 {doc.number}。" in detail
    assert (
        'data-testid="return-warehouse">不合格品仓<' in detail
        and 'data-testid="return-amount">¥61.02<' in detail
    )
    assert 'data-testid="document-submit"' in detail and 'data-testid="receive-form"' not in detail
    assert listed(rep.get(reverse("web:sales-return-list"))) == [doc.number]


def test_returning_more_than_was_shipped_is_refused_on_its_row_and_nothing_is_saved(
    company, shop, client_for
):
    order = shipped_order(shop)
    l1, l2 = shipment_lines(order)
    with unchanged():
        response = client_for(company.rep_a1).post(
            reverse("web:sales-return-create", args=[order.pk]),
            return_post([(l1, ""), (l2, "5")]),
        )
    assert response.status_code == 400
    assert row_errors(response) == ["第 1 行：ZS001 批次 L2 可退 4，本次退货 5。"]
    body = text(response)
    assert body.index('data-testid="row-error"') > body.index('name="lines-1-quantity"')
    assert 'name="lines-1-quantity" value="5"' in body


def test_a_return_without_a_reason_is_refused_on_the_reason_field(company, shop, client_for):
    order = shipped_order(shop)
    response = client_for(company.rep_a1).post(
        reverse("web:sales-return-create", args=[order.pk]),
        return_post([(shipment_lines(order)[0], "1")], reason=" "),
    )
    assert response.status_code == 400
    assert re.search(r'id="id_reason_group">.*?请填写退货原因。', text(response), re.S) is not None
    assert not SalesReturn.objects.exists()


def test_an_order_not_shipped_yet_has_nothing_to_return(company, shop, client_for):
    put_in(shop, "10", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "5", "22.60"))
    response = client_for(company.rep_a1).get(reverse("web:sales-return-create", args=[order.pk]))
    assert response.status_code == 302


def test_a_draft_is_edited_submitted_withdrawn_and_cancelled_from_its_page(company, shop, client_for):
    order = shipped_order(shop)
    l1, _l2 = shipment_lines(order)
    doc = draft_return(shop, order, back(l1, "2"))
    rep = client_for(company.rep_a1)
    edit = rep.get(reverse("web:sales-return-edit", args=[doc.pk]))
    assert edit.status_code == 200 and 'name="lines-0-quantity" value="2"' in text(edit)
    # Its own quantity is not counted against it: all 6 of L1 may still go back.
    assert re.findall(r'data-testid="returnable">([^<]+)<', text(edit)) == ["6", "4"]
    saved = rep.post(
        reverse("web:sales-return-edit", args=[doc.pk]),
        return_post([(l1, "6")], reason="数量有误", warehouse=shop.warehouse),
    )
    assert saved.status_code == 302
    doc.refresh_from_db()
    assert (doc.reason, doc.lines.get().quantity) == ("数量有误", D("6"))
    assert rep.post(reverse("web:sales-return-submit", args=[doc.pk])).status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    page = text(rep.get(reverse("web:sales-return-detail", args=[doc.pk])))
    assert 'data-testid="document-withdraw"' in page and 'data-testid="document-edit"' not in page
    assert f"已提交 {doc.number}，等待审核。" in page and 'data-testid="approval-link"' in page
    assert rep.get(reverse("web:sales-return-edit", args=[doc.pk])).status_code == 302
    assert rep.post(reverse("web:sales-return-withdraw", args=[doc.pk])).status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert (
        rep.post(reverse("web:sales-return-cancel", args=[doc.pk]), {"reason": "客户不退了"}).status_code
        == 302
    )
    doc.refresh_from_db()
    assert doc.status == Status.CANCELLED
    cancelled = text(rep.get(reverse("web:sales-return-detail", args=[doc.pk])))
    assert f"已作废 {doc.number}。" in cancelled and 'data-testid="document-submit"' not in cancelled


def test_submitting_a_return_others_now_claim_shows_why_and_keeps_it_a_draft(company, shop, client_for):
    order = shipped_order(shop)
    l1, _l2 = shipment_lines(order)
    doc = draft_return(shop, order, back(l1, "4"))
    approved_return(shop, order, back(l1, "3"))
    response = client_for(company.rep_a1).post(reverse("web:sales-return-submit", args=[doc.pk]))
    assert response.status_code == 400
    assert 'data-testid="action-error">第 1 行：ZS001 批次 L1 可退 3，本次退货 4。<' in text(response)
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


# Receiving -------------------------------------------------------------------------------------


def test_logistics_receives_into_the_quality_warehouse_and_finance_sees_the_refund(company, shop, client_for):
    order = shipped_order(shop)
    l1, _l2 = shipment_lines(order)
    doc = approved_return(shop, order, back(l1, "4"), warehouse=shop.quality)
    keeper = client_for(shop.keeper)
    assert listed(keeper.get(reverse("web:sales-return-to-receive"))) == [doc.number]
    page = text(keeper.get(reverse("web:sales-return-detail", args=[doc.pk])))
    assert 'data-testid="receive-form"' in page and "WH09 不合格品仓" in page
    assert 'data-testid="receive-form"' not in text(
        client_for(company.rep_a1).get(reverse("web:sales-return-detail", args=[doc.pk]))
    )
    refused = keeper.post(
        reverse("web:sales-return-receive", args=[doc.pk]), {"received_on": days(1).isoformat()}
    )
    assert refused.status_code == 400 and "收货日期不能晚于今天。" in text(refused)
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED
    response = keeper.post(
        reverse("web:sales-return-receive", args=[doc.pk]), {"received_on": days(0).isoformat()}
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert (doc.status, doc.received_on) == (Status.DONE, days(0))
    assert on_lot(shop, "L1", shop.quality) == D("4") and level(shop, warehouse=shop.quality)[0] == D("4")
    assert f"已收货 {doc.number}，货物已退回 不合格品仓。" in text(keeper.get(response["Location"]))
    assert listed(keeper.get(reverse("web:sales-return-to-receive"))) == []
    assert "没有待收货的销售退货。" in text(keeper.get(reverse("web:sales-return-to-receive")))
    refund = refund_of(doc)
    finance = text(client_for(company.finance_clerk).get(reverse("web:sales-return-detail", args=[doc.pk])))
    assert refund.number in finance and reverse("web:payable-detail", args=[refund.pk]) in finance
    assert 'data-testid="refund-outstanding">¥81.36<' in finance
    # Logistics, without the payables, sees the return but not the refund.
    assert 'data-testid="refund"' not in text(keeper.get(reverse("web:sales-return-detail", args=[doc.pk])))
    done = client_for(company.rep_a1).get(reverse("web:sales-return-list"), {"status": "done"})
    assert listed(done) == [doc.number]


def test_the_return_list_filters_and_the_detail_renders_in_english(company, shop, client_for):
    order = shipped_order(shop)
    l1, l2 = shipment_lines(order)
    draft = draft_return(shop, order, back(l1, "1"))
    submitted = approved_return(shop, order, back(l2, "1"))
    rep = client_for(company.rep_a1)
    url = reverse("web:sales-return-list")
    assert set(listed(rep.get(url))) == {draft.number, submitted.number}
    assert listed(rep.get(url, {"status": "draft"})) == [draft.number]
    assert listed(rep.get(url, {"q": submitted.number})) == [submitted.number]
    nothing = rep.get(url, {"status": "rejected"})
    assert listed(nothing) == [] and "没有符合条件的销售退货。" in text(nothing)
    rep.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = text(rep.get(reverse("web:sales-return-detail", args=[draft.pk])))
    assert '<html lang="en">' in body and "Return reason" in body and "Return warehouse" in body
