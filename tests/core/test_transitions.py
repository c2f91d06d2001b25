"""`transition`: the conditional UPDATE every workflow goes through. Each action moves only from the
statuses in the transition table; anything else, including a stale copy, is refused with
`invalid_state` and leaves the row as it was."""

from __future__ import annotations

import pytest

from maoyi.core.documents import ACTION_LABELS, EDITABLE, TRANSITIONS, Status, transition
from maoyi.core.errors import InvalidState
from maoyi.org.models import Employee
from tests.docapp.models import SampleDocument
from tests.factories import make_department, make_employee, make_sample


@pytest.fixture
def owner(db: None) -> Employee:
    return make_employee(make_department("测试部"), "salesperson", username="owner", name="单据负责人")


def sample_in(owner: Employee, status: str) -> SampleDocument:
    doc = make_sample(owner)
    SampleDocument.objects.filter(pk=doc.pk).update(status=status)
    doc.refresh_from_db()
    return doc


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_action_moves_only_from_the_statuses_its_table_allows(owner: Employee, action: str) -> None:
    allowed_from, to = TRANSITIONS[action]
    for status in Status:
        doc = sample_in(owner, status)
        before = SampleDocument.objects.filter(pk=doc.pk).values().get()

        if status in allowed_from:
            assert transition(doc, action) == status
            assert doc.status == to
            doc.refresh_from_db()
            assert doc.status == to, status
            assert doc.updated_at >= before["updated_at"]
            continue

        with pytest.raises(InvalidState) as refused:
            transition(doc, action)

        assert refused.value.code == "invalid_state"
        assert refused.value.message == (
            f"单据 {doc.number} 当前状态为“{Status(status).label}”，不能{ACTION_LABELS[action]}。"
        )
        assert doc.status == status
        assert SampleDocument.objects.filter(pk=doc.pk).values().get() == before, status


def test_the_transition_table_is_the_one_the_workflow_relies_on() -> None:
    assert {action: (set(start), to) for action, (start, to) in TRANSITIONS.items()} == {
        "submit": ({Status.DRAFT, Status.REJECTED}, Status.SUBMITTED),
        "withdraw": ({Status.SUBMITTED}, Status.DRAFT),
        "approve": ({Status.SUBMITTED}, Status.APPROVED),
        "reject": ({Status.SUBMITTED}, Status.REJECTED),
        "unapprove": ({Status.APPROVED}, Status.DRAFT),
        "cancel": ({Status.DRAFT, Status.REJECTED}, Status.CANCELLED),
    }


def test_a_stale_copy_is_refused_once_someone_else_moved_the_document(owner: Employee) -> None:
    doc = sample_in(owner, Status.SUBMITTED)
    mine = SampleDocument.objects.get(pk=doc.pk)
    theirs = SampleDocument.objects.get(pk=doc.pk)

    transition(theirs, "approve")
    with pytest.raises(InvalidState) as refused:
        transition(mine, "reject")

    assert refused.value.code == "invalid_state"
    assert refused.value.message == f"单据 {doc.number} 当前状态为“已审核”，不能驳回。"
    doc.refresh_from_db()
    assert doc.status == Status.APPROVED


def test_an_unknown_action_is_refused_with_the_default_message(owner: Employee) -> None:
    doc = sample_in(owner, Status.DRAFT)

    with pytest.raises(InvalidState) as refused:
        transition(doc, "explode")

    assert refused.value.code == "invalid_state"
    assert refused.value.message == "单据当前状态不允许此操作。"
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_a_transition_writes_the_extra_fields_in_the_same_update(owner: Employee) -> None:
    doc = sample_in(owner, Status.DRAFT)

    transition(doc, "submit", title="已提交的标题")

    assert doc.title == "已提交的标题"
    doc.refresh_from_db()
    assert (doc.status, doc.title) == (Status.SUBMITTED, "已提交的标题")


def test_a_refused_transition_does_not_write_the_extra_fields(owner: Employee) -> None:
    doc = sample_in(owner, Status.APPROVED)

    with pytest.raises(InvalidState):
        transition(doc, "submit", title="不该写入")

    doc.refresh_from_db()
    assert (doc.status, doc.title) == (Status.APPROVED, "测试单据")


def test_only_drafts_and_rejected_documents_are_editable(owner: Employee) -> None:
    for status in Status:
        doc = sample_in(owner, status)
        assert doc.is_editable is (status in {Status.DRAFT, Status.REJECTED}), status
        assert (status in EDITABLE) is doc.is_editable
