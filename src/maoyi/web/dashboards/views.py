"""Dashboards (仪表盘): one page per role, each a set of panels, every chart with its table under it
(the same figures, so the page reads without JavaScript) and links to the lists and records behind
it. The figures come from selectors; this module only picks the panels the user may see and builds
the ECharts options (`charts`), which `static/maoyi/dashboards.js` draws.

Pages and who opens them (403 without; `/dashboards/` sends each user to their first one):
- 销售 (`dashboard-sales`, `sales.add_salesorder`): sales this month vs last month, the pipeline,
  follow-ups due, money to collect. "Their" is the user's data scope, as on the home page: a
  salesperson's own, an assistant's or manager's department's.
- 团队 (`dashboard-team`, `crm.add_handover`, the managers' permission to hand a team member's
  book over): the team's sales by person and department this month, the approval queue, customers
  without follow-up, overdue receivables by person.
- 财务 (`dashboard-finance`, `finance.add_receipt`): receivables and payables aging, cash in and
  out by week over eight weeks, overdue totals.
- 仓储物流 (`dashboard-logistics`, `purchasing.add_goodsreceipt` or `sales.add_shipment`): to
  receive, to ship, low stock, lots expiring within 90 days.
- 采购 (`dashboard-purchasing`, `purchasing.add_purchaseorder`): goods incoming by expected week,
  the price trend of the five most bought products.
Inside a page a panel whose list the user may not open (e.g. the pipeline without
`crm.view_opportunity`) is left out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import selectors as approvals
from maoyi.crm.selectors import activities as crm_activities
from maoyi.crm.selectors import idle as crm_idle
from maoyi.crm.selectors import opportunities as crm_opportunities
from maoyi.finance import dashboard_selectors as finance_dashboard
from maoyi.finance import selectors as finance
from maoyi.finance.models import Direction
from maoyi.inventory import selectors as inventory
from maoyi.purchasing import dashboard_selectors as purchasing_dashboard
from maoyi.purchasing import order_selectors as purchasing
from maoyi.sales import dashboard_selectors as sales_dashboard
from maoyi.sales import shipping_selectors as shipping
from maoyi.web.dashboards import charts

LIST_SIZE = 8  # rows of a panel's list; the panel links to the whole list
IDLE_DAYS = crm_idle.DEFAULT_DAYS
EXPIRY_DAYS = 90
EXPIRY_BUCKETS = ((0, 30), (31, 60), (61, 90))
DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class Dashboard:
    key: str
    label: Any
    url_name: str
    permissions: tuple[str, ...]  # any one of them opens the page

    def allowed(self, user: Any) -> bool:
        return any(user.has_perm(p) for p in self.permissions)


DASHBOARDS = (
    Dashboard("sales", _("销售"), "web:dashboard-sales", ("sales.add_salesorder",)),
    Dashboard("team", _("团队"), "web:dashboard-team", ("crm.add_handover",)),
    Dashboard("finance", _("财务"), "web:dashboard-finance", ("finance.add_receipt",)),
    Dashboard(
        "logistics",
        _("仓储物流"),
        "web:dashboard-logistics",
        ("purchasing.add_goodsreceipt", "sales.add_shipment"),
    ),
    Dashboard("purchasing", _("采购"), "web:dashboard-purchasing", ("purchasing.add_purchaseorder",)),
)
BY_KEY = {d.key: d for d in DASHBOARDS}
# Where /dashboards/ sends a user holding several: the department's own work before the team's,
# the team's before one's own sales.
LANDING_ORDER = ("finance", "logistics", "purchasing", "team", "sales")


def _url(name: str, *args: Any, **query: Any) -> str:
    url = reverse(name, args=args)
    params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in query.items() if v is not None}
    return f"{url}?{urlencode(params)}" if params else url


def _allow(request: HttpRequest, key: str) -> None:
    if not BY_KEY[key].allowed(request.user):
        raise PermissionDenied


def _page(request: HttpRequest, key: str, template: str, context: dict[str, Any]) -> HttpResponse:
    dashboard = BY_KEY[key]
    tabs = [
        {"key": d.key, "label": d.label, "url": reverse(d.url_name), "active": d.key == key}
        for d in DASHBOARDS
        if d.allowed(request.user)
    ]
    context = {"dashboard": dashboard, "tabs": tabs, "today": timezone.localdate(), **context}
    return render(request, template, context)


def index(request: HttpRequest) -> HttpResponse:
    """The sidebar's 仪表盘: the user's first dashboard, or an empty page when they have none."""
    for key in LANDING_ORDER:
        if BY_KEY[key].allowed(request.user):
            return redirect(BY_KEY[key].url_name)
    return render(request, "web/dashboards/none.html", {"tabs": []})


def _guarded(perm: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A panel builder that answers None (the panel is left out) without `perm`."""

    def wrap(build: Callable[..., Any]) -> Callable[..., Any]:
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return build(request, *args, **kwargs) if request.user.has_perm(perm) else None

        return inner

    return wrap


