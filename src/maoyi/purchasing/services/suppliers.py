"""Writes to the supplier list: suppliers (codes allocated as GYS0001, GYS0002 …) and their contacts.
Each function is one transaction that checks the caller's permission, validates, writes and audits."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope
from maoyi.core.models import DocumentSequence
from maoyi.core.money import Currency
from maoyi.core.normalize import COMPANY_FORMS
from maoyi.core.normalize import name_key as company_key
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.org.models import Employee, EmployeeStatus
from maoyi.org.pinyin import initials
from maoyi.purchasing.models import Supplier, SupplierContact

SUPPLIER_FIELDS = (
    "code",
    "name",
    "short_name",
    "currency",
    "phone",
    "email",
    "address",
    "tax_id",
    "bank_name",
    "bank_account",
    "payment_terms_days",
    "payment_terms",
    "buyer",
    "note",
    "is_active",
)

CODE_PREFIX = "GYS"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# Supplier codes run on one counter for all time: core's per-type-and-day sequence, on a fixed day.
CODE_SEQUENCE = "supplier_code"
CODE_SEQUENCE_DAY = dt.date(2000, 1, 1)


def name_key(name: str) -> str:
    """The name as the supplier duplicate check compares it (康德莱（上海） 有限公司 → 康德莱上海)."""
    return company_key(name, suffixes=COMPANY_FORMS)


def _next_code() -> str:
    """The next free GYS code. The counter row stays locked until the caller's transaction ends, so
    concurrent creations queue here; codes someone typed by hand are skipped."""
    seq, _created = DocumentSequence.objects.get_or_create(document_type=CODE_SEQUENCE, day=CODE_SEQUENCE_DAY)
    while True:
        DocumentSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
        serial = DocumentSequence.objects.filter(pk=seq.pk).values_list("last", flat=True).get()
        code = f"{CODE_PREFIX}{serial:04d}"
        if not Supplier.objects.filter(code__iexact=code).exists():
            return code


def _duplicate_code(code: str) -> DomainError:
    return DomainError(_("供应商编码“%(value)s”已存在。"), code="duplicate", field="code", value=code)


def _check_twins(supplier: Supplier | None, *, code: str, key: str, tax_id: str) -> None:
    """Refuse a code, name or tax id another supplier already has. Suppliers are company data,
    so the refusal may name the existing one."""
    others = Supplier.objects.exclude(pk=supplier.pk) if supplier is not None else Supplier.objects.all()
    if code and others.filter(code__iexact=code).exists():
        raise _duplicate_code(code)
    twin = others.filter(name_key=key).first()
    if twin is not None:
        raise DomainError(
            _("已有同名供应商：%(twin_code)s %(twin_name)s。"),
            code="duplicate_supplier",
            field="name",
            twin_code=twin.code,
            twin_name=twin.name,
        )
    twin = others.filter(tax_id=tax_id).first() if tax_id else None
    if twin is not None:
        raise DomainError(
            _("税号“%(tax_id)s”已登记在供应商 %(twin_code)s %(twin_name)s 名下。"),
            code="duplicate_supplier",
            field="tax_id",
            tax_id=tax_id,
            twin_code=twin.code,
            twin_name=twin.name,
        )


def _check_email(email: str, *, field: str = "email") -> None:
    if not email:
        return
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("邮箱格式不正确。"), code="invalid", field=field) from None


def _cleaned(
    supplier: Supplier | None,
    *,
    code: str,
    name: str,
    short_name: str,
    currency: str,
    phone: str,
    email: str,
    address: str,
    tax_id: str,
    bank_name: str,
    bank_account: str,
    payment_terms_days: int,
    payment_terms: str,
    buyer: Employee | None,
    note: str,
) -> dict[str, Any]:
    """The fields as stored, after the rules they must satisfy (in the order a form shows them)."""
    code, name = code.strip(), name.strip()
    if code and not CODE_RE.match(code):
        raise DomainError(
            _("供应商编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。"),
            code="invalid",
            field="code",
        )
    if not name:
        raise DomainError(_("请填写供应商名称。"), code="invalid", field="name")
    if currency not in Currency.values:
        raise DomainError(_("币种无效。"), code="invalid", field="currency")
    email = email.strip()
    _check_email(email)
    tax_id = re.sub(r"\s+", "", tax_id).upper()
    if payment_terms_days < 0:
        raise DomainError(_("账期不能为负数。"), code="invalid", field="payment_terms_days")
    keeps = supplier is not None and buyer is not None and supplier.buyer_id == buyer.pk
    if buyer is not None and buyer.status != EmployeeStatus.ACTIVE and not keeps:
        raise DomainError(_("采购负责人须是在职员工。"), code="invalid", field="buyer")
    key = name_key(name)
    _check_twins(supplier, code=code, key=key, tax_id=tax_id)
    return {
        "code": code,
        "name": name,
        "short_name": short_name.strip(),
        "pinyin": initials(name),
        "name_key": key,
        "currency": currency,
        "phone": phone.strip(),
        "email": email,
        "address": address.strip(),
        "tax_id": tax_id,
        "bank_name": bank_name.strip(),
        "bank_account": re.sub(r"\s+", "", bank_account),
        "payment_terms_days": payment_terms_days,
        "payment_terms": payment_terms.strip(),
        "buyer": buyer,
        "note": note.strip(),
    }


def _save(supplier: Supplier, *, create: bool) -> None:
    try:
        with transaction.atomic():  # a concurrent twin may pass the checks; the unique indexes decide
            supplier.save(force_insert=create)
    except IntegrityError:
        twin_of = None if create else supplier
        _check_twins(twin_of, code=supplier.code, key=supplier.name_key, tax_id=supplier.tax_id)
        raise


@transaction.atomic
def create_supplier(
    *,
    actor: Employee | None,
    name: str,
    code: str = "",
    short_name: str = "",
    currency: str = Currency.CNY,
    phone: str = "",
    email: str = "",
    address: str = "",
    tax_id: str = "",
    bank_name: str = "",
    bank_account: str = "",
    payment_terms_days: int = 30,
    payment_terms: str = "",
    buyer: Employee | None = None,
    note: str = "",
) -> Supplier:
    """A new supplier; a blank code takes the next GYS number. The name (without spaces, brackets
    and 有限公司) and the tax id must not belong to another supplier."""
    require_permission(actor, "purchasing.add_supplier")
    fields = _cleaned(
        None,
        code=code,
        name=name,
        short_name=short_name,
        currency=currency,
        phone=phone,
        email=email,
        address=address,
        tax_id=tax_id,
        bank_name=bank_name,
        bank_account=bank_account,
        payment_terms_days=payment_terms_days,
        payment_terms=payment_terms,
        buyer=buyer,
        note=note,
    )
    if not fields["code"]:
        fields["code"] = _next_code()
    supplier = Supplier(**fields, created_by=actor)
    _save(supplier, create=True)
    audit.record_created(actor, supplier, SUPPLIER_FIELDS)
    return supplier


@transaction.atomic
def update_supplier(
    supplier: Supplier,
    *,
    actor: Employee | None,
    name: str,
    code: str = "",
    short_name: str = "",
    currency: str = Currency.CNY,
    phone: str = "",
    email: str = "",
    address: str = "",
    tax_id: str = "",
    bank_name: str = "",
    bank_account: str = "",
    payment_terms_days: int = 30,
    payment_terms: str = "",
    buyer: Employee | None = None,
    note: str = "",
    version: int | None = None,
) -> Supplier:
    """Change a supplier (a blank code keeps the current one); the same duplicate checks as on
    creation. Its active flag changes only through `set_supplier_active`."""
    require_permission(actor, "purchasing.change_supplier")
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    claim(supplier, version, history=history_of)
    before = audit.snapshot(supplier, SUPPLIER_FIELDS)
    fields = _cleaned(
        supplier,
        code=code or supplier.code,
        name=name,
        short_name=short_name,
        currency=currency,
        phone=phone,
        email=email,
        address=address,
        tax_id=tax_id,
        bank_name=bank_name,
        bank_account=bank_account,
        payment_terms_days=payment_terms_days,
        payment_terms=payment_terms,
        buyer=buyer,
        note=note,
    )
    for field, value in fields.items():
        setattr(supplier, field, value)
    supplier.updated_at = timezone.now()
    _save(supplier, create=False)
    changes = audit.diff(before, audit.snapshot(supplier, SUPPLIER_FIELDS))
    if changes:
        audit.record(actor, "update", supplier, changes)
    return supplier


@transaction.atomic
def set_supplier_active(supplier: Supplier, *, actor: Employee | None, active: bool) -> Supplier:
    """停用 / 启用: a switched-off supplier stays in past documents and its payables, but new
    quotes and purchase orders cannot pick it."""
    require_permission(actor, "purchasing.change_supplier")
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if supplier.is_active == active:
        raise InvalidState(_("供应商已是启用状态。") if active else _("供应商已是停用状态。"))
    supplier.is_active = active
    supplier.updated_at = timezone.now()
    supplier.save(update_fields=["is_active", "updated_at"])
    audit.record(actor, "update", supplier, {"is_active": [not active, active]})
    return supplier


# Contacts ------------------------------------------------------------------------------------------


def _contact_text(contact: SupplierContact) -> str:
    """A contact as one line in the supplier's history (张敏 销售经理 13800000000 ★)."""
    parts = [contact.name, contact.title, contact.phone, contact.email]
    text = " ".join(p for p in parts if p)
    return f"{text} ★" if contact.is_primary else text


