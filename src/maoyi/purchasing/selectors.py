"""Reads of purchasing. Suppliers are company data: the interfaces gate them by model permissions,
so these reads take no user."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from maoyi.purchasing.models import Supplier, SupplierContact

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
