"""Campaigns, expenses, the pool import and the idle customers in the browser, as the people who use
them: the team manager creates a campaign with two partner customers and a budget; a salesperson
applies for two expenses (one charged to the campaign with a receipt photo, one to a customer) and
submits them; the manager approves one and rejects the other with a reason in 待我审批; the
salesperson reads the reason; finance pays the approved one from its 待支付 list, which settles the
payable to the employee; the campaign shows its cost and the expense list's 按…汇总 the totals
worked out by hand. The manager downloads the pool import template, is shown every problem of a
file with a bad row (and no 导入 button), imports a clean file into the pool; and reads 未跟进客户
with another day filter. Every page is read once in English too, looking for Chinese left in its
headings, buttons and labels. Only the set-up (people, customers, a colleague's expense, follow-ups)
goes through services; every step is a page. Screenshots go to test-output/browser/expense-*.png,
pool-import-*.png and idle-*.png."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maoyi.core.documents import Status
from maoyi.crm.models import Campaign, Customer, Expense
from maoyi.crm.services import expenses as expense_services
from maoyi.crm.services.activities import log_activity
from maoyi.finance.models import Obligation, Settlement
from tests.browser.conftest import OUTPUT
from tests.browser.test_platform_tour import log_in, log_out
from tests.conftest import build_company
from tests.crm.builders import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAMPAIGN = "2026 华东渠道春季推介会"
HOSPITAL = "北京协和医院"
AGENT = "杭州康达医疗器械有限公司"
OTHER_TEAMS = "广州南方医疗贸易有限公司"  # team B's: never offered to team A's manager
COLLEAGUE_SPEND = "推介会场地往返打车"
MEETING_SPEND = "推介会会场租金及茶歇"
DINNER_SPEND = "宴请协和医院设备科主任"
REJECTION = "发票抬头不是公司全称，请重新开票后再提交。"
RECEIPT = "会场租金发票.png"
# The fixture's people and departments: data, Chinese whatever the language.
PEOPLE = ["张伟", "陈静", "李经理", "徐婷", "钱丽", "林雪", "马丽", "王经理", "管理员"]
PEOPLE += ["终端客户部", "渠道部", "业务部", "财务部", "采购部", "测试公司", "中文"]
CJK = re.compile(r"[\u3400-\u9fff]")
# Chinese punctuation in an English sentence (、，。：（）): a list or a message put together in Chinese.
CJK_PUNCTUATION = re.compile(r"[\u3001\u3002\uff0c\uff1a\uff08\uff09\uff1b]")

# The page chrome read for Chinese left in English: headings, breadcrumbs, buttons, tabs, column
# headers, labels, hints, badges, alerts, empty states and the options of the filters.
CHROME = ", ".join(
    (
        ".page-header h2",
        ".page-header .breadcrumb",
        ".page-header .btn",
        ".page-body .btn",
        ".page-body th",
        ".page-body label",
        ".page-body .form-label",
        ".page-body .form-hint",
        ".page-body .card-title",
        ".page-body .nav-link",
        ".page-body .datagrid-title",
        ".page-body dt",
        ".page-body .badge",
        ".page-body .alert",
        ".page-body [data-testid=empty]",
        ".page-body select option",
        ".page-body .small",
    )
)
READ_CHROME = """(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.tagName !== 'OPTION' && el.getClientRects().length === 0) continue;
    const text = (el.tagName === 'OPTION' ? el.textContent : el.innerText || '').trim();
    if (text) out.push(text);
  }
  const labelled = '.page-body [placeholder], .page-body [aria-label], .page-body [title]';
  for (const el of document.querySelectorAll(labelled)) {
    for (const attr of ['placeholder', 'aria-label', 'title']) {
      const value = (el.getAttribute(attr) || '').trim();
      if (value) out.push(`${attr}=${value}`);
    }
  }
  return out;
}"""
OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [];
  for (const el of document.querySelectorAll('.table-responsive')) {
    if (el.getClientRects().length && el.scrollWidth > el.clientWidth + 1) {
      const head = el.querySelector('thead');
      const columns = (head ? head.innerText : '').replace(/\\s+/g, ' ').trim();
      wide.push(`${el.scrollWidth}>${el.clientWidth}: ${columns}`);
    }
  }
  return {page: doc.scrollWidth > doc.clientWidth + 1, width: doc.scrollWidth, tables: wide};
}"""


