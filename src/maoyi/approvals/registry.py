"""Each document type may put its own service behind the inbox's approve and reject buttons
(a sales order reserves stock when approved); the default is the plain approval workflow. A type
whose approval can be let through a rule by a permitted approver with a reason (a sales order over
the customer's credit limit) names that reason's argument, so the inbox asks for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from maoyi.approvals import services


@dataclass(frozen=True)
class OverrideReason:
    """A reason the approve service accepts as its keyword `argument` from holders of `permission`."""

    argument: str
    permission: str
    label: Any
    help_text: Any = ""


@dataclass(frozen=True)
class DocumentActions:
    approve: Callable[..., Any] = services.approve
    reject: Callable[..., Any] = services.reject
    unapprove: Callable[..., Any] = services.unapprove
    override: OverrideReason | None = None


_ACTIONS: dict[str, DocumentActions] = {}


def register(document_type: str, actions: DocumentActions) -> None:
    _ACTIONS[document_type] = actions


def actions_for(document_type: str) -> DocumentActions:
    return _ACTIONS.get(document_type, DocumentActions())
