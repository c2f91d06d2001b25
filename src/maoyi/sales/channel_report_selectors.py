"""Channel and campaign reports (报表): 渠道销售 (sales through each channel partner) and 市场活动投入产出
(what a campaign cost against what its partner customers bought during it). Sales figures always go
through the data scope of `report_selectors.sold_lines` (a salesperson counts their own orders, a
manager their department's); campaigns are company information (`crm.view_campaign`).

Amounts are those of 销售统计: Σ the lines' amounts after discount, tax included, each rounded to the
cent; excluding tax Σ (line amount − line tax); orders approved (已审核, 执行中, 已完成), the period
being the order date.

渠道销售: a channel partner is a customer of kind 分销商 or 代理商. Each partner's row adds its own
orders (自营, the partner as the order's customer) and the orders of the customers it serves (下游:
`Customer.channel_partner` is the partner); orders of customers without a partner are left out.
Grouped by partner (the largest total first), by partner kind, or by the partner's customer level;
the total row counts each selected order once.

市场活动投入产出: per campaign whose period meets the chosen one (not cancelled): its budget, its
approved cost (expenses 已审核 and 已支付, as the campaign page counts them) and the sales to its
partner customers (参与客户) with an order date within the campaign's own dates; return (投入产出比)
= sales excluding tax ÷ approved cost (None without cost). Latest start first. The total row sums
the rows (an order of a customer in two campaigns counts in each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet

from maoyi.core.money import quantize_money
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import PARTNER_KINDS, CampaignKind, Customer, CustomerKind, CustomerLevel
from maoyi.crm.selectors.campaigns import campaigns as visible_campaigns
from maoyi.sales.models import SalesOrderLine
from maoyi.sales.report_selectors import sold_lines

ZERO = Decimal("0")
CHANNEL_GROUPINGS = ("partner", "kind", "level")


@dataclass
class ChannelRow:
    """One partner (key: its id), partner kind or level, or the total (key None)."""

    key: Hashable
    label: str
    kind: str = ""
    level: str = ""
    own_orders: set[int] = field(default_factory=set)
    own_amount: Decimal = ZERO
    served_orders: set[int] = field(default_factory=set)
    served_customers: set[int] = field(default_factory=set)
    served_amount: Decimal = ZERO
    amount_ex_tax: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.own_amount + self.served_amount

    @property
    def orders(self) -> int:
        return len(self.own_orders | self.served_orders)

    def add(self, *, own: bool, order_id: int, customer_id: int, amount: Decimal, ex_tax: Decimal) -> None:
        if own:
            self.own_orders.add(order_id)
            self.own_amount += amount
        else:
            self.served_orders.add(order_id)
            self.served_customers.add(customer_id)
            self.served_amount += amount
        self.amount_ex_tax += ex_tax


@dataclass(frozen=True)
class ChannelReport:
    by: str
    rows: list[ChannelRow]
    total: ChannelRow


def _amounts(row: dict[str, Any]) -> tuple[Decimal, Decimal]:
    line = SalesOrderLine(
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        discount_rate=row["discount_rate"],
        tax_rate=row["tax_rate"],
    )
    return line.amount, line.amount_ex_tax


_LINE_FIGURES = ("order_id", "order__customer_id", "quantity", "unit_price", "discount_rate", "tax_rate")


def _group(by: str, partner: Customer) -> tuple[Hashable, ChannelRow]:
    """The key of the partner's group and an empty row for it."""
    kind = str(CustomerKind(partner.kind).label) if partner.kind in CustomerKind.values else partner.kind
    level = (
        str(CustomerLevel(partner.level).label) if partner.level in CustomerLevel.values else partner.level
    )
    if by == "kind":
        return partner.kind, ChannelRow(partner.kind, kind)
    if by == "level":
        return partner.level, ChannelRow(partner.level, level)
    return partner.pk, ChannelRow(partner.pk, partner.name, kind, level)


