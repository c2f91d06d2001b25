"""Parties (往来单位): the customers and suppliers money is owed to or by. They live in higher apps
(crm, purchasing), so finance never imports them: each registers a `PartySource` here, and finance
keeps on every receivable, payable, receipt and payment the party's kind, id and a name snapshot,
with the owner and department that decide who may see it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    CUSTOMER = "customer", _("客户")
    SUPPLIER = "supplier", _("供应商")
    EMPLOYEE = "employee", _("员工")


@dataclass(frozen=True)
class Party:
    """A customer or supplier as finance sees it. `owner_id` and `department_id` are who answers
    for the money (the customer's salesperson; for suppliers the purchaser who deals with them, or
    None); they are copied onto each record so data scope needs no join into crm or purchasing."""

    kind: str
    id: int
    name: str
    owner_id: int | None = None
    department_id: int | None = None
    currency: str = "CNY"


@dataclass(frozen=True)
class PartySource:
    """How finance finds parties of one kind without importing their app.

    `get(user, id)`: the party if it exists and the user may see it, else None.
    `search(user, text, limit)`: parties the user may see whose name, code or pinyin matches.
    `url_name`: the web page of one party (reversed with its id), or "" when it has none yet."""

    kind: str
    get: Callable[[Any, int], Party | None]
    search: Callable[[Any, str, int], Sequence[Party]]
    url_name: str = ""


_SOURCES: dict[str, PartySource] = {}


def register(source: PartySource) -> None:
    _SOURCES[source.kind] = source


def source(kind: str) -> PartySource | None:
    return _SOURCES.get(kind)


def get_party(user: Any, kind: str, party_id: int) -> Party | None:
    """The party of `kind` with `party_id` if the user may see it; None otherwise (or when the kind
    has no registered source)."""
    found = _SOURCES.get(kind)
    return found.get(user, party_id) if found else None


def search_parties(user: Any, kind: str, text: str, limit: int = 20) -> list[Party]:
    found = _SOURCES.get(kind)
    return list(found.search(user, text, limit)) if found else []
