"""The dashboards (仪表盘), one page per role: who opens which (403 otherwise, /dashboards/ sends each
to their first), the panels each shows by permission, every figure against hand-computed data (the
chart's option and the table under it carry the same numbers), the data scope (a salesperson's
panels hold only their customers' orders and money, a team manager's only the team's) and the links
to the lists and records behind the figures."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from decimal import Decimal as D
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from maoyi.catalog.models import Product
from maoyi.crm.models import OpportunityStage
from maoyi.crm.services.activities import log_activity
from maoyi.crm.services.opportunities import create_opportunity
from maoyi.finance.services import reverse_settlement
from maoyi.inventory.models import Warehouse
from maoyi.purchasing.models import PurchaseOrder
from tests.crm.builders import make_customer
from tests.factories import make_employee
from tests.finance.builders import PAYABLE, make_parties, payable, receivable, settle
from tests.purchasing import order_builders as buying
from tests.sales import builders as selling

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def get(client, name: str) -> str:
    response = client.get(reverse(f"web:{name}"))
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def element(html: str, testid: str) -> str | None:
    """The HTML of the element carrying this data-testid (with its children), None when absent."""
    found = re.search(rf'<(\w+)\b[^>]*data-testid="{re.escape(testid)}"', html)
    if found is None:
        return None
    tag, start, depth = found.group(1), found.start(), 0
    for t in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return html[start : start + t.end()]
    raise AssertionError(f"{testid}: unclosed <{tag}>")


def text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(html: str, table: str) -> list[list[str]]:
    """The cells' texts of the table's body rows (data-testid="row")."""
    found = element(html, table)
    assert found is not None, f"no {table}"
    body = re.findall(r'<tr\b[^>]*data-testid="row"[^>]*>(.*?)</tr>', found, flags=re.S)
    return [[text(c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row, flags=re.S)] for row in body]


def cells(html: str, testid: str) -> list[str]:
    return [text(c) for c in re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</t[dh]>', html, flags=re.S)]


def chart(html: str, name: str) -> dict[str, Any]:
    """The ECharts option the page passes for a chart (the json_script the [data-chart] names)."""
    box = element(html, f"chart-{name}")
    assert box is not None, f"no chart {name}"
    source = re.search(r'data-chart="([^"]+)"', box)
    assert source is not None
    script = re.search(rf'<script id="{source.group(1)}" type="application/json">(.*?)</script>', html, re.S)
    assert script is not None
    return json.loads(script.group(1))


def series(option: dict[str, Any], n: int = 0) -> list[Any]:
    """A series' values, decimals as Decimal ("-": no value)."""
    return [v if v == "-" else D(str(v)) for v in option["series"][n]["data"]]


def nums(*values: str) -> list[D]:
    return [D(v) for v in values]


