"""Writes to the warehouse list: create and change warehouses; a warehouse with stock stays active."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.inventory.models import StockLevel, Warehouse
from maoyi.org.models import Employee, EmployeeStatus

WAREHOUSE_FIELDS = ("code", "name", "address", "keeper", "is_active")
WAREHOUSE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")


def _duplicate(code: str) -> DomainError:
    return DomainError(_("仓库编码“%(value)s”已存在。"), code="duplicate", field="code", value=code)


def _check(warehouse: Warehouse | None, *, code: str, name: str, keeper: Employee | None) -> None:
    if not code:
        raise DomainError(_("请填写仓库编码。"), code="invalid", field="code")
    if not WAREHOUSE_CODE_RE.match(code):
        raise DomainError(
            _("仓库编码须以字母或数字开头，只含字母、数字、连字符和下划线，最多 20 位。"),
            code="invalid",
            field="code",
        )
    if not name:
        raise DomainError(_("请填写仓库名称。"), code="invalid", field="name")
    keeps = warehouse is not None and keeper is not None and warehouse.keeper_id == keeper.pk
    active = (
        keeper is not None and Employee.objects.filter(pk=keeper.pk, status=EmployeeStatus.ACTIVE).exists()
    )
    if keeper is not None and not active and not keeps:
        raise DomainError(_("仓管员须是在职员工。"), code="invalid", field="keeper")
    if Warehouse.objects.filter(code__iexact=code).exclude(pk=warehouse.pk if warehouse else 0).exists():
        raise _duplicate(code)


@transaction.atomic
def create_warehouse(
    *, actor: Employee | None, code: str, name: str, address: str = "", keeper: Employee | None = None
) -> Warehouse:
    """A new warehouse; warehouse codes are unique (case-insensitive)."""
    require_permission(actor, "inventory.add_warehouse")
    code, name = code.strip(), name.strip()
    _check(None, code=code, name=name, keeper=keeper)
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the index decides
            warehouse = Warehouse.objects.create(code=code, name=name, address=address.strip(), keeper=keeper)
    except IntegrityError:
        raise _duplicate(code) from None
    audit.record_created(actor, warehouse, WAREHOUSE_FIELDS)
    return warehouse


@transaction.atomic
def update_warehouse(
    warehouse: Warehouse,
    *,
    actor: Employee | None,
    code: str,
    name: str,
    address: str = "",
    keeper: Employee | None = None,
    is_active: bool = True,
    version: int | None = None,
) -> Warehouse:
    """Change a warehouse; it cannot be switched off while any product is on hand in it."""
    require_permission(actor, "inventory.change_warehouse")
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    claim(warehouse, version, history=history_of)
    before = audit.snapshot(warehouse, WAREHOUSE_FIELDS)
    code, name = code.strip(), name.strip()
    _check(warehouse, code=code, name=name, keeper=keeper)
    if not is_active and warehouse.is_active:
        # Lock the warehouse's levels (in the ledger's order) so a posting in flight finishes first.
        levels = StockLevel.objects.select_for_update().filter(warehouse=warehouse).order_by("product_id")
        if any(level.on_hand > 0 for level in levels):
            raise DomainError(
                _("仓库“%(name)s”还有库存，不能停用。"),
                code="has_stock",
                field="is_active",
                name=warehouse.name,
            )
    warehouse.code, warehouse.name, warehouse.address = code, name, address.strip()
    warehouse.keeper, warehouse.is_active = keeper, is_active
    try:
        with transaction.atomic():
            warehouse.save()
    except IntegrityError:
        raise _duplicate(code) from None
    changes = audit.diff(before, audit.snapshot(warehouse, WAREHOUSE_FIELDS))
    if changes:
        audit.record(actor, "update", warehouse, changes)
    return warehouse
