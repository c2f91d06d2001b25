"""Each document type may put its own service behind the inbox's approve and reject buttons
(a sales order reserves stock when approved); the default is the plain approval workflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from maoyi.approvals import services


@dataclass(frozen=True)
class DocumentActions:
    approve: Callable[..., Any] = services.approve
    reject: Callable[..., Any] = services.reject
    unapprove: Callable[..., Any] = services.unapprove


_ACTIONS: dict[str, DocumentActions] = {}


def register(document_type: str, actions: DocumentActions) -> None:
    _ACTIONS[document_type] = actions


def actions_for(document_type: str) -> DocumentActions:
    return _ACTIONS.get(document_type, DocumentActions())
