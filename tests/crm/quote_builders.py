"""Builders shared by the quote and contract tests (services, pages, API): a price level, products
with a level price, a customer on that level, and quotes made through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from maoyi.catalog.models import PriceLevel, Product
from maoyi.crm.models import Customer, Quote
from maoyi.crm.services import quotes as quote_services
from tests.catalog.builders import make_level, make_product
from tests.conftest import Company
from tests.crm.builders import make_customer


@dataclass
class Book:
    vip: PriceLevel
    gloves: Product  # sale 12.50, VIP 10.80, minimum 10.00
    masks: Product  # sale 3.20, no VIP price, no minimum
    xiehe: Customer  # rep_a1's, on the VIP level
    ruijin: Customer  # rep_a2's, no level
    agent: Customer  # rep_b1's (team B)


def make_book(company: Company) -> Book:
    vip = make_level("vip", "VIP 客户价")
    gloves = make_product(
        "P001", "医用手套", sale_price="12.50", min_sale_price="10.00", prices={vip: D("10.80")}
    )
    masks = make_product("P002", "外科口罩", sale_price="3.20")
    return Book(
        vip=vip,
        gloves=gloves,
        masks=masks,
        xiehe=make_customer(company.rep_a1, "北京协和医院", price_level=vip),
        ruijin=make_customer(company.rep_a2, "上海瑞金医院"),
        agent=make_customer(company.rep_b1, "广州代理商", kind="distributor"),
    )


def later(days: int = 30) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def line(product: Product, quantity: str, price: str | None = None) -> quote_services.QuoteLineInput:
    return quote_services.QuoteLineInput(product.pk, D(quantity), None if price is None else D(price))


def make_quote(actor: Any, customer: Customer, *lines: quote_services.QuoteLineInput, **fields: Any) -> Quote:
    fields.setdefault("valid_until", later())
    return quote_services.create_quote(actor=actor, customer=customer, lines=list(lines), **fields)
