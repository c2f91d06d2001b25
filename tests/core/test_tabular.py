"""Uploaded tables: .xlsx and .csv read into rows keyed by header with Excel's row numbers, every
refusal of a file with its exact message, and the template writer."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from maoyi.core.errors import DomainError
from maoyi.core.tabular import (
    ImportInvalid,
    RowProblem,
    Table,
    TableRow,
    TemplateColumn,
    TemplateSheet,
    cell_text,
    parse_decimal,
    read_table,
    write_template,
)


def xlsx(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refused(name: str, content: bytes, **kwargs: Any) -> tuple[str, str, str | None]:
    with pytest.raises(DomainError) as caught:
        read_table(upload(name, content), name=name, **kwargs)
    return caught.value.code, caught.value.message, caught.value.field


# Reading ------------------------------------------------------------------------------------------------


def test_an_xlsx_reads_as_rows_keyed_by_header_with_excel_row_numbers() -> None:
    content = xlsx(
        ["客户名称", " 电话 ", "信用额度", "日期", None, "备注"],
        ["北京协和医院", 13800000000, 1234.5, dt.datetime(2026, 3, 1), "无表头的列", "  首行  "],
        [None, None, None, None, None, None],  # a blank row is skipped, its number kept
        ["上海瑞金医院", "021-64370045", 0.1, dt.date(2026, 3, 2), None, None],
    )
    table = read_table(upload("客户.xlsx", content), name="客户.xlsx")
    assert table.headers == ("客户名称", "电话", "信用额度", "日期", "备注")
    assert table.rows == (
        TableRow(
            2,
            {
                "客户名称": "北京协和医院",
                "电话": "13800000000",
                "信用额度": "1234.5",
                "日期": "2026-03-01",
                "备注": "首行",
            },
        ),
        TableRow(
            4,
            {
                "客户名称": "上海瑞金医院",
                "电话": "021-64370045",
                "信用额度": "0.1",
                "日期": "2026-03-02",
                "备注": "",
            },
        ),
    )
    assert table.rows[0].get("不存在的列") == ""


def test_formulas_are_never_read_as_text() -> None:
    # openpyxl saves no computed value: Excel's would be read; the formula itself never is.
    table = read_table(upload("f.xlsx", xlsx(["客户名称"], ['=HYPERLINK("x")'])), name="f.xlsx")
    assert table.rows == ()


def test_a_header_only_file_has_no_rows() -> None:
    table = read_table(upload("t.xlsx", xlsx(["客户名称", "电话"])), name="t.xlsx")
    assert (table.headers, table.rows) == (("客户名称", "电话"), ())


@pytest.mark.parametrize(
    "encoded",
    [
        "客户名称,电话\r\n北京协和医院,010-1\r\n".encode("utf-8-sig"),
        "客户名称,电话\n北京协和医院,010-1\n".encode(),
        "客户名称,电话\r\n北京协和医院,010-1\r\n".encode("gb18030"),
    ],
    ids=["utf-8 with BOM", "utf-8", "gb18030"],
)
def test_a_csv_reads_in_utf8_or_gb18030(encoded: bytes) -> None:
    table = read_table(upload("客户.CSV", encoded), name="客户.CSV")
    assert table.headers == ("客户名称", "电话")
    assert table.rows == (TableRow(2, {"客户名称": "北京协和医院", "电话": "010-1"}),)


def test_a_csv_row_shorter_than_the_headers_reads_blank_cells() -> None:
    table = read_table(upload("a.csv", "名称,电话,地址\n甲\n\n乙,1\n".encode()), name="a.csv")
    assert table.rows == (
        TableRow(2, {"名称": "甲", "电话": "", "地址": ""}),
        TableRow(4, {"名称": "乙", "电话": "1", "地址": ""}),
    )


FILE_REFUSALS = [
    ("a.txt", b"x", {}, "请上传 .xlsx 或 .csv 文件。"),
    ("noext", b"x", {}, "请上传 .xlsx 或 .csv 文件。"),
    ("a.xls", b"\xd0\xcf\x11\xe0", {}, "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传。"),
    ("a.csv", b"", {}, "文件是空的。"),
    ("a.csv", b" \r\n \n", {}, "文件是空的。"),
    ("a.csv", b"a,b\n" + b"x" * 1024 * 1024, {"max_bytes": 1024 * 1024}, "文件太大：最大 1 MB。"),
    ("a.csv", b"\x81\x20\xff", {}, "无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码。"),
    ("a.csv", b"a,b\n\x00,1\n", {}, "无法读取此 CSV 文件。"),
    ("a.csv", b",,\n1,2,3\n", {}, "第 1 行应为列名（表头），请使用导入模板。"),
    ("a.csv", "名称,电话,名称\n".encode(), {}, "第 1 行的列名“名称”重复。"),
    ("a.csv", "名称\n甲\n乙\n丙\n".encode(), {"max_rows": 2}, "一次最多导入 2 行数据，请分成几个文件。"),
    ("a.xlsx", b"not a zip at all", {}, "无法读取此 Excel 文件，请确认是 .xlsx 格式。"),
    ("a.xlsx", b"PK\x03\x04broken zip", {}, "无法读取此 Excel 文件，请确认是 .xlsx 格式。"),
]


@pytest.mark.parametrize(("name", "content", "kwargs", "message"), FILE_REFUSALS)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(
    name: str, content: bytes, kwargs: dict[str, Any], message: str
) -> None:
    assert refused(name, content, **kwargs) == ("invalid_file", message, "file")


def test_an_xlsx_with_a_blank_first_row_or_no_rows_is_refused() -> None:
    assert (
        refused("a.xlsx", xlsx([None, None], ["甲", "乙"]))[1] == "第 1 行应为列名（表头），请使用导入模板。"
    )
    assert refused("a.xlsx", xlsx())[1] == "文件是空的。"


def test_the_size_reported_by_the_upload_is_checked_before_reading() -> None:
    big = upload("a.csv", b"a\n1\n")
    big.size = 6 * 1024 * 1024
    with pytest.raises(DomainError) as caught:
        read_table(big, name="a.csv")
    assert caught.value.message == "文件太大：最大 5 MB。"


def test_a_sheet_of_endless_blank_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("maoyi.core.tabular.MAX_SCANNED_ROWS", 5)
    content = ("名称\n" + "\n".join([","] * 10) + "\n甲\n").encode()
    assert refused("a.csv", content)[1] == "表格超过 5 行（含空行），请删除多余的行后重试。"


def test_a_table_survives_its_data_form() -> None:
    table = read_table(upload("a.csv", "名称,电话\n甲,1\n\n乙,\n".encode()), name="a.csv")
    assert Table.from_data(table.to_data()) == table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "TRUE"),
        (13800000000, "13800000000"),
        (1234.0, "1234"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (float("nan"), ""),
        (Decimal("2.50"), "2.50"),
        (dt.datetime(2026, 1, 2, 3, 4), "2026-01-02 03:04:00"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        ("  甲 ", "甲"),
    ],
)
def test_cell_text(value: Any, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("¥ 800", Decimal("800")),
        ("", None),
        ("abc", None),
        ("Infinity", None),
    ],
)
def test_parse_decimal(text: str, number: Decimal | None) -> None:
    assert parse_decimal(text) == number


def test_problems_read_as_row_column_message() -> None:
    problem = RowProblem(3, "客户类型", "客户类型应为：终端客户。")
    assert str(problem) == "第 3 行 ·「客户类型」· 客户类型应为：终端客户。"
    error = ImportInvalid([problem, problem])
    assert (error.code, error.message, error.field, error.problems) == (
        "import_invalid",
        "导入数据有 2 处错误，没有导入任何数据。",
        "file",
        [problem, problem],
    )


# The template -------------------------------------------------------------------------------------------


def test_the_template_has_bold_headers_widths_text_columns_and_a_notes_sheet() -> None:
    sheet = TemplateSheet(
        title="公海客户",
        columns=(
            TemplateColumn("客户名称", required=True, width=30, note="必须唯一", example="北京协和医院"),
            TemplateColumn("电话", text=True, width=18, example="010-1"),
        ),
        notes=("第 1 行是列名。",),
    )
    book = load_workbook(io.BytesIO(write_template(sheet)))
    assert book.sheetnames == ["公海客户", "填写说明"]
    data = book["公海客户"]
    assert [c.value for c in data[1]] == ["客户名称", "电话"]
    assert data["A1"].font.b and data["B1"].font.b
    assert data["A1"].font.color.rgb == "00C00000"  # required: red
    assert data.column_dimensions["A"].width == 30 and data.column_dimensions["B"].width == 18
    assert data.column_dimensions["B"].number_format == "@"
    assert data.freeze_panes == "A2"
    assert data.max_row == 1  # no example row to be imported by mistake
    notes = book["填写说明"]
    assert [c.value for c in notes[2]] == ["客户名称", "必填", "必须唯一", "北京协和医院"]
    assert [c.value for c in notes[3]][:2] == ["电话", "选填"]
    assert notes["A5"].value == "第 1 行是列名。"
    again = read_table(upload("t.xlsx", write_template(sheet)), name="t.xlsx")
    assert (again.headers, again.rows) == (("客户名称", "电话"), ())
