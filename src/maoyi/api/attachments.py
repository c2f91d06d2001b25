"""REST resource `attachments` (相关文档, API.md): files on any record that accepts them.

A record is named either by `record`, one string `<app_label>.<model>:<id>` (e.g. `crm.customer:12`,
`crm.contract:7`), or by `content_type` (`crm.customer`, or the content type's numeric id) and
`object_id`. Only someone who may see the record — its model's view permission and the data scope —
lists, reads, downloads, attaches or removes its files; anyone else gets 404, as for a record that
does not exist. Removing follows the pages' rule: one's own upload, or with
`attachments.delete_attachment` (else 403).

- `GET /attachments/?record=crm.customer:12`: the record's files (the record is required, 400 without).
- `POST /attachments/` (multipart): `file`, the record, optional `name` (shown name; default the
  file's). Type and size refusals answer 400 `{"file": [message]}`.
- `GET /attachments/{id}/`: metadata; `GET /attachments/{id}/download/`: the file, always as a
  download (`Content-Disposition: attachment` with an ASCII `filename` and the RFC 5987
  `filename*`), served with the type decided at upload and `nosniff`.
- `DELETE /attachments/{id}/`: 204."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from maoyi.api.errors import error_responses
from maoyi.api.idempotency import IDEMPOTENCY_KEY
from maoyi.api.viewsets import acting
from maoyi.attachments import selectors, services
from maoyi.attachments.models import Attachment
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.org import scope

MAX_ID = 2**63 - 1
RECORD_RE = re.compile(r"^(?P<app>[a-z][a-z0-9_]*)\.(?P<model>[a-z][a-z0-9_]*):(?P<id>[0-9]{1,19})$")
RECORD_HELP = "the record: `<app_label>.<model>:<id>`, e.g. `crm.customer:12`"


def record_reference(content_type: ContentType, object_id: Any) -> str:
    return f"{content_type.app_label}.{content_type.model}:{object_id}"


# Finding the record ------------------------------------------------------------------------------------


def _bad(field: str, message: Any) -> serializers.ValidationError:
    return serializers.ValidationError({field: [str(message)]})


def _content_type(value: str, field: str) -> ContentType:
    try:
        if value.isdigit():
            return ContentType.objects.get_for_id(int(value))
        app_label, dot, model = value.lower().partition(".")
        if not dot:
            raise _bad(field, _("格式应为 app_label.model，例如 crm.customer。"))
        return ContentType.objects.get_by_natural_key(app_label, model)
    except (ContentType.DoesNotExist, OverflowError):
        raise NotFoundInScope() from None


def find_record(user: Any, *, record: str = "", content_type: str = "", object_id: str = "") -> models.Model:
    """The record named by `record` or by `content_type` + `object_id`, if the user may see it and it
    takes attachments; NotFoundInScope otherwise, 400 for a malformed name."""
    record, content_type, object_id = record.strip(), content_type.strip(), object_id.strip()
    if record:
        match = RECORD_RE.match(record)
        if match is None:
            raise _bad("record", _("格式应为 app_label.model:id，例如 crm.customer:12。"))
        ct = _content_type(f"{match['app']}.{match['model']}", "record")
        object_id = match["id"]
    elif content_type and object_id:
        ct = _content_type(content_type, "content_type")
        if not object_id.isdigit() or len(object_id) > 19:
            raise NotFoundInScope()
    else:
        raise _bad("record", _("请指定记录：record（例如 crm.customer:12），或 content_type 加 object_id。"))
    model = ct.model_class()
    if model is None or not getattr(model, "accepts_attachments", False) or int(object_id) > MAX_ID:
        raise NotFoundInScope()
    try:
        found = scope.visible(user, model._default_manager.filter(pk=object_id)).first()
    except (ValueError, DjangoValidationError):
        raise NotFoundInScope() from None
    if found is None or not selectors.may_see_record(user, found):
        raise NotFoundInScope()
    return found


# Serializers ------------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    record = serializers.SerializerMethodField(help_text=RECORD_HELP)
    content_type = serializers.SerializerMethodField(help_text="`<app_label>.<model>`, e.g. `crm.customer`")
    name = serializers.CharField(source="original_name", read_only=True, help_text="the file's shown name")
    uploaded_by_name = serializers.CharField(source="uploaded_by.name", read_only=True)
    download_url = serializers.SerializerMethodField(help_text="GET it for the file")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "record",
            "content_type",
            "object_id",
            "name",
            "mime_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_by_name",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_record(self, attachment: Attachment) -> str:
        return record_reference(attachment.content_type, attachment.object_id)

    def get_content_type(self, attachment: Attachment) -> str:
        ct = attachment.content_type
        return f"{ct.app_label}.{ct.model}"

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        url = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RecordQuery(serializers.Serializer):
    record = serializers.CharField(required=False, help_text=RECORD_HELP)
    content_type = serializers.CharField(
        required=False, help_text="with `object_id`: `<app_label>.<model>` or the content type's id"
    )
    object_id = serializers.CharField(required=False, help_text="with `content_type`: the record's id")


class AttachmentInput(RecordQuery):
    file = serializers.FileField(allow_empty_file=True, label=_("文件"), help_text="multipart file part")
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="shown name; default the file's name"
    )


# Downloads ---------------------------------------------------------------------------------------------


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII-only `filename` for old clients and the exact name as RFC 5987
    `filename*`; nothing from the name can end the header or add a parameter."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""

    def ascii_only(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return re.sub(r"[^A-Za-z0-9._ -]+", "_", folded).strip(" ._")

    fallback = ascii_only(stem) or "file"
    if ascii_only(ext):
        fallback = f"{fallback}.{ascii_only(ext)}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# The viewset -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[RecordQuery],
        responses={200: AttachmentSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: AttachmentSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request={"multipart/form-data": AttachmentInput},
        responses={201: AttachmentSerializer, **error_responses(400, 401, 403, 404, 422)},
        parameters=[IDEMPOTENCY_KEY],
    ),
    destroy=extend_schema(responses={204: None, **error_responses(401, 403, 404)}),
    download=extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **error_responses(401, 404)},
    ),
)
class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Files attached to records the caller may see (newest first)."""

    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Attachment]:
        return Attachment.objects.none()  # reads go through the record (list) or `attachment_for`

    def get_object(self) -> Attachment:
        pk = str(self.kwargs.get(self.lookup_field, ""))
        if not pk.isdigit() or int(pk) > MAX_ID:
            raise NotFoundInScope()
        attachment = selectors.attachment_for(self.request.user, int(pk))
        record = attachment.record
        if record is None or not selectors.may_see_record(self.request.user, record):
            raise NotFoundInScope()
        return attachment

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers whatever the client accepts (the file is not rendered); its refusals
        # are JSON like every other.
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = RecordQuery(data=dict(request.query_params.items()))
        query.is_valid(raise_exception=True)
        record = find_record(request.user, **query.validated_data)
        page = self.paginate_queryset(selectors.attachments_of(record))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = acting(request)
        form = AttachmentInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        upload = data.pop("file")
        name = data.pop("name", "") or upload.name or ""
        record = find_record(request.user, **data)
        attachment = services.upload_attachment(actor=actor, record=record, upload=upload, name=name)
        return Response(self.get_serializer(attachment).data, status=201)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = acting(request)
        attachment = self.get_object()
        try:
            services.remove_attachment(attachment, actor=actor)
        except DomainError as exc:
            if exc.code == PermissionRefused.code:  # someone else's upload
                raise PermissionRefused(exc.message) from exc
            raise
        return Response(status=204)

    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: Any = None) -> FileResponse:
        attachment = self.get_object()
        response = FileResponse(attachment.file.open("rb"), content_type=attachment.mime_type)
        response["Content-Disposition"] = content_disposition(attachment.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def register(router: BaseRouter) -> None:
    router.register("attachments", AttachmentViewSet, basename="attachment")
