"""The settings pages: document number prefixes, approval rules and the read-only audit log."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRule, ApproverKind
from maoyi.audit.models import AuditEntry
from maoyi.core import numbering
from maoyi.core.models import NumberingRule
from maoyi.web.templatetags.maoyi import money
from tests.factories import make_sample, role


def text(response) -> str:
    return response.content.decode()


def audit_entries(obj, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model=obj._meta.model_name, object_id=str(obj.pk), action=action
        ).order_by("id")
    )


def make_rule(**values) -> ApprovalRule:
    defaults = {"document_type": "sample", "name": "大额单据", "approver_kind": ApproverKind.MANAGER}
    return approvals.save_rule(None, actor=None, **{**defaults, **values})


SETTINGS_PAGES = ("web:numbering-list", "web:rule-list", "web:rule-create", "web:audit-log")


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_a_salesperson_is_refused_the_settings_pages(company, client_for, name):
    assert client_for(company.rep_a1).get(reverse(name)).status_code == 403


def test_a_manager_is_refused_the_settings_pages_and_their_writes(company, client_for):
    rule = make_rule()
    client = client_for(company.manager_a)
    for name in SETTINGS_PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("web:numbering-edit", args=["sample"]), {"prefix": "XX"}).status_code == 403
    assert client.post(reverse("web:rule-delete", args=[rule.pk])).status_code == 403
    assert ApprovalRule.objects.filter(pk=rule.pk).exists()
    assert numbering.prefix_for("sample") == "CS"


# Document numbers ----------------------------------------------------------------------------------


def test_the_numbering_page_lists_each_document_type_with_its_prefix_and_an_example(company, client_for):
    response = client_for(company.admin).get(reverse("web:numbering-list"))
    page = text(response)
    assert response.status_code == 200
    assert "单据编号" in page and "测试单据" in page
    assert "<code>CS</code>" in page
    assert f"CS{timezone.localdate():%Y%m%d}-0001" in page
    assert reverse("web:numbering-edit", args=["sample"]) in page


def test_the_numbering_page_reads_well_before_any_document_type_exists(company, client_for, monkeypatch):
    monkeypatch.setattr("maoyi.approvals.selectors.document_types", dict)
    page = text(client_for(company.admin).get(reverse("web:numbering-list")))
    assert "还没有单据类型" in page


def test_changing_a_prefix_saves_it_and_writes_an_audit_entry(company, client_for):
    client = client_for(company.admin)
    form = text(client.get(reverse("web:numbering-edit", args=["sample"])))
    assert 'value="CS"' in form and "编号前缀" in form
    response = client.post(reverse("web:numbering-edit", args=["sample"]), {"prefix": " ts "})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:numbering-list")
    rule = NumberingRule.objects.get(document_type="sample")
    assert rule.prefix == "TS"
    [entry] = audit_entries(rule, "update")
    assert entry.changes == {"prefix": ["CS", "TS"]}
    assert entry.actor == company.admin.user
    assert make_sample(company.rep_a1).number.startswith(f"TS{timezone.localdate():%Y%m%d}-")
    assert "“测试单据”的编号前缀已改为 TS。" in text(client.get(response["Location"]))


def test_an_invalid_prefix_is_refused_on_the_field_and_changes_nothing(company, client_for):
    before = AuditEntry.objects.count()
    response = client_for(company.admin).post(
        reverse("web:numbering-edit", args=["sample"]), {"prefix": "9-AB"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "编号前缀须以字母开头，只含大写字母和数字，最多 12 位。" in page
    assert re.search(r'id="id_prefix_group".*?编号前缀须以字母开头', page, re.S)
    assert not NumberingRule.objects.exists()
    assert AuditEntry.objects.count() == before


def test_an_unknown_document_type_has_no_numbering_page(company, client_for):
    assert client_for(company.admin).get(reverse("web:numbering-edit", args=["nothing"])).status_code == 404


# Approval rules ------------------------------------------------------------------------------------


def test_the_rule_list_groups_rules_by_document_type_and_explains_the_default(company, client_for):
    make_rule(
        name="五万以上",
        min_amount=Decimal("50000"),
        approver_kind=ApproverKind.ROLE,
        role_id=role("finance").pk,
    )
    response = client_for(company.admin).get(reverse("web:rule-list"))
    page = text(response)
    assert response.status_code == 200
    assert "未设置规则时，由单据所属部门的经理审批" in page
    assert "测试单据" in page and "五万以上" in page and money(Decimal("50000")) in page and "财务" in page
    assert reverse("web:rule-create") in page


def test_a_document_type_without_rules_says_its_manager_approves(company, client_for):
    page = text(client_for(company.admin).get(reverse("web:rule-list")))
    assert "没有设置规则：由单据所属部门的经理审批。" in page


def test_the_rule_list_reads_well_before_any_document_type_exists(company, client_for, monkeypatch):
    monkeypatch.setattr("maoyi.approvals.selectors.approvable_document_types", dict)
    page = text(client_for(company.admin).get(reverse("web:rule-list")))
    assert "还没有单据类型" in page


def test_creating_a_role_rule_saves_it_and_writes_an_audit_entry(company, client_for):
    client = client_for(company.admin)
    form = text(client.get(reverse("web:rule-create"), {"document_type": "sample"}))
    assert "x-data" in form and "x-show=\"kind === 'role'\"" in form
    response = client.post(
        reverse("web:rule-create"),
        {
            "document_type": "sample",
            "name": "十万以上财务审批",
            "min_amount": "100000",
            "approver_kind": "role",
            "role": role("finance").pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = ApprovalRule.objects.get()
    assert (rule.document_type, rule.min_amount, rule.approver_kind) == ("sample", Decimal("100000"), "role")
    assert rule.role == role("finance") and rule.person is None
    [entry] = audit_entries(rule, "create")
    assert entry.changes["name"] == [None, "十万以上财务审批"]
    assert entry.changes["min_amount"] == [None, "100000.00"]
    assert entry.changes["role"] == [None, "财务"]


def test_creating_a_person_rule_names_the_person(company, client_for):
    response = client_for(company.admin).post(
        reverse("web:rule-create"),
        {
            "document_type": "sample",
            "name": "总经理审批",
            "approver_kind": "person",
            "person": company.sales_head.pk,
        },
    )
    assert response.status_code == 302
    rule = ApprovalRule.objects.get()
    assert rule.person == company.sales_head and rule.min_amount is None and rule.is_active is False


def test_a_role_rule_without_a_role_is_refused_and_changes_nothing(company, client_for):
    before = AuditEntry.objects.count()
    response = client_for(company.admin).post(
        reverse("web:rule-create"),
        {"document_type": "sample", "name": "缺角色", "approver_kind": "role", "is_active": "on"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "请选择审批角色。" in page
    assert re.search(r'id="id_role_group".*?请选择审批角色。', page, re.S)
    assert not ApprovalRule.objects.exists()
    assert AuditEntry.objects.count() == before


def test_editing_a_rule_records_old_and_new_values(company, client_for):
    rule = make_rule(min_amount=Decimal("1000"))
    client = client_for(company.admin)
    assert 'value="1000.00"' in text(client.get(reverse("web:rule-edit", args=[rule.pk])))
    response = client.post(
        reverse("web:rule-edit", args=[rule.pk]),
        {
            "document_type": "sample",
            "name": "大额单据",
            "min_amount": "2000",
            "approver_kind": "person",
            "person": company.sales_head.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.min_amount == Decimal("2000") and rule.person == company.sales_head
    [entry] = audit_entries(rule, "update")
    assert entry.changes == {
        "min_amount": ["1000.00", "2000.00"],
        "approver_kind": ["单据所属部门的经理", "指定人员"],
        "person": [None, "王经理"],
    }


def test_deleting_a_rule_asks_first_then_removes_it_and_records_it(company, client_for):
    rule = make_rule(name="待删除")
    client = client_for(company.admin)
    confirm = client.get(reverse("web:rule-delete", args=[rule.pk]))
    assert confirm.status_code == 200
    assert "确定删除审批规则“待删除”吗？" in text(confirm) and "csrfmiddlewaretoken" in text(confirm)
    assert ApprovalRule.objects.filter(pk=rule.pk).exists()
    response = client.post(reverse("web:rule-delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not ApprovalRule.objects.filter(pk=rule.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(rule.pk), object_repr="待删除").exists()
    assert client.post(reverse("web:rule-delete", args=[rule.pk])).status_code == 404


# Audit log -----------------------------------------------------------------------------------------


def test_the_audit_log_lists_entries_with_labels_and_old_and_new_values(company, client_for):
    client = client_for(company.admin)
    client.post(
        reverse("web:employee-edit", args=[company.rep_a1.pk]),
        {
            "name": "张伟",
            "department": company.team_a.pk,
            "title": "组长",
            "roles": [role("salesperson").pk],
            "version": company.rep_a1.version,
        },
    )
    response = client.get(reverse("web:audit-log"))
    page = text(response)
    assert response.status_code == 200
    assert "操作日志" in page and "修改" in page and "创建" in page
    assert "职务" in page and "组长" in page  # the field's label, not its name
    assert re.search(r"<del[^>]*>—</del> → <span[^>]*>组长</span>", page)


def test_the_audit_log_filters_by_action_model_and_search(company, client_for):
    make_rule(name="审批规则甲")
    client = client_for(company.admin)
    by_model = text(client.get(reverse("web:audit-log"), {"model": "approvals.approvalrule"}))
    assert "审批规则甲" in by_model and "张伟" not in by_model
    by_action = text(client.get(reverse("web:audit-log"), {"action": "update"}))
    assert "没有符合条件的操作记录。" in by_action
    found = text(client.get(reverse("web:audit-log"), {"q": "钱丽"}))
    assert "钱丽" in found and "陈静" not in found


def test_the_audit_log_is_read_only(company, client_for):
    client = client_for(company.admin)
    before = AuditEntry.objects.count()
    assert client.post(reverse("web:audit-log"), {"q": "x"}).status_code == 405
    page = text(client.get(reverse("web:audit-log")))
    card = page[page.index('data-testid="audit-log"') :]
    assert "/edit/" not in card and "/delete/" not in card and "编辑" not in card
    assert 'method="post"' not in card
    assert AuditEntry.objects.count() == before
