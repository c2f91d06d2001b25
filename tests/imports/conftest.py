from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from maoyi.web.imports import jobs


@pytest.fixture
def inline(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, settings: Any) -> Iterator[None]:
    """Jobs run in the request, their state starting empty."""
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(jobs, "INLINE", True)
    jobs.store().clear()
    yield
    jobs.store().clear()


def xlsx(headers: list[str], *rows: list[Any], name: str = "导入.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())
