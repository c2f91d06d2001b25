"""Incoming quantities (在途量) come from documents of higher apps (purchase orders); they register
a provider here, so inventory never imports them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

# provider(product_ids, warehouse_ids or None) -> {(product_id, warehouse_id): (quantity, expected_date)}
Provider = Callable[[Iterable[int], Iterable[int] | None], dict[tuple[int, int], Decimal]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def incoming(
    product_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Decimal]:
    product_ids = list(product_ids)
    wanted = list(warehouse_ids) if warehouse_ids is not None else None
    total: dict[tuple[int, int], Decimal] = {}
    for provider in _PROVIDERS:
        for key, quantity in provider(product_ids, wanted).items():
            total[key] = total.get(key, Decimal("0")) + quantity
    return total
