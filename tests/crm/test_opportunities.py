"""Opportunities (机会): create, update and stage moves through the services (rules, refusals with
nothing changed, permissions, data scope through the customer, audit), and the scoped reads: the
list, the pipeline (销售漏斗) and the pipeline by person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.crm.models import Customer, Opportunity, OpportunityStage
from maoyi.crm.selectors import opportunities as selectors
from maoyi.crm.services import opportunities as services
from tests.crm.builders import make_customer

pytestmark = pytest.mark.django_db


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Opportunity, AuditEntry)}


@contextmanager
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def make(actor, customer, title="采购CT机", amount="100000", **fields) -> Opportunity:
    return services.create_opportunity(
        actor=actor, customer=customer, title=title, expected_amount=D(amount), **fields
    )


def entries(opportunity: Opportunity) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(content_type__model="opportunity", object_id=str(opportunity.pk)).order_by(
            "id"
        )
    )


@pytest.fixture
def customer_a1(company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


@pytest.fixture
def customer_b1(company) -> Customer:
    return make_customer(company.rep_b1, "广州代理商")


# Create ----------------------------------------------------------------------------------------------


def test_a_salesperson_opens_an_opportunity_on_their_customer_and_it_is_audited(company, customer_a1):
    opportunity = make(
        company.rep_a1,
        customer_a1,
        title=" 采购CT机 ",
        amount="1280000.5",
        expected_close=dt.date(2030, 6, 30),
        note=" 院长关注 ",
    )
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.stage, opportunity.expected_amount) == (
        "采购CT机",
        OpportunityStage.INITIAL,
        D("1280000.50"),
    )
    assert (opportunity.expected_close, opportunity.note, opportunity.created_by) == (
        dt.date(2030, 6, 30),
        "院长关注",
        company.rep_a1,
    )
    [created] = entries(opportunity)
    assert created.action == "create" and created.actor == company.rep_a1.user
    assert created.changes["stage"] == [None, "初步接洽"]
    assert created.changes["expected_amount"] == [None, "1280000.50"]
    assert created.changes["customer"] == [None, "北京协和医院"]


def test_an_opportunity_may_start_won_or_lost_with_a_reason(company, customer_a1):
    won = make(company.rep_a1, customer_a1, stage=OpportunityStage.WON)
    lost = make(company.rep_a1, customer_a1, stage="lost", lost_reason=" 价格高 ")
    opened = make(company.rep_a1, customer_a1, stage="needs", lost_reason="ignored")
    assert (won.stage, lost.stage, lost.lost_reason, opened.lost_reason) == ("won", "lost", "价格高", "")


@pytest.mark.parametrize(
    ("fields", "code", "message", "field"),
    [
        ({"title": "  "}, "invalid", "请填写机会名称。", "title"),
        ({"title": "长" * 201}, "invalid", "机会名称不能超过 200 个字。", "title"),
        ({"amount": "-0.01"}, "invalid", "预计金额不能为负数。", "expected_amount"),
        ({"amount": "10.005"}, "invalid", "预计金额最多保留两位小数。", "expected_amount"),
        ({"stage": "signed"}, "invalid", "请选择机会阶段。", "stage"),
        ({"stage": "lost"}, "reason_required", "输单必须填写原因。", "lost_reason"),
        ({"stage": "lost", "lost_reason": " "}, "reason_required", "输单必须填写原因。", "lost_reason"),
    ],
)
def test_create_refuses_bad_input_and_changes_nothing(company, customer_a1, fields, code, message, field):
    fields = {"title": "采购CT机", "amount": "100", **fields}
    refused(lambda: make(company.rep_a1, customer_a1, **fields), code, message, field)


def test_create_refuses_a_missing_amount(company, customer_a1):
    refused(
        lambda: services.create_opportunity(
            actor=company.rep_a1, customer=customer_a1, title="采购", expected_amount=None
        ),
        "invalid",
        "请填写预计金额。",
        "expected_amount",
    )


def test_create_refuses_an_inactive_customer(company, customer_a1):
    Customer.objects.filter(pk=customer_a1.pk).update(is_active=False)
    customer_a1.refresh_from_db()
    refused(
        lambda: make(company.rep_a1, customer_a1),
        "invalid",
        "客户“北京协和医院”已停用，不能新建机会。",
        "customer",
    )


def test_roles_without_the_permission_may_not_create(company, customer_a1):
    for employee in (company.finance_clerk, company.purchaser):
        with unchanged(), pytest.raises(PermissionRefused):
            make(employee, customer_a1)


def test_an_opportunity_on_a_customer_outside_the_scope_is_not_found(company, customer_a1, customer_b1):
    for actor, customer in (
        (company.rep_b1, customer_a1),
        (company.rep_a2, customer_a1),
        (company.manager_a, customer_b1),
        (company.rep_a1, make_customer(None, "公海客户")),
    ):
        with unchanged(), pytest.raises(NotFoundInScope):
            make(actor, customer)


def test_managers_and_assistants_work_the_opportunities_of_their_department(company, customer_a1):
    for actor in (company.manager_a, company.assistant_a, company.sales_head, company.admin):
        assert make(actor, customer_a1, title=f"{actor.name}的机会").customer == customer_a1


# Update ----------------------------------------------------------------------------------------------


def test_update_changes_the_fields_and_audits_the_difference(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1, amount="100")
    services.update_opportunity(
        opportunity,
        actor=company.rep_a1,
        title="采购CT机（二期）",
        expected_amount=D("250.5"),
        expected_close=dt.date(2030, 1, 31),
        note="",
    )
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.expected_amount, opportunity.expected_close) == (
        "采购CT机（二期）",
        D("250.50"),
        dt.date(2030, 1, 31),
    )
    update = entries(opportunity)[-1]
    assert update.action == "update"
    assert update.changes == {
        "title": ["采购CT机", "采购CT机（二期）"],
        "expected_amount": ["100.00", "250.50"],
        "expected_close": [None, "2030-01-31"],
    }


def test_an_update_that_changes_nothing_writes_nothing(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1, amount="100")
    opportunity.refresh_from_db()
    with unchanged():
        services.update_opportunity(
            opportunity, actor=company.rep_a1, title="采购CT机", expected_amount=D("100.00"), note=""
        )


def test_update_refuses_bad_input_closed_opportunities_and_other_peoples(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1)
    refused(
        lambda: services.update_opportunity(
            opportunity, actor=company.rep_a1, title="", expected_amount=D(1)
        ),
        "invalid",
        "请填写机会名称。",
        "title",
    )
    with unchanged(), pytest.raises(NotFoundInScope):
        services.update_opportunity(opportunity, actor=company.rep_b1, title="改", expected_amount=D(1))
    with unchanged(), pytest.raises(PermissionRefused):
        services.update_opportunity(
            opportunity, actor=company.finance_clerk, title="改", expected_amount=D(1)
        )
    services.move_stage(opportunity, actor=company.rep_a1, stage="won")
    refused(
        lambda: services.update_opportunity(
            opportunity, actor=company.rep_a1, title="改", expected_amount=D(1)
        ),
        "invalid_state",
        "机会已赢单，不能再修改。",
    )


# Stages ----------------------------------------------------------------------------------------------


def test_moving_the_stage_is_audited_with_old_and_new_stage(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1)
    services.move_stage(opportunity, actor=company.rep_a1, stage="proposal")
    services.move_stage(opportunity, actor=company.manager_a, stage="needs")  # back is allowed
    services.move_stage(opportunity, actor=company.rep_a1, stage="lost", lost_reason=" 预算取消 ")
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.lost_reason) == ("lost", "预算取消")
    moves = [e for e in entries(opportunity) if e.action == services.STAGE_ACTION]
    assert [e.changes for e in moves] == [
        {"stage": ["初步接洽", "方案报价"]},
        {"stage": ["方案报价", "需求确认"]},
        {"stage": ["需求确认", "输单"], "lost_reason": ["", "预算取消"]},
    ]
    assert moves[1].actor == company.manager_a.user
    history = selectors.stage_history(opportunity)
    assert [e.changes["stage"] for e in history] == [
        [None, "初步接洽"],
        ["初步接洽", "方案报价"],
        ["方案报价", "需求确认"],
        ["需求确认", "输单"],
    ]


def test_moving_to_the_current_stage_changes_nothing(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1)
    with unchanged():
        services.move_stage(opportunity, actor=company.rep_a1, stage="initial")


def test_lost_needs_a_reason(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1)
    refused(
        lambda: services.move_stage(opportunity, actor=company.rep_a1, stage="lost", lost_reason="  "),
        "reason_required",
        "输单必须填写原因。",
        "lost_reason",
    )


@pytest.mark.parametrize(("final", "label"), [("won", "赢单"), ("lost", "输单")])
def test_won_and_lost_are_final(company, customer_a1, final, label):
    opportunity = make(company.rep_a1, customer_a1)
    services.move_stage(opportunity, actor=company.rep_a1, stage=final, lost_reason="价格")
    for stage in ("initial", "negotiation", "won", "lost"):
        refused(
            lambda stage=stage: services.move_stage(
                opportunity, actor=company.rep_a1, stage=stage, lost_reason="再试"
            ),
            "invalid_state",
            f"机会已{label}，不能再变更阶段。",
        )


def test_move_refuses_an_unknown_stage_permissions_and_scope(company, customer_a1):
    opportunity = make(company.rep_a1, customer_a1)
    refused(
        lambda: services.move_stage(opportunity, actor=company.rep_a1, stage="done"),
        "invalid",
        "请选择机会阶段。",
        "stage",
    )
    with unchanged(), pytest.raises(PermissionRefused):
        services.move_stage(opportunity, actor=company.finance_clerk, stage="won")
    for outsider in (company.rep_a2, company.rep_b1):
        with unchanged(), pytest.raises(NotFoundInScope):
            services.move_stage(opportunity, actor=outsider, stage="won")


# Reads -----------------------------------------------------------------------------------------------


def test_each_user_sees_the_opportunities_of_the_customers_in_their_scope(company, customer_a1, customer_b1):
    a1 = make(company.rep_a1, customer_a1, title="A1的机会")
    a2 = make(company.rep_a2, make_customer(company.rep_a2, "上海瑞金医院"), title="A2的机会")
    b1 = make(company.rep_b1, customer_b1, title="B1的机会")
    pool = make(None, make_customer(None, "公海客户"), title="公海机会")

    def seen(employee):
        return set(selectors.opportunities(employee.user))

    assert seen(company.rep_a1) == {a1}
    assert seen(company.rep_b1) == {b1}
    assert seen(company.manager_a) == seen(company.assistant_a) == {a1, a2}
    assert seen(company.sales_head) == {a1, a2, b1}
    assert seen(company.admin) == {a1, a2, b1, pool}
    assert seen(company.purchaser) == set()
    with pytest.raises(NotFoundInScope):
        selectors.opportunity(company.rep_a1.user, b1.pk)
    assert selectors.opportunity(company.manager_a.user, a2.pk) == a2


def test_the_list_filters_by_stage_owner_search_and_closing_date(company, customer_a1):
    first = make(company.rep_a1, customer_a1, title="采购CT机", expected_close=dt.date(2030, 3, 1))
    second = make(company.rep_a1, customer_a1, title="耗材年度合同", stage="proposal")
    other = make(company.rep_a2, make_customer(company.rep_a2, "上海瑞金医院"), title="监护仪")
    user = company.manager_a.user
    assert set(selectors.opportunities(user, stage="proposal")) == {second}
    assert set(selectors.opportunities(user, owner_id=company.rep_a2.pk)) == {other}
    assert set(selectors.opportunities(user, owner_id=str(company.rep_a1.pk))) == {first, second}
    assert set(selectors.opportunities(user, search="ct")) == {first}
    assert set(selectors.opportunities(user, search="shrj")) == {other}  # the customer's pinyin
    assert set(selectors.opportunities(user, closing_before=dt.date(2030, 3, 1))) == {first}
    assert set(selectors.opportunities(user, closing_before=dt.date(2030, 2, 28))) == set()
    assert selectors.owners(user) == sorted([company.rep_a1, company.rep_a2], key=lambda e: e.pinyin)


def test_the_pipeline_counts_and_sums_the_open_stages(company, customer_a1):
    other = make_customer(company.rep_a2, "上海瑞金医院")
    make(company.rep_a1, customer_a1, amount="0.10", title="甲")
    make(company.rep_a1, customer_a1, amount="0.20", title="乙", expected_close=dt.date(2030, 1, 1))
    make(company.rep_a2, other, amount="1000.05", title="丙", stage="initial")
    make(company.rep_a1, customer_a1, amount="300", title="丁", stage="negotiation")
    make(company.rep_a1, customer_a1, amount="999", title="赢", stage="won")
    make(company.rep_a1, customer_a1, amount="888", title="输", stage="lost", lost_reason="价格")

    board = selectors.pipeline(company.manager_a.user)
    summary = [(c.stage, c.count, c.amount, [o.title for o in c.cards]) for c in board.columns]
    assert summary == [
        ("initial", 3, D("1000.35"), ["乙", "丙", "甲"]),  # dated first, then by amount
        ("needs", 0, D("0.00"), []),
        ("proposal", 0, D("0.00"), []),
        ("negotiation", 1, D("300.00"), ["丁"]),
    ]
    assert (board.count, board.amount) == (4, D("1300.35"))
    assert [(c.next_stage, c.label) for c in board.columns] == [
        ("needs", "初步接洽"),
        ("proposal", "需求确认"),
        ("negotiation", "方案报价"),
        (None, "商务谈判"),
    ]
    mine = selectors.pipeline(company.rep_a1.user)
    assert [(c.count, c.amount) for c in mine.columns] == [
        (2, D("0.30")),
        (0, D("0.00")),
        (0, D("0.00")),
        (1, D("300.00")),
    ]
    only_a2 = selectors.pipeline(company.manager_a.user, owner_id=company.rep_a2.pk)
    assert only_a2.count == 1 and only_a2.amount == D("1000.05")
    card = only_a2.columns[0].cards[0]
    assert (card.customer.name, card.customer.owner) == ("上海瑞金医院", company.rep_a2)


def test_the_pipeline_by_person_totals_each_owners_stages(company, customer_a1, customer_b1):
    other = make_customer(company.rep_a2, "上海瑞金医院")
    make(company.rep_a1, customer_a1, amount="100.10")
    make(company.rep_a1, customer_a1, amount="200.20")
    make(company.rep_a1, customer_a1, amount="50", stage="won")
    make(company.rep_a2, other, amount="7.5", stage="proposal")
    make(company.rep_a2, other, amount="1", stage="lost", lost_reason="价格")
    make(company.rep_b1, customer_b1, amount="999")

    def table(employee):
        return {
            p.owner.name if p.owner else "公海": {s.stage: (s.count, s.amount) for s in p.stages if s.count}
            for p in selectors.pipeline_by_person(employee.user)
        }

    assert table(company.manager_a) == {
        "张伟": {"initial": (2, D("300.30")), "won": (1, D("50.00"))},
        "陈静": {"proposal": (1, D("7.50")), "lost": (1, D("1.00"))},
    }
    assert table(company.sales_head)["钱丽"] == {"initial": (1, D("999.00"))}
    assert table(company.rep_a1) == {"张伟": {"initial": (2, D("300.30")), "won": (1, D("50.00"))}}
    rows = {p.owner.name: p for p in selectors.pipeline_by_person(company.manager_a.user) if p.owner}
    assert (rows["张伟"].open_count, rows["张伟"].open_amount) == (2, D("300.30"))
    assert (rows["陈静"].open_count, rows["陈静"].open_amount) == (1, D("7.50"))
