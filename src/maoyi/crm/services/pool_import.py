"""Importing customers straight into the public pool (导入公海) from a table the manager filled in.

All or nothing: every row is checked first and every problem collected as (row, column, message);
any problem refuses the whole import with one `ImportInvalid` (`import_invalid`) and nothing is
written. The rules are those of creating one customer (`create_customer`): its field checks (run on
every row again just before the write), its keys (`core.normalize`) and its duplicate check (查重)
against every customer whoever owns it, whose message says only that the customer exists and who
owns it. Rows repeating an earlier row of the file (same name key, phone or tax id) name that row.

A clean table becomes customers without owner or department (where a release puts them), each with
an `OwnershipChange` (导入公海) and an audit entry, in one transaction. They are inserted in batches;
a twin created between the check and the write trips the unique indexes, and the refusal then names
its row like any other duplicate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.audit import services as audit
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_money
from maoyi.core.normalize import name_key, phone_key, tax_key
from maoyi.core.permissions import require_permission
from maoyi.core.tabular import (
    MAX_BYTES,
    MAX_ROWS,
    ImportInvalid,
    RowProblem,
    Table,
    TableRow,
    TemplateColumn,
    TemplateSheet,
    parse_decimal,
)
from maoyi.crm import selectors, services
from maoyi.crm.models import (
    Customer,
    CustomerKind,
    CustomerLevel,
    CustomerSource,
    OwnershipAction,
    OwnershipChange,
)
from maoyi.org.models import Employee
from maoyi.org.pinyin import initials

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "PERMISSIONS",
    "PoolImportCheck",
    "PoolImportRow",
    "check_pool_import",
    "import_pool_customers",
    "template",
]

# Who may import: they create customers and decide what the pool holds (managers, administrators).
PERMISSIONS = ("crm.add_customer", "crm.change_poolsettings")

NAME = "客户名称"
KIND = "客户类型"
LEVEL = "客户等级"
PHONE = "电话"
TAX_ID = "税号"
ADDRESS = "地址"
SOURCE = "客户来源"
TAGS = "标签"
NOTE = "备注"
CREDIT_LIMIT = "信用额度"

# The template's columns, in order; the headers are the file format, so they stay in Chinese.
COLUMNS = (NAME, KIND, LEVEL, PHONE, TAX_ID, ADDRESS, SOURCE, TAGS, NOTE, CREDIT_LIMIT)
REQUIRED = (NAME, KIND)
# A refusal of `create_customer` names a field; this is its column.
FIELD_COLUMNS = {
    "name": NAME,
    "kind": KIND,
    "level": LEVEL,
    "phone": PHONE,
    "tax_id": TAX_ID,
    "address": ADDRESS,
    "source": SOURCE,
    "tags": TAGS,
    "note": NOTE,
    "credit_limit": CREDIT_LIMIT,
}
MAX_NOTE = 2000
BATCH = 500
MAX_CREDIT_LIMIT = Decimal("9999999999999999.99")  # MoneyField: 18 digits, 2 decimals


@dataclass(frozen=True)
class PoolImportRow:
    """One checked row, in the values a customer is made of."""

    number: int
    name: str
    kind: str
    level: str
    phone: str
    tax_id: str
    address: str
    source: str
    tags: str
    note: str
    credit_limit: Decimal

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def kind_label(self) -> str:
        return str(CustomerKind(self.kind).label) if self.kind else ""

    @property
    def level_label(self) -> str:
        return str(CustomerLevel(self.level).label) if self.level else ""

    @property
    def source_label(self) -> str:
        return str(CustomerSource(self.source).label) if self.source else ""


@dataclass(frozen=True)
class PoolImportCheck:
    rows: list[PoolImportRow]
    problems: list[RowProblem]

    @property
    def problem_rows(self) -> set[int]:
        return {p.row for p in self.problems}


# Choices by what a sheet may say: the code, the Chinese label, or the label in the user's language.


def _choice_lookup(
    choices: Iterable[tuple[str, object]], *, extra: dict[str, str] | None = None
) -> dict[str, str]:
    pairs = list(choices)
    found: dict[str, str] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for value, label in pairs:
            found[str(label).strip().lower()] = value
    for value, label in pairs:
        found[str(label).strip().lower()] = value
        found[value.lower()] = value
    found.update(extra or {})
    return found


def _labels(choices: Iterable[tuple[str, object]]) -> str:
    # The list separator is translated too: 、 in Chinese, ", " in English.
    return str(_("、")).join(str(label) for _value, label in choices)


def _max_length(field: str) -> int:
    return int(getattr(Customer._meta.get_field(field), "max_length", 0) or 0)


class _RowChecker:
    """Reads one row's cells into a `PoolImportRow`, noting every problem on its column."""

    def __init__(self) -> None:
        self.kinds = _choice_lookup(CustomerKind.choices)
        self.levels = _choice_lookup(CustomerLevel.choices)
        self.sources = _choice_lookup(CustomerSource.choices)

    def check(self, row: TableRow, problems: list[RowProblem]) -> PoolImportRow:
        def refuse(column: str, message: str) -> None:
            problems.append(RowProblem(row.number, column, message))

        name = row.get(NAME)
        if not name:
            refuse(NAME, _("请填写客户名称。"))
        elif len(name) > _max_length("name"):
            refuse(NAME, _("最多 %(limit)s 个字。") % {"limit": _max_length("name")})
        elif not name_key(name):
            refuse(NAME, _("客户名称无效。"))

        kind = ""
        kind_text = row.get(KIND)
        if not kind_text:
            refuse(KIND, _("请填写客户类型：%(choices)s。") % {"choices": _labels(CustomerKind.choices)})
        elif (kind := self.kinds.get(kind_text.lower(), "")) == "":
            refuse(KIND, _("客户类型应为：%(choices)s。") % {"choices": _labels(CustomerKind.choices)})

        level = CustomerLevel.B.value
        level_text = row.get(LEVEL)
        if level_text:
            level = self.levels.get(level_text.lower(), "")
            if not level:
                codes = str(_("、")).join(v.upper() for v in CustomerLevel.values)
                refuse(
                    LEVEL,
                    _("客户等级应为 %(codes)s 或：%(choices)s。")
                    % {"codes": codes, "choices": _labels(CustomerLevel.choices)},
                )

        phone = row.get(PHONE)
        if len(phone) > _max_length("phone"):
            refuse(PHONE, _("最多 %(limit)s 个字。") % {"limit": _max_length("phone")})

        tax_id = tax_key(row.get(TAX_ID))
        if tax_id and not services.TAX_ID_RE.match(tax_id):
            refuse(TAX_ID, _("税号应为 15 到 20 位字母或数字。"))

        address = row.get(ADDRESS)
        if len(address) > _max_length("address"):
            refuse(ADDRESS, _("最多 %(limit)s 个字。") % {"limit": _max_length("address")})

        source = ""
        source_text = row.get(SOURCE)
        if source_text and (source := self.sources.get(source_text.lower(), "")) == "":
            refuse(SOURCE, _("客户来源应为：%(choices)s。") % {"choices": _labels(CustomerSource.choices)})

        tags = services._tags(row.get(TAGS))
        if len(tags) > _max_length("tags"):
            refuse(TAGS, _("最多 %(limit)s 个字。") % {"limit": _max_length("tags")})

        note = row.get(NOTE)
        if len(note) > MAX_NOTE:
            refuse(NOTE, _("最多 %(limit)s 个字。") % {"limit": MAX_NOTE})

        credit_limit = Decimal(0)
        credit_text = row.get(CREDIT_LIMIT)
        if credit_text:
            number = parse_decimal(credit_text)
            if number is None:
                refuse(CREDIT_LIMIT, _("信用额度应为数字。"))
            elif number < 0:
                refuse(CREDIT_LIMIT, _("信用额度不能为负数。"))
            elif number != number.quantize(Decimal("0.01")):
                refuse(CREDIT_LIMIT, _("信用额度最多两位小数。"))
            elif number > MAX_CREDIT_LIMIT:
                refuse(CREDIT_LIMIT, _("信用额度太大。"))
            else:
                credit_limit = number

        return PoolImportRow(
            number=row.number,
            name=name,
            kind=kind,
            level=level,
            phone=phone,
            tax_id=tax_id,
            address=address,
            source=source,
            tags=tags,
            note=note,
            credit_limit=credit_limit,
        )


