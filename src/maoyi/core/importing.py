"""Importing rows (导入) of one kind — customers, products, opening stock… — from a table the user
filled in (`core.tabular.read_table`), all or nothing.

A `RowImporter` reads each row into the input of its kind's create service (`parse`, noting every
problem on its row and column), checks what only the whole file shows (`within_file`: the same key
twice) and writes the rows with that service (`create`, one call per row) in one transaction. The
preview (`check`) runs the same writes in a transaction that is always rolled back, each row in its
own savepoint, so the rules and messages are exactly those of the forms and every bad row is listed;
the import (`run`) then checks again and writes nothing unless every row passes. An importer whose
kind is too numerous for one service call per row (customers) overrides `write` with batched
inserts and checks its duplicates in `prepare` / `within_file` instead (`dry_run = False`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.errors import DomainError
from maoyi.core.permissions import require_permission
from maoyi.core.tabular import (
    ImportInvalid,
    RowProblem,
    Table,
    TableRow,
    TemplateColumn,
    TemplateSheet,
    parse_decimal,
)

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "Cells",
    "ImportCheck",
    "Progress",
    "RowImporter",
    "chunks",
    "first_in_file",
]

# An import may be large (opening data of a whole company): up to 50,000 rows, 20 MB. The reader's
# own guards (scanned rows, columns, xlsx only from a zip) stay as they are.
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
BATCH = 1000

# Called with the share of the work done, from 0 to 1.
Progress = Callable[[float], None]

I = TypeVar("I")  # noqa: E741 - one row's input to the create service

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)


def _no_progress(_share: float) -> None:
    return None


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def labels(choices: Iterable[tuple[Any, Any]]) -> str:
    return str(_("、")).join(str(label) for _value, label in choices)


def choice_lookup(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """A choice by its label (in Chinese and in the active language) or its stored value."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[str(value).lower()] = str(value)
        lookup[str(label).lower()] = str(value)
    return lookup


