"""Reads of the organisation, already scoped to the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
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
            Employee.objects.filter(
                department=node, is_manager=True, status=EmployeeStatus.ACTIVE
            ).select_related("user")
        )
        if found:
            return found
        node = node.parent
    return []


# The administration pages ---------------------------------------------------------------------------

# Apps whose permissions a role may grant on the pages built so far, in the order a role form lists them.
ROLE_PERMISSION_APPS = (
    "org",
    "core",
    "approvals",
    "attachments",
    "audit",
    "catalog",
    "inventory",
    "crm",
    "purchasing",
    "sales",
    "finance",
    "invoicing",
)
# Bookkeeping no one is granted: login and number counters, writes to append-only records, the
# money ledger's shared tables (roles are granted on the receivable/payable/receipt/payment
# proxies), supplier contacts (edited with the supplier) and deleting what is never deleted.
_APPEND_ONLY = ("auditentry", "approvalstep")
_NEVER_DELETED = (
    "customer",
    "supplier",
    "receivable",
    "payable",
    "receipt",
    "payment",
    "exchangerate",
    "supplierquote",
    "purchaseorder",
    "goodsreceipt",
    "purchasereturn",
    "contact",
    "activity",
    "opportunity",
    "poolsettings",
    "quote",
    "contract",
    "handover",
    "salesorder",
    "shipment",
    "salesreturn",
    "invoice",
)
HIDDEN_PERMISSIONS = (
    Q(
        content_type__model__in=(
            "loginthrottle",
            "documentsequence",
            "obligation",
            "settlement",
            "installment",
            "allocation",
            "suppliercontact",
            "purchaseorderline",
            "purchaseorderinstallment",
            "goodsreceiptline",
            "purchasereturnline",
            "ownershipchange",
            "poolnotice",
            "quoteline",
            "contractline",
            "handoverline",
            "invoiceallocation",
        )
    )
    | Q(codename__in=[f"{verb}_{model}" for verb in ("add", "change", "delete") for model in _APPEND_ONLY])
    | Q(codename__in=[f"delete_{model}" for model in _NEVER_DELETED])
)


def visible_department(user: Any, pk: int) -> Department:
    """One department in the user's scope, with its active employee count; DoesNotExist for
    "missing" and "not yours" alike."""
    return departments(user).get(pk=pk)


def visible_employee(user: Any, pk: int) -> Employee:
    """One employee in the user's scope; DoesNotExist for "missing" and "not yours" alike."""
    return employees(user).get(pk=pk)


def department_choices(
    user: Any, *, active_only: bool = False, keep: Department | None = None
) -> QuerySet[Department]:
    """Departments the user may pick (a parent, an employee's department), in tree order; `keep`
    (the current choice) stays pickable even when switched off or outside the user's scope."""
    qs = scope.visible(user, Department.objects.all())
    if active_only:
        qs = qs.filter(is_active=True)
    if keep is not None:
        qs = Department.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=keep.pk))
    return qs.order_by("path")


def assignable_permissions() -> QuerySet[Permission]:
    """The permissions a role may grant, by app and model."""
    return (
        Permission.objects.filter(content_type__app_label__in=ROLE_PERMISSION_APPS)
        .exclude(HIDDEN_PERMISSIONS)
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )
