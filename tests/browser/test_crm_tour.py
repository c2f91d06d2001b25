"""A customer's book in the browser, across four people (issue 5's acceptance test): a salesperson
creates a customer with two contacts, logs a visit, quotes at the customer's price level and attaches
a file; a colleague cannot find the customer except through the duplicate message; the manager sees
it; the first salesperson leaves, the manager hands the book over and the administrator records the
离职; the new owner sees everything, the visit still under the first salesperson's name. Only the
set-up (people, a product with a price level) goes through services; every step is a page.
Screenshots go to test-output/browser/crm-*.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maoyi.catalog.services import create_price_level, create_product
from maoyi.crm.models import Activity, Contact, Customer, Handover, Quote
from maoyi.org.models import EmployeeStatus
from tests.browser.test_platform_tour import log_in, log_out
from tests.conftest import build_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "杭州仁和医院有限公司"
PHONE = "0571-88886666"
TAX_ID = "91330100MA2H3XYZ1K"
PRODUCT = "医用检查手套"
LEVEL = "VIP 客户价"
# The server checks the first bytes: this is what a PDF starts with.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
FILE_NAME = "资质证明.pdf"


def test_a_customer_book_is_built_kept_private_seen_by_the_manager_and_handed_over(
    live_server, browser_page, shot, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    company = build_company()
    vip = create_price_level(actor=company.admin, code="vip", name=LEVEL)
    create_product(
        actor=company.admin,
        code="ST-001",
        name=PRODUCT,
        unit="盒",
        specification="M 号 100 只",
        sale_price=D("12.50"),
        min_sale_price=D("10.00"),
        prices={vip: D("10.80")},
    )
    next_visit = timezone.localdate() + dt.timedelta(days=7)
    base = live_server.url
    page = browser_page
    sidebar = page.locator("[data-testid=sidebar]")
    messages = page.locator("[data-testid=messages]")
    tabs = page.locator(".card-header-tabs")

    def nav(label: str) -> None:
        sidebar.get_by_role("link", name=label, exact=True).click()

    def tab(label: str) -> None:
        tabs.get_by_role("link", name=label).click()
        page.wait_for_load_state()

    # 1. rep_a1 (张伟): 客户 → 新建客户, contacts, a visit, a quote, a file --------------------------
    log_in(page, base, "rep_a1")
    nav("客户")
    page.wait_for_url("**/crm/customers/")
    expect(page.locator("[data-testid=empty]")).to_contain_text("还没有客户")
    page.click("[data-testid=customer-create]")
    page.wait_for_url("**/crm/customers/new/")
    page.fill("#id_name", CUSTOMER)
    page.fill("#id_phone", PHONE)
    page.fill("#id_tax_id", TAX_ID)
    page.select_option("#id_kind", label="终端客户")
    page.select_option("#id_level", label="重点客户")
    page.select_option("#id_price_level", label=LEVEL)
    expect(page.locator("#id_owner option:checked")).to_contain_text("张伟")
    page.click("[data-testid=customer-check]")
    expect(page.locator("[data-testid=check-result]")).to_contain_text("没有发现重复客户")
    shot(page, "crm-01-customer-form")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url("**/crm/customers/*/")
    customer = Customer.objects.get()
    expect(messages).to_contain_text(f"已创建客户“{CUSTOMER}”。")
    expect(page.locator("main, .page-body").first).to_contain_text(TAX_ID)
    shot(page, "crm-02-customer-detail")

    tab("联系人")
    expect(page.locator("[data-testid=customer-contacts] [data-testid=empty]")).to_be_visible()
    for name, title, mobile, primary in (
        ("王建国", "设备科主任", "13905710001", True),
        ("刘芳", "采购专员", "13905710002", False),
    ):
        page.click("[data-testid=contact-add]")
        form = page.locator("[data-testid=contact-add-form]")
        expect(form).to_be_visible()
        form.locator("#id_contact_name").fill(name)
        form.locator("#id_contact_title").fill(title)
        form.locator("#id_contact_mobile").fill(mobile)
        if primary:
            form.locator("#id_contact_is_primary").check()
            shot(page, "crm-03-contact-form")
        form.get_by_role("button", name="保存").click()
        page.wait_for_url("**?tab=contacts")
        expect(messages).to_contain_text(f"已添加联系人“{name}”。")
    contacts = page.locator("[data-testid=contact-row]")
    expect(contacts).to_have_count(2)
    expect(contacts.filter(has_text="王建国").locator("[data-testid=contact-primary]")).to_be_visible()
    shot(page, "crm-04-contacts")

    tab("跟进记录")
    page.click("[data-testid=activity-add]")
    form = page.locator("[data-testid=activity-add-form]")
    form.locator("#id_activity_kind").select_option(label="拜访")
    form.locator("#id_activity_contact").select_option(label="王建国（设备科主任）")
    form.locator("#id_activity_next_follow_up").fill(next_visit.isoformat())
    form.locator("#id_activity_summary").fill("拜访设备科，介绍检查手套，对方要求提供报价和资质。")
    shot(page, "crm-05-activity-form")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url("**?tab=activities")
    expect(messages).to_contain_text(f"已记录对“{CUSTOMER}”的跟进。")
    visit = page.locator("[data-testid=activity-item]")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text("拜访")
    expect(visit).to_contain_text("张伟 · 联系人：王建国")
    expect(visit.locator("[data-testid=activity-next]")).to_contain_text(next_visit.isoformat())
    shot(page, "crm-06-activities")

    tab("报价")
    page.click("[data-testid=customer-quote-create]")
    page.wait_for_url("**/crm/customer-quotes/new/?customer=*")
    expect(page.locator("#id_customer option:checked")).to_have_text(CUSTOMER)
    row = page.locator("[data-testid=grid-row]").nth(0)
    row.locator("select[name=lines-0-product]").select_option(label=f"ST-001 {PRODUCT} M 号 100 只")
    row.locator("input[name=lines-0-quantity]").fill("100")
    # The price stays blank: the grid proposes the customer's price-level price.
    expect(row).to_contain_text("按价格等级 10.8")
    expect(row.locator("td").nth(4)).to_have_text("1,080.00")
    shot(page, "crm-07-quote-form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/crm/customer-quotes/*/")
    quote = Quote.objects.get()
    expect(messages).to_contain_text(f"已保存报价单 {quote.number}。")
    expect(page.locator("[data-testid=quote-line]")).to_have_count(1)
    expect(page.locator("[data-testid=quote-line]")).to_contain_text("10.8")
    expect(page.locator("[data-testid=quote-total]")).to_contain_text("1,080.00")
    shot(page, "crm-08-quote-detail")
    with page.expect_popup() as popup_info:
        page.click("[data-testid=quote-print]")
    sheet = popup_info.value
    sheet.wait_for_load_state()
    expect(sheet.locator("[data-testid=print-customer]")).to_have_text(CUSTOMER)
    expect(sheet.locator("[data-testid=print-total]")).to_contain_text("1,080.00")
    expect(sheet.locator("[data-testid=print-total-words]")).to_contain_text("壹仟零捌拾元整")
    shot(sheet, "crm-09-quote-print")
    sheet.close()

    page.goto(f"{base}/crm/customers/{customer.pk}/")
    tab("附件")
    page.set_input_files(
        "[data-testid=attachment-file]",
        files=[{"name": FILE_NAME, "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="上传附件").click()
    page.wait_for_url("**?tab=attachments")
    expect(messages).to_contain_text(f"已上传附件 {FILE_NAME}。")
    expect(page.locator("[data-testid=attachments]")).to_contain_text(FILE_NAME)
    expect(tabs.get_by_role("link", name="附件")).to_contain_text("1")
    shot(page, "crm-10-attachment")
    log_out(page)

    # 2. rep_a2 (陈静): the customer is not in her list; the duplicate check names its owner only ----
    log_in(page, base, "rep_a2")
    nav("客户")
    page.wait_for_url("**/crm/customers/")
    page.fill("input[name=q]", "仁和医院")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/crm/customers/?q=*")
    expect(page.locator("[data-testid=customer-link]")).to_have_count(0)
    expect(page.locator("[data-testid=empty]")).to_contain_text("没有符合条件的客户")
    shot(page, "crm-11-colleague-search-empty")
    page.goto(f"{base}/crm/customers/{customer.pk}/")
    expect(page.locator("body")).not_to_contain_text(TAX_ID)  # 404: out of her scope
    page.goto(f"{base}/crm/customers/")
    page.click("[data-testid=customer-create]")
    page.fill("#id_name", "杭州仁和医院")  # without 有限公司: still the same customer
    page.click("[data-testid=customer-check]")
    result = page.locator("[data-testid=check-result]")
    expect(result).to_contain_text("客户已存在（负责人：张伟），请联系负责人或主管。")
    shot(page, "crm-12-colleague-duplicate-check")
    page.select_option("#id_kind", label="终端客户")
    page.get_by_role("button", name="保存", exact=True).click()
    form_text = page.locator("[data-testid=customer-form]")
    expect(form_text).to_contain_text("客户已存在（负责人：张伟），请联系负责人或主管。")
    for secret in (PHONE, TAX_ID, "王建国", quote.number):
        expect(page.locator("main, .page-body").first).not_to_contain_text(secret)
    shot(page, "crm-13-colleague-duplicate-refused")
    assert Customer.objects.count() == 1
    log_out(page)

    # 3. mgr_a (李经理) sees the customer, its contacts, the visit and the quote ---------------------
    log_in(page, base, "mgr_a")
    nav("客户")
    page.wait_for_url("**/crm/customers/")
    listed = page.locator("[data-testid=customer-list] tbody tr").filter(has_text=CUSTOMER)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("张伟")
    shot(page, "crm-14-manager-list")
    listed.locator("[data-testid=customer-link]").click()
    page.wait_for_url(f"**/crm/customers/{customer.pk}/")
    tab("联系人")
    expect(page.locator("[data-testid=contact-row]")).to_have_count(2)
    tab("跟进记录")
    expect(page.locator("[data-testid=activity-item]")).to_contain_text("拜访设备科")
    tab("报价")
    expect(page.locator("[data-testid=quote-link]")).to_have_text(quote.number)
    shot(page, "crm-15-manager-quotes-tab")
    # The manager reaches 张伟 under 组织架构 → 员工, but 离职 is an administrator's button.
    nav("员工")
    page.wait_for_url("**/employees/**")
    page.locator("[data-testid=employee-link]").filter(has_text="张伟").click()
    page.wait_for_url(f"**/employees/{company.rep_a1.pk}/")
    expect(page.locator("[data-testid=employee-leave]")).to_have_count(0)
    shot(page, "crm-16-manager-employee-page")
    log_out(page)

    # 4. admin: 张伟 → 办理离职 says what he still owns and links to the handover ---------------------
    log_in(page, base, "admin")
    nav("员工")
    page.locator("[data-testid=employee-link]").filter(has_text="张伟").click()
    page.wait_for_url(f"**/employees/{company.rep_a1.pk}/")
    page.click("[data-testid=employee-leave]")
    page.wait_for_url(f"**/employees/{company.rep_a1.pk}/leave/")
    expect(page.locator("[data-testid=leave-still-owns]")).to_contain_text("张伟 还负责：")
    expect(page.locator("[data-testid=leave-still-owns]")).to_contain_text("请先办理交接，再办理离职。")
    expect(page.locator("[data-testid=leave-submit]")).to_have_count(0)
    shot(page, "crm-17-leave-still-owns")
    page.click("[data-testid=leave-handover]")
    page.wait_for_url(f"**/crm/handovers/new/?employee={company.rep_a1.pk}")
    expect(page.locator("[data-testid=handover-summary]")).to_contain_text("张伟 负责客户 1 个")
    shot(page, "crm-18-admin-handover-preview")
    log_out(page)

    # The manager hands the book over: 组织架构 → 交接记录 → 办理交接 → 张伟 → preview → 陈静 ----------
    log_in(page, base, "mgr_a")
    nav("交接记录")
    page.wait_for_url("**/crm/handovers/")
    page.click("[data-testid=handover-create]")
    page.select_option("#handover-employee", label="张伟（终端客户部）")
    page.click("[data-testid=handover-next]")
    page.wait_for_url(f"**/crm/handovers/new/?employee={company.rep_a1.pk}")
    summary = page.locator("[data-testid=handover-summary]")
    expect(summary).to_contain_text("张伟 负责客户 1 个、合同 0 份、未结清应收款 0 笔、待跟进 1 条。")
    book = page.locator("[data-testid=handover-customer]")
    expect(book).to_have_count(1)
    expect(book).to_contain_text(CUSTOMER)
    expect(book).to_contain_text(f"报价单：{quote.number}")
    expect(book).to_contain_text(f"待跟进：{next_visit.isoformat()}")
    page.select_option("#id_to", label="陈静（终端客户部）")
    page.fill("#id_reason", "张伟离职，客户交给陈静")
    shot(page, "crm-19-handover-form")
    page.click("[data-testid=handover-submit]")
    page.wait_for_url("**/crm/handovers/*/")
    handover = Handover.objects.get()
    expect(messages).to_contain_text(f"已完成张伟的交接，交接单号 {handover.number}。")
    moved = page.locator("[data-testid=handover-group-customer] [data-testid=handover-line]")
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text(CUSTOMER)
    expect(moved).to_contain_text("陈静")
    quoted = page.locator("[data-testid=handover-group-quote] [data-testid=handover-line]")
    expect(quoted).to_contain_text(quote.number)
    expect(quoted).to_contain_text("陈静")
    shot(page, "crm-20-handover-detail")
    log_out(page)

    # The administrator records the 离职 now that nothing is left -----------------------------------
    log_in(page, base, "admin")
    page.goto(f"{base}/org/employees/{company.rep_a1.pk}/leave/")
    expect(page.locator("[data-testid=leave-still-owns]")).to_have_count(0)
    page.select_option("#id_handover_to", label="陈静（终端客户部）")
    page.check("#id_confirm")
    shot(page, "crm-21-leave-form")
    page.click("[data-testid=leave-submit]")
    page.wait_for_url(f"**/employees/{company.rep_a1.pk}/")
    expect(messages).to_contain_text("张伟 已办理离职，交接人：陈静。")
    expect(page.locator("[data-testid=employee-status]")).to_have_text("离职")
    shot(page, "crm-22-employee-left")
    log_out(page)

    # 5. rep_a2 (陈静), the new owner, sees everything ---------------------------------------------
    log_in(page, base, "rep_a2")
    nav("客户")
    page.wait_for_url("**/crm/customers/")
    mine = page.locator("[data-testid=customer-list] tbody tr").filter(has_text=CUSTOMER)
    expect(mine).to_contain_text("陈静")
    mine.locator("[data-testid=customer-link]").click()
    page.wait_for_url(f"**/crm/customers/{customer.pk}/")
    expect(page.locator("[data-testid=customer-edit]")).to_be_visible()
    shot(page, "crm-23-new-owner-customer")
    tab("联系人")
    expect(page.locator("[data-testid=contact-name]")).to_have_text(["王建国", "刘芳"])
    tab("跟进记录")
    visit = page.locator("[data-testid=activity-item]")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text("张伟 · 联系人：王建国")  # still under the one who visited
    shot(page, "crm-24-new-owner-activities")
    tab("报价")
    page.locator("[data-testid=quote-link]").filter(has_text=quote.number).click()
    page.wait_for_url(f"**/crm/customer-quotes/{quote.pk}/")
    expect(page.locator("[data-testid=quote-total]")).to_contain_text("1,080.00")
    expect(page.locator("[data-testid=quote-edit]")).to_be_visible()
    shot(page, "crm-25-new-owner-quote")
    page.goto(f"{base}/crm/customers/{customer.pk}/?tab=attachments")
    download_link = page.locator("[data-testid=attachments]").get_by_role("link", name=FILE_NAME)
    expect(download_link).to_be_visible()
    with page.expect_download() as download_info:
        download_link.click()
    assert download_info.value.suggested_filename == FILE_NAME
    shot(page, "crm-26-new-owner-attachment")
    log_out(page)

    # And in the database, the same.
    customer.refresh_from_db()
    assert customer.owner_id == company.rep_a2.pk
    assert Contact.objects.filter(customer=customer).count() == 2
    assert Activity.objects.get(customer=customer).employee_id == company.rep_a1.pk
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.LEFT
