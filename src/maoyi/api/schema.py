"""The OpenAPI schema class: drf-spectacular's, with the sheet export (`api/export.py`) documented
where it is served. Kept apart from the renderer, which DRF imports while drf-spectacular is
still importing DRF's views."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from maoyi.api.export import XLSX_FORMAT, exports
from maoyi.core.tabular import XLSX_MIME


class ExportAutoSchema(AutoSchema):
    """drf-spectacular's schema with the sheet documented where it is served: the `format`
    parameter and a binary 2xx body on list operations, nowhere else."""

    def _exports(self) -> bool:
        return self.method == "GET" and exports(self.view)

    def map_renderers(self, attribute: str) -> list[Any]:
        mapped = super().map_renderers(attribute)
        if self._exports():
            return mapped
        return [value for value in mapped if value not in (XLSX_MIME, XLSX_FORMAT)]

    def _get_response_for_code(
        self, serializer: Any, status_code: str, media_types: Any = None, direction: str = "response"
    ) -> dict[str, Any]:
        response: dict[str, Any] = super()._get_response_for_code(
            serializer, status_code, media_types, direction
        )
        content = response.get("content")
        if content and XLSX_MIME in content:
            if "200" <= status_code < "300":
                content[XLSX_MIME] = {"schema": {"type": "string", "format": "binary"}}
            else:
                del content[XLSX_MIME]
        return response
