"""Supplier services: create with an allocated GYS code, change, 停用/启用, every refusal with its
exact code and message (and nothing changed), the duplicate check on name and tax id, permissions."""

from __future__ import annotations

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.org import services as org
from maoyi.purchasing.models import Supplier
from maoyi.purchasing.services import suppliers as services
from maoyi.purchasing.services.suppliers import name_key
from tests.purchasing.builders import make_supplier

pytestmark = pytest.mark.django_db


def entries(obj, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model=obj._meta.model_name, object_id=str(obj.pk), action=action
        ).order_by("id")
    )


def test_creating_a_supplier_stores_its_fields_allocates_a_code_and_audits_it(company):
    supplier = services.create_supplier(
        actor=company.purchaser,
        name=" 北京天坛医疗器械有限公司 ",
        short_name="天坛医疗",
        currency="USD",
        phone="010-88886666",
        email="sales@tiantan.example.com",
        address="北京市东城区天坛路 1 号",
        tax_id=" 91110101 mA01234567 ",
        bank_name="中国银行北京分行",
        bank_account="6217 0000 1234 5678",
        payment_terms_days=60,
        payment_terms="到货后 60 天付清",
        buyer=company.purchaser,
        note="进口耗材代理",
    )

    supplier.refresh_from_db()
    assert (supplier.code, supplier.name, supplier.pinyin) == (
        "GYS0001",
        "北京天坛医疗器械有限公司",
        "bjttylqxyxgs",
    )
    assert (supplier.name_key, supplier.tax_id) == ("北京天坛医疗器械", "91110101MA01234567")
    assert (supplier.currency, supplier.payment_terms_days, supplier.bank_account) == (
        "USD",
        60,
        "6217000012345678",
    )
    assert (supplier.buyer, supplier.created_by, supplier.is_active) == (
        company.purchaser,
        company.purchaser,
        True,
    )
    [created] = entries(supplier, "create")
    assert created.actor == company.purchaser.user
    assert created.changes["code"] == [None, "GYS0001"]
    assert created.changes["currency"] == [None, "美元"]
    assert created.changes["buyer"] == [None, "马丽"]


def test_codes_count_up_skip_codes_typed_by_hand_and_a_typed_code_is_kept(company):
    first = make_supplier("甲公司")
    typed = make_supplier("乙公司", code="GYS0002")
    third = make_supplier("丙公司")
    own = make_supplier("丁公司", code=" abc-9 ")

    assert [first.code, typed.code, third.code, own.code] == ["GYS0001", "GYS0002", "GYS0003", "abc-9"]


def test_defaults_are_cny_and_thirty_days(company):
    supplier = services.create_supplier(actor=company.purchaser, name="杭州某某贸易")

    assert (supplier.currency, supplier.payment_terms_days, supplier.buyer) == ("CNY", 30, None)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("上海康德莱（集团） 有限公司", "上海康德莱集团"),
        ("上海康德莱【集团】股份有限公司", "上海康德莱集团"),
        ("上海康德莱[集团]有限责任公司", "上海康德莱集团"),
        ("上海 康德莱(集团)公司", "上海康德莱集团"),
        ("Medline Industries (USA)", "medlineindustriesusa"),
        ("公司", "公司"),
    ],
)
def test_the_name_key_drops_spaces_brackets_and_company_suffixes(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize(
    "twin_name",
    [
        "上海康德莱（集团）有限公司",
        "上海康德莱集团公司",
        "上海 康德莱 [集团]",
        "上海康德莱(集团)股份有限公司",
    ],
)
def test_a_supplier_named_like_an_existing_one_is_refused_naming_it(company, unchanged, twin_name):
    existing = make_supplier("上海康德莱集团有限责任公司")

    with unchanged(), pytest.raises(DomainError) as refused:
        services.create_supplier(actor=company.purchaser, name=twin_name)

    assert refused.value.code == "duplicate_supplier"
    assert refused.value.field == "name"
    assert refused.value.message == f"已有同名供应商：{existing.code} 上海康德莱集团有限责任公司。"


def test_a_tax_id_of_another_supplier_is_refused_whatever_its_spacing_or_case(company, unchanged):
    existing = make_supplier("苏州鱼跃医疗", tax_id="91320500MA1XYZ0001")

    with unchanged(), pytest.raises(DomainError) as refused:
        services.create_supplier(actor=company.purchaser, name="鱼跃苏州分公司", tax_id="91320500 ma1xyz0001")

    assert refused.value.code == "duplicate_supplier"
    assert refused.value.field == "tax_id"
    assert refused.value.message == (
        f"税号“91320500MA1XYZ0001”已登记在供应商 {existing.code} 苏州鱼跃医疗 名下。"
    )


def test_suppliers_without_a_tax_id_are_not_duplicates_of_each_other(company):
    make_supplier("甲公司")
    make_supplier("乙公司")

    assert Supplier.objects.filter(tax_id="").count() == 2


def test_a_changed_supplier_may_keep_its_own_name_and_tax_id_but_not_take_anothers(company, unchanged):
    other = make_supplier("威高集团", tax_id="91371000MA0000001X")
    supplier = make_supplier("山东新华医疗", tax_id="91370300MA0000002Y")

    services.update_supplier(
        supplier, actor=company.purchaser, name="山东新华医疗有限公司", tax_id="91370300MA0000002Y"
    )
    with unchanged(), pytest.raises(DomainError) as refused:
        services.update_supplier(supplier, actor=company.purchaser, name="威高集团有限公司")

    assert refused.value.code == "duplicate_supplier"
    assert refused.value.message == f"已有同名供应商：{other.code} 威高集团。"


def test_a_code_taken_by_another_supplier_is_refused(company, unchanged):
    make_supplier("甲公司", code="SUP-1")

    with unchanged(), pytest.raises(DomainError) as refused:
        services.create_supplier(actor=company.purchaser, name="乙公司", code="sup-1")

    assert (refused.value.code, refused.value.field) == ("duplicate", "code")
    assert refused.value.message == "供应商编码“sup-1”已存在。"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写供应商名称。"),
        (
            {"code": "GYS 01"},
            "code",
            "供应商编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。",
        ),
        ({"currency": "GBP"}, "currency", "币种无效。"),
        ({"email": "sales@"}, "email", "邮箱格式不正确。"),
        ({"payment_terms_days": -1}, "payment_terms_days", "账期不能为负数。"),
    ],
)
def test_invalid_fields_are_refused_with_a_message_on_the_field(company, unchanged, fields, field, message):
    with unchanged(), pytest.raises(DomainError) as refused:
        services.create_supplier(actor=company.purchaser, **{"name": "杭州某某贸易", **fields})

    assert (refused.value.code, refused.value.field, refused.value.message) == ("invalid", field, message)


