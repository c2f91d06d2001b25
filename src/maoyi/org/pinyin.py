"""Pinyin initials for search (北京协和医院 → bjxhyy), computed at write time and stored."""

from __future__ import annotations

from functools import cache
from typing import Any

# Place names pypinyin reads with a character's other sound (朝阳 as zhāo yáng, "the morning sun"):
# a customer called 北京朝阳医院 is searched as bjcy, not bjzy.
PLACES = {
    "朝阳": [["cháo"], ["yáng"]],
    "单县": [["shàn"], ["xiàn"]],
    "东阿": [["dōng"], ["ē"]],
    "铅山": [["yán"], ["shān"]],
    "番禺": [["pān"], ["yú"]],
    "涡阳": [["guō"], ["yáng"]],
}


@cache
def _converter() -> Any:
    from pypinyin import Style, lazy_pinyin, load_phrases_dict  # loaded on first use: it costs memory

    load_phrases_dict(PLACES)
    return lambda text: lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")


def initials(text: str) -> str:
    parts = _converter()(text or "")
    return "".join(p[0] for p in parts if p and p[0].isalnum()).lower()[:60]
