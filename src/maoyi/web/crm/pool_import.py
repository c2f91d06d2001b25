"""导入公海客户: download the template, upload a filled one, see every row and every problem, then
import them all at once.

The preview carries the parsed table to the confirmation in a hidden field signed with
`django.core.signing` (bound to the user, valid for an hour), so the file is uploaded once and the
client cannot change what is imported; the service checks every row again before writing anyway,
since customers may have been created in between."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.core.tabular import XLSX_MIME, ImportInvalid, RowProblem, Table, read_table, write_template
from maoyi.crm.services import pool_import as service
from maoyi.web.common import acting_employee
from maoyi.web.forms import StyledForm, apply_domain_error

SALT = "maoyi.web.crm.pool_import"
TOKEN_AGE = 3600  # seconds a preview stays valid
PREVIEW_ROWS = 200  # rows listed on the preview; every problem is listed whatever the count


class UploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("导入文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV 文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _token(request: HttpRequest, table: Table) -> str:
    return signing.dumps({"u": request.user.pk, "t": table.to_data()}, salt=SALT, compress=True)


def _table_from(request: HttpRequest, token: str) -> Table | None:
    """The table a preview signed for this user, or None when forged, expired or another user's."""
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_AGE)
        if not isinstance(data, dict) or data.get("u") != request.user.pk:
            return None
        return Table.from_data(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _page(
    request: HttpRequest,
    form: UploadForm,
    *,
    table: Table | None = None,
    check: service.PoolImportCheck | None = None,
    problems: list[RowProblem] | None = None,
    error: str = "",
) -> HttpResponse:
    problems = list(check.problems if check is not None else problems or [])
    rows = check.rows if check is not None else []
    clean = check is not None and not problems and bool(rows)
    context: dict[str, Any] = {
        "form": form,
        "error": error,
        "columns": service.COLUMNS,
        "required": service.REQUIRED,
        "max_rows": service.MAX_ROWS,
        "max_mb": f"{service.MAX_BYTES / (1024 * 1024):g}",
        "previewed": check is not None or bool(problems),
        "rows": rows[:PREVIEW_ROWS],
        "row_count": len(rows),
        "more_rows": max(len(rows) - PREVIEW_ROWS, 0),
        "problems": problems,
        "problem_rows": {p.row for p in problems},
        "token": _token(request, table) if clean and table is not None else "",
    }
    status = 400 if form.errors or problems or error else 200
    return render(request, "web/crm/pool_import.html", context, status=status)


@permission_required(service.PERMISSIONS, raise_exception=True)
def pool_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST a file: the preview. POST `token`: the import."""
    if request.method != "POST":
        return _page(request, UploadForm())
    actor = acting_employee(request)
    if "token" in request.POST:
        table = _table_from(request, request.POST["token"])
        if table is None:
            return _page(request, UploadForm(), error=_("预览已失效，请重新上传文件。"))
        try:
            created = service.import_pool_customers(actor=actor, table=table)
        except PermissionRefused:
            raise PermissionDenied from None
        except ImportInvalid as exc:  # something changed since the preview (a customer created meanwhile)
            return _page(request, UploadForm(), problems=exc.problems, error=exc.message)
        messages.success(request, _("已导入 %(count)s 个客户到公海。") % {"count": len(created)})
        return redirect("web:pool-list")

    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    upload = form.cleaned_data["file"]
    try:
        table = read_table(
            upload, name=upload.name or "", max_bytes=service.MAX_BYTES, max_rows=service.MAX_ROWS
        )
        check = service.check_pool_import(table)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _page(request, form)
    return _page(request, UploadForm(), table=table, check=check)


@permission_required(service.PERMISSIONS, raise_exception=True)
def pool_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(write_template(service.template()), content_type=XLSX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, _("公海客户导入模板") + ".xlsx") or "attachment"
    )
    return response


urlpatterns: list[URLPattern] = [
    path("pool/import/", pool_import, name="pool-import"),
    path("pool/import/template/", pool_import_template, name="pool-import-template"),
]
