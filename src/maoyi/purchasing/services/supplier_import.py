"""Importing suppliers (导入供应商) from a table: one `create_supplier` call per row, so its rules and
messages are those of the supplier form (a blank code takes the next GYS number); codes, names
(without spaces, brackets and 有限公司) and tax ids may appear only once in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.importing import Cells, RowImporter, by_login_or_name, choice_lookup, first_in_file, labels
from maoyi.core.money import Currency
from maoyi.core.tabular import RowProblem, Table, TemplateColumn
from maoyi.org.models import Employee, EmployeeStatus
from maoyi.purchasing.models import Supplier
from maoyi.purchasing.services import suppliers

CODE = "供应商编码"
NAME = "供应商名称"
SHORT_NAME = "简称"
CURRENCY = "币种"
PHONE = "电话"
EMAIL = "邮箱"
ADDRESS = "地址"
TAX_ID = "税号"
BANK_NAME = "开户行"
BANK_ACCOUNT = "银行账号"
TERMS_DAYS = "账期（天）"
TERMS = "付款条件"
BUYER = "采购负责人"
NOTE = "备注"


@dataclass(frozen=True)
class SupplierRow:
    code: str
    name: str
    short_name: str
    currency: str
    phone: str
    email: str
    address: str
    tax_id: str
    bank_name: str
    bank_account: str
    payment_terms_days: int
    payment_terms: str
    buyer: Employee | None
    note: str


@dataclass(frozen=True)
class SupplierContext:
    buyers: dict[str, Any]
    currencies: dict[str, str]


def _length(field: str) -> int:
    return int(getattr(Supplier._meta.get_field(field), "max_length", 0) or 0)


class SupplierImporter(RowImporter[SupplierRow]):
    slug = "suppliers"
    title = gettext_lazy("供应商")
    noun = gettext_lazy("个供应商")
    permissions = ("purchasing.add_supplier",)
    required = (NAME,)
    field_columns = {
        "code": CODE,
        "name": NAME,
        "currency": CURRENCY,
        "email": EMAIL,
        "tax_id": TAX_ID,
        "payment_terms_days": TERMS_DAYS,
        "buyer": BUYER,
    }

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        return (
            TemplateColumn(
                CODE, text=True, note=_("不填则自动编号（GYS0001…）；不能与已有供应商重复。"), example=""
            ),
            TemplateColumn(
                NAME,
                required=True,
                width=32,
                note=_("同名供应商（忽略空格、括号和“有限公司”等后缀）不能重复导入。"),
                example="上海康德莱企业发展集团股份有限公司",
            ),
            TemplateColumn(SHORT_NAME, width=12, example="康德莱"),
            TemplateColumn(
                CURRENCY,
                width=10,
                note=_("填写：%(choices)s（或 CNY、USD…）；不填为人民币。")
                % {"choices": labels(Currency.choices)},
                example="人民币",
            ),
            TemplateColumn(PHONE, width=16, text=True, example="021-12345678"),
            TemplateColumn(EMAIL, width=24, example="sales@example.com"),
            TemplateColumn(ADDRESS, width=32, example="上海市嘉定区"),
            TemplateColumn(
                TAX_ID,
                width=24,
                text=True,
                note=_("税号相同的供应商不能重复导入。"),
                example="91310000123456789X",
            ),
            TemplateColumn(BANK_NAME, width=20, example="中国银行上海分行"),
            TemplateColumn(BANK_ACCOUNT, width=24, text=True, example="6222000000000000"),
            TemplateColumn(TERMS_DAYS, width=10, note=_("天数；不填为 30。"), example="30"),
            TemplateColumn(TERMS, width=20, example="月结30天"),
            TemplateColumn(BUYER, width=12, note=_("在职员工的登录名或姓名；可不填。"), example=""),
            TemplateColumn(NOTE, width=30, example=""),
        )

    def notes(self) -> tuple[str, ...]:
        return (_("编码、名称或税号与已有供应商或文件中其他行相同的，不能导入。"),)

    def prepare(self, table: Table, *, actor: Any) -> SupplierContext:
        wanted = [v for row in table.rows if (v := row.get(BUYER))]
        buyers = (
            by_login_or_name(Employee.objects.filter(status=EmployeeStatus.ACTIVE), wanted) if wanted else {}
        )
        return SupplierContext(buyers=buyers, currencies=choice_lookup(Currency.choices))

    def parse(self, cells: Cells, context: SupplierContext) -> SupplierRow | None:
        buyer = None
        buyer_name = cells.text(BUYER)
        if buyer_name:
            if buyer_name not in context.buyers:
                cells.refuse(BUYER, _("没有找到在职员工“%(name)s”。") % {"name": buyer_name})
            elif (buyer := context.buyers[buyer_name]) is None:
                cells.refuse(BUYER, _("有多个员工叫“%(name)s”，请填写登录名。") % {"name": buyer_name})
        days = cells.integer(TERMS_DAYS, label=_("账期"))
        return SupplierRow(
            code=cells.text(CODE, max_length=_length("code")),
            name=cells.text(NAME, max_length=_length("name")),
            short_name=cells.text(SHORT_NAME, max_length=_length("short_name")),
            currency=cells.choice(
                CURRENCY,
                context.currencies,
                message=_("币种应为：%(choices)s。") % {"choices": labels(Currency.choices)},
                default=Currency.CNY,
            ),
            phone=cells.text(PHONE, max_length=_length("phone")),
            email=cells.text(EMAIL, max_length=_length("email")),
            address=cells.text(ADDRESS, max_length=_length("address")),
            tax_id=cells.text(TAX_ID, max_length=_length("tax_id")),
            bank_name=cells.text(BANK_NAME, max_length=_length("bank_name")),
            bank_account=cells.text(BANK_ACCOUNT, max_length=_length("bank_account")),
            payment_terms_days=30 if days is None else days,
            payment_terms=cells.text(TERMS, max_length=_length("payment_terms")),
            buyer=buyer,
            note=cells.text(NOTE),
        )

    def within_file(self, rows: list[tuple[int, SupplierRow]], problems: list[RowProblem]) -> None:
        first_in_file(
            ((n, r.code.lower()) for n, r in rows),
            column=CODE,
            message=gettext_lazy("与第 %(row)s 行的供应商编码相同。"),
            problems=problems,
        )
        first_in_file(
            ((n, suppliers.name_key(r.name)) for n, r in rows),
            column=NAME,
            message=gettext_lazy("与第 %(row)s 行是同一个供应商。"),
            problems=problems,
        )
        first_in_file(
            ((n, re.sub(r"\s+", "", r.tax_id).upper()) for n, r in rows),
            column=TAX_ID,
            message=gettext_lazy("与第 %(row)s 行的税号相同。"),
            problems=problems,
        )

    def create(self, item: SupplierRow, *, actor: Any, context: Any) -> None:
        suppliers.create_supplier(actor=actor, **item.__dict__)


SUPPLIERS = SupplierImporter()
