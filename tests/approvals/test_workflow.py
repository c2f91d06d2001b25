"""The approval workflow (R9): submit → approve / reject (with a reason) → resubmit, withdraw,
unapprove while nothing is downstream, cancel; and every refusal, which changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone

from maoyi.approvals import selectors
from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep, RequestStatus
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.org import services as org
from maoyi.org.models import Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_department, make_employee, make_sample

NOT_APPROVER = ("not_approver", "您不是这张单据的审批人。")
REASON_REQUIRED = ("reason_required", "请填写原因。")
HAS_DOWNSTREAM = ("has_downstream", "已有后续单据，不能反审核。")
NO_APPROVER = ("no_approver", "找不到这张单据的审批人，请联系管理员设置审批规则或部门经理。")
NOT_FOUND = ("not_found", "记录不存在。")


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (SampleDocument, ApprovalRequest, ApprovalStep, AuditEntry)
    }


def audit_of(doc: SampleDocument) -> QuerySet[AuditEntry]:
    ct = ContentType.objects.get_for_model(doc)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(doc.pk)).order_by("id")


def snapshot(doc: SampleDocument) -> dict[str, Any]:
    """The document row and its approval requests as stored."""
    ct = ContentType.objects.get_for_model(doc)
    return {
        "doc": SampleDocument.objects.filter(pk=doc.pk).values().get(),
        "requests": list(
            ApprovalRequest.objects.filter(content_type=ct, object_id=doc.pk).order_by("id").values()
        ),
    }


def assert_refused(call: Callable[[], Any], doc: SampleDocument, expected: tuple[str, str]) -> None:
    """The call is refused with exactly this code and message, and nothing changes or appears."""
    before_rows, before_doc = counts(), snapshot(doc)
    status = before_doc["doc"]["status"]
    with pytest.raises(DomainError) as refused:
        call()
    assert (refused.value.code, refused.value.message) == expected
    doc.refresh_from_db()
    assert doc.status == status
    assert snapshot(doc) == before_doc
    assert counts() == before_rows


def submitted(company: Company, owner: Employee | None = None, amount: str = "100.00") -> SampleDocument:
    doc = make_sample(owner or company.rep_a1, amount=amount)
    approvals.submit(doc, actor=owner or company.rep_a1)
    return doc


def approved(company: Company) -> SampleDocument:
    doc = submitted(company)
    approvals.approve(doc, actor=company.manager_a)
    return doc


def assert_status_audit(
    doc: SampleDocument, actor: Employee, action: str, old: str, new: str, note: str = ""
):
    entry = audit_of(doc).last()
    assert entry is not None
    assert (entry.action, entry.actor, entry.actor_name) == (action, actor.user, actor.name)
    assert entry.changes == {"status": [old, new]}
    assert entry.note == note
    assert abs((timezone.now() - entry.at).total_seconds()) < 60


def steps_of(request: ApprovalRequest) -> list[tuple[str, str, str]]:
    return [
        (s.actor.name, s.decision, s.reason) for s in request.steps.select_related("actor").order_by("id")
    ]


# The transitions ------------------------------------------------------------------------------------


def test_submitting_sends_the_document_to_the_nearest_department_manager(company: Company) -> None:
    doc = make_sample(company.rep_a1, amount="250.00")

    request = approvals.submit(doc, actor=company.rep_a1)

    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert list(request.approvers.all()) == [company.manager_a]
    assert (request.requested_by, request.document_number, request.amount) == (
        company.rep_a1,
        doc.number,
        Decimal("250.00"),
    )
    assert request.department == company.team_a
    assert request.rule is None
    assert steps_of(request) == [("张伟", "submit", "")]
    assert request.steps.get().at == request.requested_at
    assert_status_audit(doc, company.rep_a1, "submit", "草稿", "待审核")


def test_approving_records_the_decision_step_and_audit(company: Company) -> None:
    doc = submitted(company)

    request = approvals.approve(doc, actor=company.manager_a, comment=" 同意 ")

    doc.refresh_from_db()
    request.refresh_from_db()
    assert doc.status == Status.APPROVED
    assert (request.status, request.decided_by, request.reason) == (
        RequestStatus.APPROVED,
        company.manager_a,
        "同意",
    )
    assert request.decided_at is not None
    assert steps_of(request) == [("张伟", "submit", ""), ("李经理", "approve", "同意")]
    step_at = request.steps.get(decision="approve").at
    assert abs((step_at - request.decided_at).total_seconds()) < 5  # type: ignore[operator]
    assert_status_audit(doc, company.manager_a, "approve", "待审核", "已审核", note="同意")


def test_rejecting_with_a_reason_makes_the_document_editable_again_and_it_can_be_resubmitted(
    company: Company,
) -> None:
    doc = submitted(company)

    first = approvals.reject(doc, actor=company.manager_a, reason="  单价有误  ")

    doc.refresh_from_db()
    first.refresh_from_db()
    assert doc.status == Status.REJECTED
    assert doc.get_status_display() == "已驳回"
    assert doc.is_editable
    assert (first.status, first.decided_by, first.reason) == (
        RequestStatus.REJECTED,
        company.manager_a,
        "单价有误",
    )
    assert steps_of(first) == [("张伟", "submit", ""), ("李经理", "reject", "单价有误")]
    assert_status_audit(doc, company.manager_a, "reject", "待审核", "已驳回", note="单价有误")

    SampleDocument.objects.filter(pk=doc.pk).update(amount=Decimal("90.00"))
    doc.refresh_from_db()
    second = approvals.submit(doc, actor=company.rep_a1)

    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    assert second.pk != first.pk
    assert (second.status, second.amount) == (RequestStatus.PENDING, Decimal("90.00"))
    assert_status_audit(doc, company.rep_a1, "submit", "已驳回", "待审核")
    approvals.approve(doc, actor=company.manager_a)
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED


def test_withdrawing_takes_a_submitted_document_back_to_draft(company: Company) -> None:
    doc = submitted(company)

    request = approvals.withdraw(doc, actor=company.rep_a1)

    doc.refresh_from_db()
    request.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert (request.status, request.decided_by) == (RequestStatus.WITHDRAWN, company.rep_a1)
    assert steps_of(request) == [("张伟", "submit", ""), ("张伟", "withdraw", "")]
    assert_status_audit(doc, company.rep_a1, "withdraw", "待审核", "草稿")
    assert not selectors.pending_for(company.manager_a.user).exists()


def test_unapproving_while_nothing_is_downstream_returns_the_document_to_draft(company: Company) -> None:
    doc = approved(company)

    request = approvals.unapprove(doc, actor=company.manager_a, reason="客户改了数量")

    doc.refresh_from_db()
    request.refresh_from_db()
    assert doc.status == Status.DRAFT
    assert request.status == RequestStatus.REVOKED
    assert steps_of(request)[-1] == ("李经理", "unapprove", "客户改了数量")
    assert_status_audit(doc, company.manager_a, "unapprove", "已审核", "草稿", note="客户改了数量")


@pytest.mark.parametrize("start", ["draft", "rejected"])
def test_cancelling_a_draft_or_rejected_document_keeps_it_on_record(company: Company, start: str) -> None:
    if start == "draft":
        doc = make_sample(company.rep_a1)
    else:
        doc = submitted(company)
        approvals.reject(doc, actor=company.manager_a, reason="不要了")
        doc.refresh_from_db()

    approvals.cancel(doc, actor=company.rep_a1, reason="客户取消")

    doc.refresh_from_db()
    assert doc.status == Status.CANCELLED
    assert SampleDocument.objects.filter(number=doc.number).exists()
    label = "草稿" if start == "draft" else "已驳回"
    assert_status_audit(doc, company.rep_a1, "cancel", label, "已作废", note="客户取消")


def test_a_full_history_is_one_step_and_one_audit_row_per_decision(company: Company) -> None:
    doc = submitted(company)
    approvals.reject(doc, actor=company.manager_a, reason="再看看")
    approvals.submit(doc, actor=company.rep_a1)
    approvals.approve(doc, actor=company.manager_a)
    approvals.unapprove(doc, actor=company.manager_a, reason="改价")

    history = [(s.actor.name, s.decision, s.reason) for s in selectors.history_of(doc)]
    assert history == [
        ("张伟", "submit", ""),
        ("李经理", "reject", "再看看"),
        ("张伟", "submit", ""),
        ("李经理", "approve", ""),
        ("李经理", "unapprove", "改价"),
    ]
    assert [(e.action, e.changes.get("status")) for e in audit_of(doc)] == [
        ("create", [None, "草稿"]),
        ("submit", ["草稿", "待审核"]),
        ("reject", ["待审核", "已驳回"]),
        ("submit", ["已驳回", "待审核"]),
        ("approve", ["待审核", "已审核"]),
        ("unapprove", ["已审核", "草稿"]),
    ]


# The refusals ---------------------------------------------------------------------------------------


def test_approving_or_rejecting_by_someone_who_is_not_an_approver_is_refused(company: Company) -> None:
    doc = submitted(company)

    for actor in (company.rep_a1, company.rep_a2, company.sales_head, company.assistant_a, company.admin):
        assert_refused(partial(approvals.approve, doc, actor=actor), doc, NOT_APPROVER)
        assert_refused(partial(approvals.reject, doc, actor=actor, reason="越权"), doc, NOT_APPROVER)


def test_a_manager_cannot_approve_their_own_document_it_goes_to_the_manager_above(company: Company) -> None:
    doc = make_sample(company.manager_a)

    request = approvals.submit(doc, actor=company.manager_a)

    assert list(request.approvers.all()) == [company.sales_head]
    assert_refused(lambda: approvals.approve(doc, actor=company.manager_a), doc, NOT_APPROVER)
    approvals.approve(doc, actor=company.sales_head)
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED


def test_a_document_submitted_by_a_colleague_is_not_approved_by_its_own_owner(company: Company) -> None:
    doc = make_sample(company.manager_a)  # the assistant of team A submits it on the manager's behalf

    request = approvals.submit(doc, actor=company.assistant_a)

    assert list(request.approvers.all()) == [company.sales_head]
    assert_refused(lambda: approvals.approve(doc, actor=company.manager_a), doc, NOT_APPROVER)


def test_a_left_manager_is_skipped_and_the_manager_above_approves(company: Company) -> None:
    org.leave_employee(company.manager_a, actor=None, handover_to=company.sales_head)
    doc = make_sample(company.rep_a1)

    request = approvals.submit(doc, actor=company.rep_a1)

    assert list(request.approvers.all()) == [company.sales_head]


def test_approving_twice_is_refused_with_invalid_state(company: Company) -> None:
    doc = approved(company)

    expected = ("invalid_state", f"单据 {doc.number} 不在待审核状态。")
    assert_refused(lambda: approvals.approve(doc, actor=company.manager_a), doc, expected)
    assert_refused(lambda: approvals.reject(doc, actor=company.manager_a, reason="晚了"), doc, expected)


def test_approving_a_draft_is_refused_with_invalid_state(company: Company) -> None:
    doc = make_sample(company.rep_a1)

    expected = ("invalid_state", f"单据 {doc.number} 不在待审核状态。")
    assert_refused(lambda: approvals.approve(doc, actor=company.manager_a), doc, expected)


def test_approving_with_a_stale_copy_after_a_withdrawal_is_refused(company: Company) -> None:
    doc = submitted(company)
    stale = SampleDocument.objects.get(pk=doc.pk)
    approvals.withdraw(doc, actor=company.rep_a1)

    expected = ("invalid_state", f"单据 {doc.number} 不在待审核状态。")
    assert_refused(lambda: approvals.approve(stale, actor=company.manager_a), stale, expected)


def test_rejecting_without_a_reason_is_refused(company: Company) -> None:
    doc = submitted(company)

    for reason in ("", "   ", "\n\t"):
        assert_refused(
            partial(approvals.reject, doc, actor=company.manager_a, reason=reason),
            doc,
            REASON_REQUIRED,
        )


def test_unapproving_without_a_reason_is_refused(company: Company) -> None:
    doc = approved(company)

    assert_refused(
        lambda: approvals.unapprove(doc, actor=company.manager_a, reason=" "), doc, REASON_REQUIRED
    )


def test_unapproving_once_something_is_downstream_is_refused(company: Company) -> None:
    doc = approved(company)
    SampleDocument.objects.filter(pk=doc.pk).update(downstream=True)
    doc.refresh_from_db()

    assert_refused(
        lambda: approvals.unapprove(doc, actor=company.manager_a, reason="想改"), doc, HAS_DOWNSTREAM
    )
    assert doc.status == Status.APPROVED


def test_unapproving_by_someone_who_did_not_approve_is_refused(company: Company) -> None:
    doc = approved(company)

    assert_refused(lambda: approvals.unapprove(doc, actor=company.rep_a1, reason="我想改"), doc, NOT_APPROVER)


def test_unapproving_a_document_that_is_not_approved_is_refused(company: Company) -> None:
    doc = submitted(company)

    expected = ("invalid_state", "只有已审核的单据才能反审核。")
    assert_refused(lambda: approvals.unapprove(doc, actor=company.manager_a, reason="试试"), doc, expected)


def test_submitting_with_no_manager_anywhere_up_the_tree_is_refused(company: Company) -> None:
    doc = make_sample(company.purchaser)  # 采购部 and the company root have no manager

    assert_refused(lambda: approvals.submit(doc, actor=company.purchaser), doc, NO_APPROVER)
    assert doc.status == Status.DRAFT


def test_a_lone_manager_at_the_top_cannot_submit_for_want_of_an_approver(company: Company) -> None:
    top = make_department("分公司", company.root)
    boss = make_employee(top, "manager", "salesperson", username="boss", name="分公司经理", is_manager=True)
    doc = make_sample(boss)

    assert_refused(lambda: approvals.submit(doc, actor=boss), doc, NO_APPROVER)


def test_submitting_a_document_outside_ones_scope_is_refused_as_not_found(company: Company) -> None:
    doc = make_sample(company.rep_a1)

    assert_refused(lambda: approvals.submit(doc, actor=company.rep_b1), doc, NOT_FOUND)


def test_withdrawing_or_cancelling_outside_ones_scope_is_refused_as_not_found(company: Company) -> None:
    doc = submitted(company)
    draft = make_sample(company.rep_a1)

    assert_refused(lambda: approvals.withdraw(doc, actor=company.rep_b1), doc, NOT_FOUND)
    assert_refused(lambda: approvals.cancel(draft, actor=company.rep_b1), draft, NOT_FOUND)


def test_submitting_twice_is_refused_with_invalid_state(company: Company) -> None:
    doc = submitted(company)

    expected = ("invalid_state", f"单据 {doc.number} 当前状态为“待审核”，不能提交。")
    assert_refused(lambda: approvals.submit(doc, actor=company.rep_a1), doc, expected)


def test_withdrawing_a_draft_is_refused_with_invalid_state(company: Company) -> None:
    doc = make_sample(company.rep_a1)

    expected = ("invalid_state", f"单据 {doc.number} 不在待审核状态。")
    assert_refused(lambda: approvals.withdraw(doc, actor=company.rep_a1), doc, expected)


@pytest.mark.parametrize(("start", "label"), [("submitted", "待审核"), ("approved", "已审核")])
def test_cancelling_a_submitted_or_approved_document_is_refused(
    company: Company, start: str, label: str
) -> None:
    doc = submitted(company) if start == "submitted" else approved(company)
    doc.refresh_from_db()

    expected = ("invalid_state", f"单据 {doc.number} 当前状态为“{label}”，不能作废。")
    assert_refused(lambda: approvals.cancel(doc, actor=company.rep_a1), doc, expected)


def test_a_cancelled_document_cannot_be_submitted(company: Company) -> None:
    doc = make_sample(company.rep_a1)
    approvals.cancel(doc, actor=company.rep_a1)

    expected = ("invalid_state", f"单据 {doc.number} 当前状态为“已作废”，不能提交。")
    assert_refused(lambda: approvals.submit(doc, actor=company.rep_a1), doc, expected)


# The inbox ------------------------------------------------------------------------------------------


def test_the_inbox_lists_exactly_what_waits_for_each_user(company: Company) -> None:
    from_rep = submitted(company, company.rep_a1)
    from_manager = submitted(company, company.manager_a)
    from_team_b = submitted(company, company.rep_b1)
    decided = submitted(company, company.rep_a2)
    approvals.approve(decided, actor=company.manager_a)
    make_sample(company.rep_a1)  # a draft waits for nobody

    def inbox(employee: Employee) -> set[str]:
        return {r.document_number for r in selectors.pending_for(employee.user)}

    assert inbox(company.manager_a) == {from_rep.number}
    assert inbox(company.sales_head) == {from_manager.number, from_team_b.number}
    for employee in (company.admin, company.rep_a1, company.assistant_a, company.finance_clerk):
        assert inbox(employee) == set()
    assert selectors.pending_count(company.sales_head.user) == 2

    approvals.approve(from_manager, actor=company.sales_head)
    assert inbox(company.sales_head) == {from_team_b.number}


def test_a_left_approver_has_an_empty_inbox(company: Company) -> None:
    submitted(company)
    org.leave_employee(company.manager_a, actor=None, handover_to=company.sales_head)
    company.manager_a.user.refresh_from_db()

    assert not selectors.pending_for(company.manager_a.user).exists()


def test_unapproving_a_document_that_has_moved_on_says_it_has_downstream_documents(company) -> None:
    from maoyi.approvals.services import approve, submit, unapprove
    from maoyi.core.errors import HasDownstream
    from tests.docapp.models import SampleDocument
    from tests.factories import make_sample

    doc = make_sample(company.rep_a1)
    submit(doc, actor=company.rep_a1)
    approve(doc, actor=company.manager_a)
    SampleDocument.objects.filter(pk=doc.pk).update(status="in_progress", downstream=True)
    doc.refresh_from_db()
    with pytest.raises(HasDownstream) as refused:
        unapprove(doc, actor=company.manager_a, reason="录错了")
    assert (refused.value.code, refused.value.message) == ("has_downstream", "已有后续单据，不能反审核。")
    doc.refresh_from_db()
    assert doc.status == "in_progress"
