"""The built-in roles (API.md codes) with their default data scope and permissions. The demo and
`maoyi createadmin` apply them; an administrator may change permissions and scope afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from maoyi.org.models import DataScope


@dataclass(frozen=True)
class RoleDefault:
    code: str
    name: str
    name_en: str
    data_scope: DataScope
    permissions: tuple[str, ...]


ADMIN_PERMISSIONS = (
    "org.view_department",
    "org.add_department",
    "org.change_department",
    "org.view_employee",
    "org.add_employee",
    "org.change_employee",
    "org.view_role",
    "org.add_role",
    "org.change_role",
    "core.view_numberingrule",
    "core.change_numberingrule",
    "approvals.view_approvalrule",
    "approvals.add_approvalrule",
    "approvals.change_approvalrule",
    "approvals.delete_approvalrule",
    "audit.view_auditentry",
)

BUILT_IN_ROLES: tuple[RoleDefault, ...] = (
    RoleDefault("salesperson", "业务员", "Salesperson", DataScope.OWN, ()),
    RoleDefault("sales_assistant", "业务助理", "Sales assistant", DataScope.DEPARTMENT, ()),
    RoleDefault(
        "manager", "部门经理", "Manager", DataScope.DEPARTMENT, ("org.view_department", "org.view_employee")
    ),
    RoleDefault("purchaser", "采购员", "Purchaser", DataScope.OWN, ()),
    RoleDefault("logistics", "仓管/物流", "Logistics", DataScope.ALL, ()),
    RoleDefault("finance", "财务", "Finance", DataScope.ALL, ()),
    RoleDefault("admin", "管理员", "Administrator", DataScope.ALL, ADMIN_PERMISSIONS),
)
