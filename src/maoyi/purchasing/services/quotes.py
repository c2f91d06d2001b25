"""Writes of supplier quotes (报价管理): what a supplier offers a product for, tax included, in a
currency, from a minimum quantity, between two dates. A quote is never deleted: `withdraw_quote`
switches it off and it stays in the product's price history. Each function is one transaction that
checks the caller's permission, validates, writes and audits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.catalog.models import Product
from maoyi.core.errors import DomainError, InvalidState
from maoyi.core.money import QUANTUM, Currency
from maoyi.core.permissions import require_permission
from maoyi.org.models import Employee
from maoyi.purchasing.models import Supplier, SupplierQuote

QUOTE_FIELDS = (
    "supplier",
    "product",
    "unit_price",
    "currency",
    "min_quantity",
    "valid_from",
    "valid_until",
    "note",
    "is_active",
)

# PriceField / QuantityField: 18 digits, 4 of them decimals.
_LIMIT = Decimal("1E14")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    return None


def _cleaned(
    quote: SupplierQuote | None,
    *,
    supplier: Supplier | None,
    product: Product | None,
    unit_price: Decimal,
    currency: str,
    min_quantity: Decimal,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    note: str,
) -> dict[str, Any]:
    """The fields as stored, after the rules (in the order the form shows them). A switched-off
    supplier or product may stay on a quote that already has it, but no quote may newly pick one."""
    # Fresh rows: the instances passed in may predate a switch-off.
    supplier = Supplier.objects.filter(pk=supplier.pk).first() if supplier is not None else None
    product = Product.objects.filter(pk=product.pk).first() if product is not None else None
    if supplier is None:
        raise DomainError(_("请选择供应商。"), code="invalid", field="supplier")
    keeps_supplier = quote is not None and quote.supplier_id == supplier.pk
    if not supplier.is_active and not keeps_supplier:
        raise DomainError(_("供应商已停用，不能录入报价。"), code="invalid", field="supplier")
    if product is None:
        raise DomainError(_("请选择商品。"), code="invalid", field="product")
    keeps_product = quote is not None and quote.product_id == product.pk
    if not product.is_active and not keeps_product:
        raise DomainError(_("商品已停用，不能录入报价。"), code="invalid", field="product")
    price = _decimal(unit_price)
    if price is None or price <= 0:
        raise DomainError(_("含税单价须大于零。"), code="invalid", field="unit_price")
    if price != price.quantize(QUANTUM) or price >= _LIMIT:
        raise DomainError(_("含税单价最多四位小数。"), code="invalid", field="unit_price")
    currency = (currency or "").strip().upper() or supplier.currency
    if currency not in Currency.values:
        raise DomainError(_("币种无效。"), code="invalid", field="currency")
    quantity = _decimal(min_quantity if min_quantity is not None else Decimal("0"))
    if quantity is None or quantity < 0:
        raise DomainError(_("起订量不能为负数。"), code="invalid", field="min_quantity")
    if quantity != quantity.quantize(QUANTUM) or quantity >= _LIMIT:
        raise DomainError(_("起订量最多四位小数。"), code="invalid", field="min_quantity")
    if valid_from is None:
        raise DomainError(_("请填写生效日期。"), code="invalid", field="valid_from")
    if valid_until is None:
        raise DomainError(_("请填写失效日期。"), code="invalid", field="valid_until")
    if valid_until < valid_from:
        raise DomainError(_("失效日期不能早于生效日期。"), code="invalid", field="valid_until")
    return {
        "supplier": supplier,
        "product": product,
        "unit_price": price.quantize(QUANTUM),
        "currency": currency,
        "min_quantity": quantity.quantize(QUANTUM),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": (note or "").strip()[:200],
    }


@transaction.atomic
def create_quote(
    *,
    actor: Employee | None,
    supplier: Supplier | None,
    product: Product | None,
    unit_price: Decimal,
    currency: str = "",
    min_quantity: Decimal = Decimal("0"),
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    note: str = "",
) -> SupplierQuote:
    """A new quote of an active supplier for an active product; a blank currency takes the
    supplier's."""
    require_permission(actor, "purchasing.add_supplierquote")
    fields = _cleaned(
        None,
        supplier=supplier,
        product=product,
        unit_price=unit_price,
        currency=currency,
        min_quantity=min_quantity,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
    )
    quote = SupplierQuote.objects.create(**fields, created_by=actor)
    audit.record_created(actor, quote, QUOTE_FIELDS)
    return quote


@transaction.atomic
def update_quote(
    quote: SupplierQuote,
    *,
    actor: Employee | None,
    supplier: Supplier | None,
    product: Product | None,
    unit_price: Decimal,
    currency: str = "",
    min_quantity: Decimal = Decimal("0"),
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    note: str = "",
) -> SupplierQuote:
    """Change a quote that has not been withdrawn; the same rules as on creation. Purchase order
    lines copied its price when they were made, so changing it moves none of them."""
    require_permission(actor, "purchasing.change_supplierquote")
    quote = SupplierQuote.objects.select_for_update().get(pk=quote.pk)
    if not quote.is_active:
        raise InvalidState(_("报价已撤回，不能修改。"))
    before = audit.snapshot(quote, QUOTE_FIELDS)
    fields = _cleaned(
        quote,
        supplier=supplier,
        product=product,
        unit_price=unit_price,
        currency=currency,
        min_quantity=min_quantity,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
    )
    for field, value in fields.items():
        setattr(quote, field, value)
    quote.save()
    changes = audit.diff(before, audit.snapshot(quote, QUOTE_FIELDS))
    if changes:
        audit.record(actor, "update", quote, changes)
    return quote


@transaction.atomic
def withdraw_quote(quote: SupplierQuote, *, actor: Employee | None) -> SupplierQuote:
    """撤回: the quote no longer counts as valid (no comparison, no proposal on purchase orders) but
    stays in the product's price history."""
    require_permission(actor, "purchasing.change_supplierquote")
    quote = SupplierQuote.objects.select_for_update().get(pk=quote.pk)
    if not quote.is_active:
        raise InvalidState(_("报价已撤回。"))
    before = audit.snapshot(quote, ("is_active",))
    quote.is_active = False
    quote.save(update_fields=["is_active"])
    audit.record(actor, "update", quote, audit.diff(before, audit.snapshot(quote, ("is_active",))))
    return quote
