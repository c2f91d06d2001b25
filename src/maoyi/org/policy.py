from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopePolicy:
    """Where a model keeps its owner and department, for the data-scope gate (`org.scope`).

    `owner`: lookup to the owning Employee ("pk" when the row is the employee itself, None when rows
    have no owner). `department`: lookup to the Department ("" when the row is the department)."""

    owner: str | None = "owner"
    department: str | None = "department"
    # Company data that is not owned (products, warehouses): every employee may see it; what they
    # may do with it is decided by model permissions.
    shared: bool = False
