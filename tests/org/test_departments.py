"""Departments: the tree and its materialised paths, which the data scope relies on."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError
from maoyi.org import scope
from maoyi.org import services as org
from maoyi.org.models import Department
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_department, make_employee, make_sample


def paths() -> dict[int, str]:
    return dict(Department.objects.values_list("pk", "path"))


def entries_for(obj: Department) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


def move(dept: Department, parent: Department | None, **changes: object) -> Department:
    values: dict = {"name": dept.name, "name_en": dept.name_en, "sort_order": dept.sort_order}
    values.update(changes)
    return org.update_department(dept, actor=None, parent=parent, **values)


def test_a_new_department_gets_its_path_under_its_parent_and_an_audit_entry(company: Company) -> None:
    group = org.create_department(actor=company.admin, name=" 一组 ", parent=company.team_a)

    group.refresh_from_db()
    assert group.name == "一组"
    assert group.path == f"{company.team_a.path}{group.pk}/"
    assert company.team_a.path == f"/{company.root.pk}/{company.sales.pk}/{company.team_a.pk}/"
    entry = entries_for(group).get(action="create")
    assert entry.actor == company.admin.user
    assert entry.changes == {
        "name": [None, "一组"],
        "parent": [None, "终端客户部"],
        "sort_order": [None, 0],
        "is_active": [None, True],
    }


def test_a_duplicate_name_under_the_same_parent_is_refused(company: Company) -> None:
    before, entries = paths(), AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        org.create_department(actor=None, name="终端客户部", parent=company.sales)

    assert refused.value.code == "duplicate"
    assert refused.value.message == "同一上级下已有名为“终端客户部”的部门。"
    assert paths() == before
    assert AuditEntry.objects.count() == entries


def test_the_same_name_under_another_parent_is_allowed(company: Company) -> None:
    dept = org.create_department(actor=None, name="终端客户部", parent=company.purchasing)

    assert dept.path == f"{company.purchasing.path}{dept.pk}/"


def test_moving_a_department_fixes_the_paths_of_all_its_descendants(company: Company) -> None:
    group = make_department("一组", company.team_a)
    subgroup = make_department("一组一班", group)
    untouched = {d: paths()[d.pk] for d in (company.team_b, company.sales, company.purchasing)}

    move(company.team_a, company.purchasing)

    company.team_a.refresh_from_db()
    group.refresh_from_db()
    subgroup.refresh_from_db()
    assert company.team_a.path == f"{company.purchasing.path}{company.team_a.pk}/"
    assert group.path == f"{company.team_a.path}{group.pk}/"
    assert subgroup.path == f"{group.path}{subgroup.pk}/"
    assert {d: paths()[d.pk] for d in untouched} == untouched
    assert company.team_a.parent == company.purchasing
    entry = entries_for(company.team_a).get(action="update")
    assert entry.changes == {"parent": ["业务部", "采购部"]}


def test_after_a_move_the_old_department_manager_no_longer_sees_the_team(company: Company) -> None:
    doc = make_sample(company.rep_a1)
    assert scope.can_view(company.sales_head.user, doc)

    move(company.team_a, company.purchasing)

    head = type(company.sales_head.user).objects.get(pk=company.sales_head.user_id)
    assert not scope.can_view(head, doc)
    assert scope.can_view(type(head).objects.get(pk=company.manager_a.user_id), doc)
    assert SampleDocument.objects.count() == 1


def test_moving_a_department_under_itself_or_its_descendants_is_refused(company: Company) -> None:
    group = make_department("一组", company.team_a)
    subgroup = make_department("一组一班", group)
    before, entries = paths(), AuditEntry.objects.count()

    for parent in (company.team_a, group, subgroup):
        with pytest.raises(DomainError) as refused:
            move(company.team_a, parent)

        assert refused.value.code == "invalid"
        assert refused.value.message == "不能把部门移到它自己或它的下级部门之下。"
        company.team_a.refresh_from_db()
        assert company.team_a.parent == company.sales
        assert paths() == before
        assert AuditEntry.objects.count() == entries


def test_deactivating_a_department_with_active_employees_below_it_is_refused(company: Company) -> None:
    parent = make_department("华南区", company.root)
    child = make_department("广州办", parent)
    worker = make_employee(child, "salesperson", username="gz1", name="广州业务员")
    entries = AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        move(parent, company.root, is_active=False)

    assert refused.value.code == "invalid"
    assert refused.value.message == "部门（或其下级部门）还有在职员工，不能停用。"
    parent.refresh_from_db()
    assert parent.is_active
    assert AuditEntry.objects.count() == entries

    org.leave_employee(worker, actor=None, handover_to=company.rep_a1)
    move(parent, company.root, is_active=False)
    parent.refresh_from_db()
    assert not parent.is_active


def test_a_new_employee_cannot_join_a_deactivated_department(company: Company) -> None:
    closed = make_department("已撤销部门", company.root)
    move(closed, company.root, is_active=False)
    closed.refresh_from_db()

    with pytest.raises(DomainError) as refused:
        org.create_employee(
            actor=None,
            username="late",
            password="x",
            name="迟到",
            department=closed,
            roles=[],
            validate=False,
        )

    assert refused.value.code == "invalid"
    assert refused.value.message == "部门“已撤销部门”已停用。"
    assert not closed.employees.exists()


def test_renaming_a_department_records_old_and_new_name(company: Company) -> None:
    move(company.team_b, company.sales, name="渠道一部")

    entry = entries_for(company.team_b).get(action="update")
    assert entry.changes == {"name": ["渠道部", "渠道一部"]}
    company.team_b.refresh_from_db()
    assert company.team_b.name == "渠道一部"


def test_a_department_change_needs_the_permission(company: Company) -> None:
    with pytest.raises(DomainError) as refused:
        org.update_department(company.team_b, actor=company.rep_a1, name="改名", parent=company.sales)

    assert refused.value.code == "permission_denied"
    assert refused.value.message == "您的角色不能执行此操作。"
    company.team_b.refresh_from_db()
    assert company.team_b.name == "渠道部"
