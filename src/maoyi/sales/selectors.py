"""Reads of sales orders (销售订单), always through the data-scope gate: the list and one order, the
price a line proposes, the stock a line may take (on hand, reserved, available, incoming in the
order's warehouse and the others), the lines of an order asking for more than is available, a
customer's credit position, and the queues (waiting for approval, to ship).

Price proposal, in this order (the line records which, `PriceSource`):
1. the source quote's price for the product (an order made from a quote);
2. the contract's line price for the product (an order under a contract);
3. the last price this customer paid for it: the unit price of the product's line on the customer's
   most recent order that was approved (approved, in progress or done; by order date, then number);
4. the product's price in the customer's price level (crm `proposed_prices`);
5. the product's sale price, when it has one (a sale price of 0 is "not priced": no proposal, so a
   blank price is refused rather than sold for nothing).

Credit (信用额度): `Customer.credit_limit` 0 means no limit (every customer starts at 0, the field's
default). Outstanding is what the customer still owes on open receivables, in CNY at each
receivable's own rate, company-wide (not the reader's scope: the limit is the company's)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maoyi.catalog.models import Product
from maoyi.core.documents import Status
from maoyi.core.errors import NotFoundInScope
from maoyi.core.money import quantize_money, to_base
from maoyi.crm.models import Contract, Customer, Quote
from maoyi.crm.selectors import quotes as crm_prices
from maoyi.crm.selectors.handover import FollowingRecord
from maoyi.finance.models import Direction, Obligation, ObligationStatus, Receivable
from maoyi.finance.parties import PartyKind
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Reservation, ReservationStatus, Warehouse
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.sales.models import PriceSource, SalesOrder, SalesOrderInstallment, SalesOrderLine, SalesReturn

ZERO = Decimal("0")
# Approved and not finished: the stock is reserved and goods may still leave.
OPEN_STATUSES = (Status.APPROVED, Status.IN_PROGRESS)
# An order whose price counts as "the last price to this customer".
PRICED_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)
ORDER_ORDERINGS = {
    "number": "number",
    "customer": "customer__pinyin",
    "order_date": "order_date",
    "delivery_date": "delivery_date",
    "status": "status",
    "created": "created_at",
}


# Orders ----------------------------------------------------------------------------------------------


def _order_rows(qs: QuerySet[SalesOrder]) -> QuerySet[SalesOrder]:
    return qs.select_related("customer", "warehouse", "owner", "department", "contract", "quote")


def orders(
    user: Any,
    *,
    search: str = "",
    status: str = "",
    customer_id: int | None = None,
    owner_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    to_ship: bool = False,
    ordering: str = "",
) -> QuerySet[SalesOrder]:
    """Sales orders the user may see, newest order date first. `search` matches the number and the
    customer's name and pinyin initials; the dates bound the order date; `to_ship` keeps approved
    and partly shipped orders with a quantity still to ship."""
    qs = _order_rows(scope.visible(user, SalesOrder.objects.all()))
    term = search.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__pinyin__contains=term.lower())
        )
    if status in Status.values:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if date_from is not None:
        qs = qs.filter(order_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(order_date__lte=date_to)
    if to_ship:
        open_lines = SalesOrderLine.objects.filter(order=OuterRef("pk"), quantity__gt=F("shipped_quantity"))
        qs = qs.filter(Exists(open_lines), status__in=OPEN_STATUSES)
    field = ORDER_ORDERINGS.get(ordering.lstrip("-"))
    if field:
        return qs.order_by(f"-{field}" if ordering.startswith("-") else field, "-id")
    return qs.order_by("-order_date", "-id")


def order(user: Any, pk: int) -> SalesOrder:
    """One order in the user's scope; NotFoundInScope for "missing" and "not yours" alike."""
    try:
        return scope.get_visible(user, _order_rows(SalesOrder.objects.all()), pk=pk)
    except SalesOrder.DoesNotExist:
        raise NotFoundInScope() from None


