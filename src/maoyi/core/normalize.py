"""The keys the duplicate checks (查重) of customers and suppliers compare: a company's name
without spaces, brackets and company-form suffixes, its phone as digits, its tax id in capitals."""

from __future__ import annotations

import re

_BRACKETS = re.compile(r"[\s()（）【】\[\]〔〕{}｛｝<>《》]+")
# Longest first: 股份有限公司 must go before 有限公司 and 公司 can eat its tail.
COMPANY_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司")
# Customers: a group and its company are one customer to the sales team.
WITH_GROUP = (*COMPANY_FORMS, "集团")
_NON_DIGITS = re.compile(r"\D+")


def name_key(name: str, *, suffixes: tuple[str, ...] = WITH_GROUP) -> str:
    """北京 协和（医疗）器械有限公司 → 北京协和医疗器械; suffixes repeat (…集团有限公司) and go too.
    Suppliers pass `COMPANY_FORMS`: a supplier group and its trading company are different payees."""
    key = _BRACKETS.sub("", name or "").lower()
    stripped = True
    while stripped:
        stripped = False
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key


def phone_key(phone: str) -> str:
    """Digits only, without the country code: +86 138-0000-0000 and 13800000000 are one phone."""
    digits = _NON_DIGITS.sub("", phone or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def tax_key(tax_id: str) -> str:
    return re.sub(r"\s+", "", tax_id or "").upper()
