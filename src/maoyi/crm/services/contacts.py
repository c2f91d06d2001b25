"""Writes to contacts (联系人). A contact is reached through its customer: the actor needs the contact
permission and must be able to change the customer (otherwise: not found). Contacts are never
deleted; one who leaves the customer is marked 离职 and stays on the activities that name them."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.crm.models import Contact, Customer
from maoyi.org import scope
from maoyi.org.models import Employee

CONTACT_FIELDS = (
    "customer",
    "name",
    "department",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "is_primary",
    "note",
    "is_active",
)

# A mobile number as typed: digits, with spaces or hyphens between them and an optional leading +.
_MOBILE_SEPARATORS = re.compile(r"[\s\-]")
_MOBILE_RE = re.compile(r"^\+?[0-9]{7,15}$")


def guard_customer(actor: Employee | None, customer: Customer, perm: str) -> None:
    """The actor's role may `perm`, and the customer is one the actor may change."""
    require_permission(actor, perm)
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()


def _mobile(text: str) -> str:
    mobile = _MOBILE_SEPARATORS.sub("", text or "")
    if mobile and not _MOBILE_RE.match(mobile):
        raise DomainError(_("手机号只能包含数字（7 到 15 位）。"), code="invalid", field="mobile")
    return mobile


def _email(text: str) -> str:
    email = (text or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("邮箱格式不正确。"), code="invalid", field="email") from None
    return email


def _clean(
    *,
    name: str,
    department: str,
    title: str,
    mobile: str,
    phone: str,
    email: str,
    wechat: str,
    note: str,
) -> dict[str, str]:
    """The fields as stored, in the order the form shows them; refused when a rule fails."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写联系人姓名。"), code="invalid", field="name")
    return {
        "name": name,
        "department": (department or "").strip(),
        "title": (title or "").strip(),
        "mobile": _mobile(mobile),
        "phone": (phone or "").strip(),
        "email": _email(email),
        "wechat": (wechat or "").strip(),
        "note": (note or "").strip(),
    }


def _unset_other_primary(actor: Employee | None, contact: Contact) -> None:
    """A customer has one primary contact: making `contact` primary unsets the previous one."""
    others = Contact.objects.select_for_update().filter(customer_id=contact.customer_id, is_primary=True)
    for other in others.exclude(pk=contact.pk):
        other.is_primary = False
        other.save(update_fields=["is_primary"])
        audit.record(actor, "update", other, {"is_primary": [True, False]})


@transaction.atomic
def add_contact(
    *,
    actor: Employee | None,
    customer: Customer,
    name: str,
    department: str = "",
    title: str = "",
    mobile: str = "",
    phone: str = "",
    email: str = "",
    wechat: str = "",
    is_primary: bool = False,
    note: str = "",
) -> Contact:
    """A new contact of a customer the actor may change; primary unsets the customer's other one."""
    guard_customer(actor, customer, "crm.add_contact")
    fields = _clean(
        name=name,
        department=department,
        title=title,
        mobile=mobile,
        phone=phone,
        email=email,
        wechat=wechat,
        note=note,
    )
    contact = Contact(customer=customer, is_primary=False, created_by=actor, **fields)
    contact.save()
    if is_primary:
        _unset_other_primary(actor, contact)
        contact.is_primary = True
        contact.save(update_fields=["is_primary"])
    audit.record_created(actor, contact, CONTACT_FIELDS)
    return contact


@transaction.atomic
def update_contact(
    contact: Contact,
    *,
    actor: Employee | None,
    name: str,
    department: str = "",
    title: str = "",
    mobile: str = "",
    phone: str = "",
    email: str = "",
    wechat: str = "",
    is_primary: bool = False,
    note: str = "",
    version: int | None = None,
) -> Contact:
    """Change a contact of a customer the actor may change. A contact who has left (离职) may be
    corrected but not made primary."""
    guard_customer(actor, contact.customer, "crm.change_contact")
    contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    claim(contact, version, history=history_of)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    fields = _clean(
        name=name,
        department=department,
        title=title,
        mobile=mobile,
        phone=phone,
        email=email,
        wechat=wechat,
        note=note,
    )
    if is_primary and not contact.is_active:
        raise DomainError(_("已离职的联系人不能设为主要联系人。"), code="invalid", field="is_primary")
    for key, value in fields.items():
        setattr(contact, key, value)
    if is_primary and not contact.is_primary:
        _unset_other_primary(actor, contact)
    contact.is_primary = is_primary
    contact.save()
    changes = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
    if changes:
        audit.record(actor, "update", contact, changes)
    return contact


@transaction.atomic
def deactivate_contact(contact: Contact, *, actor: Employee | None) -> Contact:
    """The contact has left the customer (离职): kept, no longer primary, not offered for new
    activities."""
    guard_customer(actor, contact.customer, "crm.change_contact")
    contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    if not contact.is_active:
        raise InvalidState(_("联系人“%(name)s”已经是离职状态。"), name=contact.name)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    contact.is_active = False
    contact.is_primary = False
    contact.save(update_fields=["is_active", "is_primary"])
    audit.record(actor, "leave", contact, audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS)))
    return contact
