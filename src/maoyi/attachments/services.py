"""Uploading and removing attachments. The type is decided by the file's first bytes as well as its
extension, the stored name is ours, and the size is capped."""

from __future__ import annotations

import codecs
import hashlib
import os
import unicodedata
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.attachments.models import Attachment
from maoyi.audit import services as audit
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.org import scope
from maoyi.org.models import Employee

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# extension -> (MIME type we serve it as, accepted leading bytes; None = plain text)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    "ofd": ("application/ofd", ZIP),
    "xls": ("application/vnd.ms-excel", OLE),
    "doc": ("application/msword", OLE),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
}


def safe_name(name: str) -> str:
    """The client's file name for display only: no directories, control or bidi characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(cleaned) > 200:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[:190] + dot + ext[:9]) if dot else cleaned[:200]
    return cleaned or "file"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # Not final: the head is a cut of the file and may end in the middle of a character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _kind(name: str, head: bytes) -> str:
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise DomainError(
            _("不支持此文件类型。允许：%(allowed)s"), code="invalid_file", field="file", allowed=allowed
        )
    mime, magic = ALLOWED[ext]
    ok = _looks_like_text(head[:4096]) if magic is None else any(head.startswith(m) for m in magic)
    if not ok:
        raise DomainError(_("文件内容与扩展名 .%(ext)s 不符。"), code="invalid_file", field="file", ext=ext)
    return mime


@transaction.atomic
def upload_attachment(*, actor: Employee, record: models.Model, upload: File, name: str = "") -> Attachment:
    """Attach a file to a record the actor may see."""
    if not getattr(record, "accepts_attachments", False) or not scope.can_view(actor.user, record):
        raise NotFoundInScope()
    size = upload.size or 0
    limit = settings.MAOYI_UPLOAD_MAX_BYTES
    if size <= 0:
        raise DomainError(_("文件是空的。"), code="invalid_file", field="file")
    if size > limit:
        raise DomainError(
            _("文件太大：最大 %(limit)s MB。"),
            code="invalid_file",
            field="file",
            limit=f"{limit / (1024 * 1024):g}",
        )
    display = safe_name(name or upload.name or "")
    upload.seek(0)
    head = upload.read(8192)
    mime = _kind(display, head)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    now = timezone.now()
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
        object_id=str(record.pk),
        original_name=display,
        mime_type=mime,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    stored = f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}"
    attachment.file.save(stored, upload, save=False)
    attachment.save()
    # The file is written before the row commits; a rollback leaves an unreferenced file under a
    # random name, which nothing can reach.
    audit.record(actor, "attach", record, {"attachment": [None, display]})
    return attachment


@transaction.atomic
def remove_attachment(attachment: Attachment, *, actor: Employee) -> None:
    """Remove a wrong upload; the audit trail keeps its name, who removed it and when."""
    record = attachment.record
    if record is None or not scope.can_view(actor.user, record):
        raise NotFoundInScope()
    if attachment.uploaded_by_id != actor.pk and not actor.user.has_perm("attachments.delete_attachment"):
        raise DomainError(_("只能删除自己上传的附件。"), code="permission_denied")
    name = attachment.original_name
    path = attachment.file.name
    attachment.delete()
    audit.record(actor, "detach", record, {"attachment": [name, None]})
    transaction.on_commit(lambda: default_storage.delete(path))
