"""`GET …/{id}/pdf/` on the document endpoints (orders, shipments, returns, quotes, goods receipts,
contracts, expenses, invoices, receivables, payables, receipts and payments): the document's PDF
(from the same template as its print page) for a role that may read it, in its data scope; 403
for a role without the view permission, 404 outside the scope, A5 on request, JSON refusals."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.api.conftest import token_client
from tests.purchasing.order_builders import approved as approved_purchase
from tests.purchasing.order_builders import build_shop as build_purchasing_shop
from tests.purchasing.order_builders import line as purchase_line
from tests.sales.builders import Line, approved_order, build_shop, item, line_of, lot, put_in, ship

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed; .ci/run installs it"
)


@pytest.fixture
def shop(company):
    made = build_shop(company)
    put_in(made, "100", "6.00", "L-API-1")
    return made


def pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return "".join(done.stdout.decode().split())


def pdf_size(content: bytes) -> str:
    done = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True)
    return next(line for line in done.stdout.decode().splitlines() if line.startswith("Page size"))


@needs_poppler
def test_a_sales_order_downloads_as_pdf_with_the_customer_and_the_capitals(shop):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    response = token_client(shop.rep).get(f"/api/v1/sales-orders/{order.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{order.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "北京协和医院" in words and "壹佰壹拾叁元整" in words and order.number in words


@needs_poppler
def test_asking_for_pdf_by_accept_header_or_format_works_and_a5_is_landscape(shop):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    client = token_client(shop.rep)
    by_accept = client.get(f"/api/v1/sales-orders/{order.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert by_accept.status_code == 200 and by_accept.content.startswith(b"%PDF")
    a4 = client.get(f"/api/v1/sales-orders/{order.pk}/pdf/")
    a5 = client.get(f"/api/v1/sales-orders/{order.pk}/pdf/", {"size": "a5"})
    assert "595.276 x 841.89" in pdf_size(a4.content) or "595.28 x 841.89" in pdf_size(a4.content)
    assert "595.276 x 419.528" in pdf_size(a5.content) or "595.28 x 419.53" in pdf_size(a5.content)


def test_an_order_outside_the_scope_is_404_and_a_role_without_orders_is_403_as_json(shop):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    outside = token_client(shop.company.rep_b1).get(f"/api/v1/sales-orders/{order.pk}/pdf/")
    assert outside.status_code == 404 and outside["Content-Type"].startswith("application/json")
    assert outside.json()["code"] == "not_found"
    refused = token_client(shop.company.purchaser).get(
        f"/api/v1/sales-orders/{order.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert refused.status_code == 403 and refused["Content-Type"].startswith("application/json")
    assert refused.json()["code"] == "permission_denied"
    assert token_client(shop.company.rep_a1).get("/api/v1/sales-orders/999999/pdf/").status_code == 404


@needs_poppler
def test_a_purchase_order_downloads_as_pdf(company):
    buying = build_purchasing_shop(company)
    order = approved_purchase(buying, purchase_line(buying.product, "20", "12.50"))
    response = token_client(company.purchaser).get(f"/api/v1/purchase-orders/{order.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "".join(buying.supplier.name.split()) in words and "贰佰伍拾元整" in words
    assert token_client(company.rep_a1).get(f"/api/v1/purchase-orders/{order.pk}/pdf/").status_code == 403


@needs_poppler
def test_a_shipment_downloads_as_its_delivery_note(shop):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    shipment = ship(shop, order, item(line_of(order), "10", lot=lot("L-API-1")))
    response = token_client(shop.keeper).get(f"/api/v1/shipments/{shipment.pk}/pdf/")
    assert response.status_code == 200
    words = pdf_text(response.content)
    assert "送货单" in words and "L-API-1" in words and "北京协和医院" in words


def test_the_schema_documents_the_pdf_action(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/sales-orders/{id}/pdf/"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]


# Returns and customer quotes ------------------------------------------------------------------------


def _pdf_ok(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return pdf_text(response.content)


@needs_poppler
def test_a_sales_return_downloads_as_pdf_in_scope(shop):
    from tests.sales.builders import back, draft_return

    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    shipment = ship(shop, order, item(line_of(order), "10", lot=lot("L-API-1")))
    doc = draft_return(shop, order, back(shipment.lines.get(), "2"))
    url = f"/api/v1/sales-returns/{doc.pk}/pdf/"
    words = _pdf_ok(token_client(shop.rep).get(url))
    assert "销售退货单" in words and "北京协和医院" in words and doc.number in words
    assert "贰拾贰元陆角" in words
    assert token_client(shop.company.rep_b1).get(url).status_code == 404
    assert token_client(shop.company.purchaser).get(url).status_code == 403


@needs_poppler
def test_a_purchase_return_downloads_as_pdf(company):
    from tests.purchasing.order_builders import approved_return, receive

    buying = build_purchasing_shop(company)
    order = approved_purchase(buying, purchase_line(buying.product, "20", "12.50"))
    receive(buying, order, "10")
    doc = approved_return(buying, order, "2")
    url = f"/api/v1/purchase-returns/{doc.pk}/pdf/"
    words = _pdf_ok(token_client(company.purchaser).get(url))
    assert "采购退货单" in words and "".join(buying.supplier.name.split()) in words and "贰拾伍元整" in words
    assert token_client(company.rep_a1).get(url).status_code == 403
    assert token_client(company.purchaser).get("/api/v1/purchase-returns/999999/pdf/").status_code == 404


@needs_poppler
def test_a_customer_quote_downloads_as_pdf_in_scope(company):
    from tests.crm.builders import grant_customer_permissions
    from tests.crm.quote_builders import line as quote_line
    from tests.crm.quote_builders import make_book, make_quote

    grant_customer_permissions()
    book = make_book(company)
    quote = make_quote(company.rep_a1, book.xiehe, quote_line(book.masks, "10", "3"))
    url = f"/api/v1/quotes/{quote.pk}/pdf/"
    words = _pdf_ok(token_client(company.rep_a1).get(url))
    assert "报价单" in words and "北京协和医院" in words and "叁拾元整" in words
    assert token_client(company.rep_b1).get(url).status_code == 404
    assert token_client(company.purchaser).get(url).status_code == 403


# Goods receipts, contracts, expenses, invoices and the money ledger ----------------------------------


@needs_poppler
def test_a_goods_receipt_downloads_as_pdf_in_scope(company):
    from tests.purchasing.order_builders import receive

    buying = build_purchasing_shop(company)
    order = approved_purchase(buying, purchase_line(buying.product, "20", "12.50"))
    doc = receive(buying, order, "10", lot="L-RK-1")
    url = f"/api/v1/goods-receipts/{doc.pk}/pdf/"
    words = _pdf_ok(token_client(company.purchaser).get(url))
    assert "采购入库单" in words and "".join(buying.supplier.name.split()) in words
    assert doc.number in words and "L-RK-1" in words and "壹佰贰拾伍元整" in words
    assert token_client(company.manager_a).get(url).status_code == 404
    assert token_client(company.rep_a1).get(url).status_code == 403
    assert token_client(company.purchaser).get("/api/v1/goods-receipts/999999/pdf/").status_code == 404


@needs_poppler
def test_a_contract_downloads_as_pdf_in_scope(company):
    import datetime as dt

    from maoyi.crm.services import contracts as contract_services
    from tests.crm.builders import grant_customer_permissions
    from tests.crm.quote_builders import line as quote_line
    from tests.crm.quote_builders import make_book

    grant_customer_permissions()
    book = make_book(company)
    contract = contract_services.create_contract(
        actor=company.rep_a1,
        customer=book.xiehe,
        lines=[quote_line(book.masks, "10", "3")],
        title="2026 年度耗材合同",
        signed_on=dt.date(2026, 1, 1),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    url = f"/api/v1/contracts/{contract.pk}/pdf/"
    words = _pdf_ok(token_client(company.rep_a1).get(url))
    assert "合同" in words and "北京协和医院" in words and contract.number in words and "叁拾元整" in words
    assert token_client(company.rep_b1).get(url).status_code == 404
    assert token_client(company.purchaser).get(url).status_code == 403


@needs_poppler
def test_an_expense_downloads_as_pdf_in_scope(company):
    from tests.crm.builders import grant_customer_permissions
    from tests.crm.test_expenses import make_expense, make_expense_book
    from tests.factories import make_employee

    grant_customer_permissions()
    book = make_expense_book(company)
    expense = make_expense(company.rep_a1, "1280.50", customer=book.xiehe)
    url = f"/api/v1/expenses/{expense.pk}/pdf/"
    words = _pdf_ok(token_client(company.rep_a1).get(url))
    assert "费用报销单" in words and "北京协和医院" in words and expense.number in words
    assert "壹仟贰佰捌拾元伍角" in words
    assert token_client(company.rep_b1).get(url).status_code == 404
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    assert token_client(keeper).get(url).status_code == 403


@needs_poppler
def test_an_invoice_downloads_as_pdf_in_scope(company):
    from tests.invoicing.builders import build_desk, issue
    from tests.invoicing.builders import sales_order as invoiced_order

    desk = build_desk(company)
    order = invoiced_order(desk)
    invoice = issue(desk, [(order, "1130.00")])
    url = f"/api/v1/invoices/{invoice.pk}/pdf/"
    words = _pdf_ok(token_client(desk.clerk).get(url))
    assert "销项发票" in words and "北京协和医院" in words and invoice.number in words
    assert order.number in words and "壹仟壹佰叁拾元整" in words
    assert token_client(company.manager_a).get(url).status_code == 200
    other = issue(
        desk, [(invoiced_order(desk, customer=desk.other_customer), "1130.00")], customer=desk.other_customer
    )
    assert token_client(company.manager_a).get(f"/api/v1/invoices/{other.pk}/pdf/").status_code == 404
    assert token_client(company.rep_a1).get(url).status_code == 403


@pytest.fixture
def parties(company):
    from tests.finance.builders import make_parties

    return make_parties(company)


@needs_poppler
def test_a_receivable_downloads_with_its_installments_in_scope(company, parties):
    import datetime as dt

    from django.utils import timezone

    from tests.finance.builders import receivable, settle

    today = timezone.localdate()
    first, second = today + dt.timedelta(days=10), today + dt.timedelta(days=40)
    doc = receivable(
        company.finance_clerk,
        parties.hospital,
        "1000.00",
        second,
        plan=[(first, "400.00"), (second, "600.00")],
    )
    settle(company.finance_clerk, parties.hospital, "150.00", today, (doc, "150.00"))
    url = f"/api/v1/receivables/{doc.pk}/pdf/"
    words = _pdf_ok(token_client(company.rep_a1).get(url))
    assert "应收款" in words and "北京协和医院" in words and doc.number in words and "壹仟元整" in words
    assert first.isoformat() in words and second.isoformat() in words
    assert "250.00" in words and "850.00" in words  # outstanding of the first installment, and in all
    assert token_client(company.rep_b1).get(url).status_code == 404
    assert token_client(company.purchaser).get(url).status_code == 403


@needs_poppler
def test_a_payable_downloads_as_pdf_in_scope(company, parties):
    import datetime as dt

    from django.utils import timezone

    from tests.finance.builders import payable

    doc = payable(
        company.finance_clerk, parties.supplier, "2000.00", timezone.localdate() + dt.timedelta(days=5)
    )
    url = f"/api/v1/payables/{doc.pk}/pdf/"
    words = _pdf_ok(token_client(company.purchaser).get(url))
    assert "应付款" in words and "威高医疗器械" in words and "贰仟元整" in words
    assert token_client(company.manager_a).get(url).status_code == 404
    assert token_client(company.rep_a1).get(url).status_code == 403


@needs_poppler
def test_a_receipt_and_a_payment_download_with_their_allocations(company, parties):
    import datetime as dt

    from django.utils import timezone

    from tests.finance.builders import PAYABLE, payable, receivable, settle

    today = timezone.localdate()
    owed = receivable(company.finance_clerk, parties.hospital, "500.00", today + dt.timedelta(days=10))
    receipt = settle(company.finance_clerk, parties.hospital, "800.00", today, (owed, "500.00"))
    url = f"/api/v1/receipts/{receipt.pk}/pdf/"
    words = _pdf_ok(token_client(company.rep_a1).get(url))
    assert "收款单" in words and "北京协和医院" in words and receipt.number in words
    assert owed.number in words and "捌佰元整" in words and "300.00" in words  # the advance
    assert token_client(company.rep_b1).get(url).status_code == 404
    assert token_client(company.purchaser).get(url).status_code == 403

    due = payable(company.finance_clerk, parties.supplier, "300.00", today + dt.timedelta(days=5))
    payment = settle(
        company.finance_clerk, parties.supplier, "300.00", today, (due, "300.00"), direction=PAYABLE
    )
    url = f"/api/v1/payments/{payment.pk}/pdf/"
    words = _pdf_ok(token_client(company.purchaser).get(url))
    assert "付款单" in words and "威高医疗器械" in words and due.number in words and "叁佰元整" in words
    assert token_client(company.manager_a).get(url).status_code == 404
    assert token_client(company.rep_a1).get(url).status_code == 403
