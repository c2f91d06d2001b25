"""大写金额: money in Chinese capitals under the accounting rules, above all where 零 goes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.core.chinese_amount import amount_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # Whole yuan end with 整; 拾 always has its digit.
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("100", "壹佰元整"),
        ("110", "壹佰壹拾元整"),
        ("1000", "壹仟元整"),
        ("10000", "壹万元整"),
        ("100000000", "壹亿元整"),
        # Zeros inside a group are read once.
        ("101", "壹佰零壹元整"),
        ("1001", "壹仟零壹元整"),
        ("1010.10", "壹仟零壹拾元壹角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        # Across 万 and 亿: a group that does not fill its thousands place gets 零.
        ("10001", "壹万零壹元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("101000", "壹拾万壹仟元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1000001", "壹佰万零壹元整"),
        ("1004050.08", "壹佰万肆仟零伍拾元零捌分"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("120000000", "壹亿贰仟万元整"),
        ("102000000", "壹亿零贰佰万元整"),
        ("1000100000000", "壹万零壹亿元整"),
        ("1000000000000", "壹万亿元整"),
        ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        # 角 and 分: no 整 after them; 零 between 元 and 分 when 角 is zero.
        ("0.50", "伍角"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        ("1.05", "壹元零伍分"),
        ("10.5", "壹拾元伍角"),
        ("10000.01", "壹万元零壹分"),
        ("11300.00", "壹万壹仟叁佰元整"),
        # Negative amounts (a refund, a red-letter balance).
        ("-3", "负叁元整"),
        ("-12.30", "负壹拾贰元叁角"),
        ("-0.01", "负壹分"),
    ],
)
def test_an_amount_reads_in_capitals(amount: str, words: str) -> None:
    assert amount_in_words(D(amount)) == words


def test_an_amount_is_rounded_half_up_to_the_fen_first() -> None:
    assert amount_in_words(D("0.005")) == "壹分"
    assert amount_in_words(D("0.004")) == "零元整"
    assert amount_in_words(D("99.995")) == "壹佰元整"
    assert amount_in_words(D("-0.004")) == "零元整"


def test_integers_and_text_are_read_as_decimals() -> None:
    assert amount_in_words(20) == "贰拾元整"
    assert amount_in_words("1234.56") == "壹仟贰佰叁拾肆元伍角陆分"


def test_an_amount_of_ten_thousand_trillion_or_more_is_refused() -> None:
    assert amount_in_words(D("9999999999999999.99")).startswith("玖仟玖佰玖拾玖万")
    with pytest.raises(ValueError):
        amount_in_words(D("10000000000000000"))
