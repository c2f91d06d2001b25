"""The print pages and PDF downloads (打印/PDF): each document's HTML print page and PDF as its
detail page's users see them, with the letterhead from settings, the Chinese customer name and the
amount in 大写; the PDF rendered to an image (pdftoppm) that is not blank and whose text (pdftotext)
carries the customer's name; a two-page order repeats its table header and counts 第 2 页 / 共 2 页;
A5 landscape; 403 without the permission, 404 outside the data scope."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from maoyi.core.printing import static_file
from maoyi.crm.services.quotes import QuoteLineInput
from maoyi.inventory.services.stocktake import start_stocktake
from tests.crm.quote_builders import make_quote
from tests.factories import make_employee
from tests.purchasing.order_builders import approved as approved_purchase
from tests.purchasing.order_builders import build_shop as build_purchasing_shop
from tests.purchasing.order_builders import line as purchase_line
from tests.sales.builders import (
    Line,
    approved_order,
    build_shop,
    draft_order,
    item,
    line_of,
    lot,
    put_in,
    ship,
)

pytestmark = pytest.mark.django_db

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) is not installed; .ci/run installs it"
)


@pytest.fixture(autouse=True)
def _letterhead(settings):
    settings.MAOYI_COMPANY_NAME = "北京贸易有限公司"
    settings.MAOYI_COMPANY_ADDRESS = "北京市朝阳区建国路 88 号"
    settings.MAOYI_COMPANY_LOGO = "maoyi/favicon.svg"


@pytest.fixture
def shop(company):
    """The sales shop with stock to approve orders against."""
    made = build_shop(company)
    put_in(made, "500", "6.00", "L2026-01")
    put_in(made, "500", "1.00", product=made.plain)
    return made


def text(response) -> str:
    return response.content.decode()


def pdf_text(content: bytes, page: int | None = None) -> str:
    """The PDF's text as pdftotext reads it (one page, or all pages separated by form feeds)."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    done = subprocess.run(
        ["pdftotext", "-layout", *pages, "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def page_count(content: bytes) -> int:
    return pdf_text(content).rstrip("\f").count("\f") + 1


def first_page_png(content: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(content)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(source), str(Path(folder) / "page")],
            check=True,
        )
        (png,) = Path(folder).glob("page*.png")
        return png.read_bytes()


