"""导入 pages: per kind, download the template, upload a file, watch it being checked, read every
problem (row and column) or import the clean file, watch the import, see the result.

The check and the import run as background jobs (`jobs`); the page polls the job's progress with
htmx every second and reloads itself when the job is finished. A job is its uploader's: anyone
else gets 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.tabular import XLSX_MIME, write_template
from maoyi.web.common import acting_employee
from maoyi.web.forms import StyledForm
from maoyi.web.imports import jobs
from maoyi.web.imports.kinds import KINDS, Kind


class UploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("导入文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV 文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _kind(request: HttpRequest, slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404
    if not kind.allowed(request.user):
        raise PermissionDenied
    return kind


def _job(request: HttpRequest, job_id: str) -> tuple[jobs.Job, Kind]:
    job = jobs.load(job_id)
    if job is None or job.user_id != request.user.pk:
        raise Http404
    return job, _kind(request, job.slug)


def index(request: HttpRequest) -> HttpResponse:
    """The kinds of import the user may run."""
    kinds = [kind for kind in KINDS.values() if kind.allowed(request.user)]
    if not kinds:
        raise PermissionDenied
    return render(request, "web/imports/index.html", {"kinds": kinds})


def _page(request: HttpRequest, kind: Kind, form: UploadForm, job: jobs.Job | None = None) -> HttpResponse:
    importer = kind.importer
    failed = job is not None and not job.running and (bool(job.problems) or bool(job.error))
    context: dict[str, Any] = {
        "kind": kind,
        "importer": importer,
        "form": form,
        "job": job,
        "columns": importer.template_columns(),
        "max_rows": importer.max_rows,
        "max_mb": f"{importer.max_bytes / (1024 * 1024):g}",
        "problems": job.problem_list() if job is not None else [],
    }
    status = 400 if form.errors or failed else 200
    return render(request, "web/imports/page.html", context, status=status)


def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the upload form. POST a file: start checking it, then show the job."""
    kind = _kind(request, slug)
    if request.method != "POST":
        return _page(request, kind, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, kind, form)
    upload = form.cleaned_data["file"]
    if upload.size is not None and upload.size > kind.importer.max_bytes:
        form.add_error(
            "file", _("文件太大：最大 %(limit)s MB。") % {"limit": f"{kind.importer.max_bytes / 1048576:g}"}
        )
        return _page(request, kind, form)
    job = jobs.start_check(
        kind.importer,
        user_id=int(request.user.pk or 0),
        actor=acting_employee(request),
        file_name=upload.name or "",
        data=upload.read(),
    )
    return redirect("web:import-job", job_id=job.id)


def import_template(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(request, slug)
    response = HttpResponse(write_template(kind.importer.template()), content_type=XLSX_MIME)
    name = _("%(title)s导入模板") % {"title": kind.importer.title} + ".xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


def import_job(request: HttpRequest, job_id: str) -> HttpResponse:
    """The job: its progress while it runs; then its problems, or the clean file's preview with the
    导入 button, or the import's result."""
    job, kind = _job(request, job_id)
    return _page(request, kind, UploadForm(), job)


def import_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    """The progress bar (polled); a finished job makes the page reload to show its outcome."""
    job, _unused = _job(request, job_id)
    response = render(request, "web/imports/progress.html", {"job": job})
    if not job.running:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_confirm(request: HttpRequest, job_id: str) -> HttpResponse:
    """导入: the checked, clean file's rows are imported in the background."""
    job, kind = _job(request, job_id)
    acting_employee(request)
    if not jobs.start_import(job, kind.importer):
        messages.error(request, _("此文件已导入或预览已失效，请重新上传。"))
    return redirect("web:import-job", job_id=job.id)
