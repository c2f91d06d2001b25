"""Pinyin initials as people type them to search: place names read as places."""

from __future__ import annotations

import pytest

from maoyi.org.pinyin import initials


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("北京协和医院", "bjxhyy"),
        ("北京朝阳医院", "bjcyyy"),  # pypinyin alone reads 朝阳 as zhāo yáng: bjzyyy
        ("朝阳区卫生院", "cyqwsy"),
        ("单县人民医院", "sxrmyy"),
        ("广州番禺中心医院", "gzpyzxyy"),
        ("朝气蓬勃药房", "zqpbyf"),  # 朝 outside the place name keeps its own sound
    ],
)
def test_initials_are_what_people_type(name: str, typed: str) -> None:
    assert initials(name) == typed
