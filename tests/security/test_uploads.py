"""Uploads, as an attacker would try them (what tests/attachments and tests/api/test_attachments.py
do not already cover): HTML or SVG disguised by the extension, markup in an allowed text file,
path traversal in the file name, and the import uploads' type and size checks.

Rules (attachments/services.py): the type is decided by the extension *and* the first bytes; HTML,
SVG and XML are not on the list at all; the stored name is ours (attachments/YYYY/MM/<uuid hex>),
the client's name is kept for display only, without directories; a download is always
`Content-Disposition: attachment` with the type decided at upload, nosniff and a sandbox CSP.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from maoyi.attachments.models import Attachment
from maoyi.crm.models import Customer
from maoyi.web.imports import jobs
from tests.api.conftest import token_client
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/attachments/"
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/customers/')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
UNSUPPORTED = "不支持此文件类型。允许：csv, doc, docx, gif, jpeg, jpg, ofd, pdf, png, pptx, txt, xls, xlsx"


@pytest.fixture
def customer(company: Company, settings: Any, tmp_path: Path) -> Customer:
    grant_customer_permissions()
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return make_customer(company.rep_a1, "北京协和医院")


def attach(company: Company, customer: Customer, name: str, content: bytes) -> Any:
    return token_client(company.rep_a1).post(
        URL,
        {"record": f"crm.customer:{customer.pk}", "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("报价单.pdf", HTML, "文件内容与扩展名 .pdf 不符。"),
        ("照片.png", SVG, "文件内容与扩展名 .png 不符。"),
        ("照片.jpg", HTML, "文件内容与扩展名 .jpg 不符。"),
        ("表格.xlsx", HTML, "文件内容与扩展名 .xlsx 不符。"),
        ("logo.svg", SVG, UNSUPPORTED),
        ("页面.html", HTML, UNSUPPORTED),
        ("页面.htm", HTML, UNSUPPORTED),
        ("页面.xhtml", HTML, UNSUPPORTED),
        ("数据.xml", b"<?xml version='1.0'?><a/>", UNSUPPORTED),
        ("报价单.pdf.html", HTML, UNSUPPORTED),
        ("报价单.html\u202efdp.", HTML, UNSUPPORTED),  # a right-to-left override hiding .html
    ],
)
def test_html_and_svg_are_refused_whatever_they_are_named(
    company: Company, customer: Customer, name: str, content: bytes, message: str
) -> None:
    response = attach(company, customer, name, content)
    assert (response.status_code, response.json()) == (400, {"file": [message]})
    assert not Attachment.objects.exists()


def test_markup_in_a_text_file_is_only_ever_downloaded_as_plain_text(
    company: Company, customer: Customer
) -> None:
    created = attach(company, customer, "说明.txt", HTML)
    assert created.status_code == 201, created.content
    download = token_client(company.rep_a1).get(f"{URL}{created.json()['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(download.streaming_content) == HTML


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        ('a"; filename="evil.html.txt', "evil.html.txt"),
        ("\u202etxt.exe", UNSUPPORTED),
    ],
)
def test_a_path_in_the_file_name_is_dropped_and_never_reaches_the_disk(
    company: Company, customer: Customer, settings: Any, name: str, shown: str
) -> None:
    created = attach(company, customer, name, b"root:x:0:0\n")
    if shown == UNSUPPORTED:  # the bidi override is dropped: "txt.exe" is what it is
        assert (created.status_code, created.json()) == (400, {"file": [UNSUPPORTED]})
        return
    assert created.status_code == 201, created.content
    attachment = Attachment.objects.get(pk=created.json()["id"])
    assert attachment.original_name == shown
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "attachments")
    assert stored.name.isalnum() and len(stored.name) == 32  # uuid hex, nothing of the client's name
    download = token_client(company.rep_a1).get(f"{URL}{attachment.pk}/download/")
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename*=")[0] and "\\" not in disposition
    assert disposition.count('filename="') == 1  # the quote in the name cannot add a parameter


# Import uploads -----------------------------------------------------------------------------------


def import_page(company: Company, client_for: Any, file: SimpleUploadedFile) -> str:
    client = client_for(company.admin)
    response = client.post(reverse("web:import-page", args=["customers"]), {"file": file})
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return str(page.content.decode())


def workbook() -> bytes:
    book = Workbook()
    book.active.append(["客户名称", "客户类型", "客户等级", "电话", "税号", "负责人"])
    book.active.append(["甲医院", "终端客户", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("客户.xlsx", HTML, "无法读取此 Excel 文件，请确认是 .xlsx 格式。"),
        ("客户.xlsx", b"PK\x03\x04" + bytes(200), "无法读取此 Excel 文件，请确认是 .xlsx 格式。"),
        (
            "客户.csv",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            "无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码。",
        ),
        ("客户.html", HTML, "请上传 .xlsx 或 .csv 文件。"),
        # The imports take up to 20 MB (web/imports); a bigger file is refused before it is read.
        ("客户.xlsx", workbook() + bytes(20 * 1024 * 1024), "文件太大：最大 20 MB。"),
    ],
)
def test_the_import_upload_checks_type_by_content_and_size_and_imports_nothing(
    company: Company,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    message: str,
) -> None:
    monkeypatch.setattr(jobs, "INLINE", True)
    grant_customer_permissions()
    before = Customer.objects.count()
    assert message in import_page(company, client_for, SimpleUploadedFile(name, content))
    assert Customer.objects.count() == before
