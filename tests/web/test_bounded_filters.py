"""List pages and reports filter by one customer, channel partner or supplier without listing them
all (issue 8: at 100,000 customers a <select> of every one took 33 s a page). The chosen party shows
as a chip whose × drops only that filter, `q` finds customers by name and pinyin initials, and the
reports' picker answers at most 20 matches as links that set the filter. The statements a page runs
do not grow with the number of customers or suppliers, and no query reads their names unbounded."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maoyi.crm.models import CustomerKind
from tests.crm.builders import make_customer
from tests.purchasing.builders import make_supplier
from tests.sales.builders import Line, approved_order, build_shop, draft_order, item, line_of, put_in, ship

pytestmark = pytest.mark.django_db

# Every page that had an unbounded customer, partner or supplier <select> in its filter form.
PAGES = (
    "sales-order-list",
    "shipment-list",
    "expense-list",
    "report-sales",
    "report-profit",
    "report-channels",
    "report-purchase-prices",
    "purchase-order-list",
    "quote-list",
)
# Tables whose rows are the parties such a select listed.
PARTY_TABLES = ('"crm_customer"', '"purchasing_supplier"')


def parties(prefix: str, count: int) -> list[str]:
    """`count` customers (half of them distributors, so channel partners) and as many suppliers,
    all named `prefix` and a number."""
    names = [f"{prefix}{n:03d}" for n in range(count)]
    for n, name in enumerate(names):
        make_customer(
            None, f"{name}医院", kind=CustomerKind.DISTRIBUTOR if n % 2 else CustomerKind.END_CUSTOMER
        )
        make_supplier(f"{name}器械有限公司")
    return names


def visit(client, name: str, params: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"web:{name}"), params or {})
    assert response.status_code == 200, (name, response.content[:300])
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def options(html: str) -> list[str]:
    return [html_lib.unescape(o).strip() for o in re.findall(r"<option[^>]*>([^<]*)</option>", html)]


def unbounded_party_reads(statements: list[str]) -> list[str]:
    """Statements listing customers or suppliers (from their table, or their distinct names) with
    no LIMIT. A report's rows may name the parties they are about; a filter may not list them all."""
    return [
        sql
        for sql in statements
        if " LIMIT " not in sql
        and any(
            f"FROM {table}" in sql or (sql.startswith("SELECT DISTINCT") and f'{table}."name"' in sql)
            for table in PARTY_TABLES
        )
    ]


def test_no_filter_page_lists_every_customer_or_supplier(company, client_for) -> None:
    shop = build_shop(company)
    put_in(shop, "50", "8.00", "L1")
    ship(shop, approved_order(shop, Line(shop.product, "10", "11.30")))
    parties("甲", 3)
    client = client_for(company.admin)
    for name in PAGES:  # the first visit of a session fills caches (the shell, the session)
        visit(client, name)
    before = {name: visit(client, name) for name in PAGES}
    many = parties("乙", 40)
    for name in PAGES:
        html, statements = visit(client, name)
        assert len(statements) == len(before[name][1]), name
        assert unbounded_party_reads(statements) == [], name
        assert not [o for o in options(html) if o.startswith(("甲", "乙"))], name
        assert not [n for n in many if n in html], name


def test_the_chosen_customer_shows_as_a_chip_whose_cross_keeps_the_other_filters(company, client_for) -> None:
    shop = build_shop(company)
    draft_order(shop, customer=shop.customer)
    client = client_for(company.admin)
    html, _ = visit(
        client, "sales-order-list", {"customer": shop.customer.pk, "status": "draft", "page": "1"}
    )
    chip = re.search(r'data-testid="filter-chip-customer">客户：([^<]+)<a href="([^"]*)"', html)
    assert chip is not None
    assert chip.group(1) == "北京协和医院"
    assert html_lib.unescape(chip.group(2)) == "?status=draft"
    assert f'<input type="hidden" name="customer" value="{shop.customer.pk}">' in html
    html, _ = visit(client, "sales-order-list", {"status": "draft"})
    assert 'data-testid="filter-chip-customer"' not in html


def test_the_shipment_list_names_the_chosen_customer_and_finds_customers_by_pinyin(
    company, client_for
) -> None:
    shop = build_shop(company)
    put_in(shop, "50", "8.00", "L1")
    order = approved_order(shop, Line(shop.product, "20", "22.60"))
    doc = ship(shop, order, item(line_of(order), "5"))
    client = client_for(shop.keeper)
    html, _ = visit(client, "shipment-list", {"customer": shop.customer.pk})
    assert re.search(r'data-testid="filter-chip-customer">客户：北京协和医院<a href="\?"', html)
    html, _ = visit(client, "shipment-list", {"q": "bjxh"})
    assert doc.number in html
    html, _ = visit(client, "shipment-list", {"q": "shrj"})
    assert doc.number not in html


def test_the_report_shows_the_chosen_customer_as_a_chip_and_otherwise_a_picker(company, client_for) -> None:
    shop = build_shop(company)
    client = client_for(company.admin)
    html, _ = visit(client, "report-sales", {"customer": shop.customer.pk, "by": "customer"})
    assert re.search(r'data-testid="filter-chip-customer">客户：北京协和医院<a href="\?by=customer"', html)
    assert 'data-testid="filter-picker-customer"' not in html
    html, _ = visit(client, "report-sales", {"by": "customer"})
    assert 'data-testid="filter-picker-customer"' in html
    assert 'name="customer_q"' in html


def test_the_report_picker_answers_at_most_20_links_that_set_the_filter(company, client_for) -> None:
    shop = build_shop(company)
    parties("丙", 25)
    client = client_for(company.admin)
    params = {"field": "customer", "customer_q": "丙", "by": "customer", "from": "2024-01-01", "page": "2"}
    html, statements = visit(client, "report-filter-options", params)
    links = re.findall(r'data-testid="filter-option">([^<]+)<', html)
    assert len(links) == 20
    assert all(name.startswith("丙") for name in links)
    assert unbounded_party_reads(statements) == []
    html, _ = visit(
        client, "report-filter-options", {"field": "customer", "customer_q": "BJXH", "by": "month"}
    )
    found = re.findall(r'<a href="([^"]+)"[^>]*data-testid="filter-option">([^<]+)<', html)
    assert [(html_lib.unescape(h), n) for h, n in found] == [
        (f"?by=month&customer={shop.customer.pk}", "北京协和医院")
    ]
    html, _ = visit(client, "report-filter-options", {"field": "partner", "partner_q": "丙"})
    assert len(re.findall(r'data-testid="filter-option"', html)) == 12  # the distributors: odd numbers
    html, _ = visit(client, "report-filter-options", {"field": "supplier", "supplier_q": "丙00"})
    assert len(re.findall(r'data-testid="filter-option"', html)) == 10
    html, _ = visit(client, "report-filter-options", {"field": "customer", "customer_q": "没有这个"})
    assert "没有找到“没有这个”。" in html


def test_the_report_picker_keeps_to_the_users_scope_and_permission(company, client_for) -> None:
    shop = build_shop(company)
    rep = client_for(company.rep_a1)
    html, _ = visit(rep, "report-filter-options", {"customer_q": "医院"})
    assert re.findall(r'data-testid="filter-option">([^<]+)<', html) == [shop.customer.name]
    assert (
        rep.get(reverse("web:report-filter-options"), {"field": "supplier", "supplier_q": "x"}).status_code
        == 403
    )
    assert rep.get(reverse("web:report-filter-options"), {"field": "employee"}).status_code == 404
