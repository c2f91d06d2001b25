"""CRM test helpers: the customer permissions the built-in roles are proposed to hold, and a
customer builder that goes through the service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission

from maoyi.audit.models import AuditEntry
from maoyi.crm import services
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel
from maoyi.org.models import Employee, Role

# Proposed defaults for org/roles.py (until the lead adds them there).
CUSTOMER_PERMISSIONS = {
    "salesperson": ("view", "add", "change"),
    "sales_assistant": ("view", "add", "change"),
    "manager": ("view", "add", "change"),
    "finance": ("view",),
    "admin": ("view", "add", "change"),
}


def grant_customer_permissions() -> None:
    for code, verbs in CUSTOMER_PERMISSIONS.items():
        role = Role.objects.get(code=code)
        perms = Permission.objects.filter(
            content_type__app_label="crm", codename__in=[f"{v}_customer" for v in verbs]
        )
        role.group.permissions.add(*perms)


def make_customer(
    owner: Employee | None,
    name: str = "北京协和医院",
    *,
    kind: str = CustomerKind.END_CUSTOMER,
    level: str = CustomerLevel.B,
    **fields: Any,
) -> Customer:
    """A customer owned by `owner` (None: in the public pool), made by the system."""
    fields.setdefault("credit_limit", Decimal("0"))
    return services.create_customer(actor=None, name=name, kind=kind, level=level, owner=owner, **fields)


def crm_state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Customer, AuditEntry)}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves customers and the audit trail as they were."""
    before = crm_state()
    yield
    assert crm_state() == before
