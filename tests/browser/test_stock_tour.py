"""Stock in the browser: a salesperson looks a product up by its pinyin initials and sees what is
on hand and available (and no cost); a logistics employee opens the lots, sees which expire soon and
traces one lot through its receipt, transfer and issue. Screenshots go to test-output/browser/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory.models import Lot, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from maoyi.org.pinyin import initials
from tests.browser.test_platform_tour import log_in, log_out
from tests.conftest import build_company
from tests.factories import make_employee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_salesperson_looks_up_availability_and_logistics_traces_a_lot(
    live_server, browser_page, shot
) -> None:
    company = build_company()
    make_employee(company.root, "logistics", username="cangguan", name="赵仓管")
    today = timezone.localdate()
    name = "一次性使用无菌注射器"
    product = Product.objects.create(
        code="ZS-005", name=name, pinyin=initials(name), specification="5ml 带针", unit="支"
    )
    beijing = Warehouse.objects.create(code="BJ01", name="北京主仓")
    shanghai = Warehouse.objects.create(code="SH01", name="上海分仓")
    ledger.receive(
        [
            Incoming(
                product.pk,
                beijing.pk,
                D("300"),
                D("1.20"),
                "20260105",
                expiry_date=today + dt.timedelta(days=45),
            ),
            Incoming(
                product.pk,
                beijing.pk,
                D("500"),
                D("1.26"),
                "20260318",
                expiry_date=today + dt.timedelta(days=500),
            ),
        ],
        source=DocRef(type="purchase_receipt", id=1, number="RK20261101-001"),
        actor=company.admin,
    )
    first = Lot.objects.get(lot_number="20260105")
    ledger.transfer(
        [Outgoing(product.pk, beijing.pk, D("100"), lot_id=first.pk)],
        to_warehouse_id=shanghai.pk,
        source=DocRef(type="transfer", id=1, number="DB20261110-001"),
        actor=company.admin,
    )
    ledger.issue(
        [Outgoing(product.pk, shanghai.pk, D("40"), lot_id=first.pk)],
        source=DocRef(type="shipment", id=1, number="FH20261120-001"),
        actor=company.admin,
    )
    ledger.reserve(
        [Hold(product.pk, beijing.pk, D("120"))],
        source=DocRef("sales_order", 1, "XS20261125-001"),
        actor=company.admin,
    )
    base = live_server.url
    page = browser_page

    # A salesperson: 库存查询 by pinyin initials -------------------------------------------------------
    log_in(page, base, "rep_a1")
    sidebar = page.locator("[data-testid=sidebar]")
    expect(sidebar).to_contain_text("库存查询")
    expect(sidebar).not_to_contain_text("库存流水")
    page.click("text=库存查询")
    page.wait_for_url("**/inventory/availability/")
    page.fill("input[name=q]", "ycxsy")
    page.click("[data-testid=availability-submit]")
    result = page.locator("[data-testid=availability-result]")
    expect(result).to_contain_text("ZS-005 一次性使用无菌注射器")
    rows = page.locator("[data-testid=availability-row]")
    # 北京主仓: 800 − 100 transferred = 700 on hand, 120 reserved, 580 available; 上海分仓: 60
    expect(rows.nth(0)).to_contain_text("北京主仓")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("700")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("120")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("580")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("60")
    expect(page.locator("[data-testid=total-on-hand]")).to_have_text("760")
    expect(page.locator("[data-testid=total-available]")).to_have_text("640")
    expect(page.locator("main, .page-body")).not_to_contain_text("¥")
    shot(page, "10-availability")
    log_out(page)

    # Logistics: 批次效期 → 批次追溯 -------------------------------------------------------------------
    log_in(page, base, "cangguan")
    page.click("text=批次效期")
    page.wait_for_url("**/inventory/lots/")
    lots = page.locator("[data-testid=lot-row]")
    expect(lots).to_have_count(2)
    expect(lots.nth(0)).to_contain_text("20260105")
    expect(lots.nth(0).locator("[data-testid=lot-state]")).to_contain_text("45 天后到期")
    expect(lots.nth(0)).to_have_class("table-warning")
    page.click("[data-testid=lot-link] >> text=20260105")
    page.wait_for_url(f"**/inventory/lots/{first.pk}/")
    trace = page.locator("[data-testid=trace-row]")
    expect(trace).to_have_count(4)
    expect(trace.nth(0)).to_contain_text("RK20261101-001")
    expect(trace.nth(1)).to_contain_text("调拨出库")
    expect(trace.nth(2)).to_contain_text("调拨入库")
    expect(trace.nth(3)).to_contain_text("FH20261120-001")
    expect(trace.nth(3).locator("td").nth(6)).to_have_text("260")  # 300 − 40 left in all warehouses
    expect(page.locator("[data-testid=lot-on-hand]")).to_contain_text("260")
    expect(page.locator("[data-testid=lot-recipients]")).to_contain_text("收货客户")
    expect(page.locator("[data-testid=recipients-empty]")).to_be_visible()
    shot(page, "11-lot-trace")
