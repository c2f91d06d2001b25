"""Forms of the organisation pages. They only parse input; the rules live in `maoyi.org.services`,
whose refusals the views put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from maoyi.org import scope, selectors
from maoyi.org.models import DataScope, Department, Employee, EmployeeStatus, Role
from maoyi.web.forms import StyledForm

LEAVE_HANDOVER_REQUIRED = _("请选择一位在职的其他员工作为交接人。")

# Chinese names of the permissions the built-in roles use (org.roles.ADMIN_PERMISSIONS); others
# are named from their action and model, or fall back to Django's name.
PERMISSION_LABELS: dict[str, Any] = {
    "org.view_department": _("查看部门"),
    "org.add_department": _("新建部门"),
    "org.change_department": _("修改部门"),
    "org.view_employee": _("查看员工"),
    "org.add_employee": _("新建员工"),
    "org.change_employee": _("修改员工、办理离职、重置密码"),
    "org.view_role": _("查看角色"),
    "org.add_role": _("新建角色"),
    "org.change_role": _("修改角色与权限"),
    "core.view_numberingrule": _("查看编号规则"),
    "core.change_numberingrule": _("修改编号前缀"),
    "approvals.view_approvalrule": _("查看审批规则"),
    "approvals.add_approvalrule": _("新建审批规则"),
    "approvals.change_approvalrule": _("修改审批规则"),
    "approvals.delete_approvalrule": _("删除审批规则"),
    "audit.view_auditentry": _("查看操作日志"),
}
ACTION_WORDS: dict[str, Any] = {"view": _("查看"), "add": _("新建"), "change": _("修改"), "delete": _("删除")}


def permission_label(perm: Permission) -> str:
    app_label = perm.content_type.app_label
    known = PERMISSION_LABELS.get(f"{app_label}.{perm.codename}")
    if known is not None:
        return str(known)
    action, _sep, model_name = perm.codename.partition("_")
    model = perm.content_type.model_class()
    if action in ACTION_WORDS and model is not None and model_name == model._meta.model_name:
        # Chinese joins the two words; English needs a space (the catalogue has "%(action)s %(model)s").
        return _("%(action)s%(model)s") % {"action": ACTION_WORDS[action], "model": model._meta.verbose_name}
    return perm.name


def _permission_order(perm: Permission) -> tuple[str, int, str]:
    action = perm.codename.partition("_")[0]
    rank = list(ACTION_WORDS).index(action) if action in ACTION_WORDS else len(ACTION_WORDS)
    return (perm.content_type.model, rank, perm.codename)


class DepartmentChoiceField(forms.ModelChoiceField):
    """A department picker that shows the tree by indenting each name by its depth."""

    def label_from_instance(self, obj: Department) -> str:
        label = "　" * obj.depth + obj.name
        return label if obj.is_active else f"{label}{_('（已停用）')}"


class DepartmentForm(StyledForm):
    name = forms.CharField(label=_("部门名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=100, required=False)
    parent = DepartmentChoiceField(
        label=_("上级部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("（无，作为顶级部门）"),
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, instance: Department | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "name_en": instance.name_en,
                    "parent": instance.parent_id,
                    "sort_order": instance.sort_order,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        field: Any = self.fields["parent"]
        field.queryset = selectors.department_choices(user, keep=instance.parent if instance else None)
        if scope.data_scope(user) != DataScope.ALL:
            field.required = True  # only someone who sees the whole company may add a top-level department
        if instance is None:
            del self.fields["is_active"]  # a new department starts active


class EmployeeForm(StyledForm):
    """The employee record; the create page adds the login name and the first password."""

    username = forms.CharField(label=_("登录名"), max_length=150)
    password = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("员工首次登录后可在“修改密码”中自行修改。"),
    )
    name = forms.CharField(label=_("姓名"), max_length=60)
    department = DepartmentChoiceField(
        label=_("部门"), queryset=Department.objects.none(), empty_label=_("请选择部门")
    )
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    mobile = forms.CharField(label=_("手机"), max_length=20, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    is_manager = forms.BooleanField(
        label=_("部门经理"), required=False, help_text=_("部门经理审批本部门（含下级部门）的单据。")
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("角色"),
        queryset=Role.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, instance: Employee | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "department": instance.department_id,
                    "title": instance.title,
                    "mobile": instance.mobile,
                    "email": instance.email,
                    "is_manager": instance.is_manager,
                    "roles": [r.pk for r in instance.roles.all()],
                },
            )
        super().__init__(*args, **kwargs)
        department: Any = self.fields["department"]
        department.queryset = selectors.department_choices(
            user, active_only=True, keep=instance.department if instance else None
        )
        roles: Any = self.fields["roles"]
        roles.queryset = Role.objects.order_by("id")
        roles.label_from_instance = lambda role: f"{role.name} · {role.get_data_scope_display()}"
        if instance is not None:
            del self.fields["username"]
            del self.fields["password"]


class LeaveForm(StyledForm):
    handover_to = forms.ModelChoiceField(
        label=_("交接人"),
        queryset=Employee.objects.none(),
        empty_label=_("请选择交接人"),
        help_text=_("离职员工负责的客户和未完成的单据由交接人接手。"),
        error_messages={"required": LEAVE_HANDOVER_REQUIRED, "invalid_choice": LEAVE_HANDOVER_REQUIRED},
    )
    left_on = forms.DateField(
        label=_("离职日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空表示今天。"),
    )
    confirm = forms.BooleanField(
        label=_("我已确认：该员工离职后将不能再登录，此操作不能撤销。"),
        error_messages={"required": _("请勾选确认。")},
    )

    def __init__(self, *args: Any, employee: Employee, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["handover_to"]
        field.queryset = selectors.active_employees().exclude(pk=employee.pk)
        field.label_from_instance = lambda e: f"{e.name}（{e.department}）"


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("确认新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的新密码不一致。"))
        return data


class RoleForm(StyledForm):
    code = forms.SlugField(
        label=_("角色代码"),
        max_length=40,
        help_text=_("英文字母、数字、下划线或连字符，创建后供接口使用。"),
    )
    name = forms.CharField(label=_("角色名称"), max_length=60)
    name_en = forms.CharField(label=_("英文名称"), max_length=60, required=False)
    data_scope = forms.ChoiceField(
        label=_("数据范围"),
        choices=DataScope.choices,
        initial=DataScope.OWN,
        help_text=_("员工有多个角色时，按最宽的数据范围。"),
    )
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    permissions = forms.ModelMultipleChoiceField(
        label=_("权限"),
        queryset=Permission.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, instance: Role | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "name": instance.name,
                    "name_en": instance.name_en,
                    "data_scope": instance.data_scope,
                    "description": instance.description,
                    "permissions": list(instance.group.permissions.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        self.available: QuerySet[Permission] = selectors.assignable_permissions()
        field: Any = self.fields["permissions"]
        field.queryset = self.available
        field.label_from_instance = permission_label
        if instance is not None and instance.is_system:
            # The service refuses a new code for a built-in role; the page says so up front.
            self.fields["code"].widget.attrs["readonly"] = True
            self.fields["code"].help_text = _("内置角色的代码不能修改。")

    def chosen_permissions(self, role: Role | None) -> list[Permission]:
        """The ticked permissions, plus those the role holds that this form does not offer (other
        apps' permissions stay as they are)."""
        chosen = list(self.cleaned_data["permissions"])
        if role is not None:
            chosen += list(role.group.permissions.exclude(pk__in=self.available.values("pk")))
        return chosen

    def permission_groups(self) -> list[dict[str, Any]]:
        """The permission checkboxes by app, for the template."""
        from django.apps import apps

        perms = {str(p.pk): p for p in self.available}
        groups: dict[str, list[Any]] = {label: [] for label in selectors.ROLE_PERMISSION_APPS}
        for option in self["permissions"]:
            perm = perms[str(option.data["value"])]
            groups.setdefault(perm.content_type.app_label, []).append(option)
        for options in groups.values():
            # per model: view, add, change, delete
            options.sort(key=lambda o: _permission_order(perms[str(o.data["value"])]))
        return [
            {"label": apps.get_app_config(label).verbose_name, "app": label, "options": options}
            for label, options in groups.items()
            if options
        ]


EMPLOYEE_STATUS_FILTER = (
    ("active", EmployeeStatus.ACTIVE.label),
    ("left", EmployeeStatus.LEFT.label),
    ("all", _("全部")),
)
