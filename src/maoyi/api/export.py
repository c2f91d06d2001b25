"""`?format=xlsx` on every list endpoint (API.md "Exports"), in one place.

The renderer turns a list response into a sheet whose columns are the serializer's fields (their
labels as headers, in the request's language); the pagination (`api/pagination.py`) hands it every
row of the filtered, scoped queryset instead of one page. The content negotiation offers the sheet
on list actions only (a detail or an action asked for xlsx answers 404 like an unknown format, or
406 through `Accept`), and the schema (`api/schema.py`) documents it there only. A refusal is JSON
whatever was asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.http import content_disposition_header
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from maoyi.core.tabular import XLSX_MIME, ExportColumn, Kind, write_table

XLSX_FORMAT = "xlsx"
# The keys that name a nested object best, in order (a customer by its name, an order by its number).
_NAMING_KEYS = ("number", "name", "title", "code", "username", "label")


def exports(view: Any) -> bool:
    """Whether this view answers with a sheet when asked: list actions only."""
    return getattr(view, "action", None) == "list"


def exporting(request: Request) -> bool:
    """Whether the response to this request is a sheet (asked by `?format=xlsx` or `Accept`)."""
    return getattr(getattr(request, "accepted_renderer", None), "format", None) == XLSX_FORMAT


def summary(value: Any) -> str:
    """A nested object or list as short text: an object by its number, name, title or code; a list
    as its items joined."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        for key in _NAMING_KEYS:
            if value.get(key) not in (None, ""):
                return str(value[key])
        return " ".join(str(v) for v in value.values() if isinstance(v, str | int) and v != "")
    if isinstance(value, list | tuple):
        return "、".join(text for text in (summary(item) for item in value) if text)
    return str(value)


def _kind(field: serializers.Field) -> str:
    if isinstance(field, serializers.DecimalField):
        return Kind.MONEY if field.decimal_places == 2 else Kind.QUANTITY
    if isinstance(field, serializers.DateTimeField):
        return Kind.DATETIME
    if isinstance(field, serializers.DateField):
        return Kind.DATE
    if isinstance(field, serializers.IntegerField | serializers.FloatField):
        return Kind.NUMBER
    return Kind.TEXT


def _nested_lines(field: serializers.Field) -> bool:
    return isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, serializers.BaseSerializer
    )


def columns_of(serializer: Any) -> list[ExportColumn]:
    """One column per readable field of the (list) serializer, nested line lists left out."""
    child: Any = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
    fields = child.fields
    columns = []
    for name, field in fields.items():
        if field.write_only or _nested_lines(field):
            continue
        label = field.label or name
        kind = _kind(field)
        if kind == Kind.TEXT:
            columns.append(ExportColumn(label, getter=_text_of(name)))
        else:
            columns.append(ExportColumn(label, key=name, kind=kind))
    return columns


def _text_of(name: str) -> Callable[[Any], Any]:
    return lambda row: _text(row.get(name))


def _text(value: Any) -> Any:
    return summary(value) if isinstance(value, Mapping | list | tuple) else value


def _rows(data: Any) -> list[Any] | None:
    if isinstance(data, Mapping) and "results" in data:
        data = data["results"]
    return data if isinstance(data, list) else None


def _resource(request: Any) -> str:
    parts = [part for part in getattr(request, "path", "").split("/") if part]
    return parts[-1] if parts else "export"


def _sheet_title(serializer: Any, resource: str) -> str:
    child = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
    model = getattr(getattr(child, "Meta", None), "model", None)
    return str(model._meta.verbose_name_plural) if model is not None else resource


class XlsxRenderer(BaseRenderer):
    """A list response as an .xlsx attachment named `<resource>-<YYYYMMDD>.xlsx`."""

    media_type = XLSX_MIME
    format = XLSX_FORMAT
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        rows = _rows(data)
        if response is None or response.status_code >= 300 or rows is None:
            # Refusals (401, 400 "too many rows"…) keep the API's JSON body.
            if response is not None:
                response["Content-Type"] = "application/json"
            return JSONRenderer().render(data, "application/json", dict(context))
        serializer = getattr(rows, "serializer", None)
        if serializer is None:
            serializer = context["view"].get_serializer()
        resource = _resource(context.get("request"))
        content = write_table(columns_of(serializer), rows, sheet_title=_sheet_title(serializer, resource))
        filename = f"{resource}-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return content


class ExportNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, the sheet offered on list actions only."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if not exports(view):
            renderers = [r for r in renderers if not isinstance(r, XlsxRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
