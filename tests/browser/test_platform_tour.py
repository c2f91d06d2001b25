"""The platform as a person uses it, in Debian's Chromium: a salesperson logs in and sees the
Chinese sidebar of their role, switches to English, logs out; a manager opens the approval inbox,
approves a document and logs out. Screenshots go to test-output/browser/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maoyi.approvals.services import submit
from tests.conftest import build_company
from tests.docapp.models import SampleDocument
from tests.factories import PASSWORD, make_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{base}/")


def log_out(page) -> None:
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login/")


def test_a_salesperson_and_a_manager_use_the_platform_in_the_browser(live_server, browser_page, shot) -> None:
    company = build_company()
    doc = make_sample(company.rep_a1, title="样品采购申请", amount="1280.00")
    submit(doc, actor=company.rep_a1)
    base = live_server.url
    page = browser_page

    page.goto(f"{base}/")
    page.wait_for_url("**/login/**")
    expect(page.locator("h2")).to_contain_text("登录账号")
    shot(page, "01-login-zh")

    log_in(page, base, "rep_a1")
    sidebar = page.locator("[data-testid=sidebar]")
    expect(sidebar).to_contain_text("工作台")
    expect(sidebar).to_contain_text("审批")
    expect(sidebar).not_to_contain_text("组织架构")
    expect(sidebar).not_to_contain_text("系统设置")
    expect(page.locator("[data-testid=todo-submitted]")).to_contain_text(doc.number)
    shot(page, "02-salesperson-home-zh")

    page.click("[data-testid=switch-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(sidebar).to_contain_text("Home")
    expect(sidebar).to_contain_text("Approvals")
    shot(page, "03-salesperson-home-en")
    page.click("[data-testid=switch-zh]")
    expect(sidebar).to_contain_text("工作台")
    log_out(page)

    log_in(page, base, "mgr_a")
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("1")
    page.click("text=待我审批 >> nth=0")
    page.wait_for_url("**/approvals/")
    inbox = page.locator("[data-testid=approval-inbox]")
    expect(inbox).to_contain_text(doc.number)
    expect(inbox).to_contain_text("样品采购申请")
    shot(page, "04-manager-inbox")

    page.click(f"text={doc.number}")
    expect(page.locator("[data-testid=approval-status]")).to_contain_text("待审批")
    page.fill("textarea[name=comment]", "同意，尽快执行")
    shot(page, "05-manager-approval-detail")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    expect(page.locator("[data-testid=messages]")).to_contain_text(f"已审核通过 {doc.number}")
    expect(page.locator("[data-testid=empty]")).to_be_visible()
    expect(page.locator("[data-testid=header-pending-count]")).to_have_text("0")
    shot(page, "06-manager-inbox-after-approval")

    log_out(page)
    expect(page.locator("[data-testid=messages]")).to_contain_text("您已退出登录")
    page.goto(f"{base}/approvals/")
    page.wait_for_url("**/login/?next=/approvals/")

    doc.refresh_from_db()
    assert doc.status == "approved"
    assert SampleDocument.objects.get(pk=doc.pk).status == "approved"
