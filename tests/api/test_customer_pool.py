"""POST /api/v1/customers/{id}/claim/, /release/ and /transfer/ (API.md)."""

from __future__ import annotations

import pytest

from maoyi.crm.models import Customer, OwnershipChange, PoolSettings
from tests.crm.builders import grant_customer_permissions, make_customer


@pytest.fixture(autouse=True)
def _permissions(company) -> None:
    grant_customer_permissions()


def url(customer: Customer, name: str) -> str:
    return f"/api/v1/customers/{customer.pk}/{name}/"


def test_claim(company, api_client_for) -> None:
    customer = make_customer(None, "公海医院")
    response = api_client_for(company.rep_a1).post(url(customer, "claim"))
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == company.rep_a1.pk and response.json()["name"] == "公海医院"
    again = api_client_for(company.rep_b1).post(url(customer, "claim"))
    assert again.status_code == 404  # now rep_a1's: outside rep_b1's scope
    mine = api_client_for(company.rep_a1).post(url(customer, "claim"))
    assert mine.status_code == 409
    assert mine.json() == {"detail": "客户“公海医院”不在公海中，可能已被他人领取。", "code": "not_in_pool"}


def test_claim_limits_answer_409_and_change_nothing(company, api_client_for) -> None:
    PoolSettings.objects.create(max_owned=1, daily_claims=10, cooldown_days=30)
    make_customer(company.rep_a1, "甲医院")
    customer = make_customer(None, "乙医院")
    before = OwnershipChange.objects.count()
    response = api_client_for(company.rep_a1).post(url(customer, "claim"))
    assert response.status_code == 409 and response.json()["code"] == "claim_limit"
    customer.refresh_from_db()
    assert customer.owner is None and OwnershipChange.objects.count() == before


def test_claim_needs_the_change_permission(company, api_client_for) -> None:
    customer = make_customer(None, "公海医院")
    assert api_client_for(company.purchaser).post(url(customer, "claim")).status_code == 403
    assert api_client_for(company.finance_clerk).post(url(customer, "claim")).status_code == 403


def test_release_and_cooldown(company, api_client_for) -> None:
    customer = make_customer(company.rep_a1)
    client = api_client_for(company.rep_a1)
    missing = client.post(url(customer, "release"), {}, format="json")
    assert missing.status_code == 400 and missing.json() == {"reason": ["请填写原因。"]}
    response = client.post(url(customer, "release"), {"reason": "暂无需求"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] is None
    cooled = client.post(url(customer, "claim"))
    assert cooled.status_code == 409 and cooled.json()["code"] == "claim_cooldown"
    other = make_customer(company.rep_b1, "别人的医院")
    assert client.post(url(other, "release"), {"reason": "x"}, format="json").status_code == 404


def test_transfer(company, api_client_for) -> None:
    customer = make_customer(company.rep_a1)
    manager = api_client_for(company.manager_a)
    bad = manager.post(url(customer, "transfer"), {"to": company.rep_b1.pk, "reason": "跨组"}, format="json")
    assert bad.status_code == 400 and bad.json() == {"to": ["“钱丽”不在您的管理范围内。"]}
    unknown = manager.post(url(customer, "transfer"), {"to": 999999, "reason": "x"}, format="json")
    assert unknown.status_code == 400 and "to" in unknown.json()
    response = manager.post(
        url(customer, "transfer"), {"to": company.rep_a2.pk, "reason": "调整"}, format="json"
    )
    assert response.status_code == 200 and response.json()["owner"] == company.rep_a2.pk
    rep = api_client_for(company.rep_a2)
    refused = rep.post(
        url(customer, "transfer"), {"to": company.rep_a1.pk, "reason": "还给你"}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