def order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    return list(order.lines.select_related("product").order_by("id"))


@dataclass(frozen=True)
class ShippingProgress:
    """Shipped against ordered over an order's lines."""

    ordered: Decimal
    shipped: Decimal

    @property
    def percent(self) -> int:
        return int(self.shipped * 100 / self.ordered) if self.ordered else 0

    @property
    def done(self) -> bool:
        return bool(self.ordered) and self.shipped >= self.ordered


def shipping_progress(lines: Iterable[SalesOrderLine]) -> ShippingProgress:
    rows = list(lines)
    return ShippingProgress(
        ordered=sum((line.quantity for line in rows), ZERO),
        shipped=sum((line.shipped_quantity for line in rows), ZERO),
    )


def order_installments(order: SalesOrder) -> list[SalesOrderInstallment]:
    return list(order.installments.order_by("due_date", "id"))


def waiting_for_approval(user: Any) -> QuerySet[SalesOrder]:
    """Submitted orders the user may see, oldest first (the approvers' own list is the inbox)."""
    return orders(user, status=Status.SUBMITTED).order_by("created_at", "id")


def receivables_of(order: SalesOrder) -> QuerySet[Obligation]:
    """The receivable(s) approval opened for the order (a reversed one stays, after 反审核)."""
    return Obligation.objects.filter(
        direction=Direction.RECEIVABLE, source_type=order.DOCUMENT_TYPE, source_id=order.pk
    ).order_by("-id")


def customers_with_open_orders(customer_ids: Iterable[int]) -> set[int]:
    """Of these customers, those with an approved or partly shipped order (crm's pool provider: they
    do not return to the public pool)."""
    return set(
        SalesOrder.objects.filter(customer_id__in=list(customer_ids), status__in=OPEN_STATUSES)
        .values_list("customer_id", flat=True)
        .distinct()
    )


# Prices ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedPrice:
    price: Decimal
    source: str  # a PriceSource value


def _first_price_per_product(rows: Iterable[tuple[int, Decimal]]) -> dict[int, Decimal]:
    found: dict[int, Decimal] = {}
    for product_id, price in rows:
        found.setdefault(product_id, price)
    return found


