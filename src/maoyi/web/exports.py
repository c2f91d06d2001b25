"""导出 Excel on list pages: `?format=xlsx` answers the list as filtered, scoped and ordered on
screen (every page) as an .xlsx attachment. A list view builds its queryset as usual, then
`if wants_xlsx(request): return xlsx_response(…)`; its columns live next to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from maoyi.core.tabular import MAX_EXPORT_ROWS, XLSX_MIME, ExportColumn, write_table

__all__ = ["ExportColumn", "wants_xlsx", "xlsx_response"]


def wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def xlsx_response(
    request: HttpRequest,
    rows: QuerySet[Any] | Iterable[Any],
    columns: Sequence[ExportColumn],
    name: str | Promise,
    *,
    prepare: Callable[[list[Any]], Iterable[Any]] | None = None,
) -> HttpResponse:
    """The rows as `<name>-<YYYYMMDD>.xlsx` (the sheet titled `name`). `prepare` turns the fetched
    records into what the columns read (e.g. adds each order's receivable, fetched once for all).
    More than `MAX_EXPORT_ROWS` rows: back to the list with a message asking to narrow the filter."""
    fetched = list(rows[: MAX_EXPORT_ROWS + 1]) if isinstance(rows, QuerySet) else list(rows)
    if len(fetched) > MAX_EXPORT_ROWS:
        messages.error(
            request,
            _("导出最多 %(limit)s 行，当前筛选结果超过此数，请缩小筛选范围后再导出。")
            % {"limit": f"{MAX_EXPORT_ROWS:,}"},
        )
        query = urlencode([(k, v) for k, v in request.GET.items() if k != "format"])
        return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
    records = list(prepare(fetched)) if prepare is not None else fetched
    content = write_table(columns, records, sheet_title=name)
    response = HttpResponse(content, content_type=XLSX_MIME)
    filename = f"{name}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    return response
