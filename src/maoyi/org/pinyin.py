"""Pinyin initials for search (北京协和医院 → bjxhyy), computed at write time and stored."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _converter() -> Any:
    from pypinyin import Style, lazy_pinyin  # loaded on first use: its dictionary costs memory

    return lambda text: lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")


def initials(text: str) -> str:
    parts = _converter()(text or "")
    return "".join(p[0] for p in parts if p and p[0].isalnum()).lower()[:60]