def channel_sales(
    user: Any,
    *,
    by: str = "partner",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    department_id: int | None = None,
    owner_id: int | None = None,
    partner_id: int | None = None,
) -> ChannelReport:
    """渠道销售 grouped `by` one of CHANNEL_GROUPINGS (unknown: by partner)."""
    by = by if by in CHANNEL_GROUPINGS else "partner"
    lines = sold_lines(
        user, date_from=date_from, date_to=date_to, department_id=department_id, owner_id=owner_id
    )
    channel = Q(order__customer__kind__in=PARTNER_KINDS) | Q(order__customer__channel_partner__isnull=False)
    if partner_id is not None:
        channel = Q(order__customer_id=partner_id, order__customer__kind__in=PARTNER_KINDS) | Q(
            order__customer__channel_partner_id=partner_id
        )
    rows = list(
        lines.filter(channel).values(
            *_LINE_FIGURES, "order__customer__kind", "order__customer__channel_partner_id"
        )
    )
    partner_ids = set()
    for r in rows:
        own = r["order__customer__kind"] in PARTNER_KINDS
        r["own"] = own
        r["partner"] = r["order__customer_id"] if own else r["order__customer__channel_partner_id"]
        partner_ids.add(r["partner"])
    partners = {c.pk: c for c in Customer.objects.filter(pk__in=partner_ids)}
    groups: dict[Hashable, ChannelRow] = {}
    total = ChannelRow(None, "")
    for r in rows:
        key, fresh = _group(by, partners[r["partner"]])
        group = groups.setdefault(key, fresh)
        amount, ex_tax = _amounts(r)
        for target in (group, total):
            target.add(
                own=r["own"],
                order_id=r["order_id"],
                customer_id=r["order__customer_id"],
                amount=amount,
                ex_tax=ex_tax,
            )
    found = sorted(groups.values(), key=lambda g: (-g.amount, g.label))
    return ChannelReport(by=by, rows=found, total=total)


def partner_choices(user: Any, *, search: str = "") -> QuerySet[Customer]:
    """The channel partners the user may see (active distributors and agents), for the filter;
    `search` matches as the customer search does (name, pinyin initials, phone, tax id)."""
    partners = customer_selectors.customers(user, search=search).filter(
        kind__in=PARTNER_KINDS, is_active=True
    )
    return partners.order_by("pinyin", "id")


# 市场活动投入产出 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int | None
    code: str
    name: str
    kind: str
    start_date: dt.date | None
    end_date: dt.date | None
    partners: int
    budget: Decimal
    cost: Decimal
    orders: int
    amount: Decimal
    amount_ex_tax: Decimal

    @property
    def return_rate(self) -> Decimal | None:
        """Sales excluding tax per yuan of approved cost, to 2 decimals."""
        if not self.cost:
            return None
        return (self.amount_ex_tax / self.cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CampaignReport:
    rows: list[CampaignRow]
    total: CampaignRow


def campaign_returns(
    user: Any, *, date_from: dt.date | None = None, date_to: dt.date | None = None, kind: str = ""
) -> CampaignReport:
    """市场活动投入产出 of the campaigns the user may see whose dates meet [date_from, date_to]."""
    qs = visible_campaigns(user, kind=kind).filter(is_cancelled=False)
    if date_from is not None:
        qs = qs.filter(end_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(start_date__lte=date_to)
    found = list(qs.prefetch_related("partners"))
    kinds = dict(CampaignKind.choices)
    rows = []
    for c in found:
        partner_ids = [p.pk for p in c.partners.all()]
        orders: set[int] = set()
        amount = ex_tax = ZERO
        if partner_ids:
            lines = sold_lines(user, date_from=c.start_date, date_to=c.end_date).filter(
                order__customer_id__in=partner_ids
            )
            for r in lines.values(*_LINE_FIGURES):
                line_amount, line_ex = _amounts(r)
                orders.add(r["order_id"])
                amount += line_amount
                ex_tax += line_ex
        rows.append(
            CampaignRow(
                campaign_id=c.pk,
                code=c.code,
                name=c.name,
                kind=str(kinds.get(c.kind, c.kind)),
                start_date=c.start_date,
                end_date=c.end_date,
                partners=len(partner_ids),
                budget=c.budget,
                cost=quantize_money(Decimal(c.cost_approved)),  # type: ignore[attr-defined]
                orders=len(orders),
                amount=amount,
                amount_ex_tax=ex_tax,
            )
        )
    total = CampaignRow(
        campaign_id=None,
        code="",
        name="",
        kind="",
        start_date=None,
        end_date=None,
        partners=sum(r.partners for r in rows),
        budget=sum((r.budget for r in rows), ZERO),
        cost=sum((r.cost for r in rows), ZERO),
        orders=sum(r.orders for r in rows),
        amount=sum((r.amount for r in rows), ZERO),
        amount_ex_tax=sum((r.amount_ex_tax for r in rows), ZERO),
    )
    return CampaignReport(rows=rows, total=total)
