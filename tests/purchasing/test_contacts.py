"""Supplier contacts: add, change and remove, one primary contact per supplier, each write in the
supplier's history; refusals change nothing."""

from __future__ import annotations

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.purchasing.models import SupplierContact
from maoyi.purchasing.services import suppliers as services
from tests.purchasing.builders import make_supplier

pytestmark = pytest.mark.django_db


def contact_changes(supplier) -> list[dict]:
    rows = AuditEntry.objects.filter(
        content_type__model="supplier", object_id=str(supplier.pk), changes__has_key="contact"
    ).order_by("id")
    return [row.changes["contact"] for row in rows]


def test_adding_changing_and_removing_contacts_is_recorded_on_the_supplier(company):
    supplier = make_supplier("甲公司")

    zhang = services.save_contact(
        supplier,
        actor=company.purchaser,
        name=" 张敏 ",
        title="销售经理",
        phone="13800000001",
        is_primary=True,
    )
    services.save_contact(
        supplier,
        actor=company.purchaser,
        contact=zhang,
        name="张敏",
        title="销售总监",
        phone="13800000001",
        is_primary=True,
    )
    services.remove_contact(zhang, actor=company.purchaser)

    assert not SupplierContact.objects.filter(supplier=supplier).exists()
    assert contact_changes(supplier) == [
        [None, "张敏 销售经理 13800000001 ★"],
        ["张敏 销售经理 13800000001 ★", "张敏 销售总监 13800000001 ★"],
        ["张敏 销售总监 13800000001 ★", None],
    ]


def test_a_new_primary_contact_takes_the_mark_from_the_previous_one(company):
    supplier = make_supplier("甲公司")
    first = services.save_contact(supplier, actor=company.purchaser, name="张敏", is_primary=True)
    second = services.save_contact(supplier, actor=company.purchaser, name="李强", is_primary=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)


def test_a_contact_without_a_name_or_with_a_bad_email_is_refused(company, unchanged):
    supplier = make_supplier("甲公司")

    with unchanged():
        with pytest.raises(DomainError) as no_name:
            services.save_contact(supplier, actor=company.purchaser, name=" ")
        with pytest.raises(DomainError) as bad_email:
            services.save_contact(supplier, actor=company.purchaser, name="张敏", email="zhang@")

    assert (no_name.value.code, no_name.value.field, no_name.value.message) == (
        "invalid",
        "name",
        "请填写联系人姓名。",
    )
    assert (bad_email.value.field, bad_email.value.message) == ("email", "邮箱格式不正确。")


def test_a_contact_of_another_supplier_cannot_be_changed_through_this_one(company, unchanged):
    supplier, other = make_supplier("甲公司"), make_supplier("乙公司")
    theirs = services.save_contact(other, actor=company.purchaser, name="王芳")

    with unchanged(), pytest.raises(NotFoundInScope):
        services.save_contact(supplier, actor=company.purchaser, contact=theirs, name="改名")


def test_only_roles_that_change_suppliers_may_edit_their_contacts(company, unchanged):
    supplier = make_supplier("甲公司")
    contact = services.save_contact(supplier, actor=company.purchaser, name="张敏")

    with unchanged():
        with pytest.raises(PermissionRefused):
            services.save_contact(supplier, actor=company.finance_clerk, name="李强")
        with pytest.raises(PermissionRefused):
            services.remove_contact(contact, actor=company.finance_clerk)