def test_a_buyer_who_left_cannot_be_chosen_but_stays_on_a_supplier_that_has_them(company, unchanged):
    supplier = make_supplier("甲公司", buyer=company.purchaser)
    org.leave_employee(company.purchaser, actor=None, handover_to=company.admin)
    company.purchaser.refresh_from_db()

    with unchanged(), pytest.raises(DomainError) as refused:
        services.create_supplier(actor=company.admin, name="乙公司", buyer=company.purchaser)
    kept = services.update_supplier(
        supplier, actor=company.admin, name="甲公司", buyer=company.purchaser, phone="1"
    )

    assert (refused.value.field, refused.value.message) == ("buyer", "采购负责人须是在职员工。")
    assert kept.buyer == company.purchaser


def test_updating_records_only_what_changed_and_a_blank_code_keeps_the_current_one(company):
    supplier = make_supplier("甲公司", phone="021-1111")

    services.update_supplier(
        supplier, actor=company.purchaser, name="甲公司", phone="021-2222", payment_terms_days=45
    )

    supplier.refresh_from_db()
    assert (supplier.code, supplier.phone, supplier.payment_terms_days) == ("GYS0001", "021-2222", 45)
    [updated] = entries(supplier, "update")
    assert updated.changes == {"phone": ["021-1111", "021-2222"], "payment_terms_days": [30, 45]}


def test_deactivating_and_reactivating_a_supplier_is_audited_and_a_repeat_is_refused(company, unchanged):
    supplier = make_supplier("甲公司")

    services.set_supplier_active(supplier, actor=company.purchaser, active=False)
    supplier.refresh_from_db()
    assert supplier.is_active is False
    with unchanged(), pytest.raises(DomainError) as refused:
        services.set_supplier_active(supplier, actor=company.purchaser, active=False)
    assert (refused.value.code, refused.value.message) == ("invalid_state", "供应商已是停用状态。")

    services.set_supplier_active(supplier, actor=company.purchaser, active=True)
    supplier.refresh_from_db()
    assert supplier.is_active is True
    assert [e.changes for e in entries(supplier, "update")] == [
        {"is_active": [True, False]},
        {"is_active": [False, True]},
    ]


def test_roles_without_the_supplier_permissions_are_refused_and_nothing_changes(company, unchanged):
    supplier = make_supplier("甲公司")

    with unchanged():
        with pytest.raises(PermissionRefused):
            services.create_supplier(actor=company.finance_clerk, name="乙公司")
        with pytest.raises(PermissionRefused):
            services.update_supplier(supplier, actor=company.rep_a1, name="甲改名")
        with pytest.raises(PermissionRefused):
            services.set_supplier_active(supplier, actor=company.manager_a, active=False)
