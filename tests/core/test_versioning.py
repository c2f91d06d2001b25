"""maoyi.core.versioning: the version check of update services and the refusal's message."""

from __future__ import annotations

import pytest

from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError
from maoyi.core.versioning import StaleVersion, claim, parse_version
from maoyi.crm import services as crm_services
from maoyi.crm.models import Customer
from maoyi.org import services as org_services
from tests.crm.builders import make_customer
from tests.factories import make_department


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, None), ("", None), (3, 3), ("3", 3), ('"3"', 3), ('W/"7"', 7), (" 2 ", 2)],
)
def test_parse_version_reads_bodies_and_if_match(given, expected):
    assert parse_version(given) == expected


@pytest.mark.parametrize("given", ["abc", "0", "-1", "1.5", True, '"x"'])
def test_parse_version_refuses_anything_else_as_input(given):
    with pytest.raises(DomainError) as refused:
        parse_version(given)
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "invalid",
        "version",
        "版本号无效。",
    )


def _update(customer: Customer, actor, version, **changes) -> Customer:
    fields = {
        "name": customer.name,
        "kind": customer.kind,
        "level": customer.level,
        "phone": customer.phone,
        "address": customer.address,
        "credit_limit": customer.credit_limit,
        **changes,
    }
    return crm_services.update_customer(customer, actor=actor, version=version, **fields)


def test_several_saves_since_are_merged_first_old_value_to_last_new_value(company):
    customer = make_customer(company.rep_a1, "上海瑞金医院", phone="021-1")
    loaded = Customer.objects.get(pk=customer.pk)
    _update(customer, company.rep_a1, 1, phone="021-2")
    _update(Customer.objects.get(pk=customer.pk), company.manager_a, 2, phone="021-3", address="上海")
    with pytest.raises(StaleVersion) as refused:
        _update(loaded, None, 1, level="c")
    error = refused.value
    assert error.code == "stale_version" and error.field == "version"
    assert f"此记录已被 {company.manager_a.name}、{company.rep_a1.name} 在 " in error.message
    assert error.message.endswith("修改（电话：021-1 → 021-3；地址：— → 上海），请刷新后重试。")
    assert error.changed == {"phone": ("021-1", "021-3"), "address": ("", "上海")}
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.version, fresh.level) == (3, customer.level)


def test_claim_without_an_expected_version_bumps_it(company):
    dept = make_department("华东区", company.root)
    assert claim(dept, None) == 2
    dept.refresh_from_db()
    assert dept.version == 2
    with pytest.raises(StaleVersion) as refused:
        claim(dept, 1, history=history_of)
    # no audit entry holds a change since version 1: the general message
    assert refused.value.message == "此记录已被他人修改，请刷新后重试。"


def test_a_refused_update_service_writes_nothing(company):
    dept = make_department("华东区", company.root)
    org_services.update_department(dept, actor=company.admin, version=1, name="华东大区", parent=company.root)
    with pytest.raises(StaleVersion):
        org_services.update_department(dept, actor=company.admin, version=1, name="东区", parent=company.root)
    dept.refresh_from_db()
    assert (dept.name, dept.version) == ("华东大区", 2)
