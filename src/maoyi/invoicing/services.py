"""Recording VAT invoices (发票登记) and reversing them (红冲). Finance records an invoice with the
sales orders (销项) or purchase orders (进项) it covers; the allocations must add up to the
invoice's total, and no order may be invoiced beyond what it is worth (its amount less completed
returns). Each call is one transaction; a refusal changes nothing.

Allocating locks the orders' rows in id order before reading what they were already invoiced, so
two clerks invoicing the same order queue on its row and the second sees the first's allocation
(`over_invoice` when nothing is left). Reversing locks the invoice first, then its orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope, required_reason
from maoyi.core.money import BASE_CURRENCY, quantize_money
from maoyi.core.permissions import require_permission
from maoyi.finance.parties import Party
from maoyi.invoicing import documents
from maoyi.invoicing.models import (
    PARTY_KIND,
    SOURCE_TYPE,
    Invoice,
    InvoiceAllocation,
    InvoiceDirection,
    InvoiceKind,
    InvoiceStatus,
)
from maoyi.invoicing.selectors import invoiced_amounts
from maoyi.org import scope
from maoyi.org.models import Employee

ZERO = Decimal("0")
MONEY_LIMIT = Decimal(10) ** 16  # MoneyField: 18 digits, 2 of them decimals
NUMBER_LENGTHS = {
    InvoiceKind.SPECIAL: (8, 20),
    InvoiceKind.NORMAL: (8, 20),
    InvoiceKind.DIGITAL: (20,),  # 数电票: a 20-digit number, no separate code
}
AUDIT_FIELDS = (
    "direction",
    "kind",
    "number",
    "issued_on",
    "party_name",
    "amount",
    "tax_amount",
    "total",
    "owner",
    "note",
)


class OverInvoice(DomainError):
    code = "over_invoice"
    default_message = _("开票金额超过单据可开票金额。")


class AllocationMismatch(DomainError):
    code = "allocation_mismatch"
    default_message = _("分配到单据的金额合计与价税合计不一致。")


class DuplicateInvoice(DomainError):
    code = "duplicate_invoice"
    default_message = _("这张发票已登记。")


@dataclass(frozen=True)
class AllocationInput:
    """`amount` (tax included) of the invoice covers the order `document_id` (a sales order for an
    issued invoice, a purchase order for a received one)."""

    document_id: int
    amount: Decimal


# Checks ---------------------------------------------------------------------------------------------


def _direction(direction: str) -> str:
    if direction not in InvoiceDirection.values:
        raise DomainError(_("请选择发票方向。"), code="invalid", field="direction")
    return direction


def _kind(kind: str) -> str:
    if kind not in InvoiceKind.values:
        raise DomainError(_("请选择发票类型。"), code="invalid", field="kind")
    return kind


def clean_number(kind: str, number: str | None, *, field: str = "number") -> str:
    """An invoice number as printed: digits only (spaces dropped), 8 or 20 of them (数电票: 20)."""
    text = "".join((number or "").split())
    if not text:
        raise DomainError(_("请填写发票号码。"), code="invalid", field=field)
    if not (text.isascii() and text.isdigit()):
        raise DomainError(_("发票号码只能是数字。"), code="invalid", field=field)
    if len(text) not in NUMBER_LENGTHS[InvoiceKind(kind)]:
        if kind == InvoiceKind.DIGITAL:
            raise DomainError(_("数电票号码应为 20 位数字。"), code="invalid", field=field)
        raise DomainError(_("发票号码应为 8 位或 20 位数字。"), code="invalid", field=field)
    return text


def _money(value: Decimal | None, field: str, label: str | Promise, *, zero_ok: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        message = _("%(label)s不能为负数。") if zero_ok else _("%(label)s必须大于零。")
        raise DomainError(message, code="invalid", field=field, label=label)
    if value != quantize_money(value):
        raise DomainError(_("%(label)s最多两位小数。"), code="invalid", field=field, label=label)
    if value >= MONEY_LIMIT:
        raise DomainError(_("%(label)s过大。"), code="invalid", field=field, label=label)
    return quantize_money(value)


def _date(value: dt.date | None, field: str) -> dt.date:
    if value is None:
        raise DomainError(_("请填写开票日期。"), code="invalid", field=field)
    if value > timezone.localdate():
        raise DomainError(_("开票日期不能晚于今天。"), code="invalid", field=field)
    return value


def _requested(allocations: Sequence[AllocationInput | tuple[Any, Decimal]]) -> list[AllocationInput]:
    """The allocations as (order id, amount), each amount positive with two decimals, each order
    once. `(order, amount)` pairs are accepted too."""
    rows: list[AllocationInput] = []
    seen: set[int] = set()
    for index, item in enumerate(allocations):
        if isinstance(item, AllocationInput):
            document_id, amount = item.document_id, item.amount
        else:
            document, amount = item
            document_id = document if isinstance(document, int) else document.pk
        amount = _money(amount, f"allocations.{index}.amount", _("开票金额"))
        if document_id in seen:
            raise DomainError(
                _("第 %(row)s 行：同一张单据只能分配一次。"),
                code="invalid",
                field=f"allocations.{index}.document",
                row=index + 1,
            )
        seen.add(document_id)
        rows.append(AllocationInput(document_id=document_id, amount=amount))
    return rows


def _refuse_duplicate(direction: str, kind: str, number: str, field: str) -> None:
    if Invoice.objects.filter(direction=direction, kind=kind, number=number).exists():
        raise _duplicate(direction, kind, number, field)


def _duplicate(direction: str, kind: str, number: str, field: str) -> DuplicateInvoice:
    return DuplicateInvoice(
        _("%(direction)s%(kind)s %(number)s 已登记，不能重复录入。"),
        field=field,
        direction=InvoiceDirection(direction).label,
        kind=InvoiceKind(kind).label,
        number=number,
    )


def _save(invoice: Invoice, field: str) -> Invoice:
    """Insert the invoice; a racing clerk who saved the same number first makes this a refusal."""
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        raise _duplicate(invoice.direction, invoice.kind, invoice.number, field) from None
    return invoice


def _allocations_text(rows: Sequence[InvoiceAllocation]) -> str:
    return "；".join(f"{row.source_number} {row.amount:.2f}" for row in rows)


# Recording ------------------------------------------------------------------------------------------


def _check_documents(
    actor: Employee, direction: str, party: Party, rows: list[AllocationInput]
) -> dict[int, documents.SourceDocument]:
    """Lock the orders (id order) and check each may take its amount: it exists and the actor may
    see it, it is this party's, approved or later, in CNY, and not invoiced beyond its amount."""
    source_type = SOURCE_TYPE[direction]
    found = documents.load(source_type, [row.document_id for row in rows], lock=True)
    seen = set(
        documents.visible(actor.user, source_type).filter(pk__in=list(found)).values_list("pk", flat=True)
    )
    already = invoiced_amounts(source_type, list(found))
    for index, row in enumerate(rows):
        field = f"allocations.{index}.document"
        doc = found.get(row.document_id)
        if doc is None or doc.id not in seen:
            raise DomainError(_("第 %(row)s 行：单据不存在。"), code="invalid", field=field, row=index + 1)
        if doc.party_id != party.id:
            raise DomainError(
                _("%(number)s 不是 %(party)s 的单据。"),
                code="invalid",
                field=field,
                number=doc.number,
                party=party.name,
            )
        if not doc.invoiceable:
            raise InvalidState(
                _("%(number)s 当前状态为“%(status)s”，审核通过后才能开票。"),
                field=field,
                number=doc.number,
                status=doc.status_label,
            )
        if doc.currency != BASE_CURRENCY:
            raise DomainError(
                _("%(number)s 是 %(currency)s 采购订单，增值税发票只登记人民币单据。"),
                code="currency_mismatch",
                field=field,
                number=doc.number,
                currency=doc.currency,
            )
        invoiced = already.get(doc.id, ZERO)
        if invoiced + row.amount > doc.amount:
            left = doc.amount - invoiced
            raise OverInvoice(
                _("%(number)s 可开票 %(amount)s，已开票 %(invoiced)s，本次 %(this)s，超出 %(over)s。"),
                field=f"allocations.{index}.amount",
                number=doc.number,
                amount=f"{doc.amount:.2f}",
                invoiced=f"{invoiced:.2f}",
                this=f"{row.amount:.2f}",
                over=f"{row.amount - max(left, ZERO):.2f}",
            )
    return found


