"""Optimistic locking for records people edit through a form or the API (客户, 联系人, 商机, 报价单,
合同, 产品, 供应商, 仓库, 销售订单, 采购订单, 员工, 部门).

Each such record has a `version` (`version_field()`), shown as a hidden input in its edit form and
in its API payload. An update service calls `claim(record, version)` inside its transaction, right
after it has locked the row: a conditional `UPDATE … SET version = version + 1 WHERE pk = … AND
version = …` that touches no row when someone else saved the record since the user loaded it. Then
the save is refused (`StaleVersion`, code `stale_version`, field `version`, a 409 in the API) with a
message naming who changed the record, when, and which fields, read from the audit trail; nothing
of the refused save is written.

`version=None` skips the comparison (API clients that send neither `version` nor `If-Match` keep
last-write-wins) but still bumps the version, so a form loaded before that write is refused.

Core sits below the audit app: the caller passes the record's history (`history_of`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import DomainError

# How many of the latest audit entries the refusal message looks at, at most.
MAX_ENTRIES = 10
# How many changed fields the message lists, and how long a value may be before it is cut.
MAX_FIELDS = 5
MAX_VALUE = 20


def version_field() -> models.PositiveIntegerField:
    """The `version` column: 1 when created, +1 on every save through a service."""
    return models.PositiveIntegerField(
        _("版本"),
        default=1,
        editable=False,
        help_text=_("每次保存加一；编辑时据此发现他人已修改。"),
    )


class StaleVersion(DomainError):
    """Someone saved the record after the user loaded it. `changed` maps each field changed since
    (model field name) to (value then, value now), as the audit trail shows them."""

    code = "stale_version"
    default_message = _("此记录已被他人修改，请刷新后重试。")

    def __init__(
        self, message: Any = None, *, changed: dict[str, tuple[Any, Any]] | None = None, **params: Any
    ):
        super().__init__(message, field="version", **params)
        self.changed = changed or {}


def parse_version(value: Any) -> int | None:
    """A version as a client sends it: 3, "3", or an `If-Match` value ("3", W/"3"). Blank → None;
    anything else that is not a positive whole number is refused as input (`invalid`, 400)."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise DomainError(_("版本号无效。"), code="invalid", field="version")
        return None
    text = str(value).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip().strip('"').strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise DomainError(_("版本号无效。"), code="invalid", field="version")
    return int(text)


History = Callable[[Any], Iterable[Any]]


def claim(record: models.Model, expected: int | None, *, history: History | None = None) -> int:
    """Bump the record's version if it still is `expected` (any version when None); refuse with
    `StaleVersion` otherwise. Call it inside the update's transaction, after locking the row, before
    any other write. Sets and returns the new version (so a later full `save()` writes the same)."""
    model = type(record)
    rows = model._base_manager.filter(pk=record.pk)
    if expected is not None:
        rows = rows.filter(version=expected)
    if rows.update(version=F("version") + 1) == 0:
        raise stale(record, expected, history=history)
    new = expected + 1 if expected is not None else int(record.version) + 1  # type: ignore[attr-defined]
    record.version = new  # type: ignore[attr-defined]
    return new


def check(record: models.Model, expected: int | None, *, history: History | None = None) -> None:
    """Refuse (`StaleVersion`) when the record, locked and loaded in this transaction, is no longer
    at `expected`, without writing: for an update that may turn out to change nothing (then it
    writes nothing; when it does change something it calls `claim(record, None)`)."""
    if expected is not None and record.version != expected:  # type: ignore[attr-defined]
        raise stale(record, expected, history=history)


def _label(model: type[models.Model], name: str) -> str:
    if name == "lines":  # a document's lines, as the audit trail keeps them
        return str(_("明细"))
    try:
        field = model._meta.get_field(name)
    except Exception:  # a key the audit trail adds that is not a field ("lines")
        return name
    return str(getattr(field, "verbose_name", name))


def _cut(value: Any) -> str:
    if value in (None, ""):
        return "—"
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def stale(record: models.Model, expected: int | None, *, history: History | None = None) -> StaleVersion:
    """The refusal for a save based on version `expected` of `record`: who changed it since, when,
    and what (the last `current - expected` audit entries that hold changes)."""
    model = type(record)
    current = model._base_manager.filter(pk=record.pk).values_list("version", flat=True).first()
    missed = (current or 0) - (expected or 0)
    if history is None or current is None or missed < 1:
        return StaleVersion()
    # The record's creation is never news to someone who loaded it: only later entries count.
    latest = list(history(record)[:MAX_ENTRIES])  # type: ignore[index]
    entries = [e for e in latest if e.changes and e.action != "create"][:missed]
    if not entries:
        return StaleVersion()
    changed: dict[str, tuple[Any, Any]] = {}
    for entry in reversed(entries):  # oldest first: keep the first old value, the last new one
        for name, pair in entry.changes.items():
            old, new = ([*list(pair), None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
            changed[name] = (changed[name][0] if name in changed else old, new)
    changed = {k: v for k, v in changed.items() if v[0] != v[1]}
    who = "、".join(dict.fromkeys(e.actor_name or str(_("系统")) for e in entries))
    when = timezone.localtime(entries[0].at).strftime("%m-%d %H:%M")
    if not changed:
        return StaleVersion(_("此记录已被 %(who)s 在 %(when)s 修改，请刷新后重试。"), who=who, when=when)
    parts = [f"{_label(model, k)}：{_cut(old)} → {_cut(new)}" for k, (old, new) in changed.items()]
    if len(parts) > MAX_FIELDS:
        parts = [*parts[:MAX_FIELDS], "…"]
    return StaleVersion(
        _("此记录已被 %(who)s 在 %(when)s 修改（%(changes)s），请刷新后重试。"),
        changed=changed,
        who=who,
        when=when,
        changes="；".join(parts),
    )
