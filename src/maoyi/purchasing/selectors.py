"""Reads of purchasing. Suppliers are company data: the interfaces gate them by model permissions,
so these reads take no user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from maoyi.catalog.models import Category, Product
from maoyi.finance.selectors import rate_on
from maoyi.purchasing.models import Supplier, SupplierContact, SupplierQuote

SUPPLIER_ORDERINGS = {
    "code": "code",
    "name": "pinyin",
    "currency": "currency",
    "payment_terms_days": "payment_terms_days",
    "buyer": "buyer__pinyin",
    "updated_at": "updated_at",
}


def suppliers(
    *, search: str = "", active: bool | None = None, currency: str = "", ordering: str = ""
) -> QuerySet[Supplier]:
    """Suppliers; search matches code, name, short name, pinyin initials (`bj` finds 北京…), phone
    and tax id."""
    qs = Supplier.objects.select_related("buyer")
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(short_name__icontains=term)
            | Q(pinyin__contains=term.lower())
            | Q(phone__contains=term)
            | Q(tax_id__icontains=term)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    if currency:
        qs = qs.filter(currency=currency)
    field = SUPPLIER_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "code")
    return qs.order_by("code")


def supplier(pk: int) -> Supplier:
    """One supplier; raises Supplier.DoesNotExist when there is none."""
    return Supplier.objects.select_related("buyer", "buyer__department", "created_by").get(pk=pk)


def contacts(supplier: Supplier) -> QuerySet[SupplierContact]:
    """A supplier's contacts, the primary one first."""
    return SupplierContact.objects.filter(supplier=supplier).order_by("-is_primary", "id")


def contact(supplier: Supplier, pk: int) -> SupplierContact:
    """One contact of the supplier; raises SupplierContact.DoesNotExist for another supplier's."""
    return SupplierContact.objects.get(supplier=supplier, pk=pk)


def supplier_choices(*, keep: Supplier | None = None) -> QuerySet[Supplier]:
    """Active suppliers to pick from on a new document, plus `keep` (the current one, even when
    switched off)."""
    condition = Q(is_active=True)
    if keep is not None:
        condition |= Q(pk=keep.pk)
    return Supplier.objects.filter(condition).order_by("code")


# Quotes --------------------------------------------------------------------------------------------

QUOTE_ORDERINGS = {
    "supplier": "supplier__code",
    "product": "product__code",
    "unit_price": "unit_price",
    "currency": "currency",
    "min_quantity": "min_quantity",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "created_at": "created_at",
}
CNY_PRICE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class PricedQuote:
    """A quote with its unit price in CNY at the rate of a day; `rate` and `cny_price` are None
    when the quote's currency has no rate on that day (it is shown, never ranked)."""

    quote: SupplierQuote
    rate: Decimal | None
    cny_price: Decimal | None  # unit_price × rate, to 4 decimals
    cheapest: bool = False

    @property
    def exact_cny(self) -> Decimal | None:
        return self.quote.unit_price * self.rate if self.rate is not None else None


@dataclass(frozen=True)
class ProductComparison:
    """One product on the comparison page: its valid quotes, cheapest in CNY first."""

    product: Product
    quotes: list[PricedQuote]

    @property
    def cheapest(self) -> PricedQuote | None:
        return next((q for q in self.quotes if q.cheapest), None)


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


