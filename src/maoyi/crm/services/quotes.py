"""Writes to customer quotes (报价单). Each function is one transaction that checks the caller's
permission and that they may change the quote's customer (otherwise: not found), validates, writes
and audits.

A line with a blank price takes the customer's price-level price for the product, else the product's
sale price; `price_source` records which ("level", "sale", or "typed"). A typed price under the
product's minimum sale price is allowed on a quote (the pages flag it).

Status: 草稿 → 已发送 → 已接受 / 已拒绝; only a draft is edited. 已过期 is shown, not stored: a draft
or sent quote past `valid_until` reads as expired (`selectors.quotes.is_expired`), and it can no
longer be sent or accepted (edit the validity of a draft first). A quote may become a sales order
later; until sales exists there is no such action.

Numbers: `next_number("customer_quote")` with the prefix BJ (报价). Quotes are not Documents, so the
numbering's own fallback would be "CUSTOMER_QUO"; BJ applies unless an administrator stored a
NumberingRule for "customer_quote"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.catalog.models import Product
from maoyi.core.errors import DomainError, InvalidState, NotFoundInScope, line_error
from maoyi.core.numbering import next_number
from maoyi.core.permissions import require_permission
from maoyi.core.versioning import claim
from maoyi.crm.models import Customer, Opportunity, Quote, QuoteLine, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.org import scope
from maoyi.org.models import Employee

NUMBER_TYPE = "customer_quote"
NUMBER_PREFIX = "BJ"
QUOTE_FIELDS = ("number", "customer", "opportunity", "status", "valid_until", "note")
PRICE_QUANTUM = Decimal("0.0001")
QUANTITY_QUANTUM = Decimal("0.0001")
MAX_VALUE = Decimal("1e14")
# status → the statuses `mark_quote` may move it to
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    QuoteStatus.DRAFT: (QuoteStatus.SENT,),
    QuoteStatus.SENT: (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED),
}
STATUS_ACTION = "status"  # the audit action of a status change


@dataclass(frozen=True)
class QuoteLineInput:
    """A line as typed; `unit_price` None takes the proposed price (price level, else sale price)."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class PlannedLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    price_source: str


def quote_number() -> str:
    """The next quote number: BJ20250101-0001 (a stored NumberingRule's prefix wins)."""
    return next_number(NUMBER_TYPE, default_prefix=NUMBER_PREFIX)


def _check_scope(actor: Employee | None, customer: Customer) -> None:
    """A quote is worked by whoever may change its customer; anyone else finds nothing."""
    if actor is not None and not scope.can_change(actor.user, customer):
        raise NotFoundInScope()


def _decimal_ok(value: Decimal, quantum: Decimal) -> bool:
    return value.is_finite() and value == value.quantize(quantum) and abs(value) < MAX_VALUE


def plan_lines(customer: Customer, lines: Sequence[QuoteLineInput]) -> list[PlannedLine]:
    """Check the typed lines and price the blank ones; refusals name the row (lines.<n>.<field>)."""
    if not lines:
        raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
    products = Product.objects.in_bulk({line.product_id for line in lines})
    proposed = selectors.proposed_prices(customer, list(products.values()))
    planned = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            raise line_error(index, "product", _("请选择启用中的商品。"))
        quantity = line.quantity
        if not isinstance(quantity, Decimal) or not _decimal_ok(quantity, QUANTITY_QUANTUM) or quantity <= 0:
            raise line_error(index, "quantity", _("数量必须大于零，最多四位小数。"))
        if line.unit_price is None:
            price, source = proposed[product.pk].price, proposed[product.pk].source
        else:
            price, source = line.unit_price, selectors.PRICE_TYPED
            if not _decimal_ok(price, PRICE_QUANTUM) or price < 0:
                raise line_error(index, "unit_price", _("单价不能为负数，最多四位小数。"))
        planned.append(PlannedLine(product, quantity, price, source))
    return planned


def _check_header(customer: Customer, opportunity: Opportunity | None, valid_until: dt.date | None) -> None:
    if not customer.is_active:
        raise DomainError(
            _("客户“%(name)s”已停用，不能报价。"), code="invalid", field="customer", name=customer.name
        )
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise DomainError(_("机会不属于这个客户。"), code="invalid", field="opportunity")
    if valid_until is None:
        raise DomainError(_("请填写有效期。"), code="invalid", field="valid_until")
    if valid_until < timezone.localdate():
        raise DomainError(_("有效期不能早于今天。"), code="invalid", field="valid_until")


