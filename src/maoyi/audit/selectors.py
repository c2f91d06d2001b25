from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet

from maoyi.audit.models import AuditEntry


def history_of(obj: models.Model) -> QuerySet[AuditEntry]:
    """The audit trail of one record, newest first (the history tab of its detail page)."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("content_type")


def audit_log(*, search: str = "", action: str = "", model: str = "") -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("content_type")
    if search:
        qs = qs.filter(models.Q(object_repr__icontains=search) | models.Q(actor_name__icontains=search))
    if action:
        qs = qs.filter(action=action)
    if model:
        app_label, _, name = model.partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=name)
    return qs


def audit_models() -> list[tuple[str, str]]:
    """The kinds of record the audit trail mentions, as ("app_label.model", verbose name), by name.
    One index probe per content type, not a scan of the trail."""
    mentioned = ContentType.objects.filter(Exists(AuditEntry.objects.filter(content_type=OuterRef("pk"))))
    found = []
    for ct in mentioned:
        model = ct.model_class()
        label = str(model._meta.verbose_name) if model is not None else ct.model
        found.append((f"{ct.app_label}.{ct.model}", label))
    return sorted(found, key=lambda item: item[1])
