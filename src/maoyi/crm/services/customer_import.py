"""Importing customers (导入客户) and their contacts (导入联系人) from a table.

Customers: the cells are read as the public pool import reads them (`pool_import`: same columns,
same field rules, same duplicate check against every customer and within the file), plus a 负责人
column: blank makes the importer the owner; otherwise an active employee in the importer's data
scope, named by login or by name. A clean file is inserted in batches (tens of thousands of rows
in seconds), each customer with its ownership row (新建) and audit entry; `create_customer`'s field
rules run on every row once more just before the insert.

Contacts: one per row through `add_contact`, whose rules and messages apply; the customer is named
by its name (spaces, brackets and 有限公司 ignored) and must be one the importer may change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.audit import services as audit
from maoyi.core.importing import BATCH, Cells, Progress, RowImporter, by_login_or_name, chunks, first_in_file
from maoyi.core.normalize import name_key
from maoyi.core.tabular import RowProblem, Table, TemplateColumn
from maoyi.crm import services as crm_services
from maoyi.crm.models import Contact, Customer, OwnershipAction, OwnershipChange
from maoyi.crm.services import contacts
from maoyi.crm.services import pool_import as pool
from maoyi.org import scope
from maoyi.org.models import Employee, EmployeeStatus

OWNER = "负责人"
CUSTOMER_COLUMNS = (*pool.COLUMNS, OWNER)


@dataclass(frozen=True)
class CustomerContext:
    actor: Employee | None
    owners: dict[str, Employee | None]  # by login and by name (None: the name is not unique)
    checker: pool._RowChecker


@dataclass(frozen=True)
class _Owned:
    """A checked row and who will own the customer (None: the public pool)."""

    row: pool.PoolImportRow
    owner: Employee | None


class CustomerImporter(RowImporter[_Owned]):
    slug = "customers"
    title = gettext_lazy("客户")
    noun = gettext_lazy("个客户")
    permissions = ("crm.add_customer",)
    required = pool.REQUIRED
    field_columns = {**pool.FIELD_COLUMNS, "owner": OWNER}
    dry_run = False  # checked in batches below; one service call per row is too slow for 50,000

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        owner = TemplateColumn(
            OWNER,
            width=14,
            note=_("员工的登录名或姓名，须在你的数据范围内；不填为导入人。"),
            example="",
        )
        return (*pool.template().columns, owner)

    def notes(self) -> tuple[str, ...]:
        return (_("名称、电话或税号与已有客户或文件中其他行相同的，不能导入。"),)

    def prepare(self, table: Table, *, actor: Any) -> CustomerContext:
        employees = Employee.objects.filter(status=EmployeeStatus.ACTIVE).select_related("department")
        if actor is not None:
            employees = scope.visible(actor.user, employees)
        owners = by_login_or_name(employees, (v for row in table.rows if (v := row.get(OWNER))))
        return CustomerContext(actor=actor, owners=owners, checker=pool._RowChecker())

    def parse(self, cells: Cells, context: CustomerContext) -> _Owned | None:
        row = context.checker.check(cells.row, _Noting(cells))
        name = cells.row.get(OWNER)
        owner = context.actor
        if name:
            if name not in context.owners:
                cells.refuse(
                    OWNER, _("没有找到员工“%(name)s”（须是你数据范围内的在职员工）。") % {"name": name}
                )
            elif (owner := context.owners[name]) is None:
                cells.refuse(OWNER, _("有多个员工叫“%(name)s”，请填写登录名。") % {"name": name})
        return _Owned(row, owner)

    def within_file(self, rows: list[tuple[int, _Owned]], problems: list[RowProblem]) -> None:
        pool._within_file([r.row for _n, r in rows], problems)
        pool._against_customers([r.row for _n, r in rows], problems)

    def write(
        self,
        rows: list[tuple[int, _Owned]],
        *,
        actor: Any,
        context: Any,
        progress: Progress,
        savepoints: bool,
    ) -> list[RowProblem]:
        now = timezone.now()
        customers: list[Customer] = []
        for _number, row in rows:
            customer = pool._customer(row.row, actor=actor, now=now)  # `create_customer`'s rules again
            customer.owner = row.owner
            customer.department = row.owner.department if row.owner is not None else None
            customer.owned_since = now if row.owner is not None else None
            customers.append(customer)
        progress(0.1)
        created: list[Customer] = []
        try:
            with transaction.atomic():  # a twin created since the check trips the unique indexes
                for index, batch in enumerate(chunks(customers, BATCH), start=1):
                    created += Customer.objects.bulk_create(batch)
                    progress(0.1 + 0.4 * index * BATCH / len(customers))
        except IntegrityError:
            problems: list[RowProblem] = []
            pool._against_customers([r.row for _n, r in rows], problems)
            if problems:
                return problems
            raise
        OwnershipChange.objects.bulk_create(
            [
                OwnershipChange(
                    customer=c,
                    action=OwnershipAction.CREATE if c.owner_id else OwnershipAction.IMPORT,
                    to_owner=c.owner,
                    actor=actor,
                    at=now,
                )
                for c in created
            ],
            batch_size=BATCH,
        )
        progress(0.6)
        audit.record_created_many(actor, created, crm_services.CUSTOMER_FIELDS, batch_size=BATCH)
        progress(1.0)
        return []


class _Noting(list[RowProblem]):
    """The pool checker's problem list, marking the row as failed when it notes one."""

    def __init__(self, cells: Cells):
        super().__init__()
        self.cells = cells

    def append(self, problem: RowProblem) -> None:
        self.cells.refuse(problem.column, problem.message)