def _check_headers(table: Table) -> list[RowProblem]:
    problems = [
        RowProblem(1, column, _("缺少此列，请使用导入模板。"))
        for column in REQUIRED
        if column not in table.headers
    ]
    problems += [
        RowProblem(1, header, _("无法识别的列，请使用导入模板中的列名。"))
        for header in table.headers
        if header not in COLUMNS
    ]
    return problems


def _within_file(rows: list[PoolImportRow], problems: list[RowProblem]) -> None:
    """The same name key, phone or tax id as an earlier row of the file."""
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        keys = ((NAME, name_key(row.name)), (PHONE, phone_key(row.phone)), (TAX_ID, row.tax_id))
        for column, key in keys:
            if not key:
                continue
            earlier = first.setdefault((column, key), row.number)
            if earlier != row.number:
                message = {
                    NAME: _("与第 %(row)s 行是同一个客户。"),
                    PHONE: _("与第 %(row)s 行的电话相同。"),
                    TAX_ID: _("与第 %(row)s 行的税号相同。"),
                }[column]
                problems.append(RowProblem(row.number, column, message % {"row": earlier}))


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _against_customers(rows: list[PoolImportRow], problems: list[RowProblem]) -> None:
    """The duplicate check of `create_customer` (name key, phone digits, tax id; every customer,
    whatever the scope), run for the whole file in a few queries; a match is reported on the column
    that matched, naming only who owns the customers found ("公海" for none)."""
    wanted = {
        "name_key": sorted({k for r in rows if (k := name_key(r.name))}),
        "phone_key": sorted({k for r in rows if (k := phone_key(r.phone))}),
        "tax_id": sorted({r.tax_id for r in rows if r.tax_id}),
    }
    found: dict[tuple[str, str], list[Customer]] = {}
    for field_name, values in wanted.items():
        for chunk in _chunks(values):
            matches = Customer.objects.filter(Q(**{f"{field_name}__in": chunk})).select_related("owner")
            for customer in matches.order_by("id"):
                found.setdefault((field_name, getattr(customer, field_name)), []).append(customer)
    for row in rows:
        keys = (
            (NAME, "name_key", name_key(row.name)),
            (PHONE, "phone_key", phone_key(row.phone)),
            (TAX_ID, "tax_id", row.tax_id),
        )
        for column, field_name, key in keys:
            customers = found.get((field_name, key)) if key else None
            if not customers:
                continue
            owners: list[str] = []
            for customer in customers:
                label = customer.owner.name if customer.owner is not None else _("公海")
                if label not in owners:
                    owners.append(label)
            duplicates = selectors.Duplicates(count=len(customers), owners="、".join(owners))
            problems.append(RowProblem(row.number, column, services.duplicate_error(duplicates).message))