def hrefs(fragment: str) -> list[str]:
    return [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', fragment)]


def money(value: str) -> str:
    amount = D(value)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


# Who opens which ----------------------------------------------------------------------------------


def test_dashboards_sends_each_role_to_its_own_and_shows_only_the_tabs_it_may_open(
    company, client_for
) -> None:
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    expected = {
        company.rep_a1: "dashboard-sales",
        company.assistant_a: "dashboard-sales",
        company.manager_a: "dashboard-team",
        company.finance_clerk: "dashboard-finance",
        keeper: "dashboard-logistics",
        company.purchaser: "dashboard-purchasing",
    }
    for employee, name in expected.items():
        response = client_for(employee).get(reverse("web:dashboard"))
        assert response.status_code == 302, employee
        assert response["Location"] == reverse(f"web:{name}")
    manager = get(client_for(company.manager_a), "dashboard-team")
    tabs = element(manager, "dashboard-tabs")
    assert tabs is not None
    assert hrefs(tabs) == [reverse("web:dashboard-sales"), reverse("web:dashboard-team")]
    assert element(get(client_for(company.rep_a1), "dashboard-sales"), "dashboard-tabs") is None  # only one


def test_a_dashboard_answers_403_to_a_role_it_is_not_for(company, client_for) -> None:
    refused = {
        company.rep_a1: (
            "dashboard-team",
            "dashboard-finance",
            "dashboard-logistics",
            "dashboard-purchasing",
        ),
        company.finance_clerk: ("dashboard-sales", "dashboard-team", "dashboard-purchasing"),
        company.purchaser: ("dashboard-sales", "dashboard-finance", "dashboard-logistics"),
    }
    for employee, names in refused.items():
        for name in names:
            assert client_for(employee).get(reverse(f"web:{name}")).status_code == 403, (employee, name)


def test_someone_without_a_dashboard_is_told_so(company, client_for) -> None:
    nobody = make_employee(company.root, username="nobody", name="无角色")
    html = get(client_for(nobody), "dashboard")
    assert text(element(html, "empty") or "") == "您的角色还没有仪表盘。"


# 销售 ------------------------------------------------------------------------------------------------


@pytest.fixture
def shop(company):
    return selling.build_shop(company)


def _sales(shop) -> None:
    """张伟 (team A): 113.00 this month, 226.00 last month and a draft; 钱丽 (team B): 56.50."""
    first = today().replace(day=1)
    selling.approved_order(shop, selling.Line(shop.product, "10", "11.30"))
    selling.approved_order(
        shop, selling.Line(shop.product, "20", "11.30"), order_date=first - dt.timedelta(days=10)
    )
    selling.draft_order(shop, selling.Line(shop.product, "99", "11.30"))
    selling.approved_order(
        shop,
        selling.Line(shop.product, "5", "11.30"),
        owner=shop.company.rep_b1,
        customer=shop.other_customer,
    )


def test_a_salesperson_sees_their_sales_this_month_against_last_month(shop, company, client_for) -> None:
    selling.put_in(shop, "100", "8.00", "L1")
    _sales(shop)
    html = get(client_for(company.rep_a1), "dashboard-sales")
    first = today().replace(day=1)
    last_first = (first - dt.timedelta(days=1)).replace(day=1)
    assert rows(html, "table-month-sales") == [
        [f"上月 {last_first:%Y-%m}", "1", "¥226.00"],
        [f"本月 {first:%Y-%m}", "1", "¥113.00"],
    ]
    assert cells(html, "change") == ["-¥113.00 (-50.0%)"]
    assert series(chart(html, "month-sales")) == nums("226", "113")
    table = element(html, "table-month-sales") or ""
    month_end = first.replace(day=28) + dt.timedelta(days=4)
    month_end -= dt.timedelta(days=month_end.day)
    assert f"{reverse('web:sales-order-list')}?from={first.isoformat()}&to={month_end.isoformat()}" in hrefs(
        table
    )
    # 陈静 (same team, no orders) sees nothing of 张伟's.
    other = get(client_for(company.rep_a2), "dashboard-sales")
    assert [r[1:] for r in rows(other, "table-month-sales")] == [["0", "¥0.00"], ["0", "¥0.00"]]
    assert cells(other, "change") == ["¥0.00"]


def test_a_salesperson_sees_their_pipeline_by_stage(shop, company, client_for) -> None:
    other = make_customer(company.rep_a1, "北京朝阳医院")
    for customer, stage, amount in (
        (shop.customer, OpportunityStage.INITIAL, "1000"),
        (other, OpportunityStage.INITIAL, "500"),
        (shop.customer, OpportunityStage.PROPOSAL, "2000"),
        (shop.customer, OpportunityStage.WON, "9000"),  # closed: not in the pipeline
    ):
        create_opportunity(
            actor=company.rep_a1,
            customer=customer,
            title="采购注射器",
            stage=stage,
            expected_amount=D(amount),
        )
    create_opportunity(
        actor=company.rep_b1,
        customer=shop.other_customer,
        title="钱丽的机会",
        stage=OpportunityStage.NEEDS,
        expected_amount=D("700"),
    )
    html = get(client_for(company.rep_a1), "dashboard-sales")
    assert rows(html, "table-pipeline") == [
        ["初步接洽", "2", "¥1,500.00"],
        ["需求确认", "0", "¥0.00"],
        ["方案报价", "1", "¥2,000.00"],
        ["商务谈判", "0", "¥0.00"],
    ]
    assert cells(html, "total-count") == ["3"] and cells(html, "total-amount") == ["¥3,500.00"]
    option = chart(html, "pipeline")
    assert series(option, 0) == nums("1500", "0", "2000", "0")
    assert series(option, 1) == nums("2", "0", "1", "0")
    assert f"{reverse('web:opportunity-list')}?stage=proposal" in hrefs(element(html, "table-pipeline") or "")


def test_a_salesperson_sees_their_follow_ups_due(shop, company, client_for) -> None:
    other = make_customer(company.rep_a1, "北京朝阳医院")
    later = make_customer(company.rep_a1, "北京天坛医院")
    for customer, due in ((shop.customer, days(-2)), (other, today()), (later, days(3))):
        log_activity(
            actor=company.rep_a1,
            customer=customer,
            kind="call",
            summary="电话回访",
            occurred_at=timezone.now() - dt.timedelta(days=5),
            next_follow_up=due,
        )
    log_activity(
        actor=company.rep_b1,
        customer=shop.other_customer,
        kind="call",
        summary="钱丽的",
        occurred_at=timezone.now() - dt.timedelta(days=5),
        next_follow_up=days(-1),
    )
    html = get(client_for(company.rep_a1), "dashboard-sales")
    assert text(element(html, "today-count") or "") == "今天 1"
    assert text(element(html, "overdue-count") or "") == "逾期 1"
    assert [r[:2] for r in rows(html, "table-follow-ups")] == [
        ["北京协和医院", days(-2).isoformat()],
        ["北京朝阳医院", today().isoformat()],
    ]
    assert reverse("web:customer-detail", args=[shop.customer.pk]) in hrefs(
        element(html, "table-follow-ups") or ""
    )


@pytest.fixture
def money_book(company):
    """Receivables: 张伟's hospital 1000 due 40 days ago, 500 due 5 days ago, 300 due in 10 days and 200
    due in 60; 陈静's clinic 700 due 3 days ago; 钱丽's dealer 200 due yesterday; the pool's 400 due 2
    days ago. A payable to the supplier: 900 due 70 days ago. Receipts 250 today, 100 two weeks ago
    and 80 ten weeks ago (outside the 8 weeks); 60 received today and reversed; a payment of 400 a
    week ago."""
    p = make_parties(company)
    clerk = company.finance_clerk
    hospital = [
        receivable(clerk, p.hospital, a, days(n))
        for a, n in (("1000", -40), ("500", -5), ("300", 10), ("200", 60))
    ]
    receivable(clerk, p.clinic, "700", days(-3))
    receivable(clerk, p.dealer, "200", days(-1))
    receivable(clerk, p.pool, "400", days(-2))
    payable(clerk, p.supplier, "900", days(-70))
    settle(clerk, p.hospital, "250", today())
    settle(clerk, p.clinic, "100", days(-14))
    settle(clerk, p.dealer, "80", days(-70))
    reversed_one = settle(clerk, p.hospital, "60", today())
    reverse_settlement(reversed_one, actor=clerk, reason="重复录入")
    settle(clerk, p.supplier, "400", days(-7), direction=PAYABLE)
    return {"parties": p, "hospital": hospital}


def test_a_salesperson_sees_the_money_to_collect_from_their_customers_only(
    money_book, company, client_for
) -> None:
    html = get(client_for(company.rep_a1), "dashboard-sales")
    # not due (300 + 200), 1–30 (500), 31–60 (1000), 61–90, over 90
    assert cells(html, "bucket") == ["¥500.00", "¥500.00", "¥1,000.00", "¥0.00", "¥0.00"]
    assert cells(html, "total") == ["¥2,000.00"]
    assert series(chart(html, "collect")) == nums("500", "500", "1000", "0", "0")
    hospital = money_book["hospital"]
    assert [r[0] for r in rows(html, "table-collect")] == [
        hospital[0].number,
        hospital[1].number,
        hospital[2].number,
    ]
    assert [r[3] for r in rows(html, "table-collect")] == ["¥1,000.00", "¥500.00", "¥300.00"]
    assert "逾期 2" in (element(html, "overdue-total") or "")
    assert reverse("web:receivable-detail", args=[hospital[0].pk]) in hrefs(
        element(html, "table-collect") or ""
    )
    assert "朝阳社区诊所" not in html and "上海医械经销商" not in html


def test_a_salesperson_without_crm_or_finance_permissions_sees_only_the_sales_panel(
    company, client_for
) -> None:
    seller = make_employee(company.team_a, username="seller", name="只卖货")
    seller.user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="sales", codename__in=("add_salesorder", "view_salesorder")
        )
    )
    html = get(client_for(seller), "dashboard-sales")
    assert element(html, "panel-month-sales") is not None
    for absent in ("panel-pipeline", "panel-follow-ups", "panel-collect"):
        assert element(html, absent) is None, absent