class _Rates:
    """`finance.selectors.rate_on`, asked once per currency and day."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, dt.date], Decimal | None] = {}

    def __call__(self, currency: str, on: dt.date) -> Decimal | None:
        key = (currency, on)
        if key not in self._found:
            self._found[key] = rate_on(currency, on)
        return self._found[key]


def _priced(quote: SupplierQuote, rate: Decimal | None) -> PricedQuote:
    cny = (quote.unit_price * rate).quantize(CNY_PRICE_QUANTUM, ROUND_HALF_UP) if rate is not None else None
    return PricedQuote(quote=quote, rate=rate, cny_price=cny)


def _rank_key(row: PricedQuote) -> tuple[Decimal, str, int]:
    """Cheapest in CNY first (the exact product, not the rounded one); ties by supplier code."""
    exact = row.exact_cny
    assert exact is not None
    return (exact, row.quote.supplier.code, row.quote.pk)


def rank(quotes: Iterable[SupplierQuote], on: dt.date, *, rates: _Rates | None = None) -> list[PricedQuote]:
    """Quotes priced in CNY at the rates of `on`: those with a rate cheapest first (the first one
    flagged `cheapest`), then those whose currency has no rate, by supplier."""
    rates = rates or _Rates()
    rows = [_priced(q, rates(q.currency, on)) for q in quotes]
    ranked = sorted((r for r in rows if r.rate is not None), key=_rank_key)
    unranked = sorted((r for r in rows if r.rate is None), key=lambda r: (r.quote.supplier.code, r.quote.pk))
    if ranked:
        ranked[0] = replace(ranked[0], cheapest=True)
    return ranked + unranked


def quotes(
    *,
    supplier: Supplier | None = None,
    product: Product | None = None,
    search: str = "",
    valid_on: dt.date | None = None,
    active: bool | None = True,
    ordering: str = "",
) -> QuerySet[SupplierQuote]:
    """Supplier quotes (company data: the interfaces gate them by model permissions). `search`
    matches the product's code, name and pinyin initials and the supplier's code, name, short name
    and pinyin initials; `valid_on` keeps the active quotes valid that day; `active` None takes
    withdrawn ones too."""
    qs = SupplierQuote.objects.select_related("supplier", "product", "created_by")
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
            | Q(product__pinyin__contains=term.lower())
            | Q(supplier__code__icontains=term)
            | Q(supplier__name__icontains=term)
            | Q(supplier__short_name__icontains=term)
            | Q(supplier__pinyin__contains=term.lower())
        )
    if supplier is not None:
        qs = qs.filter(supplier=supplier)
    if product is not None:
        qs = qs.filter(product=product)
    if valid_on is not None:
        qs = qs.filter(is_active=True, valid_from__lte=valid_on, valid_until__gte=valid_on)
    if active is not None:
        qs = qs.filter(is_active=active)
    field = QUOTE_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "-valid_from", "-id")
    return qs.order_by("product__code", "supplier__code", "-valid_from", "-id")


def quote(pk: int) -> SupplierQuote:
    """One quote; raises SupplierQuote.DoesNotExist when there is none."""
    return SupplierQuote.objects.select_related("supplier", "product", "created_by").get(pk=pk)


def valid_quotes(
    product_ids: Iterable[int], on: dt.date | None = None, quantity: Decimal | None = None
) -> QuerySet[SupplierQuote]:
    """The active quotes for these products valid on `on` (today by default), with active
    suppliers; with a `quantity`, only those whose minimum quantity it reaches."""
    day = _today(on)
    qs = SupplierQuote.objects.select_related("supplier", "product").filter(
        product_id__in=list(product_ids),
        is_active=True,
        supplier__is_active=True,
        valid_from__lte=day,
        valid_until__gte=day,
    )
    if quantity is not None:
        qs = qs.filter(min_quantity__lte=quantity)
    return qs.order_by("product_id", "supplier__code", "id")


def best_quote(
    product_id: int, on: dt.date | None = None, quantity: Decimal | None = None
) -> SupplierQuote | None:
    """The valid quote with the lowest unit price in CNY (price × the currency's rate on `on`) for
    `quantity`; quotes in a currency without a rate are left out. None when none is left."""
    day = _today(on)
    ranked = rank(valid_quotes([product_id], day, quantity), day)
    return ranked[0].quote if ranked and ranked[0].cheapest else None


def comparison(
    *, on: dt.date | None = None, search: str = "", category: Category | None = None
) -> list[ProductComparison]:
    """报价比较: every product with valid quotes on `on` (today by default), its quotes side by side
    priced in CNY, the cheapest flagged. `search` matches the product or a quoting supplier;
    `category` takes its subtree."""
    day = _today(on)
    qs = quotes(search=search, valid_on=day).filter(supplier__is_active=True)
    if category is not None:
        qs = qs.filter(product__category__path__startswith=category.path)
    by_product: dict[int, list[SupplierQuote]] = {}
    products: dict[int, Product] = {}
    for found in qs.order_by("product__code", "supplier__code", "id"):
        by_product.setdefault(found.product_id, []).append(found)
        products[found.product_id] = found.product
    rates = _Rates()
    return [
        ProductComparison(products[pid], rank(rows, day, rates=rates)) for pid, rows in by_product.items()
    ]


def price_history(product_id: int) -> list[PricedQuote]:
    """Every quote ever recorded for a product (withdrawn ones too), by date, each priced in CNY at
    the rate of its first valid day."""
    rates = _Rates()
    rows = (
        SupplierQuote.objects.select_related("supplier", "created_by")
        .filter(product_id=product_id)
        .order_by("valid_from", "supplier__code", "id")
    )
    return [_priced(q, rates(q.currency, q.valid_from)) for q in rows]