def png(width: int = 24, height: int = 16) -> bytes:
    """A small real PNG (a grey rectangle): the server checks the first bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xc8\xc8\xc8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Watch:
    """What the tour noticed along the way that is not a step failing: Chinese left on English pages
    and tables wider than their card. Written to test-output/browser/<name>-findings.txt."""

    def __init__(self, name: str, data: list[str]) -> None:
        self.name = name
        self.data = sorted(data, key=len, reverse=True)  # names, descriptions: Chinese by nature
        self.untranslated: list[str] = []
        self.layout: list[str] = []
        self.punctuation: list[str] = []
        self.wrong: list[str] = []  # a label that reads differently from the same thing elsewhere
        self.read: list[str] = []  # every English text read, for a person to look over

    def english(self, page, label: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "en")
        found: list[str] = []
        texts = page.evaluate(READ_CHROME, CHROME)
        self.read += [f"== {label}", *dict.fromkeys(texts)]
        for text in texts:
            stripped = text
            for value in self.data:
                stripped = stripped.replace(value, "")
            if CJK.search(stripped) and text not in found:
                found.append(text)
            elif CJK_PUNCTUATION.search(stripped) and f"{label}: {text!r}" not in self.punctuation:
                self.punctuation.append(f"{label}: {text!r}")
        self.untranslated += [f"{label}: {t!r}" for t in found]

    def layout_of(self, page, label: str) -> None:
        seen = page.evaluate(OVERFLOW)
        if seen["page"]:
            self.layout.append(f"{label}: the page is {seen['width']}px wide, wider than the window")
        self.layout += [f"{label}: table scrolls sideways ({t})" for t in seen["tables"]]

    def reads(self, locator, expected: str, label: str) -> None:
        """A label checked without stopping the tour: a difference is reported at the end."""
        try:
            expect(locator).to_have_text(expected, timeout=2_000)
        except AssertionError:
            self.wrong.append(f"{label}: reads {locator.inner_text().strip()!r}, expected {expected!r}")

    @property
    def failures(self) -> list[str]:
        return self.untranslated + self.wrong

    def write(self) -> str:
        lines = ["Wrong labels:", *self.wrong, "", "Untranslated on English pages:", *self.untranslated]
        lines += ["", "Chinese punctuation on English pages:", *self.punctuation, "", "Layout:", *self.layout]
        text = "\n".join(lines) + "\n"
        (OUTPUT / f"{self.name}-findings.txt").write_text(text, encoding="utf-8")
        (OUTPUT / f"{self.name}-english.txt").write_text("\n".join(self.read) + "\n", encoding="utf-8")
        return text


def nav_to(page, label: str) -> None:
    page.locator("[data-testid=sidebar]").get_by_role("link", name=label, exact=True).click()


def tab_to(page, label: str) -> None:
    page.locator(".card-header-tabs").get_by_role("link", name=label).click()
    page.wait_for_load_state()


# 1–2, 5: 市场活动 and 费用 -------------------------------------------------------------------------------


def test_a_campaign_its_expenses_their_approval_and_payment_in_the_browser(
    live_server, browser_page, shot, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    company = build_company()
    make_customer(company.rep_a1, HOSPITAL)
    make_customer(company.rep_a2, AGENT, kind="distributor")
    make_customer(company.rep_b1, OTHER_TEAMS, kind="distributor")
    today = timezone.localdate()
    base = live_server.url
    page = browser_page
    messages = page.locator("[data-testid=messages]")
    watch = Watch(
        "expense",
        [
            CAMPAIGN,
            HOSPITAL,
            AGENT,
            COLLEAGUE_SPEND,
            MEETING_SPEND,
            DINNER_SPEND,
            REJECTION,
            RECEIPT,
            *PEOPLE,
        ],
    )

    # 1. mgr_a (李经理): 市场活动 → 新建市场活动, two partners, a budget ------------------------------------
    log_in(page, base, "mgr_a")
    nav_to(page, "市场活动")
    page.wait_for_url("**/crm/campaigns/")
    expect(page.locator("[data-testid=empty]")).to_contain_text("还没有市场活动。")
    shot(page, "expense-01-campaign-list-empty")
    page.click("[data-testid=campaign-create]")
    page.wait_for_url("**/crm/campaigns/new/")
    page.fill("#id_name", CAMPAIGN)
    page.select_option("#id_kind", label="渠道促销")
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_end_date", (today + dt.timedelta(days=2)).isoformat())
    page.fill("#id_budget", "20000")
    expect(page.locator("#id_owner option:checked")).to_contain_text("李经理")
    options = page.locator("[data-testid=partner-option]")
    expect(options.filter(has_text=HOSPITAL)).to_have_count(1)
    expect(options.filter(has_text=AGENT)).to_have_count(1)
    expect(options.filter(has_text=OTHER_TEAMS)).to_have_count(0)  # team B's customer: not his
    page.fill("[data-testid=partner-search]", "协和")
    expect(options.filter(has_text=AGENT)).to_be_hidden()
    options.filter(has_text=HOSPITAL).locator("input").check()
    page.fill("[data-testid=partner-search]", "")
    options.filter(has_text=AGENT).locator("input").check()
    page.fill("#id_description", "邀请华东区经销商和重点医院参加新品推介，含会场、茶歇和礼品。")
    shot(page, "expense-02-campaign-form")
    watch.layout_of(page, "campaign form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/crm/campaigns/*/")
    campaign = Campaign.objects.get()
    expect(messages).to_contain_text(f"已保存市场活动 {campaign.code}。")
    expect(page.locator(".page-title")).to_contain_text(CAMPAIGN)
    expect(page.locator("[data-testid=figure-budget]")).to_have_text("¥20,000.00")
    expect(page.locator("[data-testid=figure-approved]")).to_have_text("¥0.00")
    expect(page.locator("[data-testid=figure-remaining]")).to_have_text("¥20,000.00")
    partners = page.locator("[data-testid=campaign-partner]")
    expect(partners).to_have_count(2)
    expect(page.locator("[data-testid=campaign-partners]")).to_contain_text(HOSPITAL)
    expect(page.locator("[data-testid=campaign-partners]")).to_contain_text(AGENT)
    shot(page, "expense-03-campaign-detail")
    watch.layout_of(page, "campaign detail")
    tab_to(page, "费用")
    expect(page.locator("[data-testid=campaign-expenses] [data-testid=empty]")).to_be_visible()
    nav_to(page, "市场活动")
    row = page.locator("[data-testid=campaign-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(CAMPAIGN)
    expect(row).to_contain_text("¥20,000.00")
    shot(page, "expense-04-campaign-list")
    watch.layout_of(page, "campaign list")
    log_out(page)

    # A colleague's expense on the same campaign, submitted and left waiting (set-up) ------------------
    colleague = expense_services.create_expense(
        actor=company.rep_a2,
        category="transport",
        amount=D("150.00"),
        incurred_on=today,
        description=COLLEAGUE_SPEND,
        customer=None,
        campaign=campaign,
    )
    expense_services.submit_expense(colleague, actor=company.rep_a2)

    # 2. rep_a1 (张伟): two expenses, a receipt photo, submitted ----------------------------------------
    log_in(page, base, "rep_a1")
    nav_to(page, "费用报销")
    page.wait_for_url("**/crm/expenses/")
    expect(page.locator("[data-testid=empty]")).to_contain_text("还没有费用申请。")
    expect(page.locator("[data-testid=expense-to-pay]")).to_have_count(0)
    shot(page, "expense-05-rep-list-empty")
    page.click("[data-testid=expense-create]")
    page.wait_for_url("**/crm/expenses/new/")
    page.select_option("#id_category", label="会议费")
    page.fill("#id_amount", "3,200.00")
    expect(page.locator("#id_incurred_on")).to_have_value(today.isoformat())
    page.fill("#id_description", MEETING_SPEND)
    page.select_option("#id_campaign", label=f"{campaign.code} {CAMPAIGN}")
    customers = page.locator("#id_customer option")
    expect(customers.filter(has_text=HOSPITAL)).to_have_count(1)
    expect(customers.filter(has_text=AGENT)).to_have_count(0)  # 陈静's customer
    shot(page, "expense-06-expense-form")
    watch.layout_of(page, "expense form")
    page.click("[data-testid=save]")
    page.wait_for_url("**/crm/expenses/*/")
    meeting = Expense.objects.get(description=MEETING_SPEND)
    expect(messages).to_contain_text(f"已保存费用 {meeting.number}。")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=expense-amount]")).to_have_text("¥3,200.00")
    expect(page.locator("[data-testid=document-header]")).to_contain_text(f"{campaign.code} {CAMPAIGN}")

    # 5. the receipt photo on the expense's 附件 tab
    tab_to(page, "附件")
    page.set_input_files(
        "[data-testid=attachment-file]", files=[{"name": RECEIPT, "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_role("button", name="上传附件").click()
    page.wait_for_url("**?tab=attachments")
    expect(messages).to_contain_text(f"已上传附件 {RECEIPT}。")
    expect(page.locator("[data-testid=attachments]")).to_contain_text(RECEIPT)
    expect(page.locator(".card-header-tabs").get_by_role("link", name="附件")).to_contain_text("1")
    shot(page, "expense-07-expense-receipt")
    watch.layout_of(page, "expense detail, attachments")
    page.click("[data-testid=document-submit]")
    page.wait_for_url(f"**/crm/expenses/{meeting.pk}/")
    expect(messages).to_contain_text(f"已提交 {meeting.number}，等待审核。")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("待审核")
    expect(page.locator("[data-testid=document-edit]")).to_have_count(0)
    expect(page.locator("[data-testid=document-withdraw]")).to_be_visible()
    shot(page, "expense-08-expense-submitted")

    nav_to(page, "费用报销")
    page.click("[data-testid=expense-create]")
    page.select_option("#id_category", label="业务招待费")
    page.fill("#id_amount", "580")
    page.fill("#id_incurred_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_description", DINNER_SPEND)
    page.select_option("#id_customer", label=HOSPITAL)
    page.click("[data-testid=save]")
    page.wait_for_url("**/crm/expenses/*/")
    dinner = Expense.objects.get(description=DINNER_SPEND)
    page.click("[data-testid=document-submit]")
    expect(messages).to_contain_text(f"已提交 {dinner.number}，等待审核。")
    nav_to(page, "费用报销")
    rows = page.locator("[data-testid=expense-row]")
    expect(rows).to_have_count(2)  # his own two, not 陈静's
    expect(page.locator("[data-testid=total-applied]")).to_have_text("¥3,780.00")
    shot(page, "expense-09-rep-list-submitted")
    watch.layout_of(page, "expense list (salesperson)")
    log_out(page)

    # 2. mgr_a approves the campaign's expense and rejects the dinner with a reason -------------------
    log_in(page, base, "mgr_a")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("3")
    page.click("text=待我审批 >> nth=0")
    page.wait_for_url("**/approvals/")
    inbox = page.locator("[data-testid=approval-inbox]")
    for number in (meeting.number, dinner.number, colleague.number):
        expect(inbox).to_contain_text(number)
    shot(page, "expense-10-manager-inbox")
    page.locator("[data-testid=approval-link]").filter(has_text=meeting.number).click()
    page.wait_for_url("**/approvals/*/")
    expect(page.locator("[data-testid=approval-status]")).to_contain_text("待审批")
    expect(page.locator("main, .page-body").first).to_contain_text("¥3,200.00")
    page.fill("#id_comment", "同意，按预算执行")
    shot(page, "expense-11-manager-approval")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    expect(messages).to_contain_text(f"已审核通过 {meeting.number}。")

    page.locator("[data-testid=approval-link]").filter(has_text=dinner.number).click()
    page.wait_for_url("**/approvals/*/")
    page.click("[data-testid=open-document]")
    page.wait_for_url(f"**/crm/expenses/{dinner.pk}/")
    expect(page.locator("[data-testid=expense-description]")).to_have_text(DINNER_SPEND)
    page.go_back()
    page.wait_for_url("**/approvals/*/")
    page.fill("#id_reason", REJECTION)
    page.click("[data-testid=reject]")
    page.wait_for_url("**/approvals/")
    expect(messages).to_contain_text(f"已驳回 {dinner.number}。")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("1")  # 陈静's waits
    shot(page, "expense-12-manager-inbox-after")
    log_out(page)

    # The salesperson reads 已驳回 and why --------------------------------------------------------------
    log_in(page, base, "rep_a1")
    nav_to(page, "费用报销")
    rejected = page.locator("[data-testid=expense-row]").filter(has_text=dinner.number)
    expect(rejected.locator("[data-testid=expense-status]")).to_have_text("已驳回")
    approved_row = page.locator("[data-testid=expense-row]").filter(has_text=meeting.number)
    expect(approved_row.locator("[data-testid=expense-status]")).to_have_text("已审核")
    rejected.locator("[data-testid=expense-link]").click()
    page.wait_for_url(f"**/crm/expenses/{dinner.pk}/")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("已驳回")
    expect(page.locator("[data-testid=approval-steps]")).to_contain_text(REJECTION)
    expect(page.locator("[data-testid=approval-steps]")).to_contain_text("李经理")
    expect(page.locator("[data-testid=document-edit]")).to_be_visible()  # to correct and resubmit
    shot(page, "expense-13-rep-rejected")
    watch.layout_of(page, "expense detail, rejected")
    # The customer's own 市场活动 and 费用 tabs
    page.locator("[data-testid=document-header]").get_by_role("link", name=HOSPITAL).click()
    page.wait_for_url("**/crm/customers/*/")
    tab_to(page, "市场活动")
    expect(page.locator("[data-testid=customer-campaign]")).to_have_count(1)
    expect(page.locator("[data-testid=customer-campaign]")).to_contain_text(CAMPAIGN)
    shot(page, "expense-13a-customer-campaigns-tab")
    tab_to(page, "费用")
    spent = page.locator("[data-testid=customer-expenses] tbody tr")
    expect(spent).to_have_count(1)
    expect(spent).to_contain_text(dinner.number)
    expect(spent.locator("[data-testid=expense-status]")).to_have_text("已驳回")
    expect(page.locator("[data-testid=customer-expense-create]")).to_be_visible()
    shot(page, "expense-13b-customer-expenses-tab")
    watch.layout_of(page, "customer, expenses tab")
    log_out(page)

    # Finance (徐婷): 费用 → 待支付 → 支付 ------------------------------------------------------------------
    log_in(page, base, "fin")
    nav_to(page, "费用报销")
    page.wait_for_url("**/crm/expenses/")
    page.click("[data-testid=expense-to-pay]")
    page.wait_for_url("**/crm/expenses/?status=to_pay")
    to_pay = page.locator("[data-testid=expense-row]")
    expect(to_pay).to_have_count(1)
    expect(to_pay).to_contain_text(meeting.number)
    expect(to_pay).to_contain_text("张伟")
    expect(page.locator("[data-testid=total-approved]")).to_have_text("¥3,200.00")
    shot(page, "expense-14-finance-to-pay")
    watch.layout_of(page, "expense list, to pay")
    to_pay.locator("[data-testid=expense-link]").click()
    page.wait_for_url(f"**/crm/expenses/{meeting.pk}/")
    payable = Obligation.objects.get(source_type=Expense.DOCUMENT_TYPE, source_id=meeting.pk)
    expect(page.locator("[data-testid=expense-payable]")).to_contain_text(payable.number)
    expect(page.locator("[data-testid=expense-payable]")).to_contain_text("未结清")
    # Finance looks at the receipt photo before paying.
    tab_to(page, "附件")
    receipt_link = page.locator("[data-testid=attachments]").get_by_role("link", name=RECEIPT)
    with page.expect_download() as download_info:
        receipt_link.click()
    assert download_info.value.suggested_filename == RECEIPT
    assert download_info.value.path().read_bytes() == png()
    page.click("[data-testid=expense-pay]")
    pay_form = page.locator("[data-testid=pay-form]")
    expect(pay_form).to_be_visible()
    expect(pay_form).to_contain_text("向 张伟 支付 ¥3,200.00")
    expect(page.locator("#id_paid_on")).to_have_value(today.isoformat())
    page.select_option("#id_method", label="银行转账")
    page.fill("#id_reference", "ICBC-EXP-0042")
    shot(page, "expense-15-finance-pay-form")
    watch.layout_of(page, "expense detail, pay form")
    page.click("[data-testid=pay-confirm]")
    page.wait_for_url(f"**/crm/expenses/{meeting.pk}/")
    expect(messages).to_contain_text(f"已支付 {meeting.number}。")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("已支付")
    payment = Settlement.objects.get()
    expect(page.locator("[data-testid=expense-payment]")).to_contain_text(payment.number)
    expect(page.locator("[data-testid=expense-payment]")).to_contain_text("银行转账 · ICBC-EXP-0042")
    expect(page.locator("[data-testid=expense-payable]")).to_contain_text("已结清")
    expect(page.locator("[data-testid=expense-pay]")).to_have_count(0)
    shot(page, "expense-16-finance-paid")
    page.locator("[data-testid=expense-payable]").get_by_role("link", name=payable.number).click()
    page.wait_for_url(f"**/finance/payables/{payable.pk}/")
    expect(page.locator("[data-testid=obligation-status]")).to_contain_text("已结清")
    expect(page.locator("[data-testid=figure-amount]")).to_have_text("¥3,200.00")
    expect(page.locator("[data-testid=figure-outstanding]")).to_have_text("¥0.00")
    expect(page.locator(".page-title")).to_contain_text("张伟")
    expect(page.locator("[data-testid=allocations]")).to_contain_text(payment.number)
    shot(page, "expense-17-finance-payable-settled")
    page.goto(f"{base}/crm/expenses/?status=to_pay")
    expect(page.locator("[data-testid=empty]")).to_contain_text("没有符合条件的费用。")

    # The campaign now shows its cost ----------------------------------------------------------------
    nav_to(page, "市场活动")
    page.locator("[data-testid=campaign-link]").click()
    page.wait_for_url(f"**/crm/campaigns/{campaign.pk}/")
    expect(page.locator("[data-testid=figure-budget]")).to_have_text("¥20,000.00")
    expect(page.locator("[data-testid=figure-applied]")).to_have_text("¥150.00")
    expect(page.locator("[data-testid=figure-approved]")).to_have_text("¥3,200.00")
    expect(page.locator("[data-testid=figure-paid]")).to_have_text("¥3,200.00")
    expect(page.locator("[data-testid=figure-remaining]")).to_have_text("¥16,800.00")
    expect(page.locator("[data-testid=campaign-edit]")).to_have_count(0)  # finance reads only
    tab_to(page, "费用")
    charged = page.locator("[data-testid=campaign-expense]")
    expect(charged).to_have_count(2)
    # A paid expense reads 已支付 everywhere (list, detail, badge), here too.
    paid_badge = charged.filter(has_text=meeting.number).locator("td").nth(5)
    watch.reads(paid_badge, "已支付", "campaign detail, 费用 tab, the paid expense's status")
    expect(charged.filter(has_text=colleague.number)).to_contain_text("待审核")
    shot(page, "expense-18-campaign-cost")
    watch.layout_of(page, "campaign detail, expenses tab")
    log_out(page)

    # The manager's 按…汇总 over the team: 张伟 paid 3,200; 陈静 150 waiting; the rejected 580 not counted
    log_in(page, base, "mgr_a")
    nav_to(page, "费用报销")
    expect(page.locator("[data-testid=expense-row]")).to_have_count(3)
    expect(page.locator("[data-testid=total-applied]")).to_have_text("¥150.00")
    expect(page.locator("[data-testid=total-approved]")).to_have_text("¥0.00")
    expect(page.locator("[data-testid=total-paid]")).to_have_text("¥3,200.00")
    shot(page, "expense-19-manager-list")
    watch.layout_of(page, "expense list (manager)")
    groups = page.locator("[data-testid=group-row]")
    footer = page.locator("[data-testid=expense-grouped] tfoot")
    expected = {
        "person": [("张伟", "1", "¥3,200.00"), ("陈静", "1", "¥150.00")],
        "category": [("会议费", "1", "¥3,200.00"), ("交通费", "1", "¥150.00")],
        "customer": [("（未关联客户）", "2", "¥3,350.00")],
        "campaign": [(CAMPAIGN, "2", "¥3,350.00")],
    }
    for key, lines in expected.items():
        page.click(f"[data-testid=group-{key}]")
        page.wait_for_url(f"**by={key}*")
        expect(groups).to_have_count(len(lines))
        for index, (label, count, total) in enumerate(lines):
            expect(groups.nth(index).locator("td").nth(0)).to_have_text(label)
            expect(groups.nth(index).locator("td").nth(1)).to_have_text(count)
            expect(groups.nth(index).locator("[data-testid=group-total]")).to_have_text(total)
        expect(footer.locator("td").nth(1)).to_have_text("2")
        expect(footer.locator("td").nth(2)).to_have_text("¥150.00")
        expect(footer.locator("td").nth(4)).to_have_text("¥3,200.00")
        expect(footer.locator("td").nth(5)).to_have_text("¥3,350.00")
        shot(page, f"expense-20-grouped-by-{key}")
        watch.layout_of(page, f"expense list by {key}")
    page.click("[data-testid=group-none]")
    expect(page.locator("[data-testid=expense-row]")).to_have_count(3)

    # The same pages in English ------------------------------------------------------------------------
    page.click("[data-testid=switch-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.english(page, "expense list")
    shot(page, "expense-21-en-expense-list")
    page.goto(f"{base}/crm/expenses/?by=campaign")
    watch.english(page, "expense list by campaign")
    shot(page, "expense-22-en-expense-grouped")
    page.goto(f"{base}/crm/expenses/{meeting.pk}/")
    watch.english(page, "expense detail (paid), approvals tab")
    shot(page, "expense-23-en-expense-detail")
    page.goto(f"{base}/crm/expenses/{meeting.pk}/?tab=attachments")
    watch.english(page, "expense detail, attachments tab")
    page.goto(f"{base}/crm/expenses/{dinner.pk}/")
    watch.english(page, "expense detail (rejected)")
    shot(page, "expense-24-en-expense-rejected")
    page.goto(f"{base}/crm/expenses/new/")
    watch.english(page, "expense form")
    shot(page, "expense-25-en-expense-form")
    page.goto(f"{base}/crm/campaigns/")
    watch.english(page, "campaign list")
    shot(page, "expense-26-en-campaign-list")
    page.goto(f"{base}/crm/campaigns/{campaign.pk}/")
    watch.english(page, "campaign detail, partners tab")
    shot(page, "expense-27-en-campaign-detail")
    page.goto(f"{base}/crm/campaigns/{campaign.pk}/?tab=expenses")
    watch.english(page, "campaign detail, expenses tab")
    page.goto(f"{base}/crm/campaigns/{campaign.pk}/edit/")
    watch.english(page, "campaign form")
    shot(page, "expense-28-en-campaign-form")
    page.click("[data-testid=switch-zh]")
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))
    log_out(page)

    # And in the database, the same.
    meeting.refresh_from_db()
    dinner.refresh_from_db()
    assert (meeting.status, meeting.payment_id) == (Status.DONE, payment.pk)
    assert dinner.status == Status.REJECTED
    payable.refresh_from_db()
    assert (payable.status, payable.outstanding) == ("settled", D("0.00"))
    assert (payment.party_kind, payment.party_id, payment.amount) == (
        payable.party_kind,
        payable.party_id,
        D("3200.00"),
    )

    findings = watch.write()
    assert not watch.failures, findings


# 3. 公海导入 ---------------------------------------------------------------------------------------------


HEADERS = ["客户名称", "客户类型", "客户等级", "电话", "税号", "地址", "客户来源", "标签", "备注", "信用额度"]
IMPORTED = [
    [
        "苏州博爱医院",
        "终端客户",
        "A",
        "0512-66881234",
        "",
        "苏州市姑苏区人民路 88 号",
        "",
        "三甲,华东",
        "",
        "50000",
    ],
    [
        "无锡华康医疗器械有限公司",
        "分销商",
        "B",
        "0510-82345678",
        "",
        "无锡市梁溪区中山路 1 号",
        "",
        "",
        "",
        "",
    ],
    ["常州第三人民医院", "终端客户", "", "0519-86661111", "", "", "", "", "年底招标", ""],
]


def test_a_manager_imports_customers_into_the_pool_in_the_browser(live_server, browser_page, shot) -> None:
    from openpyxl import load_workbook

    company = build_company()
    make_customer(company.rep_a1, HOSPITAL)
    base = live_server.url
    page = browser_page
    messages = page.locator("[data-testid=messages]")
    # The column names are the file's format: Chinese in either language (see the import service).
    data = [HOSPITAL, *PEOPLE, *(r[0] for r in IMPORTED), *HEADERS, "三甲", "华东"]
    watch = Watch("pool-import", data)

    log_in(page, base, "mgr_a")
    nav_to(page, "公海客户")
    page.wait_for_url("**/crm/pool/**")
    expect(page.locator("[data-testid=empty]")).to_be_visible()
    page.click("[data-testid=pool-import-link]")
    page.wait_for_url("**/pool/import/")
    expect(page.locator(".page-title")).to_have_text("导入公海客户")
    shot(page, "pool-import-01-upload")
    watch.layout_of(page, "pool import, upload")

    with page.expect_download() as download_info:
        page.click("[data-testid=pool-import-template]")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    template = load_workbook(io.BytesIO(download.path().read_bytes()))
    assert [c.value for c in template.worksheets[0][1]] == HEADERS

    # A file with one bad row: every problem with its row and column; no 导入 button --------------------
    bad = [HEADERS, IMPORTED[0], ["杭州某医院", "医院", "Z", "", "", "", "", "", "", "-5"], IMPORTED[2]]
    page.set_input_files(
        "[data-testid=pool-import-form] input[type=file]",
        files=[{"name": "公海客户.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx(bad)}],
    )
    page.click("[data-testid=pool-import-preview-submit]")
    problems = page.locator("[data-testid=pool-import-problem]")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("第 3 行 ·「客户类型」· 客户类型应为：")
    expect(problems.nth(1)).to_contain_text("第 3 行 ·「客户等级」· 客户等级应为")
    expect(problems.nth(2)).to_contain_text("第 3 行 ·「信用额度」· 信用额度不能为负数。")
    expect(page.locator("[data-testid=pool-import-problems]")).to_contain_text(
        "发现 3 处错误，没有导入任何客户。"
    )
    expect(page.locator("[data-testid=pool-import-row]")).to_have_count(3)
    expect(page.locator("[data-testid=pool-import-row].table-danger")).to_have_count(1)
    expect(page.locator("[data-testid=pool-import-submit]")).to_have_count(0)
    expect(page.locator("[data-testid=pool-import-form]")).to_be_visible()  # to upload again
    shot(page, "pool-import-02-problems")
    watch.layout_of(page, "pool import, problems")
    assert Customer.objects.count() == 1

    # The clean file: preview, 导入 3 个客户, the pool lists them --------------------------------------
    page.set_input_files(
        "[data-testid=pool-import-form] input[type=file]",
        files=[
            {
                "name": "公海客户.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": xlsx([HEADERS, *IMPORTED]),
            }
        ],
    )
    page.click("[data-testid=pool-import-preview-submit]")
    expect(page.locator("[data-testid=pool-import-clean]")).to_be_visible()
    expect(page.locator("[data-testid=pool-import-problem]")).to_have_count(0)
    preview = page.locator("[data-testid=pool-import-row]")
    expect(preview).to_have_count(3)
    expect(preview.nth(0)).to_contain_text("苏州博爱医院")
    expect(preview.nth(0)).to_contain_text("¥50,000.00")
    expect(preview.nth(1)).to_contain_text("分销商")
    submit = page.locator("[data-testid=pool-import-submit]")
    expect(submit).to_have_text("导入 3 个客户")
    expect(page.locator("[data-testid=pool-import-form]")).to_have_count(0)
    shot(page, "pool-import-03-preview")
    watch.layout_of(page, "pool import, preview")
    submit.click()
    page.wait_for_url("**/crm/pool/")
    expect(messages).to_contain_text("已导入 3 个客户到公海。")
    pool = page.locator("[data-testid=pool-row]")
    expect(pool).to_have_count(3)
    for name, *_ in IMPORTED:
        expect(page.locator("[data-testid=pool-list]")).to_contain_text(name)
    shot(page, "pool-import-04-pool-list")
    watch.layout_of(page, "pool list")
    assert set(Customer.objects.filter(owner=None).values_list("name", flat=True)) == {r[0] for r in IMPORTED}

    # In English: the upload page and a preview with problems ------------------------------------------
    page.click("[data-testid=pool-import-link]")
    page.wait_for_url("**/pool/import/")
    page.click("[data-testid=switch-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.english(page, "pool import, upload")
    shot(page, "pool-import-05-en-upload")
    page.set_input_files(
        "[data-testid=pool-import-form] input[type=file]",
        files=[{"name": "pool.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx(bad)}],
    )
    page.click("[data-testid=pool-import-preview-submit]")
    expect(page.locator("[data-testid=pool-import-problems]")).to_be_visible()
    watch.english(page, "pool import, problems")
    shot(page, "pool-import-06-en-problems")
    page.goto(f"{base}/crm/pool/")
    watch.english(page, "pool list")
    shot(page, "pool-import-07-en-pool-list")
    page.click("[data-testid=switch-zh]")
    log_out(page)

    findings = watch.write()
    assert not watch.failures, findings


# 4. 未跟进客户 -------------------------------------------------------------------------------------------


def test_the_manager_reads_the_customers_nobody_followed_up_in_the_browser(
    live_server, browser_page, shot
) -> None:
    company = build_company()
    now = timezone.now()
    visited = make_customer(company.rep_a1, HOSPITAL)
    log_activity(
        actor=company.rep_a1,
        customer=visited,
        kind="visit",
        summary="拜访设备科",
        occurred_at=now - dt.timedelta(days=40),
    )
    make_customer(company.rep_a1, AGENT, kind="distributor")  # never followed up
    recent = make_customer(company.rep_a2, "上海瑞金医院")
    log_activity(
        actor=company.rep_a2,
        customer=recent,
        kind="call",
        summary="电话回访",
        occurred_at=now - dt.timedelta(days=10),
    )
    fresh = make_customer(company.rep_a2, "南京鼓楼医院")
    log_activity(actor=company.rep_a2, customer=fresh, kind="call", summary="电话回访", occurred_at=now)
    make_customer(company.rep_b1, OTHER_TEAMS, kind="distributor")  # team B: not his
    base = live_server.url
    page = browser_page
    watch = Watch(
        "idle",
        [HOSPITAL, AGENT, "上海瑞金医院", "南京鼓楼医院", *PEOPLE],
    )

    log_in(page, base, "mgr_a")
    nav_to(page, "未跟进客户")
    page.wait_for_url("**/crm/customers/idle/")
    summary = page.locator("[data-testid=idle-summary]")
    expect(summary.locator(".card-title")).to_have_text("30 天以上未跟进：共 2 个客户")
    owners = page.locator("[data-testid=idle-summary-owner]")
    expect(owners).to_have_count(1)
    expect(owners.nth(0)).to_contain_text("张伟")
    expect(owners.nth(0)).to_contain_text("2")
    expect(owners.nth(0)).to_contain_text("其中从未跟进 1")
    rows = page.locator("[data-testid=idle-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(AGENT)  # never followed up comes first
    expect(rows.nth(0).locator("[data-testid=never-followed]")).to_be_visible()
    expect(rows.nth(1)).to_contain_text(HOSPITAL)
    expect(rows.nth(1).locator("[data-testid=idle-days]")).to_have_text("40 天")
    expect(page.locator("[data-testid=idle-list]")).not_to_contain_text(OTHER_TEAMS)
    shot(page, "idle-01-thirty-days")
    watch.layout_of(page, "idle, 30 days")

    page.select_option("select[name=days]", "7")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/crm/customers/idle/?*days=7*")
    expect(summary.locator(".card-title")).to_have_text("7 天以上未跟进：共 3 个客户")
    expect(owners).to_have_count(2)
    expect(owners.nth(0)).to_contain_text("张伟")
    expect(owners.nth(0)).to_contain_text("2")
    expect(owners.nth(1)).to_contain_text("陈静")
    expect(owners.nth(1)).to_contain_text("1")
    expect(rows).to_have_count(3)
    expect(page.locator("[data-testid=idle-list]")).not_to_contain_text("南京鼓楼医院")  # followed up today
    shot(page, "idle-02-seven-days")
    watch.layout_of(page, "idle, 7 days")

    owners.filter(has_text="陈静").click()
    page.wait_for_url("**/crm/customers/idle/?*owner=*")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("上海瑞金医院")
    expect(rows.nth(0).locator("[data-testid=idle-days]")).to_have_text("10 天")
    shot(page, "idle-03-one-owner")

    page.select_option("select[name=days]", "90")
    page.select_option("select[name=owner]", "")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/crm/customers/idle/?*days=90*")
    expect(rows).to_have_count(1)  # only the one never followed up
    expect(summary.locator(".card-title")).to_have_text("90 天以上未跟进：共 1 个客户")
    shot(page, "idle-04-ninety-days")

    page.click("[data-testid=switch-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.english(page, "idle customers")
    shot(page, "idle-05-en")
    page.goto(f"{base}/crm/customers/idle/?days=7")
    watch.english(page, "idle customers, 7 days")
    shot(page, "idle-06-en-seven-days")
    page.click("[data-testid=switch-zh]")
    log_out(page)

    findings = watch.write()
    assert not watch.failures, findings
