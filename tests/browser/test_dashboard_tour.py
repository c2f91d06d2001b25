"""The dashboards (仪表盘) in the browser, on the demo company: each role's person logs in, opens
/dashboards/, lands on their own dashboard and sees every chart drawn (ECharts put a canvas in each
[data-chart]) above its table. Screenshots: test-output/browser/dashboard-<user>.png."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from maoyi.demo.company import demo_password, load_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (username, the dashboard they land on, the panels it shows)
TOUR = (
    ("zhangwei", "sales", ("panel-month-sales", "panel-pipeline", "panel-follow-ups", "panel-collect")),
    ("liming", "team", ("panel-team-sales", "panel-approvals", "panel-idle", "panel-overdue-by-person")),
    ("xuting", "finance", ("panel-aging", "panel-cash", "stat-overdue-receivable", "stat-overdue-payable")),
    (
        "luyang",
        "logistics",
        ("panel-queues", "panel-to-receive", "panel-to-ship", "panel-low-stock", "panel-expiring"),
    ),
    ("gaofeng", "purchasing", ("panel-incoming", "panel-price-trend")),
)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password())
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{base}/")


def test_each_role_opens_its_dashboard_with_every_chart_drawn(live_server, browser_page, shot) -> None:
    assert settings.MAOYI_DEMO_PASSWORD
    load_company()
    base = live_server.url
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for username, key, panels in TOUR:
        page.context.clear_cookies()
        log_in(page, base, username)
        page.goto(f"{base}/dashboards/")
        page.wait_for_url(f"{base}/dashboards/{key}/")
        expect(page.locator(f"[data-testid=dashboard-{key}]")).to_be_visible()
        for panel in panels:
            expect(page.locator(f"[data-testid={panel}]")).to_be_visible()
        charts = page.locator("[data-chart]")
        assert charts.count() >= 1, username
        for i in range(charts.count()):
            box = charts.nth(i)
            expect(box).to_have_attribute("data-rendered", "1")
            expect(box.locator("canvas").first).to_be_attached()
            size = box.bounding_box()
            assert size is not None and size["width"] > 100 and size["height"] > 100, username
        # Every chart has its table: the page's figures are in <table>s too.
        assert page.locator(".card table").count() >= charts.count()
        shot(page, f"dashboard-{username}")
    assert errors == []
