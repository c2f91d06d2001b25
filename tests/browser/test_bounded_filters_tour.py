"""The reports' customer picker in the browser: typing pinyin initials lists the matches (htmx),
choosing one filters the report and shows it as a chip, and its × drops only that filter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_platform_tour import log_in
from tests.sales.builders import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_report_filters_by_a_customer_found_by_pinyin_and_the_chip_drops_it(
    live_server, browser_page, shot, company
) -> None:
    shop = build_shop(company)
    base = live_server.url
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, "admin")
    page.goto(f"{base}/reports/sales/?by=customer")
    picker = page.locator("[data-testid=filter-picker-customer] input")
    picker.fill("bjxh")
    option = page.locator("[data-testid=filter-option]")
    expect(option).to_have_count(1)
    expect(option).to_have_text("北京协和医院")
    shot(page, "report-customer-picker")
    option.click()
    page.wait_for_url(re.compile(rf".*customer={shop.customer.pk}.*"))
    assert "by=customer" in page.url
    chip = page.locator("[data-testid=filter-chip-customer]")
    expect(chip).to_contain_text("北京协和医院")
    page.locator("[data-testid=filter-chip-clear]").click()
    # The picker kept the form's other filters (the grouping and the period shown): the × keeps them too.
    page.wait_for_url(re.compile(r".*/reports/sales/\?by=customer&from=[-\d]+&to=[-\d]+$"))
    expect(page.locator("[data-testid=filter-picker-customer]")).to_be_visible()
    assert errors == []
