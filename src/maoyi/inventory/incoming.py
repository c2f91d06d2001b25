"""Incoming quantities (在途量) come from documents of higher apps (purchase orders); they register
a provider here, so inventory never imports them. A provider gives, per product × warehouse, the
quantity still to arrive and the earliest date it is expected (None when it has no date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Incoming:
    quantity: Decimal
    expected_date: dt.date | None = None

    def __add__(self, other: Incoming) -> Incoming:
        dates = [d for d in (self.expected_date, other.expected_date) if d is not None]
        return Incoming(self.quantity + other.quantity, min(dates) if dates else None)


# provider(product_ids, warehouse_ids or None) -> {(product_id, warehouse_id): Incoming}
Provider = Callable[[Iterable[int], Iterable[int] | None], dict[tuple[int, int], Incoming]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def incoming_with_dates(
    product_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Incoming]:
    """What every provider has coming per product × warehouse, added up, with the earliest date."""
    product_ids = list(product_ids)
    wanted = list(warehouse_ids) if warehouse_ids is not None else None
    total: dict[tuple[int, int], Incoming] = {}
    for provider in _PROVIDERS:
        for key, coming in provider(product_ids, wanted).items():
            total[key] = total[key] + coming if key in total else coming
    return total


def incoming(
    product_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Decimal]:
    """The quantities alone."""
    return {key: coming.quantity for key, coming in incoming_with_dates(product_ids, warehouse_ids).items()}
