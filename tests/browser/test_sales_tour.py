"""Issue 6's acceptance in the browser, across four people: the salesperson writes an order for 80
syringes where only 50 are in stock, sees the line turn red (可用 50，缺 30), lowers it to 40 and
submits; the manager approves in the inbox (stock reserved, receivable opened); logistics ships
from 待发货 with carrier and tracking number; finance records the customer's receipt for the full
amount; the salesperson sees the order 已收清 in the list and on the order. Only the set-up (people,
customer, product, warehouse, 50 in stock) goes through builders; every step of the flow is a page.
Screenshots go to test-output/browser/sales-tour-*.png."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from maoyi.finance.models import Direction, Obligation
from maoyi.inventory.models import StockLevel
from maoyi.sales.models import SalesOrder, Shipment
from tests.browser.test_platform_tour import log_in, log_out
from tests.sales.builders import build_shop, put_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "北京协和医院"
PRODUCT = "ZS001 一次性使用无菌注射器"
WAREHOUSE = "WH01 北京主仓"
PRICE = "11.30"  # tax-inclusive unit price
TOTAL = "¥452.00"  # 40 × 11.30
AVAILABILITY = "/sales/orders/availability/"


def test_an_order_goes_from_the_salesperson_through_approval_and_shipment_to_paid(
    live_server, browser_page, shot, company
) -> None:
    shop = build_shop(company)
    put_in(shop, "50", "8.00", "L1")
    base = live_server.url
    page = browser_page
    sidebar = page.locator("[data-testid=sidebar]")
    messages = page.locator("[data-testid=messages]")
    status = page.locator("[data-testid=document-status]").first

    def nav(label: str) -> None:
        sidebar.get_by_text(label, exact=True).click()

    def availability():
        """Wait for the order form's live figures to answer what was just typed."""
        return page.expect_response(lambda r: AVAILABILITY in r.url and r.request.method == "POST")

    # 1. The salesperson: 销售 → 销售订单 → 新建 --------------------------------------------------------
    log_in(page, base, "rep_a1")
    nav("销售订单")
    page.wait_for_url("**/sales/orders/")
    expect(page.locator("[data-testid=empty]")).to_be_visible()
    page.click("[data-testid=order-create]")
    page.wait_for_url("**/sales/orders/new/")
    with availability():
        page.select_option("#id_customer", label=CUSTOMER)
    with availability():
        page.select_option("#id_warehouse", label=WAREHOUSE)
    rows = page.locator("[data-testid=grid-row]")
    expect(rows).to_have_count(1)  # a new order starts with one empty line
    row = rows.nth(0)
    with availability():
        row.locator("select[name=lines-0-product]").select_option(label=PRODUCT)
    stock_cell = row.locator("#avail-0")
    expect(stock_cell.locator("[data-testid=line-stock]")).to_have_text("现有 50 · 预留 0 · 可用 50 · 在途 0")
    quantity = row.locator("input[name=lines-0-quantity]")
    quantity.fill("80")
    with availability():
        quantity.press("Tab")  # the change event posts the grid

    # 80 asked, 50 available: the availability cell says so in red, and the row turns red.
    short = stock_cell.locator("[data-testid=line-short]")
    expect(short).to_be_visible()
    expect(short).to_have_text("可用 50，缺 30")
    expect(short).to_have_class("table-danger text-danger fw-bold")
    expect(page.locator("[data-testid=short-summary]")).to_contain_text("1 行可用量不足")
    summary = page.locator("#order-summary")
    expect(summary.locator("[data-testid=credit-position]")).to_be_visible()
    expect(summary).not_to_contain_text("#}")  # no template comment leaks into the live figures
    red = row.locator("td").nth(1).evaluate("td => getComputedStyle(td).backgroundColor")
    assert red not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"), red
    shot(page, "sales-tour-01-line-short")

    # Lowered to 40: the red mark goes; the price is typed (the product has no list price).
    quantity.fill("40")
    with availability():
        quantity.press("Tab")
    expect(short).to_have_count(0)
    expect(page.locator("[data-testid=short-summary]")).to_have_count(0)
    plain = row.locator("td").nth(1).evaluate("td => getComputedStyle(td).backgroundColor")
    assert plain != red
    price = row.locator("input[name=lines-0-unit_price]")
    price.fill(PRICE)
    with availability():
        price.press("Tab")
    expect(row.locator("#amount-0")).to_have_text(TOTAL)
    expect(page.locator("[data-testid=order-total]")).to_have_text(TOTAL)
    shot(page, "sales-tour-02-line-lowered")

    page.click("[data-testid=save]")
    page.wait_for_url("**/sales/orders/*/")
    order = SalesOrder.objects.get()
    assert page.url.endswith(f"/sales/orders/{order.pk}/")
    expect(messages).to_contain_text(f"已保存销售订单 {order.number}。")
    expect(status).to_have_text("草稿")
    expect(page.locator("[data-testid=order-amount]")).to_have_text(TOTAL)
    line = page.locator("[data-testid=order-line]")
    expect(line).to_have_count(1)
    expect(line.locator("[data-testid=line-short]")).to_have_count(0)
    expect(line.locator("td").nth(2)).to_have_text("40 支")
    expect(line.locator("td").nth(6)).to_have_text(TOTAL)
    expect(page.locator("[data-testid=order-shortages]")).to_have_count(0)
    page.click("[data-testid=document-submit]")
    expect(messages).to_contain_text(f"已提交 {order.number}，等待审核。")
    expect(status).to_have_text("待审核")
    shot(page, "sales-tour-03-order-submitted")
    log_out(page)

    # 2. The manager approves in the inbox: the stock is reserved, the receivable opened ------------------
    log_in(page, base, "mgr_a")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("1")
    nav("待我审批")
    page.wait_for_url("**/approvals/")
    inbox = page.locator("[data-testid=approval-inbox]")
    expect(inbox).to_contain_text(order.number)
    inbox.get_by_role("link", name=order.number).click()
    page.wait_for_url("**/approvals/*/")
    expect(page.locator("[data-testid=approval-status]")).to_have_text("待审批")
    expect(page.locator("main, .page-body").first).to_contain_text("452.00")
    page.fill("textarea[name=comment]", "同意")
    shot(page, "sales-tour-04-manager-approval")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    expect(messages).to_contain_text(f"已审核通过 {order.number}")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("0")
    log_out(page)
    order.refresh_from_db()
    assert order.status == "approved"
    level = StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse)
    assert (level.on_hand, level.reserved) == (D("50"), D("40"))
    receivable = Obligation.objects.get(
        direction=Direction.RECEIVABLE, source_type=SalesOrder.DOCUMENT_TYPE, source_id=order.pk
    )
    assert (receivable.amount, receivable.outstanding) == (D("452.00"), D("452.00"))

    # 3. Logistics: 待发货 → 发货, carrier and tracking number ------------------------------------------
    log_in(page, base, "keeper")
    nav("待发货")
    page.wait_for_url("**/sales/shipments/to-ship/")
    ship_row = page.locator("[data-testid=ship-row]").filter(has_text=order.number)
    expect(ship_row).to_have_count(1)
    expect(ship_row).to_contain_text(CUSTOMER)
    expect(ship_row.locator("[data-testid=open-lines]")).to_have_text("1")
    shot(page, "sales-tour-05-to-ship")
    ship_row.locator("[data-testid=ship-link]").click()
    page.wait_for_url(f"**/sales/orders/{order.pk}/ship/")
    grid = page.locator("[data-testid=shipment-row]")
    expect(grid).to_have_count(1)
    expect(grid.nth(0).locator("[data-testid=open-quantity]")).to_have_text("40")
    expect(page.locator("input[name=lines-0-quantity]")).to_have_value("40")
    expect(grid.nth(0).locator("[data-testid=lot-select]")).to_contain_text("L1")
    page.fill("#id_carrier", "顺丰速运")
    page.fill("#id_tracking_number", "SF1234567890")
    shot(page, "sales-tour-06-shipment-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/sales/shipments/*/")
    shipment = Shipment.objects.get()
    assert page.url.endswith(f"/sales/shipments/{shipment.pk}/")
    expect(messages).to_contain_text(f"已发货 {shipment.number}，订单 {order.number}")
    expect(page.locator("[data-testid=tracking-number]")).to_have_text("SF1234567890")
    expect(page.locator("[data-testid=document-header]")).to_contain_text("顺丰速运")
    shipped = page.locator("[data-testid=shipment-line]")
    expect(shipped).to_have_count(1)
    expect(shipped.locator("[data-testid=line-lot]")).to_have_text("L1")
    expect(shipped.locator("[data-testid=line-quantity]")).to_have_text("40 支")
    shot(page, "sales-tour-07-shipment-detail")
    log_out(page)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (D("10"), D("0"))

    # 4. Finance: 收款单 → 新建, the customer, the full amount against the order's receivable --------------
    log_in(page, base, "fin")
    nav("收款单")
    page.wait_for_url("**/finance/receipts/")
    page.click("[data-testid=settlement-create]")
    page.wait_for_url("**/finance/receipts/new/")
    with page.expect_response(lambda r: "/parties/search/" in r.url and "q=%E5%8D%8F%E5%92%8C" in r.url):
        page.fill("[data-party-search]", "协和")
    page.locator("[data-testid=party-option]").filter(has_text=CUSTOMER).click()
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(CUSTOMER)
    items = page.locator("[data-testid=open-item]")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(receivable.number)
    expect(items.nth(0)).to_contain_text(order.number)
    page.fill("#id_amount", "452.00")
    expect(page.locator(f"input[name=alloc-{receivable.pk}]")).to_have_value("452.00")
    expect(page.locator("[data-remainder]")).to_have_text("0.00")
    page.fill("#id_reference", "ICBC-SO-0001")
    shot(page, "sales-tour-08-receipt-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/finance/receipts/*/")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text(TOTAL)
    expect(page.locator("[data-testid=figure-unallocated]")).to_have_text("¥0.00")
    page.locator("[data-testid=allocation-row]").nth(0).get_by_role("link", name=receivable.number).click()
    page.wait_for_url(f"**/finance/receivables/{receivable.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥0.00")
    shot(page, "sales-tour-09-receivable-settled")
    log_out(page)

    # 5. The salesperson sees the order paid, in the list and on the order --------------------------------
    log_in(page, base, "rep_a1")
    nav("销售订单")
    page.wait_for_url("**/sales/orders/")
    listed = page.locator("[data-testid=order-row]").filter(has_text=order.number)
    expect(listed).to_have_count(1)
    expect(listed.locator("[data-testid=order-amount]")).to_have_text(TOTAL)
    expect(listed.locator("[data-testid=shipped]")).to_have_text("40/40")
    expect(listed.locator("[data-testid=collection-settled]")).to_have_text("已收清")
    shot(page, "sales-tour-10-order-list-paid")
    listed.locator("[data-testid=order-link]").click()
    page.wait_for_url(f"**/sales/orders/{order.pk}/")
    collection = page.locator("[data-testid=order-collection]")
    expect(collection.locator("[data-testid=collection-settled]")).to_have_text("已收清")
    expect(collection).to_contain_text("¥0.00")
    expect(collection).to_contain_text(receivable.number)
    expect(page.locator("[data-testid=order-shipped]")).to_have_text("40/40")
    expect(page.locator("[data-testid=order-amount]")).to_have_text(TOTAL)
    page.get_by_role("link", name="发货记录").click()
    shipment_row = page.locator("[data-testid=shipment-row]")
    expect(shipment_row).to_have_count(1)
    expect(shipment_row).to_contain_text("SF1234567890")
    shot(page, "sales-tour-11-order-paid")
    log_out(page)

    # And in the database, the same: 10 left on hand, nothing reserved, nothing owed.
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (D("10"), D("0"))
    receivable.refresh_from_db()
    assert (receivable.allocated, receivable.outstanding) == (D("452.00"), D("0.00"))
    order.refresh_from_db()
    assert order.amount == D("452.00")
