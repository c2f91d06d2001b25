"""Fixtures shared by the whole suite: a small company (the demo's shape) with one employee per
role, named after what they are in the data-scope matrix."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from maoyi.org.models import Department, Employee
from tests.factories import PASSWORD, make_department, make_employee

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

IS_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set MAOYI_TEST_DATABASE_URL)")
    chromium = shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    skip_browser = pytest.mark.skip(reason="Debian's chromium is not installed (.ci/run installs it)")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not chromium and not os.environ.get("CI"):
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Every test starts in the default language: a request made in English by an earlier test
    leaves English active in the thread (the locale middleware activates and never resets it)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@dataclass
class Company:
    root: Department
    sales: Department
    team_a: Department
    team_b: Department
    purchasing: Department
    finance: Department
    admin: Employee
    sales_head: Employee  # manager of the sales department (sees both teams)
    manager_a: Employee  # manager of team A
    rep_a1: Employee
    rep_a2: Employee
    rep_b1: Employee
    assistant_a: Employee  # sales assistant in team A
    purchaser: Employee
    finance_clerk: Employee

    @property
    def everyone(self) -> list[Employee]:
        return [
            self.admin,
            self.sales_head,
            self.manager_a,
            self.rep_a1,
            self.rep_a2,
            self.rep_b1,
            self.assistant_a,
            self.purchaser,
            self.finance_clerk,
        ]


def build_company() -> Company:
    root = make_department("测试公司")
    sales = make_department("业务部", root)
    team_a = make_department("终端客户部", sales)
    team_b = make_department("渠道部", sales)
    purchasing = make_department("采购部", root)
    finance = make_department("财务部", root)
    return Company(
        root=root,
        sales=sales,
        team_a=team_a,
        team_b=team_b,
        purchasing=purchasing,
        finance=finance,
        admin=make_employee(root, "admin", username="admin", name="管理员"),
        sales_head=make_employee(sales, "manager", username="head", name="王经理", is_manager=True),
        manager_a=make_employee(
            team_a, "manager", "salesperson", username="mgr_a", name="李经理", is_manager=True
        ),
        rep_a1=make_employee(team_a, "salesperson", username="rep_a1", name="张伟"),
        rep_a2=make_employee(team_a, "salesperson", username="rep_a2", name="陈静"),
        rep_b1=make_employee(team_b, "salesperson", username="rep_b1", name="钱丽"),
        assistant_a=make_employee(team_a, "sales_assistant", username="asst_a", name="林雪"),
        purchaser=make_employee(purchasing, "purchaser", username="buyer", name="马丽"),
        finance_clerk=make_employee(finance, "finance", username="fin", name="徐婷"),
    )


@pytest.fixture
def company(db: None) -> Company:
    return build_company()


@pytest.fixture
def client_for(client: Client):
    """A logged-in Django test client for an employee."""

    def login(employee: Employee) -> Client:
        fresh = Client()
        fresh.force_login(employee.user)
        return fresh

    return login


@pytest.fixture
def password() -> str:
    return PASSWORD