# Contacts --------------------------------------------------------------------------------------------------

CUSTOMER = "客户名称"
CONTACT_NAME = "姓名"
DEPARTMENT = "部门"
TITLE = "职务"
MOBILE = "手机"
PHONE = "电话"
EMAIL = "邮箱"
WECHAT = "微信"
PRIMARY = "主要联系人"
NOTE = "备注"


@dataclass(frozen=True)
class ContactRow:
    customer: Customer
    name: str
    department: str
    title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    is_primary: bool
    note: str


class ContactImporter(RowImporter[ContactRow]):
    slug = "contacts"
    title = gettext_lazy("联系人")
    noun = gettext_lazy("个联系人")
    permissions = ("crm.add_contact",)
    required = (CUSTOMER, CONTACT_NAME)
    field_columns = {
        "customer": CUSTOMER,
        "name": CONTACT_NAME,
        "department": DEPARTMENT,
        "title": TITLE,
        "mobile": MOBILE,
        "phone": PHONE,
        "email": EMAIL,
        "wechat": WECHAT,
        "is_primary": PRIMARY,
        "note": NOTE,
    }

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        return (
            TemplateColumn(
                CUSTOMER,
                required=True,
                width=32,
                note=_("已有客户的名称（忽略空格、括号和“有限公司”等后缀），须是你负责或可管理的客户。"),
                example="北京协和医院",
            ),
            TemplateColumn(CONTACT_NAME, required=True, width=12, example="张伟"),
            TemplateColumn(DEPARTMENT, width=14, example="设备科"),
            TemplateColumn(TITLE, width=12, example="科长"),
            TemplateColumn(MOBILE, width=16, text=True, note=_("7 到 15 位数字。"), example="13800138000"),
            TemplateColumn(PHONE, width=16, text=True, example="010-69156114"),
            TemplateColumn(EMAIL, width=24, example="zhangwei@example.com"),
            TemplateColumn(WECHAT, width=14, example=""),
            TemplateColumn(PRIMARY, width=10, note=_("填写“是”或“否”；不填为否。"), example="是"),
            TemplateColumn(NOTE, width=30, example=""),
        )

    def prepare(self, table: Table, *, actor: Any) -> dict[str, list[Customer]]:
        keys = sorted({k for row in table.rows if (k := name_key(row.get(CUSTOMER)))})
        found: dict[str, list[Customer]] = {}
        customers = Customer.objects.all()
        if actor is not None:
            customers = scope.visible(actor.user, customers)
        for chunk in chunks(keys):
            for customer in customers.filter(name_key__in=chunk).order_by("id"):
                found.setdefault(customer.name_key, []).append(customer)
        return found

    def parse(self, cells: Cells, context: dict[str, list[Customer]]) -> ContactRow | None:
        name = cells.text(CUSTOMER, required=_("请填写客户名称。"))
        customer = None
        if name:
            matches = context.get(name_key(name), [])
            if not matches:
                cells.refuse(CUSTOMER, _("没有找到客户“%(name)s”（须是你可以查看的客户）。") % {"name": name})
            else:
                customer = matches[0]
        contact = cells.text(CONTACT_NAME, required=_("请填写联系人姓名。"), max_length=_length("name"))
        fields = {
            "department": cells.text(DEPARTMENT, max_length=_length("department")),
            "title": cells.text(TITLE, max_length=_length("title")),
            "mobile": cells.text(MOBILE, max_length=_length("mobile")),
            "phone": cells.text(PHONE, max_length=_length("phone")),
            "email": cells.text(EMAIL, max_length=_length("email")),
            "wechat": cells.text(WECHAT, max_length=_length("wechat")),
        }
        is_primary = cells.boolean(PRIMARY, default=False)
        note = cells.text(NOTE)
        if customer is None:
            return None
        return ContactRow(customer=customer, name=contact, is_primary=is_primary, note=note, **fields)

    def within_file(self, rows: list[tuple[int, ContactRow]], problems: list[RowProblem]) -> None:
        first_in_file(
            ((n, str(r.customer.pk)) for n, r in rows if r.is_primary),
            column=PRIMARY,
            message=gettext_lazy("第 %(row)s 行已是该客户的主要联系人。"),
            problems=problems,
        )

    def create(self, item: ContactRow, *, actor: Any, context: Any) -> None:
        contacts.add_contact(actor=actor, **{k: getattr(item, k) for k in _CONTACT_ARGS})


_CONTACT_ARGS = (
    "customer",
    "name",
    "department",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "is_primary",
    "note",
)


def _length(field: str) -> int:
    return int(getattr(Contact._meta.get_field(field), "max_length", 0) or 0)


CUSTOMERS = CustomerImporter()
CONTACTS = ContactImporter()

__all__ = ["CONTACTS", "CUSTOMERS", "ContactImporter", "CustomerImporter"]
