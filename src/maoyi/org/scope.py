"""The one data-scope gate. Every page, API endpoint, export and search that reads an owned model
goes through `visible` (rows) or `can_view` / `can_change` (one record).

A model states where its owner and department are with a `scope_policy` attribute; without one the
document shape (`owner`, `department`) is assumed. A user's scope is the widest of their roles':
own (本人), department with its sub-departments (本部门), or all (全公司). A user without an active
employee record sees nothing (a superuser sees everything)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

from maoyi.org.models import SCOPE_WIDTH, DataScope, Employee, EmployeeStatus
from maoyi.org.policy import ScopePolicy

M = TypeVar("M", bound=models.Model)


DEFAULT_POLICY = ScopePolicy()


def employee_of(user: Any) -> Employee | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        employee: Employee = user.employee
    except Employee.DoesNotExist:
        return None
    return employee if employee.status == EmployeeStatus.ACTIVE else None


def data_scope(user: Any) -> DataScope | None:
    """The widest scope among the user's roles; None means the user sees no owned rows."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return DataScope.ALL
    employee = employee_of(user)
    if employee is None:
        return None
    cached = getattr(employee, "_scope_cache", None)
    if cached is not None:
        return cached if cached != "" else None
    scopes = [DataScope(s) for s in employee.roles.values_list("data_scope", flat=True)]
    widest = max(scopes, key=lambda s: SCOPE_WIDTH[s]) if scopes else DataScope.OWN
    employee._scope_cache = widest  # type: ignore[attr-defined]
    return widest


def policy_for(model: type[models.Model]) -> ScopePolicy:
    policy = getattr(model, "scope_policy", None)
    return policy if isinstance(policy, ScopePolicy) else DEFAULT_POLICY


def _lookup(prefix: str, suffix: str) -> str:
    return f"{prefix}__{suffix}" if prefix else suffix


def scope_filter(user: Any, model: type[models.Model]) -> Q | None:
    """The condition on `model` rows the user may see; None means no condition (all rows)."""
    scope = data_scope(user)
    if scope == DataScope.ALL:
        return None
    employee = employee_of(user)
    if scope is None or employee is None:
        return Q(pk__in=[])
    policy = policy_for(model)
    if policy.shared:
        return None
    own = Q(**{policy.owner: employee.pk}) if policy.owner else Q(pk__in=[])
    if scope == DataScope.OWN or policy.department is None:
        return own
    subtree = Q(**{_lookup(policy.department, "path__startswith"): employee.department.path})
    return own | subtree


def visible(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of `queryset` the user may see."""
    condition = scope_filter(user, queryset.model)
    return queryset if condition is None else queryset.filter(condition)


def can_view(user: Any, obj: models.Model) -> bool:
    model = type(obj)
    return visible(user, model._default_manager.filter(pk=obj.pk)).exists()


def can_change(user: Any, obj: models.Model) -> bool:
    """In scope and holding the model's change permission."""
    meta = obj._meta
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}") and can_view(user, obj)


def get_visible(user: Any, queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch one row in the user's scope; raises the model's DoesNotExist for "missing" and for
    "not yours" alike, so the interfaces answer 404 for both."""
    return visible(user, queryset).get(**lookup)
