"""Exported sheets (导出): a bold frozen header in the active language, money, quantities, dates
and times as real numbers and dates with their formats, and no text that could run as a formula."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from maoyi.core.tabular import ExportColumn, Kind, neutralise, safe_sheet_title, write_table


def read_back(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data)).active


COLUMNS = [
    ExportColumn(_("客户名称"), key="name"),
    ExportColumn(_("金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(_("数量"), key="quantity", kind=Kind.QUANTITY),
    ExportColumn(_("日期"), key="date", kind=Kind.DATE),
    ExportColumn(_("创建时间"), key="created", kind=Kind.DATETIME),
    ExportColumn(_("税率"), key="rate", kind=Kind.PERCENT),
    ExportColumn("Owner", getter=lambda row: row["owner"]["name"]),
]


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "上海瑞康医疗器械有限公司",
        "amount": Decimal("12345.5"),
        "quantity": Decimal("3.2500"),
        "date": dt.date(2024, 5, 6),
        "created": dt.datetime(2024, 5, 6, 9, 30),
        "rate": Decimal("0.13"),
        "owner": {"name": "王磊"},
    }
    return {**base, **changes}


def test_the_header_is_bold_frozen_and_in_chinese() -> None:
    sheet = read_back(write_table(COLUMNS, [row()], sheet_title="客户"))
    assert [c.value for c in sheet[1]] == ["客户名称", "金额", "数量", "日期", "创建时间", "税率", "Owner"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.title == "客户"


def test_the_header_follows_the_active_language() -> None:
    with translation.override("en"):
        data = write_table([ExportColumn(_("是"), key="x")], [], sheet_title="x")
    assert read_back(data)["A1"].value in ("Yes", "是")


def test_money_quantities_dates_and_times_are_numbers_and_dates_with_their_formats() -> None:
    sheet = read_back(write_table(COLUMNS, [row()], sheet_title="客户"))
    name, amount, quantity, date, created, rate, owner = sheet[2]
    assert name.value == "上海瑞康医疗器械有限公司" and name.data_type == "s"
    assert amount.value == pytest.approx(12345.5) and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert quantity.value == pytest.approx(3.25) and quantity.number_format == "#,##0.####"
    assert date.value == dt.datetime(2024, 5, 6) and date.is_date and date.number_format == "yyyy-mm-dd"
    assert created.value == dt.datetime(2024, 5, 6, 9, 30) and created.number_format == "yyyy-mm-dd hh:mm"
    assert rate.value == pytest.approx(0.13) and rate.number_format == "0.00%"
    assert owner.value == "王磊"


def test_serialized_strings_are_turned_back_into_numbers_and_dates() -> None:
    aware = timezone.make_aware(dt.datetime(2024, 5, 6, 9, 30))
    data = write_table(
        COLUMNS,
        [row(amount="-800.00", quantity="2", date="2024-05-06", created=aware.isoformat(), rate="0.09")],
        sheet_title="x",
    )
    _name, amount, quantity, date, created, rate, _owner = read_back(data)[2]
    assert amount.value == -800 and amount.data_type == "n"
    assert quantity.value == 2
    assert date.value == dt.datetime(2024, 5, 6)
    assert created.value == dt.datetime(2024, 5, 6, 9, 30)
    assert rate.value == pytest.approx(0.09)


def test_a_negative_number_stays_a_number() -> None:
    sheet = read_back(write_table(COLUMNS, [row(amount=Decimal("-50.25"))], sheet_title="x"))
    assert sheet["B2"].value == pytest.approx(-50.25)
    assert sheet["B2"].data_type == "n"


def test_empty_values_leave_empty_cells() -> None:
    sheet = read_back(write_table(COLUMNS, [row(amount=None, date=None, name="")], sheet_title="x"))
    assert sheet["A2"].value is None and sheet["B2"].value is None and sheet["D2"].value is None


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\x00=1", "'=1"),
    ],
)
def test_a_text_that_could_run_as_a_formula_is_written_as_quoted_text(typed: str, written: str) -> None:
    sheet = read_back(write_table(COLUMNS, [row(name=typed)], sheet_title="x"))
    cell = sheet["A2"]
    # An XML reader turns a stored carriage return into a line feed.
    assert cell.value == written.replace("\r", "\n")
    assert cell.data_type == "s"


def test_a_formula_character_inside_a_text_is_left_alone() -> None:
    sheet = read_back(write_table(COLUMNS, [row(name="A=1+2 @b -c")], sheet_title="x"))
    assert sheet["A2"].value == "A=1+2 @b -c"


def test_a_text_in_a_number_column_is_neutralised_too() -> None:
    sheet = read_back(write_table(COLUMNS, [row(amount="=1+1", date="=NOW()")], sheet_title="x"))
    assert sheet["B2"].value == "'=1+1" and sheet["B2"].data_type == "s"
    assert sheet["D2"].value == "'=NOW()"


def test_a_header_that_looks_like_a_formula_is_neutralised() -> None:
    sheet = read_back(write_table([ExportColumn("=cmd", key="x")], [{"x": 1}], sheet_title="x"))
    assert sheet["A1"].value == "'=cmd"


def test_columns_are_as_wide_as_their_content_but_capped() -> None:
    sheet = read_back(write_table(COLUMNS, [row(name="长" * 200), row(name="短")], sheet_title="x"))
    assert sheet.column_dimensions["A"].width == 50
    assert 8 <= sheet.column_dimensions["B"].width < 20


def test_booleans_are_written_as_yes_or_no() -> None:
    sheet = read_back(
        write_table([ExportColumn("启用", key="x")], [{"x": True}, {"x": False}], sheet_title="x")
    )
    assert [sheet["A2"].value, sheet["A3"].value] == ["是", "否"]


def test_neutralise_and_sheet_titles() -> None:
    assert neutralise("abc") == "abc"
    assert neutralise("\x01a") == "a"
    assert safe_sheet_title("客户/供应商[2024]:*?" + "长" * 40) == ("客户 供应商 2024    " + "长" * 40)[:31]
    assert safe_sheet_title("") == "Sheet1"
