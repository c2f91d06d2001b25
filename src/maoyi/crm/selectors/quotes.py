"""Reads of customer quotes (报价单) and contracts (合同), always through the data scope: a quote is
seen through its customer, a contract through its own owner and department. Also the price a quote
line proposes (the customer's price level, else the product's sale price), the company name printed
on a quote, and the amount in Chinese capital numerals (大写) the printout shows.

Quote expiry (已过期) is shown, not stored: a draft or sent quote whose `valid_until` has passed is
expired on the day it is read (`is_expired`); no job rewrites it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from maoyi.approvals.selectors import history_of as approval_history
from maoyi.catalog.models import Product, ProductPrice
from maoyi.core import chinese_amount
from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.crm.models import Contract, ContractLine, Customer, Quote, QuoteLine, QuoteStatus
from maoyi.org import scope
from maoyi.org.models import Department

PRICE_LEVEL = "level"  # the line's price came from the customer's price level
PRICE_SALE = "sale"  # … from the product's sale price (no level price)
PRICE_TYPED = "typed"  # … typed by the salesperson
OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT)
EXPIRED = "expired"  # the list filter's value for quotes past their validity (shown, not stored)


# Prices ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedPrice:
    price: Decimal
    source: str  # PRICE_LEVEL or PRICE_SALE


def proposed_prices(customer: Customer, products: list[Product]) -> dict[int, ProposedPrice]:
    """What a blank price means for each product: its price in the customer's price level when the
    level is active and holds one, otherwise the product's sale price."""
    level = customer.price_level
    held: dict[int, Decimal] = {}
    if level is not None and level.is_active:
        rows = ProductPrice.objects.filter(price_level=level, product__in=[p.pk for p in products])
        held = {row.product_id: row.price for row in rows}
    return {
        p.pk: ProposedPrice(held[p.pk], PRICE_LEVEL)
        if p.pk in held
        else ProposedPrice(p.sale_price, PRICE_SALE)
        for p in products
    }


def proposed_price(customer: Customer, product: Product) -> ProposedPrice:
    return proposed_prices(customer, [product])[product.pk]


def below_minimum(product: Product, unit_price: Decimal) -> bool:
    """A price under the product's minimum sale price (最低售价): allowed on a quote, but flagged."""
    return product.min_sale_price is not None and unit_price < product.min_sale_price


# Quotes ----------------------------------------------------------------------------------------------


def is_expired(quote: Quote, today: dt.date | None = None) -> bool:
    """A draft or sent quote past its validity; accepted and declined quotes never expire."""
    today = today or timezone.localdate()
    return quote.status in OPEN_QUOTE_STATUSES and quote.valid_until < today


def _quote_rows(qs: QuerySet[Quote]) -> QuerySet[Quote]:
    return qs.select_related("customer", "customer__owner", "opportunity", "created_by").prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("id"))
    )


def quotes(
    user: Any,
    *,
    customer_id: int | None = None,
    status: str = "",
    search: str = "",
    today: dt.date | None = None,
) -> QuerySet[Quote]:
    """Quotes of the customers the user may see, newest first. `status` may be EXPIRED (drafts and
    sent quotes past their validity); `search` matches the number, the customer's name and pinyin."""
    qs = scope.visible(user, Quote.objects.all())
    today = today or timezone.localdate()
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if status == EXPIRED:
        qs = qs.filter(status__in=OPEN_QUOTE_STATUSES, valid_until__lt=today)
    elif status in QuoteStatus.values:
        qs = qs.filter(status=status)
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__pinyin__contains=term.lower())
        )
    return _quote_rows(qs).order_by("-created_at", "-id")


def quote(user: Any, pk: int) -> Quote:
    """One quote in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        return scope.get_visible(user, _quote_rows(Quote.objects.all()), pk=pk)
    except Quote.DoesNotExist:
        raise NotFoundInScope() from None


@dataclass(frozen=True)
class QuoteLineRow:
    line: QuoteLine
    amount: Decimal
    below_minimum: bool


def quote_lines(quote: Quote) -> list[QuoteLineRow]:
    """The quote's lines with their amounts and whether the price is under the minimum sale price."""
    return [
        QuoteLineRow(line, line.amount, below_minimum(line.product, line.unit_price))
        for line in quote.lines.select_related("product").order_by("id")
    ]


def quote_total(rows: list[QuoteLineRow]) -> Decimal:
    return quantize_money(sum((r.amount for r in rows), Decimal("0")))


def company_name() -> str:
    """The name printed on a quote: settings.MAOYI_COMPANY_NAME, else the top department's name."""
    configured = getattr(settings, "MAOYI_COMPANY_NAME", "")
    if configured:
        return str(configured)
    root = Department.objects.filter(parent__isnull=True).order_by("sort_order", "id").first()
    return root.name if root else ""


# Contracts -------------------------------------------------------------------------------------------


def _contract_rows(qs: QuerySet[Contract]) -> QuerySet[Contract]:
    return qs.select_related("customer", "quote", "owner", "department").prefetch_related(
        Prefetch("lines", queryset=ContractLine.objects.select_related("product").order_by("id"))
    )


def contracts(
    user: Any, *, customer_id: int | None = None, status: str = "", search: str = ""
) -> QuerySet[Contract]:
    """Contracts in the user's scope (their own, their department tree's, or all), latest signed
    first; `search` matches the number, the title and the customer's name and pinyin."""
    qs = scope.visible(user, Contract.objects.all())
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if status in Status.values:
        qs = qs.filter(status=status)
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(title__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__pinyin__contains=term.lower())
        )
    return _contract_rows(qs).order_by("-signed_on", "-id")


def contract(user: Any, pk: int) -> Contract:
    try:
        return scope.get_visible(user, _contract_rows(Contract.objects.all()), pk=pk)
    except Contract.DoesNotExist:
        raise NotFoundInScope() from None


def contract_lines(contract: Contract) -> list[ContractLine]:
    return list(contract.lines.select_related("product").order_by("id"))


def lines_total(lines: list[ContractLine]) -> Decimal:
    return quantize_money(sum((quantize_money(x.quantity * x.unit_price) for x in lines), Decimal("0")))


def contract_approvals(contract: Contract) -> list[Any]:
    return list(approval_history(contract))


def contract_of_quote(quote: Quote) -> Contract | None:
    """The live (not cancelled) contract made from the quote, if any."""
    return Contract.objects.filter(quote=quote).exclude(status=Status.CANCELLED).order_by("id").first()


# 大写: one implementation for every printed amount (core.chinese_amount); quotes and contracts read
# it from here as before.
amount_in_words = chinese_amount.amount_in_words
