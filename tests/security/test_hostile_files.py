"""Hostile import files (core.tabular.read_table, used by every 导入): refused with a Chinese message
before anything is parsed into memory, and nothing imported.

- a zip bomb .xlsx: a file of a few hundred KB whose parts unzip to more than
  MAX_UNZIPPED_BYTES (64 MB) is refused from the zip directory alone; zipfile enforces the sizes
  it reports, so a lying header cannot get more out;
- an XML part with a DOCTYPE (external entity / XXE, "billion laughs") is refused: Excel never
  writes one;
- a sheet whose rows really reach row 1,048,576 is refused after MAX_SCANNED_ROWS row records
  (openpyxl read_only streams them); a sheet whose <dimension> merely *claims* A1:XFD1048576 is
  read as what it contains (its first MAX_COLUMNS columns), since Excel files with a stale
  dimension are common and harmless in read_only mode;
- a CSV with a 100 MB line is refused by size before it is read (only MAX_BYTES + 1 bytes are ever
  read), and one with a 1 MB field under the size limit by the csv module's field limit.

Memory is measured with tracemalloc (a bound, not a time)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from maoyi.core.errors import DomainError
from maoyi.core.tabular import MAX_BYTES, read_table
from maoyi.crm.models import Customer
from maoyi.web.imports import jobs
from tests.crm.builders import grant_customer_permissions

BOMB_MESSAGE = "Excel 文件解压后超过 64 MB（可能是“压缩炸弹”），已拒绝，没有导入任何数据。"
DOCTYPE_MESSAGE = "Excel 文件含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝，没有导入任何数据。"
SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows or (["客户名称", "客户类型"], ["甲医院", "终端客户"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, extra: dict[str, int] | None = None) -> bytes:
    """The workbook with some parts replaced, and extra parts of N zero bytes each (deflated)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        replace = dict(replace or {})
        for info in source.infolist():
            target.writestr(info.filename, replace.pop(info.filename, None) or source.read(info.filename))
        for name, content in replace.items():
            target.writestr(name, content)
        for name, size in (extra or {}).items():
            block = b"\x00" * (1024 * 1024)
            with target.open(name, "w", force_zip64=True) as part:
                for _ in range(size // len(block)):
                    part.write(block)
    return out.getvalue()


def sheet_xml(dimension: str, rows: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def inline_row(number: int, *values: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def refusal(data: bytes, name: str = "客户.xlsx") -> str:
    with pytest.raises(DomainError) as caught:
        read_table(io.BytesIO(data), name=name)
    assert caught.value.code == "invalid_file"
    return str(caught.value.message)


def test_a_zip_bomb_is_refused_from_its_directory_with_bounded_memory() -> None:
    bomb = rezip(workbook_bytes(), extra={"xl/media/padding.bin": 200 * 1024 * 1024})
    assert len(bomb) < 1024 * 1024  # 200 MB of zeros deflates to about 200 KB
    tracemalloc.start()
    try:
        message = refusal(bomb)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == BOMB_MESSAGE
    assert peak < 16 * 1024 * 1024


def test_a_bomb_inside_the_sheet_itself_is_refused_too() -> None:
    padding = b" " * (70 * 1024 * 1024)
    sheet = sheet_xml("A1:B2", inline_row(1, "客户名称", "客户类型")).replace(
        b"<sheetData>", padding + b"<sheetData>"
    )
    assert refusal(rezip(workbook_bytes(), replace={SHEET: sheet})) == BOMB_MESSAGE


def test_an_external_entity_is_refused_and_never_resolved() -> None:
    xxe = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
    )
    assert refusal(rezip(workbook_bytes(), replace={SHEET: xxe})) == DOCTYPE_MESSAGE


def test_billion_laughs_in_the_shared_strings_is_refused() -> None:
    laughs = b'<!ENTITY a0 "ha">' + b"".join(
        b'<!ENTITY a%d "&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;">' % (i, *([i - 1] * 10))
        for i in range(1, 10)
    )
    strings = (
        b'<?xml version="1.0"?><!doctype sst [' + laughs + b"]>"
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&a9;</t></si></sst>'
    )
    assert refusal(rezip(workbook_bytes(), replace={"xl/sharedStrings.xml": strings})) == DOCTYPE_MESSAGE


def test_a_sheet_whose_rows_reach_row_1048576_is_refused() -> None:
    rows = inline_row(1, "客户名称", "客户类型") + inline_row(1_048_576, "末行", "终端客户")
    sheet = sheet_xml("A1:B1048576", rows)
    assert refusal(rezip(workbook_bytes(), replace={SHEET: sheet})) == (
        "表格超过 100000 行（含空行），请删除多余的行后重试。"
    )


def test_a_sheet_that_only_claims_every_row_and_column_is_read_as_what_it_holds() -> None:
    rows = inline_row(1, "客户名称", "客户类型") + inline_row(2, "甲医院", "终端客户")
    sheet = sheet_xml("A1:XFD1048576", rows)
    table = read_table(io.BytesIO(rezip(workbook_bytes(), replace={SHEET: sheet})), name="客户.xlsx")
    assert table.headers == ("客户名称", "客户类型")
    assert [row.values for row in table.rows] == [{"客户名称": "甲医院", "客户类型": "终端客户"}]


class EndlessLine(io.RawIOBase):
    """A 100 MB upload of one CSV line that is never held in memory: read() makes what is asked."""

    size = 100 * 1024 * 1024

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.served if n < 0 else min(n, self.size - self.served)
        self.served += n
        return b"a" * n


class Unsized(EndlessLine):
    size = None  # type: ignore[assignment]
    limit = 100 * 1024 * 1024

    def read(self, n: int = -1) -> bytes:
        n = self.limit - self.served if n < 0 else min(n, self.limit - self.served)
        self.served += n
        return b"a" * n


def test_a_csv_with_a_100_mb_line_is_refused_by_its_size_before_reading() -> None:
    upload = EndlessLine()
    with pytest.raises(DomainError) as caught:
        read_table(upload, name="客户.csv")  # type: ignore[arg-type]
    assert str(caught.value.message) == "文件太大：最大 5 MB。"
    assert upload.served == 0  # the declared size was enough

    unsized = Unsized()  # an upload that does not say its size is read only up to the limit + 1
    with pytest.raises(DomainError) as caught:
        read_table(unsized, name="客户.csv")  # type: ignore[arg-type]
    assert str(caught.value.message) == "文件太大：最大 5 MB。"
    assert unsized.served == MAX_BYTES + 1


def test_a_csv_field_over_the_csv_limit_is_refused() -> None:
    data = ("客户名称,客户类型\n" + '"' + "x" * (1024 * 1024) + '",终端客户\n').encode()
    assert len(data) < MAX_BYTES
    assert refusal(data, name="客户.csv") == "无法读取此 CSV 文件。"


@pytest.mark.django_db
def test_the_import_page_shows_the_refusal_and_imports_nothing(
    company: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "INLINE", True)  # the check runs in the request
    grant_customer_permissions()
    before = Customer.objects.count()
    bomb = rezip(
        workbook_bytes(
            ["客户名称", "客户类型", "客户等级", "电话", "税号", "负责人"], ["甲医院", "终端客户"]
        ),
        extra={"xl/media/padding.bin": 100 * 1024 * 1024},
    )
    client = client_for(company.admin)
    response = client.post(
        reverse("web:import-page", args=["customers"]), {"file": SimpleUploadedFile("客户.xlsx", bomb)}
    )
    page = client.get(response["Location"]) if response.status_code == 302 else response
    assert BOMB_MESSAGE in page.content.decode()
    assert Customer.objects.count() == before


# Hostile values going out: the API sheet export (the core rule, NUL included, is tested in
# tests/core; PostgreSQL cannot store a NUL, so it never reaches an export from the database) ------


@pytest.mark.django_db
def test_the_api_sheet_neutralises_tab_cr_plus_minus_and_at_triggers(company: Any) -> None:
    from openpyxl import load_workbook

    from tests.api.conftest import token_client
    from tests.crm.builders import make_customer

    hostile = {
        "\t=cmd|' /C calc'!A0": "'\t=cmd|' /C calc'!A0",
        "\r=1+1": "'\n=1+1",  # the XML reader turns the stored CR into LF
        "+1+cmd": "'+1+cmd",
        "-2+3": "'-2+3",
        "@SUM(A1)": "'@SUM(A1)",
    }
    for i, text in enumerate(hostile):
        customer = make_customer(company.rep_a1, f"医院{i}")
        Customer.objects.filter(pk=customer.pk).update(note=text)
    response = token_client(company.rep_a1).get("/api/v1/customers/", {"format": "xlsx", "ordering": "id"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in sheet[1]]
    notes = [row[headers.index("备注")] for row in sheet.iter_rows(min_row=2)]
    assert sorted(str(cell.value) for cell in notes) == sorted(hostile.values())
    assert all(cell.data_type == "s" for cell in notes)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