def last_prices(customer: Customer, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """The unit price of each product on the customer's most recent approved (or later) order."""
    rows = (
        SalesOrderLine.objects.filter(
            order__customer=customer, order__status__in=PRICED_STATUSES, product_id__in=list(product_ids)
        )
        .order_by("-order__order_date", "-order__number", "-id")
        .values_list("product_id", "unit_price")
    )
    return _first_price_per_product(rows)


def proposed_prices(
    customer: Customer,
    products: Sequence[Product],
    *,
    contract: Contract | None = None,
    quote: Quote | None = None,
) -> dict[int, ProposedPrice]:
    """What a blank price means for each product on an order of `customer` (see the module's
    docstring for the order tried)."""
    ids = [p.pk for p in products]
    quoted: dict[int, Decimal] = {}
    if quote is not None:
        quoted = _first_price_per_product(
            quote.lines.filter(product_id__in=ids).order_by("id").values_list("product_id", "unit_price")
        )
    agreed: dict[int, Decimal] = {}
    if contract is not None:
        agreed = _first_price_per_product(
            contract.lines.filter(product_id__in=ids).order_by("id").values_list("product_id", "unit_price")
        )
    last = last_prices(customer, ids)
    levels = crm_prices.proposed_prices(customer, list(products))
    found: dict[int, ProposedPrice] = {}
    for product in products:
        if product.pk in quoted:
            found[product.pk] = ProposedPrice(quoted[product.pk], PriceSource.QUOTE)
        elif product.pk in agreed:
            found[product.pk] = ProposedPrice(agreed[product.pk], PriceSource.CONTRACT)
        elif product.pk in last:
            found[product.pk] = ProposedPrice(last[product.pk], PriceSource.LAST_PRICE)
        elif levels[product.pk].source == crm_prices.PRICE_LEVEL:
            found[product.pk] = ProposedPrice(levels[product.pk].price, PriceSource.PRICE_LEVEL)
        elif product.sale_price > 0:
            found[product.pk] = ProposedPrice(product.sale_price, PriceSource.SALE_PRICE)
    return found


def below_min_price(product: Product, net_price: Decimal) -> bool:
    """A price after discount under the product's minimum sale price (最低售价)."""
    return product.min_sale_price is not None and net_price < product.min_sale_price


# Credit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditPosition:
    """A customer's credit: the limit (0: none), what it owes on open receivables (CNY), and what
    it may still buy on credit (None without a limit; negative when already over it)."""

    limit: Decimal
    outstanding: Decimal

    @property
    def has_limit(self) -> bool:
        return self.limit > 0

    @property
    def available(self) -> Decimal | None:
        return self.limit - self.outstanding if self.has_limit else None


def outstanding_receivables(customer_id: int) -> Decimal:
    """What the customer still owes on its open receivables, in CNY at each receivable's own rate."""
    rows = Receivable.objects.filter(
        party_kind=PartyKind.CUSTOMER, party_id=customer_id, status=ObligationStatus.OPEN
    ).values_list("amount", "allocated", "exchange_rate")
    return quantize_money(sum((to_base(Decimal(a) - Decimal(b), Decimal(rate)) for a, b, rate in rows), ZERO))


def credit_position(customer: Customer) -> CreditPosition:
    return CreditPosition(limit=customer.credit_limit, outstanding=outstanding_receivables(customer.pk))


# Availability ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineAvailability:
    """A product's stock while an order line is written: in the order's warehouse (`here`), in each
    other active warehouse, and in total. Available is unexpired on hand less reserved.
    `expected_date` is when the earliest goods incoming to the chosen warehouse are due (None when
    nothing is coming or the documents bringing it have no date)."""

    product: Product
    here: stock.Availability
    others: list[stock.Availability]
    total: stock.Availability
    expected_date: dt.date | None = None


def _empty(warehouse: Warehouse | None) -> stock.Availability:
    return stock.Availability(
        warehouse_id=warehouse.pk if warehouse else None,
        warehouse=str(warehouse) if warehouse else "",
        on_hand=ZERO,
        reserved=ZERO,
        available=ZERO,
        incoming=ZERO,
    )


def line_availability(
    product_ids: Iterable[int], warehouse_id: int | None, *, today: dt.date | None = None
) -> dict[int, LineAvailability]:
    """On hand, reserved, available and incoming of each product for the chosen warehouse and the
    other active warehouses (inventory's `availability`, which leaves expired lots out)."""
    today = today or timezone.localdate()
    products = Product.objects.in_bulk(list(dict.fromkeys(product_ids)))
    chosen = Warehouse.objects.filter(pk=warehouse_id).first() if warehouse_id is not None else None
    found: dict[int, LineAvailability] = {}
    for product_id, product in products.items():
        figures = stock.availability(product, today=today)
        rows: list[stock.Availability] = figures["warehouses"]
        here = next((r for r in rows if r.warehouse_id == warehouse_id), None) or _empty(chosen)
        others = [r for r in rows if r.warehouse_id != warehouse_id]
        found[product_id] = LineAvailability(
            product=product,
            here=here,
            others=others,
            total=figures["total"],
            expected_date=here.expected_date,
        )
    return found


@dataclass(frozen=True)
class Shortage:
    """A line asking for more than its warehouse can give: `wanted` is what all lines of the product
    still need, `available` what the order may take (its own reservation counted as its own)."""

    index: int
    line: SalesOrderLine | None
    product: Product
    wanted: Decimal
    available: Decimal
    incoming: Decimal
    expected_date: dt.date | None

    @property
    def missing(self) -> Decimal:
        return self.wanted - self.available


def line_shortages(
    lines: Sequence[tuple[int, Decimal]],
    warehouse_id: int | None,
    *,
    reserved_for_this: dict[int, Decimal] | None = None,
    today: dt.date | None = None,
) -> list[Shortage]:
    """The lines (product id, quantity) of an order being written that ask for more than is
    available in the warehouse; lines of the same product are added up and all of them marked."""
    mine = reserved_for_this or {}
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for product_id, quantity in lines:
        if quantity > 0:
            wanted[product_id] += quantity
    figures = line_availability(wanted.keys(), warehouse_id, today=today)
    short = []
    for index, (product_id, quantity) in enumerate(lines):
        if product_id not in figures or quantity <= 0:
            continue
        here = figures[product_id].here
        available = here.available + mine.get(product_id, ZERO)
        if wanted[product_id] > available:
            short.append(
                Shortage(
                    index=index,
                    line=None,
                    product=figures[product_id].product,
                    wanted=wanted[product_id],
                    available=available,
                    incoming=here.incoming,
                    expected_date=figures[product_id].expected_date,
                )
            )
    return short


def order_shortages(order: SalesOrder, *, today: dt.date | None = None) -> list[Shortage]:
    """The order's lines whose open quantity is more than its warehouse has available (for an
    approved order, what it reserved counts as available to it)."""
    lines = order_lines(order)
    reserved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for product_id, quantity in Reservation.objects.filter(
        source_type=order.DOCUMENT_TYPE,
        source_id=order.pk,
        status=ReservationStatus.OPEN,
        warehouse_id=order.warehouse_id,
    ).values_list("product_id", "quantity"):
        reserved[product_id] += quantity
    found = line_shortages(
        [(line.product_id, line.open_quantity) for line in lines],
        order.warehouse_id,
        reserved_for_this=dict(reserved),
        today=today,
    )
    return [
        Shortage(
            index=s.index,
            line=lines[s.index],
            product=s.product,
            wanted=s.wanted,
            available=s.available,
            incoming=s.incoming,
            expected_date=s.expected_date,
        )
        for s in found
    ]


# Handover (交接) ----------------------------------------------------------------------------------------
# Orders not yet done or cancelled and returns not yet received or cancelled follow their customer in
# a handover, and keep their owner from leaving (离职) until then.

CLOSED_STATUSES = (Status.DONE, Status.CANCELLED)


def open_orders_of(employee: Employee) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.filter(owner=employee).exclude(status__in=CLOSED_STATUSES)


def open_returns_of(employee: Employee) -> QuerySet[SalesReturn]:
    return SalesReturn.objects.filter(owner=employee).exclude(status__in=CLOSED_STATUSES)


def find_orders(employee: Employee) -> list[FollowingRecord]:
    rows = open_orders_of(employee).select_related("customer").order_by("id")
    return [
        FollowingRecord(
            "sales_order", o.pk, f"{o.number} · {o.customer.name} · {o.get_status_display()}", o.customer_id
        )
        for o in rows
    ]


def find_returns(employee: Employee) -> list[FollowingRecord]:
    rows = open_returns_of(employee).select_related("order__customer").order_by("id")
    return [
        FollowingRecord(
            "sales_return",
            r.pk,
            f"{r.number} · {r.order.customer.name} · {r.get_status_display()}",
            r.order.customer_id,
        )
        for r in rows
    ]


def holdings_of(employee: Employee) -> list[str]:
    """What `employee` still owns in sales, as short labels (the org.holdings provider)."""
    labels = []
    open_orders = open_orders_of(employee).count()
    if open_orders:
        labels.append(_("未完成的销售订单 %(count)s 张") % {"count": open_orders})
    open_returns = open_returns_of(employee).count()
    if open_returns:
        labels.append(_("未完成的销售退货 %(count)s 张") % {"count": open_returns})
    return labels
