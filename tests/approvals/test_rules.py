"""Approval rules: a role or a named person approves instead of the department manager; with several
rules the highest threshold the amount reaches wins; inactive rules and other types' rules are
ignored; nobody ever approves their own document."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalRule, ApproverKind
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.org import services as org
from maoyi.org.models import Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_employee, make_sample, role

NO_APPROVER = ("no_approver", "找不到这张单据的审批人，请联系管理员设置审批规则或部门经理。")


def rule(
    kind: str,
    *,
    name: str = "规则",
    min_amount: str | None = None,
    active: bool = True,
    **target: Employee | str,
) -> ApprovalRule:
    return approvals.save_rule(
        None,
        actor=None,
        document_type="sample",
        name=name,
        approver_kind=kind,
        min_amount=Decimal(min_amount) if min_amount is not None else None,
        role_id=role(str(target["role"])).pk if "role" in target else None,
        person_id=target["person"].pk if "person" in target else None,  # type: ignore[union-attr]
        is_active=active,
    )


def approvers_of(request: ApprovalRequest) -> set[Employee]:
    return set(request.approvers.all())


@pytest.fixture
def second_clerk(company: Company) -> Employee:
    return make_employee(company.finance, "finance", username="fin2", name="赵会计")


def test_a_role_rule_sends_the_document_to_every_active_holder_of_the_role(
    company: Company, second_clerk: Employee
) -> None:
    finance_rule = rule(ApproverKind.ROLE, name="财务审批", role="finance")
    doc = make_sample(company.rep_a1)

    request = approvals.submit(doc, actor=company.rep_a1)

    assert approvers_of(request) == {company.finance_clerk, second_clerk}
    assert request.rule == finance_rule
    with pytest.raises(DomainError) as refused:
        approvals.approve(doc, actor=company.manager_a)
    assert refused.value.code == "not_approver"
    approvals.approve(doc, actor=second_clerk)
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED


def test_a_role_rule_leaves_out_the_requester_and_left_holders(
    company: Company, second_clerk: Employee
) -> None:
    rule(ApproverKind.ROLE, role="finance")
    third = make_employee(company.finance, "finance", username="fin3", name="孙出纳")
    org.leave_employee(third, actor=None, handover_to=second_clerk)
    doc = make_sample(company.finance_clerk)

    request = approvals.submit(doc, actor=company.finance_clerk)

    assert approvers_of(request) == {second_clerk}


def test_a_role_rule_never_names_the_documents_own_owner(company: Company) -> None:
    rule(ApproverKind.ROLE, role="manager")
    doc = make_sample(company.manager_a)  # submitted by the team's assistant on the manager's behalf

    request = approvals.submit(doc, actor=company.assistant_a)

    assert approvers_of(request) == {company.sales_head}


def test_a_person_rule_naming_the_owner_finds_no_approver_even_when_a_colleague_submits(
    company: Company,
) -> None:
    rule(ApproverKind.PERSON, person=company.manager_a)
    doc = make_sample(company.manager_a)

    with pytest.raises(DomainError) as refused:
        approvals.submit(doc, actor=company.assistant_a)

    assert (refused.value.code, refused.value.message) == NO_APPROVER
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_a_role_rule_whose_only_holder_is_the_requester_finds_no_approver(company: Company) -> None:
    rule(ApproverKind.ROLE, role="finance")
    doc = make_sample(company.finance_clerk)
    before = ApprovalRequest.objects.count()

    with pytest.raises(DomainError) as refused:
        approvals.submit(doc, actor=company.finance_clerk)

    assert (refused.value.code, refused.value.message) == NO_APPROVER
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert ApprovalRequest.objects.count() == before


def test_a_person_rule_sends_every_document_to_that_person(company: Company) -> None:
    rule(ApproverKind.PERSON, person=company.sales_head)
    docs = [make_sample(company.rep_a1), make_sample(company.rep_b1), make_sample(company.purchaser)]

    requests = [approvals.submit(doc, actor=doc.owner) for doc in docs]

    assert [approvers_of(r) for r in requests] == [{company.sales_head}] * 3


@pytest.mark.parametrize("case", ["requester", "left"])
def test_a_person_rule_naming_the_requester_or_a_left_person_finds_no_approver(
    company: Company, case: str
) -> None:
    rule(ApproverKind.PERSON, person=company.sales_head)
    if case == "left":
        org.leave_employee(company.sales_head, actor=None, handover_to=company.manager_a)
        owner = company.rep_b1
    else:
        owner = company.sales_head
    doc = make_sample(owner)
    before = ApprovalRequest.objects.count()

    with pytest.raises(DomainError) as refused:
        approvals.submit(doc, actor=owner)

    assert (refused.value.code, refused.value.message) == NO_APPROVER
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert ApprovalRequest.objects.count() == before


def test_the_highest_threshold_the_amount_reaches_picks_the_rule(company: Company) -> None:
    rule(ApproverKind.ROLE, name="五万以上", min_amount="50000", role="admin")
    rule(ApproverKind.MANAGER, name="任意金额")
    rule(ApproverKind.PERSON, name="一万以上", min_amount="10000", person=company.sales_head)
    rule(
        ApproverKind.PERSON, name="十万以上（停用）", min_amount="100000", person=company.rep_b1, active=False
    )
    ApprovalRule.objects.create(
        document_type="othertype",
        name="别的单据",
        min_amount=Decimal("1"),
        approver_kind=ApproverKind.MANAGER,
    )
    expected = {
        "0.00": "任意金额",
        "9999.99": "任意金额",
        "10000.00": "一万以上",
        "49999.99": "一万以上",
        "50000.00": "五万以上",
        "1000000.00": "五万以上",
    }

    chosen = {amount: approvals.matching_rule("sample", Decimal(amount)) for amount in expected}

    assert {amount: r.name if r else None for amount, r in chosen.items()} == expected


def test_the_threshold_rule_decides_who_approves_a_submitted_document(company: Company) -> None:
    rule(ApproverKind.MANAGER, name="任意金额")
    big = rule(ApproverKind.PERSON, name="一万以上", min_amount="10000", person=company.sales_head)
    small_doc = make_sample(company.rep_a1, amount="9999.99")
    big_doc = make_sample(company.rep_a1, amount="10000.00")

    small = approvals.submit(small_doc, actor=company.rep_a1)
    large = approvals.submit(big_doc, actor=company.rep_a1)

    assert approvers_of(small) == {company.manager_a}
    assert (approvers_of(large), large.rule) == ({company.sales_head}, big)


def test_an_inactive_rule_is_ignored(company: Company) -> None:
    rule(ApproverKind.PERSON, name="停用的规则", person=company.finance_clerk, active=False)
    doc = make_sample(company.rep_a1, amount="1000000")

    request = approvals.submit(doc, actor=company.rep_a1)

    assert approvers_of(request) == {company.manager_a}
    assert request.rule is None
    assert approvals.matching_rule("sample", Decimal("1000000")) is None


def test_a_rule_below_every_threshold_falls_back_to_the_department_manager(company: Company) -> None:
    rule(ApproverKind.PERSON, name="一万以上", min_amount="10000", person=company.finance_clerk)
    doc = make_sample(company.rep_b1, amount="50")

    request = approvals.submit(doc, actor=company.rep_b1)

    assert approvers_of(request) == {company.sales_head}
    assert request.rule is None


def test_a_threshold_rule_never_matches_a_document_without_an_amount(company: Company) -> None:
    rule(ApproverKind.PERSON, name="一万以上", min_amount="10000", person=company.finance_clerk)

    assert approvals.matching_rule("sample", None) is None


def test_an_incomplete_rule_is_refused_and_nothing_is_saved(company: Company) -> None:
    before = (ApprovalRule.objects.count(), AuditEntry.objects.count())
    cases: list[tuple[str, dict, tuple[str, str]]] = [
        (ApproverKind.ROLE, {}, ("invalid", "请选择审批角色。")),
        (ApproverKind.PERSON, {}, ("invalid", "请选择审批人。")),
        (ApproverKind.MANAGER, {"min_amount": Decimal("-1")}, ("invalid", "金额不能为负数。")),
        (ApproverKind.MANAGER, {"document_type": "nosuchtype"}, ("invalid", "未知的单据类型。")),
    ]

    for kind, changes, expected in cases:
        values: dict = {"document_type": "sample", "name": "坏规则", "approver_kind": kind}
        values.update(changes)
        with pytest.raises(DomainError) as refused:
            approvals.save_rule(None, actor=company.admin, **values)

        assert (refused.value.code, refused.value.message) == expected
        assert (ApprovalRule.objects.count(), AuditEntry.objects.count()) == before


def test_a_salesperson_cannot_write_approval_rules(company: Company) -> None:
    with pytest.raises(DomainError) as refused:
        approvals.save_rule(
            None,
            actor=company.rep_a1,
            document_type="sample",
            name="我自己审",
            approver_kind=ApproverKind.MANAGER,
        )

    assert (refused.value.code, refused.value.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert not ApprovalRule.objects.exists()


def test_saving_a_rule_is_audited(company: Company) -> None:
    created = rule(ApproverKind.PERSON, name="一万以上", min_amount="10000", person=company.sales_head)

    entry = AuditEntry.objects.filter(action="create", object_id=str(created.pk)).latest("id")
    assert entry.changes == {
        "document_type": [None, "sample"],
        "name": [None, "一万以上"],
        "min_amount": [None, "10000.00"],
        "approver_kind": [None, "指定人员"],
        "person": [None, "王经理"],
        "is_active": [None, True],
    }
    assert SampleDocument.objects.count() == 0
