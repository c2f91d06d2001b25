"""Purchasing test helpers: the supplier permissions the built-in roles are proposed to hold (until
org/roles.py grants them) and a supplier builder that goes through the service."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

from maoyi.org.models import Role
from maoyi.purchasing.models import Supplier
from maoyi.purchasing.services import suppliers as services

SUPPLIER_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "purchaser": ("view_supplier", "add_supplier", "change_supplier"),
    "admin": ("view_supplier", "add_supplier", "change_supplier"),
    "manager": ("view_supplier",),
    "logistics": ("view_supplier",),
    "finance": ("view_supplier",),
}


def grant_supplier_permissions() -> None:
    for role in Role.objects.filter(code__in=SUPPLIER_PERMISSIONS):
        codenames = SUPPLIER_PERMISSIONS[role.code]
        perms = Permission.objects.filter(content_type__app_label="purchasing", codename__in=codenames)
        role.group.permissions.add(*perms)


def make_supplier(name: str = "上海康德莱企业发展集团股份有限公司", **fields: Any) -> Supplier:
    return services.create_supplier(actor=None, name=name, **fields)
