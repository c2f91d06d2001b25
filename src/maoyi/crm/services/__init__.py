"""Writes to customers. Each function is one transaction that checks the caller's permission and
data scope, validates, runs the duplicate check (查重) over every customer, writes and audits."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.catalog.models import PriceLevel
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.core.normalize import name_key, phone_key, tax_key
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.crm import selectors
from maoyi.crm.models import (
    PARTNER_KINDS,
    Customer,
    CustomerKind,
    CustomerLevel,
    CustomerSource,
    OwnershipAction,
    OwnershipChange,
)
from maoyi.org import scope
from maoyi.org.models import Employee, EmployeeStatus
from maoyi.org.pinyin import initials

CUSTOMER_FIELDS = (
    "name",
    "kind",
    "level",
    "price_level",
    "parent",
    "channel_partner",
    "phone",
    "tax_id",
    "address",
    "credit_limit",
    "source",
    "tags",
    "note",
    "owner",
    "department",
)

TAX_ID_RE = re.compile(r"^[0-9A-Z]{15,20}$")
_TAG_SEPARATORS = re.compile(r"[,，、;；]")


class _Actor:
    """The default owner of a new customer: whoever creates it."""

    def __repr__(self) -> str:
        return "ACTOR"


ACTOR: Any = _Actor()


def duplicate_error(found: selectors.Duplicates) -> DomainError:
    """The refusal names who owns the existing customer ("公海" when nobody does), never anything
    about the customer itself: the one asking may not be allowed to see it."""
    return DomainError(
        _("客户已存在（负责人：%(owner)s），请联系负责人或主管。"),
        code="duplicate_customer",
        owner=found.owners,
    )


def _tags(text: str) -> str:
    """标签 as one comma-separated line, whatever the separators typed (，、;)."""
    seen: list[str] = []
    for tag in (t.strip() for t in _TAG_SEPARATORS.split(text or "")):
        if tag and tag not in seen:
            seen.append(tag)
    return ",".join(seen)


def _check_partner(customer: Customer | None, partner: Customer | None, *, field: str) -> None:
    if partner is None:
        return
    if customer is not None and partner.pk == customer.pk:
        message = _("上级渠道不能是客户自己。") if field == "parent" else _("所属渠道不能是客户自己。")
        raise DomainError(message, code="invalid", field=field)
    if partner.kind not in PARTNER_KINDS:
        message = (
            _("上级渠道必须是分销商或代理商。") if field == "parent" else _("所属渠道必须是分销商或代理商。")
        )
        raise DomainError(message, code="invalid", field=field)
    if field == "parent" and customer is not None:
        node: Customer | None = partner
        while node is not None and node.parent_id is not None:  # a channel tree has no loops
            if node.parent_id == customer.pk:
                raise DomainError(_("上级渠道不能是客户自己的下级渠道。"), code="invalid", field="parent")
            node = node.parent


def _check(
    customer: Customer | None,
    *,
    name: str,
    kind: str,
    level: str,
    tax_id: str,
    credit_limit: Decimal,
    price_level: PriceLevel | None,
    parent: Customer | None,
    channel_partner: Customer | None,
    source: str,
) -> None:
    """The rules a customer's fields must satisfy, in the order the form shows them."""
    if not name:
        raise DomainError(_("请填写客户名称。"), code="invalid", field="name")
    if kind not in CustomerKind.values:
        raise DomainError(_("请选择客户类型。"), code="invalid", field="kind")
    if level not in CustomerLevel.values:
        raise DomainError(_("请选择客户等级。"), code="invalid", field="level")
    if tax_id and not TAX_ID_RE.match(tax_id):
        raise DomainError(_("税号应为 15 到 20 位字母或数字。"), code="invalid", field="tax_id")
    if credit_limit is None or credit_limit < 0:
        raise DomainError(_("信用额度不能为负数。"), code="invalid", field="credit_limit")
    if source and source not in CustomerSource.values:
        raise DomainError(_("客户来源无效。"), code="invalid", field="source")
    keeps_level = (
        customer is not None and price_level is not None and customer.price_level_id == price_level.pk
    )
    if price_level is not None and not price_level.is_active and not keeps_level:
        raise DomainError(
            _("价格等级“%(name)s”已停用。"), code="invalid", field="price_level", name=price_level.name
        )
    _check_partner(customer, parent, field="parent")
    _check_partner(customer, channel_partner, field="channel_partner")


def _refuse_duplicates(customer: Customer | None, *, name: str, phone: str, tax_id: str) -> None:
    found = selectors.duplicates_of(name=name, phone=phone, tax_id=tax_id, exclude=customer)
    if found.count:
        raise duplicate_error(found)


