"""The money ledger in the browser: finance finds a customer's opening receivable, records a receipt
from it (the allocation grid spreads it over the earliest installment first), sees the receivable
go down, is refused an over-allocation with nothing saved, reads the aging, the statement of account
and the due reminders, looks at a supplier's USD payable and its payment form, and reads one page in
English; the salesperson sees only their own customer's receivable. Screenshots go to
test-output/browser/money-*.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maoyi.crm.services import create_customer
from maoyi.finance.models import Allocation, Installment, Receipt, Receivable
from maoyi.finance.parties import get_party
from maoyi.finance.services import InstallmentInput, create_opening_balance
from maoyi.purchasing.services.suppliers import create_supplier
from tests.browser.test_platform_tour import log_in, log_out
from tests.conftest import build_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "北京协和医院"
OTHER_CUSTOMER = "上海瑞金医院"
SUPPLIER = "美国百特医疗用品有限公司"


def iso(day: dt.date) -> str:
    return day.isoformat()


def test_finance_records_a_receipt_and_reads_the_ledger_in_the_browser(
    live_server, browser_page, shot
) -> None:
    company = build_company()
    fin = company.finance_clerk
    today = timezone.localdate()
    first_due, second_due = today - dt.timedelta(days=45), today + dt.timedelta(days=5)

    customer = create_customer(
        actor=company.rep_a1, name=CUSTOMER, kind="end_customer", level="b", owner=company.rep_a1
    )
    party = get_party(fin.user, "customer", customer.pk)
    receivable = create_opening_balance(
        direction="receivable",
        actor=fin,
        party=party,
        amount=D("10000.00"),
        issued_on=today - dt.timedelta(days=60),
        installments=[
            InstallmentInput(due_date=first_due, amount=D("4000.00")),  # overdue
            InstallmentInput(due_date=second_due, amount=D("6000.00")),  # due in 5 days
        ],
        reference="K3-2025-118",
    )
    other = create_customer(
        actor=company.rep_b1, name=OTHER_CUSTOMER, kind="end_customer", level="b", owner=company.rep_b1
    )
    theirs = create_opening_balance(
        direction="receivable",
        actor=fin,
        party=get_party(fin.user, "customer", other.pk),
        amount=D("800.00"),
        issued_on=today - dt.timedelta(days=130),
        due_date=today - dt.timedelta(days=100),
    )
    supplier = create_supplier(
        actor=company.purchaser, name=SUPPLIER, currency="USD", payment_terms_days=30, buyer=company.purchaser
    )
    payable = create_opening_balance(
        direction="payable",
        actor=fin,
        party=get_party(fin.user, "supplier", supplier.pk),
        amount=D("2500.00"),
        currency="USD",
        exchange_rate=D("7.100000"),
        issued_on=today - dt.timedelta(days=20),
        due_date=today + dt.timedelta(days=10),
        reference="INV-2025-0912",
    )
    base = live_server.url
    page = browser_page
    sidebar = page.locator("[data-testid=sidebar]")

    def nav(label: str) -> None:
        sidebar.get_by_role("link", name=label, exact=True).click()

    # Finance: 财务 → 应收款 → the receivable --------------------------------------------------------
    log_in(page, base, "fin")
    expect(sidebar).to_contain_text("财务")
    nav("应收款")
    page.wait_for_url("**/finance/receivables/")
    row = page.locator("[data-testid=obligation-row]").filter(has_text=CUSTOMER)
    expect(row).to_contain_text(receivable.number)
    expect(row).to_contain_text("K3-2025-118")
    expect(row.locator("[data-testid=obligation-outstanding]")).to_have_text("¥10,000.00")
    expect(page.locator("[data-testid=obligation-row]")).to_have_count(2)
    expect(page.locator("[data-testid=total-outstanding]")).to_have_text("¥10,800.00")  # 10,000 + 800
    shot(page, "money-01-receivable-list")

    row.locator("[data-testid=obligation-number]").click()
    page.wait_for_url(f"**/finance/receivables/{receivable.pk}/")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥10,000.00")
    installments = page.locator("[data-testid=installment-row]")
    expect(installments).to_have_count(2)
    expect(installments.nth(0)).to_contain_text(iso(first_due))
    expect(installments.nth(0).locator("[data-testid=installment-overdue]")).to_be_visible()
    expect(installments.nth(1)).to_contain_text(iso(second_due))
    expect(installments.nth(1).locator("[data-testid=installment-overdue]")).to_have_count(0)
    shot(page, "money-02-receivable-detail")

    # 收款: the form comes prefilled with this customer and this receivable --------------------------------
    page.click("[data-testid=settle]")
    page.wait_for_url("**/finance/receipts/new/**")
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(CUSTOMER)
    expect(page.locator("#id_amount")).to_have_value("10000.00")
    items = page.locator("[data-testid=open-item]")
    expect(items).to_have_count(1)  # only this customer's receivables, never the other customer's
    expect(items.nth(0)).to_contain_text(receivable.number)
    alloc = page.locator(f"input[name=alloc-{receivable.pk}]")
    expect(alloc).to_have_value("10000.00")
    page.fill("#id_amount", "6000.00")
    expect(alloc).to_have_value("6000.00")  # the grid proposes the whole receipt for this receivable
    expect(page.locator("[data-allocated-sum]")).to_have_text("6,000.00")
    expect(page.locator("[data-remainder]")).to_have_text("0.00")
    page.fill("#id_reference", "ICBC-20261128-0071")
    shot(page, "money-03-receipt-form")

    page.click("[data-testid=save]")
    page.wait_for_url("**/finance/receipts/*/")
    receipt = Receipt.objects.get()
    assert page.url.endswith(f"/finance/receipts/{receipt.pk}/")
    messages = page.locator("[data-testid=messages]")
    expect(messages).to_contain_text(f"已保存 {receipt.number}，核销 6,000.00，未分配 0.00。")
    expect(page.locator("[data-testid=figure-amount]")).to_have_text("¥6,000.00")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text("¥6,000.00")
    expect(page.locator("[data-testid=figure-unallocated]")).to_have_text("¥0.00")
    expect(page.locator("[data-testid=settlement-header]")).to_contain_text("ICBC-20261128-0071")
    # Earliest installment first: all 4,000 of the overdue one, then 2,000 of the next.
    allocations = page.locator("[data-testid=allocation-row]")
    expect(allocations).to_have_count(2)
    expect(allocations.nth(0)).to_contain_text(receivable.number)
    expect(allocations.nth(0).locator("td").nth(2)).to_have_text("1")
    expect(allocations.nth(0).locator("td").nth(4)).to_have_text("¥4,000.00")
    expect(allocations.nth(1).locator("td").nth(2)).to_have_text("2")
    expect(allocations.nth(1).locator("td").nth(4)).to_have_text("¥2,000.00")
    shot(page, "money-04-receipt-detail")

    # Back on the receivable: 4,000 left, the first installment settled --------------------------------
    allocations.nth(0).get_by_role("link", name=receivable.number).click()
    page.wait_for_url(f"**/finance/receivables/{receivable.pk}/")
    expect(page.locator("[data-testid=figure-allocated]")).to_have_text("¥6,000.00")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥4,000.00")
    expect(installments.nth(0).locator("td").nth(4)).to_have_text("¥0.00")
    expect(installments.nth(0).locator("[data-testid=installment-overdue]")).to_have_count(0)
    expect(installments.nth(1).locator("td").nth(4)).to_have_text("¥4,000.00")
    expect(page.locator("[data-testid=allocations]")).to_contain_text(receipt.number)
    shot(page, "money-05-receivable-after-receipt")

    # A second receipt allocating more than is outstanding: refused, nothing saved ----------------------
    page.click("[data-testid=settle]")
    page.wait_for_url("**/finance/receipts/new/**")
    expect(page.locator("#id_amount")).to_have_value("4000.00")
    page.fill("#id_amount", "5000.00")
    expect(alloc).to_have_value("4000.00")  # the grid never proposes more than is outstanding
    expect(page.locator("[data-remainder]")).to_have_text("1,000.00")
    page.fill(f"input[name=alloc-{receivable.pk}]", "5000.00")
    expect(page.locator("[data-remainder]")).to_have_text("0.00")
    page.fill("#id_reference", "ICBC-20261128-0072")
    page.click("[data-testid=save]")
    refusal = f"{receivable.number} 未结金额 4000.00，本次核销 5000.00，超出 1000.00。"
    expect(page.locator("[data-testid=form-errors]")).to_contain_text(refusal)
    expect(page.locator("[data-testid=row-error]")).to_contain_text(refusal)
    expect(alloc).to_have_value("5000.00")  # what the user typed is kept to correct
    expect(page.locator("#id_reference")).to_have_value("ICBC-20261128-0072")
    shot(page, "money-06-over-allocation")
    assert Receipt.objects.count() == 1
    assert Allocation.objects.count() == 2
    receivable.refresh_from_db()
    assert (receivable.allocated, receivable.outstanding) == (D("6000.00"), D("4000.00"))

    # 账龄分析: today the 4,000 left is not due; the other customer's 800 is 100 days overdue -----------
    nav("账龄分析")
    page.wait_for_url("**/finance/aging/")
    aging_rows = page.locator("[data-testid=aging-row]")
    expect(aging_rows).to_have_count(2)
    mine = aging_rows.filter(has_text=CUSTOMER)
    expect(mine.locator("[data-bucket=not_due]")).to_have_text("¥4,000.00")
    expect(mine.locator("[data-bucket=d1_30]")).to_have_text("—")
    expect(mine.locator("[data-bucket=total]")).to_have_text("¥4,000.00")
    expect(mine.locator("[data-bucket=overdue]")).to_have_text("¥0.00")
    their_row = aging_rows.filter(has_text=OTHER_CUSTOMER)
    expect(their_row.locator("[data-bucket=over_90]")).to_have_text("¥800.00")
    totals = page.locator("[data-testid=aging-totals]")
    expect(totals.locator("[data-bucket=total]")).to_have_text("¥4,800.00")
    expect(totals.locator("[data-bucket=overdue]")).to_have_text("¥800.00")
    shot(page, "money-07-aging")
    # As of 30 days from now the second installment (due in 5 days) is 25 days overdue: 1–30.
    page.fill("input[name=on]", iso(today + dt.timedelta(days=30)))
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/finance/aging/?*on=*")
    expect(mine.locator("[data-bucket=not_due]")).to_have_text("—")
    expect(mine.locator("[data-bucket=d1_30]")).to_have_text("¥4,000.00")
    expect(mine.locator("[data-bucket=overdue]")).to_have_text("¥4,000.00")
    expect(totals.locator("[data-bucket=overdue]")).to_have_text("¥4,800.00")
    page.go_back()
    page.wait_for_url("**/finance/aging/")

    # 对账单 from the aging row: this month opens at 10,000 and the receipt brings it to 4,000 -----------
    mine.locator("[data-testid=aging-party]").click()
    page.wait_for_url("**/finance/statement/**")
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(CUSTOMER)
    expect(page.locator("[data-testid=opening-balance]")).to_have_text("¥10,000.00")
    lines = page.locator("[data-testid=statement-line]")
    expect(lines).to_have_count(1)
    expect(lines.nth(0)).to_contain_text(receipt.number)
    expect(lines.nth(0).locator("td").nth(5)).to_have_text("¥6,000.00")
    expect(page.locator("[data-testid=closing-balance]")).to_have_text("¥4,000.00")
    # Over the last 90 days: the opening receivable and the receipt, from nothing to 4,000.
    page.fill("input[name=from]", iso(today - dt.timedelta(days=90)))
    page.fill("input[name=to]", iso(today))
    page.click("[data-testid=statement-submit]")
    page.wait_for_url("**/finance/statement/?*from=*")
    expect(page.locator("[data-testid=opening-balance]")).to_have_text("¥0.00")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(receivable.number)
    expect(lines.nth(0)).to_contain_text("K3-2025-118")
    expect(lines.nth(0).locator("td").nth(4)).to_have_text("¥10,000.00")
    expect(lines.nth(0).locator("td").nth(6)).to_have_text("¥10,000.00")
    expect(lines.nth(1)).to_contain_text(receipt.number)
    expect(lines.nth(1).locator("td").nth(5)).to_have_text("¥6,000.00")
    expect(lines.nth(1).locator("td").nth(6)).to_have_text("¥4,000.00")
    expect(page.locator("[data-testid=closing-balance]")).to_have_text("¥4,000.00")
    expect(page.locator("[data-testid=statement]")).not_to_contain_text(OTHER_CUSTOMER)
    shot(page, "money-08-statement")

    # 到期提醒: overdue is only the other customer's; within 7 days is our second installment -----------
    nav("到期提醒")
    page.wait_for_url("**/finance/due/")
    due_rows = page.locator("[data-testid=due-row]")
    expect(due_rows).to_have_count(1)
    expect(due_rows.nth(0)).to_contain_text(OTHER_CUSTOMER)
    expect(due_rows.nth(0).locator("[data-testid=due-days]")).to_have_text("100 天")
    shot(page, "money-09-due-overdue")
    page.get_by_role("link", name="7天内到期").click()
    page.wait_for_url("**/finance/due/?*tab=soon*")
    expect(due_rows).to_have_count(1)
    expect(due_rows.nth(0)).to_contain_text(CUSTOMER)
    expect(due_rows.nth(0)).to_contain_text(iso(second_due))
    expect(due_rows.nth(0).locator("[data-testid=due-days]")).to_have_text("5 天")
    expect(due_rows.nth(0).locator("td").nth(5)).to_have_text("¥4,000.00")
    shot(page, "money-10-due-soon")

    # The supplier and its USD payable ------------------------------------------------------------------
    nav("供应商")  # 采购 → 供应商
    page.wait_for_url("**/purchasing/suppliers/")
    expect(page.locator("[data-testid=supplier-list]")).to_contain_text(SUPPLIER)
    shot(page, "money-11-supplier-list")
    page.locator("[data-testid=supplier-link]").filter(has_text=SUPPLIER).click()
    page.wait_for_url(f"**/purchasing/suppliers/{supplier.pk}/")
    expect(page.locator("[data-testid=supplier-currency]")).to_contain_text("USD")
    shot(page, "money-12-supplier-detail")

    nav("应付款")
    page.wait_for_url("**/finance/payables/")
    prow = page.locator("[data-testid=obligation-row]")
    expect(prow).to_have_count(1)
    expect(prow.nth(0)).to_contain_text(SUPPLIER)
    expect(prow.nth(0)).to_contain_text("USD")
    expect(prow.nth(0).locator("[data-testid=obligation-outstanding]")).to_have_text("$2,500.00")
    shot(page, "money-13-payable-list")
    prow.nth(0).locator("[data-testid=obligation-number]").click()
    page.wait_for_url(f"**/finance/payables/{payable.pk}/")
    page.click("[data-testid=settle]")
    page.wait_for_url("**/finance/payments/new/**")
    expect(page.locator("[data-testid=party-chosen]")).to_have_text(SUPPLIER)
    expect(page.locator("#id_currency")).to_have_value("USD")
    expect(page.locator("#id_exchange_rate")).to_have_value("7.100000")
    expect(page.locator(f"input[name=alloc-{payable.pk}]")).to_have_value("2500.00")
    page.fill("#id_reference", "SWIFT-BOC-7781")
    shot(page, "money-14-payment-form")
    page.get_by_role("link", name="取消").click()
    page.wait_for_url("**/finance/payments/")

    # One page in English: the receivable after the receipt -------------------------------------------
    page.goto(f"{base}/finance/receivables/{receivable.pk}/")
    page.click("[data-testid=switch-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(sidebar).to_contain_text("Receivables")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥4,000.00")
    shot(page, "money-15-receivable-detail-en")
    page.click("[data-testid=switch-zh]")
    expect(sidebar).to_contain_text("应收款")
    log_out(page)

    # The salesperson: their customer's receivable and the customer; not another salesperson's ---------
    log_in(page, base, "rep_a1")
    nav("应收款")
    page.wait_for_url("**/finance/receivables/")
    rows = page.locator("[data-testid=obligation-row]")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text(CUSTOMER)
    expect(rows.nth(0).locator("[data-testid=obligation-outstanding]")).to_have_text("¥4,000.00")
    expect(page.locator("[data-testid=obligation-list]")).not_to_contain_text(OTHER_CUSTOMER)
    expect(page.locator("[data-testid=settlement-create]")).to_have_count(0)  # no 收款 for sales
    shot(page, "money-16-rep-receivable-list")

    nav("客户")
    page.wait_for_url("**/crm/customers/")
    customers = page.locator("[data-testid=customer-list]")
    expect(customers).to_contain_text(CUSTOMER)
    expect(customers).not_to_contain_text(OTHER_CUSTOMER)
    shot(page, "money-17-customer-list")
    page.locator("[data-testid=customer-link]").filter(has_text=CUSTOMER).click()
    page.wait_for_url(f"**/crm/customers/{customer.pk}/")
    expect(page.locator("[data-testid=customer-owner]")).to_contain_text("张伟")
    shot(page, "money-18-customer-detail")
    page.click("[data-testid=customer-edit]")
    page.wait_for_url(f"**/crm/customers/{customer.pk}/edit/")
    expect(page.locator("[data-testid=customer-form] input[name=name]")).to_have_value(CUSTOMER)
    shot(page, "money-19-customer-form")

    response = page.goto(f"{base}/finance/receivables/{theirs.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(OTHER_CUSTOMER)
    shot(page, "money-20-rep-other-receivable-404")

    # Nothing but the one receipt moved money.
    assert Receivable.objects.get(pk=theirs.pk).allocated == 0
    assert [i.allocated for i in Installment.objects.filter(obligation=receivable).order_by("sequence")] == [
        D("4000.00"),
        D("2000.00"),
    ]
