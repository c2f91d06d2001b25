"""销售统计 and 导入客户 in the browser, on the demo company (issue 7's acceptance).

The manager (李明) and a salesperson (张伟) filter the sales report and click 导出 Excel: the .xlsx's
header row is Chinese and its rows are the on-screen table's (the totals row last); the
salesperson's export holds only their own sales. Then 李明 uploads a customer file with an unknown
客户类型: the check lists the error with its row and column, offers no 导入 and creates nothing; the
fixed file is checked, previewed, imported in the background (the page polls with htmx) and the
customers are on the customer list. Screenshots: test-output/browser/report-sales-*.png,
import-customers-*.png."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from maoyi.crm.models import Customer
from maoyi.demo.company import demo_password, load_company
from maoyi.web.imports import jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["客户名称", "客户类型", "客户等级", "电话", "负责人"]
NAMES = ["导入测试甲医院", "导入测试乙诊所", "导入测试丙医药有限公司"]
EXPORT_HEADERS = ["业务员", "订单数", "数量", "金额（含税）", "不含税金额", "税额"]
LONG = 60_000


@pytest.fixture
def job_dir(settings: Any, tmp_path: Any) -> Any:
    """The import jobs' state starts empty (the live server runs in this process)."""
    settings.DATA_DIR = tmp_path
    jobs.store().clear()
    yield tmp_path
    jobs.store().clear()


def log_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password())
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{base}/")


def number(text: Any) -> Decimal:
    """A figure as shown (¥1,234.50, 1,234) or as exported (1234.5), for comparing."""
    if isinstance(text, (int, float, Decimal)):
        return Decimal(str(text))
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def screen_rows(page: Any) -> list[list[Any]]:
    rows = []
    for tr in page.locator("[data-testid=report-table] tbody tr[data-testid=report-row]").all():
        cells = [c.inner_text().strip() for c in tr.locator("td").all()]
        rows.append([cells[0], *(number(c) for c in cells[1:])])
    total = page.locator("[data-testid=report-total] td").all()
    if total:
        cells = [c.inner_text().strip() for c in total]
        rows.append([cells[0], *(number(c) for c in cells[1:])])
    return rows


