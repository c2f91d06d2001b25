"""Services call `record` in the same transaction as their write, so the audit trail commits or
rolls back with the change it describes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status

Changes = dict[str, list[Any]]


def _display(obj: models.Model, field: models.Field) -> Any:
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(str(o) for o in getattr(obj, field.name).all())
    if field.is_relation:
        related = getattr(obj, field.name, None)
        return str(related) if related is not None else None
    if getattr(field, "choices", None):
        value = getattr(obj, field.attname)
        return str(dict(field.flatchoices).get(value, value)) if value not in (None, "") else value
    value = getattr(obj, field.attname)
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Display values of `fields`, taken before a change, to compare with after it."""
    meta = obj._meta
    return {name: _display(obj, meta.get_field(name)) for name in fields}  # type: ignore[arg-type]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(
    actor: Any,
    action: str,
    obj: models.Model,
    changes: Changes | None = None,
    *,
    note: str = "",
) -> AuditEntry:
    """Write one audit row. `actor` is a user or anything with a `.user` (an employee), or None for
    the system (the demo loader, migrations)."""
    entry = _entry(actor, action, obj, changes, note=note, at=timezone.now())
    entry.save()
    return entry


def _actor(actor: Any) -> tuple[Any, str]:
    """The user behind `actor` and the name the log shows for them."""
    user = getattr(actor, "user", actor)
    name = ""
    if user is not None:
        employee = getattr(user, "employee", None)
        name = getattr(employee, "name", "") or user.get_username()
    return user, name


def _entry(
    actor: Any, action: str, obj: models.Model, changes: Changes | None, *, note: str, at: Any
) -> AuditEntry:
    user, name = _actor(actor)
    return AuditEntry(
        at=at,
        actor=user,
        actor_name=name,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
        note=note[:500],
    )


def record_created(
    actor: Any, obj: models.Model, fields: Iterable[str], *, also: Changes | None = None
) -> AuditEntry:
    """A new record: its fields' values (those set), plus `also` (a document's lines, say)."""
    after = snapshot(obj, fields)
    changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
    return record(actor, "create", obj, {**changes, **(also or {})})


def record_created_many(
    actor: Any, objs: Iterable[models.Model], fields: Iterable[str], *, batch_size: int = 1000
) -> None:
    """`record_created` for many new records at once (an import), inserted in batches."""
    names = list(fields)
    at = timezone.now()
    entries = []
    for obj in objs:
        after = snapshot(obj, names)
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
        entries.append(_entry(actor, "create", obj, changes, note="", at=at))
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)


def record_status_change(
    actor: Any, action: str, obj: models.Model, old: str, *, note: str = "", also: Changes | None = None
) -> AuditEntry:
    """A document's status change (提交, 审核通过, 过账, 红冲 …) with the statuses' labels."""
    labels = dict(Status.choices)
    new = getattr(obj, "status", "")
    changes: Changes = {"status": [str(labels.get(old, old)), str(labels.get(new, new))]}
    return record(actor, action, obj, {**changes, **(also or {})}, note=note)
