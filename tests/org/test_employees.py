"""Employees: creation with a login user and pinyin initials, unique user names, and leaving (离职),
after which nothing of theirs works any more (R11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError
from maoyi.org import services as org
from maoyi.org.models import Employee, EmployeeStatus
from tests.conftest import Company
from tests.factories import PASSWORD, role

User = get_user_model()


def entries_for(obj: Employee) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


def row_counts() -> tuple[int, int, int]:
    return User.objects.count(), Employee.objects.count(), AuditEntry.objects.count()


def test_creating_an_employee_stores_pinyin_initials_user_and_role_groups(company: Company) -> None:
    employee = org.create_employee(
        actor=company.admin,
        username=" zhangwei ",
        password="Long-enough-pass-2026",
        name="张伟",
        department=company.team_b,
        roles=[role("salesperson")],
        mobile="13800000000",
    )

    employee.refresh_from_db()
    assert employee.pinyin == "zw"
    assert employee.status == EmployeeStatus.ACTIVE
    assert employee.user.username == "zhangwei"
    assert employee.user.check_password("Long-enough-pass-2026")
    assert list(employee.user.groups.values_list("name", flat=True)) == ["role:salesperson"]
    entry = entries_for(employee).get()
    assert (entry.action, entry.actor) == ("create", company.admin.user)
    assert entry.changes["name"] == [None, "张伟"]
    assert entry.changes["department"] == [None, "渠道部"]
    assert entry.changes["roles"] == [None, ["业务员"]]


def test_pinyin_initials_are_computed_from_the_name(company: Company) -> None:
    for n, (name, initials) in enumerate([("张伟", "zw"), ("北京协和医院", "bjxhyy"), ("Li 雷", "ll")]):
        employee = org.create_employee(
            actor=None,
            username=f"py{n}",
            password="x",
            name=name,
            department=company.root,
            roles=[],
            validate=False,
        )
        assert employee.pinyin == initials
    assert company.rep_a1.pinyin == "zw"


def test_a_user_name_already_taken_in_any_case_is_refused(company: Company) -> None:
    before = row_counts()

    for username in ("rep_a1", "REP_A1", "Rep_A1", " rep_a1 "):
        with pytest.raises(DomainError) as refused:
            org.create_employee(
                actor=None,
                username=username,
                password=PASSWORD,
                name="重名",
                department=company.team_a,
                roles=[],
                validate=False,
            )

        assert refused.value.code == "duplicate"
        assert refused.value.message == f"登录名“{username.strip()}”已被使用。"
        assert row_counts() == before


def test_a_weak_password_is_refused_when_validated(company: Company) -> None:
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.create_employee(
            actor=None, username="weak", password="123", name="弱密码", department=company.team_a, roles=[]
        )

    assert refused.value.code == "invalid"
    assert refused.value.field == "password"
    assert row_counts() == before


def test_an_employee_without_the_permission_cannot_create_employees(company: Company) -> None:
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.create_employee(
            actor=company.rep_a1,
            username="sneaky",
            password=PASSWORD,
            name="越权",
            department=company.team_a,
            roles=[role("admin")],
            validate=False,
        )

    assert (refused.value.code, refused.value.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert row_counts() == before


def test_leaving_disables_the_user_deletes_tokens_ends_sessions_and_records_the_handover(
    company: Company, client_for
) -> None:
    leaver = company.rep_a1
    token = Token.objects.create(user=leaver.user)
    browser: Client = client_for(leaver)
    assert browser.get("/").status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/employees/").status_code != 401

    org.leave_employee(leaver, actor=company.admin, handover_to=company.rep_a2, left_on=dt.date(2026, 11, 27))

    leaver.refresh_from_db()
    leaver.user.refresh_from_db()
    assert leaver.status == EmployeeStatus.LEFT
    assert leaver.left_on == dt.date(2026, 11, 27)
    assert leaver.handed_over_to == company.rep_a2
    assert leaver.user.is_active is False
    assert not Token.objects.filter(user=leaver.user).exists()
    response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    assert api.get("/api/v1/employees/").status_code == 401
    entry = entries_for(leaver).get(action="leave")
    assert entry.actor == company.admin.user
    assert entry.changes == {
        "status": ["在职", "离职"],
        "left_on": [None, "2026-11-27"],
        "handed_over_to": [None, "陈静"],
    }


def test_leaving_without_a_date_records_today_and_drops_the_manager_flag(company: Company) -> None:
    org.leave_employee(company.manager_a, actor=None, handover_to=company.rep_a1)

    company.manager_a.refresh_from_db()
    assert company.manager_a.left_on == timezone.localdate()
    assert company.manager_a.is_manager is False


def test_leaving_twice_is_refused_and_changes_nothing(company: Company) -> None:
    org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_a2)
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_b1)

    assert refused.value.code == "invalid_state"
    assert refused.value.message == "张伟 已经离职。"
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.handed_over_to == company.rep_a2
    assert row_counts() == before


@pytest.mark.parametrize("handover", ["self", "left"])
def test_handing_over_to_oneself_or_to_a_left_colleague_is_refused(company: Company, handover: str) -> None:
    if handover == "left":
        org.leave_employee(company.rep_a2, actor=None, handover_to=company.manager_a)
        company.rep_a2.refresh_from_db()
    target = company.rep_a1 if handover == "self" else company.rep_a2
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.leave_employee(company.rep_a1, actor=None, handover_to=target)

    assert refused.value.code == "invalid"
    assert refused.value.message == "请选择一位在职的其他员工作为交接人。"
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.ACTIVE
    assert company.rep_a1.user.is_active
    assert row_counts() == before


def test_an_administrator_cannot_process_their_own_leaving(company: Company) -> None:
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.leave_employee(company.admin, actor=company.admin, handover_to=company.sales_head)

    assert (refused.value.code, refused.value.message) == ("invalid", "不能给自己办理离职。")
    company.admin.refresh_from_db()
    assert company.admin.status == EmployeeStatus.ACTIVE
    assert row_counts() == before


def test_an_administrator_cannot_drop_their_own_admin_role(company: Company) -> None:
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        org.update_employee(
            company.admin,
            actor=company.admin,
            name="管理员",
            department=company.root,
            roles=[role("finance")],
        )

    assert (refused.value.code, refused.value.message) == ("invalid", "不能取消自己的管理员角色。")
    assert list(company.admin.roles.values_list("code", flat=True)) == ["admin"]
    assert row_counts() == before


def test_updating_an_employee_records_the_changes_and_syncs_groups(company: Company) -> None:
    org.update_employee(
        company.rep_b1,
        actor=company.admin,
        name="钱丽",
        department=company.team_a,
        roles=[role("salesperson"), role("sales_assistant")],
        title="高级业务员",
    )

    company.rep_b1.refresh_from_db()
    assert company.rep_b1.department == company.team_a
    assert set(company.rep_b1.user.groups.values_list("name", flat=True)) == {
        "role:salesperson",
        "role:sales_assistant",
    }
    entry = entries_for(company.rep_b1).get(action="update")
    assert entry.changes == {
        "department": ["渠道部", "终端客户部"],
        "title": ["", "高级业务员"],
        "roles": [["业务员"], ["业务助理", "业务员"]],
    }


def test_changing_ones_own_password_needs_the_old_one(company: Company) -> None:
    entries = AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        org.change_own_password(company.rep_a1, old_password="wrong", new_password="New-pass-2026-x")

    assert (refused.value.code, refused.value.message) == ("invalid", "原密码不正确。")
    company.rep_a1.user.refresh_from_db()
    assert company.rep_a1.user.check_password(PASSWORD)
    assert AuditEntry.objects.count() == entries

    org.change_own_password(company.rep_a1, old_password=PASSWORD, new_password="New-pass-2026-x")
    company.rep_a1.user.refresh_from_db()
    assert company.rep_a1.user.check_password("New-pass-2026-x")
    assert entries_for(company.rep_a1).filter(action="change_password").count() == 1


def test_granting_defaults_adds_what_a_built_in_role_lacks_and_removes_nothing(company) -> None:
    from django.contrib.auth.models import Permission

    from maoyi.audit.models import AuditEntry
    from maoyi.org.models import Role
    from maoyi.org.roles import BUILT_IN_ROLES
    from maoyi.org.services import grant_default_permissions

    salesperson = Role.objects.get(code="salesperson")
    extra = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    product = Permission.objects.get(content_type__app_label="catalog", codename="view_product")
    salesperson.group.permissions.remove(product)
    salesperson.group.permissions.add(extra)

    granted = grant_default_permissions()

    assert granted == {"salesperson": ["view_product"]}
    defaults = next(d for d in BUILT_IN_ROLES if d.code == "salesperson").permissions
    assert set(salesperson.group.permissions.values_list("codename", flat=True)) == {
        *(code.split(".")[1] for code in defaults),
        "view_user",
    }
    assert {"view_product", "view_customer", "view_receivable"} <= {code.split(".")[1] for code in defaults}
    entry = AuditEntry.objects.filter(note="grantdefaults").get()
    assert entry.changes == {"permissions": [None, ["view_product"]]}
    assert grant_default_permissions() == {}
