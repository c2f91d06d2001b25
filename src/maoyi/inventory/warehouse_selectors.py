"""Reads of the warehouse list (company data, gated by `inventory.view_warehouse`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from maoyi.inventory.models import Warehouse

WAREHOUSE_ORDERINGS = {"code": "code", "name": "name"}


def warehouses(*, search: str = "", active: bool | None = None, ordering: str = "") -> QuerySet[Warehouse]:
    """Warehouses; search matches code, name and address."""
    qs = Warehouse.objects.select_related("keeper")
    term = search.strip()
    if term:
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(address__icontains=term))
    if active is not None:
        qs = qs.filter(is_active=active)
    field = WAREHOUSE_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "code")
    return qs.order_by("code")


def warehouse(pk: int) -> Warehouse:
    """One warehouse; raises Warehouse.DoesNotExist when there is none."""
    return Warehouse.objects.select_related("keeper").get(pk=pk)