# 团队 ------------------------------------------------------------------------------------------------


def test_a_manager_sees_the_team_sales_by_person_and_department(shop, company, client_for) -> None:
    selling.put_in(shop, "100", "8.00", "L1")
    _sales(shop)
    html = get(client_for(company.manager_a), "dashboard-team")
    assert rows(html, "table-team-sales") == [["张伟", "1", "¥113.00"]]  # team A only
    assert cells(html, "team-total-amount") == ["¥113.00"]
    head = get(client_for(company.sales_head), "dashboard-team")
    assert rows(head, "table-team-sales") == [["张伟", "1", "¥113.00"], ["钱丽", "1", "¥56.50"]]
    assert rows(head, "table-team-by-department") == [
        ["终端客户部", "1", "¥113.00"],
        ["渠道部", "1", "¥56.50"],
    ]
    option = chart(head, "team-sales")
    assert option["yAxis"]["data"] == ["张伟", "钱丽"] and series(option) == nums("113", "56.5")
    link = hrefs(element(head, "table-team-sales") or "")[0]
    assert link.startswith(f"{reverse('web:report-sales')}?by=customer&owner={company.rep_a1.pk}&from=")


def test_a_manager_sees_the_approval_queue_and_customers_without_follow_up(shop, company, client_for) -> None:
    from maoyi.sales.services import orders as order_services

    selling.put_in(shop, "100", "8.00", "L1")
    waiting = selling.draft_order(shop, selling.Line(shop.product, "10", "11.30"))
    order_services.submit_order(waiting, actor=company.rep_a1)
    make_customer(company.rep_a1, "北京朝阳医院")  # never followed up: idle
    make_customer(company.rep_a2, "北京天坛医院")
    make_customer(company.rep_b1, "广州南方医院")  # team B: not manager A's
    log_activity(
        actor=company.rep_a1, customer=shop.customer, kind="call", summary="回访"
    )  # followed up today
    html = get(client_for(company.manager_a), "dashboard-team")
    assert text(element(html, "approval-count") or "") == "1"
    assert rows(html, "table-approvals")[0][0].startswith(waiting.number)
    assert reverse("web:approval-inbox") in hrefs(element(html, "panel-approvals") or "")
    assert rows(html, "table-idle") == [["陈静", "1", "1"], ["张伟", "1", "1"]]  # by pinyin on a tie
    assert text(element(html, "idle-total") or "") == "2"
    assert f"{reverse('web:customers-idle')}?days=30&owner={company.rep_a1.pk}" in hrefs(
        element(html, "table-idle") or ""
    )
    # Nobody waits on 张伟; his dashboard has no team tab.
    assert client_for(company.rep_a1).get(reverse("web:dashboard-team")).status_code == 403


