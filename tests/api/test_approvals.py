"""/api/v1/approvals/: the inbox (`?mine=`), approve and reject, data scope."""

from __future__ import annotations

from typing import Any

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest
from tests.api.conftest import ClientFor, Pending
from tests.conftest import Company
from tests.docapp.models import SampleDocument

URL = "/api/v1/approvals/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_mine_pending_lists_exactly_what_waits_for_the_caller(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    assert _ids(api_client_for(company.manager_a).get(URL, {"mine": "pending"})) == [pending.request.pk]
    assert _ids(api_client_for(company.sales_head).get(URL, {"mine": "pending"})) == [pending.request_b.pk]
    assert _ids(api_client_for(company.rep_a1).get(URL, {"mine": "pending"})) == []
    assert _ids(api_client_for(company.admin).get(URL, {"mine": "pending"})) == []


def test_mine_submitted_and_decided(company: Company, pending: Pending, api_client_for: ClientFor) -> None:
    manager = api_client_for(company.manager_a)
    assert manager.post(f"{URL}{pending.request.pk}/approve/", {}, format="json").status_code == 200

    assert _ids(api_client_for(company.rep_a1).get(URL, {"mine": "submitted"})) == [pending.request.pk]
    assert _ids(manager.get(URL, {"mine": "decided"})) == [pending.request.pk]
    assert _ids(manager.get(URL, {"mine": "pending"})) == []


def test_a_request_row_carries_the_api_md_fields(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    row = api_client_for(company.manager_a).get(URL, {"mine": "pending"}).json()["results"][0]

    assert row["document_type"] == "sample"
    assert row["document_number"] == pending.doc.number
    assert row["status"] == "pending"
    assert row["requested_by"] == "张伟"
    assert row["decided_by"] is None
    assert row["reason"] == ""


def test_the_approver_approves_and_gets_the_updated_request(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    response = api_client_for(company.manager_a).post(
        f"{URL}{pending.request.pk}/approve/", {"comment": "同意"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["decided_by"], body["reason"]) == (
        pending.request.pk,
        "approved",
        "李经理",
        "同意",
    )
    assert [step["decision"] for step in body["steps"]] == ["submit", "approve"]
    assert SampleDocument.objects.get(pk=pending.doc.pk).status == "approved"


def test_someone_in_scope_who_is_not_an_approver_gets_409_not_approver(
    company: Company, pending: Pending, api_client_for: ClientFor, unchanged
) -> None:
    # The sales head sees team A's request (their department includes team A) but only manager A
    # was named as its approver.
    client = api_client_for(company.sales_head)
    assert client.get(f"{URL}{pending.request.pk}/").status_code == 200

    with unchanged():
        response = client.post(f"{URL}{pending.request.pk}/approve/", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "您不是这张单据的审批人。", "code": "not_approver"}


def test_approving_twice_gets_409_invalid_state(
    company: Company, pending: Pending, api_client_for: ClientFor, unchanged
) -> None:
    client = api_client_for(company.manager_a)
    assert client.post(f"{URL}{pending.request.pk}/approve/", {}, format="json").status_code == 200

    with unchanged():
        response = client.post(f"{URL}{pending.request.pk}/approve/", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"单据 {pending.doc.number} 不在待审核状态。",
        "code": "invalid_state",
    }


def test_reject_without_a_reason_is_refused_as_input(
    company: Company, pending: Pending, api_client_for: ClientFor, unchanged
) -> None:
    client = api_client_for(company.manager_a)
    url = f"{URL}{pending.request.pk}/reject/"

    with unchanged():
        missing = client.post(url, {}, format="json")
        blank = client.post(url, {"reason": "   "}, format="json")

    assert missing.status_code == blank.status_code == 400
    assert missing.json() == {"reason": ["该字段是必填项。"]}
    assert blank.json() == {"reason": ["该字段不能为空。"]}


def test_reject_with_a_reason_sends_the_document_back(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    response = api_client_for(company.manager_a).post(
        f"{URL}{pending.request.pk}/reject/", {"reason": "价格太低"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", "价格太低")
    assert SampleDocument.objects.get(pk=pending.doc.pk).status == "rejected"


def test_a_request_outside_the_scope_and_not_the_callers_to_decide_is_404(
    company: Company, pending: Pending, api_client_for: ClientFor, unchanged
) -> None:
    # rep_a2 (own scope) and rep_b1 (other team) neither see rep_a1's request nor decide it.
    for who in (company.rep_a2, company.rep_b1):
        client = api_client_for(who)
        missing = client.get(f"{URL}999999/")
        with unchanged():
            responses = [
                client.get(f"{URL}{pending.request.pk}/"),
                client.post(f"{URL}{pending.request.pk}/approve/", {}, format="json"),
                client.post(f"{URL}{pending.request.pk}/reject/", {"reason": "不行"}, format="json"),
            ]
        for response in responses:
            assert response.status_code == 404
            assert response.json() == missing.json() == NOT_FOUND
        assert pending.request.pk not in _ids(client.get(URL))


def test_an_approver_outside_the_data_scope_still_sees_and_decides_their_request(
    company: Company, pending: Pending, api_client_for: ClientFor
) -> None:
    # The sales head decides team B's request: in scope. Manager A does not see it at all.
    assert api_client_for(company.manager_a).get(f"{URL}{pending.request_b.pk}/").status_code == 404
    response = api_client_for(company.sales_head).post(
        f"{URL}{pending.request_b.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_a_closed_request_cannot_be_used_to_decide_the_documents_next_round(
    company: Company, pending: Pending, api_client_for: ClientFor, unchanged
) -> None:
    client = api_client_for(company.manager_a)
    assert (
        client.post(f"{URL}{pending.request.pk}/reject/", {"reason": "改价"}, format="json").status_code
        == 200
    )
    doc = SampleDocument.objects.get(pk=pending.doc.pk)
    second_round = approvals.submit(doc, actor=company.rep_a1)

    with unchanged():
        response = client.post(f"{URL}{pending.request.pk}/approve/", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"单据 {pending.doc.number} 不在待审核状态。",
        "code": "invalid_state",
    }
    assert ApprovalRequest.objects.get(pk=second_round.pk).status == "pending"
    # The open round itself is decided through its own id.
    assert client.post(f"{URL}{second_round.pk}/approve/", {}, format="json").json()["status"] == "approved"


def test_the_status_filter_applies(company: Company, pending: Pending, api_client_for: ClientFor) -> None:
    admin = api_client_for(company.admin)
    api_client_for(company.manager_a).post(f"{URL}{pending.request.pk}/approve/", {}, format="json")

    assert _ids(admin.get(URL, {"status": "approved"})) == [pending.request.pk]
    assert _ids(admin.get(URL, {"status": "pending"})) == [pending.request_b.pk]
