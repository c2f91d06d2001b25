"""Employees as parties of the money ledger: an approved expense (费用) is a payable to the employee
who advanced the money, settled by a payment from finance. Finance may import org, so this source
lives here rather than in a higher app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from maoyi.finance.parties import Party, PartyKind, PartySource
from maoyi.org import scope
from maoyi.org.models import Employee

MONEY_PERMISSIONS = ("finance.view_payable", "finance.view_payment")


def as_party(employee: Employee) -> Party:
    """The employee as the party money is owed to; they answer for it themselves."""
    return Party(
        kind=PartyKind.EMPLOYEE.value,
        id=employee.pk,
        name=employee.name,
        owner_id=employee.pk,
        department_id=employee.department_id,
    )


def _visible(user: Any) -> Any:
    qs = Employee.objects.select_related("department")
    if any(user.has_perm(p) for p in MONEY_PERMISSIONS):
        return qs
    return scope.visible(user, qs)


def get(user: Any, pk: int) -> Party | None:
    employee = _visible(user).filter(pk=pk).first()
    return as_party(employee) if employee else None


def search(user: Any, text: str, limit: int) -> Sequence[Party]:
    qs = _visible(user)
    term = text.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(pinyin__contains=term.lower()))
    return [as_party(e) for e in qs.order_by("pinyin", "id")[:limit]]


SOURCE = PartySource(kind=PartyKind.EMPLOYEE.value, get=get, search=search)
