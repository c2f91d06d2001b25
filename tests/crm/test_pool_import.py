"""导入公海: a table of customers becomes pool customers all at once, or — with any problem, every
one listed as (row, column, message) — nothing is imported."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import PermissionRefused
from maoyi.core.tabular import ImportInvalid, RowProblem, Table, TableRow
from maoyi.crm.models import (
    Customer,
    CustomerKind,
    CustomerLevel,
    CustomerSource,
    OwnershipAction,
    OwnershipChange,
)
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import pool_import
from maoyi.crm.services.pool_import import check_pool_import, import_pool_customers
from tests.conftest import Company
from tests.crm.builders import make_customer

HEADERS = ("客户名称", "客户类型", "客户等级", "电话", "税号", "地址", "客户来源", "标签", "备注", "信用额度")
EXISTS = "客户已存在（负责人：%s），请联系负责人或主管。"
KINDS = "终端客户、医疗系统、分销商、代理商"


def table(*rows: dict[str, str], headers: tuple[str, ...] = HEADERS, first: int = 2) -> Table:
    return Table(
        headers=headers,
        rows=tuple(
            TableRow(number, {h: row.get(h, "") for h in headers})
            for number, row in enumerate(rows, start=first)
        ),
    )


def state() -> dict[str, list[dict[str, Any]]]:
    return {
        m._meta.label: list(m.objects.order_by("pk").values())
        for m in (Customer, OwnershipChange, AuditEntry)
    }


def refused(actor: Any, data: Table) -> ImportInvalid:
    before = state()
    with pytest.raises(ImportInvalid) as caught:
        import_pool_customers(actor=actor, table=data)
    assert caught.value.code == "import_invalid"
    assert state() == before
    return caught.value


# The happy path -----------------------------------------------------------------------------------------


def test_an_administrator_imports_customers_into_the_pool(company: Company) -> None:
    data = table(
        {
            "客户名称": "北京协和医院",
            "客户类型": "终端客户",
            "客户等级": "A",
            "电话": "010-69156114",
            "税号": "91110000ma01234567",
            "地址": "北京市东城区帅府园1号",
            "客户来源": "展会",
            "标签": "三甲，重点、三甲",
            "备注": "门诊楼",
            "信用额度": "1,000.50",
        },
        {"客户名称": "华南代理有限公司", "客户类型": "agent"},
    )
    created = import_pool_customers(actor=company.admin, table=data)

    assert [c.name for c in created] == ["北京协和医院", "华南代理有限公司"]
    first, second = (Customer.objects.get(pk=c.pk) for c in created)
    assert (first.kind, first.level, first.source, first.tags) == (
        CustomerKind.END_CUSTOMER,
        CustomerLevel.A,
        CustomerSource.EXHIBITION,
        "三甲,重点",
    )
    assert (first.phone, first.tax_id, first.address, first.note, first.credit_limit) == (
        "010-69156114",
        "91110000MA01234567",
        "北京市东城区帅府园1号",
        "门诊楼",
        Decimal("1000.50"),
    )
    assert (first.pinyin, first.name_key, first.phone_key) == ("bjxhyy", "北京协和医院", "01069156114")
    assert (second.kind, second.level, second.credit_limit, second.source) == (
        CustomerKind.AGENT,
        CustomerLevel.B,
        Decimal("0.00"),
        "",
    )
    for customer in (first, second):
        assert (customer.owner, customer.department, customer.owned_since) == (None, None, None)
        assert customer.created_by == company.admin.user
        change = OwnershipChange.objects.get(customer=customer)
        assert (change.action, change.from_owner, change.to_owner, change.actor) == (
            OwnershipAction.IMPORT,
            None,
            None,
            company.admin,
        )
        entry = AuditEntry.objects.get(
            content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
        )
        assert (entry.action, entry.actor) == ("create", company.admin.user)
    # In the pool: every salesperson may claim them; nobody's scope holds them.
    pooled = pool_selectors.pool_customers(company.rep_b1.user)
    assert sorted(pooled.values_list("name", flat=True)) == ["北京协和医院", "华南代理有限公司"]
    assert pool_selectors.last_entry(first).action == OwnershipAction.IMPORT


def test_a_manager_may_import_and_codes_and_labels_are_both_understood(company: Company) -> None:
    data = table(
        {"客户名称": "甲医院", "客户类型": "hospital_system", "客户等级": "c", "客户来源": "tender"},
        {"客户名称": "乙医院", "客户类型": "医疗系统", "客户等级": "一般客户", "客户来源": "招投标"},
        {"客户名称": "丙分销", "客户类型": "分销商", "客户等级": "b"},
    )
    created = import_pool_customers(actor=company.manager_a, table=data)
    assert [(c.kind, c.level, c.source) for c in created] == [
        (CustomerKind.HOSPITAL_SYSTEM, CustomerLevel.C, CustomerSource.TENDER),
        (CustomerKind.HOSPITAL_SYSTEM, CustomerLevel.C, CustomerSource.TENDER),
        (CustomerKind.DISTRIBUTOR, CustomerLevel.B, ""),
    ]
    assert all(c.owner is None and c.department is None for c in created)


def test_english_labels_are_understood_for_an_english_user(company: Company) -> None:
    with translation.override("en"):
        created = import_pool_customers(
            actor=company.admin,
            table=table({"客户名称": "丁代理", "客户类型": "Agent", "客户等级": "key customer"}),
        )
    assert (created[0].kind, created[0].level) == (CustomerKind.AGENT, CustomerLevel.A)


# Permissions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rep_a1", "assistant_a", "purchaser", "finance_clerk"])
def test_who_may_not_manage_the_pool_may_not_import(company: Company, who: str) -> None:
    before = state()
    with pytest.raises(PermissionRefused) as caught:
        import_pool_customers(
            actor=getattr(company, who), table=table({"客户名称": "甲", "客户类型": "终端客户"})
        )
    assert (caught.value.code, caught.value.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert state() == before


# Every problem, nothing imported ------------------------------------------------------------------------


def test_every_problem_of_every_row_is_listed_and_nothing_is_imported(company: Company) -> None:
    data = table(
        {"客户名称": "好的医院", "客户类型": "终端客户"},  # fine, yet not imported either
        {"客户类型": "终端客户", "客户等级": "D", "信用额度": "-1"},
        {"客户名称": "名" * 201, "客户类型": "医院", "电话": "1" * 41, "税号": "12345"},
        {"客户名称": "（）", "客户类型": "", "地址": "址" * 301, "客户来源": "朋友", "信用额度": "12.345"},
        {
            "客户名称": "戊",
            "客户类型": "终端客户",
            "标签": "标" * 201,
            "备注": "注" * 2001,
            "信用额度": "一千",
        },
    )
    error = refused(company.admin, data)
    assert error.message == "导入数据有 15 处错误，没有导入任何客户。"
    assert error.problems == [
        RowProblem(3, "客户名称", "请填写客户名称。"),
        RowProblem(3, "客户等级", "客户等级应为 A、B、C 或：重点客户、普通客户、一般客户。"),
        RowProblem(3, "信用额度", "信用额度不能为负数。"),
        RowProblem(4, "客户名称", "最多 200 个字。"),
        RowProblem(4, "客户类型", f"客户类型应为：{KINDS}。"),
        RowProblem(4, "电话", "最多 40 个字。"),
        RowProblem(4, "税号", "税号应为 15 到 20 位字母或数字。"),
        RowProblem(5, "客户名称", "客户名称无效。"),
        RowProblem(5, "客户类型", f"请填写客户类型：{KINDS}。"),
        RowProblem(5, "地址", "最多 300 个字。"),
        RowProblem(5, "客户来源", "客户来源应为：转介绍、展会、网站、电话开发、招投标、其他。"),
        RowProblem(5, "信用额度", "信用额度最多两位小数。"),
        RowProblem(6, "标签", "最多 200 个字。"),
        RowProblem(6, "备注", "最多 2000 个字。"),
        RowProblem(6, "信用额度", "信用额度应为数字。"),
    ]
    assert str(error.problems[0]) == "第 3 行 ·「客户名称」· 请填写客户名称。"


def test_a_too_large_credit_limit_is_refused(company: Company) -> None:
    data = table({"客户名称": "己", "客户类型": "终端客户", "信用额度": "100000000000000000"})
    assert refused(company.admin, data).problems == [RowProblem(2, "信用额度", "信用额度太大。")]


def test_rows_repeating_an_earlier_row_name_the_earlier_row(company: Company) -> None:
    data = table(
        {
            "客户名称": "北京协和医院",
            "客户类型": "终端客户",
            "电话": "13800000000",
            "税号": "91110000MA01234567",
        },
        {"客户名称": "北京 协和医院有限公司", "客户类型": "终端客户"},
        {"客户名称": "另一家", "客户类型": "终端客户", "电话": "+86 138-0000-0000"},
        {"客户名称": "第三家", "客户类型": "终端客户", "税号": "91110000ma01234567"},
        {"客户名称": "（北京协和医院）", "客户类型": "终端客户", "电话": "138 0000 0000"},
    )
    assert refused(company.admin, data).problems == [
        RowProblem(3, "客户名称", "与第 2 行是同一个客户。"),
        RowProblem(4, "电话", "与第 2 行的电话相同。"),
        RowProblem(5, "税号", "与第 2 行的税号相同。"),
        RowProblem(6, "客户名称", "与第 2 行是同一个客户。"),
        RowProblem(6, "电话", "与第 2 行的电话相同。"),
    ]


def test_customers_that_exist_are_refused_naming_only_their_owner(company: Company) -> None:
    make_customer(company.rep_b1, "北京协和医院", phone="010-1234567")
    make_customer(None, "公海里的医院", tax_id="91110000MA01234567")
    make_customer(company.rep_a1, "张伟的医院", phone="13900000000")
    data = table(
        {"客户名称": "北京协和医院有限公司", "客户类型": "终端客户"},
        {"客户名称": "新医院", "客户类型": "终端客户", "税号": "91110000ma01234567"},
        {"客户名称": "北京协和医院（东院）", "客户类型": "终端客户", "电话": "+86 139 0000 0000"},
    )
    problems = refused(company.admin, data).problems
    assert problems == [
        RowProblem(2, "客户名称", EXISTS % "钱丽"),
        RowProblem(3, "税号", EXISTS % "公海"),
        RowProblem(4, "电话", EXISTS % "张伟"),
    ]
    # The check looks at every customer, not the importer's scope: the same for a manager of team A.
    assert refused(company.manager_a, data).problems == problems


def test_missing_required_columns_and_unknown_columns_are_named(company: Company) -> None:
    data = table({"名称": "甲", "电话号码": "1"}, headers=("名称", "电话号码"))
    assert refused(company.admin, data).problems == [
        RowProblem(1, "客户名称", "缺少此列，请使用导入模板。"),
        RowProblem(1, "客户类型", "缺少此列，请使用导入模板。"),
        RowProblem(1, "名称", "无法识别的列，请使用导入模板中的列名。"),
        RowProblem(1, "电话号码", "无法识别的列，请使用导入模板中的列名。"),
    ]
    unknown_only = table(
        {"客户名称": "甲", "客户类型": "终端客户", "传真": "1"}, headers=("客户名称", "客户类型", "传真")
    )
    assert refused(company.admin, unknown_only).problems == [
        RowProblem(1, "传真", "无法识别的列，请使用导入模板中的列名。")
    ]


def test_only_the_required_columns_are_enough(company: Company) -> None:
    created = import_pool_customers(
        actor=company.admin,
        table=table({"客户名称": "甲", "客户类型": "终端客户"}, headers=("客户名称", "客户类型")),
    )
    assert [(c.name, c.level, c.credit_limit) for c in created] == [("甲", CustomerLevel.B, Decimal("0.00"))]


def test_a_table_without_rows_or_with_too_many_is_refused(company: Company, monkeypatch: Any) -> None:
    empty = refused(company.admin, table())
    assert (empty.message, empty.problems) == (
        "文件中没有客户：第 1 行是列名，从第 2 行起每行填写一个客户。",
        [],
    )
    monkeypatch.setattr(pool_import, "MAX_ROWS", 2)
    rows = [{"客户名称": f"客户{i}", "客户类型": "终端客户"} for i in range(3)]
    too_many = refused(company.admin, table(*rows))
    assert (too_many.message, too_many.problems) == ("一次最多导入 2 行数据，请分成几个文件。", [])


def test_a_customer_created_after_the_check_undoes_the_whole_import(
    company: Company, monkeypatch: Any
) -> None:
    """Someone creates a twin between the check and the write: the row is refused by create_customer's
    own duplicate check, and the rows already written roll back with it."""
    make_customer(company.rep_a1, "后来的医院")
    real_check = pool_import._against_customers
    calls: list[int] = []

    def blind_at_first(rows: Any, problems: Any) -> None:  # the twin is not there yet at the check
        calls.append(1)
        if len(calls) > 1:
            real_check(rows, problems)

    monkeypatch.setattr(pool_import, "_against_customers", blind_at_first)
    data = table(
        {"客户名称": "先导入的医院", "客户类型": "终端客户"},
        {"客户名称": "后来的医院", "客户类型": "终端客户"},
    )
    error = refused(company.admin, data)
    assert error.problems == [RowProblem(3, "客户名称", EXISTS % "张伟")]
    assert not Customer.objects.filter(name="先导入的医院").exists()
    assert len(calls) == 2


def test_the_check_alone_writes_nothing_and_returns_the_rows(company: Company) -> None:
    before = state()
    check = check_pool_import(
        table({"客户名称": "甲", "客户类型": "终端客户", "客户等级": "A", "标签": "x;y"})
    )
    assert state() == before
    assert check.problems == []
    row = check.rows[0]
    assert (row.number, row.name, row.kind_label, row.level_label, row.tag_list) == (
        2,
        "甲",
        "终端客户",
        "重点客户",
        ["x", "y"],
    )


def test_the_template_lists_the_columns_in_order() -> None:
    sheet = pool_import.template()
    assert tuple(c.header for c in sheet.columns) == HEADERS
    assert [c.header for c in sheet.columns if c.required] == ["客户名称", "客户类型"]
    assert [c.header for c in sheet.columns if c.text] == ["电话", "税号"]
