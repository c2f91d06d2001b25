"""Reads of the catalog. Products, categories and price levels are company data: the interfaces gate
them by model permissions, so these reads take no user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice

REGISTRATION_WARNING_DAYS = 90

PRODUCT_ORDERINGS = {
    "code": "code",
    "name": "pinyin",
    "category": "category__path",
    "sale_price": "sale_price",
    "purchase_price": "purchase_price",
    "updated_at": "updated_at",
}


def products(
    *,
    search: str = "",
    category: Category | None = None,
    active: bool | None = None,
    lot_tracked: bool | None = None,
    ordering: str = "",
) -> QuerySet[Product]:
    """Products; search matches code, name, barcode and pinyin initials (`bj` finds 北京…); a
    category takes its whole subtree."""
    qs = Product.objects.select_related("category")
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(barcode__icontains=term)
            | Q(pinyin__contains=term.lower())
        )
    if category is not None:
        qs = qs.filter(category__path__startswith=category.path)
    if active is not None:
        qs = qs.filter(is_active=active)
    if lot_tracked is not None:
        qs = qs.filter(lot_tracked=lot_tracked)
    field = PRODUCT_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "code")
    return qs.order_by("code")


def product(pk: int) -> Product:
    """One product; raises Product.DoesNotExist when there is none."""
    return Product.objects.select_related("category").get(pk=pk)


def categories(*, search: str = "", active: bool | None = None) -> QuerySet[Category]:
    """The category tree in path order, each with the number of products directly in it."""
    qs = Category.objects.select_related("parent")
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(name_en__icontains=term))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.annotate(product_count=Count("products")).order_by("path")


def category_choices(
    *, keep: Category | None = None, exclude_subtree: Category | None = None
) -> QuerySet[Category]:
    """Active categories to pick from, plus `keep` (the current one, even when switched off), without
    `exclude_subtree` (a category cannot move under itself)."""
    condition = Q(is_active=True)
    if keep is not None:
        condition |= Q(pk=keep.pk)
    qs = Category.objects.filter(condition)
    if exclude_subtree is not None and exclude_subtree.path:
        qs = qs.exclude(path__startswith=exclude_subtree.path)
    return qs.order_by("path")


def price_levels(*, active: bool | None = None) -> QuerySet[PriceLevel]:
    qs = PriceLevel.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("kind", "sort_order", "id")


def price_for(product: Product, level: PriceLevel | None) -> Decimal:
    """The product's price in a price level: the level price when the level is active and has one,
    otherwise the product's sale price."""
    if level is None or not level.is_active:
        return product.sale_price
    found = ProductPrice.objects.filter(product=product, price_level=level).values_list("price", flat=True)
    return next(iter(found), product.sale_price)


@dataclass(frozen=True)
class LevelPriceRow:
    level: PriceLevel
    price: Decimal | None  # None: no price in this level, the sale price applies
    effective: Decimal


def level_prices(product: Product) -> list[LevelPriceRow]:
    """Every active price level with the product's price in it, then switched-off levels that still
    hold a price for it."""
    held = {
        row.price_level_id: row.price
        for row in ProductPrice.objects.filter(product=product).only("price_level_id", "price")
    }
    rows = []
    for level in price_levels():
        price = held.get(level.pk)
        if not level.is_active and price is None:
            continue
        effective = price if price is not None and level.is_active else product.sale_price
        rows.append(LevelPriceRow(level=level, price=price, effective=effective))
    return sorted(rows, key=lambda r: not r.level.is_active)


@dataclass(frozen=True)
class RegistrationWarning:
    expired: bool
    days: int  # days left (or, when expired, days since)
    expires_on: dt.date


def registration_warning(product: Product, *, today: dt.date | None = None) -> RegistrationWarning | None:
    """A warning when the registration certificate (注册证) expires within 90 days or has expired."""
    expires_on = product.registration_expires_on
    if expires_on is None:
        return None
    today = today or timezone.localdate()
    left = (expires_on - today).days
    if left < 0:
        return RegistrationWarning(expired=True, days=-left, expires_on=expires_on)
    if left <= REGISTRATION_WARNING_DAYS:
        return RegistrationWarning(expired=False, days=left, expires_on=expires_on)
    return None
