"""Pages of 20 (`?page_size=` up to 200); an export (`?format=xlsx`) gets every row instead, up to
`MAX_EXPORT_ROWS`, and beyond that a 400 asking to narrow the filter."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from maoyi.api.export import exporting
from maoyi.core.tabular import MAX_EXPORT_ROWS


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    exporting = False

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self.exporting = exporting(request)
        if not self.exporting:
            return super().paginate_queryset(queryset, request, view)
        rows = list(queryset[: MAX_EXPORT_ROWS + 1])
        if len(rows) > MAX_EXPORT_ROWS:
            raise serializers.ValidationError(
                {
                    "format": [
                        _("导出最多 %(limit)s 行，当前筛选结果超过此数，请缩小筛选范围后再导出。")
                        % {"limit": f"{MAX_EXPORT_ROWS:,}"}
                    ]
                }
            )
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        if self.exporting:
            return Response(data)
        return super().get_paginated_response(data)
