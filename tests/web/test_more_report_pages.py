"""Report pages (报表) added after the first four: 应收账龄 / 应付账龄 by person or party, 批次效期 and
低库存及在途 (and further below the others). Each shows the figures of its selector test's fixed
data set for the user's scope, filters through GET, has a totals row and an empty state, and
exports exactly its table (totals row last). A role without the permission gets 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.crm.builders import grant_customer_permissions
from tests.crm.test_report_selectors import build_activities
from tests.factories import make_employee
from tests.finance.test_report_selectors import ON, aged_book
from tests.inventory.test_alert_selectors import build_alerts
from tests.purchasing.test_report_selectors import build_prices
from tests.sales.test_channel_report_selectors import build_channels
from tests.web.test_report_pages import export, money, page, texts

pytestmark = pytest.mark.django_db

AGED = {"on": ON.isoformat()}
BUCKET_KEYS = ("not_due", "d1_30", "d31_60", "d61_90", "over_90")
AGING_HEADER = ("负责人", "未到期", "1–30天", "31–60天", "61–90天", "90天以上", "合计", "逾期合计")


def in_days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


# 应收账龄 / 应付账龄 -------------------------------------------------------------------------------------


@pytest.fixture
def aged(company):
    aged_book(company)


def test_the_aging_report_by_person_with_totals_and_export(aged, company, client_for) -> None:
    client = client_for(company.finance_clerk)
    html = page(client, "report-aging", **AGED)

    assert texts(html, "row-label") == ["张伟", "陈静", "钱丽", "（无负责人）"]
    assert texts(html, "row-d1_30") == ["¥200.00", "¥0.00", "¥80.00", "¥0.00"]
    assert texts(html, "row-total") == ["¥1,250.00", "¥372.00", "¥80.00", "¥40.00"]
    assert texts(html, "row-overdue") == ["¥250.00", "¥372.00", "¥80.00", "¥0.00"]
    assert [texts(html, f"total-{k}")[0] for k in (*BUCKET_KEYS, "total", "overdue")] == [
        "¥1,040.00",
        "¥280.00",
        "¥72.00",
        "¥300.00",
        "¥50.00",
        "¥1,742.00",
        "¥702.00",
    ]
    # each person drills down to the receivables list filtered by them
    assert f"{reverse('web:receivable-list')}?owner={company.rep_a1.pk}" in html
    drilled = client.get(reverse("web:receivable-list"), {"owner": company.rep_a1.pk}).content.decode()
    everyone = client.get(reverse("web:receivable-list")).content.decode()
    assert drilled.count("<td>张伟</td>") > 0 and "<td>陈静</td>" not in drilled
    assert "<td>陈静</td>" in everyone
    rows = export(client, "report-aging", **AGED)
    assert rows == [
        AGING_HEADER,
        ("张伟", 1000, 200, 0, 0, 50, 1250, 250),
        ("陈静", 0, 0, 72, 300, 0, 372, 372),
        ("钱丽", 0, 80, 0, 0, 0, 80, 80),
        ("（无负责人）", 40, 0, 0, 0, 0, 40, 0),
        ("合计", 1040, 280, 72, 300, 50, 1742, 702),
    ]
    assert [money(r[6]) for r in rows[1:]] == [*texts(html, "row-total"), texts(html, "total-total")[0]]


def test_the_aging_report_by_party_links_the_receivables(aged, company, client_for) -> None:
    html = page(client_for(company.finance_clerk), "report-aging", **AGED, by="party")
    assert texts(html, "row-label") == ["北京协和医院", "朝阳社区诊所", "上海医械经销商", "公海客户"]
    assert f"{reverse('web:receivable-list')}?kind=customer&amp;q=%E5%8C%97" in html


def test_a_salesperson_reads_and_exports_only_their_own_aging(aged, company, client_for) -> None:
    mine = client_for(company.rep_a1)
    html = page(mine, "report-aging", **AGED)
    assert texts(html, "row-label") == ["张伟"]
    assert "陈静" not in html.split('data-testid="report-table"')[1]
    assert export(mine, "report-aging", **AGED)[1:] == [
        ("张伟", 1000, 200, 0, 0, 50, 1250, 250),
        ("合计", 1000, 200, 0, 0, 50, 1250, 250),
    ]
    assert export(mine, "report-aging", **AGED, owner=str(company.rep_a2.pk))[1:] == []
    # a salesperson may not read payables
    assert mine.get(reverse("web:report-aging"), {"direction": "payable"}).status_code == 403


def test_the_payables_aging_and_the_empty_states(aged, company, client_for) -> None:
    client = client_for(company.finance_clerk)
    html = page(client, "report-aging", **AGED, direction="payable")
    assert texts(html, "row-label") == ["马丽"]
    assert texts(html, "row-d1_30") == ["¥5,000.00"]
    assert f"{reverse('web:payable-list')}?owner={company.purchaser.pk}" in html
    empty = page(client, "report-aging", **AGED, owner=str(company.admin.pk))
    assert texts(empty, "empty") == ["没有符合条件的未结款项。"]
    assert 'data-testid="report-total"' not in empty
    outside = page(client_for(company.rep_a2), "report-aging", **AGED, owner=str(company.rep_b1.pk))
    assert texts(outside, "empty") == ["没有符合条件的未结款项。"]


def test_the_aging_report_empty_without_filters(company, client_for) -> None:
    assert texts(page(client_for(company.finance_clerk), "report-aging"), "empty") == ["还没有未结清的款项。"]


# 批次效期 and 低库存及在途 -------------------------------------------------------------------------


@pytest.fixture
def alerts(company):
    return build_alerts(company)


def test_the_expiring_lots_report_and_its_export(alerts, company, client_for) -> None:
    client = client_for(alerts.shop.keeper)
    html = page(client, "report-expiring-lots")

    assert texts(html, "row-lot") == ["E30", "E80", "E90"]
    assert texts(html, "row-days-left") == ["30", "80", "90"]
    assert texts(html, "row-value") == ["¥57.50", "¥172.50", "¥82.50"]
    assert (texts(html, "total-on-hand"), texts(html, "total-value")) == (["55"], ["¥312.50"])
    rows = export(client, "report-expiring-lots")
    assert rows[0] == (
        "商品编码",
        "商品名称",
        "单位",
        "仓库",
        "批号",
        "有效期至",
        "剩余天数",
        "现存量",
        "金额",
    )
    assert [(r[3], r[4], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("北京主仓", "E30", 30, 10, 57.5),
        ("北京主仓", "E80", 80, 30, 172.5),
        ("上海仓", "E90", 90, 15, 82.5),
        (None, None, None, 55, 312.5),
    ]
    assert rows[-1][0] == "合计"
    assert rows[1][5].date().isoformat() == in_days(30)
    year = page(client, "report-expiring-lots", days="365", warehouse=str(alerts.shanghai.pk))
    assert texts(year, "row-lot") == ["E90", "E200"]


def test_the_expiring_lots_value_and_permission(alerts, company, client_for) -> None:
    nobody = make_employee(company.root, username="nobody", name="无角色")
    assert client_for(nobody).get(reverse("web:report-expiring-lots")).status_code == 403
    # a salesperson looks stock up but not lots
    assert client_for(company.rep_a1).get(reverse("web:report-expiring-lots")).status_code == 403
    client = client_for(alerts.shop.keeper)
    assert texts(page(client, "report-expiring-lots", days="10"), "empty") == ["没有符合条件的临期批次。"]


def test_the_low_stock_report_and_its_export(alerts, company, client_for) -> None:
    client = client_for(company.rep_a1)  # looks goods up: may see it
    html = page(client, "report-low-stock")
    assert texts(html, "row-label") == ["PJ001 包装箱", "ZS001 一次性使用无菌注射器"]
    assert texts(html, "row-shortage") == ["50", "20"]
    assert texts(html, "row-available") == ["0", "75"]
    assert texts(html, "row-incoming") == ["0", "80"]
    assert texts(html, "row-expected") == ["—", in_days(3)]
    assert texts(html, "total-shortage") == ["70"]
    rows = export(client, "report-low-stock")
    assert rows[0] == (
        "商品编码",
        "商品名称",
        "单位",
        "最低库存",
        "现存量",
        "缺口",
        "可用",
        "在途",
        "最早预计到货",
    )
    assert [r[:8] for r in rows[1:]] == [
        ("PJ001", "包装箱", "个", 50, 0, 50, 0, 0),
        ("ZS001", "一次性使用无菌注射器", "支", 100, 80, 20, 75, 80),
        ("合计", None, None, 150, 80, 70, 75, 80),
    ]
    assert rows[1][8] is None and rows[2][8].date().isoformat() == in_days(3)
    assert texts(page(client, "report-low-stock", q="口罩"), "empty") == ["没有符合条件的低库存商品。"]


def test_the_low_stock_report_empty_state_and_permission(company, client_for) -> None:
    assert texts(page(client_for(company.admin), "report-low-stock"), "empty") == ["没有低于最低库存的商品。"]
    nobody = make_employee(company.root, username="nobody", name="无角色")
    for name in ("report-low-stock", "report-aging"):
        assert client_for(nobody).get(reverse(f"web:{name}")).status_code == 403


# 采购价格历史 ------------------------------------------------------------------------------------------

SPRING = {"from": "2024-03-01", "to": "2024-04-30"}


@pytest.fixture
def prices(company):
    return build_prices(company)


def test_the_price_history_page_and_its_export(prices, company, client_for) -> None:
    client = client_for(prices.shop.manager)
    html = page(client, "report-purchase-prices", **SPRING)
    o1, o2, o3, _o4, o5 = prices.orders

    assert texts(html, "row-order") == [o1.number, o5.number, o1.number, o2.number, o3.number]
    assert texts(html, "row-price") == ["¥2.0000", "¥3.0000", "¥10.0000", "¥10.8000", "¥9.0000"]
    assert texts(html, "summary-average") == ["¥2.1667", "¥10.3143"]
    assert texts(html, "summary-amount") == ["¥130.00", "¥3,610.00"]
    assert texts(html, "total-amount") == ["¥3,740.00"]
    rows = export(client, "report-purchase-prices", **SPRING)
    assert rows[0] == (
        "商品编码",
        "商品名称",
        "单位",
        "订单编号",
        "供应商",
        "审核日期",
        "币种",
        "含税单价（原币）",
        "数量",
        "不含税单价（人民币）",
        "不含税金额（人民币）",
        "最低价",
        "平均价",
        "最高价",
    )
    flat = [(r[0], r[3], r[8], r[9], r[10], r[11], r[12], r[13]) for r in rows[1:]]
    assert flat == [
        ("PJ001", o1.number, 50, 2, 100, None, None, None),
        ("PJ001", o5.number, 10, 3, 30, None, None, None),
        ("PJ001 小计", None, 60, None, 130, 2, 2.1667, 3),
        ("ZS001", o1.number, 100, 10, 1000, None, None, None),
        ("ZS001", o2.number, 200, 10.8, 2160, None, None, None),
        ("ZS001", o3.number, 50, 9, 450, None, None, None),
        ("ZS001 小计", None, 350, None, 3610, 9, 10.3143, 10.8),
        ("合计", None, 410, None, 3740, None, None, None),
    ]
    assert rows[5][6:8] == ("USD", 1.5)


def test_a_purchaser_sees_only_their_orders_prices(prices, company, client_for) -> None:
    client = client_for(company.purchaser)
    html = page(client, "report-purchase-prices", **SPRING)
    assert prices.orders[4].number not in html
    assert texts(html, "total-amount") == ["¥3,710.00"]
    assert export(client, "report-purchase-prices", **SPRING)[-1][10] == 3710
    assert client_for(company.rep_a1).get(reverse("web:report-purchase-prices")).status_code == 403
    empty = page(client, "report-purchase-prices", **SPRING, product="口罩")
    assert texts(empty, "empty") == ["没有符合条件的采购记录。"]
    assert texts(page(client, "report-purchase-prices"), "empty") == ["本月还没有已审核的采购订单。"]


# 跟进统计 ----------------------------------------------------------------------------------------------

MARCH = {"from": "2024-03-01", "to": "2024-03-31"}
ACTIVITY_HEADER = ("跟进人", "电话", "拜访", "邮件", "会议", "其他", "合计", "跟进客户数")


@pytest.fixture
def follow_ups(company):
    grant_customer_permissions()
    build_activities(company)


def test_the_activity_report_and_its_export(follow_ups, company, client_for) -> None:
    client = client_for(company.admin)
    html = page(client, "report-activities", **MARCH)
    assert texts(html, "row-label") == ["张伟", "钱丽", "陈静", "李经理"]
    assert texts(html, "row-call") == ["3", "0", "1", "0"]
    assert texts(html, "row-total") == ["4", "3", "2", "1"]
    assert [texts(html, f"total-{k}")[0] for k in ("call", "visit", "total", "customers")] == [
        "4",
        "3",
        "10",
        "4",
    ]
    assert f"{reverse('web:activity-list')}?employee={company.rep_a1.pk}&amp;date_from=2024-03-01" in html
    assert export(client, "report-activities", **MARCH) == [
        ACTIVITY_HEADER,
        ("张伟", 3, 1, 0, 0, 0, 4, 2),
        ("钱丽", 0, 2, 0, 0, 1, 3, 1),
        ("陈静", 1, 0, 1, 0, 0, 2, 1),
        ("李经理", 0, 0, 0, 1, 0, 1, 1),
        ("合计", 4, 3, 1, 1, 1, 10, 4),
    ]


def test_a_salesperson_counts_only_their_customers_activities(follow_ups, company, client_for) -> None:
    client = client_for(company.rep_a1)
    html = page(client, "report-activities", **MARCH)
    assert texts(html, "row-label") == ["张伟", "李经理"]
    assert "钱丽" not in html.split('data-testid="report-table"')[1]
    assert export(client, "report-activities", **MARCH)[1:] == [
        ("张伟", 3, 1, 0, 0, 0, 4, 2),
        ("李经理", 0, 0, 0, 1, 0, 1, 1),
        ("合计", 3, 1, 0, 1, 0, 5, 2),
    ]
    assert texts(page(client, "report-activities"), "empty") == ["本月还没有跟进记录。"]
    filtered = page(client, "report-activities", **MARCH, employee=str(company.rep_b1.pk))
    assert texts(filtered, "empty") == ["没有符合条件的跟进记录。"]
    assert client_for(company.purchaser).get(reverse("web:report-activities")).status_code == 403


# 渠道销售 and 市场活动投入产出 -----------------------------------------------------------------------


@pytest.fixture
def channels(company):
    return build_channels(company)


CHANNEL_HEADER = (
    "渠道商",
    "渠道类型",
    "客户等级",
    "自营订单数",
    "自营金额",
    "下游客户数",
    "下游订单数",
    "下游金额",
    "金额（含税）",
    "不含税金额",
)


def test_the_channel_report_and_its_export(channels, company, client_for) -> None:
    client = client_for(company.admin)
    html = page(client, "report-channels", **MARCH)
    assert texts(html, "row-label") == ["华北医疗分销", "京东医药代理"]
    assert texts(html, "row-served-amount") == ["¥1,271.25", "¥339.00"]
    assert texts(html, "row-amount") == ["¥2,401.25", "¥1,469.00"]
    assert texts(html, "total-amount") == ["¥3,870.25"]
    assert export(client, "report-channels", **MARCH) == [
        CHANNEL_HEADER,
        ("华北医疗分销", "分销商", "重点客户", 1, 1130, 2, 2, 1271.25, 2401.25, 2125),
        ("京东医药代理", "代理商", "普通客户", 1, 1130, 1, 1, 339, 1469, 1300),
        ("合计", None, None, 2, 2260, 3, 3, 1610.25, 3870.25, 3425),
    ]
    by_level = export(client, "report-channels", **MARCH, by="level")
    assert by_level[0][0] == "客户等级" and [r[0] for r in by_level[1:]] == ["重点客户", "普通客户", "合计"]


def test_a_salesperson_reads_and_exports_only_their_channel_sales(channels, company, client_for) -> None:
    client = client_for(company.rep_a1)
    html = page(client, "report-channels", **MARCH)
    assert texts(html, "row-amount") == ["¥1,180.85", "¥339.00"]
    assert export(client, "report-channels", **MARCH)[-1] == (
        "合计", None, None, 0, 0, 2, 2, 1519.85, 1519.85, 1345,
    )  # fmt: skip
    assert texts(page(client, "report-channels"), "empty") == ["本月还没有渠道销售。"]
    assert client_for(company.purchaser).get(reverse("web:report-channels")).status_code == 403


CAMPAIGN_HEADER = (
    "活动编号",
    "活动名称",
    "活动类型",
    "开始日期",
    "结束日期",
    "参与客户数",
    "预算",
    "已审核费用",
    "订单数",
    "销售额（含税）",
    "不含税销售额",
    "投入产出比",
)


def test_the_campaign_report_and_its_export(channels, company, client_for) -> None:
    client = client_for(company.manager_a)  # team A: its salespeople's orders only
    year = {"from": "2024-01-01", "to": "2024-12-31"}
    html = page(client, "report-campaigns", **year)
    assert texts(html, "row-cost") == ["¥0.00", "¥2,000.00", "¥600.00"]
    assert texts(html, "row-return") == ["—", "0.52", "2.41"]  # CB: S2 + S4 + S8 = 1445.00 / 600.00
    assert reverse("web:campaign-detail", args=[channels.campaigns["CA"].pk]) in html
    rows = export(client, "report-campaigns", **year)
    assert rows[0] == CAMPAIGN_HEADER
    assert [(r[0], r[5], r[6], r[7], r[8], r[9], r[10], r[11]) for r in rows[1:]] == [
        ("CE", 0, 1000, 0, 0, 0, 0, None),
        ("CA", 2, 5000, 2000, 1, 1180.85, 1045, 0.52),
        ("CB", 3, 3000, 600, 3, 1632.85, 1445, 2.41),
        ("合计", 5, 9000, 2600, 4, 2813.7, 2490, 0.96),
    ]
    admin = page(client_for(company.admin), "report-campaigns", **year)
    assert texts(admin, "total-amount") == ["¥3,943.70"]


def test_the_campaign_report_empty_state_and_permission(company, client_for) -> None:
    assert texts(page(client_for(company.admin), "report-campaigns"), "empty") == ["今年还没有市场活动。"]
    nobody = make_employee(company.root, username="nobody", name="无角色")
    for name in ("report-campaigns", "report-channels", "report-activities", "report-purchase-prices"):
        assert client_for(nobody).get(reverse(f"web:{name}")).status_code == 403
        assert client_for(nobody).get(reverse(f"web:{name}"), {"format": "xlsx"}).status_code == 403


def test_the_new_reports_render_in_english(channels, company, client_for) -> None:
    client = client_for(company.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, "report-channels", **MARCH)
    assert '<html lang="en">' in html
    assert texts(html, "row-amount") == ["¥2,401.25", "¥1,469.00"]


def test_the_payables_aging_has_its_own_address(aged, company, client_for) -> None:
    html = page(client_for(company.purchaser), "report-payables-aging", **AGED)
    assert "<title>应付账龄" in html or "应付账龄" in html.split("</title>")[0]
    assert texts(html, "row-label") == ["马丽"]
    assert client_for(company.rep_a1).get(reverse("web:report-payables-aging")).status_code == 403
    # a purchaser may see only payables: the plain address shows them too
    assert texts(page(client_for(company.purchaser), "report-aging", **AGED), "row-label") == ["马丽"]
