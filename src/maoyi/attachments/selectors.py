from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from maoyi.attachments.models import Attachment
from maoyi.org import scope


def attachments_of(record: models.Model) -> QuerySet[Attachment]:
    ct = ContentType.objects.get_for_model(record, for_concrete_model=False)
    return Attachment.objects.filter(content_type=ct, object_id=str(record.pk)).select_related("uploaded_by")


def may_see_record(user: Any, record: models.Model) -> bool:
    """Who may open the record may see its files: the model's view permission and the data scope."""
    meta = record._meta
    return user.has_perm(f"{meta.app_label}.view_{meta.model_name}") and scope.can_view(user, record)


def attachment_for(user: Any, pk: int) -> Attachment:
    """An attachment whose record the user may see (the record's view permission and the data
    scope); DoesNotExist for "missing" and "not yours" alike."""
    attachment = Attachment.objects.select_related("content_type").get(pk=pk)
    record = attachment.record
    if (
        record is None
        or not getattr(record, "accepts_attachments", False)
        or not may_see_record(user, record)
    ):
        raise Attachment.DoesNotExist
    return attachment
