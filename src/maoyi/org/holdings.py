"""What an employee still holds (客户、合同、应收款…) before they may leave (离职).

Higher apps own those records and org never imports them: each registers a provider here (in its
AppConfig.ready) — a function that, given an employee, returns short labels of what they still own
("客户 3 个"), or nothing. `leave_employee` refuses with `still_owns` while any label comes back;
the owning app's handover (交接) moves the records first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from maoyi.org.models import Employee

Provider = Callable[[Employee], Iterable[str]]

_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a provider once (registering the same function again changes nothing)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def holdings(employee: Employee) -> list[str]:
    """Every provider's labels for what `employee` still owns, in registration order."""
    found: list[str] = []
    for provider in _PROVIDERS:
        found.extend(str(label) for label in provider(employee))
    return found
