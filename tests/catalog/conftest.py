"""Catalog test helpers: a snapshot of every catalog table, so a refusal can be shown to change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.inventory.models import Warehouse

WATCHED: tuple[Any, ...] = (Product, ProductPrice, Category, PriceLevel, Warehouse, AuditEntry)


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """`with unchanged(): …` asserts the block leaves every catalog table as it was."""

    @contextmanager
    def guard() -> Iterator[None]:
        before = db_state()
        yield
        assert db_state() == before

    return guard