@transaction.atomic
def record_invoice(
    *,
    actor: Employee,
    direction: str,
    kind: str,
    number: str,
    issued_on: dt.date,
    party: Party,
    amount: Decimal,
    tax_amount: Decimal,
    allocations: Sequence[AllocationInput | tuple[Any, Decimal]],
    note: str = "",
) -> Invoice:
    """Record an invoice issued to a customer or received from a supplier, allocated to the orders
    it covers: the allocations add up to its total (价税合计), each order is the party's, approved or
    later, and is never invoiced beyond its amount less completed returns."""
    require_permission(actor, "invoicing.add_invoice")
    direction, kind = _direction(direction), _kind(kind)
    number = clean_number(kind, number)
    issued_on = _date(issued_on, "issued_on")
    if party is None or party.kind != PARTY_KIND[direction]:
        issued = direction == InvoiceDirection.ISSUED
        message = _("销项发票请选择客户。") if issued else _("进项发票请选择供应商。")
        raise DomainError(message, code="invalid", field="party")
    amount = _money(amount, "amount", _("金额"))
    tax_amount = _money(tax_amount, "tax_amount", _("税额"), zero_ok=True)
    total = amount + tax_amount
    rows = _requested(allocations)
    if not rows:
        raise DomainError(_("请至少分配一张单据。"), code="invalid", field="allocations")
    allocated = sum((row.amount for row in rows), ZERO)
    if allocated != total:
        raise AllocationMismatch(
            _("分配到单据的金额合计 %(allocated)s 与价税合计 %(total)s 不一致。"),
            field="allocations",
            allocated=f"{allocated:.2f}",
            total=f"{total:.2f}",
        )
    _refuse_duplicate(direction, kind, number, "number")
    found = _check_documents(actor, direction, party, rows)
    invoice = _save(
        Invoice(
            direction=direction,
            kind=kind,
            number=number,
            issued_on=issued_on,
            party_kind=party.kind,
            party_id=party.id,
            party_name=party.name,
            owner_id=party.owner_id,
            department_id=party.department_id,
            amount=amount,
            tax_amount=tax_amount,
            total=total,
            note=(note or "").strip()[:500],
            created_by=actor.user,
        ),
        "number",
    )
    source_type = SOURCE_TYPE[direction]
    made = InvoiceAllocation.objects.bulk_create(
        InvoiceAllocation(
            invoice=invoice,
            source_type=source_type,
            source_id=row.document_id,
            source_number=found[row.document_id].number,
            amount=row.amount,
        )
        for row in rows
    )
    audit.record_created(actor, invoice, AUDIT_FIELDS, also={"allocations": [None, _allocations_text(made)]})
    return invoice