def _month_label(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _week_label(start: dt.date, end: dt.date) -> str:
    return f"{start:%m-%d}~{end:%m-%d}"


# 销售 ------------------------------------------------------------------------------------------------


@_guarded("sales.view_salesorder")
def _month_sales_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    found = sales_dashboard.month_sales(request.user, on=today)
    months = [(_("上月"), found.last_month), (_("本月"), found.this_month)]
    rows = [
        {
            "label": label,
            "month": _month_label(m.first),
            "orders": m.orders,
            "amount": m.amount,
            "url": _url("web:sales-order-list", **{"from": m.first, "to": m.last}),
            "report_url": _url("web:report-sales", by="customer", **{"from": m.first, "to": m.last}),
        }
        for label, m in months
    ]
    chart = charts.bar(
        [f"{label} {_month_label(m.first)}" for label, m in months],
        [(_("金额（含税）"), [m.amount for _label, m in months])],
    )
    return {"rows": rows, "comparison": found, "chart": chart}


@_guarded("crm.view_opportunity")
def _pipeline_panel(request: HttpRequest) -> dict[str, Any]:
    found = crm_opportunities.pipeline(request.user)
    rows = [
        {
            "label": c.label,
            "count": c.count,
            "amount": c.amount,
            "url": _url("web:opportunity-list", stage=c.stage),
        }
        for c in found.columns
    ]
    chart = charts.bar(
        [c.label for c in found.columns],
        [(_("预计金额"), [c.amount for c in found.columns])],
        line_series=[(_("机会数"), [c.count for c in found.columns])],
    )
    chart["yAxis"] = [{"type": "value"}, {"type": "value", "minInterval": 1, "splitLine": {"show": False}}]
    chart["series"][1]["yAxisIndex"] = 1
    return {"rows": rows, "count": found.count, "amount": found.amount, "chart": chart}


@_guarded("crm.view_activity")
def _follow_ups_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    found = crm_activities.follow_ups_due(request.user, on=today)
    due = crm_activities.open_follow_ups(request.user, on=today)
    return {
        "today_count": found.today.count(),
        "overdue_count": found.overdue.count(),
        "rows": [
            {"activity": a, "overdue": a.next_follow_up is not None and a.next_follow_up < today}
            for a in due[:LIST_SIZE]
        ],
    }


def _aging_chart(agings: list[tuple[Any, finance.Aging]]) -> dict[str, Any]:
    return charts.bar(
        [label for _key, label, *_rest in finance.BUCKETS],
        [(name, [a.totals.buckets[key] for key, *_rest in finance.BUCKETS]) for name, a in agings],
    )


def _aging_row(label: Any, aging: finance.Aging, url: str) -> dict[str, Any]:
    return {
        "label": label,
        "buckets": [aging.totals.buckets[key] for key, *_rest in finance.BUCKETS],
        "total": aging.totals.total,
        "overdue": aging.totals.overdue,
        "url": url,
    }


@_guarded("finance.view_receivable")
def _collect_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    aging = finance.aging(request.user, Direction.RECEIVABLE, on=today)
    due = finance.due_installments(request.user, Direction.RECEIVABLE, on=today, within_days=DUE_SOON_DAYS)
    counts = finance.due_counts(due, on=today)
    return {
        "chart": _aging_chart([(_("应收"), aging)]),
        "row": _aging_row(_("应收"), aging, _url("web:finance-aging", direction=Direction.RECEIVABLE)),
        "rows": [
            {"installment": i, "obligation": i.obligation, "overdue": i.due_date < today}
            for i in due[:LIST_SIZE]
        ],
        "due_total": counts.total,
        "overdue_total": counts.overdue,
    }


def sales(request: HttpRequest) -> HttpResponse:
    _allow(request, "sales")
    today = timezone.localdate()
    context = {
        "month_sales": _month_sales_panel(request, today),
        "pipeline": _pipeline_panel(request),
        "follow_ups": _follow_ups_panel(request, today),
        "collect": _collect_panel(request, today),
        "due_soon_days": DUE_SOON_DAYS,
    }
    return _page(request, "sales", "web/dashboards/sales.html", context)


# 团队 ------------------------------------------------------------------------------------------------


@_guarded("sales.view_salesorder")
def _team_sales_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    found = sales_dashboard.team_sales(request.user, on=today)
    period = {"from": found.first, "to": found.last}
    people = [
        {"row": r, "url": _url("web:report-sales", by="customer", owner=r.key, **period)}
        for r in found.by_person.rows
    ]
    teams = [
        {"row": r, "url": _url("web:report-sales", by="salesperson", department=r.key, **period)}
        for r in found.by_team.rows
    ]
    chart = charts.bar(
        [r.label for r in found.by_person.rows],
        [(_("金额（含税）"), [r.amount for r in found.by_person.rows])],
        horizontal=True,
    )
    return {
        "people": people,
        "teams": teams,
        "total": found.by_person.total,
        "first": found.first,
        "last": found.last,
        "chart": chart,
        "report_url": _url("web:report-sales", by="salesperson", **period),
    }


def _approvals_panel(request: HttpRequest) -> dict[str, Any]:
    pending = approvals.pending_for(request.user)
    return {"count": pending.count(), "rows": list(pending[:LIST_SIZE])}


@_guarded("crm.view_customer")
def _idle_panel(request: HttpRequest) -> dict[str, Any]:
    found = crm_idle.idle_summary(request.user, days=IDLE_DAYS)
    rows = [{"row": r, "url": _url("web:customers-idle", days=IDLE_DAYS, owner=r.owner_id)} for r in found]
    chart = charts.bar(
        [r.owner_name for r in found],
        [(_("从未跟进"), [r.never for r in found]), (_("超期未跟进"), [r.count - r.never for r in found])],
        stack=True,
        horizontal=True,
        counts=True,
    )
    return {
        "rows": rows,
        "total": sum(r.count for r in found),
        "chart": chart,
        "url": _url("web:customers-idle", days=IDLE_DAYS),
    }


@_guarded("finance.view_receivable")
def _overdue_by_person_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    found = finance_dashboard.overdue_by_owner(request.user, Direction.RECEIVABLE, on=today)
    unowned = _("（无负责人）")
    rows = [
        {
            "row": r,
            "name": r.owner_name or unowned,
            "url": _url("web:finance-aging", direction=Direction.RECEIVABLE, owner=r.owner_id),
        }
        for r in found
    ]
    chart = charts.bar(
        [r["name"] for r in rows], [(_("逾期应收"), [r.amount for r in found])], horizontal=True
    )
    return {
        "rows": rows,
        "total": sum((r.amount for r in found), Decimal("0")),
        "chart": chart,
        "url": _url("web:finance-due", direction=Direction.RECEIVABLE, tab="overdue"),
    }


def team(request: HttpRequest) -> HttpResponse:
    _allow(request, "team")
    today = timezone.localdate()
    context = {
        "team_sales": _team_sales_panel(request, today),
        "approvals": _approvals_panel(request),
        "idle": _idle_panel(request),
        "idle_days": IDLE_DAYS,
        "overdue": _overdue_by_person_panel(request, today),
    }
    return _page(request, "team", "web/dashboards/team.html", context)


# 财务 ------------------------------------------------------------------------------------------------


def _sides(request: HttpRequest) -> list[tuple[str, Any]]:
    wanted = ((Direction.RECEIVABLE, _("应收")), (Direction.PAYABLE, _("应付")))
    return [(d, label) for d, label in wanted if request.user.has_perm(f"finance.view_{d}")]


def _aging_panel(request: HttpRequest, today: dt.date) -> dict[str, Any] | None:
    sides = _sides(request)
    if not sides:
        return None
    agings = [(d, label, finance.aging(request.user, d, on=today)) for d, label in sides]
    return {
        "buckets": [label for _key, label, *_rest in finance.BUCKETS],
        "rows": [
            _aging_row(label, aging, _url("web:finance-aging", direction=d)) for d, label, aging in agings
        ],
        "chart": _aging_chart([(label, aging) for _d, label, aging in agings]),
        "overdue": [
            {
                "label": label,
                "direction": d,
                "amount": aging.totals.overdue,
                "count": finance.due_installments(request.user, d, on=today, overdue_only=True).count(),
                "url": _url("web:finance-due", direction=d, tab="overdue"),
                "list_url": _url(f"web:{d}-list", overdue=1),
            }
            for d, label, aging in agings
        ],
    }


def _cash_panel(request: HttpRequest, today: dt.date) -> dict[str, Any] | None:
    see_in, see_out = (
        request.user.has_perm("finance.view_receipt"),
        request.user.has_perm("finance.view_payment"),
    )
    if not (see_in and see_out):
        return None
    weeks = finance_dashboard.cash_by_week(request.user, on=today)
    rows = [
        {
            "week": w,
            "label": _week_label(w.start, w.end),
            "in_url": _url("web:receipt-list", **{"from": w.start, "to": w.end}),
            "out_url": _url("web:payment-list", **{"from": w.start, "to": w.end}),
        }
        for w in weeks
    ]
    chart = charts.bar(
        [r["label"] for r in rows],
        [(_("收款"), [w.cash_in for w in weeks]), (_("付款"), [w.cash_out for w in weeks])],
        line_series=[(_("净额"), [w.net for w in weeks])],
    )
    chart["color"] = ["#2fb344", "#d63939", "#206bc4"]
    return {
        "rows": rows,
        "chart": chart,
        "cash_in": sum((w.cash_in for w in weeks), Decimal("0")),
        "cash_out": sum((w.cash_out for w in weeks), Decimal("0")),
        "net": sum((w.net for w in weeks), Decimal("0")),
    }


def finance_dashboard_page(request: HttpRequest) -> HttpResponse:
    _allow(request, "finance")
    today = timezone.localdate()
    context = {"aging": _aging_panel(request, today), "cash": _cash_panel(request, today)}
    return _page(request, "finance", "web/dashboards/finance.html", context)


# 仓储物流 ----------------------------------------------------------------------------------------------


def _queue_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    user = request.user
    panel: dict[str, Any] = {"categories": [], "late": [], "on_time": []}
    if user.has_perm("purchasing.add_goodsreceipt"):
        incoming = purchasing.orders(user, to_receive=True, ordering="expected")
        late = incoming.filter(expected_date__lt=today).count()
        panel["receive"] = {
            "total": incoming.count(),
            "late": late,
            "rows": [{"order": o, "late": o.expected_date < today} for o in incoming[:LIST_SIZE]],
            "url": reverse("web:purchase-to-receive"),
        }
        panel["categories"].append((_("待入库"), panel["receive"]))
    if user.has_perm("sales.add_shipment"):
        outgoing = shipping.to_ship(user)
        late = outgoing.filter(delivery_date__lt=today).count()
        panel["ship"] = {
            "total": outgoing.count(),
            "late": late,
            "rows": [
                {"order": o, "late": o.delivery_date is not None and o.delivery_date < today}
                for o in outgoing[:LIST_SIZE]
            ],
            "url": reverse("web:sales-to-ship"),
        }
        panel["categories"].append((_("待发货"), panel["ship"]))
    queues = panel["categories"]
    panel["chart"] = charts.bar(
        [label for label, _q in queues],
        [
            (_("已逾期"), [q["late"] for _label, q in queues]),
            (_("未逾期"), [q["total"] - q["late"] for _label, q in queues]),
        ],
        stack=True,
        counts=True,
    )
    panel["chart"]["color"] = ["#d63939", "#206bc4"]
    return panel


@_guarded("inventory.view_lot")
def _low_stock_panel(request: HttpRequest) -> dict[str, Any]:
    products = list(inventory.low_stock_list())
    incoming = inventory.incoming_totals([p.pk for p in products])
    rows: list[dict[str, Any]] = [
        {"product": p, "incoming": incoming.get(p.pk, Decimal("0"))} for p in products
    ]
    shown = rows[:LIST_SIZE]
    chart = charts.bar(
        [r["product"].code for r in shown],
        [
            (_("现存量"), [r["product"].on_hand for r in shown]),
            (_("在途"), [r["incoming"] for r in shown]),
            (_("最低库存"), [r["product"].min_stock for r in shown]),
        ],
    )
    return {"rows": shown, "total": len(rows), "chart": chart, "url": reverse("web:low-stock")}


@_guarded("inventory.view_lot")
def _expiring_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    lots = list(inventory.lots(expiring_within_days=EXPIRY_DAYS, today=today))
    rows: list[dict[str, Any]] = [
        {"lot": lot, "days_left": (lot.expiry_date - today).days if lot.expiry_date else None} for lot in lots
    ]
    buckets = [
        {
            "label": _("%(low)s–%(high)s天") % {"low": low, "high": high},
            "count": len([r for r in rows if r["days_left"] is not None and low <= r["days_left"] <= high]),
        }
        for low, high in EXPIRY_BUCKETS
    ]
    chart = charts.bar(
        [b["label"] for b in buckets], [(_("批次数"), [b["count"] for b in buckets])], counts=True
    )
    chart["color"] = ["#f76707"]
    return {
        "rows": rows[:LIST_SIZE],
        "total": len(rows),
        "buckets": buckets,
        "chart": chart,
        "url": _url("web:lot-list", state="expiring", days=EXPIRY_DAYS),
    }


def logistics(request: HttpRequest) -> HttpResponse:
    _allow(request, "logistics")
    today = timezone.localdate()
    context = {
        "queues": _queue_panel(request, today),
        "low_stock": _low_stock_panel(request),
        "expiring": _expiring_panel(request, today),
        "expiry_days": EXPIRY_DAYS,
    }
    return _page(request, "logistics", "web/dashboards/logistics.html", context)


# 采购 ------------------------------------------------------------------------------------------------


def _incoming_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    weeks = purchasing_dashboard.incoming_by_week(request.user, on=today)
    rows = [
        {
            "week": w,
            "label": _week_label(w.start, w.end) if w.start and w.end else _("已逾期"),
        }
        for w in weeks
    ]
    chart = charts.bar([r["label"] for r in rows], [(_("在途金额"), [w.amount for w in weeks])])
    return {
        "rows": rows,
        "chart": chart,
        "total": sum((w.amount for w in weeks), Decimal("0")),
        "url": reverse("web:purchase-to-receive"),
    }


def _price_panel(request: HttpRequest, today: dt.date) -> dict[str, Any]:
    found = purchasing_dashboard.price_trend(request.user, on=today)
    see_quotes = request.user.has_perm("purchasing.view_supplierquote")
    rows = [
        {
            "product": p,
            "url": reverse("web:quote-history", args=[p.product_id])
            if see_quotes
            else reverse("web:product-detail", args=[p.product_id]),
        }
        for p in found.products
    ]
    chart = charts.line(
        [_month_label(m) for m in found.months], [(f"{p.code} {p.name}", p.prices) for p in found.products]
    )
    return {"months": [_month_label(m) for m in found.months], "rows": rows, "chart": chart}


def purchasing_page(request: HttpRequest) -> HttpResponse:
    _allow(request, "purchasing")
    today = timezone.localdate()
    context = {"incoming": _incoming_panel(request, today), "prices": _price_panel(request, today)}
    return _page(request, "purchasing", "web/dashboards/purchasing.html", context)
