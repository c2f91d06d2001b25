"""Reads of the organisation, already scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from maoyi.org import scope
from maoyi.org.models import Department, Employee, EmployeeStatus, Role


def departments(user: Any, *, search: str = "", include_inactive: bool = True) -> QuerySet[Department]:
    qs = scope.visible(user, Department.objects.select_related("parent"))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(name_en__icontains=search))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.annotate(
        employee_count=Count("employees", filter=Q(employees__status=EmployeeStatus.ACTIVE))
    ).order_by("path")


def employees(
    user: Any,
    *,
    search: str = "",
    department: Department | None = None,
    status: str = "",
    role: str = "",
    ordering: str = "",
) -> QuerySet[Employee]:
    """Employees the user may see; search matches name, pinyin initials, user name and mobile."""
    qs = scope.visible(user, Employee.objects.select_related("department", "user").prefetch_related("roles"))
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(pinyin__startswith=term.lower())
            | Q(user__username__icontains=term)
            | Q(mobile__contains=term)
        )
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    if status:
        qs = qs.filter(status=status)
    if role:
        qs = qs.filter(roles__code=role).distinct()
    allowed = {"name", "-name", "department", "-department", "status", "-status", "title", "-title"}
    if ordering in allowed:
        field = ordering.replace("department", "department__path")
        qs = qs.order_by(field, "name")
    return qs


def active_employees() -> QuerySet[Employee]:
    """Everyone who may be picked as an owner, approver or handover colleague."""
    return Employee.objects.filter(status=EmployeeStatus.ACTIVE).select_related("department").order_by("name")


def roles() -> QuerySet[Role]:
    return Role.objects.annotate(
        member_count=Count("employees", filter=Q(employees__status=EmployeeStatus.ACTIVE))
    ).select_related("group")


def managers_of(department: Department) -> list[Employee]:
    """The department's managers, or the nearest ancestor's when it has none."""
    node: Department | None = department
    while node is not None:
        found = list(
            Employee.objects.filter(department=node, is_manager=True, status=EmployeeStatus.ACTIVE).select_related(
                "user"
            )
        )
        if found:
            return found
        node = node.parent
    return []