# Reversing ------------------------------------------------------------------------------------------


@transaction.atomic
def reverse_invoice(
    invoice: Invoice,
    *,
    actor: Employee,
    reason: str,
    red_number: str,
    issued_on: dt.date | None = None,
) -> Invoice:
    """红冲: record the red invoice (红字发票, number `red_number`) that cancels `invoice` — the same
    amounts and allocations, negative — and mark the original 已红冲. Both stay; returns the red one."""
    require_permission(actor, "invoicing.change_invoice")
    if not scope.can_view(actor.user, invoice):
        raise NotFoundInScope()
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.is_red:
        raise InvalidState(_("%(number)s 是红字发票，不能红冲。"), number=locked.number)
    if locked.status == InvoiceStatus.REVERSED:
        raise InvalidState(_("%(number)s 已红冲。"), number=locked.number)
    reason = required_reason(reason)
    red_number = clean_number(locked.kind, red_number, field="red_number")
    red_on = _date(issued_on or timezone.localdate(), "issued_on")
    if red_on < locked.issued_on:
        raise DomainError(_("红字发票的开票日期不能早于原发票。"), code="invalid", field="issued_on")
    _refuse_duplicate(locked.direction, locked.kind, red_number, "red_number")
    originals = list(locked.allocations.order_by("source_id"))
    source_type = SOURCE_TYPE[locked.direction]
    documents.load(source_type, [row.source_id for row in originals], lock=True)
    red = _save(
        Invoice(
            direction=locked.direction,
            kind=locked.kind,
            number=red_number,
            issued_on=red_on,
            party_kind=locked.party_kind,
            party_id=locked.party_id,
            party_name=locked.party_name,
            owner_id=locked.owner_id,
            department_id=locked.department_id,
            amount=-locked.amount,
            tax_amount=-locked.tax_amount,
            total=-locked.total,
            reverses=locked,
            reverse_reason=reason,
            note=reason,
            created_by=actor.user,
        ),
        "red_number",
    )
    made = InvoiceAllocation.objects.bulk_create(
        InvoiceAllocation(
            invoice=red,
            source_type=row.source_type,
            source_id=row.source_id,
            source_number=row.source_number,
            amount=-row.amount,
        )
        for row in originals
    )
    locked.status = InvoiceStatus.REVERSED
    locked.reverse_reason = reason
    locked.save(update_fields=["status", "reverse_reason"])
    labels = dict(InvoiceStatus.choices)
    audit.record(
        actor,
        "reverse",
        locked,
        {"status": [str(labels[InvoiceStatus.NORMAL]), str(labels[InvoiceStatus.REVERSED])]},
        note=f"{red.number}：{reason}",
    )
    audit.record_created(
        actor,
        red,
        (*AUDIT_FIELDS, "reverses"),
        also={"allocations": [None, _allocations_text(made)]},
    )
    return red