class Cells:
    """One row's cells read as values; every problem is noted on its row and column."""

    def __init__(self, row: TableRow, problems: list[RowProblem]):
        self.row = row
        self.number = row.number
        self._problems = problems
        self.failed = False

    def refuse(self, column: str, message: str | Promise) -> None:
        self.failed = True
        self._problems.append(RowProblem(self.number, column, str(message)))

    def text(self, column: str, *, required: str | Promise = "", max_length: int = 0) -> str:
        value = self.row.get(column)
        if not value:
            if required:
                self.refuse(column, required)
            return ""
        if max_length and len(value) > max_length:
            self.refuse(column, _("最多 %(limit)s 个字。") % {"limit": max_length})
        return value

    def decimal(
        self,
        column: str,
        *,
        label: str | Promise,
        places: int = 2,
        default: Decimal | None = None,
        required: bool = False,
        positive: bool = False,
    ) -> Decimal | None:
        text = self.row.get(column)
        if not text:
            if required:
                self.refuse(column, _("请填写%(label)s。") % {"label": label})
            return default
        number = parse_decimal(text)
        if number is None:
            self.refuse(column, _("%(label)s应为数字。") % {"label": label})
        elif positive and number <= 0:
            self.refuse(column, _("%(label)s必须大于零。") % {"label": label})
        elif number < 0:
            self.refuse(column, _("%(label)s不能为负数。") % {"label": label})
        elif number != number.quantize(Decimal(1).scaleb(-places)):
            self.refuse(column, _("%(label)s最多 %(places)s 位小数。") % {"label": label, "places": places})
        elif number.adjusted() >= 16:
            self.refuse(column, _("%(label)s太大。") % {"label": label})
        else:
            return number
        return default

    def integer(self, column: str, *, label: str | Promise) -> int | None:
        number = self.decimal(column, label=label, places=0)
        return int(number) if number is not None else None

    def date(self, column: str, *, label: str | Promise, required: bool = False) -> dt.date | None:
        text = self.row.get(column)
        if not text:
            if required:
                self.refuse(column, _("请填写%(label)s。") % {"label": label})
            return None
        match = _DATE_RE.match(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        self.refuse(column, _("%(label)s应为日期，例如 2024-01-31。") % {"label": label})
        return None

    def choice(
        self, column: str, lookup: Mapping[str, str], *, message: str | Promise, default: str = ""
    ) -> str:
        text = self.row.get(column)
        if not text:
            return default
        value = lookup.get(text.lower())
        if value is None:
            self.refuse(column, message)
            return default
        return value

    def boolean(self, column: str, *, default: bool) -> bool:
        text = self.row.get(column).lower()
        if not text:
            return default
        if text in {"是", "y", "yes", "true", "1"}:
            return True
        if text in {"否", "n", "no", "false", "0"}:
            return False
        self.refuse(column, _("请填写“是”或“否”。"))
        return default


def first_in_file(
    rows: Iterable[tuple[int, str]], *, column: str, message: str | Promise, problems: list[RowProblem]
) -> None:
    """A key (row number, key; blank keys skipped) already on an earlier row: the later row is
    refused naming the earlier one (`message` takes %(row)s)."""
    first: dict[str, int] = {}
    for number, key in rows:
        if not key:
            continue
        earlier = first.setdefault(key, number)
        if earlier != number:
            problems.append(RowProblem(number, column, str(message) % {"row": earlier}))


def by_login_or_name(queryset: Any, keys: Iterable[str]) -> dict[str, Any | None]:
    """Employees (any queryset of them) by login and by name, for cells naming a person; a name two
    of them share maps to None (the cell must then give the login)."""
    from django.db.models import Q

    found: dict[str, Any | None] = {}
    for chunk in chunks(sorted(set(keys))):
        for employee in queryset.filter(Q(user__username__in=chunk) | Q(name__in=chunk)).select_related(
            "user"
        ):
            found[employee.user.get_username()] = employee
            if employee.name in found and found[employee.name] not in (None, employee):
                found[employee.name] = None
            else:
                found.setdefault(employee.name, employee)
    return found


@dataclass
class ImportCheck(Generic[I]):
    """A checked table: each parsed row (number, input) and every problem found."""

    rows: list[tuple[int, I]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and bool(self.rows)


class _Rollback(Exception):
    pass


class RowImporter(Generic[I]):
    """One kind of import; subclasses name the columns and the permission and implement `parse`
    and `create` (and `prepare` for the lookups of the whole file, `within_file` for keys that
    may appear only once)."""

    slug = ""
    title: str | Promise = ""
    noun: str | Promise = ""  # what one row becomes, for messages: 客户、商品
    permissions: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    field_columns: Mapping[str, str] = {}
    dry_run = True
    max_rows = MAX_ROWS
    max_bytes = MAX_BYTES

    # What a subclass provides -------------------------------------------------------------------------

    def template_columns(self) -> Sequence[TemplateColumn]:
        raise NotImplementedError

    def notes(self) -> Sequence[str]:
        return ()

    def prepare(self, table: Table, *, actor: Any) -> Any:
        """Everything the rows refer to, looked up for the whole file in a few queries."""
        return None

    def parse(self, cells: Cells, context: Any) -> I | None:
        raise NotImplementedError

    def within_file(self, rows: list[tuple[int, I]], problems: list[RowProblem]) -> None:
        return None

    def create(self, item: I, *, actor: Any, context: Any) -> None:
        raise NotImplementedError

    def column_of(self, exc: DomainError) -> str:
        return self.field_columns.get(exc.field or "", self.columns[0])

    # The frame ---------------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.template_columns())

    def template(self) -> TemplateSheet:
        notes = (
            _("第 1 行是列名，请不要修改；从第 2 行起每行填写一条数据。"),
            *self.notes(),
            _("每个文件最多 %(rows)s 行、%(mb)s MB；有任何错误时不会导入任何数据。")
            % {"rows": self.max_rows, "mb": f"{self.max_bytes / (1024 * 1024):g}"},
        )
        return TemplateSheet(
            title=str(self.title),
            columns=self.template_columns(),
            notes_title=str(gettext_lazy("填写说明")),
            notes=notes,
        )

    def _headers(self, table: Table) -> list[RowProblem]:
        columns = self.columns
        problems = [
            RowProblem(1, column, _("缺少此列，请使用导入模板。"))
            for column in self.required
            if column not in table.headers
        ]
        problems += [
            RowProblem(1, header, _("无法识别的列，请使用导入模板中的列名。"))
            for header in table.headers
            if header not in columns
        ]
        return problems

    def _sorted(self, problems: list[RowProblem]) -> list[RowProblem]:
        order = {c: i for i, c in enumerate(self.columns)}
        return sorted(problems, key=lambda p: (p.row, order.get(p.column, len(order))))

    def _parse_all(
        self, table: Table, *, actor: Any, progress: Progress, share: float
    ) -> tuple[ImportCheck[I], Any]:
        if not table.rows:
            raise ImportInvalid(
                message=gettext_lazy("文件中没有数据：第 1 行是列名，从第 2 行起每行填写一条。")
            )
        if len(table.rows) > self.max_rows:
            raise ImportInvalid(
                message=gettext_lazy("一次最多导入 %(limit)s 行数据，请分成几个文件。"), limit=self.max_rows
            )
        problems = self._headers(table)
        check: ImportCheck[I] = ImportCheck(problems=problems)
        if any(p.column in self.required for p in problems):
            return check, None
        context = self.prepare(table, actor=actor)
        total = len(table.rows)
        step = max(total // 20, 1)
        for index, row in enumerate(table.rows, start=1):
            cells = Cells(row, problems)
            item = self.parse(cells, context)
            if item is not None:  # a row with problems still counts for the duplicates in the file
                check.rows.append((row.number, item))
            if index % step == 0:
                progress(share * index / total)
        self.within_file(check.rows, problems)
        return check, context

    def write(
        self, rows: list[tuple[int, I]], *, actor: Any, context: Any, progress: Progress, savepoints: bool
    ) -> list[RowProblem]:
        """Each row through the create service; a refusal is noted on the column its field names."""
        problems: list[RowProblem] = []
        total = len(rows)
        step = max(total // 50, 1)
        for index, (number, item) in enumerate(rows, start=1):
            try:
                if savepoints:
                    with transaction.atomic():
                        self.create(item, actor=actor, context=context)
                else:
                    self.create(item, actor=actor, context=context)
            except ImportInvalid as exc:
                problems.extend(exc.problems)
            except DomainError as exc:
                problems.append(RowProblem(number, self.column_of(exc), exc.message))
            if index % step == 0:
                progress(index / total)
        return problems

    def _require(self, actor: Any) -> None:
        for perm in self.permissions:
            require_permission(actor, perm)

    def check(self, table: Table, *, actor: Any, progress: Progress = _no_progress) -> ImportCheck[I]:
        """Every row checked, every problem collected; nothing is kept (the preview shows this)."""
        self._require(actor)
        parse_share = 0.3 if self.dry_run else 1.0
        check, context = self._parse_all(table, actor=actor, progress=progress, share=parse_share)
        if self.dry_run and check.rows and not any(p.row == 1 for p in check.problems):
            bad = {p.row for p in check.problems}
            clean = [(n, item) for n, item in check.rows if n not in bad]
            try:
                with transaction.atomic():
                    check.problems += self.write(
                        clean,
                        actor=actor,
                        context=context,
                        progress=lambda share: progress(parse_share + (1 - parse_share) * share),
                        savepoints=True,
                    )
                    raise _Rollback
            except _Rollback:
                pass
        check.problems = self._sorted(check.problems)
        progress(1.0)
        return check

    @transaction.atomic
    def run(self, table: Table, *, actor: Any, progress: Progress = _no_progress) -> int:
        """Every row of `table` written, or — when any row has a problem — none (`import_invalid`,
        listing them all). Returns the number of rows imported."""
        self._require(actor)
        check, context = self._parse_all(table, actor=actor, progress=lambda s: progress(0.2 * s), share=1.0)
        if check.problems or not check.rows:
            raise ImportInvalid(self._sorted(check.problems), message=self.refused())
        problems = self.write(
            check.rows,
            actor=actor,
            context=context,
            progress=lambda share: progress(0.2 + 0.8 * share),
            savepoints=False,
        )
        if problems:
            raise ImportInvalid(self._sorted(problems), message=self.refused())
        progress(1.0)
        return len(check.rows)

    def refused(self) -> str:
        return _("导入数据有 %(count)s 处错误，没有导入任何数据。")
