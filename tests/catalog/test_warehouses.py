"""Warehouses: unique codes, an active keeper, and no switching off while stock is on hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.inventory import selectors as warehouse_selectors
from maoyi.inventory.services import ledger, warehouses
from maoyi.inventory.services.ledger import Incoming, Outgoing
from maoyi.org import services as org
from tests.catalog.builders import make_product, make_warehouse
from tests.factories import make_employee

pytestmark = pytest.mark.django_db


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.fixture
def keeper(company):
    return make_employee(company.root, "logistics", username="wh", name="赵仓管")


def test_a_warehouse_is_created_changed_and_audited(company, keeper):
    warehouse = warehouses.create_warehouse(
        actor=keeper, code=" BJ01 ", name="北京主仓", address="北京市大兴区", keeper=keeper
    )
    assert (warehouse.code, warehouse.name, warehouse.keeper) == ("BJ01", "北京主仓", keeper)
    warehouses.update_warehouse(
        warehouse, actor=keeper, code="BJ01", name="北京一号仓", address="北京市大兴区"
    )
    warehouse.refresh_from_db()
    assert (warehouse.name, warehouse.keeper) == ("北京一号仓", None)
    actions = list(
        AuditEntry.objects.filter(content_type__model="warehouse", object_id=str(warehouse.pk))
        .order_by("id")
        .values_list("action", "changes")
    )
    assert actions[1] == ("update", {"name": ["北京主仓", "北京一号仓"], "keeper": ["赵仓管", None]})
    assert actions[0][0] == "create"
    assert [w.code for w in warehouse_selectors.warehouses(search="大兴")] == ["BJ01"]


@pytest.mark.parametrize(
    ("fields", "code", "field", "message"),
    [
        ({"code": ""}, "invalid", "code", "请填写仓库编码。"),
        (
            {"code": "北京仓"},
            "invalid",
            "code",
            "仓库编码须以字母或数字开头，只含字母、数字、连字符和下划线，最多 20 位。",
        ),
        ({"name": " "}, "invalid", "name", "请填写仓库名称。"),
        ({"code": "bj01"}, "duplicate", "code", "仓库编码“bj01”已存在。"),
    ],
)
def test_an_invalid_warehouse_is_refused_and_nothing_changes(
    company, keeper, unchanged, fields, code, field, message
):
    make_warehouse("BJ01", "北京主仓")
    other = make_warehouse("SH01", "上海仓")
    base = {"actor": keeper, "code": "GZ01", "name": "广州仓"}
    with unchanged():
        error = refused(warehouses.create_warehouse, **{**base, **fields})
    assert (error.code, error.field, error.message) == (code, field, message)
    with unchanged():
        error = refused(warehouses.update_warehouse, other, **{**base, **fields})
    assert (error.code, error.field, error.message) == (code, field, message)


def test_a_left_employee_cannot_become_the_keeper(company, keeper, unchanged):
    gone = make_employee(company.root, "logistics", username="gone", name="离职仓管")
    org.leave_employee(gone, actor=None, handover_to=keeper)
    with unchanged():
        error = refused(warehouses.create_warehouse, actor=keeper, code="GZ01", name="广州仓", keeper=gone)
    assert (error.code, error.field, error.message) == ("invalid", "keeper", "仓管员须是在职员工。")


def test_a_warehouse_with_stock_cannot_be_switched_off_until_it_is_empty(company, keeper, unchanged):
    warehouse = make_warehouse("BJ01", "北京主仓")
    product = make_product("ZS-1", "注射器", lot_tracked=False)
    ref = DocRef(type="test", id=1, number="T0001")
    ledger.receive([Incoming(product.pk, warehouse.pk, D("5"), D("2.00"))], source=ref, actor=keeper)
    with unchanged():
        error = refused(
            warehouses.update_warehouse,
            warehouse,
            actor=keeper,
            code="BJ01",
            name="北京主仓",
            is_active=False,
        )
    assert (error.code, error.field, error.message) == (
        "has_stock",
        "is_active",
        "仓库“北京主仓”还有库存，不能停用。",
    )

    ledger.issue([Outgoing(product.pk, warehouse.pk, D("5"))], source=ref, actor=keeper)
    warehouses.update_warehouse(warehouse, actor=keeper, code="BJ01", name="北京主仓", is_active=False)
    warehouse.refresh_from_db()
    assert warehouse.is_active is False
    assert list(warehouse_selectors.warehouses(active=True)) == []


def test_only_roles_that_manage_warehouses_may_write_them(company, unchanged):
    warehouse = make_warehouse("BJ01", "北京主仓")
    for actor in (company.purchaser, company.rep_a1, company.finance_clerk):
        with unchanged(), pytest.raises(PermissionRefused):
            warehouses.create_warehouse(actor=actor, code="GZ01", name="广州仓")
        with unchanged(), pytest.raises(PermissionRefused):
            warehouses.update_warehouse(warehouse, actor=actor, code="BJ01", name="改名")
    warehouses.create_warehouse(actor=company.admin, code="GZ01", name="广州仓")