def test_a_manager_sees_overdue_receivables_by_person_of_the_team_only(
    money_book, company, client_for
) -> None:
    html = get(client_for(company.manager_a), "dashboard-team")
    assert [[r[0], r[1], r[3]] for r in rows(html, "table-overdue-by-person")] == [
        ["张伟", "2", "¥1,500.00"],
        ["陈静", "1", "¥700.00"],
    ]
    assert cells(html, "overdue-total-amount") == ["¥2,200.00"]
    assert series(chart(html, "overdue-by-person")) == nums("1500", "700")
    assert f"{reverse('web:finance-aging')}?direction=receivable&owner={company.rep_a1.pk}" in hrefs(
        element(html, "table-overdue-by-person") or ""
    )
    # The administrator (scope: all) sees every team and the pool's, unowned, last.
    admin = get(client_for(company.admin), "dashboard-team")
    assert [[r[0], r[3]] for r in rows(admin, "table-overdue-by-person")] == [
        ["张伟", "¥1,500.00"],
        ["陈静", "¥700.00"],
        ["钱丽", "¥200.00"],
        ["（无负责人）", "¥400.00"],
    ]


# 财务 ------------------------------------------------------------------------------------------------


def test_finance_sees_aging_overdue_totals_and_cash_by_week(money_book, company, client_for) -> None:
    html = get(client_for(company.finance_clerk), "dashboard-finance")
    # Receivables: not due 300+200; 1–30: 500+700+200+400; 31–60: 1000. Payables: 61–90: 900.
    assert rows(html, "table-aging") == [
        ["应收", "¥500.00", "¥1,800.00", "¥1,000.00", "¥0.00", "¥0.00", "¥3,300.00", "¥2,800.00"],
        ["应付", "¥0.00", "¥0.00", "¥0.00", "¥900.00", "¥0.00", "¥900.00", "¥900.00"],
    ]
    option = chart(html, "aging")
    assert [s["name"] for s in option["series"]] == ["应收", "应付"]
    assert series(option, 1) == nums("0", "0", "0", "900", "0")
    receivables = element(html, "stat-overdue-receivable") or ""
    assert "¥2,800.00" in receivables and "逾期 5 期" in receivables
    assert f"{reverse('web:receivable-list')}?overdue=1" in hrefs(receivables)
    assert "¥900.00" in (element(html, "stat-overdue-payable") or "")
    cash = rows(html, "table-cash")
    assert len(cash) == 8
    # This week: 250 in (the reversed 60 counts for nothing); last week: 400 out; two weeks ago: 100 in.
    assert cash[7][1:] == ["¥250.00 (1)", "¥0.00 (0)", "¥250.00"]
    assert cash[6][1:] == ["¥0.00 (0)", "¥400.00 (1)", "-¥400.00"]
    assert cash[5][1:] == ["¥100.00 (1)", "¥0.00 (0)", "¥100.00"]
    assert all(r[1:] == ["¥0.00 (0)", "¥0.00 (0)", "¥0.00"] for r in cash[:5])
    assert cells(html, "total-in") == ["¥350.00"] and cells(html, "total-net") == ["-¥50.00"]
    option = chart(html, "cash")
    assert series(option, 0)[-3:] == nums("100", "0", "250") and series(option, 2)[-2:] == nums("-400", "250")
    monday = today() - dt.timedelta(days=today().weekday())
    sunday = monday + dt.timedelta(days=6)
    assert f"{reverse('web:receipt-list')}?from={monday.isoformat()}&to={sunday.isoformat()}" in hrefs(
        element(html, "table-cash") or ""
    )


