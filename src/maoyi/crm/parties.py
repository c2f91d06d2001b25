"""Customers as finance sees them (往来单位): finance never imports crm, so crm registers how to
find a customer the user may see."""

from __future__ import annotations

from typing import Any

from maoyi.crm import selectors
from maoyi.crm.models import Customer
from maoyi.finance.parties import Party, PartyKind, PartySource, register


def as_party(customer: Customer) -> Party:
    """The customer as the party money is owed by (or to, for refunds); its owner answers for it."""
    return Party(
        kind=PartyKind.CUSTOMER.value,
        id=customer.pk,
        name=customer.name,
        owner_id=customer.owner_id,
        department_id=customer.department_id,
    )


def get(user: Any, party_id: int) -> Party | None:
    found = selectors.customers(user).filter(pk=party_id).first()
    return as_party(found) if found is not None else None


def search(user: Any, text: str, limit: int) -> list[Party]:
    return [as_party(c) for c in selectors.customers(user, search=text)[:limit]]


def register_customers() -> None:
    register(
        PartySource(kind=PartyKind.CUSTOMER.value, get=get, search=search, url_name="web:customer-detail")
    )