def _write_lines(quote: Quote, planned: Sequence[PlannedLine]) -> None:
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            product=p.product,
            quantity=p.quantity,
            unit_price=p.unit_price,
            price_source=p.price_source,
        )
        for p in planned
    )


def _lines_text(quote: Quote) -> str:
    return "；".join(
        f"{line.product.code} × {line.quantity.normalize():f} @ {line.unit_price.normalize():f}"
        for line in quote.lines.select_related("product").order_by("id")
    )


@transaction.atomic
def create_quote(
    *,
    actor: Employee | None,
    customer: Customer,
    valid_until: dt.date,
    lines: Sequence[QuoteLineInput],
    opportunity: Opportunity | None = None,
    note: str = "",
) -> Quote:
    """A draft quote to a customer the actor may change (others: not found)."""
    require_permission(actor, "crm.add_quote")
    _check_scope(actor, customer)
    _check_header(customer, opportunity, valid_until)
    planned = plan_lines(customer, lines)
    now = timezone.now()
    quote = Quote.objects.create(
        number=quote_number(),
        customer=customer,
        opportunity=opportunity,
        valid_until=valid_until,
        note=(note or "").strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _write_lines(quote, planned)
    audit.record_created(actor, quote, QUOTE_FIELDS, also={"lines": [None, _lines_text(quote)]})
    return quote


def _locked(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)


@transaction.atomic
def update_quote(
    quote: Quote,
    *,
    actor: Employee | None,
    valid_until: dt.date,
    lines: Sequence[QuoteLineInput],
    opportunity: Opportunity | None = None,
    note: str = "",
    version: int | None = None,
) -> Quote:
    """Change a draft: validity, opportunity, note and the whole set of lines (blank prices are
    proposed again). The customer stays."""
    require_permission(actor, "crm.change_quote")
    _check_scope(actor, quote.customer)
    locked = _locked(quote)
    if locked.status != QuoteStatus.DRAFT:
        raise InvalidState(
            _("报价单 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=locked.get_status_display(),
        )
    _check_header(locked.customer, opportunity, valid_until)
    planned = plan_lines(locked.customer, lines)
    fields = ("opportunity", "valid_until", "note")
    claim(locked, version, history=history_of)
    before = {**audit.snapshot(locked, fields), "lines": _lines_text(locked)}
    locked.opportunity, locked.valid_until, locked.note = opportunity, valid_until, (note or "").strip()
    locked.updated_at = timezone.now()
    locked.save()
    _write_lines(locked, planned)
    after = {**audit.snapshot(locked, fields), "lines": _lines_text(locked)}
    if changes := audit.diff(before, after):
        audit.record(actor, "update", locked, changes)
    return locked


@transaction.atomic
def mark_quote(quote: Quote, *, actor: Employee | None, status: str) -> Quote:
    """Move a quote along: draft → sent, sent → accepted or declined. A quote past its validity can
    be neither sent nor accepted (it may still be declined)."""
    require_permission(actor, "crm.change_quote")
    _check_scope(actor, quote.customer)
    locked = _locked(quote)
    if status not in NEXT_STATUSES.get(locked.status, ()):
        labels = dict(QuoteStatus.choices)
        raise InvalidState(
            _("报价单 %(number)s 当前状态为“%(status)s”，不能改为“%(target)s”。"),
            number=locked.number,
            status=locked.get_status_display(),
            target=labels.get(status, status),
        )
    if status in (QuoteStatus.SENT, QuoteStatus.ACCEPTED) and selectors.is_expired(locked):
        raise InvalidState(
            _("报价单 %(number)s 已过有效期（%(date)s）。"),
            number=locked.number,
            date=locked.valid_until.isoformat(),
        )
    before = audit.snapshot(locked, ("status",))
    locked.status = status
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "updated_at"])
    audit.record(actor, STATUS_ACTION, locked, audit.diff(before, audit.snapshot(locked, ("status",))))
    return locked
