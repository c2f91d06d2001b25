"""The page frame: each demo role sees only its modules, every page but login needs a session, and
the approval count is on every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from maoyi.demo.company import ACCOUNTS, load_company
from maoyi.org.models import Employee

pytestmark = pytest.mark.django_db

ORDER = [
    "工作台",
    "仪表盘",
    "审批",
    "客户",
    "销售",
    "采购",
    "商品",
    "库存",
    "财务",
    "报表",
    "组织架构",
    "系统设置",
]
# 仪表盘: everyone (it opens the dashboard their permissions allow); 报表: everyone sees stock (库存报表).
BASE = {"工作台", "仪表盘", "审批", "商品", "库存", "报表"}
# What each built-in role adds to the modules everyone has (工作台, 审批, 商品, 库存).
ROLE_MODULES = {
    "admin": {"客户", "销售", "采购", "财务", "组织架构", "系统设置"},
    "manager": {"客户", "销售", "采购", "财务", "组织架构", "系统设置"},  # 系统设置: the public pool's rules
    "salesperson": {"客户", "销售", "财务"},
    "sales_assistant": {"客户", "销售", "财务"},
    "purchaser": {"采购", "财务"},
    "logistics": {"销售", "采购"},  # 待发货, 发货单, 待收退货
    "finance": {"客户", "销售", "采购", "财务"},
}


def expected_modules(roles: tuple[str, ...]) -> list[str]:
    wanted = BASE.union(*(ROLE_MODULES[code] for code in roles))
    return [module for module in ORDER if module in wanted]


def sidebar_modules(html: str) -> list[str]:
    sidebar = html.split('data-testid="sidebar"', 1)[1].split("</ul>\n      </div>", 1)[0]
    titles = re.findall(r'<span class="nav-link-title">([^<]+)</span>', sidebar)
    return [t.strip() for t in titles]


def test_every_demo_role_sees_exactly_its_modules_in_the_sidebar() -> None:
    load_company()
    seen = {}
    for account in ACCOUNTS:
        client = Client()
        client.force_login(Employee.objects.get(user__username=account.username).user)
        response = client.get(reverse("web:home"))
        assert response.status_code == 200
        seen[account.username] = sidebar_modules(response.content.decode())
    assert seen == {a.username: expected_modules(a.roles) for a in ACCOUNTS}


def test_the_organisation_module_shows_a_manager_departments_and_employees_but_not_roles() -> None:
    load_company()
    client = Client()
    client.force_login(Employee.objects.get(user__username="liming").user)
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("web:employee-list") in html
    assert reverse("web:department-list") in html
    assert reverse("web:role-list") not in html
    assert client.get(reverse("web:role-list")).status_code == 403


@pytest.mark.parametrize("url_name", ["web:home", "web:approval-inbox", "web:employee-list", "web:audit-log"])
def test_every_page_but_login_sends_an_anonymous_visitor_to_the_login_page(url_name: str) -> None:
    url = reverse(url_name)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


def test_the_login_page_is_chinese_by_default_even_for_an_english_browser() -> None:
    response = Client().get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "登录账号" in html


def test_the_language_switch_turns_the_pages_english(company, client_for) -> None:
    client = client_for(company.rep_a1)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in html
    assert sidebar_modules(html) == [
        "Home",
        "Dashboards",
        "Approvals",
        "Customers",
        "Sales",
        "Products",
        "Stock",
        "Finance",
        "Reports",
    ]


def sidebar_pages(html: str, module: str) -> list[str]:
    sidebar = html.split('data-testid="sidebar"', 1)[1]
    block = sidebar.split(f'<span class="nav-link-title">{module}</span>', 1)[1].split("</ul>", 1)[0]
    return [t.strip() for t in re.findall(r'<a class="nav-link py-1" href="[^"]+">([^<]+)</a>', block)]


def test_the_stock_pages_follow_the_role() -> None:
    load_company()
    pages = {}
    for username in ("zhangwei", "luyang", "xuting"):
        client = Client()
        client.force_login(Employee.objects.get(user__username=username).user)
        pages[username] = sidebar_pages(client.get(reverse("web:home")).content.decode(), "库存")
    assert pages["zhangwei"] == ["库存查询", "库存余额"]
    assert pages["luyang"] == [
        "库存查询",
        "库存余额",
        "库存流水",
        "批次效期",
        "低库存",
        "期初库存",
        "导入期初库存",
        "盘点",
        "调拨",
    ]
    assert pages["xuting"] == ["库存查询", "库存余额", "库存流水", "批次效期", "低库存"]


def test_only_the_most_specific_sidebar_page_is_current(company) -> None:
    from maoyi.web.nav import sidebar
    from tests.factories import make_employee

    keeper = make_employee(company.root, "logistics", username="keeper")
    # /purchasing/orders/to-receive/ also starts with 采购订单's /purchasing/orders/.
    entries = sidebar(keeper.user, reverse("web:purchase-to-receive"))
    current = [str(p["label"]) for m in entries for p in m["pages"] if p["active"]]
    assert current == ["待入库"]
    assert [m["key"] for m in entries if m["active"]] == ["purchasing"]


def test_a_page_needing_two_permissions_is_listed_only_to_who_has_both(company, client_for) -> None:
    """毛利分析 needs the sales orders and the cost of goods: a manager has both, a purchaser (who
    sees costs but not sales orders) and a salesperson (the other way round) do not."""
    url = reverse("web:report-profit")
    assert url in client_for(company.manager_a).get(reverse("web:home")).content.decode()
    for employee in (company.purchaser, company.rep_a1):
        assert url not in client_for(employee).get(reverse("web:home")).content.decode()
        assert client_for(employee).get(url).status_code == 403
