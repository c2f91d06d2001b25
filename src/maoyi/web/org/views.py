"""Organisation pages: the department tree, employees (with 离职 and password reset) and roles.

Each view parses the request, calls one selector or service and renders. A missing permission is
refused with 403; a record outside the user's data scope answers 404, the same as a missing one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError
from maoyi.core.tabular import Kind
from maoyi.org import scope, selectors, services
from maoyi.org.holdings import holdings
from maoyi.org.models import Department, Employee, EmployeeStatus, Role
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.org.forms import (
    EMPLOYEE_STATUS_FILTER,
    DepartmentForm,
    EmployeeForm,
    LeaveForm,
    PasswordResetForm,
    RoleForm,
)
from maoyi.web.versioning import add_version, posted_version

DEPARTMENT_TABS = {
    "info": gettext_lazy("基本信息"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
EMPLOYEE_TABS = {
    "info": gettext_lazy("基本信息"),
    "roles": gettext_lazy("角色"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
STATUS_FILTER = {"active": EmployeeStatus.ACTIVE, "left": EmployeeStatus.LEFT, "all": ""}


# Departments ---------------------------------------------------------------------------------------


def _department_or_404(request: HttpRequest, pk: int) -> Department:
    return or_404(selectors.visible_department, request.user, pk)


# The lists' columns in their Excel exports (导出), as on screen.
DEPARTMENT_COLUMNS = [
    ExportColumn(gettext_lazy("部门名称"), key="name"),
    ExportColumn(gettext_lazy("英文名称"), key="name_en"),
    ExportColumn(gettext_lazy("上级部门"), getter=lambda d: str(d.parent) if d.parent_id else ""),
    ExportColumn(gettext_lazy("本部门在职"), key="employee_count", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("状态"), getter=lambda d: _("启用") if d.is_active else _("停用")),
]
EMPLOYEE_COLUMNS = [
    ExportColumn(gettext_lazy("姓名"), key="name"),
    ExportColumn(gettext_lazy("经理"), getter=lambda e: _("经理") if e.is_manager else ""),
    ExportColumn(gettext_lazy("登录名"), key="user.username"),
    ExportColumn(gettext_lazy("部门"), getter=lambda e: str(e.department) if e.department_id else ""),
    ExportColumn(gettext_lazy("职务"), key="title"),
    ExportColumn(gettext_lazy("手机"), key="mobile"),
    ExportColumn(gettext_lazy("角色"), getter=lambda e: "、".join(str(r) for r in e.roles.all())),
    ExportColumn(gettext_lazy("状态"), key="get_status_display"),
]


@permission_required("org.view_department", raise_exception=True)
def department_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    if wants_xlsx(request):
        departments = selectors.departments(request.user, search=search)
        return xlsx_response(request, departments, DEPARTMENT_COLUMNS, gettext_lazy("部门"))
    found = list(selectors.departments(request.user, search=search))
    # Indent relative to the shallowest department shown (a manager's tree starts at their own);
    # a search result is a flat list.
    top = min((d.depth for d in found), default=0)
    rows = [{"department": d, "indent": range(0 if search else d.depth - top)} for d in found]
    return render(request, "web/org/department_list.html", {"rows": rows, "q": search})


@permission_required("org.view_department", raise_exception=True)
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = _department_or_404(request, pk)
    ancestor_ids = [int(part) for part in department.path.strip("/").split("/")[:-1] if part]
    members = selectors.employees(request.user, status=EmployeeStatus.ACTIVE).filter(department=department)
    context = {
        "department": department,
        "tab": chosen_tab(request, DEPARTMENT_TABS),
        "tabs": DEPARTMENT_TABS,
        "ancestors": selectors.departments(request.user).filter(pk__in=ancestor_ids),
        "children": selectors.departments(request.user).filter(parent=department),
        "members": members,
        **record_panels(department),
    }
    return render(request, "web/org/department_detail.html", context)


@permission_required("org.add_department", raise_exception=True)
def department_create(request: HttpRequest) -> HttpResponse:
    actor = acting_employee(request)
    form = DepartmentForm(
        form_data(request), user=request.user, initial={"parent": request.GET.get("parent")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            department = services.create_department(
                actor=actor,
                name=data["name"],
                parent=data["parent"],
                name_en=data["name_en"],
                sort_order=data["sort_order"] or 0,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已创建部门“%(name)s”。") % {"name": department.name})
            return redirect("web:department-detail", department.pk)
    context = {"form": form, "department": None}
    return render(request, "web/org/department_form.html", context, status=form_status(form))


@permission_required("org.change_department", raise_exception=True)
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = _department_or_404(request, pk)
    actor = acting_employee(request)
    form = DepartmentForm(form_data(request), user=request.user, instance=department)
    add_version(form, department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            department = services.update_department(
                department,
                actor=actor,
                version=posted_version(form),
                name=data["name"],
                parent=data["parent"],
                name_en=data["name_en"],
                sort_order=data["sort_order"] or 0,
                is_active=data["is_active"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存部门“%(name)s”。") % {"name": department.name})
            return redirect("web:department-detail", department.pk)
    context = {"form": form, "department": department}
    return render(request, "web/org/department_form.html", context, status=form_status(form))


# Employees -----------------------------------------------------------------------------------------


def _employee_or_404(request: HttpRequest, pk: int) -> Employee:
    return or_404(selectors.visible_employee, request.user, pk)


@permission_required("org.view_employee", raise_exception=True)
def employee_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    status = status if status in STATUS_FILTER else "active"
    choices = selectors.department_choices(request.user)
    department_id = request.GET.get("department", "")
    department = choices.filter(pk=department_id).first() if department_id.isdigit() else None
    role = request.GET.get("role", "")
    ordering = request.GET.get("o", "")
    qs = selectors.employees(
        request.user,
        search=search,
        department=department,
        status=STATUS_FILTER[status],
        role=role,
        ordering=ordering,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, EMPLOYEE_COLUMNS, gettext_lazy("员工"))
    context = {
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "status": status,
        "statuses": EMPLOYEE_STATUS_FILTER,
        "department": department,
        "departments": [(d, "　" * d.depth + d.name) for d in choices],
        "role": role,
        "roles": Role.objects.order_by("id"),
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or department or role or status != "active"),
    }
    return render(request, "web/org/employee_list.html", context)


@permission_required("org.view_employee", raise_exception=True)
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee_or_404(request, pk)
    context = {
        "employee": employee,
        "tab": chosen_tab(request, EMPLOYEE_TABS),
        "tabs": EMPLOYEE_TABS,
        "data_scope": scope.data_scope(employee.user),
        **record_panels(employee),
    }
    return render(request, "web/org/employee_detail.html", context)


@sensitive_post_parameters("password")
@permission_required("org.add_employee", raise_exception=True)
def employee_create(request: HttpRequest) -> HttpResponse:
    actor = acting_employee(request)
    initial = {"department": request.GET.get("department")}
    form = EmployeeForm(form_data(request), user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            employee = services.create_employee(
                actor=actor,
                username=data["username"],
                password=data["password"],
                name=data["name"],
                department=data["department"],
                roles=data["roles"],
                title=data["title"],
                mobile=data["mobile"],
                email=data["email"],
                is_manager=data["is_manager"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已添加员工 %(name)s。") % {"name": employee.name})
            return redirect("web:employee-detail", employee.pk)
    context = {"form": form, "employee": None}
    return render(request, "web/org/employee_form.html", context, status=form_status(form))


@permission_required("org.change_employee", raise_exception=True)
def employee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee_or_404(request, pk)
    actor = acting_employee(request)
    form = EmployeeForm(form_data(request), user=request.user, instance=employee)
    add_version(form, employee)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            employee = services.update_employee(
                employee,
                actor=actor,
                version=posted_version(form),
                name=data["name"],
                department=data["department"],
                roles=data["roles"],
                title=data["title"],
                mobile=data["mobile"],
                email=data["email"],
                is_manager=data["is_manager"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存员工 %(name)s。") % {"name": employee.name})
            return redirect("web:employee-detail", employee.pk)
    context = {"form": form, "employee": employee}
    return render(request, "web/org/employee_form.html", context, status=form_status(form))


@permission_required("org.change_employee", raise_exception=True)
def employee_leave(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee_or_404(request, pk)
    actor = acting_employee(request)
    form = LeaveForm(form_data(request), employee=employee)
    if request.method == "POST" and form.is_valid():
        handover = form.cleaned_data["handover_to"]
        try:
            services.leave_employee(
                employee, actor=actor, handover_to=handover, left_on=form.cleaned_data["left_on"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            message = _("%(name)s 已办理离职，交接人：%(handover)s。")
            messages.success(request, message % {"name": employee.name, "handover": handover.name})
            return redirect("web:employee-detail", employee.pk)
    # While they still own customers, contracts or receivables, the page links to the handover.
    owned = holdings(employee) if employee.is_active else []
    context = {"form": form, "employee": employee, "holdings": owned}
    return render(request, "web/org/employee_leave.html", context, status=form_status(form))


@sensitive_post_parameters("password", "password2")
@permission_required("org.change_employee", raise_exception=True)
def employee_password(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee_or_404(request, pk)
    actor = acting_employee(request)
    form = PasswordResetForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(employee, actor=actor, password=form.cleaned_data["password"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已为 %(name)s 设置新密码。") % {"name": employee.name})
            return redirect("web:employee-detail", employee.pk)
    context = {"form": form, "employee": employee}
    return render(request, "web/org/employee_password.html", context, status=form_status(form))


@require_POST
@permission_required("org.change_employee", raise_exception=True)
def employee_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee_or_404(request, pk)
    if services.unlock_login(actor=acting_employee(request), username=employee.user.username):
        messages.success(request, _("已解除 %(name)s 的登录锁定。") % {"name": employee.name})
    else:
        messages.info(request, _("%(name)s 的账号没有被锁定。") % {"name": employee.name})
    return redirect("web:employee-detail", employee.pk)


# Roles ---------------------------------------------------------------------------------------------


def _role_or_404(pk: int) -> Role:
    return or_404(selectors.roles().get, pk=pk)


@permission_required("org.view_role", raise_exception=True)
def role_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/org/role_list.html", {"roles": selectors.roles().order_by("id")})


def _save_role(request: HttpRequest, role: Role | None) -> HttpResponse:
    actor = acting_employee(request)
    form = RoleForm(form_data(request), instance=role)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_role(
                role,
                actor=actor,
                code=data["code"],
                name=data["name"],
                name_en=data["name_en"],
                data_scope=data["data_scope"],
                description=data["description"],
                permissions=form.chosen_permissions(role),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存角色“%(name)s”。") % {"name": saved.name})
            return redirect("web:role-list")
    context = {"form": form, "role": role}
    return render(request, "web/org/role_form.html", context, status=form_status(form))


@permission_required("org.add_role", raise_exception=True)
def role_create(request: HttpRequest) -> HttpResponse:
    return _save_role(request, None)


@permission_required("org.change_role", raise_exception=True)
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_role(request, _role_or_404(pk))