def dark_pixels(png: bytes) -> tuple[int, tuple[int, int]]:
    """How many pixels are dark (text, lines), and the image size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(1 for value in image.get_flattened_data() if value < 128), image.size


def squeeze(value: str) -> str:
    """pdftotext lays text out with spaces; compare Chinese text without them."""
    return "".join(value.split())


def assert_pdf(response, number: str) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert f"{number}.pdf" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    return content


# Sales order ----------------------------------------------------------------------------------------


def test_the_sales_order_print_page_shows_letterhead_customer_lines_total_in_capitals_and_signatures(
    shop, client_for
):
    order = approved_order(shop, Line(shop.product, "100", "10040.5008"), Line(shop.plain, "1", "0.08"))
    page = text(client_for(shop.rep).get(reverse("web:sales-order-print", args=[order.pk])))
    assert 'data-testid="company-name">北京贸易有限公司<' in page
    assert "北京市朝阳区建国路 88 号" in page
    assert "/static/maoyi/favicon.svg" in page
    assert 'data-testid="print-party">北京协和医院<' in page
    assert f'data-testid="print-number">{order.number}<' in page
    assert order.amount == D("1004050.16")
    assert 'data-testid="print-total-words">壹佰万肆仟零伍拾元壹角陆分<' in page
    for label in ("制单", "审核", "仓管", "客户签收"):
        assert label in page
    assert "<thead>" in page and 'data-size="a4"' in page
    assert reverse("web:sales-order-pdf", args=[order.pk]) in page


@needs_poppler
def test_the_sales_order_pdf_is_a_download_whose_page_is_not_blank_and_carries_the_customer_name(
    shop, client_for
):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    content = assert_pdf(
        client_for(shop.rep).get(reverse("web:sales-order-pdf", args=[order.pk])), order.number
    )
    dark, (width, height) = dark_pixels(first_page_png(content))
    assert dark > 500
    assert height > width  # A4 portrait
    words = squeeze(pdf_text(content))
    assert "北京协和医院" in words
    assert "北京贸易有限公司" in words
    assert "壹佰壹拾叁元整" in words
    assert "第1页/共1页" in words
    assert order.number in words


@needs_poppler
def test_a_two_page_order_repeats_the_table_header_and_counts_its_pages(shop, client_for):
    order = draft_order(shop, *[Line(shop.plain, str(n), "2.50") for n in range(1, 61)])
    content = client_for(shop.rep).get(reverse("web:sales-order-pdf", args=[order.pk])).content
    assert page_count(content) == 2
    first, second = squeeze(pdf_text(content, 1)), squeeze(pdf_text(content, 2))
    for page in (first, second):
        assert "商品名称" in page and "含税单价" in page
        assert order.number in page  # the number in the page's top margin
    assert "第1页/共2页" in first
    assert "第2页/共2页" in second
    assert "北京协和医院" in first and "北京协和医院" not in second
    assert "合计金额（大写）" in second


@needs_poppler
def test_a5_prints_landscape(shop, client_for):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    client = client_for(shop.rep)
    page = text(client.get(reverse("web:sales-order-print", args=[order.pk]), {"size": "a5"}))
    assert 'data-size="a5"' in page and "A5 landscape" in page
    content = assert_pdf(
        client.get(reverse("web:sales-order-pdf", args=[order.pk]), {"size": "a5"}), order.number
    )
    dark, (width, height) = dark_pixels(first_page_png(content))
    assert dark > 300
    assert width > height
    assert abs(width / height - 210 / 148) < 0.02
    assert "北京协和医院" in squeeze(pdf_text(content))


def test_an_order_outside_the_scope_is_not_found_and_a_role_without_orders_is_refused(shop, client_for):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    other_rep = client_for(shop.company.rep_b1)
    for name in ("web:sales-order-print", "web:sales-order-pdf"):
        assert other_rep.get(reverse(name, args=[order.pk])).status_code == 404
        assert client_for(shop.company.purchaser).get(reverse(name, args=[order.pk])).status_code == 403
    assert (
        client_for(shop.company.manager_a).get(reverse("web:sales-order-print", args=[order.pk])).status_code
        == 200
    )


def test_the_print_page_speaks_english(shop, client_for):
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    client = client_for(shop.rep)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = text(client.get(reverse("web:sales-order-print", args=[order.pk])))
    assert '<html lang="en">' in page
    assert "Print" in page and "Sales order" in page
    assert "壹佰壹拾叁元整" in page  # the capitals stay: they are what a bank or a customer checks


# Purchase order -------------------------------------------------------------------------------------


@needs_poppler
def test_the_purchase_order_prints_supplier_lines_and_capitals(company, client_for):
    buying = build_purchasing_shop(company)
    order = approved_purchase(buying, purchase_line(buying.product, "20", "12.50"))
    client = client_for(company.purchaser)
    page = text(client.get(reverse("web:purchase-order-print", args=[order.pk])))
    assert f'data-testid="print-party">{buying.supplier.name}<' in page
    assert 'data-testid="print-total-words">贰佰伍拾元整<' in page
    assert "供应商确认" in page
    content = assert_pdf(client.get(reverse("web:purchase-order-pdf", args=[order.pk])), order.number)
    assert squeeze(buying.supplier.name) in squeeze(pdf_text(content))
    assert (
        client_for(company.rep_a1).get(reverse("web:purchase-order-pdf", args=[order.pk])).status_code == 403
    )


# Quote, delivery note, stocktake sheet, statement -------------------------------------------------


@needs_poppler
def test_the_quote_prints_in_the_shared_layout(shop, client_for):
    quote = make_quote(
        shop.rep, shop.customer, QuoteLineInput(shop.product.pk, D("10"), D("100.10")), note="含运费"
    )
    client = client_for(shop.rep)
    page = text(client.get(reverse("web:customer-quote-sheet", args=[quote.pk])))
    assert 'data-testid="print-party">北京协和医院<' in page
    assert 'data-testid="print-total-words">壹仟零壹元整<' in page
    content = assert_pdf(client.get(reverse("web:customer-quote-pdf", args=[quote.pk])), quote.number)
    assert "北京协和医院" in squeeze(pdf_text(content))
    assert (
        client_for(shop.company.rep_b1).get(reverse("web:customer-quote-pdf", args=[quote.pk])).status_code
        == 404
    )


@needs_poppler
def test_the_delivery_note_prints_lots_without_prices(shop, client_for):
    put_in(shop, "50", "6.00", "L2026A")
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    shipment = ship(shop, order, item(line_of(order), "10", lot=lot("L2026A")))
    client = client_for(shop.keeper)
    page = text(client.get(reverse("web:shipment-note-print", args=[shipment.pk])))
    assert 'data-testid="print-party">北京协和医院<' in page and "L2026A" in page
    assert "11.30" not in page and "print-total-words" not in page
    for label in ("制单", "仓管", "送货", "签收"):
        assert label in page
    content = assert_pdf(client.get(reverse("web:shipment-note-pdf", args=[shipment.pk])), shipment.number)
    words = squeeze(pdf_text(content))
    assert "北京协和医院" in words and "L2026A" in words
    assert (
        client_for(shop.company.purchaser)
        .get(reverse("web:shipment-note-pdf", args=[shipment.pk]))
        .status_code
        == 403
    )


@needs_poppler
def test_the_stocktake_sheet_prints_book_and_counted_quantities_or_blank_counts(shop, client_for):
    put_in(shop, "40", "6.00", "L-PD-1")
    doc = start_stocktake(actor=shop.keeper, warehouse=shop.warehouse)
    client = client_for(shop.keeper)
    page = text(client.get(reverse("web:stocktake-sheet-print", args=[doc.pk])))
    assert 'data-testid="print-party">北京主仓<' in page and "L-PD-1" in page
    assert "账面数量" in page and "实盘数量" in page and "盘点人" in page
    blank = text(client.get(reverse("web:stocktake-sheet-print", args=[doc.pk]), {"blank": "1"}))
    assert 'data-testid="counted">40<' in page
    assert 'data-testid="counted">40<' not in blank and 'data-testid="counted"><' in blank
    content = assert_pdf(client.get(reverse("web:stocktake-sheet-pdf", args=[doc.pk])), doc.number)
    assert "L-PD-1" in squeeze(pdf_text(content))
    assert client_for(shop.rep).get(reverse("web:stocktake-sheet-print", args=[doc.pk])).status_code == 403
    # logistics sees the whole company's stock documents (全公司); a missing one is not found
    stranger = make_employee(shop.company.sales, "logistics", username="keeper_b", name="外仓管")
    assert client_for(stranger).get(reverse("web:stocktake-sheet-print", args=[doc.pk])).status_code == 200
    assert client.get(reverse("web:stocktake-sheet-print", args=[999999])).status_code == 404


@needs_poppler
def test_the_statement_prints_the_period_with_the_closing_balance_in_capitals(shop, client_for):
    approved_order(shop, Line(shop.product, "10", "11.30"))
    query = {"party_kind": "customer", "party": shop.customer.pk}
    client = client_for(shop.company.finance_clerk)
    page = text(client.get(reverse("web:statement-print"), query))
    assert 'data-testid="print-party">北京协和医院<' in page
    assert 'data-testid="print-total-words">壹佰壹拾叁元整<' in page
    assert "对方确认（签字盖章）" in page
    a5 = text(client.get(reverse("web:statement-print"), {**query, "size": "a5"}))
    assert f"party={shop.customer.pk}" in a5 and "&amp;size=a5" in a5
    response = client.get(reverse("web:statement-pdf"), query)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    words = squeeze(pdf_text(response.content))
    assert "北京协和医院" in words and "壹佰壹拾叁元整" in words
    assert (
        client.get(reverse("web:statement-print"), {"party_kind": "customer", "party": 999999}).status_code
        == 404
    )
    assert client.get(reverse("web:statement-print"), {"party_kind": "customer"}).status_code == 404
    assert client_for(shop.company.purchaser).get(reverse("web:statement-print"), query).status_code == 403


# The fetcher ----------------------------------------------------------------------------------------


def test_the_pdf_renderer_reads_static_files_and_nothing_else():
    content, mime_type = static_file("http://testserver/static/maoyi/favicon.svg")
    assert content.startswith(b"<svg") or b"<svg" in content[:200]
    assert mime_type == "image/svg+xml"
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://testserver/static/../config/settings.py",
        "http://testserver/static/maoyi/missing.png",
        "http://testserver/uploads/secret.pdf",
    ):
        with pytest.raises(ValueError):
            static_file(url)


def test_without_pango_a_pdf_says_what_is_missing_and_the_print_page_still_works(
    shop, client_for, monkeypatch
):
    """WeasyPrint loads Pango when a PDF is made: a server without it answers 503 with the reason
    (page and API), and everything else, the print page included, is served as usual."""
    import maoyi.core.printing as printing

    def missing(*_args, **_kwargs):
        raise printing.PdfUnavailable()

    monkeypatch.setattr("maoyi.web.printing.html_to_pdf", missing)
    monkeypatch.setattr("maoyi.api.pdf.html_to_pdf", missing)
    order = approved_order(shop, Line(shop.product, "10", "11.30"))
    client = client_for(shop.rep)
    page = client.get(reverse("web:sales-order-pdf", args=[order.pk]))
    assert page.status_code == 503 and "libpango-1.0-0" in text(page)
    assert client.get(reverse("web:sales-order-print", args=[order.pk])).status_code == 200
    client.force_login(shop.rep.user)
    api = client.get(f"/api/v1/sales-orders/{order.pk}/pdf/")
    assert api.status_code == 503 and api.json()["code"] == "pdf_unavailable"