# 仓储物流 ----------------------------------------------------------------------------------------------


@pytest.fixture
def depot(company):
    """One warehouse for both sides: the purchasing shop's goods, keeper and supplier, and a sales
    shop made of them."""
    bought = buying.build_shop(company)
    sold = selling.Shop(
        company=company,
        keeper=bought.keeper,
        keeper2=make_employee(company.root, "logistics", username="keeper2", name="孙浩"),
        customer=make_customer(company.rep_a1, "北京协和医院"),
        other_customer=make_customer(company.rep_b1, "上海瑞金医院"),
        product=bought.product,
        plain=bought.plain,
        warehouse=bought.warehouse,
        quality=Warehouse.objects.create(code="WH09", name="不合格品仓"),
    )
    return bought, sold


def test_logistics_sees_what_to_receive_and_ship_low_stock_and_lots_expiring(
    depot, company, client_for
) -> None:
    bought, sold = depot
    late_po = buying.approved(bought, buying.line(bought.product, "100", "11.30"), expected_date=days(-3))
    buying.approved(bought, buying.line(bought.plain, "30", "2.00"), expected_date=days(10))
    for number, expiry, quantity in (("E1", days(20), "5"), ("E2", days(75), "6"), ("E3", days(200), "50")):
        selling.put_in(sold, quantity, "8.00", number, expiry=expiry)
    late_so = selling.approved_order(sold, selling.Line(sold.product, "2", "11.30"), delivery_date=days(-2))
    selling.approved_order(sold, selling.Line(sold.product, "1", "11.30"))
    Product.objects.filter(pk=bought.plain.pk).update(min_stock=D("50"))
    Product.objects.filter(pk=bought.product.pk).update(min_stock=D("10"))  # 61 on hand: not low
    html = get(client_for(bought.keeper), "dashboard-logistics")
    assert rows(html, "table-queues") == [["待入库", "1", "2"], ["待发货", "1", "2"]]
    option = chart(html, "queues")
    assert series(option, 0) == nums("1", "1") and series(option, 1) == nums("1", "1")
    assert rows(html, "table-to-receive")[0][0] == late_po.number
    assert "逾期" in rows(html, "table-to-receive")[0][2]
    assert rows(html, "table-to-ship")[0][0] == late_so.number
    assert reverse("web:sales-order-detail", args=[late_so.pk]) in hrefs(element(html, "table-to-ship") or "")
    assert rows(html, "table-low-stock") == [[f"{bought.plain.code} 包装箱", "0", "30", "50", "50 个"]]
    assert series(chart(html, "low-stock"), 1) == nums("30")
    assert cells(html, "bucket") == ["1", "0", "1"]
    assert [r[1] for r in rows(html, "table-expiring")] == ["E1", "E2"]
    assert [r[3] for r in rows(html, "table-expiring")] == ["20", "75"]
    assert f"{reverse('web:lot-list')}?state=expiring&days=90" in hrefs(element(html, "panel-expiring") or "")
    # A purchaser may not open it; a keeper without lots permission sees the queues only.
    assert client_for(company.purchaser).get(reverse("web:dashboard-logistics")).status_code == 403


