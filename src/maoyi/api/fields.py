"""Serializer fields shared by the API modules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class SafeSlugRelatedField(serializers.SlugRelatedField):
    """A slug lookup that answers 400 for a value with a NUL character: DRF's own field would pass
    it to the query, which PostgreSQL refuses with an error (a 500), found by schemathesis."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
