from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maoyi.attachments import selectors, services
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.org import scope
from maoyi.web.common import or_404


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@require_POST
def upload(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    actor = scope.employee_of(request.user)
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    if model is None or actor is None or not getattr(model, "accepts_attachments", False):
        raise Http404
    try:
        record = scope.visible(request.user, model._default_manager.filter(pk=object_id)).first()
    except (ValueError, ValidationError):
        raise Http404 from None
    if record is None or not selectors.may_see_record(request.user, record):
        raise Http404  # no view permission on the record: as if it did not exist, like the API
    upload_file = request.FILES.get("file")
    if upload_file is None:
        messages.error(request, _("请选择要上传的文件。"))
        return _back(request)
    try:
        services.upload_attachment(
            actor=actor, record=record, upload=upload_file, name=upload_file.name or ""
        )
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已上传附件 %(name)s。") % {"name": upload_file.name})
    return _back(request)


def download(request: HttpRequest, pk: int) -> FileResponse:
    """Only someone who may see the record gets the file, always as a download with our type."""
    attachment = or_404(selectors.attachment_for, request.user, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = scope.employee_of(request.user)
    attachment = or_404(selectors.attachment_for, request.user, pk)
    if actor is None:
        raise Http404
    try:
        services.remove_attachment(attachment, actor=actor)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(request)
