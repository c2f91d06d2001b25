"""Audit completeness (R18): every change leaves one row with actor, time and old → new values, the
row commits or rolls back with the change, and on PostgreSQL the table refuses UPDATE and DELETE."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.audit import services as audit
from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError
from maoyi.org import services as org
from maoyi.org.models import Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.docapp.services import create_sample
from tests.factories import make_department, make_employee, make_sample, role


def entries_for(obj: Model) -> QuerySet[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id")


def assert_recent(at: dt.datetime) -> None:
    assert abs((timezone.now() - at).total_seconds()) < 60


def test_creating_a_document_records_who_when_and_the_new_values(company: Company) -> None:
    doc = make_sample(company.rep_a1, title="年度框架合同", amount="12345.60")

    entry = entries_for(doc).get()

    assert (entry.action, entry.actor, entry.actor_name) == ("create", company.rep_a1.user, "张伟")
    assert entry.changes == {
        "number": [None, doc.number],
        "title": [None, "年度框架合同"],
        "amount": [None, "12345.60"],
        "status": [None, "草稿"],
    }
    assert entry.object_repr == f"{doc.number} 年度框架合同"
    assert_recent(entry.at)


def test_an_update_records_only_the_changed_fields_with_old_and_new_values(company: Company) -> None:
    org.update_employee(
        company.rep_a2,
        actor=company.admin,
        name="陈静",
        department=company.team_b,
        roles=[role("salesperson")],
        mobile="13900000000",
        is_manager=True,
    )

    entry = entries_for(company.rep_a2).filter(action="update").get()
    assert (entry.actor, entry.actor_name) == (company.admin.user, "管理员")
    assert entry.changes == {
        "department": ["终端客户部", "渠道部"],
        "mobile": ["", "13900000000"],
        "is_manager": [False, True],
    }
    assert_recent(entry.at)


def test_an_update_that_changes_nothing_records_nothing(company: Company) -> None:
    before = entries_for(company.team_b).count()

    org.update_department(company.team_b, actor=company.admin, name="渠道部", parent=company.sales)

    assert entries_for(company.team_b).count() == before


def test_a_status_change_records_the_old_and_new_status_labels(company: Company) -> None:
    doc = make_sample(company.rep_a1)

    approvals.submit(doc, actor=company.rep_a1)
    approvals.reject(doc, actor=company.manager_a, reason="缺附件")

    rows = [(e.action, e.actor_name, e.changes, e.note) for e in entries_for(doc)[1:]]
    assert rows == [
        ("submit", "张伟", {"status": ["草稿", "待审核"]}, ""),
        ("reject", "李经理", {"status": ["待审核", "已驳回"]}, "缺附件"),
    ]


def test_the_system_is_recorded_as_an_empty_actor(company: Company) -> None:
    dept = make_department("系统建立的部门", company.root)

    entry = entries_for(dept).get()

    assert (entry.actor, entry.actor_name) == (None, "")


def test_a_failing_service_leaves_no_audit_entry(company: Company) -> None:
    before = AuditEntry.objects.count()

    with pytest.raises(RuntimeError, match="rolled back on purpose"):
        create_sample(actor=company.rep_a1, title="半途失败", amount=Decimal("1"), fail=True)

    assert AuditEntry.objects.count() == before
    assert not SampleDocument.objects.exists()


def test_a_refused_change_leaves_no_audit_entry(company: Company) -> None:
    make_employee(company.team_b, "salesperson", username="busy", name="在职员工")
    before = AuditEntry.objects.count()

    with pytest.raises(DomainError):
        org.update_department(
            company.team_b, actor=company.admin, name="渠道部", parent=company.sales, is_active=False
        )

    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_the_audit_entry_commits_and_rolls_back_with_its_change() -> None:
    owner = make_employee(make_department("审计部"), "salesperson", username="auditee", name="被审计人")
    base = AuditEntry.objects.count()

    with pytest.raises(RuntimeError):
        create_sample(actor=owner, title="回滚", amount=Decimal("1"), fail=True)
    assert not connection.in_atomic_block
    assert AuditEntry.objects.count() == base

    doc = create_sample(actor=owner, title="提交", amount=Decimal("1"))
    assert AuditEntry.objects.count() == base + 1
    assert entries_for(doc).get().action == "create"


def test_every_committed_change_of_a_workflow_has_exactly_one_audit_row(company: Company) -> None:
    doc = make_sample(company.rep_a1)
    approvals.submit(doc, actor=company.rep_a1)
    approvals.withdraw(doc, actor=company.rep_a1)
    approvals.submit(doc, actor=company.rep_a1)
    approvals.approve(doc, actor=company.manager_a)
    approvals.unapprove(doc, actor=company.manager_a, reason="改单")
    approvals.cancel(doc, actor=company.rep_a1)
    with pytest.raises(DomainError):
        approvals.submit(doc, actor=company.rep_a1)

    assert [e.action for e in entries_for(doc)] == [
        "create",
        "submit",
        "withdraw",
        "submit",
        "approve",
        "unapprove",
        "cancel",
    ]


def test_snapshot_shows_display_values_and_diff_keeps_only_changes(company: Company) -> None:
    employee = Employee.objects.get(pk=company.manager_a.pk)

    before = audit.snapshot(employee, ("name", "department", "status", "roles", "is_manager", "joined_on"))
    employee.name = "李明"
    employee.joined_on = dt.date(2026, 1, 5)

    assert before == {
        "name": "李经理",
        "department": "终端客户部",
        "status": "在职",
        "roles": ["业务员", "部门经理"],
        "is_manager": True,
        "joined_on": None,
    }
    after = audit.snapshot(employee, tuple(before))
    assert audit.diff(before, after) == {"name": ["李经理", "李明"], "joined_on": [None, "2026-01-05"]}
    assert audit.diff(after, after) == {}


# PostgreSQL: the trigger ------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_update_or_delete_an_audit_entry(company: Company) -> None:
    doc = make_sample(company.rep_a1)
    entry = entries_for(doc).get()
    stored = AuditEntry.objects.filter(pk=entry.pk).values().get()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="改写历史")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.actor_name = "别人"
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET changes = '{}'::jsonb WHERE id = %s", [entry.pk])

    assert AuditEntry.objects.filter(pk=entry.pk).values().get() == stored
    assert entries_for(doc).count() == 1
