"""Supplier reads: search by code, name, pinyin initials, phone and tax id; filters and ordering;
suppliers as finance's parties."""

from __future__ import annotations

import pytest

from maoyi.finance.parties import get_party, search_parties, source
from maoyi.purchasing import selectors
from maoyi.purchasing.services import suppliers as services
from tests.purchasing.builders import make_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(company):
    beijing = make_supplier("北京天坛医疗器械有限公司", phone="010-66668888", tax_id="91110000AAA")
    medline = make_supplier("Medline Industries", currency="USD", buyer=company.purchaser)
    shanghai = make_supplier("上海康德莱", tax_id="91310000BBB")
    services.set_supplier_active(shanghai, actor=None, active=False)
    return beijing, medline, shanghai


def codes(qs) -> list[str]:
    return [s.code for s in qs]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("bj", ["GYS0001"]),
        ("BJTT", ["GYS0001"]),
        ("天坛", ["GYS0001"]),
        ("gys0002", ["GYS0002"]),
        ("6666", ["GYS0001"]),
        ("bbb", ["GYS0003"]),
        ("medline", ["GYS0002"]),
        ("广州", []),
    ],
)
def test_search_matches_code_name_pinyin_initials_phone_and_tax_id(three, term, found):
    assert codes(selectors.suppliers(search=term)) == found


def test_filters_by_active_and_currency_and_sorts(three):
    assert codes(selectors.suppliers(active=True)) == ["GYS0001", "GYS0002"]
    assert codes(selectors.suppliers(active=False)) == ["GYS0003"]
    assert codes(selectors.suppliers(currency="USD")) == ["GYS0002"]
    assert codes(selectors.suppliers(ordering="-code")) == ["GYS0003", "GYS0002", "GYS0001"]


def test_a_supplier_is_a_finance_party_with_its_buyer_and_currency(company, three):
    _beijing, medline, _shanghai = three

    party = get_party(company.finance_clerk.user, "supplier", medline.pk)

    assert party is not None
    assert (party.kind, party.id, party.name, party.currency) == (
        "supplier",
        medline.pk,
        "Medline Industries",
        "USD",
    )
    assert (party.owner_id, party.department_id) == (company.purchaser.pk, company.purchasing.pk)
    assert get_party(company.finance_clerk.user, "supplier", 999999) is None
    assert source("supplier").url_name == "web:supplier-detail"


def test_party_search_finds_switched_off_suppliers_after_active_ones(company, three):
    found = search_parties(company.finance_clerk.user, "supplier", "", limit=10)

    assert [p.name for p in found] == ["北京天坛医疗器械有限公司", "Medline Industries", "上海康德莱"]
    assert [p.name for p in search_parties(company.finance_clerk.user, "supplier", "bj", limit=10)] == [
        "北京天坛医疗器械有限公司"
    ]
    assert len(search_parties(company.finance_clerk.user, "supplier", "", limit=1)) == 1
