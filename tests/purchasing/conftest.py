"""Purchasing fixtures: supplier permissions on the built-in roles, and a snapshot of every
purchasing table (with the audit trail and the code counter) so a refusal can be shown to change
nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.models import DocumentSequence
from maoyi.purchasing.models import Supplier, SupplierContact
from tests.purchasing.builders import grant_supplier_permissions

WATCHED: tuple[Any, ...] = (Supplier, SupplierContact, AuditEntry, DocumentSequence)


@pytest.fixture(autouse=True)
def _supplier_permissions(company: Any) -> None:
    grant_supplier_permissions()


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """`with unchanged(): …` asserts the block leaves every purchasing table as it was."""

    @contextmanager
    def guard() -> Iterator[None]:
        before = db_state()
        yield
        assert db_state() == before

    return guard
