"""Upload and download (R14): the type is checked by extension and content, the size is capped, the
stored name is ours, and a file goes only to someone who may see its record, always as a download
with our content type."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from maoyi.attachments import services
from maoyi.attachments.models import Attachment
from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError
from maoyi.org import services as org
from maoyi.org.models import Employee
from tests.conftest import Company
from tests.docapp.models import SampleDocument
from tests.factories import make_sample

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)
UNSUPPORTED = "不支持此文件类型。允许：csv, doc, docx, gif, jpeg, jpg, ofd, pdf, png, pptx, txt, xls, xlsx"
STORED_NAME = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}$")


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture
def media(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def doc(company: Company) -> SampleDocument:
    # Who may open a record may see its files: its model's view permission and the data scope. The
    # test record's permission is no role's: everyone here holds it, so the scope decides.
    view = Permission.objects.get(content_type__app_label="docapp", codename="view_sampledocument")
    for employee in company.everyone:
        employee.user.user_permissions.add(view)
    return make_sample(company.rep_a1, title="报价单")


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def upload(actor: Employee, record: SampleDocument, name: str, content: bytes) -> Attachment:
    return services.upload_attachment(actor=actor, record=record, upload=SimpleUploadedFile(name, content))


def assert_upload_refused(
    actor: Employee, record: SampleDocument, media: Path, name: str, content: bytes, expected: tuple[str, str]
) -> None:
    before = (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(media))
    with pytest.raises(DomainError) as refused:
        upload(actor, record, name, content)
    assert (refused.value.code, refused.value.message) == expected
    assert (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(media)) == before


# Upload -----------------------------------------------------------------------------------------


ALLOWED_FILES = [
    ("报价单.pdf", PDF, "application/pdf"),
    ("现场照片.PNG", PNG, "image/png"),
    ("明细.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("说明.txt", "交货期：三十天。\n".encode(), "text/plain"),
    ("客户.csv", "客户,金额\n张伟,100\n".encode("gbk"), "text/csv"),
]


def test_allowed_files_are_stored_under_server_chosen_names(
    company: Company, doc: SampleDocument, media: Path
) -> None:
    for name, content, mime in ALLOWED_FILES:
        attachment = upload(company.rep_a1, doc, name, content)

        attachment.refresh_from_db()
        assert (attachment.original_name, attachment.mime_type, attachment.size) == (name, mime, len(content))
        assert attachment.uploaded_by == company.rep_a1
        assert STORED_NAME.match(attachment.file.name), name
        assert Path(attachment.file.path).read_bytes() == content
        assert Path(attachment.file.path).resolve().is_relative_to(media.resolve())
        assert attachment.record == doc
        entry = AuditEntry.objects.filter(action="attach").latest("id")
        assert (entry.actor, entry.changes) == (company.rep_a1.user, {"attachment": [None, name]})
    assert Attachment.objects.count() == len(stored_files(media)) == len(ALLOWED_FILES)


@pytest.mark.parametrize(("encoding", "header"), [("utf-8", ""), ("gbk", "客户,手机,地址\n")])
def test_a_long_chinese_text_file_whose_first_block_ends_mid_character_is_accepted(
    company: Company, doc: SampleDocument, media: Path, encoding: str, header: str
) -> None:
    content = (header + "张伟,13800000000,北京市朝阳区\n" * 400).encode(encoding)
    head = content[:4096]
    cut_mid_character = False
    try:
        head.decode(encoding)
    except UnicodeDecodeError:
        cut_mid_character = True
    assert cut_mid_character  # the case this test is about

    attachment = upload(company.rep_a1, doc, "客户清单.csv", content)

    assert attachment.mime_type == "text/csv"


def test_an_executable_renamed_to_pdf_is_refused(company: Company, doc: SampleDocument, media: Path) -> None:
    assert_upload_refused(
        company.rep_a1, doc, media, "发票.pdf", EXE, ("invalid_file", "文件内容与扩展名 .pdf 不符。")
    )


def test_file_types_outside_the_list_are_refused(company: Company, doc: SampleDocument, media: Path) -> None:
    for name, content in [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("tool.exe", EXE),
        ("no_extension", PDF),
        ("...pdf", PDF),  # leading dots are stripped: "pdf" has no extension
    ]:
        assert_upload_refused(company.rep_a1, doc, media, name, content, ("invalid_file", UNSUPPORTED))


def test_binary_content_named_as_text_is_refused(company: Company, doc: SampleDocument, media: Path) -> None:
    assert_upload_refused(
        company.rep_a1, doc, media, "readme.txt", EXE, ("invalid_file", "文件内容与扩展名 .txt 不符。")
    )


def test_an_empty_file_is_refused(company: Company, doc: SampleDocument, media: Path) -> None:
    assert_upload_refused(company.rep_a1, doc, media, "空.pdf", b"", ("invalid_file", "文件是空的。"))


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_is_accepted(
    company: Company, doc: SampleDocument, media: Path, settings: LazySettings
) -> None:
    settings.MAOYI_UPLOAD_MAX_BYTES = 1024 * 1024
    at_limit = PDF + b"0" * (1024 * 1024 - len(PDF))

    assert_upload_refused(
        company.rep_a1, doc, media, "大.pdf", at_limit + b"0", ("invalid_file", "文件太大：最大 1 MB。")
    )
    assert upload(company.rep_a1, doc, "刚好.pdf", at_limit).size == 1024 * 1024


def test_hostile_names_are_sanitised_for_display_and_never_used_for_storage(
    company: Company, doc: SampleDocument, media: Path
) -> None:
    for name, shown in [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\windows\\x.pdf", "x.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("合同\u202efdp.pdf", "合同fdp.pdf"),  # right-to-left override
        ("\u200f报价\x00单.pdf", "报价单.pdf"),  # right-to-left mark and a NUL
    ]:
        attachment = services.upload_attachment(
            actor=company.rep_a1, record=doc, upload=SimpleUploadedFile("upload.pdf", PDF), name=name
        )

        assert attachment.original_name == shown
        assert STORED_NAME.match(attachment.file.name), name
        assert Path(attachment.file.path) in stored_files(media)
        assert Path(attachment.file.path).resolve().is_relative_to(media.resolve())
    assert all(STORED_NAME.match(p.relative_to(media).as_posix()) for p in stored_files(media))
    assert not (media.parent / "x.pdf").exists()


def test_an_rtl_override_cannot_disguise_an_executable_as_a_pdf(
    company: Company, doc: SampleDocument, media: Path
) -> None:
    # "invoice\u202efdp.exe" shows as "invoiceexe.pdf" but is an .exe once the override is removed.
    assert_upload_refused(
        company.rep_a1, doc, media, "invoice\u202efdp.exe", PDF, ("invalid_file", UNSUPPORTED)
    )


def test_uploading_to_a_record_outside_ones_scope_is_refused_as_not_found(
    company: Company, doc: SampleDocument, media: Path
) -> None:
    assert_upload_refused(company.rep_b1, doc, media, "x.pdf", PDF, ("not_found", "记录不存在。"))


# Through the pages ------------------------------------------------------------------------------


def upload_url(record: SampleDocument) -> str:
    return reverse("web:attachment-upload", args=[ContentType.objects.get_for_model(record).pk, record.pk])


def download_url(attachment: Attachment) -> str:
    return reverse("web:attachment-download", args=[attachment.pk])


def test_the_upload_page_stores_the_file_and_returns_to_the_record(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    response = client_for(company.rep_a1).post(
        upload_url(doc), {"file": SimpleUploadedFile("报价单.pdf", PDF, "application/pdf"), "next": "/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.record) == ("报价单.pdf", doc)


def test_the_upload_page_shows_a_refusal_and_stores_nothing(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    response = client_for(company.rep_a1).post(
        upload_url(doc), {"file": SimpleUploadedFile("page.html", b"<html></html>", "text/html"), "next": "/"}
    )

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [UNSUPPORTED]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_the_upload_page_answers_404_for_a_record_outside_ones_scope(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    response = client_for(company.rep_b1).post(upload_url(doc), {"file": SimpleUploadedFile("x.pdf", PDF)})

    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_the_owner_downloads_the_file_as_an_attachment_with_our_type_and_nosniff(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    attachment = services.upload_attachment(
        actor=company.rep_a1,
        record=doc,
        upload=SimpleUploadedFile("photo.png", PNG, content_type="text/html"),
    )

    response = client_for(company.rep_a1).get(download_url(attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    response.close()


def test_a_chinese_file_name_is_sent_encoded_in_the_content_disposition(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    attachment = upload(company.rep_a1, doc, "报价单.pdf", PDF)

    response = client_for(company.manager_a).get(download_url(attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
    assert response["Content-Type"] == "application/pdf"
    response.close()


def test_someone_outside_the_records_scope_gets_404(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    attachment = upload(company.rep_a1, doc, "报价单.pdf", PDF)

    for outsider in (company.rep_b1, company.rep_a2, company.purchaser):
        response = client_for(outsider).get(download_url(attachment))
        assert response.status_code == 404, outsider
        assert b"%PDF" not in response.content


def test_a_missing_attachment_is_404_like_one_out_of_scope(company: Company, media: Path, client_for) -> None:
    response = client_for(company.admin).get(reverse("web:attachment-download", args=[999999]))

    assert response.status_code == 404


def test_a_left_employee_and_an_anonymous_visitor_are_sent_to_the_login_page(
    company: Company, doc: SampleDocument, media: Path, client_for
) -> None:
    attachment = upload(company.rep_a1, doc, "报价单.pdf", PDF)
    browser = client_for(company.rep_a1)
    org.leave_employee(company.rep_a1, actor=None, handover_to=company.rep_a2)

    for client in (browser, Client()):
        response = client.get(download_url(attachment))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_only_the_uploader_removes_an_attachment(company: Company, doc: SampleDocument, media: Path) -> None:
    attachment = upload(company.rep_a1, doc, "报价单.pdf", PDF)
    before = AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        services.remove_attachment(attachment, actor=company.manager_a)

    assert (refused.value.code, refused.value.message) == ("permission_denied", "只能删除自己上传的附件。")
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert AuditEntry.objects.count() == before

    services.remove_attachment(attachment, actor=company.rep_a1)
    assert not Attachment.objects.exists()
    assert AuditEntry.objects.filter(action="detach").get().changes == {"attachment": ["报价单.pdf", None]}


def test_a_record_type_that_takes_no_attachments_is_refused_even_for_the_whole_company_scope(
    company, client_for
) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from maoyi.attachments.models import Attachment
    from maoyi.audit.models import AuditEntry

    entry = AuditEntry.objects.order_by("pk").first()
    ct = ContentType.objects.get_for_model(AuditEntry)
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    response = client_for(company.admin).post(
        reverse("web:attachment-upload", args=[ct.pk, entry.pk]), {"file": upload}
    )
    assert response.status_code == 404
    bad_id = client_for(company.admin).post(
        reverse("web:attachment-upload", args=[ct.pk, "not-a-number"]), {"file": upload}
    )
    assert bad_id.status_code == 404
    assert Attachment.objects.count() == 0
