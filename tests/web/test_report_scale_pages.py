"""Pages that used to read every row of a growing set: the stock report shows one page of
product × warehouse rows with the grand total of all of them (one SQL sum), its Excel export still
has every row and the total; the follow-ups page offers the employees in the user's scope as its
person filter, without reading the activities."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.core.tabular import XLSX_MIME
from maoyi.inventory import report_selectors as stock_reports
from maoyi.inventory.models import Lot
from maoyi.inventory.services import ledger
from tests.sales.builders import build_shop, days, put_in
from tests.web.test_report_pages import money, texts

pytestmark = pytest.mark.django_db


def _stock(company, products: int):
    """`products` × 2 warehouses of plain goods, and one lot-tracked product whose lot expired after
    4 of its 5 were reserved (available on that row: max(0 − 4, 0) = 0)."""
    shop = build_shop(company)
    for i in range(products):
        goods = Product.objects.create(code=f"P{i:03d}", name=f"商品{i}", unit="个", lot_tracked=False)
        put_in(shop, str(i + 1), "1.25", product=goods)
        put_in(shop, "0.5", "3.33", product=goods, warehouse=shop.quality)
    put_in(shop, "5", "2.00", "L1")
    ledger.reserve(
        [ledger.Hold(shop.product.pk, shop.warehouse.pk, D("4"))],
        source=DocRef(type="test_order", id=1, number="XS-TEST-1"),
        actor=shop.keeper,
    )
    Lot.objects.filter(lot_number="L1").update(expiry_date=days(-1))
    return shop


def _statements(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("web:report-stock"), params).status_code == 200
    return len(captured)


def test_the_stock_report_shows_a_page_of_rows_and_the_total_of_all(company, client_for) -> None:
    _stock(company, 60)
    client = client_for(company.admin)
    response = client.get(reverse("web:report-stock"), {"per_page": "50"})
    html = response.content.decode()
    assert len(texts(html, "row-label")) == 50
    assert "共 121 条" in html
    everything = stock_reports.stock_on_hand()
    assert len(everything.rows) == 121
    total = everything.total
    assert total.on_hand == sum((r.on_hand for r in everything.rows), D("0")) == D("1865.0000")
    assert total.available == sum((r.available for r in everything.rows), D("0")) == D("1860.0000")
    assert total.reserved == D("4.0000")
    assert total.value == sum((r.value for r in everything.rows), D("0"))
    assert texts(html, "total-on-hand") == ["1865"]
    assert texts(html, "total-available") == ["1860"]
    assert texts(html, "total-value") == [money(total.value)]
    last = client.get(reverse("web:report-stock"), {"per_page": "50", "page": "3"}).content.decode()
    assert texts(last, "row-label") == [f"P{i:03d} 商品{i}" for i in range(50, 60) for _ in "ab"] + [
        "ZS001 一次性使用无菌注射器"
    ]
    assert texts(last, "row-available")[-1] == "0"


def test_the_stock_report_export_has_every_row_and_the_total(company, client_for) -> None:
    _stock(company, 30)
    response = client_for(company.admin).get(reverse("web:report-stock"), {"format": "xlsx"})
    assert response["Content-Type"] == XLSX_MIME
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 61 + 1  # header, rows, total
    assert rows[-1][0] == "合计"
    assert D(str(rows[-1][4])) == D("485")  # Σ 1..30 + 30 × 0.5 + 5


def test_the_stock_report_takes_the_same_statements_for_more_rows(company, client_for) -> None:
    shop = _stock(company, 3)
    client = client_for(company.admin)
    _statements(client)
    small = _statements(client)
    for i in range(3, 40):
        goods = Product.objects.create(code=f"P{i:03d}", name=f"商品{i}", unit="个", lot_tracked=False)
        put_in(shop, "1", "1.00", product=goods)
    assert _statements(client) == small


def test_the_follow_ups_person_filter_lists_the_employees_in_scope_without_reading_activities(
    company, client_for
) -> None:
    client = client_for(company.manager_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:activity-list"))
    assert response.status_code == 200
    offered = {e.pk for e in response.context["employees"]}
    assert {company.manager_a.pk, company.rep_a1.pk, company.rep_a2.pk} <= offered  # none logged anything
    assert company.rep_b1.pk not in offered
    choices = [q["sql"] for q in captured if 'FROM "org_employee"' in q["sql"] and "crm_activity" in q["sql"]]
    assert choices == []
