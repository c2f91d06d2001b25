from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maoyi.core.versioning import version_field
from maoyi.org.policy import ScopePolicy


class DataScope(models.TextChoices):
    OWN = "own", _("本人")
    DEPARTMENT = "department", _("本部门（含下级部门）")
    ALL = "all", _("全公司")


def localized(name: str, name_en: str) -> str:
    """A record's name in the interface language: the English name when there is one."""
    return name_en if name_en and get_language() == "en" else name


SCOPE_WIDTH = {DataScope.OWN: 0, DataScope.DEPARTMENT: 1, DataScope.ALL: 2}


class Department(models.Model):
    """A node of the company tree. `path` ("/1/4/9/") makes "this department and everything under
    it" one indexed prefix query; services keep it right when a department moves."""

    name = models.CharField(_("部门名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    scope_policy = ScopePolicy(owner=None, department="")
    accepts_attachments = True
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    version = version_field()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_department_unique_name_per_parent")
        ]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class Role(models.Model):
    """A permission group with a data scope. The seven built-in codes come from API.md."""

    code = models.SlugField(_("角色代码"), max_length=40, unique=True)
    name = models.CharField(_("角色名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    data_scope = models.CharField(
        _("数据范围"), max_length=20, choices=DataScope.choices, default=DataScope.OWN
    )
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="role", editable=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_system = models.BooleanField(_("内置角色"), default=False, editable=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)


class EmployeeStatus(models.TextChoices):
    ACTIVE = "active", _("在职")
    LEFT = "left", _("离职")


class Employee(models.Model):
    """One per login user. Records the company owns point to an employee as their current owner."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee")
    name = models.CharField(_("姓名"), max_length=60)
    pinyin = models.CharField(_("拼音码"), max_length=60, blank=True, db_index=True, editable=False)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="employees"
    )
    title = models.CharField(_("职务"), max_length=60, blank=True)
    mobile = models.CharField(_("手机"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_manager = models.BooleanField(_("部门经理"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=EmployeeStatus.choices, default=EmployeeStatus.ACTIVE
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), related_name="employees", blank=True)
    joined_on = models.DateField(_("入职日期"), null=True, blank=True)
    left_on = models.DateField(_("离职日期"), null=True, blank=True)
    scope_policy = ScopePolicy(owner="pk", department="department")
    accepts_attachments = True

    handed_over_to = models.ForeignKey(
        "self",
        verbose_name=_("交接给"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    version = version_field()

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["department__path", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == EmployeeStatus.ACTIVE


class LoginThrottle(models.Model):
    """Failed-login counter per user name and per client address, updated atomically in the
    database so concurrent attempts cannot get past the limit."""

    class Kind(models.TextChoices):
        USER = "user", _("用户名")
        ADDRESS = "address", _("地址")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=150)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="org_login_throttle_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} {self.failures}"
