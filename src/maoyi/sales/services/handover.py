"""Open sales orders and returns following their customer in a handover (交接): crm's handover
calls these (registered in SalesConfig.ready) inside its transaction; each record is locked, given
to the receiver (owner and department) and audited like a contract. Shipments have no owner of
their own: they follow their order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from maoyi.audit import services as audit
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesReturn

OWNER_FIELDS = ("owner", "department")


def _move(
    model: type[SalesOrder] | type[SalesReturn],
    ids: Sequence[int],
    *,
    to: Employee,
    actor: Employee | None,
    note: str,
    now: dt.datetime,
) -> None:
    """Give the records to `to` (owner and department), each locked and audited; called inside
    the handover's transaction."""
    for record in model.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"):
        before = audit.snapshot(record, OWNER_FIELDS)
        record.owner = to
        record.department = to.department
        record.updated_at = now
        record.save(update_fields=["owner", "department", "updated_at"])
        audit.record(
            actor, "reassign", record, audit.diff(before, audit.snapshot(record, OWNER_FIELDS)), note=note
        )


def move_orders(
    ids: Sequence[int], *, to: Employee, actor: Employee | None, note: str, now: dt.datetime
) -> None:
    _move(SalesOrder, ids, to=to, actor=actor, note=note, now=now)


def move_returns(
    ids: Sequence[int], *, to: Employee, actor: Employee | None, note: str, now: dt.datetime
) -> None:
    _move(SalesReturn, ids, to=to, actor=actor, note=note, now=now)
