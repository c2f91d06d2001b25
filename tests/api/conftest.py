"""API fixtures: a DRF client per employee (token auth), a snapshot of the records a refusal must
leave untouched, and a small approval setup (one document waiting for manager A)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maoyi.api.models import IdempotencyRecord
from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.org.models import Department, Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_sample

ClientFor = Callable[[Employee], APIClient]

# Everything an API write can touch in the code under test.
_WATCHED: tuple[Any, ...] = (
    Department,
    Employee,
    Employee.roles.through,
    get_user_model(),
    Token,
    SampleDocument,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    IdempotencyRecord,
)


def token_client(employee: Employee) -> APIClient:
    """An APIClient sending `Authorization: Token …` for the employee (its own DB token)."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=employee.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client_for(db: None) -> ClientFor:
    return token_client


@pytest.fixture
def admin_api(company: Company) -> APIClient:
    return token_client(company.admin)


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every watched table, so a refusal can be shown to have changed nothing."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in _WATCHED}


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """`with unchanged(): …` asserts the block leaves every watched table as it was."""
    from contextlib import contextmanager

    @contextmanager
    def guard() -> Any:
        before = db_state()
        yield
        after = db_state()
        assert after == before

    return guard


@dataclass
class Pending:
    doc: SampleDocument  # rep_a1's document, waiting for manager_a
    request: ApprovalRequest
    doc_b: SampleDocument  # rep_b1's document, waiting for sales_head (team B has no manager)
    request_b: ApprovalRequest


@pytest.fixture
def pending(company: Company) -> Pending:
    doc = make_sample(company.rep_a1, title="A组报价", amount="1200.00")
    request = approvals.submit(doc, actor=company.rep_a1)
    doc_b = make_sample(company.rep_b1, title="B组报价", amount="800.00")
    request_b = approvals.submit(doc_b, actor=company.rep_b1)
    return Pending(doc=doc, request=request, doc_b=doc_b, request_b=request_b)
