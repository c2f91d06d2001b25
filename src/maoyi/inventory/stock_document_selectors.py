"""Reads of the stock documents (opening stock, stocktake, transfer, reversal). The documents are
owned (owner, department), so every list and every single document goes through the data scope;
the goods, lots and warehouses a form offers are company data."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Count, F, Q, QuerySet

from maoyi.catalog.models import Category, Product
from maoyi.inventory.models import (
    StockBalance,
    StockDocument,
    StockMove,
    StockReversal,
    Transfer,
    Warehouse,
)
from maoyi.org import scope

D = TypeVar("D", bound=StockDocument)

ORDERINGS = {
    "number": "number",
    "created_at": "created_at",
    "status": "status",
    "warehouse": "warehouse__code",
}


def stock_documents(
    user: Any,
    model: type[D],
    *,
    search: str = "",
    status: str = "",
    warehouse: Warehouse | None = None,
    ordering: str = "",
) -> QuerySet[D]:
    """The user's visible documents of one type, with their line count; search matches the number,
    the note and the products' codes and names."""
    qs = scope.visible(user, model._default_manager.all())
    term = search.strip()
    if term:
        matching_lines = Q(lines__product__code__icontains=term) | Q(lines__product__name__icontains=term)
        ids = model._default_manager.filter(
            Q(number__icontains=term) | Q(note__icontains=term) | matching_lines
        ).values("pk")
        qs = qs.filter(pk__in=ids)
    if status:
        qs = qs.filter(status=status)
    if warehouse is not None:
        condition = Q(warehouse=warehouse)
        if model is Transfer:
            condition |= Q(to_warehouse=warehouse)
        qs = qs.filter(condition)
    related = ["warehouse", "owner", "department"] + (["to_warehouse"] if model is Transfer else [])
    qs = qs.select_related(*related).annotate(line_count=Count("lines"))
    field = ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "-id")
    return qs.order_by("-created_at", "-id")


def visible_stock_document(user: Any, model: type[D], pk: int) -> D:
    """One document in the user's scope; the model's DoesNotExist for "missing" and "not yours"."""
    related = ["warehouse", "owner", "department", "created_by"]
    if model is Transfer:
        related.append("to_warehouse")
    return scope.get_visible(user, model._default_manager.select_related(*related), pk=pk)


def document_moves(doc: StockDocument) -> QuerySet[StockMove]:
    """The moves a document posted, and the moves that reversed them, oldest first."""
    own = Q(source_type=doc.DOCUMENT_TYPE, source_id=doc.pk)
    return (
        StockMove.objects.filter(own | Q(reverses__source_type=doc.DOCUMENT_TYPE, reverses__source_id=doc.pk))
        .select_related("product", "warehouse", "lot", "created_by")
        .order_by("created_at", "id")
    )


def reversal_of(doc: StockDocument) -> StockReversal | None:
    return StockReversal.objects.filter(reverses_type=doc.DOCUMENT_TYPE, reverses_id=doc.pk).first()


def reversed_document(user: Any, reversal: StockReversal, models: dict[str, type[StockDocument]]) -> Any:
    """The document a reversal cancels, when the user may see it (else None)."""
    model = models.get(reversal.reverses_type)
    if model is None:
        return None
    return scope.visible(user, model._default_manager.filter(pk=reversal.reverses_id)).first()


# What the forms offer ------------------------------------------------------------------------------


def active_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def all_warehouses() -> QuerySet[Warehouse]:
    """Every warehouse, for filtering lists (documents of a closed warehouse stay findable)."""
    return Warehouse.objects.order_by("-is_active", "code")


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("code")


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("path")


def lots_in_stock(*, warehouse_ids: list[int] | None = None) -> QuerySet[StockBalance]:
    """Product × warehouse × lot with stock, to pick a lot from (a transfer's lines)."""
    qs = StockBalance.objects.filter(on_hand__gt=0).select_related("lot")
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=warehouse_ids)
    return qs.order_by(
        "product_id", "warehouse_id", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
    )
