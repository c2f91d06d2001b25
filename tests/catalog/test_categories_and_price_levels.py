"""The category tree (paths kept right when a branch moves, no cycles) and price levels."""

from __future__ import annotations

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.catalog import selectors, services
from maoyi.catalog.models import Category, PriceLevel
from maoyi.core.errors import DomainError, PermissionRefused
from tests.catalog.builders import make_category, make_level, make_product

pytestmark = pytest.mark.django_db


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    return info.value


def test_a_category_gets_its_path_under_its_parent_and_is_audited(company):
    root = services.create_category(actor=company.purchaser, name="医用耗材", parent=None)
    child = services.create_category(actor=company.purchaser, name="注射器", parent=root, name_en="Syringes")

    assert root.path == f"/{root.pk}/"
    assert child.path == f"/{root.pk}/{child.pk}/"
    assert child.depth == 1
    entry = AuditEntry.objects.get(object_id=str(child.pk), content_type__model="category", action="create")
    assert entry.changes["parent"] == [None, "医用耗材"]


def test_moving_a_category_moves_its_whole_branch(company):
    a = make_category("医用耗材")
    b = make_category("设备")
    syringes = make_category("注射器", a)
    needles = make_category("针头", syringes)
    product = make_product("N-1", "针头", category=needles)

    services.update_category(syringes, actor=company.admin, name="注射器", parent=b)

    syringes.refresh_from_db()
    needles.refresh_from_db()
    assert syringes.path == f"/{b.pk}/{syringes.pk}/"
    assert needles.path == f"/{b.pk}/{syringes.pk}/{needles.pk}/"
    assert list(selectors.products(category=b)) == [product]
    assert list(selectors.products(category=a)) == []


def test_a_category_cannot_move_under_itself_or_its_descendants(company, unchanged):
    root = make_category("医用耗材")
    child = make_category("注射器", root)
    grandchild = make_category("针头", child)
    for target in (root, child, grandchild):
        with unchanged():
            error = refused(
                services.update_category, root, actor=company.admin, name="医用耗材", parent=target
            )
        assert (error.code, error.field, error.message) == (
            "invalid",
            "parent",
            "不能把分类移到它自己或它的下级分类之下。",
        )


def test_sibling_categories_cannot_share_a_name(company, unchanged):
    root = make_category("医用耗材")
    make_category("注射器", root)
    other = make_category("输液器", root)
    make_category("顶级")
    with unchanged():
        error = refused(services.create_category, actor=company.admin, name=" 注射器 ", parent=root)
    assert (error.code, error.field, error.message) == (
        "duplicate",
        "name",
        "同一上级下已有名为“注射器”的分类。",
    )
    with unchanged():
        error = refused(services.update_category, other, actor=company.admin, name="注射器", parent=root)
    assert error.code == "duplicate"
    with unchanged():  # top-level names too (the index cannot see them: their parent is NULL)
        error = refused(services.create_category, actor=company.admin, name="顶级", parent=None)
    assert error.message == "同一上级下已有名为“顶级”的分类。"
    services.create_category(actor=company.admin, name="注射器", parent=None)  # another parent: fine


def test_a_category_with_active_products_below_it_cannot_be_switched_off(company, unchanged):
    root = make_category("医用耗材")
    child = make_category("注射器", root)
    product = make_product("ZS-1", "注射器", category=child)
    with unchanged():
        error = refused(
            services.update_category, root, actor=company.admin, name="医用耗材", parent=None, is_active=False
        )
    assert (error.code, error.field, error.message) == (
        "invalid",
        "is_active",
        "分类（或其下级分类）下还有启用的商品，不能停用。",
    )
    services.deactivate_product(product, actor=company.admin)
    services.update_category(root, actor=company.admin, name="医用耗材", parent=None, is_active=False)
    root.refresh_from_db()
    assert root.is_active is False
    with unchanged():
        error = refused(services.create_category, actor=company.admin, name="新分类", parent=root)
    assert (error.code, error.field, error.message) == ("invalid", "parent", "上级分类“医用耗材”已停用。")


def test_a_category_needs_a_name_and_the_permission(company, unchanged):
    with unchanged():
        error = refused(services.create_category, actor=company.admin, name=" ", parent=None)
    assert (error.code, error.field, error.message) == ("invalid", "name", "请填写分类名称。")
    with unchanged(), pytest.raises(PermissionRefused):
        services.create_category(actor=company.manager_a, name="分类", parent=None)


def test_price_levels_are_created_changed_and_audited(company):
    level = services.create_price_level(
        actor=company.purchaser, code="agent1", name="一级代理价", kind="channel", sort_order=1
    )
    services.update_price_level(
        level, actor=company.purchaser, code="agent-1", name="一级代理商价", kind="channel", sort_order=2
    )
    level.refresh_from_db()
    assert (level.code, level.name, level.sort_order, level.is_active) == ("agent-1", "一级代理商价", 2, True)
    update = AuditEntry.objects.get(
        object_id=str(level.pk), content_type__model="pricelevel", action="update"
    )
    assert update.changes == {
        "code": ["agent1", "agent-1"],
        "name": ["一级代理价", "一级代理商价"],
        "sort_order": [1, 2],
    }
    assert list(selectors.price_levels(active=True)) == [level]


@pytest.mark.parametrize(
    ("fields", "code", "field", "message"),
    [
        (
            {"code": "VIP"},
            "invalid",
            "code",
            "价格等级代码须以小写字母或数字开头，只含小写字母、数字、连字符和下划线，最多 40 位。",
        ),
        ({"name": ""}, "invalid", "name", "请填写价格等级名称。"),
        ({"kind": "gold"}, "invalid", "kind", "价格等级类型无效。"),
        ({"code": "vip"}, "duplicate", "code", "价格等级代码“vip”已存在。"),
    ],
)
def test_an_invalid_price_level_is_refused_and_nothing_changes(
    company, unchanged, fields, code, field, message
):
    make_level("vip", "VIP 客户价")
    other = make_level("agent1", "一级代理价", "channel")
    base = {"actor": company.admin, "code": "new", "name": "新等级", "kind": "customer"}
    with unchanged():
        error = refused(services.create_price_level, **{**base, **fields})
    assert (error.code, error.field, error.message) == (code, field, message)
    with unchanged():
        error = refused(services.update_price_level, other, **{**base, **fields})
    assert (error.code, error.field, error.message) == (code, field, message)
    assert PriceLevel.objects.count() == 2
    assert Category.objects.count() == 0
