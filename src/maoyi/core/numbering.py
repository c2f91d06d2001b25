"""Gap-free document numbers: PREFIX + YYYYMMDD + '-' + a 4-digit serial per type and day."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import document_types
from maoyi.core.errors import DomainError
from maoyi.core.models import DocumentSequence, NumberingRule

PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")


def prefix_for(document_type: str, default: str = "") -> str:
    """The stored prefix of a type, else the document type's default, else `default` (numbered
    records that are not documents: customer quotes, handovers), else the type's name."""
    stored = (
        NumberingRule.objects.filter(document_type=document_type).values_list("prefix", flat=True).first()
    )
    return _prefix(document_type, stored, default)


def _prefix(document_type: str, stored: str | None, default: str) -> str:
    if stored:
        return stored
    kind = document_types().get(document_type)
    if kind is not None:
        return kind.default_prefix
    return default or document_type.upper()[:12]


def next_number(document_type: str, *, on: dt.date | None = None, default_prefix: str = "") -> str:
    """Take the next number. Must run inside the caller's transaction: the counter row stays locked
    until that transaction ends, so concurrent requests queue here (briefly, late in the service)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must be called inside the document's transaction")
    day = on or timezone.localdate()
    if connection.features.can_return_columns_from_insert:
        taken = _take(document_type, day)
        if taken is None:  # the type's first number of the day: create the counter, then take
            DocumentSequence.objects.get_or_create(document_type=document_type, day=day)
            taken = _take(document_type, day)
        assert taken is not None
        serial, stored = taken
        return f"{_prefix(document_type, stored, default_prefix)}{day:%Y%m%d}-{serial:04d}"
    seq, _created = DocumentSequence.objects.get_or_create(document_type=document_type, day=day)
    DocumentSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    serial = DocumentSequence.objects.filter(pk=seq.pk).values_list("last", flat=True).get()
    return f"{prefix_for(document_type, default_prefix)}{day:%Y%m%d}-{serial:04d}"


def _take(document_type: str, day: dt.date) -> tuple[int, str | None] | None:
    """Increment the day's counter and read it back with the type's stored prefix, in one
    statement (UPDATE … RETURNING, PostgreSQL and SQLite ≥ 3.35): the counter row stays locked
    by the UPDATE exactly as before. None when the counter does not exist yet."""
    q = connection.ops.quote_name
    seq, rule = DocumentSequence._meta, NumberingRule._meta
    # Identifiers are the models' own table and column names; the values go as parameters.
    sql = (
        f"UPDATE {q(seq.db_table)} SET {q('last')} = {q('last')} + 1 "  # noqa: S608
        f"WHERE {q('document_type')} = %s AND {q('day')} = %s "
        f"RETURNING {q('last')}, (SELECT {q('prefix')} FROM {q(rule.db_table)} "
        f"WHERE {q(rule.db_table)}.{q('document_type')} = %s)"
    )
    params = [document_type, connection.ops.adapt_datefield_value(day), document_type]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return (int(row[0]), row[1]) if row else None


def validate_prefix(prefix: str) -> str:
    value = (prefix or "").strip().upper()
    if not PREFIX_RE.match(value):
        raise DomainError(
            _("编号前缀须以字母开头，只含大写字母和数字，最多 12 位。"), code="invalid_prefix", field="prefix"
        )
    return value
