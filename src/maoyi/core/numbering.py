"""Gap-free document numbers: PREFIX + YYYYMMDD + '-' + a 4-digit serial per type and day."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
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
    seq, _created = DocumentSequence.objects.get_or_create(document_type=document_type, day=day)
    DocumentSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    serial = DocumentSequence.objects.filter(pk=seq.pk).values_list("last", flat=True).get()
    return f"{prefix_for(document_type, default_prefix)}{day:%Y%m%d}-{serial:04d}"


def validate_prefix(prefix: str) -> str:
    value = (prefix or "").strip().upper()
    if not PREFIX_RE.match(value):
        raise DomainError(
            _("编号前缀须以字母开头，只含大写字母和数字，最多 12 位。"), code="invalid_prefix", field="prefix"
        )
    return value