@transaction.atomic
def save_contact(
    supplier: Supplier,
    *,
    actor: Employee | None,
    name: str,
    contact: SupplierContact | None = None,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    note: str = "",
) -> SupplierContact:
    """Add a contact to a supplier, or change one of its contacts (`contact`). A primary contact
    takes the mark from the supplier's previous one. Recorded in the supplier's history."""
    require_permission(actor, "purchasing.change_supplier")
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)  # one contact write at a time
    if contact is not None:
        found = SupplierContact.objects.filter(pk=contact.pk, supplier=supplier).first()
        if found is None:
            raise NotFoundInScope()
        contact = found
    name = name.strip()
    if not name:
        raise DomainError(_("请填写联系人姓名。"), code="invalid", field="name")
    email = email.strip()
    _check_email(email)
    before = _contact_text(contact) if contact is not None else None
    if is_primary:
        others = SupplierContact.objects.filter(supplier=supplier, is_primary=True)
        if contact is not None:
            others = others.exclude(pk=contact.pk)
        others.update(is_primary=False)
    contact = contact or SupplierContact(supplier=supplier)
    contact.name, contact.title, contact.phone = name, title.strip(), phone.strip()
    contact.email, contact.is_primary, contact.note = email, is_primary, note.strip()
    contact.save()
    after = _contact_text(contact)
    if before != after:
        audit.record(actor, "update", supplier, {"contact": [before, after]})
    return contact


@transaction.atomic
def remove_contact(contact: SupplierContact, *, actor: Employee | None) -> None:
    """Delete a contact (contacts are not posted records); the supplier's history keeps who it was."""
    require_permission(actor, "purchasing.change_supplier")
    supplier = Supplier.objects.select_for_update().get(pk=contact.supplier_id)
    found = SupplierContact.objects.filter(pk=contact.pk, supplier=supplier).first()
    if found is None:
        raise NotFoundInScope()
    before = _contact_text(found)
    found.delete()
    audit.record(actor, "update", supplier, {"contact": [before, None]})
