"""The money panel of a party's page (a customer's 应收 tab, a supplier's 应付 tab): what it owes or
is owed per currency, its open and latest settled receivables or payables, its latest receipts or
payments and any refunds, all through the finance selectors and the user's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from maoyi.core.money import quantize_money
from maoyi.finance import selectors as ledger
from maoyi.finance.models import ObligationStatus, SettlementStatus
from maoyi.web.finance.views import SIDES

SETTLED_SHOWN = 10  # settled receivables (payables) listed under the open ones
SETTLEMENTS_SHOWN = 10  # the latest receipts (payments)
REFUNDS_SHOWN = 10


def party_money(request: HttpRequest, *, direction: str, party_kind: str, party_id: int) -> dict[str, Any]:
    """The money a customer's 应收 tab (a supplier's 应付 tab) shows, read through the ledger's
    selectors in the user's data scope: per currency what is outstanding, how much of it is overdue
    (unsettled installments past due) and what was received (paid) but not yet allocated; the open
    receivables (payables), then the latest settled ones; the latest receipts (payments) when the
    user may see them; refunds the other way round (payables to a customer, receivables from a
    supplier) when the user may see those; and the links to 收款 (付款) and to the 对账单."""
    user = request.user
    side = SIDES[direction]
    refund_side = next(s for s in SIDES.values() if s is not side)
    party: dict[str, Any] = {"party_kind": party_kind, "party_id": party_id}
    today = timezone.localdate()

    open_qs = ledger.obligations(user, direction, status=ObligationStatus.OPEN, **party)
    opened = list(open_qs.order_by("due_date", "id").prefetch_related("installments"))
    overdue: dict[str, Decimal] = {}
    for ob in opened:
        unsettled = [i for i in ob.installments.all() if i.outstanding > 0]
        late = [i.outstanding for i in unsettled if i.due_date < today]
        ob.late = bool(late)  # type: ignore[attr-defined]
        ob.next_due = min((i.due_date for i in unsettled), default=ob.due_date)  # type: ignore[attr-defined]
        ob.in_installments = len(ob.installments.all()) > 1  # type: ignore[attr-defined]
        if late:
            overdue[ob.currency] = quantize_money(overdue.get(ob.currency, Decimal(0)) + sum(late))
    settled_qs = ledger.obligations(user, direction, status=ObligationStatus.SETTLED, **party)
    settled = list(settled_qs[: SETTLED_SHOWN + 1])

    settlements: list[Any] = []
    advances: dict[str, ledger.Totals] = {}
    can_see_settlements = user.has_perm(side.perm("settlement", "view"))
    if can_see_settlements:
        settlements = list(ledger.settlements(user, direction, **party)[: SETTLEMENTS_SHOWN + 1])
        advances = ledger.totals_by_currency(
            ledger.settlements(user, direction, status=SettlementStatus.POSTED, **party)
        )
    refunds: list[Any] = []
    if user.has_perm(refund_side.perm("obligation", "view")):
        refund_qs = ledger.obligations(user, refund_side.direction, **party)
        refunds = list(refund_qs.exclude(status=ObligationStatus.REVERSED)[:REFUNDS_SHOWN])

    owed = ledger.totals_by_currency(open_qs)
    currencies = sorted(
        {c for c, t in owed.items() if t.outstanding} | {c for c, t in advances.items() if t.outstanding},
        key=lambda c: (c != "CNY", c),
    )
    figures = [
        {
            "currency": c,
            "outstanding": owed[c].outstanding if c in owed else Decimal(0),
            "overdue": overdue.get(c, Decimal(0)),
            "advance": advances[c].outstanding if c in advances else Decimal(0),
        }
        for c in currencies
    ]
    query = f"?kind={party_kind}&party={party_id}"
    can_settle = user.has_perm(side.perm("settlement", "add"))
    return {
        "ledger": {
            "side": side,
            "refund_side": refund_side,
            "figures": figures,
            "obligations": opened + settled[:SETTLED_SHOWN],
            "more_settled": len(settled) > SETTLED_SHOWN,
            "can_see_settlements": can_see_settlements,
            "settlements": settlements[:SETTLEMENTS_SHOWN],
            "more_settlements": len(settlements) > SETTLEMENTS_SHOWN,
            "refunds": refunds,
            "empty": not (opened or settled or settlements or refunds),
            "settle_url": reverse(side.settlement_create_url) + query if can_settle else "",
            "statement_url": reverse("web:finance-statement") + f"?party_kind={party_kind}&party={party_id}",
        }
    }
