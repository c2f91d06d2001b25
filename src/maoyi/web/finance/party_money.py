"""The money panel of a party's page (a customer's 应收 tab, a supplier's 应付 tab): what it owes or
is owed per currency, its open and latest settled receivables or payables, its latest receipts or
payments and any refunds, all through the finance selectors and the user's scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from maoyi.finance import selectors as ledger
from maoyi.finance.models import ObligationStatus
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
    can_see_settlements = user.has_perm(side.perm("settlement", "view"))
    position = ledger.party_position(user, direction, with_advances=can_see_settlements, **party)
    opened = position.open
    settled_qs = ledger.obligations(user, direction, status=ObligationStatus.SETTLED, **party)
    settled = list(settled_qs[: SETTLED_SHOWN + 1])
    settlements: list[Any] = []
    if can_see_settlements:
        settlements = list(ledger.settlements(user, direction, **party)[: SETTLEMENTS_SHOWN + 1])
    refunds: list[Any] = []
    if user.has_perm(refund_side.perm("obligation", "view")):
        refund_qs = ledger.obligations(user, refund_side.direction, **party)
        refunds = list(refund_qs.exclude(status=ObligationStatus.REVERSED)[:REFUNDS_SHOWN])
    figures = position.figures
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
