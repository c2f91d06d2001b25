from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from maoyi.approvals import selectors as approvals
from maoyi.core.documents import Status
from maoyi.crm.selectors import activities as crm_activities
from maoyi.finance import selectors as finance
from maoyi.org.scope import employee_of
from maoyi.purchasing import order_selectors as purchasing
from maoyi.sales import selectors as sales
from maoyi.sales import shipping_selectors as shipping
from maoyi.web.crm.pool import pool_notice_context

QUEUE_SIZE = 10
QUOTES_EXPIRING_DAYS = 14
PAYABLES_DUE_DAYS = 7
RECEIVABLES_DUE_DAYS = 7
# A salesperson's orders still in their hands or their manager's, the ones to fix first.
WAITING_ORDER_STATUSES = (Status.REJECTED, Status.DRAFT, Status.SUBMITTED)


def _purchasing_queues(request: HttpRequest, today: Any) -> dict[str, Any]:
    """Purchasing: its open orders (the late ones marked) and quotes running out soon."""
    context: dict[str, Any] = {}
    user = request.user
    if user.has_perm("purchasing.add_purchaseorder"):
        open_orders = purchasing.open_orders(user)
        context["open_orders"] = [
            {"order": o, "late": o.expected_date < today} for o in open_orders[:QUEUE_SIZE]
        ]
        context["open_orders_total"] = open_orders.count()
        context["late_orders_total"] = open_orders.filter(expected_date__lt=today).count()
    if user.has_perm("purchasing.add_purchaseorder") and user.has_perm("purchasing.view_supplierquote"):
        expiring = purchasing.expiring_quotes(on=today, within_days=QUOTES_EXPIRING_DAYS)
        context["expiring_quotes"] = [
            {"quote": q, "days": (q.valid_until - today).days} for q in expiring[:QUEUE_SIZE]
        ]
        context["expiring_quotes_total"] = expiring.count()
    return context


def _logistics_queues(request: HttpRequest, today: Any) -> dict[str, Any]:
    """Logistics: goods to receive (late first) and purchase returns to ship."""
    context: dict[str, Any] = {}
    user = request.user
    if user.has_perm("purchasing.add_goodsreceipt"):
        incoming = purchasing.orders(user, to_receive=True, ordering="expected")
        context["to_receive"] = [{"order": o, "late": o.expected_date < today} for o in incoming[:QUEUE_SIZE]]
        context["to_receive_total"] = incoming.count()
    if user.has_perm("purchasing.ship_purchasereturn"):
        to_ship = purchasing.returns(user, to_ship=True)
        context["to_ship"] = list(to_ship[:QUEUE_SIZE])
        context["to_ship_total"] = to_ship.count()
    return context


def _sales_queues(request: HttpRequest, today: Any) -> dict[str, Any]:
    """Salespeople: their orders not approved yet (被驳回, 待提交, 待审批), their goods in transit and
    the money to collect from their customers (installments overdue or due within a week). "Their"
    is the user's data scope: a salesperson's own, an assistant's or manager's department."""
    context: dict[str, Any] = {}
    user = request.user
    if not user.has_perm("sales.add_salesorder"):
        return context
    waiting = {status: sales.orders(user, status=status) for status in WAITING_ORDER_STATUSES}
    rows: list[Any] = []
    for status in WAITING_ORDER_STATUSES:
        rows.extend(waiting[status][: QUEUE_SIZE - len(rows)])
    context["waiting_orders"] = rows
    context["waiting_counts"] = [
        {"status": status, "count": waiting[status].count()} for status in WAITING_ORDER_STATUSES
    ]
    context["waiting_orders_total"] = sum(c["count"] for c in context["waiting_counts"])
    if user.has_perm("sales.view_shipment"):
        moving = shipping.in_transit(user)
        context["in_transit"] = list(moving[:QUEUE_SIZE])
        context["in_transit_total"] = moving.count()
    if user.has_perm("finance.view_receivable"):
        due = finance.due_installments(user, "receivable", on=today, within_days=RECEIVABLES_DUE_DAYS)
        context["receivables_due"] = [
            {"installment": i, "obligation": i.obligation, "overdue": i.due_date < today}
            for i in due[:QUEUE_SIZE]
        ]
        counts = finance.due_counts(due, on=today)
        context["receivables_due_total"] = counts.total
        context["receivables_overdue_total"] = counts.overdue
    return context


def _shipping_queues(request: HttpRequest, today: Any) -> dict[str, Any]:
    """Logistics: sales orders to ship today (due today or earlier, or without a date) and approved
    sales returns whose goods are to be received back."""
    context: dict[str, Any] = {}
    user = request.user
    if user.has_perm("sales.add_shipment"):
        orders = shipping.to_ship_today(user, on=today)
        context["ship_today"] = [
            {"order": o, "late": o.delivery_date is not None and o.delivery_date < today}
            for o in orders[:QUEUE_SIZE]
        ]
        context["ship_today_total"] = orders.count()
    if user.has_perm("sales.receive_salesreturn"):
        coming_back = shipping.returns(user, to_receive=True)
        context["returns_to_receive"] = list(coming_back[:QUEUE_SIZE])
        context["returns_to_receive_total"] = coming_back.count()
    return context


def _finance_queues(request: HttpRequest, today: Any) -> dict[str, Any]:
    """Finance: payable installments overdue or falling due within a week."""
    if not request.user.has_perm("finance.add_payment"):
        return {}
    due = finance.due_installments(request.user, "payable", on=today, within_days=PAYABLES_DUE_DAYS)
    counts = finance.due_counts(due, on=today)
    return {
        "payables_due": [
            {
                "installment": i,
                "obligation": i.obligation,
                "overdue": i.due_date < today,
                "days": (i.due_date - today).days,
            }
            for i in due[:QUEUE_SIZE]
        ],
        "payables_due_total": counts.total,
        "payables_overdue_total": counts.overdue,
    }


def _follow_up_queue(request: HttpRequest, today: Any) -> dict[str, Any]:
    """今日跟进: open follow-ups of the user's customers (or that they scheduled), due today or overdue."""
    if not request.user.has_perm("crm.view_activity"):
        return {}
    due = crm_activities.follow_ups_due(request.user, on=today, mine=employee_of(request.user))
    return {
        "follow_ups_today": list(due.today[:QUEUE_SIZE]),
        "follow_ups_today_total": due.today.count(),
        "follow_ups_overdue": list(due.overdue[:QUEUE_SIZE]),
        "follow_ups_overdue_total": due.overdue.count(),
    }


def home(request: HttpRequest) -> HttpResponse:
    """The user's to-dos: approvals waiting for them now, their own submissions in flight, and the
    queues of their department (purchasing's open orders and expiring quotes, logistics' goods to
    receive and returns to ship, sales orders to ship today and returns to receive; finance's
    payables due; salespeople's orders waiting, goods in transit and money to collect); each queue
    only for those who work it."""
    pending = approvals.pending_for(request.user)
    submitted = approvals.requests_for(request.user, mine="submitted", status="pending")
    today = timezone.localdate()
    context = {
        "pending": pending[:QUEUE_SIZE],
        "pending_total": pending.count(),
        "submitted": submitted.order_by("-requested_at")[:QUEUE_SIZE],
        "submitted_total": submitted.count(),
        **_purchasing_queues(request, today),
        **_logistics_queues(request, today),
        **_sales_queues(request, today),
        **_shipping_queues(request, today),
        **_finance_queues(request, today),
        **_follow_up_queue(request, today),
        **pool_notice_context(request),
    }
    return render(request, "web/home.html", context)
