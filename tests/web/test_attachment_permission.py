"""The attachment pages give a record's files only to someone who may open the record: its model's
view permission as well as the data scope, like /api/v1/attachments/. The logistics clerk sees the
whole company but holds no crm.view_customer: a customer's file is as if it did not exist (404) to
download, to remove and to upload to, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import LazySettings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maoyi.attachments import services
from maoyi.attachments.models import Attachment
from maoyi.audit.models import AuditEntry
from maoyi.crm.models import Customer
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import make_employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def customer(company: Company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


@pytest.fixture
def attachment(company: Company, customer: Customer, media: Path) -> Attachment:
    upload = SimpleUploadedFile("资质.txt", b"license", content_type="text/plain")
    return services.upload_attachment(actor=company.rep_a1, record=customer, upload=upload)


def test_the_whole_company_scope_without_the_view_permission_gets_404_everywhere(
    company: Company, customer: Customer, attachment: Attachment, client_for
) -> None:
    clerk = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    assert not clerk.user.has_perm("crm.view_customer")
    client = client_for(clerk)
    content_type = ContentType.objects.get_for_model(Customer).pk
    before = (list(Attachment.objects.values("pk", "object_id", "file")), AuditEntry.objects.count())

    download = client.get(reverse("web:attachment-download", args=[attachment.pk]))
    delete = client.post(reverse("web:attachment-delete", args=[attachment.pk]), {"next": "/"})
    upload = client.post(
        reverse("web:attachment-upload", args=[content_type, customer.pk]),
        {"file": SimpleUploadedFile("x.txt", b"note", content_type="text/plain"), "next": "/"},
    )

    assert (download.status_code, delete.status_code, upload.status_code) == (404, 404, 404)
    assert (list(Attachment.objects.values("pk", "object_id", "file")), AuditEntry.objects.count()) == before


def test_the_owner_with_the_view_permission_still_downloads(
    company: Company, attachment: Attachment, client_for
) -> None:
    response = client_for(company.rep_a1).get(reverse("web:attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"license"
