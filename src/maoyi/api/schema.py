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


# Fields a serializer leaves out for callers without the cost permission (inventory.view_stockmove):
# present for the others, so documented but not required.
ROLE_DEPENDENT_FIELDS = {
    "StockBalance": ("unit_cost", "value"),
    "GoodsReceiptLine": ("unit_cost",),
}


def document_refusals(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook. Every operation can answer 400 (a malformed query
    parameter, filter, header such as Idempotency-Key, or body) and 404 (a record that does not
    exist or is outside the caller's scope, or a `page` past the end of a list), so both are
    documented everywhere; and the cost fields some roles do not receive are not `required`."""
    from maoyi.api.errors import FIELD_ERRORS

    error = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "400",
                {"content": {"application/json": {"schema": FIELD_ERRORS}}, "description": "invalid input"},
            )
            responses.setdefault(
                "404",
                {
                    "content": {"application/json": {"schema": error}},
                    "description": "no such record, or outside the caller's data scope",
                },
            )
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in ROLE_DEPENDENT_FIELDS.items():
        component = schemas.get(name)
        if component and "required" in component:
            component["required"] = [f for f in component["required"] if f not in fields]
    return result
