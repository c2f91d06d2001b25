"""Optimistic locking in the API (see maoyi.core.versioning).

Every editable resource returns its `version` (read-only). A PUT or PATCH may say which version it
was based on, as `"version": 3` in the body or an `If-Match: "3"` header (the body wins when both
are given); a stale one is refused with 409 `{"detail": "此记录已被 张伟 在 11-27 14:03 修改（电话：
… → …），请刷新后重试。", "code": "stale_version", "field": "version"}` and nothing is written. A
request with neither keeps last-write-wins (clients written before versions existed go on
working); the version is bumped all the same. Web forms always send it."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework.request import Request

from maoyi.core.versioning import parse_version


def expected_version(request: Request) -> int | None:
    """The version a PUT/PATCH is based on: the body's `version`, else `If-Match`, else None."""
    data = request.data
    body = data.get("version") if isinstance(data, Mapping) else None
    if body not in (None, ""):
        return parse_version(body)
    return parse_version(request.headers.get("If-Match"))
