"""The VAT invoice register pages (发票登记) as finance, a manager and a salesperson see them: the
list with its filters, empty states and export, recording an invoice against the customer's open
orders (each refusal on its field or row, nothing changed), the detail page with 红冲, the 待开票 and
缺票 lists, 403 for roles without the permission, 404 outside the data scope, and English."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.invoicing.models import Invoice
from tests.invoicing.builders import (
    build_desk,
    issue,
    purchase_order,
    receive_invoice,
    sales_order,
    unchanged,
)
from tests.sales.builders import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(company):
    return build_desk(company)


def text(response) -> str:
    return response.content.decode()


def post_data(desk, order, **changes) -> dict[str, str]:
    data = {
        "direction": "issued",
        "kind": "special",
        "number": "04412345",
        "issued_on": today().isoformat(),
        "party": str(desk.customer.pk),
        "amount": "1,000.00",
        "tax_amount": "130.00",
        "note": "",
        f"alloc-{order.pk}": "1130.00",
    }
    data.update(changes)
    return data


def test_the_list_shows_invoices_filters_them_and_exports(desk, client_for) -> None:
    client = client_for(desk.clerk)
    empty = client.get(reverse("web:invoice-list"))
    assert empty.status_code == 200 and "还没有登记发票。" in text(empty)
    order = sales_order(desk, quantity="20")
    issue(desk, [(order, "1130.00")], number="11110000")
    issue(desk, [(order, "1130.00")], number="22220000", kind="normal")
    html = text(client.get(reverse("web:invoice-list")))
    assert html.count('data-testid="invoice-row"') == 2 and "11110000" in html
    only = text(client.get(reverse("web:invoice-list"), {"kind": "normal"}))
    assert "22220000" in only and "11110000" not in only
    assert "没有符合条件的发票。" in text(client.get(reverse("web:invoice-list"), {"q": "99999"}))
    sheet = client.get(reverse("web:invoice-list"), {"format": "xlsx"})
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")


def test_recording_an_invoice_allocates_it_to_the_customers_orders(desk, client_for) -> None:
    order = sales_order(desk)
    client = client_for(desk.clerk)
    form = client.get(
        reverse("web:invoice-create"),
        {"direction": "issued", "party": desk.customer.pk, "document": order.pk},
    )
    assert form.status_code == 200
    assert f'name="alloc-{order.pk}" value="1130.00"' in text(form)
    response = client.post(reverse("web:invoice-create"), post_data(desk, order))
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:invoice-detail", args=[invoice.pk]
    )
    assert (invoice.total, invoice.allocations.get().amount) == (D("1130.00"), D("1130.00"))
    detail = text(client.get(response["Location"]))
    assert order.number in detail and 'data-state="full"' in detail


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": "1234"}, "发票号码应为 8 位或 20 位数字。"),
        ({"amount": "900.00"}, "分配到单据的金额合计 1130.00 与价税合计 1030.00 不一致。"),
        ({"party": ""}, "请选择往来单位。"),
    ],
)
def test_refusals_are_shown_on_the_form_and_change_nothing(desk, client_for, changes, message) -> None:
    order = sales_order(desk)
    with unchanged():
        response = client_for(desk.clerk).post(
            reverse("web:invoice-create"), post_data(desk, order, **changes)
        )
    assert response.status_code == 400
    assert message in text(response)


def test_over_invoicing_is_shown_on_the_orders_row(desk, client_for) -> None:
    order = sales_order(desk)
    issue(desk, [(order, "1000.00")])
    # The order still shows with 130.00 left; typing more is refused on its row.
    data = post_data(desk, order, amount="1000.00", tax_amount="130.00", number="04419999")
    with unchanged():
        response = client_for(desk.clerk).post(reverse("web:invoice-create"), data)
    assert response.status_code == 400
    html = text(response)
    assert f"{order.number} 可开票 1130.00，已开票 1000.00，本次 1130.00，超出 1000.00。" in html
    assert 'data-testid="row-error"' in html


def test_a_duplicate_number_is_shown_on_its_field(desk, client_for) -> None:
    order = sales_order(desk, quantity="20")
    issue(desk, [(order, "1130.00")], number="04412345")
    with unchanged():
        response = client_for(desk.clerk).post(reverse("web:invoice-create"), post_data(desk, order))
    assert response.status_code == 400
    assert "销项发票专票 04412345 已登记，不能重复录入。" in text(response)


def test_reversing_from_the_detail_page_records_the_red_invoice(desk, client_for) -> None:
    blue = issue(desk, [(sales_order(desk), "1130.00")])
    client = client_for(desk.clerk)
    url = reverse("web:invoice-reverse", args=[blue.pk])
    with unchanged():
        refused = client.post(url, {"red_number": "04419999", "issued_on": today().isoformat(), "reason": ""})
    assert refused.status_code == 400 and "请填写原因。" in text(refused)
    done = client.post(
        url, {"red_number": "04419999", "issued_on": today().isoformat(), "reason": "开错抬头"}
    )
    assert done.status_code == 302
    blue.refresh_from_db()
    assert blue.status == "reversed"
    page = text(client.get(reverse("web:invoice-detail", args=[blue.pk])))
    assert "04419999" in page and 'data-testid="reversed-note"' in page


def test_to_invoice_and_missing_invoice_queues(desk, client_for) -> None:
    client = client_for(desk.clerk)
    assert "还没有待开票的销售订单。" in text(client.get(reverse("web:invoice-to-invoice")))
    assert "没有缺少供应商发票的采购订单。" in text(client.get(reverse("web:invoice-missing")))
    order = sales_order(desk)
    bought = purchase_order(desk)
    issue(desk, [(order, "130.00")])
    todo = text(client.get(reverse("web:invoice-to-invoice")))
    assert order.number in todo and "部分开票" in todo and "1,000.00" in todo
    missing = text(client.get(reverse("web:invoice-missing")))
    assert bought.number in missing and "未开票" in missing


def test_the_grid_and_party_search_answer_htmx(desk, client_for) -> None:
    order = sales_order(desk)
    client = client_for(desk.clerk)
    grid = client.get(
        reverse("web:invoice-open-documents"), {"direction": "issued", "party": desk.customer.pk}
    )
    assert order.number in text(grid)
    found = client.get(reverse("web:invoice-party-search"), {"direction": "received", "q": "华康"})
    assert "江西华康医疗器械有限公司" in text(found)


def test_roles_without_the_permission_get_403_and_others_scope_404(desk, client_for) -> None:
    company = desk.company
    theirs = issue(
        desk,
        [(sales_order(desk, customer=desk.other_customer, owner=company.rep_b1), "1130.00")],
        customer=desk.other_customer,
    )
    rep = client_for(company.rep_a1)
    assert rep.get(reverse("web:invoice-list")).status_code == 403
    manager = client_for(company.manager_a)
    assert manager.get(reverse("web:invoice-list")).status_code == 200
    assert manager.get(reverse("web:invoice-create")).status_code == 403
    assert manager.get(reverse("web:invoice-detail", args=[theirs.pk])).status_code == 404
    assert manager.post(reverse("web:invoice-reverse", args=[theirs.pk]), {}).status_code == 403


def test_the_list_renders_in_english(desk, client_for) -> None:
    client = client_for(desk.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = text(client.get(reverse("web:invoice-list")))
    assert '<html lang="en">' in html


def test_the_order_pages_say_how_much_is_invoiced(desk, client_for) -> None:
    """未开票 → 部分开票 → 已开票 on the sales order; 已开票 on a purchase order with its supplier
    invoice; only for who may see invoices."""
    order = sales_order(desk)  # 1,130.00
    bought = purchase_order(desk)
    finance = client_for(desk.clerk)

    def state(url: str) -> list[str]:
        return re.findall(
            r'data-testid="invoicing-status" data-state="(\w+)"', finance.get(url).content.decode()
        )

    sold_url = reverse("web:sales-order-detail", args=[order.pk])
    assert state(sold_url) == ["none"]
    issue(desk, [(order, "500.00")])
    assert state(sold_url) == ["partial"]
    issue(desk, [(order, "630.00")])
    assert state(sold_url) == ["full"]
    bought_url = reverse("web:purchase-order-detail", args=[bought.pk])
    receive_invoice(desk, [(bought, "1130.00")])
    assert state(bought_url) == ["full"]
    # the salesperson does not see invoices: no badge
    rep_page = client_for(desk.company.rep_a1).get(sold_url).content.decode()
    assert 'data-testid="invoicing-status"' not in rep_page
