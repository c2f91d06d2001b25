"""Approve against reject on the same document at the same moment (R9): each race records exactly
one decision, and the loser is refused with `invalid_state`."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep, ApproverKind, RequestStatus
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import InvalidState
from maoyi.org.models import Employee
from tests.conftest import build_company
from tests.docapp.models import SampleDocument
from tests.factories import make_sample, role

ROUNDS = 20


def _race(doc_pk: int, approver_pk: int, rejecter_pk: int) -> tuple[dict[str, Any], list[BaseException]]:
    """Run approve and reject from two threads, each with its own connection, released together."""
    barrier = threading.Barrier(2)
    outcome: dict[str, Any] = {}
    errors: list[BaseException] = []

    def decide(kind: str, actor_pk: int) -> None:
        try:
            doc = SampleDocument.objects.get(pk=doc_pk)
            actor = Employee.objects.select_related("user").get(pk=actor_pk)
            barrier.wait(timeout=30)
            if kind == "approve":
                approvals.approve(doc, actor=actor, comment="同意")
            else:
                approvals.reject(doc, actor=actor, reason="不同意")
            outcome[kind] = "won"
        except InvalidState as exc:
            outcome[kind] = exc
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("approve", approver_pk)),
        threading.Thread(target=decide, args=("reject", rejecter_pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a decision thread hung"
    return outcome, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approve_against_reject_records_exactly_one_decision_per_round() -> None:
    company = build_company()
    approvals.save_rule(
        None,
        actor=None,
        document_type="sample",
        name="经理角色审批",
        approver_kind=ApproverKind.ROLE,
        role_id=role("manager").pk,
    )
    wins = {"approve": 0, "reject": 0}

    for round_no in range(ROUNDS):
        doc = make_sample(company.rep_a1, title=f"竞争第{round_no}轮")
        request = approvals.submit(doc, actor=company.rep_a1)
        assert set(request.approvers.all()) == {company.manager_a, company.sales_head}

        outcome, errors = _race(doc.pk, company.manager_a.pk, company.sales_head.pk)

        assert errors == []
        winners = [kind for kind, result in outcome.items() if result == "won"]
        losers = [result for result in outcome.values() if isinstance(result, InvalidState)]
        assert len(winners) == 1, outcome
        assert len(losers) == 1, outcome
        assert losers[0].code == "invalid_state"
        assert losers[0].message in {
            f"单据 {doc.number} 不在待审核状态。",
            "这张单据已经有人处理过了，请刷新页面。",
            f"单据 {doc.number} 当前状态为“{'已审核' if winners[0] == 'approve' else '已驳回'}”，"
            f"不能{'驳回' if winners[0] == 'approve' else '审核通过'}。",
        }
        wins[winners[0]] += 1

        doc.refresh_from_db()
        request.refresh_from_db()
        expected_status = Status.APPROVED if winners[0] == "approve" else Status.REJECTED
        assert doc.status == expected_status
        assert request.status == (
            RequestStatus.APPROVED if winners[0] == "approve" else RequestStatus.REJECTED
        )
        decisions = list(
            ApprovalStep.objects.filter(request=request)
            .exclude(decision="submit")
            .values_list("decision", flat=True)
        )
        assert decisions == [winners[0]]
        ct = ContentType.objects.get_for_model(doc)
        audited = list(
            AuditEntry.objects.filter(content_type=ct, object_id=str(doc.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert audited == ["create", "submit", winners[0]]

    recorded = ApprovalStep.objects.exclude(decision="submit").count()
    print(
        f"FIGURE approval_races={ROUNDS} decisions_recorded={recorded} "
        f"approve_won={wins['approve']} reject_won={wins['reject']}"
    )
    assert recorded == ROUNDS
    assert ApprovalRequest.objects.filter(status=RequestStatus.PENDING).count() == 0
