"""Writes to the organisation: departments, employees, roles, and login checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError
from maoyi.core.permissions import require_permission
from maoyi.core.trees import node_path, repath_descendants
from maoyi.core.versioning import claim
from maoyi.org.holdings import holdings
from maoyi.org.models import DataScope, Department, Employee, EmployeeStatus, LoginThrottle, Role
from maoyi.org.pinyin import initials
from maoyi.org.roles import BUILT_IN_ROLES

DEPARTMENT_FIELDS = ("name", "name_en", "parent", "sort_order", "is_active")
EMPLOYEE_FIELDS = ("name", "department", "title", "mobile", "email", "is_manager", "status", "roles")
ROLE_FIELDS = ("code", "name", "name_en", "data_scope", "description")
ROLE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# Departments ---------------------------------------------------------------------------------------


@transaction.atomic
def create_department(
    *, actor: Employee | None, name: str, parent: Department | None, name_en: str = "", sort_order: int = 0
) -> Department:
    """A new department under `parent` (or a new top-level one); names are unique among siblings."""
    require_permission(actor, "org.add_department")
    name = name.strip()
    if not name:
        raise DomainError(_("请填写部门名称。"), code="invalid", field="name")
    if parent is not None and not parent.is_active:
        raise DomainError(_("上级部门“%(name)s”已停用。"), code="invalid", field="parent", name=parent.name)
    if Department.objects.filter(parent=parent, name=name).exists():
        raise DomainError(
            _("同一上级下已有名为“%(name)s”的部门。"), code="duplicate", field="name", name=name
        )
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the index decides
            dept = Department.objects.create(
                name=name, name_en=name_en.strip(), parent=parent, sort_order=sort_order
            )
    except IntegrityError:
        raise DomainError(
            _("同一上级下已有名为“%(name)s”的部门。"), code="duplicate", field="name", name=name
        ) from None
    dept.path = node_path(parent, dept.pk)
    dept.save(update_fields=["path"])
    audit.record_created(actor, dept, DEPARTMENT_FIELDS)
    return dept


@transaction.atomic
def update_department(
    dept: Department,
    *,
    actor: Employee | None,
    name: str,
    parent: Department | None,
    name_en: str = "",
    sort_order: int = 0,
    is_active: bool = True,
    version: int | None = None,
) -> Department:
    """Rename or move a department; a department cannot move under itself or its own descendants,
    and cannot be switched off while active employees are in it."""
    require_permission(actor, "org.change_department")
    dept = Department.objects.select_for_update().get(pk=dept.pk)
    claim(dept, version, history=history_of)
    before = audit.snapshot(dept, DEPARTMENT_FIELDS)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写部门名称。"), code="invalid", field="name")
    if parent is not None and parent.path.startswith(dept.path):
        raise DomainError(_("不能把部门移到它自己或它的下级部门之下。"), code="invalid", field="parent")
    if Department.objects.filter(parent=parent, name=name).exclude(pk=dept.pk).exists():
        raise DomainError(
            _("同一上级下已有名为“%(name)s”的部门。"), code="duplicate", field="name", name=name
        )
    if not is_active and dept.is_active:
        busy = Employee.objects.filter(
            department__path__startswith=dept.path, status=EmployeeStatus.ACTIVE
        ).exists()
        if busy:
            raise DomainError(
                _("部门（或其下级部门）还有在职员工，不能停用。"), code="invalid", field="is_active"
            )
    old_path = dept.path
    dept.name, dept.name_en, dept.parent = name, name_en.strip(), parent
    dept.sort_order, dept.is_active = sort_order, is_active
    dept.path = node_path(parent, dept.pk)
    dept.save()
    repath_descendants(Department, dept, old_path)
    changes = audit.diff(before, audit.snapshot(dept, DEPARTMENT_FIELDS))
    if changes:
        audit.record(actor, "update", dept, changes)
    return dept


# Roles ----------------------------------------------------------------------------------------------


def _permissions(codes: Iterable[str]) -> list[Permission]:
    wanted = set(codes)
    found: list[Permission] = []
    for perm in Permission.objects.select_related("content_type"):
        if f"{perm.content_type.app_label}.{perm.codename}" in wanted:
            found.append(perm)
    return found


@transaction.atomic
def ensure_built_in_roles() -> dict[str, Role]:
    """Create the seven built-in roles if missing (idempotent; an administrator's later edits stay)."""
    from django.contrib.auth.models import Group

    roles: dict[str, Role] = {}
    for default in BUILT_IN_ROLES:
        role = Role.objects.filter(code=default.code).first()
        if role is None:
            group, _created = Group.objects.get_or_create(name=f"role:{default.code}")
            role = Role.objects.create(
                code=default.code,
                name=default.name,
                name_en=default.name_en,
                data_scope=default.data_scope,
                group=group,
                is_system=True,
            )
            group.permissions.set(_permissions(default.permissions))
            audit.record_created(None, role, ROLE_FIELDS)
        roles[default.code] = role
    return roles


@transaction.atomic
def grant_default_permissions() -> dict[str, list[str]]:
    """Give each built-in role the default permissions it lacks (after an upgrade brings new
    modules); never takes a permission away. Run by an administrator (`maoyi grantdefaults`), not
    on every start, so that permissions an administrator removed on purpose stay removed."""
    granted: dict[str, list[str]] = {}
    roles = ensure_built_in_roles()
    for default in BUILT_IN_ROLES:
        role = roles[default.code]
        have = set(role.group.permissions.all())
        missing = [p for p in _permissions(default.permissions) if p not in have]
        if missing:
            role.group.permissions.add(*missing)
            names = sorted(p.codename for p in missing)
            audit.record(None, "update", role, {"permissions": [None, names]}, note="grantdefaults")
            granted[default.code] = names
    return granted


@transaction.atomic
def save_role(
    role: Role | None,
    *,
    actor: Employee | None,
    code: str,
    name: str,
    name_en: str,
    data_scope: str,
    description: str,
    permissions: Iterable[Permission],
) -> Role:
    """Create a role or change one; a built-in role keeps its code."""
    from django.contrib.auth.models import Group

    require_permission(actor, "org.change_role" if role else "org.add_role")
    if data_scope not in DataScope.values:
        raise DomainError(_("数据范围无效。"), code="invalid", field="data_scope")
    perms = list(permissions)
    code = (code or "").strip()
    if not ROLE_CODE_RE.match(code):
        raise DomainError(
            _("角色代码须以小写字母开头，只含小写字母、数字和下划线，最多 40 位。"),
            code="invalid",
            field="code",
        )
    if not (name or "").strip():
        raise DomainError(_("请填写角色名称。"), code="invalid", field="name")
    if Role.objects.filter(code=code).exclude(pk=role.pk if role else 0).exists():
        raise DomainError(_("角色代码“%(value)s”已存在。"), code="duplicate", field="code", value=code)
    if role is None:
        group = Group.objects.create(name=f"role:{code}")
        role = Role.objects.create(
            code=code, name=name, name_en=name_en, data_scope=data_scope, description=description, group=group
        )
        group.permissions.set(perms)
        audit.record_created(actor, role, ROLE_FIELDS)
        audit.record(actor, "update", role, {"permissions": [[], sorted(p.codename for p in perms)]})
        return role
    before = audit.snapshot(role, ROLE_FIELDS)
    old_perms = sorted(p.codename for p in role.group.permissions.all())
    if role.is_system and code != role.code:
        raise DomainError(_("内置角色的代码不能修改。"), code="invalid", field="code")
    role.code, role.name, role.name_en = code, name, name_en
    role.data_scope, role.description = data_scope, description
    role.save()
    if role.group.name != f"role:{code}":
        role.group.name = f"role:{code}"
        role.group.save(update_fields=["name"])
    role.group.permissions.set(perms)
    changes = audit.diff(before, audit.snapshot(role, ROLE_FIELDS))
    new_perms = sorted(p.codename for p in perms)
    if new_perms != old_perms:
        changes["permissions"] = [old_perms, new_perms]
    if changes:
        audit.record(actor, "update", role, changes)
    return role


# Employees ------------------------------------------------------------------------------------------


def _check_password(password: str, user: Any = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(str(m) for m in exc.messages), code="invalid", field="password") from None


def _sync_groups(employee: Employee) -> None:
    employee.user.groups.set([r.group for r in employee.roles.all()])


@transaction.atomic
def create_employee(
    *,
    actor: Employee | None,
    username: str,
    password: str,
    name: str,
    department: Department,
    roles: Iterable[Role],
    title: str = "",
    mobile: str = "",
    email: str = "",
    is_manager: bool = False,
    joined_on: dt.date | None = None,
    validate: bool = True,
) -> Employee:
    """A login user and their employee record, in one step; user names are unique (case-insensitive)."""
    require_permission(actor, "org.add_employee")
    user_model = get_user_model()
    username = username.strip()
    if not username:
        raise DomainError(_("请填写登录名。"), code="invalid", field="username")
    if user_model.objects.filter(username__iexact=username).exists():
        raise DomainError(_("登录名“%(name)s”已被使用。"), code="duplicate", field="username", name=username)
    if not department.is_active:
        raise DomainError(
            _("部门“%(name)s”已停用。"), code="invalid", field="department", name=department.name
        )
    if validate:
        _check_password(password)
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the index decides
            user = user_model.objects.create_user(username=username, password=password, email=email)
    except IntegrityError:
        raise DomainError(
            _("登录名“%(name)s”已被使用。"), code="duplicate", field="username", name=username
        ) from None
    employee = Employee.objects.create(
        user=user,
        name=name.strip(),
        pinyin=initials(name),
        department=department,
        title=title,
        mobile=mobile,
        email=email,
        is_manager=is_manager,
        joined_on=joined_on,
    )
    employee.roles.set(list(roles))
    _sync_groups(employee)
    audit.record_created(actor, employee, EMPLOYEE_FIELDS)
    return employee


@transaction.atomic
def update_employee(
    employee: Employee,
    *,
    actor: Employee | None,
    name: str,
    department: Department,
    roles: Iterable[Role],
    title: str = "",
    mobile: str = "",
    email: str = "",
    is_manager: bool = False,
    version: int | None = None,
) -> Employee:
    """Change an employee's record and roles (their status changes only through `leave_employee`)."""
    require_permission(actor, "org.change_employee")
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    claim(employee, version, history=history_of)
    before = audit.snapshot(employee, EMPLOYEE_FIELDS)
    if department.pk != employee.department_id and not department.is_active:
        raise DomainError(
            _("部门“%(name)s”已停用。"), code="invalid", field="department", name=department.name
        )
    roles = list(roles)
    dropping_own_admin = (
        actor is not None
        and employee.pk == actor.pk
        and not any(r.code == "admin" for r in roles)
        and employee.roles.filter(code="admin").exists()
    )
    if dropping_own_admin:
        raise DomainError(_("不能取消自己的管理员角色。"), code="invalid", field="roles")
    employee.name, employee.pinyin = name.strip(), initials(name)
    employee.department, employee.title, employee.mobile = department, title, mobile
    employee.email, employee.is_manager = email, is_manager
    employee.save()
    employee.roles.set(roles)
    if employee.user.email != email:
        employee.user.email = email
        employee.user.save(update_fields=["email"])
    _sync_groups(employee)
    changes = audit.diff(before, audit.snapshot(employee, EMPLOYEE_FIELDS))
    if changes:
        audit.record(actor, "update", employee, changes)
    return employee


@transaction.atomic
def leave_employee(
    employee: Employee, *, actor: Employee | None, handover_to: Employee, left_on: dt.date | None = None
) -> Employee:
    """离职: the employee can no longer log in, their sessions and API tokens stop working at once,
    and `handover_to` is recorded as the colleague who takes over their book. Refused with
    `still_owns` while the employee still owns anything another app registered in `org.holdings`
    (customers, contracts, open receivables…): those move by a handover (交接) first."""
    require_permission(actor, "org.change_employee")
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if employee.status == EmployeeStatus.LEFT:
        raise DomainError(_("%(name)s 已经离职。"), code="invalid_state", name=employee.name)
    if handover_to.pk == employee.pk or handover_to.status != EmployeeStatus.ACTIVE:
        raise DomainError(_("请选择一位在职的其他员工作为交接人。"), code="invalid", field="handover_to")
    if actor is not None and actor.pk == employee.pk:
        raise DomainError(_("不能给自己办理离职。"), code="invalid")
    owned = holdings(employee)
    if owned:
        raise DomainError(
            _("%(name)s 还负责：%(items)s。请先办理交接，再办理离职。"),
            code="still_owns",
            name=employee.name,
            items="、".join(owned),
        )
    before = audit.snapshot(employee, ("status", "left_on", "handed_over_to"))
    employee.status = EmployeeStatus.LEFT
    employee.left_on = left_on or timezone.localdate()
    employee.handed_over_to = handover_to
    employee.is_manager = False
    employee.save()
    user = employee.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Sessions die with is_active (the auth backend refuses inactive users on every request);
    # API tokens are deleted as well, so nothing of theirs can be replayed.
    apps.get_model("authtoken", "Token").objects.filter(user=user).delete()
    audit.record(
        actor,
        "leave",
        employee,
        audit.diff(before, audit.snapshot(employee, ("status", "left_on", "handed_over_to"))),
    )
    return employee


@transaction.atomic
def set_password(employee: Employee, *, actor: Employee | None, password: str) -> None:
    """An administrator sets a new password for someone else."""
    require_permission(actor, "org.change_employee")
    _check_password(password, employee.user)
    employee.user.set_password(password)
    employee.user.save(update_fields=["password"])
    audit.record(actor, "set_password", employee)


@transaction.atomic
def change_own_password(employee: Employee, *, old_password: str, new_password: str) -> None:
    user = employee.user
    if not user.check_password(old_password):
        raise DomainError(_("原密码不正确。"), code="invalid", field="old_password")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(employee, "change_password", employee)


# Login ----------------------------------------------------------------------------------------------


class LoginRefused(DomainError):
    code = "login_failed"
    default_message = _("用户名或密码不正确。")


def _slot(kind: str, key: str, limit: int, window: dt.timedelta) -> bool:
    """Take one attempt slot for (kind, key); False when the limit is reached (locked)."""
    now = timezone.now()
    row, _created = LoginThrottle.objects.get_or_create(kind=kind, key=key)
    # A lock that has run out, or failures older than the window, start again from zero.
    LoginThrottle.objects.filter(pk=row.pk, locked_until__lte=now).update(failures=0, locked_until=None)
    LoginThrottle.objects.filter(
        pk=row.pk, locked_until__isnull=True, last_failure_at__lt=now - window
    ).update(failures=0)
    taken = LoginThrottle.objects.filter(pk=row.pk, failures__lt=limit).update(
        failures=F("failures") + 1, last_failure_at=now
    )
    if taken:
        LoginThrottle.objects.filter(pk=row.pk, failures__gte=limit, locked_until__isnull=True).update(
            locked_until=now + window
        )
    return bool(taken)


def _give_back(kind: str, key: str, *, reset: bool) -> None:
    rows = LoginThrottle.objects.filter(kind=kind, key=key)
    if reset:
        rows.update(failures=0, locked_until=None)
    else:
        rows.filter(failures__gt=0).update(failures=F("failures") - 1, locked_until=None)


def authenticate_login(*, username: str, password: str, address: str, request: Any = None) -> Any:
    """Check a login. Each attempt takes a slot from the user name's and the address's counters
    before the password is checked, so concurrent guesses cannot exceed the limit; a success gives
    the slots back. Left (离职) employees are refused."""
    from django.conf import settings

    window = dt.timedelta(minutes=settings.MAOYI_LOCKOUT_MINUTES)
    key = username.strip().lower()
    minutes = settings.MAOYI_LOCKOUT_MINUTES
    if not _slot(
        LoginThrottle.Kind.ADDRESS, address or "unknown", settings.MAOYI_LOCKOUT_ADDRESS_FAILURES, window
    ):
        raise LoginRefused(
            _("此地址登录失败次数过多，已被锁定，请 %(minutes)s 分钟后再试。"), code="locked", minutes=minutes
        )
    if not _slot(LoginThrottle.Kind.USER, key, settings.MAOYI_LOCKOUT_FAILURES, window):
        raise LoginRefused(
            _("该账号登录失败次数过多，已被锁定，请 %(minutes)s 分钟后再试或联系管理员。"),
            code="locked",
            minutes=minutes,
        )
    user = authenticate(request, username=username.strip(), password=password)
    if user is None:
        user_model = get_user_model()
        inactive = user_model.objects.filter(Q(username__iexact=key), is_active=False).first()
        if inactive is not None and inactive.check_password(password):
            _give_back(LoginThrottle.Kind.ADDRESS, address or "unknown", reset=False)
            raise LoginRefused(_("该账号已停用（员工已离职），不能登录。"), code="account_disabled")
        raise LoginRefused()
    _give_back(LoginThrottle.Kind.USER, key, reset=True)
    _give_back(LoginThrottle.Kind.ADDRESS, address or "unknown", reset=False)
    return user


@transaction.atomic
def unlock_login(*, actor: Employee | None, username: str) -> int:
    """An administrator lifts a lockout on a user name."""
    require_permission(actor, "org.change_employee")
    return LoginThrottle.objects.filter(kind=LoginThrottle.Kind.USER, key=username.strip().lower()).update(
        failures=0, locked_until=None
    )