def export(page: Any, tmp_path: Any, name: str) -> tuple[list[str], list[list[Any]], str]:
    with page.expect_download() as info:
        page.click("[data-testid=export-xlsx]")
    download = info.value
    path = tmp_path / f"{name}.xlsx"
    download.save_as(str(path))
    sheet = load_workbook(path, read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [str(v) for v in values[0]]
    rows = []
    for r in values[1:]:
        figures = [number(v) for v in r[1:]]
        # money to cents as shown on the page
        figures = [figures[0], figures[1], *(f.quantize(Decimal("0.01")) for f in figures[2:])]
        rows.append([str(r[0]), *figures])
    return header, rows, download.suggested_filename


def filter_report(page: Any, base: str, first: dt.date, last: dt.date) -> None:
    page.goto(f"{base}/reports/sales/")
    expect(page.locator("[data-testid=sales-report]")).to_be_visible()
    page.select_option("[data-testid=filter-by]", "salesperson")
    page.fill("[data-testid=filter-from]", first.isoformat())
    page.fill("[data-testid=filter-to]", last.isoformat())
    page.locator("[data-testid=report-filters] button").click()
    page.wait_for_url(re.compile(r".*by=salesperson.*"))


def customer_file(path: Any, rows: list[list[str]]) -> Any:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def upload(page: Any, path: Any) -> None:
    page.set_input_files("[data-testid=import-form] input[name=file]", str(path))
    page.click("[data-testid=import-preview-submit]")
    page.wait_for_url(re.compile(r".*/imports/.+/"))


def test_sales_report_export_and_customer_import(live_server, browser_page, shot, job_dir, tmp_path) -> None:
    assert settings.MAOYI_DEMO_PASSWORD
    load_company()
    base = live_server.url
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    today = dt.date.today()
    first, last = today - dt.timedelta(days=400), today + dt.timedelta(days=31)

    # 销售统计: the manager's export is the on-screen table.
    log_in(page, base, "liming")
    filter_report(page, base, first, last)
    shown = screen_rows(page)
    assert len(shown) >= 2, shown  # at least one person and the totals row
    assert shown[-1][0] == "合计"
    assert "from=" in page.locator("[data-testid=export-xlsx]").get_attribute("href")
    header, exported, filename = export(page, tmp_path, "manager")
    assert filename.endswith(".xlsx") and "销售统计" in filename
    assert header == EXPORT_HEADERS
    assert exported == shown
    shot(page, "report-sales-manager")

    # The salesperson sees and exports only their own sales.
    log_in(page, base, "zhangwei")
    filter_report(page, base, first, last)
    own = screen_rows(page)
    assert [r[0] for r in own] == ["张伟", "合计"], own
    header, exported, _name = export(page, tmp_path, "salesperson")
    assert header == EXPORT_HEADERS
    assert exported == own
    manager_row = next(r for r in shown if r[0] == "张伟")
    assert own[0] == manager_row
    shot(page, "report-sales-salesperson")

    # 导入客户: a file with an unknown 客户类型 is refused with its row and column.
    log_in(page, base, "liming")
    page.goto(f"{base}/imports/customers/")
    expect(page.locator("[data-testid=import-form]")).to_be_visible()
    rows = [
        [NAMES[0], "终端客户", "A", "010-88880001", ""],
        [NAMES[1], "终端客户", "", "", "zhangwei"],
        [NAMES[2], "医院", "C", "", ""],
    ]
    upload(page, customer_file(tmp_path / "客户-有错.xlsx", rows))
    problems = page.locator("[data-testid=import-problem]")
    expect(problems).to_have_count(1, timeout=LONG)
    expect(problems.first).to_have_attribute("data-row", "4")
    expect(problems.first).to_have_attribute("data-column", "客户类型")
    expect(problems.first).to_contain_text("第 4 行")
    expect(problems.first).to_contain_text("客户类型应为")
    expect(page.locator("[data-testid=import-problems]")).to_contain_text("没有导入任何数据")
    expect(page.locator("[data-testid=import-submit]")).to_have_count(0)
    expect(page.locator("[data-testid=import-confirm]")).to_have_count(0)
    assert not Customer.objects.filter(name__in=NAMES).exists()
    shot(page, "import-customers-error")

    # The fixed file: checked, previewed, imported.
    rows[2][1] = "分销商"
    upload(page, customer_file(tmp_path / "客户.xlsx", rows))
    expect(page.locator("[data-testid=import-clean]")).to_be_visible(timeout=LONG)
    expect(page.locator("[data-testid=import-row]")).to_have_count(3)
    assert not Customer.objects.filter(name__in=NAMES).exists()  # the check keeps nothing
    shot(page, "import-customers-preview")
    submit = page.locator("[data-testid=import-submit]")
    expect(submit).to_contain_text("导入 3 个客户")
    submit.click()
    done = page.locator("[data-testid=import-done]")
    expect(done).to_be_visible(timeout=LONG)
    expect(done).to_contain_text("已导入 3 个客户。")
    shot(page, "import-customers-done")
    owners = dict(Customer.objects.filter(name__in=NAMES).values_list("name", "owner__user__username"))
    assert owners == {NAMES[0]: "liming", NAMES[1]: "zhangwei", NAMES[2]: "liming"}

    page.click("[data-testid=import-done-list]")
    page.wait_for_url(re.compile(r".*/customers/.*"))
    page.fill("[data-testid=customer-filters] input[name=q]", "导入测试")
    page.locator("[data-testid=customer-filters] input[name=q]").press("Enter")
    links = page.locator("[data-testid=customer-link]")
    expect(links).to_have_count(3)
    assert sorted(links.all_inner_texts()) == sorted(NAMES)
    assert errors == []
