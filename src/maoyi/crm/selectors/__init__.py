"""Reads of customers, always through the data-scope gate, except the duplicate check (查重), which
looks at every customer but tells only how many match and who owns them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from maoyi.core.errors import NotFoundInScope
from maoyi.core.normalize import name_key, phone_key, tax_key
from maoyi.crm.models import PARTNER_KINDS, Customer
from maoyi.org import scope
from maoyi.org.models import Employee

CUSTOMER_ORDERINGS = {
    "name": "pinyin",
    "kind": "kind",
    "level": "level",
    "owner": "owner__pinyin",
    "credit_limit": "credit_limit",
    "last_activity_at": "last_activity_at",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def customers(
    user: Any,
    *,
    search: str = "",
    kind: str = "",
    level: str = "",
    owner: Employee | None = None,
    pool: bool | None = None,
    ordering: str = "",
) -> QuerySet[Customer]:
    """Customers the user may see; search matches name (also without spaces, brackets and 有限公司),
    phone, tax id and pinyin initials (`bj` finds 北京…). `pool`: True only the public pool (no
    owner), False only owned ones."""
    qs = scope.visible(user, Customer.objects.select_related("owner", "department", "price_level"))
    term = search.strip()
    if term:
        condition = Q(name__icontains=term) | Q(pinyin__contains=term.lower())
        key = name_key(term)
        if key:
            condition |= Q(name_key__contains=key)
        digits = phone_key(term)
        if len(digits) >= 3:
            condition |= Q(phone_key__contains=digits)
        condition |= Q(tax_id__contains=tax_key(term))
        qs = qs.filter(condition)
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if pool is not None:
        qs = qs.filter(owner__isnull=pool)
    field = CUSTOMER_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "id")
    return qs.order_by("pinyin", "id")


def customer(user: Any, pk: int) -> Customer:
    """One customer in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    qs = Customer.objects.select_related(
        "owner", "department", "price_level", "parent", "channel_partner", "created_by"
    )
    try:
        return scope.get_visible(user, qs, pk=pk)
    except Customer.DoesNotExist:
        raise NotFoundInScope() from None


def partners(
    user: Any, *, keep: Customer | None = None, exclude: Customer | None = None
) -> QuerySet[Customer]:
    """Channel partners (distributors and agents) the user may pick as a parent or channel partner,
    plus `keep` (the current one, even when out of scope), without `exclude` (a customer itself)."""
    condition = Q(pk__in=scope.visible(user, Customer.objects.filter(kind__in=PARTNER_KINDS, is_active=True)))
    if keep is not None:
        condition |= Q(pk=keep.pk)
    qs = Customer.objects.filter(condition)
    if exclude is not None and exclude.pk:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("pinyin", "id")


@dataclass(frozen=True)
class Duplicates:
    """What the duplicate check may tell: how many customers match and who owns them (names only,
    "公海" for customers in the public pool) — nothing else about them."""

    count: int
    owners: str


def duplicate_customers(
    *, name: str = "", phone: str = "", tax_id: str = "", exclude: Customer | None = None
) -> QuerySet[Customer]:
    """Every customer (regardless of scope) with the same name key, phone digits or tax id."""
    condition = Q(pk__in=[])
    if key := name_key(name):
        condition |= Q(name_key=key)
    if digits := phone_key(phone):
        condition |= Q(phone_key=digits)
    if tax := tax_key(tax_id):
        condition |= Q(tax_id=tax)
    qs = Customer.objects.filter(condition).select_related("owner")
    if exclude is not None and exclude.pk:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("id")


def duplicates_of(
    *, name: str = "", phone: str = "", tax_id: str = "", exclude: Customer | None = None
) -> Duplicates:
    found = list(duplicate_customers(name=name, phone=phone, tax_id=tax_id, exclude=exclude))
    owners: list[str] = []
    for row in found:
        label = row.owner.name if row.owner is not None else _("公海")
        if label not in owners:
            owners.append(label)
    return Duplicates(count=len(found), owners="、".join(owners))