def check_pool_import(table: Table) -> PoolImportCheck:
    """Every row checked, every problem collected; writes nothing (the preview shows this). Refuses
    outright (`ImportInvalid` without problems) a table with no rows or more than `MAX_ROWS`."""
    if not table.rows:
        raise ImportInvalid(
            message=gettext_lazy("文件中没有客户：第 1 行是列名，从第 2 行起每行填写一个客户。")
        )
    if len(table.rows) > MAX_ROWS:
        raise ImportInvalid(
            message=gettext_lazy("一次最多导入 %(limit)s 行数据，请分成几个文件。"), limit=MAX_ROWS
        )
    problems = _check_headers(table)
    if any(p.column in REQUIRED for p in problems):
        return PoolImportCheck(rows=[], problems=problems)
    checker = _RowChecker()
    rows = [checker.check(row, problems) for row in table.rows]
    _within_file(rows, problems)
    _against_customers(rows, problems)
    problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    return PoolImportCheck(rows=rows, problems=problems)


REFUSED = gettext_lazy("导入数据有 %(count)s 处错误，没有导入任何客户。")


def _customer(row: PoolImportRow, *, actor: Employee | None, now: dt.datetime) -> Customer:
    """The unsaved pool customer of a checked row, its keys derived as `create_customer` derives them;
    `create_customer`'s own field rules run on it once more (no query), so the two cannot drift."""
    try:
        services._check(
            None,
            name=row.name,
            kind=row.kind,
            level=row.level,
            tax_id=row.tax_id,
            credit_limit=row.credit_limit,
            price_level=None,
            parent=None,
            channel_partner=None,
            source=row.source,
        )
    except DomainError as exc:
        column = FIELD_COLUMNS.get(exc.field or "", NAME)
        raise ImportInvalid([RowProblem(row.number, column, exc.message)], message=REFUSED) from exc
    return Customer(
        name=row.name,
        kind=row.kind,
        level=row.level,
        phone=row.phone,
        tax_id=row.tax_id,
        address=row.address,
        credit_limit=quantize_money(row.credit_limit),
        source=row.source,
        tags=row.tags,
        note=row.note,
        owner=None,
        department=None,  # a pool customer is nobody's, as after a release
        owned_since=None,
        pinyin=initials(row.name),
        name_key=name_key(row.name),
        phone_key=phone_key(row.phone),
        created_by=actor.user if actor is not None else None,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def import_pool_customers(*, actor: Employee | None, table: Table) -> list[Customer]:
    """导入公海: every row of `table` becomes a customer in the public pool, with its ownership row
    (导入公海) and audit entry, or — when any row has a problem — none does (`import_invalid`,
    listing them all). Inserted in batches: a file of thousands of rows holds the database's
    write lock for seconds, not minutes."""
    for perm in PERMISSIONS:
        require_permission(actor, perm)
    checked = check_pool_import(table)
    if checked.problems:
        raise ImportInvalid(checked.problems, message=REFUSED)
    now = timezone.now()
    customers = [_customer(row, actor=actor, now=now) for row in checked.rows]
    try:
        with transaction.atomic():  # a twin created since the check trips the unique indexes
            created = Customer.objects.bulk_create(customers, batch_size=BATCH)
    except IntegrityError:
        again = check_pool_import(table)
        if again.problems:
            raise ImportInvalid(again.problems, message=REFUSED) from None
        raise
    OwnershipChange.objects.bulk_create(
        [
            OwnershipChange(customer=c, action=OwnershipAction.IMPORT, to_owner=None, actor=actor, at=now)
            for c in created
        ],
        batch_size=BATCH,
    )
    for customer in created:
        audit.record_created(actor, customer, services.CUSTOMER_FIELDS)
    return created


# The template ---------------------------------------------------------------------------------------------


def template() -> TemplateSheet:
    """The .xlsx the manager fills in (see `core.tabular.write_template`)."""
    kinds = _labels(CustomerKind.choices)
    levels = "、".join(f"{v.upper()}（{label}）" for v, label in CustomerLevel.choices)
    sources = _labels(CustomerSource.choices)
    columns = (
        TemplateColumn(
            NAME,
            required=True,
            width=32,
            note=_("同名客户（忽略空格、括号和“有限公司”等后缀）不能重复导入。"),
            example="北京协和医院",
        ),
        TemplateColumn(
            KIND,
            required=True,
            width=12,
            note=_("填写：%(choices)s。") % {"choices": kinds},
            example="终端客户",
        ),
        TemplateColumn(
            LEVEL, width=10, note=_("填写：%(choices)s；不填为 B。") % {"choices": levels}, example="B"
        ),
        TemplateColumn(
            PHONE, width=18, text=True, note=_("电话相同的客户不能重复导入。"), example="010-69156114"
        ),
        TemplateColumn(
            TAX_ID,
            width=24,
            text=True,
            note=_("15 到 20 位字母或数字；税号相同的客户不能重复导入。"),
            example="91110000MA01234567",
        ),
        TemplateColumn(ADDRESS, width=36, note="", example="北京市东城区帅府园1号"),
        TemplateColumn(
            SOURCE, width=12, note=_("填写：%(choices)s。") % {"choices": sources}, example="展会"
        ),
        TemplateColumn(TAGS, width=20, note=_("多个标签用逗号分隔。"), example="三甲,重点"),
        TemplateColumn(NOTE, width=30, note="", example=""),
        TemplateColumn(
            CREDIT_LIMIT, width=14, note=_("金额，不能为负数，最多两位小数；不填为 0。"), example="50000.00"
        ),
    )
    notes = (
        _("第 1 行是列名，请不要修改；从第 2 行起每行填写一个客户。"),
        _("导入的客户进入公海（没有负责人），业务员可以领取。"),
        _("每个文件最多 %(rows)s 行、%(mb)s MB；有任何错误时不会导入任何客户。")
        % {"rows": MAX_ROWS, "mb": f"{MAX_BYTES / (1024 * 1024):g}"},
    )
    return TemplateSheet(title=_("公海客户"), columns=columns, notes_title=_("填写说明"), notes=notes)
