"""The whole purchasing flow in the browser, across four people: the purchaser orders 1,000 syringes
at the supplier's quoted price with two installments and submits; the purchasing manager approves
in the inbox; logistics receives the goods in two lots and the order is done; finance pays both
installments; then 100 of one lot go back to the supplier (the purchaser's return, the manager's
approval, logistics ships it) and finance records the supplier's refund. Only the set-up (people,
goods, supplier, quote) goes through services; every step of the flow is a page. Screenshots go
to test-output/browser/purchase-*.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maoyi.catalog.services import create_product
from maoyi.finance.models import Obligation
from maoyi.inventory.models import StockLevel
from maoyi.inventory.services.warehouses import create_warehouse
from maoyi.purchasing.models import GoodsReceipt, PurchaseOrder, PurchaseReturn
from maoyi.purchasing.services.quotes import create_quote
from maoyi.purchasing.services.suppliers import create_supplier
from tests.browser.test_platform_tour import log_in, log_out
from tests.conftest import build_company
from tests.factories import make_employee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUPPLIER = "江西华康医疗器械有限公司"
PRODUCT = "一次性使用无菌注射器"
WAREHOUSE = "北京主仓"


def iso(day: dt.date) -> str:
    return day.isoformat()


def test_an_order_goes_from_the_purchaser_through_approval_receipt_and_payment_to_a_return(
    live_server, browser_page, shot
) -> None:
    company = build_company()
    make_employee(company.purchasing, "manager", username="mgr_p", name="高经理", is_manager=True)
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆仓管")
    today = timezone.localdate()
    expected, first_due, second_due = (today + dt.timedelta(days=n) for n in (3, 5, 35))
    product = create_product(
        actor=company.purchaser,
        code="ZS-005",
        name=PRODUCT,
        unit="支",
        specification="5ml 带针",
        lot_tracked=True,
        purchase_price=D("10.00"),
    )
    warehouse = create_warehouse(actor=keeper, code="BJ01", name=WAREHOUSE)
    supplier = create_supplier(
        actor=company.purchaser, name=SUPPLIER, buyer=company.purchaser, payment_terms_days=30
    )
    create_quote(
        actor=company.purchaser,
        supplier=supplier,
        product=product,
        unit_price=D("11.30"),
        valid_from=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=60),
    )
    base = live_server.url
    page = browser_page
    sidebar = page.locator("[data-testid=sidebar]")
    messages = page.locator("[data-testid=messages]")
    status = page.locator("[data-testid=document-status]").first

    def nav(label: str) -> None:
        sidebar.get_by_text(label, exact=True).click()

    # 1. The purchaser: 采购 → 采购订单 → 新建 --------------------------------------------------------
    log_in(page, base, "buyer")
    nav("采购订单")
    page.wait_for_url("**/purchasing/orders/")
    expect(page.locator("[data-testid=empty]")).to_be_visible()
    page.click("[data-testid=order-create]")
    page.wait_for_url("**/purchasing/orders/new/")
    page.select_option("#id_supplier", label=f"{supplier.code} {SUPPLIER}（CNY）")
    page.select_option("#id_warehouse", label=f"BJ01 {WAREHOUSE}")
    page.fill("#id_expected_date", iso(expected))
    row = page.locator("[data-testid=grid-row]").nth(0)
    row.locator("select[name=lines-0-product]").select_option(label=f"ZS-005 {PRODUCT} 5ml 带针")
    row.locator("input[name=lines-0-quantity]").fill("1000")
    # The price stays blank: the preview shows the quote's price and the amount at it.
    expect(row.locator("input[name=lines-0-unit_price]")).to_have_value("")
    expect(row).to_contain_text("按报价 11.3")
    expect(row.locator("td").nth(5)).to_have_text("11,300.00")
    form = page.locator("[data-testid=order-form]")
    expect(form).to_contain_text("合计（含税） CNY 11,300.00")
    page.click("[data-testid=add-installment]")
    page.click("[data-testid=add-installment]")
    page.fill("input[name=installments-0-due_date]", iso(first_due))
    page.fill("input[name=installments-0-amount]", "5650.00")
    page.fill("input[name=installments-1-due_date]", iso(second_due))
    page.fill("input[name=installments-1-amount]", "5650.00")
    expect(form).to_contain_text("分期合计 11,300.00")
    expect(page.get_by_text("与订单金额不一致")).to_be_hidden()
    shot(page, "purchase-01-order-form")

    page.click("[data-testid=save]")
    page.wait_for_url("**/purchasing/orders/*/")
    order = PurchaseOrder.objects.get()
    assert page.url.endswith(f"/purchasing/orders/{order.pk}/")
    expect(messages).to_contain_text(f"已保存采购订单 {order.number}")
    expect(status).to_have_text("草稿")
    expect(page.locator("[data-testid=order-amount]")).to_have_text("¥11,300.00")
    line = page.locator("[data-testid=order-line]")
    expect(line).to_have_count(1)
    expect(line.locator("[data-testid=from-quote]")).to_have_text("报价")
    expect(line.locator("td").nth(3)).to_contain_text("11.3")
    expect(line.locator("td").nth(5)).to_have_text("¥11,300.00")
    shot(page, "purchase-02-order-draft")
    page.get_by_role("link", name="付款计划").click()
    plan = page.locator("[data-testid=order-plan] tbody tr")
    expect(plan).to_have_count(2)
    expect(plan.nth(0)).to_contain_text(iso(first_due))
    expect(plan.nth(0).locator("td").nth(2)).to_have_text("¥5,650.00")
    expect(plan.nth(1)).to_contain_text(iso(second_due))
    expect(plan.nth(1).locator("td").nth(2)).to_have_text("¥5,650.00")
    page.click("[data-testid=document-submit]")
    expect(messages).to_contain_text(f"已提交 {order.number}，等待审核。")
    expect(status).to_have_text("待审核")
    shot(page, "purchase-03-order-submitted")
    log_out(page)

    # 2. The purchasing manager approves in the inbox ----------------------------------------------------
    log_in(page, base, "mgr_p")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("1")
    nav("待我审批")
    page.wait_for_url("**/approvals/")
    inbox = page.locator("[data-testid=approval-inbox]")
    expect(inbox).to_contain_text(order.number)
    expect(inbox).to_contain_text("马丽")
    shot(page, "purchase-04-manager-inbox")
    inbox.get_by_role("link", name=order.number).click()
    expect(page.locator("[data-testid=approval-status]")).to_have_text("待审批")
    expect(page.locator("main, .page-body").first).to_contain_text("11,300.00")
    page.fill("textarea[name=comment]", "价格按报价，同意")
    shot(page, "purchase-05-manager-approval")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    expect(messages).to_contain_text(f"已审核通过 {order.number}")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("0")
    log_out(page)

    # 3. Logistics: 待入库 on the home page → 入库 600 of lot L2601, then 400 of lot L2602 ---------------
    log_in(page, base, "keeper")
    queue = page.locator("[data-testid=queue-to-receive]")
    expect(queue).to_contain_text(order.number)
    expect(queue).to_contain_text(SUPPLIER)
    shot(page, "purchase-06-keeper-home")
    queue.locator("[data-testid=queue-item]").filter(has_text=order.number).click()
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/receive/")
    rows = page.locator("[data-testid=receipt-row]")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("[data-testid=open-quantity]")).to_have_text("1000")
    quantity = page.locator("input[name=lines-0-quantity]")
    expect(quantity).to_have_value("1000")
    quantity.fill("600")
    page.fill("input[name=lines-0-lot_number]", "L2601")
    page.fill("input[name=lines-0-production_date]", iso(today - dt.timedelta(days=30)))
    page.fill("input[name=lines-0-expiry_date]", iso(today + dt.timedelta(days=700)))
    shot(page, "purchase-07-receipt-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/purchasing/receipts/*/")
    first_receipt = GoodsReceipt.objects.get()
    expect(messages).to_contain_text(f"已入库 {first_receipt.number}，订单 {order.number} 状态：执行中。")
    expect(page.locator("main, .page-body").first).to_contain_text("L2601")
    shot(page, "purchase-08-receipt-detail")

    page.locator("[data-testid=order-link]").click()
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/")
    expect(status).to_have_text("执行中")
    expect(page.locator("[data-testid=order-progress]")).to_have_text("60%")
    page.click("[data-testid=order-receive]")
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/receive/")
    expect(rows.nth(0).locator("[data-testid=open-quantity]")).to_have_text("400")
    expect(quantity).to_have_value("400")
    page.fill("input[name=lines-0-lot_number]", "L2602")
    page.fill("input[name=lines-0-production_date]", iso(today - dt.timedelta(days=10)))
    page.fill("input[name=lines-0-expiry_date]", iso(today + dt.timedelta(days=720)))
    page.click("[data-testid=save]")
    page.wait_for_url("**/purchasing/receipts/*/")
    second_receipt = GoodsReceipt.objects.latest("pk")
    expect(messages).to_contain_text(f"已入库 {second_receipt.number}，订单 {order.number} 状态：已完成。")
    page.locator("[data-testid=order-link]").click()
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/")
    expect(status).to_have_text("已完成")
    expect(page.locator("[data-testid=order-progress]")).to_have_text("100%")
    expect(page.locator("[data-testid=order-receive]")).to_have_count(0)
    expect(line.locator("td").nth(6)).to_have_text("1000")
    expect(line.locator("td").nth(8)).to_have_text("0")
    shot(page, "purchase-09-order-done")
    page.get_by_role("link", name="入库记录").click()
    expect(page.locator("[data-testid=order-receipts] tbody tr")).to_have_count(2)

    nav("库存查询")
    page.wait_for_url("**/inventory/availability/")
    page.fill("input[name=q]", "ZS-005")
    page.click("[data-testid=availability-submit]")
    stock = page.locator("[data-testid=availability-row]").filter(has_text=WAREHOUSE)
    expect(stock.locator("td").nth(1)).to_have_text("1000")
    expect(stock.locator("td").nth(3)).to_have_text("1000")
    expect(stock.locator("td").nth(4)).to_have_text("0")  # nothing more on the way
    shot(page, "purchase-10-availability-1000")
    log_out(page)

    # 4. Finance: the payable due → 付款单 → 新建 (first installment), then 付款 from the payable ------------
    log_in(page, base, "fin")
    due = page.locator("[data-testid=queue-payables-due]")
    expect(due).to_contain_text(SUPPLIER)
    expect(due).to_contain_text(order.number)
    expect(due).to_contain_text("¥5,650.00")
    expect(due.locator("[data-testid=queue-item]")).to_have_count(1)  # only the installment due in 5 days
    shot(page, "purchase-11-finance-home")
    payable = Obligation.objects.get(direction="payable", source_id=order.pk)

    nav("付款单")
    page.wait_for_url("**/finance/payments/")
    page.click("[data-testid=settlement-create]")
    page.wait_for_url("**/finance/payments/new/")
    # The search answers after a pause in typing: pick from the answer to what was typed.
    with page.expect_response(lambda r: "/parties/search/" in r.url and "q=%E5%8D%8E%E5%BA%B7" in r.url):
        page.fill("[data-party-search]", "华康")
    page.locator("[data-testid=party-option]").filter(has_text=SUPPLIER).click()
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(SUPPLIER)
    expect(page.locator("[data-testid=party-options]")).to_have_count(0)
    items = page.locator("[data-testid=open-item]")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(payable.number)
    expect(items.nth(0)).to_contain_text(order.number)
    page.fill("#id_amount", "5650.00")
    expect(page.locator(f"input[name=alloc-{payable.pk}]")).to_have_value("5650.00")
    expect(page.locator("[data-remainder]")).to_have_text("0.00")
    page.fill("#id_reference", "ICBC-PAY-0001")
    shot(page, "purchase-12-payment-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/finance/payments/*/")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text("¥5,650.00")
    allocations = page.locator("[data-testid=allocation-row]")
    expect(allocations).to_have_count(1)
    expect(allocations.nth(0).locator("td").nth(2)).to_have_text("1")  # the first installment
    shot(page, "purchase-13-payment-detail")

    allocations.nth(0).get_by_role("link", name=payable.number).click()
    page.wait_for_url(f"**/finance/payables/{payable.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥5,650.00")
    page.click("[data-testid=settle]")
    page.wait_for_url("**/finance/payments/new/**")
    expect(page.locator("#id_amount")).to_have_value("5650.00")
    expect(page.locator(f"input[name=alloc-{payable.pk}]")).to_have_value("5650.00")
    page.fill("#id_reference", "ICBC-PAY-0002")
    page.click("[data-testid=save]")
    page.wait_for_url("**/finance/payments/*/")
    page.locator("[data-testid=allocation-row]").nth(0).get_by_role("link", name=payable.number).click()
    page.wait_for_url(f"**/finance/payables/{payable.pk}/")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text("¥11,300.00")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥0.00")
    installments = page.locator("[data-testid=installment-row]")
    expect(installments).to_have_count(2)
    expect(installments.nth(0).locator("td").nth(4)).to_have_text("¥0.00")
    expect(installments.nth(1).locator("td").nth(4)).to_have_text("¥0.00")
    expect(page.locator("[data-testid=allocations] [data-testid=allocation-row]")).to_have_count(2)
    shot(page, "purchase-14-payable-settled")
    log_out(page)

    # 5. The purchaser returns 100 of lot L2602 ----------------------------------------------------------
    log_in(page, base, "buyer")
    nav("采购订单")
    page.wait_for_url("**/purchasing/orders/")
    page.locator("[data-testid=order-link]").filter(has_text=order.number).click()
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/")
    page.click("[data-testid=order-return]")
    page.wait_for_url(f"**/purchasing/orders/{order.pk}/return/")
    return_rows = page.locator("[data-testid=return-row]")
    expect(return_rows).to_have_count(2)
    l2602 = return_rows.filter(has_text="L2602")
    expect(l2602.locator("[data-testid=returnable]")).to_have_text("400")
    l2602.locator("input[name$=-quantity]").fill("100")
    page.fill("textarea[name=reason]", "外包装破损，退回供应商")
    shot(page, "purchase-15-return-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/purchasing/returns/*/")
    doc = PurchaseReturn.objects.get()
    expect(messages).to_contain_text(f"已保存采购退货单 {doc.number}。")
    expect(page.locator("[data-testid=return-amount]")).to_have_text("¥1,130.00")
    expect(page.locator("[data-testid=return-lines]")).to_contain_text("L2602")
    page.click("[data-testid=document-submit]")
    expect(messages).to_contain_text(f"已提交 {doc.number}，等待审核。")
    expect(status).to_have_text("待审核")
    shot(page, "purchase-16-return-submitted")
    log_out(page)

    log_in(page, base, "mgr_p")
    nav("待我审批")
    page.wait_for_url("**/approvals/")
    inbox.get_by_role("link", name=doc.number).click()
    expect(page.locator("[data-testid=approval-status]")).to_have_text("待审批")
    shot(page, "purchase-17-manager-return-approval")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    expect(messages).to_contain_text(f"已审核通过 {doc.number}")
    log_out(page)

    # Logistics: 待发退货 → 发出 with carrier and tracking number --------------------------------------
    log_in(page, base, "keeper")
    expect(page.locator("[data-testid=queue-to-ship]")).to_contain_text(doc.number)
    nav("待发退货")
    page.wait_for_url("**/purchasing/returns/to-ship/")
    expect(page.locator("[data-testid=return-row]")).to_have_count(1)
    shot(page, "purchase-18-returns-to-ship")
    page.locator("[data-testid=return-link]").filter(has_text=doc.number).click()
    page.wait_for_url(f"**/purchasing/returns/{doc.pk}/")
    page.click("[data-testid=return-ship]")
    page.fill("#id_carrier", "顺丰速运")
    page.fill("#id_tracking_number", "SF1234567890")
    shot(page, "purchase-19-return-ship")
    page.click("[data-testid=ship-confirm]")
    page.wait_for_url(f"**/purchasing/returns/{doc.pk}/")
    expect(messages).to_contain_text(f"已发出 {doc.number}，已生成供应商退款应收。")
    expect(status).to_have_text("已完成")
    expect(page.locator("[data-testid=tracking-number]")).to_have_text("SF1234567890")
    expect(page.locator("[data-testid=refund]")).to_contain_text("¥1,130.00")
    shot(page, "purchase-20-return-shipped")
    log_out(page)

    # Finance: the supplier's refund (应收款) → 收款 1,130.00 -------------------------------------------
    log_in(page, base, "fin")
    nav("应收款")
    page.wait_for_url("**/finance/receivables/")
    refund_row = page.locator("[data-testid=obligation-row]").filter(has_text=SUPPLIER)
    expect(refund_row).to_have_count(1)
    expect(refund_row).to_contain_text(doc.number)
    expect(refund_row.locator("[data-testid=obligation-outstanding]")).to_have_text("¥1,130.00")
    shot(page, "purchase-21-refund-receivable-list")
    refund = Obligation.objects.get(direction="receivable", source_id=doc.pk)
    refund_row.locator("[data-testid=obligation-number]").click()
    page.wait_for_url(f"**/finance/receivables/{refund.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥1,130.00")
    page.click("[data-testid=settle]")
    page.wait_for_url("**/finance/receipts/new/**")
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(SUPPLIER)
    expect(page.locator("#id_amount")).to_have_value("1130.00")
    expect(page.locator(f"input[name=alloc-{refund.pk}]")).to_have_value("1130.00")
    page.fill("#id_reference", "ICBC-REF-0001")
    shot(page, "purchase-22-refund-receipt-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/finance/receipts/*/")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text("¥1,130.00")
    expect(page.locator("[data-testid=figure-unallocated]")).to_have_text("¥0.00")
    shot(page, "purchase-23-refund-receipt-detail")

    # 6. The end figures, in the pages: 900 on hand, nothing owed either way ------------------------------
    page.locator("[data-testid=allocation-row]").nth(0).get_by_role("link", name=refund.number).click()
    page.wait_for_url(f"**/finance/receivables/{refund.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥0.00")
    shot(page, "purchase-24-refund-settled")
    page.goto(f"{base}/finance/payables/{payable.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥0.00")
    nav("库存查询")
    page.wait_for_url("**/inventory/availability/")
    page.fill("input[name=q]", "ZS-005")
    page.click("[data-testid=availability-submit]")
    expect(stock.locator("td").nth(1)).to_have_text("900")
    expect(stock.locator("td").nth(3)).to_have_text("900")
    shot(page, "purchase-25-availability-900")
    log_out(page)

    # And in the database, the same.
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == D("900")
    payable.refresh_from_db()
    refund.refresh_from_db()
    assert (payable.outstanding, refund.outstanding) == (D("0.00"), D("0.00"))
    order.refresh_from_db()
    assert order.status == "done"
