"""Builders for catalog records, through the services (shared by the catalog, web and API tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from maoyi.catalog import services
from maoyi.catalog.models import Category, PriceLevel, Product
from maoyi.inventory.models import Warehouse
from maoyi.inventory.services import warehouses


def make_category(name: str, parent: Category | None = None) -> Category:
    return services.create_category(actor=None, name=name, parent=parent)


def make_level(code: str, name: str, kind: str = "customer", sort_order: int = 0) -> PriceLevel:
    return services.create_price_level(actor=None, code=code, name=name, kind=kind, sort_order=sort_order)


def make_product(code: str, name: str, **fields: Any) -> Product:
    fields.setdefault("unit", "支")
    for key in ("purchase_price", "sale_price", "min_sale_price", "min_stock", "max_stock"):
        if isinstance(fields.get(key), str):
            fields[key] = Decimal(fields[key])
    return services.create_product(actor=None, code=code, name=name, **fields)


def make_warehouse(code: str, name: str, address: str = "") -> Warehouse:
    return warehouses.create_warehouse(actor=None, code=code, name=name, address=address)
