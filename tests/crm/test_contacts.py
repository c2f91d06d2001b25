"""Contacts (联系人): add, update and 离职 through the services (rules, one primary per customer,
permissions, data scope through the customer, audit) and the scoped reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.crm.models import Contact, Customer
from maoyi.crm.selectors import activities as reads
from maoyi.crm.services import contacts as services
from tests.crm.builders import make_customer

pytestmark = pytest.mark.django_db


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Customer, Contact, AuditEntry)}


@contextmanager
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def add(actor, customer, name="王主任", **fields) -> Contact:
    return services.add_contact(actor=actor, customer=customer, name=name, **fields)


def update(contact: Contact, actor, **changes) -> Contact:
    fields = {
        k: getattr(contact, k)
        for k in ("name", "department", "title", "mobile", "phone", "email", "wechat", "is_primary", "note")
    }
    return services.update_contact(contact, actor=actor, **{**fields, **changes})


@pytest.fixture
def customer(company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


def test_a_salesperson_adds_a_contact_to_their_customer_with_an_audit_row(company, customer):
    contact = add(
        company.rep_a1,
        customer,
        " 王主任 ",
        department="设备科",
        title="主任",
        mobile="138 0013-8000",
        email=" wang@pumch.cn ",
        wechat="wangzr",
        is_primary=True,
    )
    contact.refresh_from_db()
    assert (contact.name, contact.department, contact.title) == ("王主任", "设备科", "主任")
    assert (contact.mobile, contact.email, contact.is_primary, contact.is_active) == (
        "13800138000",
        "wang@pumch.cn",
        True,
        True,
    )
    assert contact.created_by == company.rep_a1
    entry = AuditEntry.objects.get(object_id=str(contact.pk), content_type__model="contact")
    assert entry.action == "create" and entry.actor == company.rep_a1.user
    assert entry.changes["name"] == [None, "王主任"] and entry.changes["customer"] == [None, "北京协和医院"]


def test_making_a_contact_primary_unsets_the_previous_one(company, customer):
    first = add(company.rep_a1, customer, "王主任", is_primary=True)
    second = add(company.rep_a1, customer, "李工", is_primary=True)
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    assert AuditEntry.objects.filter(object_id=str(first.pk), action="update").get().changes == {
        "is_primary": [True, False]
    }
    update(first, company.rep_a1, is_primary=True)
    second.refresh_from_db()
    assert list(Contact.objects.filter(is_primary=True)) == [first]
    assert not second.is_primary


def test_primary_contacts_of_different_customers_do_not_interfere(company, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    a = add(company.rep_a1, customer, "王主任", is_primary=True)
    b = add(company.rep_a1, other, "赵主任", is_primary=True)
    a.refresh_from_db()
    assert a.is_primary and b.is_primary


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"name": "  "}, "请填写联系人姓名。", "name"),
        ({"email": "wang@"}, "邮箱格式不正确。", "email"),
        ({"mobile": "138-abc"}, "手机号只能包含数字（7 到 15 位）。", "mobile"),
        ({"mobile": "12345"}, "手机号只能包含数字（7 到 15 位）。", "mobile"),
    ],
)
def test_add_refuses_invalid_fields_and_changes_nothing(company, customer, fields, message, field):
    fields = {"name": "王主任", **fields}
    refused(
        lambda: services.add_contact(actor=company.rep_a1, customer=customer, **fields),
        "invalid",
        message,
        field,
    )


def test_update_changes_the_fields_and_audits_the_difference(company, customer):
    contact = add(company.rep_a1, customer, "王主任", title="主任")
    update(contact, company.rep_a1, title="副院长", email="w@x.cn")
    contact.refresh_from_db()
    assert (contact.title, contact.email) == ("副院长", "w@x.cn")
    entry = AuditEntry.objects.get(object_id=str(contact.pk), action="update")
    assert entry.changes == {"title": ["主任", "副院长"], "email": ["", "w@x.cn"]}
    refused(lambda: update(contact, company.rep_a1, email="bad"), "invalid", "邮箱格式不正确。", "email")


def test_deactivate_keeps_the_contact_and_unsets_primary(company, customer):
    contact = add(company.rep_a1, customer, "王主任", is_primary=True)
    services.deactivate_contact(contact, actor=company.rep_a1)
    contact.refresh_from_db()
    assert (contact.is_active, contact.is_primary) == (False, False)
    assert AuditEntry.objects.get(object_id=str(contact.pk), action="leave").changes == {
        "is_primary": [True, False],
        "is_active": [True, False],
    }
    refused(
        lambda: services.deactivate_contact(contact, actor=company.rep_a1),
        "invalid_state",
        "联系人“王主任”已经是离职状态。",
    )
    refused(
        lambda: update(contact, company.rep_a1, is_primary=True),
        "invalid",
        "已离职的联系人不能设为主要联系人。",
        "is_primary",
    )


def test_another_teams_salesperson_cannot_touch_the_customers_contacts(company, customer):
    contact = add(company.rep_a1, customer, "王主任")
    b_customer = make_customer(company.rep_b1, "钱丽的客户")
    for call in (
        lambda: add(company.rep_a1, b_customer, "某人"),
        lambda: add(company.rep_b1, customer, "某人"),
        lambda: update(contact, company.rep_b1, title="x"),
        lambda: services.deactivate_contact(contact, actor=company.rep_a2),
    ):
        refused(call, "not_found", "记录不存在。")
    with pytest.raises(NotFoundInScope):
        add(company.rep_a1, b_customer, "某人")


def test_the_manager_and_assistant_of_the_team_may_add_contacts(company, customer):
    add(company.manager_a, customer, "甲")
    add(company.assistant_a, customer, "乙")
    add(company.admin, customer, "丙")
    assert Contact.objects.filter(customer=customer).count() == 3


def test_roles_without_the_contact_permission_are_refused(company, customer):
    refused(lambda: add(company.purchaser, customer), "permission_denied", "您的角色不能执行此操作。")
    refused(lambda: add(company.finance_clerk, customer), "permission_denied", "您的角色不能执行此操作。")
    perm = Permission.objects.get(codename="add_contact")
    company.rep_a1.roles.get().group.permissions.remove(perm)
    company.rep_a1.user = type(company.rep_a1.user).objects.get(pk=company.rep_a1.user.pk)  # drop perm cache
    with pytest.raises(PermissionRefused):
        add(company.rep_a1, customer)


def test_contacts_are_read_through_the_customers_scope(company, customer):
    mine = add(company.rep_a1, customer, "王主任")
    left = add(company.rep_a1, customer, "李工", is_primary=True)
    services.deactivate_contact(left, actor=company.rep_a1)
    primary = add(company.rep_a1, customer, "赵科长", is_primary=True)
    theirs = add(company.rep_b1, make_customer(company.rep_b1, "钱丽的客户"), "钱的联系人")
    assert list(reads.contacts_of(company.rep_a1.user, customer)) == [primary, mine, left]
    assert list(reads.contacts(company.rep_a1.user)) == [primary, mine, left]
    assert list(reads.contacts(company.rep_a1.user, active=True)) == [primary, mine]
    assert set(reads.contacts(company.sales_head.user)) == {primary, mine, left, theirs}
    assert list(reads.contacts(company.rep_a2.user)) == []
    assert reads.contact(company.manager_a.user, mine.pk) == mine
    with pytest.raises(NotFoundInScope):
        reads.contact(company.rep_b1.user, mine.pk)
