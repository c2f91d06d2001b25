"""Function-level authorisation inside services: every write checks the actor's role."""

from __future__ import annotations

from typing import Any

from maoyi.core.errors import PermissionRefused


def require_permission(actor: Any, perm: str) -> None:
    """Refuse unless the actor's roles hold `perm` (e.g. "org.add_employee"). A missing actor is the
    system itself (the demo loader, management commands), which may do anything."""
    if actor is not None and not actor.user.has_perm(perm):
        raise PermissionRefused()
