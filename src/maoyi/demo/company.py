"""The demo company of PRODUCT.md: a Beijing importer and distributor of medical consumables.
Loading is idempotent: existing departments and accounts are kept as they are."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from maoyi.org import services
from maoyi.org.models import Department, Employee, Role

COMPANY = "北京贸易医疗器械有限公司"

# (name, English name, parent name)
DEPARTMENTS: tuple[tuple[str, str, str | None], ...] = (
    (COMPANY, "Maoyi Medical (Beijing) Co., Ltd.", None),
    ("总经办", "General Office", COMPANY),
    ("业务部", "Sales Department", COMPANY),
    ("终端客户部", "End Customers Team", "业务部"),
    ("医疗系统发展部", "Hospital Systems Team", "业务部"),
    ("渠道部", "Channel Team", "业务部"),
    ("采购部", "Purchasing", COMPANY),
    ("财务部", "Finance", COMPANY),
    ("物流部", "Logistics", COMPANY),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    department: str
    title: str
    roles: tuple[str, ...]
    is_manager: bool = False
    mobile: str = ""


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "系统管理员", "总经办", "系统管理员", ("admin",), mobile="13800000001"),
    DemoAccount("wangjun", "王军", "业务部", "业务部经理", ("manager",), True, "13800000002"),
    DemoAccount("linxue", "林雪", "业务部", "业务助理", ("sales_assistant",), mobile="13800000003"),
    DemoAccount(
        "liming", "李明", "终端客户部", "终端客户部经理", ("manager", "salesperson"), True, "13800000004"
    ),
    DemoAccount("zhangwei", "张伟", "终端客户部", "业务员", ("salesperson",), mobile="13800000005"),
    DemoAccount("chenjing", "陈静", "终端客户部", "业务员", ("salesperson",), mobile="13800000006"),
    DemoAccount(
        "zhouqiang", "周强", "医疗系统发展部", "医疗系统发展部经理", ("manager", "salesperson"), True
    ),
    DemoAccount("wufang", "吴芳", "医疗系统发展部", "业务员", ("salesperson",)),
    DemoAccount("sunhao", "孙浩", "医疗系统发展部", "业务员", ("salesperson",)),
    DemoAccount("zhaolei", "赵磊", "渠道部", "渠道部经理", ("manager", "salesperson"), True),
    DemoAccount("qianli", "钱丽", "渠道部", "渠道专员", ("salesperson",)),
    DemoAccount("hemin", "何敏", "渠道部", "渠道专员", ("salesperson",)),
    DemoAccount("gaofeng", "高峰", "采购部", "采购部经理", ("manager", "purchaser"), True),
    DemoAccount("mali", "马丽", "采购部", "采购员", ("purchaser",)),
    DemoAccount("luyang", "陆洋", "物流部", "仓管/物流", ("logistics",), True),
    DemoAccount("huangyan", "黄燕", "财务部", "财务经理", ("manager", "finance"), True),
    DemoAccount("xuting", "徐婷", "财务部", "出纳/会计", ("finance",)),
)


def demo_password() -> str:
    return str(settings.MAOYI_DEMO_PASSWORD)


@transaction.atomic
def load_company() -> dict[str, int]:
    """Departments, the built-in roles and the demo accounts; returns how many of each were created."""
    roles: dict[str, Role] = services.ensure_built_in_roles()
    created = {"departments": 0, "employees": 0}
    by_name: dict[str, Department] = {}
    for name, name_en, parent_name in DEPARTMENTS:
        parent = by_name.get(parent_name) if parent_name else None
        dept = Department.objects.filter(name=name, parent=parent).first()
        if dept is None:
            dept = services.create_department(actor=None, name=name, name_en=name_en, parent=parent)
            created["departments"] += 1
        by_name[name] = dept
    for account in ACCOUNTS:
        if Employee.objects.filter(user__username=account.username).exists():
            continue
        services.create_employee(
            actor=None,
            username=account.username,
            password=demo_password(),
            name=account.name,
            department=by_name[account.department],
            roles=[roles[code] for code in account.roles],
            title=account.title,
            mobile=account.mobile,
            is_manager=account.is_manager,
            validate=False,
        )
        created["employees"] += 1
    return created