# 采购 ------------------------------------------------------------------------------------------------


def test_purchasing_sees_incoming_by_week_and_the_price_trend_of_its_top_products(
    company, client_for
) -> None:
    shop = buying.build_shop(company)
    late = buying.approved(shop, buying.line(shop.product, "100", "11.30"), expected_date=days(-3))
    soon = buying.approved(
        shop,
        buying.line(shop.product, "50", "12.00"),
        buying.line(shop.plain, "10", "2.00"),
        expected_date=days(10),
    )
    buying.receive(shop, soon, "20")  # 30 of 50 still to come
    last_month = buying.approved(shop, buying.line(shop.product, "10", "10.00"), expected_date=days(-40))
    buying.receive(shop, last_month, "10")
    first = today().replace(day=1)
    approved_at = timezone.make_aware(dt.datetime.combine(first - dt.timedelta(days=3), dt.time(10)))
    PurchaseOrder.objects.filter(pk=last_month.pk).update(approved_at=approved_at)
    buying.draft(shop, buying.line(shop.plain, "1000", "9.00"))  # a draft: neither incoming nor bought
    html = get(client_for(company.purchaser), "dashboard-purchasing")
    incoming = rows(html, "table-incoming")
    assert len(incoming) == 9
    assert incoming[0][:3] == ["已逾期", "1", "¥1,130.00"] and incoming[0][3] == late.number
    week = (today().weekday() + 10) // 7
    assert incoming[1 + week][1:] == ["2", "¥380.00", soon.number]  # 30 × 12.00 + 10 × 2.00
    assert sum(1 for r in incoming if r[1] != "0") == 2
    assert text(element(html, "incoming-total") or "") == "¥1,510.00"
    assert series(chart(html, "incoming"))[0] == D("1130")
    trend = rows(html, "table-price-trend")
    # ZS001: this month (1130 + 600) / 150 = 11.5333; last month 10.00; bought 1830.00. PJ001: 2.00.
    assert trend[0][0] == f"{shop.product.code} 一次性使用无菌注射器"
    assert trend[0][-3:] == ["10", "11.5333", "¥1,830.00"]
    assert trend[0][1:5] == ["—"] * 4
    assert trend[1][-3:] == ["—", "2", "¥20.00"]
    option = chart(html, "price-trend")
    assert [s["name"] for s in option["series"]] == [
        f"{shop.product.code} 一次性使用无菌注射器",
        f"{shop.plain.code} 包装箱",
    ]
    assert series(option, 0)[-2:] == nums("10", "11.5333") and series(option, 0)[0] == "-"
    assert reverse("web:quote-history", args=[shop.product.pk]) in hrefs(
        element(html, "table-price-trend") or ""
    )
    assert reverse("web:purchase-order-detail", args=[late.pk]) in hrefs(
        element(html, "table-incoming") or ""
    )


def test_a_dashboard_renders_in_english(shop, company, client_for) -> None:
    client = client_for(company.manager_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = get(client, "dashboard-team")
    assert '<html lang="en">' in html
    for chinese in ("待我审批", "销售统计", "业务员", "订单数", "金额（含税）", ">负责人<", ">从未跟进<"):
        assert chinese not in html, chinese
