"""大写金额: an amount of money in Chinese capital numerals, as printed on invoices, receipts and
orders (人民币大写) under the usual accounting rules:

- whole yuan end with 整 (100 → 壹佰元整), amounts with 角 or 分 do not (0.50 → 伍角);
- 拾 is always preceded by its digit (10 → 壹拾元整), as accounting forms require;
- a run of zeros inside the number is read as one 零 (1001 → 壹仟零壹元整); zeros at the end of a
  group of four are not read, but a group that does not fill its thousands place after a higher group
  is preceded by 零 (101000 → 壹拾万壹仟元整, 100010 → 壹拾万零壹拾元整);
- 零 stands between 元 and 分 when 角 is zero (10000.01 → 壹万元零壹分);
- a negative amount starts with 负; zero is 零元整.

The amount is rounded half up to the fen first."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_WAN = 10_000
_YI = 100_000_000
# Beyond a trillion yuan (万亿) nothing a trading company prints makes sense: refuse, not misprint.
LIMIT = Decimal("10000000000000000")


def _four(group: int) -> str:
    """0 < group < 10000, zeros inside read once (1001 → 壹仟零壹, 1010 → 壹仟零壹拾)."""
    words, zero = "", False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _PLACES[place]
    return words


def _below_yi(number: int) -> str:
    """0 < number < 1亿 (1,0001 → 壹万零壹; 10,1000 → 壹拾万壹仟)."""
    high, low = divmod(number, _WAN)
    if not high:
        return _four(low)
    words = _four(high) + "万"
    if low:
        words += ("零" if low < 1000 else "") + _four(low)
    return words


def _integer(number: int) -> str:
    """number > 0 in capitals; above 亿 the part before 亿 is itself read (1,0001,0000,0000 →
    壹万零壹亿)."""
    high, low = divmod(number, _YI)
    if not high:
        return _below_yi(number)
    words = _integer(high) + "亿"
    if low:
        words += ("零" if low < 10_000_000 else "") + _below_yi(low)
    return words


def amount_in_words(amount: Decimal | int | str) -> str:
    """人民币大写 of an amount of money: 1004050.08 → 壹佰万肆仟零伍拾元零捌分, 100 → 壹佰元整,
    0.50 → 伍角, -3 → 负叁元整, 0 → 零元整."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(value) >= LIMIT:
        raise ValueError(f"amount too large to write in capitals: {value}")
    fen_total = int(abs(value) * 100)
    if fen_total == 0:
        return "零元整"
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    words = "负" if value < 0 else ""
    if yuan:
        words += _integer(yuan) + "元"
    if not cents:
        return words + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    return words
