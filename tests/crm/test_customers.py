"""Customers: create and update through the services (rules, duplicate check 查重, permissions, data
scope, audit), the scoped selectors with pinyin search, and customers as finance parties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import PriceLevel
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.core.normalize import name_key, phone_key
from maoyi.crm import selectors, services
from maoyi.crm.models import CustomerKind, CustomerLevel
from maoyi.finance.parties import Party, get_party, search_parties, source
from maoyi.org.models import EmployeeStatus
from tests.crm.builders import make_customer, unchanged
from tests.factories import make_employee

pytestmark = pytest.mark.django_db


def create(actor, name="上海瑞金医院", **fields):
    fields.setdefault("kind", CustomerKind.END_CUSTOMER)
    fields.setdefault("level", CustomerLevel.A)
    return services.create_customer(actor=actor, name=name, **fields)


def update(customer, actor, **changes):
    fields = {
        name: getattr(customer, name)
        for name in (
            "name",
            "kind",
            "level",
            "phone",
            "tax_id",
            "address",
            "credit_limit",
            "price_level",
            "parent",
            "channel_partner",
            "source",
            "tags",
            "note",
        )
    }
    return services.update_customer(customer, actor=actor, **{**fields, **changes})


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


# Create --------------------------------------------------------------------------------------------


def test_a_salesperson_creates_a_customer_they_own_with_keys_for_search_and_an_audit_row(company):
    customer = create(
        company.rep_a1,
        name=" 北京协和（医疗）器械有限公司 ",
        phone="+86 138-0013-8000",
        tax_id="91110000mA01abcd2x",
        credit_limit=D("50000.005"),
        source="exhibition",
        tags="三甲， 重点、三甲,耗材",
        address="北京市东城区帅府园1号",
    )
    customer.refresh_from_db()
    assert customer.name == "北京协和（医疗）器械有限公司"
    assert (customer.owner, customer.department) == (company.rep_a1, company.team_a)
    assert customer.created_by == company.rep_a1.user
    assert customer.pinyin == "bjxhylqxyxgs"
    assert customer.name_key == "北京协和医疗器械"
    assert customer.phone_key == "13800138000"
    assert customer.tax_id == "91110000MA01ABCD2X"
    assert customer.credit_limit == D("50000.01")
    assert customer.tags == "三甲,重点,耗材"
    entry = AuditEntry.objects.get(object_id=str(customer.pk), content_type__model="customer")
    assert entry.action == "create" and entry.actor == company.rep_a1.user
    assert entry.changes["name"] == [None, "北京协和（医疗）器械有限公司"]
    assert entry.changes["owner"] == [None, "张伟"] and entry.changes["kind"] == [None, "终端客户"]


def test_a_customer_can_be_given_to_another_owner_or_straight_to_the_pool(company):
    given = create(company.manager_a, name="甲医院", owner=company.rep_a2)
    pooled = create(company.admin, name="乙医院", owner=None)
    assert (given.owner, given.department) == (company.rep_a2, company.team_a)
    assert (pooled.owner, pooled.department) == (None, None)


@pytest.mark.parametrize(
    ("fields", "code", "message", "field"),
    [
        ({"name": "  "}, "invalid", "请填写客户名称。", "name"),
        ({"kind": "hospital"}, "invalid", "请选择客户类型。", "kind"),
        ({"level": "z"}, "invalid", "请选择客户等级。", "level"),
        ({"tax_id": "1234"}, "invalid", "税号应为 15 到 20 位字母或数字。", "tax_id"),
        ({"tax_id": "91110000-MA01ABCD"}, "invalid", "税号应为 15 到 20 位字母或数字。", "tax_id"),
        ({"credit_limit": D("-0.01")}, "invalid", "信用额度不能为负数。", "credit_limit"),
        ({"source": "tv"}, "invalid", "客户来源无效。", "source"),
    ],
)
def test_invalid_fields_are_refused_on_their_field_and_nothing_is_written(
    company, fields, code, message, field
):
    refused(lambda: create(company.rep_a1, **fields), code, message, field)


def test_parent_and_channel_partner_must_be_distributors_or_agents(company):
    hospital = make_customer(company.rep_a1, "某医院")
    refused(
        lambda: create(company.rep_a1, name="下级", parent=hospital),
        "invalid",
        "上级渠道必须是分销商或代理商。",
        "parent",
    )
    refused(
        lambda: create(company.rep_a1, name="终端", channel_partner=hospital),
        "invalid",
        "所属渠道必须是分销商或代理商。",
        "channel_partner",
    )
    agent = make_customer(company.rep_b1, "华东代理", kind=CustomerKind.AGENT)
    distributor = create(company.rep_b1, name="杭州分销", kind=CustomerKind.DISTRIBUTOR, parent=agent)
    end = create(company.rep_a1, name="杭州医院", channel_partner=distributor)
    assert (distributor.parent, end.channel_partner) == (agent, distributor)


def test_a_partner_cannot_be_its_own_parent_nor_below_its_own_descendant(company):
    top = make_customer(company.rep_b1, "一级代理", kind=CustomerKind.AGENT)
    middle = make_customer(company.rep_b1, "二级分销", kind=CustomerKind.DISTRIBUTOR, parent=top)
    refused(lambda: update(top, company.rep_b1, parent=top), "invalid", "上级渠道不能是客户自己。", "parent")
    refused(
        lambda: update(top, company.rep_b1, channel_partner=top),
        "invalid",
        "所属渠道不能是客户自己。",
        "channel_partner",
    )
    refused(
        lambda: update(top, company.rep_b1, parent=middle),
        "invalid",
        "上级渠道不能是客户自己的下级渠道。",
        "parent",
    )


def test_an_owner_who_left_is_refused(company):
    leaver = make_employee(company.team_a, "salesperson", name="离职员工")
    leaver.status = EmployeeStatus.LEFT
    leaver.save(update_fields=["status"])
    refused(lambda: create(company.admin, owner=leaver), "invalid", "负责人“离职员工”已离职。", "owner")


def test_a_switched_off_price_level_is_refused_for_a_new_customer(company):
    level = PriceLevel.objects.create(code="vip", name="VIP 客户价", is_active=False)
    refused(
        lambda: create(company.rep_a1, price_level=level),
        "invalid",
        "价格等级“VIP 客户价”已停用。",
        "price_level",
    )


def test_roles_without_the_add_permission_are_refused(company):
    for employee in (company.purchaser, company.finance_clerk):
        with unchanged(), pytest.raises(PermissionRefused):
            create(employee)


# Duplicate check (查重) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "twin",
    [
        "北京协和医疗器械有限公司",
        "北京协和医疗器械股份有限公司",
        "北京协和医疗器械有限责任公司",
        "北京协和医疗器械集团",
        "北京 协和 医疗器械",
        "北京协和（医疗器械）公司",
        "【北京协和】医疗器械(有限公司)",
        "[北京协和医疗器械]",
    ],
)
def test_a_name_differing_only_in_spaces_brackets_or_company_suffixes_is_a_duplicate(company, twin):
    make_customer(company.rep_b1, "北京协和医疗器械")
    refused(
        lambda: create(company.rep_a1, name=twin),
        "duplicate_customer",
        "客户已存在（负责人：钱丽），请联系负责人或主管。",
    )


def test_a_different_name_is_not_a_duplicate(company):
    make_customer(company.rep_b1, "北京协和医院")
    assert create(company.rep_a1, name="北京协和医院东院").name_key == "北京协和医院东院"


def test_the_same_phone_in_any_format_or_tax_id_in_any_case_is_a_duplicate(company):
    make_customer(company.rep_b1, "甲公司", phone="010-6529 6114", tax_id="91110000MA01ABCD2X")
    message = "客户已存在（负责人：钱丽），请联系负责人或主管。"
    refused(
        lambda: create(company.rep_a1, name="乙公司", phone="(010)65296114"), "duplicate_customer", message
    )
    refused(
        lambda: create(company.rep_a1, name="丙公司", tax_id="91110000ma01abcd2x"),
        "duplicate_customer",
        message,
    )
    assert create(company.rep_a1, name="丁公司", phone="010-65296115").phone_key == "01065296115"


def test_the_duplicate_message_names_the_pool_when_nobody_owns_the_customer(company):
    make_customer(None, "公海医院")
    refused(
        lambda: create(company.rep_a1, name="公海医院"),
        "duplicate_customer",
        "客户已存在（负责人：公海），请联系负责人或主管。",
    )


def test_the_duplicate_check_covers_customers_outside_the_actors_scope_and_tells_only_the_owner(company):
    make_customer(company.rep_b1, "渠道部的客户", phone="13900001111")
    assert not selectors.customers(company.rep_a1.user).exists()
    found = selectors.duplicates_of(name="渠道部的客户有限公司", phone="", tax_id="")
    assert found == selectors.Duplicates(count=1, owners="钱丽")
    assert selectors.duplicates_of(phone="139-0000-1111") == selectors.Duplicates(1, "钱丽")
    assert selectors.duplicates_of(name="别的客户") == selectors.Duplicates(0, "")
    assert selectors.duplicates_of() == selectors.Duplicates(0, "")


def test_an_update_that_keeps_name_phone_and_tax_id_is_not_its_own_duplicate(company):
    customer = make_customer(company.rep_a1, "甲医院", phone="13800000001")
    update(customer, company.rep_a1, name="甲医院有限公司", address="新地址")
    customer.refresh_from_db()
    assert (customer.name, customer.address) == ("甲医院有限公司", "新地址")


def test_an_update_to_another_customers_name_or_phone_is_refused(company):
    make_customer(company.rep_b1, "乙医院", phone="13800000002")
    customer = make_customer(company.rep_a1, "甲医院")
    message = "客户已存在（负责人：钱丽），请联系负责人或主管。"
    refused(lambda: update(customer, company.rep_a1, name="乙医院"), "duplicate_customer", message)
    refused(lambda: update(customer, company.rep_a1, phone="138 0000 0002"), "duplicate_customer", message)


def test_the_keys_ignore_what_people_type_differently():
    assert name_key(" 上海 (国药) 控股股份有限公司 ") == "上海国药控股"
    assert name_key("ABC Medical Co公司") == "abcmedicalco"
    assert name_key("集团") == "集团"  # a name that is only a suffix keeps it
    assert phone_key("+86 138 0013 8000") == phone_key("0086-13800138000") == "13800138000"
    assert phone_key("021-5555 6666") == "02155556666"


# Update, permissions and scope ---------------------------------------------------------------------


def test_an_update_changes_the_fields_and_audits_only_what_changed(company):
    customer = make_customer(company.rep_a1, "甲医院", credit_limit=D("1000"))
    update(customer, company.rep_a1, level=CustomerLevel.A, credit_limit=D("2000"), note="年度采购大")
    customer.refresh_from_db()
    assert (customer.level, customer.credit_limit, customer.owner) == ("a", D("2000.00"), company.rep_a1)
    entry = AuditEntry.objects.filter(object_id=str(customer.pk), action="update").get()
    assert entry.changes == {
        "level": ["普通客户", "重点客户"],
        "credit_limit": ["1000.00", "2000.00"],
        "note": ["", "年度采购大"],
    }


def test_a_salesperson_cannot_update_another_salespersons_customer(company):
    theirs = make_customer(company.rep_a2, "陈静的客户")
    with unchanged(), pytest.raises(NotFoundInScope):
        update(theirs, company.rep_a1, name="改名")


def test_a_manager_and_an_assistant_update_their_teams_customers_but_not_other_teams(company):
    ours = make_customer(company.rep_a1, "A组客户")
    other = make_customer(company.rep_b1, "B组客户")
    update(ours, company.manager_a, level=CustomerLevel.C)
    update(ours, company.assistant_a, level=CustomerLevel.A)
    with pytest.raises(NotFoundInScope):
        update(other, company.manager_a, level=CustomerLevel.C)
    update(other, company.sales_head, level=CustomerLevel.C)


def test_finance_sees_every_customer_but_may_not_change_any(company):
    customer = make_customer(company.rep_a1, "甲医院")
    make_customer(company.rep_b1, "乙医院")
    assert selectors.customers(company.finance_clerk.user).count() == 2
    with unchanged(), pytest.raises(PermissionRefused):
        update(customer, company.finance_clerk, level=CustomerLevel.C)


def test_each_role_sees_only_the_customers_in_its_data_scope(company):
    make_customer(company.rep_a1, "张伟的客户")
    make_customer(company.rep_a2, "陈静的客户")
    make_customer(company.rep_b1, "钱丽的客户")
    make_customer(None, "公海客户")

    def names(employee):
        return sorted(c.name for c in selectors.customers(employee.user))

    assert names(company.rep_a1) == ["张伟的客户"]
    assert names(company.rep_b1) == ["钱丽的客户"]
    assert names(company.manager_a) == ["张伟的客户", "陈静的客户"]
    assert names(company.assistant_a) == ["张伟的客户", "陈静的客户"]
    assert names(company.sales_head) == ["张伟的客户", "钱丽的客户", "陈静的客户"]
    assert len(names(company.finance_clerk)) == len(names(company.admin)) == 4
    assert names(company.purchaser) == []


def test_one_customer_out_of_scope_reads_as_not_found(company):
    theirs = make_customer(company.rep_b1, "钱丽的客户")
    assert selectors.customer(company.rep_b1.user, theirs.pk) == theirs
    with pytest.raises(NotFoundInScope):
        selectors.customer(company.rep_a1.user, theirs.pk)
    with pytest.raises(NotFoundInScope):
        selectors.customer(company.rep_b1.user, theirs.pk + 1000)


# Search and filters --------------------------------------------------------------------------------


def test_search_finds_by_pinyin_initials_name_key_phone_and_tax_id(company):
    beijing = make_customer(company.admin, "北京协和医院", phone="010-6915 6114")
    shanghai = make_customer(company.admin, "上海（国药）控股有限公司", tax_id="913100001322000000")
    user = company.admin.user

    def found(text):
        return list(selectors.customers(user, search=text))

    assert found("bj") == [beijing]
    assert found("XH") == [beijing]
    assert found("上海国药") == [shanghai]
    assert found("69156114") == [beijing]
    assert found("9131000013") == [shanghai]
    assert found("广州") == []


def test_filters_by_kind_level_owner_and_pool_and_sorting(company):
    a = make_customer(company.rep_a1, "阿医院", level=CustomerLevel.A)
    b = make_customer(company.rep_a1, "博代理", kind=CustomerKind.AGENT, level=CustomerLevel.C)
    c = make_customer(None, "西分销", kind=CustomerKind.DISTRIBUTOR)
    user = company.admin.user
    assert list(selectors.customers(user, kind="agent")) == [b]
    assert list(selectors.customers(user, level="a")) == [a]
    assert list(selectors.customers(user, owner=company.rep_a1)) == [a, b]
    assert list(selectors.customers(user, pool=True)) == [c]
    assert list(selectors.customers(user, pool=False)) == [a, b]
    assert list(selectors.customers(user, ordering="-name")) == [c, b, a]


# Finance parties -----------------------------------------------------------------------------------


def test_customers_are_finance_parties_seen_through_the_data_scope(company):
    customer = make_customer(company.rep_a1, "北京协和医院")
    party = Party(
        kind="customer",
        id=customer.pk,
        name="北京协和医院",
        owner_id=company.rep_a1.pk,
        department_id=company.team_a.pk,
    )
    assert get_party(company.rep_a1.user, "customer", customer.pk) == party
    assert get_party(company.rep_b1.user, "customer", customer.pk) is None
    assert search_parties(company.manager_a.user, "customer", "bjxh") == [party]
    assert search_parties(company.rep_b1.user, "customer", "bjxh") == []
    registered = source("customer")
    assert registered is not None and registered.url_name == "web:customer-detail"


def test_a_twin_that_slips_past_the_check_is_stopped_by_the_database_with_the_same_refusal(
    company, monkeypatch
):
    make_customer(company.rep_b1, "北京协和医院")
    # A concurrent create committed between this one's check and its insert: the check saw nothing.
    real = selectors.duplicates_of
    calls = iter([selectors.Duplicates(0, "")])
    monkeypatch.setattr(selectors, "duplicates_of", lambda **kw: next(calls, None) or real(**kw))
    refused(
        lambda: create(company.rep_a1, name="北京协和医院有限公司"),
        "duplicate_customer",
        "客户已存在（负责人：钱丽），请联系负责人或主管。",
    )
