"""The organisation pages: departments, employees and roles, as the administrator, a manager and a
salesperson see them. A missing permission answers 403; a record outside the data scope 404."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.audit.models import AuditEntry
from maoyi.org.models import Department, Employee, EmployeeStatus, LoginThrottle, Role
from tests.factories import make_employee, role

NEW_PASSWORD = "Neu-Passwort-2026!"


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    """The employees a list page shows, in order."""
    return re.findall(r'data-testid="employee-link">([^<]+)<', text(response))


def audit_entries(obj, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model=obj._meta.model_name, object_id=str(obj.pk), action=action
        ).order_by("id")
    )


# Departments ---------------------------------------------------------------------------------------


def test_the_department_tree_renders_for_the_admin_indented_with_counts_and_flags(company, client_for):
    response = client_for(company.admin).get(reverse("web:department-list"))
    page = text(response)
    assert response.status_code == 200
    assert "部门" in page and "新建部门" in page
    assert page.index("测试公司") < page.index("业务部") < page.index("终端客户部") < page.index("采购部")
    # 终端客户部 sits two levels below the root: two indents before its name
    row = re.search(r"<tr>((?:(?!</tr>).)*终端客户部(?:(?!</tr>).)*)</tr>", page, re.S).group(1)
    assert row.count('class="tree-indent"') == 2
    assert '<td class="text-end">4</td>' in row  # 李经理, 张伟, 陈静, 林雪
    assert "启用" in row


def test_the_department_search_finds_by_name(company, client_for):
    page = text(client_for(company.admin).get(reverse("web:department-list"), {"q": "渠道"}))
    assert "渠道部" in page
    assert "采购部" not in page


def test_a_salesperson_is_refused_every_department_page(company, client_for):
    client = client_for(company.rep_a1)
    assert client.get(reverse("web:department-list")).status_code == 403
    assert client.get(reverse("web:department-detail", args=[company.team_a.pk])).status_code == 403
    assert client.get(reverse("web:department-create")).status_code == 403
    assert client.post(reverse("web:department-create"), {"name": "新部门"}).status_code == 403
    assert client.get(reverse("web:department-edit", args=[company.team_a.pk])).status_code == 403
    assert not Department.objects.filter(name="新部门").exists()


def test_a_manager_sees_only_their_department_subtree_and_gets_404_outside_it(company, client_for):
    client = client_for(company.manager_a)
    page = text(client.get(reverse("web:department-list")))
    assert "终端客户部" in page
    assert "渠道部" not in page and "采购部" not in page
    assert "新建部门" not in page and "编辑" not in page
    assert client.get(reverse("web:department-detail", args=[company.team_a.pk])).status_code == 200
    assert client.get(reverse("web:department-detail", args=[company.team_b.pk])).status_code == 404
    assert client.get(reverse("web:department-detail", args=[99999])).status_code == 404


def test_the_department_detail_shows_sub_departments_members_attachments_and_history(company, client_for):
    client = client_for(company.admin)
    url = reverse("web:department-detail", args=[company.sales.pk])
    page = text(client.get(url))
    assert "下级部门" in page and "终端客户部" in page and "渠道部" in page
    assert "王经理" in page  # the one employee directly in 业务部
    assert "张伟" not in page  # in a sub-department
    assert "附件" in page and "操作日志" in page
    attachments = text(client.get(url, {"tab": "attachments"}))
    assert 'data-testid="attachments"' in attachments and "还没有附件。" in attachments
    assert "/attachments/upload/" in attachments
    history = text(client.get(url, {"tab": "history"}))
    assert 'data-testid="history"' in history and "创建" in history


def test_creating_a_department_saves_it_and_writes_an_audit_entry(company, client_for):
    client = client_for(company.admin)
    form = text(client.get(reverse("web:department-create"), {"parent": company.sales.pk}))
    assert "上级部门" in form and "csrfmiddlewaretoken" in form
    response = client.post(
        reverse("web:department-create"),
        {"name": "医疗系统发展部", "name_en": "Hospitals", "parent": company.sales.pk, "sort_order": "3"},
    )
    dept = Department.objects.get(name="医疗系统发展部")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:department-detail", args=[dept.pk])
    assert dept.parent == company.sales and dept.path == f"{company.sales.path}{dept.pk}/"
    assert dept.sort_order == 3
    [entry] = audit_entries(dept, "create")
    assert entry.actor == company.admin.user
    assert entry.changes["name"] == [None, "医疗系统发展部"]
    assert entry.changes["parent"] == [None, "业务部"]
    followed = text(client.get(response["Location"]))
    assert "已创建部门“医疗系统发展部”。" in followed


def test_editing_a_department_changes_it_and_records_old_and_new_values(company, client_for):
    client = client_for(company.admin)
    response = client.post(
        reverse("web:department-edit", args=[company.team_b.pk]),
        {
            "version": "1",
            "name": "渠道发展部",
            "name_en": "",
            "parent": company.root.pk,
            "sort_order": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    company.team_b.refresh_from_db()
    assert company.team_b.name == "渠道发展部"
    assert company.team_b.path == f"{company.root.path}{company.team_b.pk}/"
    [entry] = audit_entries(company.team_b, "update")
    assert entry.changes == {"name": ["渠道部", "渠道发展部"], "parent": ["业务部", "测试公司"]}


def test_moving_a_department_under_its_own_child_is_refused_and_changes_nothing(company, client_for):
    client = client_for(company.admin)
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("web:department-edit", args=[company.sales.pk]),
        {"name": "业务部", "parent": company.team_a.pk, "sort_order": "0", "is_active": "on", "version": "1"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "不能把部门移到它自己或它的下级部门之下。" in page
    assert re.search(r'id="id_parent_group".*?不能把部门移到它自己', page, re.S)  # on the field
    company.sales.refresh_from_db()
    assert company.sales.parent == company.root
    assert company.sales.path == f"{company.root.path}{company.sales.pk}/"
    assert AuditEntry.objects.count() == before


def test_a_duplicate_department_name_under_the_same_parent_is_refused(company, client_for):
    client = client_for(company.admin)
    count = Department.objects.count()
    response = client.post(reverse("web:department-create"), {"name": "渠道部", "parent": company.sales.pk})
    assert response.status_code == 400
    assert "同一上级下已有名为“渠道部”的部门。" in text(response)
    assert Department.objects.count() == count


def test_switching_off_a_department_with_active_employees_is_refused(company, client_for):
    client = client_for(company.admin)
    response = client.post(
        reverse("web:department-edit", args=[company.team_a.pk]),
        {"name": "终端客户部", "parent": company.sales.pk, "sort_order": "0", "version": "1"},
    )
    assert response.status_code == 400
    assert "部门（或其下级部门）还有在职员工，不能停用。" in text(response)
    company.team_a.refresh_from_db()
    assert company.team_a.is_active


# Employees -----------------------------------------------------------------------------------------


def test_the_employee_list_renders_for_the_admin(company, client_for):
    response = client_for(company.admin).get(reverse("web:employee-list"))
    page = text(response)
    assert response.status_code == 200
    assert "员工" in page and "添加员工" in page
    for employee in company.everyone:
        assert employee.name in page
    assert "共 9 条" in page


def test_a_salesperson_is_refused_every_employee_page(company, client_for):
    client = client_for(company.rep_a1)
    pk = company.rep_a2.pk
    assert client.get(reverse("web:employee-list")).status_code == 403
    assert client.get(reverse("web:employee-detail", args=[pk])).status_code == 403
    assert client.get(reverse("web:employee-create")).status_code == 403
    assert client.get(reverse("web:employee-edit", args=[pk])).status_code == 403
    assert client.get(reverse("web:employee-leave", args=[pk])).status_code == 403
    assert client.post(reverse("web:employee-password", args=[pk]), {}).status_code == 403
    assert client.post(reverse("web:employee-unlock", args=[pk])).status_code == 403


def test_a_manager_sees_only_employees_of_their_department_subtree(company, client_for):
    client = client_for(company.manager_a)
    names = listed(client.get(reverse("web:employee-list")))
    assert sorted(names) == sorted(["李经理", "张伟", "陈静", "林雪"])
    assert "钱丽" not in names  # rep_b1, in the sister team
    assert client.get(reverse("web:employee-detail", args=[company.rep_a1.pk])).status_code == 200
    assert client.get(reverse("web:employee-detail", args=[company.rep_b1.pk])).status_code == 404


def test_a_manager_without_change_permission_sees_no_buttons_and_is_refused_server_side(company, client_for):
    client = client_for(company.manager_a)
    page = text(client.get(reverse("web:employee-detail", args=[company.rep_a1.pk])))
    assert "张伟" in page
    for label in ("编辑", "重置密码", "办理离职", "添加员工"):
        assert label not in page
    assert client.get(reverse("web:employee-edit", args=[company.rep_a1.pk])).status_code == 403
    response = client.post(
        reverse("web:employee-leave", args=[company.rep_a1.pk]),
        {"handover_to": company.rep_a2.pk, "confirm": "on"},
    )
    assert response.status_code == 403
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.ACTIVE


def test_searching_employees_by_pinyin_initials_finds_them(company, client_for):
    client = client_for(company.admin)
    assert listed(client.get(reverse("web:employee-list"), {"q": "zw"})) == ["张伟"]
    assert listed(client.get(reverse("web:employee-list"), {"q": "ZW"})) == ["张伟"]


def test_searching_employees_by_user_name_and_mobile(company, client_for):
    client = client_for(company.admin)
    assert listed(client.get(reverse("web:employee-list"), {"q": "rep_b"})) == ["钱丽"]
    make_employee(company.finance, username="cashier", name="周敏")
    Employee.objects.filter(name="周敏").update(mobile="13912345678")
    assert listed(client.get(reverse("web:employee-list"), {"q": "1391234"})) == ["周敏"]


def test_filtering_by_department_includes_its_sub_departments(company, client_for):
    names = listed(
        client_for(company.admin).get(reverse("web:employee-list"), {"department": company.sales.pk})
    )
    assert sorted(names) == sorted(["王经理", "李经理", "张伟", "陈静", "钱丽", "林雪"])


def test_filtering_by_status_and_role(company, client_for):
    client = client_for(company.admin)
    Employee.objects.filter(pk=company.rep_a2.pk).update(status=EmployeeStatus.LEFT)
    assert "陈静" not in listed(client.get(reverse("web:employee-list")))  # the list opens on 在职
    assert listed(client.get(reverse("web:employee-list"), {"status": "left"})) == ["陈静"]
    assert len(listed(client.get(reverse("web:employee-list"), {"status": "all"}))) == 9
    assert listed(client.get(reverse("web:employee-list"), {"role": "purchaser"})) == ["马丽"]


def test_the_employee_list_sorts_and_pages(company, client_for):
    for n in range(15):
        make_employee(company.finance, username=f"clerk{n:02d}", name=f"会计{n:02d}")
    client = client_for(company.admin)
    first = text(client.get(reverse("web:employee-list"), {"o": "name"}))
    assert "共 24 条" in first and "1 / 2" in first
    assert 'href="?o=-name"' in first  # the name header now sorts descending
    second = text(client.get(reverse("web:employee-list"), {"o": "name", "page": "2"}))
    assert "2 / 2" in second
    names_first = listed(client.get(reverse("web:employee-list"), {"o": "name"}))
    names_second = listed(client.get(reverse("web:employee-list"), {"o": "name", "page": "2"}))
    assert len(names_first) == 20 and len(names_second) == 4
    assert not set(names_first) & set(names_second)
    assert len(listed(client.get(reverse("web:employee-list"), {"per_page": "50"}))) == 24
    descending = listed(client.get(reverse("web:employee-list"), {"o": "-name", "per_page": "50"}))
    assert descending == list(reversed(names_first + names_second))


def test_an_empty_employee_search_says_so(company, client_for):
    page = text(client_for(company.admin).get(reverse("web:employee-list"), {"q": "没有这个人"}))
    assert "没有符合条件的员工。" in page


def test_the_employee_detail_has_info_roles_attachments_and_history_tabs(company, client_for):
    client = client_for(company.admin)
    url = reverse("web:employee-detail", args=[company.manager_a.pk])
    page = text(client.get(url))
    for label in (
        "基本信息",
        "角色",
        "附件",
        "操作日志",
        "mgr_a",
        "终端客户部",
        "编辑",
        "重置密码",
        "办理离职",
    ):
        assert label in page
    roles = text(client.get(url, {"tab": "roles"}))
    assert "部门经理" in roles and "业务员" in roles and "本部门（含下级部门）" in roles
    assert "还没有附件。" in text(client.get(url, {"tab": "attachments"}))
    assert "创建" in text(client.get(url, {"tab": "history"}))


def test_creating_an_employee_makes_a_login_and_writes_an_audit_entry(company, client_for):
    client = client_for(company.admin)
    form = text(client.get(reverse("web:employee-create")))
    assert "登录名" in form and "初始密码" in form and 'type="checkbox" name="roles"' in form
    response = client.post(
        reverse("web:employee-create"),
        {
            "username": "sunhao",
            "password": NEW_PASSWORD,
            "name": "孙浩",
            "department": company.team_b.pk,
            "title": "渠道专员",
            "mobile": "13800000099",
            "email": "sunhao@example.com",
            "roles": [role("salesperson").pk],
        },
    )
    assert response.status_code == 302
    employee = Employee.objects.get(user__username="sunhao")
    assert response["Location"] == reverse("web:employee-detail", args=[employee.pk])
    assert employee.name == "孙浩" and employee.pinyin == "sh" and employee.department == company.team_b
    assert employee.user.check_password(NEW_PASSWORD)
    assert [r.code for r in employee.roles.all()] == ["salesperson"]
    [entry] = audit_entries(employee, "create")
    assert entry.changes["name"] == [None, "孙浩"]
    assert entry.changes["department"] == [None, "渠道部"]
    assert entry.changes["roles"] == [None, ["业务员"]]


def test_a_duplicate_user_name_is_refused_and_changes_nothing(company, client_for):
    client = client_for(company.admin)
    count = Employee.objects.count()
    response = client.post(
        reverse("web:employee-create"),
        {"username": "rep_a1", "password": NEW_PASSWORD, "name": "张伟二", "department": company.team_a.pk},
    )
    assert response.status_code == 400
    page = text(response)
    assert "登录名“rep_a1”已被使用。" in page
    assert re.search(r'id="id_username_group".*?已被使用', page, re.S)
    assert Employee.objects.count() == count
    assert not Employee.objects.filter(name="张伟二").exists()


def test_a_weak_initial_password_is_refused_on_the_password_field(company, client_for):
    response = client_for(company.admin).post(
        reverse("web:employee-create"),
        {"username": "newbie", "password": "123", "name": "新人", "department": company.team_a.pk},
    )
    assert response.status_code == 400
    assert re.search(r'id="id_password_group".*?invalid-feedback', text(response), re.S)
    assert not Employee.objects.filter(user__username="newbie").exists()


def test_editing_an_employee_changes_the_record_and_records_old_and_new_values(company, client_for):
    client = client_for(company.admin)
    url = reverse("web:employee-edit", args=[company.rep_a1.pk])
    form = text(client.get(url))
    assert 'value="张伟"' in form and "登录名" not in form
    response = client.post(
        url,
        {
            "version": "1",
            "name": "张伟",
            "department": company.team_b.pk,
            "title": "高级业务员",
            "mobile": "",
            "email": "",
            "roles": [role("salesperson").pk, role("sales_assistant").pk],
        },
    )
    assert response.status_code == 302
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.department == company.team_b and company.rep_a1.title == "高级业务员"
    [entry] = audit_entries(company.rep_a1, "update")
    assert entry.changes["department"] == ["终端客户部", "渠道部"]
    assert entry.changes["title"] == ["", "高级业务员"]
    assert entry.changes["roles"] == [["业务员"], ["业务助理", "业务员"]]


def test_leaving_makes_the_user_inactive_and_records_the_handover(company, client_for):
    client = client_for(company.admin)
    url = reverse("web:employee-leave", args=[company.rep_a1.pk])
    form = text(client.get(url))
    assert "交接人" in form and "我已确认" in form
    assert f'value="{company.rep_a1.pk}"' not in form  # not their own handover colleague
    response = client.post(url, {"handover_to": company.rep_a2.pk, "confirm": "on"})
    assert response.status_code == 302
    company.rep_a1.refresh_from_db()
    company.rep_a1.user.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.LEFT
    assert company.rep_a1.handed_over_to == company.rep_a2
    assert company.rep_a1.user.is_active is False
    [entry] = audit_entries(company.rep_a1, "leave")
    assert entry.changes["status"] == ["在职", "离职"]
    assert entry.changes["handed_over_to"] == [None, "陈静"]
    assert "张伟 已办理离职，交接人：陈静。" in text(client.get(response["Location"]))


def test_leaving_without_a_handover_colleague_is_refused_and_changes_nothing(company, client_for):
    client = client_for(company.admin)
    before = AuditEntry.objects.count()
    response = client.post(reverse("web:employee-leave", args=[company.rep_a1.pk]), {"confirm": "on"})
    assert response.status_code == 400
    assert "请选择一位在职的其他员工作为交接人。" in text(response)
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.ACTIVE and company.rep_a1.user.is_active
    assert AuditEntry.objects.count() == before


def test_leaving_without_confirmation_is_refused(company, client_for):
    response = client_for(company.admin).post(
        reverse("web:employee-leave", args=[company.rep_a1.pk]), {"handover_to": company.rep_a2.pk}
    )
    assert response.status_code == 400
    assert "请勾选确认。" in text(response)
    company.rep_a1.refresh_from_db()
    assert company.rep_a1.status == EmployeeStatus.ACTIVE


def test_nobody_can_process_their_own_leaving(company, client_for):
    response = client_for(company.admin).post(
        reverse("web:employee-leave", args=[company.admin.pk]),
        {"handover_to": company.rep_a2.pk, "confirm": "on"},
    )
    assert response.status_code == 400
    assert "不能给自己办理离职。" in text(response)
    company.admin.refresh_from_db()
    assert company.admin.status == EmployeeStatus.ACTIVE


def test_the_admin_resets_a_password(company, client_for):
    client = client_for(company.admin)
    url = reverse("web:employee-password", args=[company.rep_a1.pk])
    assert "新密码" in text(client.get(url))
    mismatch = client.post(url, {"password": NEW_PASSWORD, "password2": "something-else-2026"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致。" in text(mismatch)
    response = client.post(url, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    company.rep_a1.user.refresh_from_db()
    assert company.rep_a1.user.check_password(NEW_PASSWORD)
    assert len(audit_entries(company.rep_a1, "set_password")) == 1


def test_the_admin_lifts_a_login_lockout(company, client_for):
    LoginThrottle.objects.create(kind=LoginThrottle.Kind.USER, key="rep_a1", failures=5)
    response = client_for(company.admin).post(reverse("web:employee-unlock", args=[company.rep_a1.pk]))
    assert response.status_code == 302
    assert LoginThrottle.objects.get(key="rep_a1").failures == 0


# Roles ---------------------------------------------------------------------------------------------


def test_the_role_list_shows_codes_scopes_and_member_counts(company, client_for):
    response = client_for(company.admin).get(reverse("web:role-list"))
    page = text(response)
    assert response.status_code == 200
    assert "角色与权限" in page and "salesperson" in page and "全公司" in page
    row = re.search(r"<tr>((?:(?!</tr>).)*>salesperson<(?:(?!</tr>).)*)</tr>", page, re.S).group(1)
    assert ">4</a>" in row  # 李经理, 张伟, 陈静, 钱丽


def test_a_salesperson_and_a_manager_are_refused_the_role_pages(company, client_for):
    for employee in (company.rep_a1, company.manager_a):
        client = client_for(employee)
        assert client.get(reverse("web:role-list")).status_code == 403
        assert client.get(reverse("web:role-create")).status_code == 403
        assert client.get(reverse("web:role-edit", args=[role("manager").pk])).status_code == 403


def test_the_role_form_groups_permissions_by_app_with_chinese_names(company, client_for):
    page = text(client_for(company.admin).get(reverse("web:role-create")))
    for label in ("组织架构", "审批", "操作日志", "查看部门", "修改员工、办理离职、重置密码", "查看操作日志"):
        assert label in page
    assert "login throttle" not in page and "删除操作日志" not in page  # bookkeeping is not granted
    auth_perm = Permission.objects.get(codename="add_user")
    assert f'value="{auth_perm.pk}"' not in page  # only the apps built so far


def test_creating_a_role_sets_its_permissions_and_writes_an_audit_entry(company, client_for):
    perm = Permission.objects.get(content_type__app_label="org", codename="view_employee")
    response = client_for(company.admin).post(
        reverse("web:role-create"),
        {"code": "hr", "name": "人事", "data_scope": "all", "permissions": [perm.pk]},
    )
    assert response.status_code == 302
    created = Role.objects.get(code="hr")
    assert created.data_scope == "all"
    assert list(created.group.permissions.all()) == [perm]
    assert audit_entries(created, "create")[0].changes["name"] == [None, "人事"]
    assert audit_entries(created, "update")[0].changes == {"permissions": [[], ["view_employee"]]}


def test_editing_a_role_records_old_and_new_values(company, client_for):
    manager = role("manager")
    perm_ids = list(manager.group.permissions.values_list("pk", flat=True))
    response = client_for(company.admin).post(
        reverse("web:role-edit", args=[manager.pk]),
        {
            "code": "manager",
            "name": "部门主管",
            "name_en": "Manager",
            "data_scope": "department",
            "permissions": perm_ids,
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.name == "部门主管"
    [entry] = audit_entries(manager, "update")
    assert entry.changes == {"name": ["部门经理", "部门主管"]}


def test_saving_a_role_keeps_permissions_the_form_does_not_offer(company, client_for):
    manager = role("manager")
    other = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    manager.group.permissions.add(other)
    had = sorted(manager.group.permissions.values_list("codename", flat=True))
    response = client_for(company.admin).post(
        reverse("web:role-edit", args=[manager.pk]),
        {"code": "manager", "name": "部门经理", "name_en": "Manager", "data_scope": "department"},
    )
    assert response.status_code == 302
    assert list(manager.group.permissions.all()) == [other]
    [entry] = audit_entries(manager, "update")
    assert entry.changes == {"permissions": [had, ["view_user"]]}
    assert {"view_department", "view_employee", "view_user"} <= set(had)


def test_a_built_in_role_keeps_its_code(company, client_for):
    manager = role("manager")
    before = AuditEntry.objects.count()
    permissions_before = manager.group.permissions.count()
    client = client_for(company.admin)
    assert "readonly" in text(client.get(reverse("web:role-edit", args=[manager.pk])))
    response = client.post(
        reverse("web:role-edit", args=[manager.pk]),
        {"code": "boss", "name": "部门经理", "name_en": "Manager", "data_scope": "department"},
    )
    assert response.status_code == 400
    assert "内置角色的代码不能修改。" in text(response)
    manager.refresh_from_db()
    assert manager.code == "manager"
    assert manager.group.permissions.count() == permissions_before
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get(reverse("web:employee-list"))
    assert response.status_code == 302 and "/login/" in response["Location"]
