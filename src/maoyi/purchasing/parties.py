"""Suppliers as finance's parties (往来单位): registered by `PurchasingConfig.ready()`, so finance
finds them without importing purchasing."""

from __future__ import annotations

from typing import Any

from maoyi.finance.parties import Party, PartyKind, PartySource
from maoyi.org.scope import visible
from maoyi.purchasing import selectors
from maoyi.purchasing.models import Supplier


def as_party(supplier: Supplier) -> Party:
    """The purchaser who deals with the supplier answers for its money (owner and department)."""
    buyer = supplier.buyer
    return Party(
        kind=PartyKind.SUPPLIER.value,
        id=supplier.pk,
        name=supplier.name,
        owner_id=supplier.buyer_id,
        department_id=buyer.department_id if buyer is not None else None,
        currency=supplier.currency,
    )


def get_party(user: Any, party_id: int) -> Party | None:
    """Suppliers are company data: every employee may see one; callers check their own permissions."""
    found = visible(user, Supplier.objects.select_related("buyer")).filter(pk=party_id).first()
    return as_party(found) if found is not None else None


def search_parties(user: Any, text: str, limit: int) -> list[Party]:
    """Suppliers matching code, name, pinyin, phone or tax id; active ones first (a switched-off
    supplier may still be owed money)."""
    found = visible(user, selectors.suppliers(search=text)).order_by("-is_active", "code")[:limit]
    return [as_party(s) for s in found]


SOURCE = PartySource(
    kind=PartyKind.SUPPLIER.value,
    get=get_party,
    search=search_parties,
    url_name="web:supplier-detail",
)
