"""Reports on a read replica. When MAOYI_REPLICA_DATABASE_URL names a second database (a
PostgreSQL streaming replica of the primary), the report and dashboard pages read from it, so a
heavy report never competes with the order flow for the primary's CPU and buffers.

Only the reads made inside `reading_reports()` go to the replica: everything else, writes and the
reads of a request that writes (read-your-writes), stays on the primary. A replica lags by a
fraction of a second, which a report does not notice; an order page would (the order just saved
must be there), which is why routing is opt-in per request rather than for every read."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reports: contextvars.ContextVar[bool] = contextvars.ContextVar("maoyi_reports_on_replica", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_reports() -> Iterator[None]:
    """Reads inside go to the replica when one is configured."""
    token = _reports.set(True)
    try:
        yield
    finally:
        _reports.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: the replica for reads inside `reading_reports()`, the primary for
    everything else; never migrates the replica (it copies the primary)."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reports.get() and configured():
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both: rows read from either may be related

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA
