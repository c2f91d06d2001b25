"""Uploaded tables (导入) and their templates: read an .xlsx or .csv the user filled in, write the
.xlsx template they fill.

`read_table` returns the rows keyed by their header cell's text, each with its row number as Excel
shows it (the header is row 1), so every refusal can point at "第 N 行 ·「列」". It reads no formulas
(only the values Excel saved), skips blank rows, and refuses with `invalid_file` (field "file") a
file too large, of another format, unreadable, empty, with a blank or repeated header, or with more
data rows than allowed. What the cells must contain is the importing service's business: it
collects every `RowProblem` and raises one `ImportInvalid` (`import_invalid`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Columns read per row: a sheet whose dimension claims all 16,384 columns is read as its first ones.
MAX_COLUMNS = 100
# Row records scanned (blank ones included): beyond this the sheet is refused, not read for minutes.
MAX_SCANNED_ROWS = 100_000
# What the parts of an .xlsx may add up to once unzipped: a sheet of MAX_ROWS rows needs a few MB; a
# tiny file claiming gigabytes is a zip bomb. The sizes zipfile reports are those it enforces.
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
EXTENSIONS = ("xlsx", "csv")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class TableRow:
    """One data row: its number as Excel shows it (header = 1) and each column's text, stripped."""

    number: int
    values: dict[str, str]

    def get(self, header: str) -> str:
        return self.values.get(header, "")


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]

    def to_data(self) -> dict[str, Any]:
        """A JSON-able form (for a signed hidden field between a preview and its confirmation)."""
        return {
            "headers": list(self.headers),
            "rows": [[row.number, [row.values.get(h, "") for h in self.headers]] for row in self.rows],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Table:
        headers = tuple(str(h) for h in data["headers"])
        rows = tuple(
            TableRow(int(number), dict(zip(headers, (str(v) for v in values), strict=True)))
            for number, values in data["rows"]
        )
        return cls(headers=headers, rows=rows)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one cell: 第 `row` 行 ·「`column`」· `message` (row 1 is the header)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return str(_("第 %(row)s 行 ·「%(column)s」· %(message)s")) % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportInvalid(DomainError):
    """An import refused as a whole; `problems` lists every cell at fault (possibly none, when the
    file as a whole is wrong: no rows, too many rows)."""

    code = "import_invalid"
    default_message = _("导入数据有 %(count)s 处错误，没有导入任何数据。")

    def __init__(
        self,
        problems: Sequence[RowProblem] = (),
        message: str | Promise | None = None,
        **params: Any,
    ):
        self.problems = list(problems)
        params.setdefault("count", len(self.problems))
        super().__init__(message, field="file", **params)


def file_error(message: str | Promise, **params: Any) -> DomainError:
    return DomainError(message, code="invalid_file", field="file", **params)


# Reading ------------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as the user typed it: numbers without a trailing ".0" or exponent, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        number = Decimal(repr(value))
        text = format(number, "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time.min:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _read_bytes(upload: IO[bytes], max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_large(max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def _too_large(max_bytes: int) -> DomainError:
    return file_error(_("文件太大：最大 %(limit)s MB。"), limit=f"{max_bytes / (1024 * 1024):g}")


def _check_xlsx_parts(data: bytes) -> None:
    """Refuse, before openpyxl parses anything, a zip bomb (parts adding up to more than
    MAX_UNZIPPED_BYTES, or too many parts) and any part with a DOCTYPE (entity declarations:
    external entities, "billion laughs"); Excel never writes one."""
    unreadable = file_error(_("无法读取此 Excel 文件，请确认是 .xlsx 格式。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise unreadable from None
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise file_error(
            _("Excel 文件解压后超过 %(limit)s MB（可能是“压缩炸弹”），已拒绝，没有导入任何数据。"),
            limit=MAX_UNZIPPED_BYTES // (1024 * 1024),
        )
    try:
        for member in members:
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            tail = b""
            with archive.open(member) as part:
                while chunk := part.read(256 * 1024):
                    window = (tail + chunk).lower()
                    if b"<!doctype" in window or b"<!entity" in window:
                        raise file_error(
                            _("Excel 文件含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝，没有导入任何数据。")
                        )
                    tail = window[-16:]
    except DomainError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        raise unreadable from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    if not data.startswith(_ZIP):
        raise file_error(_("无法读取此 Excel 文件，请确认是 .xlsx 格式。"))
    _check_xlsx_parts(data)
    from openpyxl import load_workbook  # imported here: only an import needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or disguised file: openpyxl raises many kinds
        raise file_error(_("无法读取此 Excel 文件，请确认是 .xlsx 格式。")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        try:
            yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        except DomainError:
            raise
        except Exception:
            raise file_error(_("无法读取此 Excel 文件，请确认是 .xlsx 格式。")) from None
    finally:
        book.close()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel adds), else GB18030 (what Chinese Excel saves as CSV)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error(_("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码。"))


def _csv_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    text = _decode(data)
    if "\x00" in text:
        raise file_error(_("无法读取此 CSV 文件。"))
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield tuple(row[:MAX_COLUMNS])
    except csv.Error:
        raise file_error(_("无法读取此 CSV 文件。")) from None


def _headers(cells: Sequence[Any]) -> list[str]:
    headers = [cell_text(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise file_error(_("第 1 行应为列名（表头），请使用导入模板。"))
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise file_error(_("第 1 行的列名“%(name)s”重复。"), name=header)
        seen.add(header)
    return headers


def read_table(
    upload: IO[bytes],
    *,
    name: str,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Table:
    """The first sheet of an .xlsx (or a .csv), its first row as the headers. Columns with a blank
    header are ignored; blank rows are skipped but keep their numbers."""
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext == "xls":
        raise file_error(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传。"))
    if ext not in EXTENSIONS:
        raise file_error(_("请上传 .xlsx 或 .csv 文件。"))
    data = _read_bytes(upload, max_bytes)
    if not data.strip():
        raise file_error(_("文件是空的。"))
    source: Iterable[tuple[Any, ...]] = _xlsx_rows(data) if ext == "xlsx" else _csv_rows(data)
    headers: list[str] | None = None
    rows: list[TableRow] = []
    for number, cells in enumerate(source, start=1):
        if number > MAX_SCANNED_ROWS:
            raise file_error(
                _("表格超过 %(limit)s 行（含空行），请删除多余的行后重试。"), limit=MAX_SCANNED_ROWS
            )
        if headers is None:
            headers = _headers(cells)
            continue
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        if len(rows) >= max_rows:
            raise file_error(_("一次最多导入 %(limit)s 行数据，请分成几个文件。"), limit=max_rows)
        values = {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers) if h}
        rows.append(TableRow(number=number, values=values))
    if headers is None:
        raise file_error(_("文件是空的。"))
    return Table(headers=tuple(h for h in headers if h), rows=tuple(rows))


def parse_decimal(text: str) -> Decimal | None:
    """A number as typed in a sheet ("1,234.50", "¥ 800"), or None when it is not one."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# The template -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateColumn:
    """A column of an import template: its header, whether it must be filled, what to put in it
    (shown on the notes sheet), its width in characters, and whether Excel should keep it as text
    (phone numbers and tax ids, which Excel would otherwise turn into numbers)."""

    header: str
    required: bool = False
    note: str = ""
    width: int = 16
    text: bool = False
    example: str = ""


@dataclass(frozen=True)
class TemplateSheet:
    title: str
    columns: Sequence[TemplateColumn]
    notes_title: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


def write_template(template: TemplateSheet) -> bytes:
    """An .xlsx with the headers on the first sheet (bold, required ones marked in red, widths set,
    the first row frozen, text columns formatted as text) and a second sheet explaining each column
    with an example value. No example row on the first sheet: it would be imported."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = template.title[:31]
    bold = Font(bold=True)
    required = Font(bold=True, color="C00000")
    fill = PatternFill("solid", fgColor="F2F2F2")
    for index, column in enumerate(template.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = required if column.required else bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.text:
            dimension.number_format = "@"
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(str(template.notes_title or _("填写说明"))[:31])
    titles = (_("列名"), _("是否必填"), _("说明"), _("示例"))
    for index, title in enumerate(titles, start=1):
        cell = notes.cell(row=1, column=index, value=str(title))
        cell.font = bold
        cell.fill = fill
    for row, column in enumerate(template.columns, start=2):
        notes.cell(row=row, column=1, value=column.header).font = required if column.required else bold
        notes.cell(row=row, column=2, value=str(_("必填") if column.required else _("选填")))
        notes.cell(row=row, column=3, value=column.note).alignment = Alignment(wrap_text=True)
        notes.cell(row=row, column=4, value=column.example).number_format = "@"
    below = len(template.columns) + 3
    for offset, line in enumerate(template.notes):
        notes.cell(row=below + offset, column=1, value=line)
    for letter, width in (("A", 14), ("B", 10), ("C", 60), ("D", 30)):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Exports (导出) -------------------------------------------------------------------------------------------

MAX_EXPORT_ROWS = 50_000
MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.####"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# A cell beginning with one of these could run as a formula (or a DDE command) when opened.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_MAX_WIDTH = 50
_MIN_WIDTH = 6
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


class Kind:
    """How an export column's values are written: as text, or as numbers and dates Excel can sum
    and sort."""

    TEXT = "text"
    MONEY = "money"
    QUANTITY = "quantity"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    PERCENT = "percent"


_FORMATS = {
    Kind.MONEY: MONEY_FORMAT,
    Kind.QUANTITY: QUANTITY_FORMAT,
    Kind.NUMBER: "General",
    Kind.DATE: DATE_FORMAT,
    Kind.DATETIME: DATETIME_FORMAT,
    Kind.PERCENT: PERCENT_FORMAT,
}


@dataclass(frozen=True)
class ExportColumn:
    """A column of an exported sheet: its header (translated when written), where its value comes
    from (a dotted key into a dict or an object's attributes, or a function of the row), and its
    kind (`Kind`)."""

    label: str | Promise
    key: str = ""
    getter: Callable[[Any], Any] | None = None
    kind: str = Kind.TEXT

    def value(self, row: Any) -> Any:
        if self.getter is not None:
            return self.getter(row)
        value = row
        for part in self.key.split("."):
            if value is None:
                return None
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        return value() if callable(value) and not isinstance(value, Promise) else value


def neutralise(text: str) -> str:
    """Text that cannot run as a formula: one beginning with a formula trigger gets a leading
    apostrophe; characters XML cannot hold (NUL and other controls) are dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _as_decimal(value: Any) -> Decimal | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value if not isinstance(value, Decimal) or value.is_finite() else None
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        return parse_decimal(value)
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            # Excel has no time zones: the wall-clock time where the user is.
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min)
    return None


def _converted(kind: str, value: Any) -> Any:
    """The cell value for a column of this kind; anything that is not what the kind expects is
    written as (neutralised) text."""
    if value is None or value == "":
        return None
    converted: Any = None
    if kind in (Kind.MONEY, Kind.QUANTITY, Kind.NUMBER, Kind.PERCENT):
        converted = _as_decimal(value)
    elif kind == Kind.DATE:
        converted = _as_date(value)
    elif kind == Kind.DATETIME:
        converted = _as_datetime(value)
    if converted is not None:
        return converted
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, int | float | Decimal) and kind == Kind.TEXT:
        return value
    return neutralise(str(value))


def _display_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        if kind == Kind.MONEY:
            return len(f"{value:,.2f}")
        if kind == Kind.PERCENT:
            return len(f"{value:.2%}")
        return len(f"{value:,}")
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    longest = max(text.split("\n"), key=len) if "\n" in text else text
    # CJK characters are about twice as wide as Latin ones.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest[: _MAX_WIDTH * 2])


def safe_sheet_title(title: str | Promise) -> str:
    """A title Excel accepts: no []:*?/\\ and at most 31 characters."""
    text = str(title).translate(_SHEET_TITLE_FORBIDDEN).strip().strip("'")
    return text[:31] or "Sheet1"


def write_table(columns: Sequence[ExportColumn], rows: Iterable[Any], *, sheet_title: str | Promise) -> bytes:
    """An .xlsx of the rows: a bold, frozen header of the columns' labels (in the active language),
    money and quantities as numbers (#,##0.00 and #,##0.####), dates and times as real dates, each
    column as wide as its content (capped), and every text that could run as a formula
    neutralised (`neutralise`) and stored as a string. Written in openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    headers = [neutralise(str(column.label)) for column in columns]
    kinds = [column.kind for column in columns]
    values = [[_converted(column.kind, column.value(row)) for column in columns] for row in rows]
    widths = [_display_width(header, Kind.TEXT) for header in headers]
    for row_values in values:
        for index, value in enumerate(row_values):
            width = _display_width(value, kinds[index])
            if width > widths[index]:
                widths[index] = width

    book = Workbook(write_only=True)
    sheet = book.create_sheet(safe_sheet_title(sheet_title))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(_MIN_WIDTH, min(_MAX_WIDTH, width + 2))
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F2F2")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.data_type = "s"
        cell.font = bold
        cell.fill = fill
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = [_FORMATS.get(kind) for kind in kinds]
    for row_values in values:
        cells = []
        for index, value in enumerate(row_values):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif value is not None and formats[index]:
                cell.number_format = formats[index]
            cells.append(cell)
        sheet.append(cells)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
