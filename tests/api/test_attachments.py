"""/api/v1/attachments/: files on a record named by `record` ("crm.customer:12") or content_type +
object_id; listed, read, downloaded, attached and removed only by those who may see the record
(404 for everyone else); type and size refusals as 400 {"file": [...]}; removal by the uploader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from maoyi.api.attachments import content_disposition
from maoyi.attachments.models import Attachment
from maoyi.audit.models import AuditEntry
from maoyi.crm.models import Customer
from tests.api.conftest import ClientFor
from tests.conftest import Company
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/attachments/"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
UNSUPPORTED = "不支持此文件类型。允许：csv, doc, docx, gif, jpeg, jpg, ofd, pdf, png, pptx, txt, xls, xlsx"


@pytest.fixture(autouse=True)
def _setup(company: Company, settings: LazySettings, tmp_path: Path) -> None:
    grant_customer_permissions()
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def customer(company: Company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


def ref(record: Any) -> str:
    return f"{record._meta.app_label}.{record._meta.model_name}:{record.pk}"


def pdf(name: str = "报价单.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def attach(client: Any, record: Any, name: str = "报价单.pdf", content: bytes = PDF) -> Any:
    return client.post(URL, {"record": ref(record), "file": pdf(name, content)}, format="multipart")


def snapshot(media: Path) -> tuple[Any, ...]:
    files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        list(Attachment.objects.order_by("pk").values()),
        list(AuditEntry.objects.order_by("pk").values()),
        files,
    )


# Create ------------------------------------------------------------------------------------------------


def test_the_owner_attaches_a_file_to_a_customer(
    company: Company, api_client_for: ClientFor, customer: Customer, settings: LazySettings
) -> None:
    response = attach(api_client_for(company.rep_a1), customer)
    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "record": f"crm.customer:{customer.pk}",
        "content_type": "crm.customer",
        "object_id": str(customer.pk),
        "name": "报价单.pdf",
        "mime_type": "application/pdf",
        "size": len(PDF),
        "sha256": attachment.sha256,
        "uploaded_by": company.rep_a1.pk,
        "uploaded_by_name": "张伟",
        "uploaded_at": body["uploaded_at"],
        "download_url": f"http://testserver/api/v1/attachments/{attachment.pk}/download/",
    }
    assert attachment.record == customer
    entry = AuditEntry.objects.filter(action="attach").get()
    assert (entry.object_id, entry.changes) == (str(customer.pk), {"attachment": [None, "报价单.pdf"]})


def test_the_record_may_be_named_by_content_type_and_object_id(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    client = api_client_for(company.rep_a1)
    by_name = client.post(
        URL,
        {
            "content_type": "crm.customer",
            "object_id": str(customer.pk),
            "file": pdf(),
            "name": "合同扫描件.pdf",
        },
        format="multipart",
    )
    assert by_name.status_code == 201 and by_name.json()["name"] == "合同扫描件.pdf"
    ct = ContentType.objects.get_for_model(Customer)
    by_id = client.post(
        URL, {"content_type": str(ct.pk), "object_id": str(customer.pk), "file": pdf()}, format="multipart"
    )
    assert by_id.status_code == 201 and by_id.json()["record"] == f"crm.customer:{customer.pk}"


@pytest.mark.parametrize(
    ("data", "status", "body"),
    [
        ({}, 400, {"record": ["请指定记录：record（例如 crm.customer:12），或 content_type 加 object_id。"]}),
        ({"record": "customer 12"}, 400, {"record": ["格式应为 app_label.model:id，例如 crm.customer:12。"]}),
        (
            {"content_type": "customer", "object_id": "1"},
            400,
            {"content_type": ["格式应为 app_label.model，例如 crm.customer。"]},
        ),
        ({"record": "crm.nothing:1"}, 404, NOT_FOUND),
        ({"record": "crm.customer:999999"}, 404, NOT_FOUND),
        ({"record": "crm.customer:99999999999999999999"}, 400, None),
        ({"content_type": "crm.customer", "object_id": "x"}, 404, NOT_FOUND),
        ({"content_type": "999999", "object_id": "1"}, 404, NOT_FOUND),
    ],
)
def test_a_badly_named_record_is_refused(
    company: Company, api_client_for: ClientFor, data: dict[str, str], status: int, body: Any, tmp_path: Path
) -> None:
    before = snapshot(tmp_path / "uploads")
    response = api_client_for(company.rep_a1).post(URL, {**data, "file": pdf()}, format="multipart")
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    assert snapshot(tmp_path / "uploads") == before
    assert api_client_for(company.rep_a1).get(URL, data).status_code == status


def test_a_record_that_takes_no_attachments_answers_404(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    from maoyi.crm.models import ActivityKind
    from maoyi.crm.services import activities

    activity = activities.log_activity(
        actor=company.rep_a1, customer=customer, kind=ActivityKind.CALL, summary="x"
    )
    response = attach(api_client_for(company.rep_a1), activity)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_type_size_and_empty_refusals_are_400_on_file_and_change_nothing(
    company: Company, api_client_for: ClientFor, customer: Customer, settings: LazySettings, tmp_path: Path
) -> None:
    client = api_client_for(company.rep_a1)
    before = snapshot(tmp_path / "uploads")
    refusals = [
        (attach(client, customer, "工具.exe", EXE), {"file": [UNSUPPORTED]}),
        (attach(client, customer, "假的.pdf", EXE), {"file": ["文件内容与扩展名 .pdf 不符。"]}),
        (attach(client, customer, "空的.pdf", b""), {"file": ["文件是空的。"]}),
    ]
    settings.MAOYI_UPLOAD_MAX_BYTES = 1024 * 1024
    too_large = attach(client, customer, "大的.pdf", PDF + bytes(1024 * 1024))
    refusals.append((too_large, {"file": ["文件太大：最大 1 MB。"]}))
    for response, body in refusals:
        assert (response.status_code, response.json()) == (400, body)
    missing = client.post(URL, {"record": ref(customer)}, format="multipart")
    assert missing.status_code == 400 and list(missing.json()) == ["file"]
    assert snapshot(tmp_path / "uploads") == before


def test_a_record_outside_the_scope_cannot_be_attached_to(
    company: Company, api_client_for: ClientFor, customer: Customer, tmp_path: Path
) -> None:
    before = snapshot(tmp_path / "uploads")
    for who in (company.rep_a2, company.rep_b1, company.purchaser):
        response = attach(api_client_for(who), customer)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot(tmp_path / "uploads") == before
    assert attach(api_client_for(company.manager_a), customer).status_code == 201  # the team's manager may


# List and retrieve --------------------------------------------------------------------------------------


def test_the_list_shows_the_records_files_to_who_may_see_it(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    owner = api_client_for(company.rep_a1)
    first = attach(owner, customer, "一.pdf").json()
    second = attach(owner, customer, "二.pdf").json()
    other = make_customer(company.rep_a1, "另一家")
    attach(owner, other, "别的.pdf")
    listing = owner.get(URL, {"record": ref(customer)})
    assert listing.status_code == 200
    body = listing.json()
    assert (body["count"], body["previous"], body["next"]) == (2, None, None)
    assert [row["id"] for row in body["results"]] == [second["id"], first["id"]]  # newest first
    by_pair = owner.get(URL, {"content_type": "crm.customer", "object_id": str(customer.pk)})
    assert by_pair.json()["count"] == 2
    assert api_client_for(company.manager_a).get(URL, {"record": ref(customer)}).json()["count"] == 2
    assert api_client_for(company.finance_clerk).get(URL, {"record": ref(customer)}).json()["count"] == 2
    for who in (company.rep_a2, company.rep_b1, company.purchaser):
        response = api_client_for(who).get(URL, {"record": ref(customer)})
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_retrieve_is_scoped(company: Company, api_client_for: ClientFor, customer: Customer) -> None:
    created = attach(api_client_for(company.rep_a1), customer).json()
    detail = f"{URL}{created['id']}/"
    assert api_client_for(company.rep_a1).get(detail).json() == created
    assert api_client_for(company.manager_a).get(detail).status_code == 200
    for who in (company.rep_a2, company.rep_b1, company.purchaser):
        response = api_client_for(who).get(detail)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    for missing in ("999999", "abc", "99999999999999999999"):
        assert api_client_for(company.admin).get(f"{URL}{missing}/").status_code == 404


def test_other_records_take_files_too(company: Company, api_client_for: ClientFor) -> None:
    client = api_client_for(company.admin)
    response = attach(client, company.team_a)
    assert response.status_code == 201 and response.json()["record"] == f"org.department:{company.team_a.pk}"
    # A salesperson may not see departments (no org.view_department): 404 though it exists.
    response = api_client_for(company.rep_a1).get(URL, {"record": ref(company.team_a)})
    assert response.status_code == 404


def test_anonymous_callers_are_refused(customer: Customer) -> None:
    from rest_framework.test import APIClient

    assert APIClient().get(URL, {"record": ref(customer)}).status_code == 401


# Download -----------------------------------------------------------------------------------------------


def test_download_streams_the_file_as_an_attachment(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    created = attach(api_client_for(company.rep_a1), customer).json()
    url = created["download_url"].removeprefix("http://testserver")
    response = api_client_for(company.manager_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"file.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Whatever the client accepts, the file comes.
    accepting_pdf = api_client_for(company.rep_a1).get(url, HTTP_ACCEPT="application/pdf")
    assert accepting_pdf.status_code == 200 and b"".join(accepting_pdf.streaming_content) == PDF


def test_download_is_refused_outside_the_scope(
    company: Company, api_client_for: ClientFor, customer: Customer
) -> None:
    created = attach(api_client_for(company.rep_a1), customer).json()
    url = f"{URL}{created['id']}/download/"
    for who in (company.rep_a2, company.rep_b1, company.purchaser):
        response = api_client_for(who).get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        ("报价单.pdf", "attachment; filename=\"file.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"),
        (
            'a"b;c\\d.pdf',
            "attachment; filename=\"a_b_c_d.pdf\"; filename*=UTF-8''a%22b%3Bc%5Cd.pdf",
        ),
        ("Café menu.txt", "attachment; filename=\"Cafe menu.txt\"; filename*=UTF-8''Caf%C3%A9%20menu.txt"),
        ("README", "attachment; filename=\"README\"; filename*=UTF-8''README"),
    ],
)
def test_the_content_disposition_is_safe(name: str, header: str) -> None:
    assert content_disposition(name) == header


# Delete -------------------------------------------------------------------------------------------------


def test_the_uploader_removes_their_file(
    company: Company, api_client_for: ClientFor, customer: Customer, tmp_path: Path
) -> None:
    client = api_client_for(company.rep_a1)
    created = attach(client, customer).json()
    response = client.delete(f"{URL}{created['id']}/")
    assert response.status_code == 204
    assert not Attachment.objects.exists()
    entry = AuditEntry.objects.filter(action="detach").get()
    assert entry.changes == {"attachment": ["报价单.pdf", None]}


def test_someone_elses_file_cannot_be_removed(
    company: Company, api_client_for: ClientFor, customer: Customer, tmp_path: Path
) -> None:
    created = attach(api_client_for(company.rep_a1), customer).json()
    before = snapshot(tmp_path / "uploads")
    url = f"{URL}{created['id']}/"
    refused = api_client_for(company.manager_a).delete(url)  # sees the customer, did not upload it
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "只能删除自己上传的附件。", "code": "permission_denied"},
    )
    for who in (company.rep_a2, company.rep_b1):
        response = api_client_for(who).delete(url)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot(tmp_path / "uploads") == before


def test_the_schema_documents_the_resource(api_client_for: ClientFor, company: Company) -> None:
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths[URL]) >= {"get", "post"}
    assert set(paths[URL + "{id}/"]) >= {"get", "delete"}
    assert "multipart/form-data" in paths[URL]["post"]["requestBody"]["content"]
    assert "application/octet-stream" in paths[URL + "{id}/download/"]["get"]["responses"]["200"]["content"]
    params = {p["name"] for p in paths[URL]["get"]["parameters"]}
    assert {"record", "content_type", "object_id", "page"} <= params
