"""报价单 and 合同 pages: lists, forms with the line grid (blank price → level price), details with
status and workflow buttons, the printable quote (大写), the customer's tabs, and 404 out of scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.core.documents import Status
from maoyi.crm.models import Contract, Quote, QuoteStatus
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import quotes as quote_services
from tests.crm.builders import grant_customer_permissions
from tests.crm.quote_builders import later, line, make_book, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(company):
    grant_customer_permissions()
    return make_book(company)


def text(response) -> str:
    return response.content.decode()


def test_the_lists_and_customer_tabs_render_for_the_salesperson(company, book, client_for):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "10"))
    contract = contract_services.create_contract(
        actor=company.rep_a1,
        customer=book.xiehe,
        title="年度合同",
        amount=D("100"),
        signed_on=dt.date(2026, 1, 1),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    rep = client_for(company.rep_a1)
    assert quote.number in text(rep.get(reverse("web:customer-quote-list")))
    assert contract.number in text(rep.get(reverse("web:contract-list")))
    detail = reverse("web:customer-detail", args=[book.xiehe.pk])
    tab = text(rep.get(detail + "?tab=quotes"))
    assert quote.number in tab and 'data-testid="customer-quote-create"' in tab
    assert contract.number in text(rep.get(detail + "?tab=contracts"))
    other = client_for(company.rep_b1)
    assert quote.number not in text(other.get(reverse("web:customer-quote-list")))
    assert other.get(reverse("web:customer-quote-detail", args=[quote.pk])).status_code == 404
    assert other.get(reverse("web:contract-detail", args=[contract.pk])).status_code == 404
    assert client_for(company.purchaser).get(reverse("web:customer-quote-list")).status_code == 403


def test_a_quote_is_created_from_the_form_with_the_level_price_and_errors_land_on_the_cell(
    company, book, client_for
):
    rep = client_for(company.rep_a1)
    url = reverse("web:customer-quote-create") + f"?customer={book.xiehe.pk}"
    assert rep.get(url).status_code == 200
    post = {
        "customer": book.xiehe.pk,
        "valid_until": later().isoformat(),
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": book.gloves.pk,
        "lines-0-quantity": "100",
        "lines-0-unit_price": "",
        "lines-1-product": book.masks.pk,
        "lines-1-quantity": "-1",
        "lines-1-unit_price": "",
    }
    bad = rep.post(url, post)
    assert bad.status_code == 400 and 'data-testid="line-errors"' in text(bad)
    assert bad.context["rows"][1]["errors"] == {"quantity": "第 2 行：数量必须大于零，最多四位小数。"}
    assert not Quote.objects.exists()
    post["lines-1-quantity"] = "10"
    post["lines-1-unit_price"] = "2.00"
    done = rep.post(url, post)
    quote = Quote.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "web:customer-quote-detail", args=[quote.pk]
    )
    # 100 × 10.80 + 10 × 2.00 = 1100.00
    assert quote.amount == D("1100.00")
    page = text(rep.get(done["Location"]))
    assert "¥1,100.00" in page and "壹仟壹佰元整" in page and "价格等级" in page


def test_a_price_under_the_minimum_is_flagged_and_the_status_buttons_move_the_quote(
    company, book, client_for
):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1", "9"))
    rep = client_for(company.rep_a1)
    url = reverse("web:customer-quote-detail", args=[quote.pk])
    page = text(rep.get(url))
    assert 'data-testid="below-minimum"' in page and 'data-testid="quote-mark-sent"' in page
    mark = reverse("web:customer-quote-mark", args=[quote.pk])
    assert rep.post(mark, {"status": "accepted"}).status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT  # refused: shown as a message
    rep.post(mark, {"status": "sent"})
    rep.post(mark, {"status": "accepted"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    page = text(rep.get(url))
    assert 'data-testid="quote-to-contract"' in page and 'data-testid="quote-edit"' not in page
    to_contract = reverse("web:customer-quote-contract", args=[quote.pk])
    assert rep.get(to_contract).status_code == 200
    made = rep.post(
        to_contract,
        {"title": "", "signed_on": "2026-01-01", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    )
    contract = Contract.objects.get()
    assert made["Location"] == reverse("web:contract-detail", args=[contract.pk])
    assert contract.amount == D("9.00")


def test_the_printable_quote_shows_company_customer_totals_in_capitals_and_signatures(
    company, book, client_for
):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1000", "11.30"))
    page = text(client_for(company.rep_a1).get(reverse("web:customer-quote-print", args=[quote.pk])))
    assert "测试公司" in page and "北京协和医院" in page
    assert "¥11,300.00" in page and "壹万壹仟叁佰元整" in page
    assert "@media print" in page and 'data-testid="print-signatures"' in page
    assert later().isoformat() in page
    assert (
        client_for(company.rep_b1).get(reverse("web:customer-quote-print", args=[quote.pk])).status_code
        == 404
    )


def test_a_contract_is_made_submitted_withdrawn_and_cancelled_from_its_pages(company, book, client_for):
    rep = client_for(company.rep_a1)
    url = reverse("web:contract-create")
    assert rep.get(url + f"?customer={book.xiehe.pk}").status_code == 200
    post = {
        "customer": book.xiehe.pk,
        "title": "年度合同",
        "amount": "",
        "signed_on": "2026-01-01",
        "start_date": "2026-02-01",
        "end_date": "2026-01-31",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": book.gloves.pk,
        "lines-0-quantity": "10",
        "lines-0-unit_price": "",
    }
    bad = rep.post(url, post)
    assert bad.status_code == 400 and "结束日期不能早于开始日期。" in text(bad)
    post["end_date"] = "2026-12-31"
    done = rep.post(url, post)
    contract = Contract.objects.get()
    assert done["Location"] == reverse("web:contract-detail", args=[contract.pk])
    assert contract.amount == D("108.00")
    detail = text(rep.get(done["Location"]))
    assert 'data-testid="document-submit"' in detail and "壹佰零捌元整" in detail
    rep.post(reverse("web:contract-submit", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.status == Status.SUBMITTED
    assert 'data-testid="document-withdraw"' in text(rep.get(done["Location"]))
    edit = rep.get(reverse("web:contract-edit", args=[contract.pk]))
    assert edit.status_code == 302
    rep.post(reverse("web:contract-withdraw", args=[contract.pk]))
    assert rep.get(reverse("web:contract-edit", args=[contract.pk])).status_code == 200
    rep.post(reverse("web:contract-cancel", args=[contract.pk]), {"reason": "客户取消"})
    contract.refresh_from_db()
    assert contract.status == Status.CANCELLED
    again = rep.post(reverse("web:contract-submit", args=[contract.pk]))
    assert again.status_code == 400 and 'data-testid="action-error"' in text(again)


def test_a_draft_quote_is_edited_and_a_sent_one_is_not(company, book, client_for):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    rep = client_for(company.rep_a1)
    url = reverse("web:customer-quote-edit", args=[quote.pk])
    assert rep.get(url).status_code == 200
    post = {
        "version": "1",
        "valid_until": later(10).isoformat(),
        "opportunity": "",
        "note": "改",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": book.masks.pk,
        "lines-0-quantity": "3",
        "lines-0-unit_price": "",
    }
    assert rep.post(url, post).status_code == 302
    quote.refresh_from_db()
    assert (quote.note, quote.amount) == ("改", D("9.60"))
    quote_services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.SENT)
    assert rep.get(url).status_code == 302
    assert client_for(company.rep_a2).get(url).status_code == 404