def _check_owner(owner: Employee | None) -> None:
    if owner is not None and owner.status != EmployeeStatus.ACTIVE:
        raise DomainError(_("负责人“%(name)s”已离职。"), code="invalid", field="owner", name=owner.name)


@transaction.atomic
def create_customer(
    *,
    actor: Employee | None,
    name: str,
    kind: str,
    level: str,
    phone: str = "",
    tax_id: str = "",
    address: str = "",
    credit_limit: Decimal = Decimal(0),
    price_level: PriceLevel | None = None,
    parent: Customer | None = None,
    channel_partner: Customer | None = None,
    source: str = "",
    tags: str = "",
    note: str = "",
    owner: Employee | None = ACTOR,
) -> Customer:
    """A new customer, owned by `owner` (the actor unless given; None puts it in the public pool) and
    its department. Refused when any customer — in anyone's scope — has the same name (ignoring
    spaces, brackets and 有限公司), phone or tax id."""
    require_permission(actor, "crm.add_customer")
    if owner is ACTOR:
        owner = actor
    name, phone, address = name.strip(), phone.strip(), address.strip()
    tax_id = tax_key(tax_id)
    _check(
        None,
        name=name,
        kind=kind,
        level=level,
        tax_id=tax_id,
        credit_limit=credit_limit,
        price_level=price_level,
        parent=parent,
        channel_partner=channel_partner,
        source=source,
    )
    _check_owner(owner)
    _refuse_duplicates(None, name=name, phone=phone, tax_id=tax_id)
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the indexes decide
            customer = Customer.objects.create(
                name=name,
                kind=kind,
                level=level,
                price_level=price_level,
                parent=parent,
                channel_partner=channel_partner,
                phone=phone,
                tax_id=tax_id,
                address=address,
                credit_limit=quantize_money(credit_limit),
                source=source,
                tags=_tags(tags),
                note=note.strip(),
                owner=owner,
                department=owner.department if owner is not None else None,
                owned_since=timezone.now() if owner is not None else None,
                pinyin=initials(name),
                name_key=name_key(name),
                phone_key=phone_key(phone),
                created_by=actor.user if actor is not None else None,
            )
    except IntegrityError:
        _refuse_duplicates(None, name=name, phone=phone, tax_id=tax_id)
        raise
    OwnershipChange.objects.create(  # where the claim limit and the pool's history start
        customer=customer,
        action=OwnershipAction.CREATE if owner is not None else OwnershipAction.IMPORT,
        to_owner=owner,
        actor=actor,
        at=customer.created_at,
    )
    audit.record_created(actor, customer, CUSTOMER_FIELDS)
    return customer


@transaction.atomic
def update_customer(
    customer: Customer,
    *,
    actor: Employee | None,
    name: str,
    kind: str,
    level: str,
    phone: str = "",
    tax_id: str = "",
    address: str = "",
    credit_limit: Decimal = Decimal(0),
    price_level: PriceLevel | None = None,
    parent: Customer | None = None,
    channel_partner: Customer | None = None,
    source: str = "",
    tags: str = "",
    note: str = "",
    version: int | None = None,
) -> Customer:
    """Change a customer the actor may change (others: not found). A changed name, phone or tax id
    goes through the duplicate check again. The owner changes only by claim, release or transfer."""
    require_permission(actor, "crm.change_customer")
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    claim(customer, version, history=history_of)
    before = audit.snapshot(customer, CUSTOMER_FIELDS)
    name, phone, address = name.strip(), phone.strip(), address.strip()
    tax_id = tax_key(tax_id)
    _check(
        customer,
        name=name,
        kind=kind,
        level=level,
        tax_id=tax_id,
        credit_limit=credit_limit,
        price_level=price_level,
        parent=parent,
        channel_partner=channel_partner,
        source=source,
    )
    keys_changed = (name_key(name), phone_key(phone), tax_id) != (
        customer.name_key,
        customer.phone_key,
        customer.tax_id,
    )
    if keys_changed:
        _refuse_duplicates(customer, name=name, phone=phone, tax_id=tax_id)
    customer.name, customer.kind, customer.level = name, kind, level
    customer.price_level, customer.parent, customer.channel_partner = price_level, parent, channel_partner
    customer.phone, customer.tax_id, customer.address = phone, tax_id, address
    customer.credit_limit = quantize_money(credit_limit)
    customer.source, customer.tags, customer.note = source, _tags(tags), note.strip()
    customer.pinyin, customer.name_key, customer.phone_key = initials(name), name_key(name), phone_key(phone)
    customer.updated_at = timezone.now()
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        _refuse_duplicates(customer, name=name, phone=phone, tax_id=tax_id)
        raise
    changes = audit.diff(before, audit.snapshot(customer, CUSTOMER_FIELDS))
    if changes:
        audit.record(actor, "update", customer, changes)
    return customer
