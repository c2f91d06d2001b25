"""Sales orders through their services: create and update (each refusal with its code and message,
leaving nothing behind), submit / withdraw / reject, approval that reserves the stock, checks the
credit limit and opens the receivable exactly once, 反审核 and 作废 that give everything back and
are refused once money was collected, permissions and data scope, and the order selectors
(lists, queues, availability while writing, shortages, credit position, the pool provider)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.approvals import registry
from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApproverKind, RequestStatus
from maoyi.audit.selectors import history_of
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.models import Customer, QuoteStatus
from maoyi.crm.selectors import pool
from maoyi.finance import services as finance
from maoyi.finance.models import ObligationStatus
from maoyi.inventory.models import Reservation, ReservationStatus
from maoyi.purchasing.services import orders as purchase_orders
from maoyi.purchasing.services import suppliers as supplier_services
from maoyi.sales import selectors, shipping_selectors
from maoyi.sales.models import PriceSource, SalesOrder, Shipment
from maoyi.sales.services import orders
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import make_employee
from tests.sales.order_builders import (
    Desk,
    approved,
    build_desk,
    collect,
    days,
    draft,
    level,
    line,
    make_contract,
    make_quote,
    put_stock,
    receivable_of,
    submitted,
    today,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(company: Company) -> Desk:
    return build_desk(company)


@pytest.fixture
def stocked(desk: Desk) -> Desk:
    """200 gloves and 100 masks in the main warehouse."""
    put_stock(desk, desk.gloves, "200")
    put_stock(desk, desk.masks, "100")
    return desk


def refused(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# Create -------------------------------------------------------------------------------------------------


def test_an_assistant_writes_a_draft_for_a_colleagues_customer_and_the_customers_owner_owns_it(
    desk: Desk,
) -> None:
    c = desk.company
    order = draft(
        desk,
        line(desk.gloves, "100", "11.30"),
        line(desk.masks, "50", discount="10", tax="0"),
        actor=c.assistant_a,
        delivery_date=days(5),
        installments=[
            finance.InstallmentInput(days(60), D("600.00")),
            finance.InstallmentInput(days(30), D("674.00")),
        ],
        receiver="  王主任 ",
        note=" 首单 ",
    )

    assert order.number.startswith("XS") and order.status == Status.DRAFT
    assert (order.owner, order.department, order.created_by) == (c.rep_a1, c.team_a, c.assistant_a.user)
    assert (order.order_date, order.delivery_date) == (today(), days(5))
    assert (order.delivery_address, order.receiver, order.note) == ("北京市东城区帅府园1号", "王主任", "首单")
    lines = list(order.lines.order_by("id"))
    assert [
        (x.product.code, x.quantity, x.unit_price, x.discount_rate, x.tax_rate, x.price_source) for x in lines
    ] == [
        ("P001", D("100"), D("11.30"), D("0"), D("13"), PriceSource.TYPED),
        ("P002", D("50"), D("3.20"), D("10"), D("0"), PriceSource.SALE_PRICE),
    ]
    assert [(x.amount, x.tax_amount, x.amount_ex_tax) for x in lines] == [
        (D("1130.00"), D("130.00"), D("1000.00")),
        (D("144.00"), D("0.00"), D("144.00")),
    ]
    assert order.amount == D("1274.00")
    assert [(i.due_date, i.amount) for i in order.installments.all()] == [
        (days(30), D("674.00")),
        (days(60), D("600.00")),
    ]
    entry = history_of(order).get(action="create")
    assert "P001 × 100 @ 11.3；P002 × 50 @ 3.2 -10%" in str(entry.changes["lines"])
    assert entry.actor == c.assistant_a.user


def _base(desk: Desk) -> dict[str, Any]:
    return {
        "actor": desk.rep,
        "customer": desk.xiehe,
        "warehouse": desk.main,
        "lines": [line(desk.gloves, "100", "11.30")],
    }


def _inactive(obj: Any) -> Any:
    obj.is_active = False
    obj.save(update_fields=["is_active"])
    return obj


# name -> builder(desk) returning (overrides, code, field, message)
REFUSALS: dict[str, Callable[[Desk], tuple[dict[str, Any], str, str, str]]] = {
    "customer in the pool": lambda d: (
        {"customer": make_customer(None, "无主诊所")},
        "invalid",
        "customer",
        "客户在公海，请先领取客户。",
    ),
    "inactive customer": lambda d: (
        {"customer": _inactive(d.xiehe)},
        "invalid",
        "customer",
        "客户“北京协和医院”已停用，不能下单。",
    ),
    "inactive warehouse": lambda d: (
        {"warehouse": _inactive(d.main)},
        "invalid",
        "warehouse",
        "请选择启用中的仓库。",
    ),
    "delivery before the order date": lambda d: (
        {"order_date": days(0), "delivery_date": days(-1)},
        "invalid",
        "delivery_date",
        "交货日期不能早于订单日期。",
    ),
    "contract of another customer": lambda d: (
        {"contract": make_contract(d, (d.gloves, "100", "11.00"), customer=d.ruijin)},
        "invalid",
        "contract",
        "合同不属于这个客户。",
    ),
    "quote of another customer": lambda d: (
        {"quote": make_quote(d, (d.gloves, "10", "11.00"), customer=d.ruijin)},
        "invalid",
        "quote",
        "报价单不属于这个客户。",
    ),
    "no lines": lambda d: ({"lines": []}, "invalid", "lines", "请至少添加一行明细。"),
    "inactive product": lambda d: (
        {"lines": [line(_inactive(d.gloves), "1", "11.30")]},
        "invalid",
        "lines.0.product",
        "第 1 行：请选择启用中的商品。",
    ),
    "zero quantity": lambda d: (
        {"lines": [line(d.gloves, "0", "11.30")]},
        "invalid",
        "lines.0.quantity",
        "第 1 行：数量必须大于零，最多四位小数。",
    ),
    "quantity with five decimals on the second line": lambda d: (
        {"lines": [line(d.gloves, "1", "11.30"), line(d.masks, "1.00001", "3.20")]},
        "invalid",
        "lines.1.quantity",
        "第 2 行：数量必须大于零，最多四位小数。",
    ),
    "negative price": lambda d: (
        {"lines": [line(d.gloves, "1", "-1")]},
        "invalid",
        "lines.0.unit_price",
        "第 1 行：单价不能为负数，最多四位小数。",
    ),
    "price with five decimals": lambda d: (
        {"lines": [line(d.gloves, "1", "11.30001")]},
        "invalid",
        "lines.0.unit_price",
        "第 1 行：单价不能为负数，最多四位小数。",
    ),
    "discount of 100%": lambda d: (
        {"lines": [line(d.gloves, "1", "11.30", discount="100")]},
        "invalid",
        "lines.0.discount_rate",
        "第 1 行：折扣须在 0 到 100 之间（不含 100），最多两位小数。",
    ),
    "negative discount": lambda d: (
        {"lines": [line(d.gloves, "1", "11.30", discount="-1")]},
        "invalid",
        "lines.0.discount_rate",
        "第 1 行：折扣须在 0 到 100 之间（不含 100），最多两位小数。",
    ),
    "tax rate of 100%": lambda d: (
        {"lines": [line(d.gloves, "1", "11.30", tax="100")]},
        "invalid",
        "lines.0.tax_rate",
        "第 1 行：税率须在 0 到 100 之间，最多两位小数。",
    ),
    "installments not adding up": lambda d: (
        {"installments": [finance.InstallmentInput(days(30), D("1000.00"))]},
        "installments_mismatch",
        "installments",
        "分期金额合计 1000.00 与总金额 1130.00 不一致。",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_create_refusals_name_the_field_and_write_nothing(desk: Desk, case: str) -> None:
    overrides, code, field, message = REFUSALS[case](desk)
    with unchanged():
        error = refused(lambda: orders.create_order(**{**_base(desk), **overrides}))
    assert (error.code, error.field, error.message) == (code, field, message)
    assert not SalesOrder.objects.exists()


def test_a_contract_must_be_approved_and_cover_the_order_date(desk: Desk) -> None:
    pending = make_contract(desk, (desk.gloves, "100", "11.00"), approve=False)
    old = make_contract(desk, (desk.gloves, "100", "11.00"), valid=(-100, -10))
    with unchanged():
        error = refused(lambda: orders.create_order(**_base(desk), contract=pending))
        assert (error.code, error.field, error.message) == (
            "invalid",
            "contract",
            f"合同 {pending.number} 未审核，不能据此下单。",
        )
        error = refused(lambda: orders.create_order(**_base(desk), contract=old))
    assert (error.code, error.field, error.message) == (
        "invalid",
        "contract",
        f"订单日期不在合同 {old.number} 的有效期（{days(-100).isoformat()} 至 {days(-10).isoformat()}）内。",
    )


def test_a_quote_must_be_sent_or_accepted_and_not_expired(desk: Desk) -> None:
    in_draft = make_quote(desk, (desk.gloves, "10", "11.00"), status=QuoteStatus.DRAFT)
    sent = make_quote(desk, (desk.gloves, "10", "11.00"))
    with unchanged():
        error = refused(lambda: orders.create_order_from_quote(in_draft, actor=desk.rep, warehouse=desk.main))
        assert (error.code, error.field, error.message) == (
            "invalid",
            "quote",
            f"报价单 {in_draft.number} 当前状态为“草稿”，只有已发送或已接受的报价单才能下单。",
        )
        # an order dated after the quote's validity
        error = refused(
            lambda: orders.create_order_from_quote(
                sent, actor=desk.rep, warehouse=desk.main, order_date=days(31)
            )
        )
    assert (error.code, error.field, error.message) == ("invalid", "quote", f"报价单 {sent.number} 已过期。")


@pytest.mark.parametrize("who", ["finance_clerk", "purchaser"])
def test_finance_and_purchasing_cannot_write_orders(desk: Desk, who: str) -> None:
    actor = getattr(desk.company, who)
    with unchanged():
        error = refused(lambda: orders.create_order(**{**_base(desk), "actor": actor}))
    assert (error.code, error.message) == ("permission_denied", "您的角色不能执行此操作。")


def test_logistics_cannot_write_orders(desk: Desk) -> None:
    with unchanged():
        error = refused(lambda: orders.create_order(**{**_base(desk), "actor": desk.keeper}))
    assert error.code == "permission_denied"


def test_a_salesperson_cannot_order_for_another_teams_customer(desk: Desk) -> None:
    with unchanged():
        error = refused(lambda: orders.create_order(**{**_base(desk), "actor": desk.company.rep_b1}))
    assert isinstance(error, NotFoundInScope)


# Update -------------------------------------------------------------------------------------------------


def test_update_replaces_the_lines_and_the_plan_and_records_what_changed(desk: Desk) -> None:
    order = draft(desk, installments=[finance.InstallmentInput(days(30), D("1130.00"))])
    orders.update_order(
        order,
        actor=desk.rep,
        customer=desk.xiehe,
        warehouse=desk.second,
        lines=[line(desk.masks, "10", "3.00")],
        delivery_date=days(3),
    )

    order.refresh_from_db()
    assert (order.warehouse, order.delivery_date, order.amount) == (desk.second, days(3), D("30.00"))
    assert [(x.product.code, x.quantity) for x in order.lines.all()] == [("P002", D("10"))]
    assert not order.installments.exists()
    changes = history_of(order).get(action="update").changes
    assert changes["lines"] == ["P001 × 100 @ 11.3", "P002 × 10 @ 3"]
    assert changes["warehouse"] == ["北京主仓", "上海仓"]
    assert changes["installments"] == [f"{days(30).isoformat()} 1130.00", ""]


def test_changing_the_customer_moves_the_order_to_its_owner(desk: Desk) -> None:
    c = desk.company
    order = draft(desk, actor=c.assistant_a)
    orders.update_order(
        order, actor=c.assistant_a, customer=desk.ruijin, warehouse=desk.main, lines=[line(desk.masks, "1")]
    )
    order.refresh_from_db()
    assert (order.customer, order.owner, order.department) == (desk.ruijin, c.rep_a2, c.team_a)


def test_a_submitted_order_cannot_be_edited(desk: Desk) -> None:
    order = submitted(desk)
    with unchanged():
        error = refused(
            lambda: orders.update_order(
                order, actor=desk.rep, customer=desk.xiehe, warehouse=desk.main, lines=[line(desk.masks, "1")]
            )
        )
    assert (error.code, error.message) == (
        "invalid_state",
        f"单据 {order.number} 当前状态为“待审核”，不能修改。",
    )


def test_another_team_cannot_edit_or_even_find_the_order(desk: Desk) -> None:
    order = draft(desk)
    rep_b1 = desk.company.rep_b1
    with unchanged():
        for call in (
            lambda: orders.update_order(
                order, actor=rep_b1, customer=desk.agent, warehouse=desk.main, lines=[line(desk.masks, "1")]
            ),
            lambda: orders.submit_order(order, actor=rep_b1),
            lambda: orders.cancel_order(order, actor=rep_b1),
            lambda: selectors.order(rep_b1.user, order.pk),
        ):
            assert isinstance(refused(call), NotFoundInScope)
    assert order not in selectors.orders(rep_b1.user)


# Submit, withdraw, reject ---------------------------------------------------------------------------------


def test_submit_sends_the_order_to_the_team_manager_and_withdraw_takes_it_back(desk: Desk) -> None:
    order = draft(desk)
    orders.submit_order(order, actor=desk.rep)

    request = ApprovalRequest.objects.get(object_id=order.pk, document_type="sales_order")
    assert order.status == Status.SUBMITTED
    assert list(request.approvers.all()) == [desk.manager]
    assert request.amount == D("1130.00")
    assert list(selectors.waiting_for_approval(desk.manager.user)) == [order]

    orders.withdraw_order(order, actor=desk.rep)
    order.refresh_from_db()
    request.refresh_from_db()
    assert (order.status, request.status) == (Status.DRAFT, RequestStatus.WITHDRAWN)


def test_an_order_without_lines_cannot_be_submitted(desk: Desk) -> None:
    order = draft(desk)
    order.lines.all().delete()
    with unchanged():
        error = refused(lambda: orders.submit_order(order, actor=desk.rep))
    assert (error.code, error.field, error.message) == ("invalid", "lines", "请至少添加一行明细。")


def test_reject_needs_a_reason_and_the_rejected_order_can_be_edited_and_submitted_again(desk: Desk) -> None:
    order = submitted(desk)
    with unchanged():
        error = refused(lambda: orders.reject_order(order, actor=desk.manager, reason="  "))
    assert (error.code, error.message) == ("reason_required", "请填写原因。")

    orders.reject_order(order, actor=desk.manager, reason="价格太低")
    order.refresh_from_db()
    assert order.status == Status.REJECTED
    orders.update_order(
        order,
        actor=desk.rep,
        customer=desk.xiehe,
        warehouse=desk.main,
        lines=[line(desk.gloves, "100", "12.00")],
    )
    orders.submit_order(order, actor=desk.rep)
    order.refresh_from_db()
    assert (order.status, order.amount) == (Status.SUBMITTED, D("1200.00"))


# Approve ---------------------------------------------------------------------------------------------


def test_approval_reserves_the_stock_and_opens_the_receivable_exactly_once(stocked: Desk) -> None:
    desk = stocked
    order = submitted(
        desk, line(desk.gloves, "100", "11.30"), line(desk.masks, "10", "3.20"), delivery_date=days(5)
    )
    orders.approve_order(order, actor=desk.manager, comment="同意")

    order.refresh_from_db()
    assert order.status == Status.APPROVED and order.approved_at is not None
    assert order.credit_override_reason == ""
    assert level(desk.gloves, desk.main) == (D("200"), D("100"))
    assert level(desk.masks, desk.main) == (D("100"), D("10"))
    reservations = Reservation.objects.filter(source_type="sales_order", source_id=order.pk)
    assert sorted((r.product_id, r.quantity, r.status) for r in reservations) == [
        (desk.gloves.pk, D("100"), ReservationStatus.OPEN),
        (desk.masks.pk, D("10"), ReservationStatus.OPEN),
    ]
    receivable = receivable_of(order)
    assert (receivable.amount, receivable.party_kind, receivable.party_id, receivable.party_name) == (
        D("1162.00"),
        "customer",
        desk.xiehe.pk,
        "北京协和医院",
    )
    assert (receivable.owner, receivable.source_number, receivable.issued_on) == (
        desk.rep,
        order.number,
        today(),
    )
    # no plan: one installment 30 days after the requested delivery date
    assert [(i.due_date, i.amount) for i in receivable.installments.all()] == [(days(35), D("1162.00"))]
    assert list(shipping_selectors.to_ship(desk.keeper.user)) == [order]
    assert list(selectors.receivables_of(order)) == [receivable]

    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=desk.manager))
    assert (error.code, error.message) == ("invalid_state", f"单据 {order.number} 不在待审核状态。")
    assert selectors.receivables_of(order).count() == 1


def test_the_receivable_takes_the_orders_installment_plan(stocked: Desk) -> None:
    desk = stocked
    order = approved(
        desk,
        installments=[
            finance.InstallmentInput(days(30), D("565.00")),
            finance.InstallmentInput(days(90), D("565.00")),
        ],
    )
    receivable = receivable_of(order)
    assert [(i.sequence, i.due_date, i.amount) for i in receivable.installments.all()] == [
        (1, days(30), D("565.00")),
        (2, days(90), D("565.00")),
    ]


def test_without_a_delivery_date_the_receivable_falls_due_30_days_after_the_order_date(stocked: Desk) -> None:
    order = approved(stocked, order_date=days(-2))
    assert [i.due_date for i in receivable_of(order).installments.all()] == [days(28)]


def test_an_order_of_amount_zero_opens_no_receivable(stocked: Desk) -> None:
    order = approved(stocked, line(stocked.masks, "5", "0"))
    assert level(stocked.masks, stocked.main) == (D("100"), D("5"))
    assert not selectors.receivables_of(order).exists()


def test_only_a_named_approver_approves(stocked: Desk) -> None:
    order = submitted(stocked)
    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=stocked.company.rep_a2))
    assert (error.code, error.message) == ("not_approver", "您不是这张单据的审批人。")


def test_the_inbox_approves_sales_orders_through_the_order_service(stocked: Desk) -> None:
    actions = registry.actions_for(SalesOrder.DOCUMENT_TYPE)
    assert (actions.approve, actions.unapprove, actions.reject) == (
        orders.approve_order,
        orders.unapprove_order,
        approvals.reject,
    )
    order = submitted(stocked)
    actions.approve(order, actor=stocked.manager, comment="")
    assert level(stocked.gloves, stocked.main) == (D("200"), D("100"))


def test_approval_without_stock_is_refused_naming_the_lines_and_changes_nothing(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "100")
    order = submitted(desk, line(desk.gloves, "150", "11.30"), line(desk.masks, "10", "3.20"))
    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=desk.manager))

    assert (error.code, error.message) == (
        "insufficient_stock",
        "库存不足：P001 医用手套 在 北京主仓 需要 150，可用 100；P002 外科口罩 在 北京主仓 需要 10，可用 0。",
    )
    assert order.status == Status.SUBMITTED  # the caller's copy too
    order.refresh_from_db()
    assert (order.status, order.approved_at) == (Status.SUBMITTED, None)
    assert level(desk.gloves, desk.main) == (D("100"), D("0"))
    assert not selectors.receivables_of(order).exists()
    assert ApprovalRequest.objects.get(object_id=order.pk, document_type="sales_order").status == "pending"


def test_expired_lots_and_other_orders_reservations_are_not_available(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "100", lot="OLD", expiry=days(-1))
    put_stock(desk, desk.gloves, "60", lot="NEW", expiry=days(300))
    approved(desk, line(desk.gloves, "20", "11.30"))  # 40 of the good lot left
    order = submitted(desk, line(desk.gloves, "30", "11.30"), line(desk.gloves, "15", "11.30"))
    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=desk.manager))
    assert (error.code, error.message) == (
        "insufficient_stock",
        "库存不足：P001 医用手套 在 北京主仓 需要 45，可用 40。",
    )


def test_stock_in_another_warehouse_does_not_count(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "500", warehouse=desk.second)
    order = submitted(desk)
    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=desk.manager))
    assert error.message == "库存不足：P001 医用手套 在 北京主仓 需要 100，可用 0。"


# Credit limit ------------------------------------------------------------------------------------------


def _limit(customer: Customer, amount: str) -> None:
    Customer.objects.filter(pk=customer.pk).update(credit_limit=D(amount))
    customer.refresh_from_db()


def test_over_the_credit_limit_the_manager_is_refused_with_the_figures(stocked: Desk) -> None:
    desk = stocked
    _limit(desk.xiehe, "2000.00")
    approved(desk)  # 1130.00 outstanding
    order = submitted(desk)
    with unchanged():
        error = refused(lambda: orders.approve_order(order, actor=desk.manager))
    assert (error.code, error.field, error.message) == (
        "credit_limit_exceeded",
        "credit_override_reason",
        "客户“北京协和医院”超出信用额度：未收款 1130.00 + 本单 1130.00 = 2260.00，信用额度 2000.00。"
        "如确需审核，请填写超信用额度原因。",
    )
    assert order.status == Status.SUBMITTED
    assert level(desk.gloves, desk.main) == (D("200"), D("100"))
    position = selectors.credit_position(desk.xiehe)
    assert (position.limit, position.outstanding, position.available) == (
        D("2000.00"),
        D("1130.00"),
        D("870.00"),
    )


def test_an_approver_without_the_override_role_cannot_override(stocked: Desk) -> None:
    desk = stocked
    _limit(desk.xiehe, "1000.00")
    approvals.save_rule(
        None,
        actor=None,
        document_type="sales_order",
        name="二组长审批",
        approver_kind=ApproverKind.PERSON,
        person_id=desk.company.rep_a2.pk,
    )
    order = submitted(desk)
    with unchanged():
        error = refused(
            lambda: orders.approve_order(order, actor=desk.company.rep_a2, credit_override_reason="老客户")
        )
    assert (error.code, error.field, error.message) == (
        "credit_limit_exceeded",
        None,
        "客户“北京协和医院”超出信用额度：未收款 0.00 + 本单 1130.00 = 1130.00，信用额度 1000.00。",
    )


def test_the_manager_overrides_the_credit_limit_with_a_reason_kept_on_the_order(stocked: Desk) -> None:
    desk = stocked
    _limit(desk.xiehe, "1000.00")
    order = submitted(desk)
    orders.approve_order(order, actor=desk.manager, credit_override_reason="  老客户，月底回款  ")

    order.refresh_from_db()
    assert (order.status, order.credit_override_reason) == (Status.APPROVED, "老客户，月底回款")
    entry = history_of(order).get(action="update")
    assert entry.changes == {"credit_override_reason": ["", "老客户，月底回款"]}
    assert entry.note == "老客户，月底回款" and entry.actor == desk.manager.user
    assert receivable_of(order).amount == D("1130.00")
    assert selectors.credit_position(desk.xiehe).available == D("-130.00")


def test_money_collected_no_longer_counts_against_the_limit(stocked: Desk) -> None:
    desk = stocked
    _limit(desk.xiehe, "2000.00")
    first = approved(desk)
    collect(desk, first, "1130.00")
    second = approved(desk)
    assert second.status == Status.APPROVED and second.credit_override_reason == ""


def test_a_credit_limit_of_zero_means_no_limit(stocked: Desk) -> None:
    desk = stocked
    assert desk.xiehe.credit_limit == 0
    order = approved(desk, line(desk.gloves, "200", "100.00"))
    assert order.status == Status.APPROVED
    position = selectors.credit_position(desk.xiehe)
    assert (position.has_limit, position.outstanding, position.available) == (False, D("20000.00"), None)


# Unapprove and cancel -----------------------------------------------------------------------------------


def test_unapprove_releases_the_reservation_and_reverses_the_receivable(stocked: Desk) -> None:
    desk = stocked
    order = approved(desk)
    first = receivable_of(order)
    orders.unapprove_order(order, actor=desk.manager, reason="客户改数量")

    assert (order.status, order.approved_at) == (Status.DRAFT, None)
    order.refresh_from_db()
    assert (order.status, order.approved_at) == (Status.DRAFT, None)
    assert level(desk.gloves, desk.main) == (D("200"), D("0"))
    first.refresh_from_db()
    assert (first.status, first.reverse_reason) == (ObligationStatus.REVERSED, "客户改数量")
    assert not shipping_selectors.to_ship(desk.keeper.user).exists()

    # edited and approved again: a new receivable, the reversed one stays
    orders.update_order(
        order,
        actor=desk.rep,
        customer=desk.xiehe,
        warehouse=desk.main,
        lines=[line(desk.gloves, "50", "11.30")],
    )
    orders.submit_order(order, actor=desk.rep)
    orders.approve_order(order, actor=desk.manager)
    assert [r.status for r in selectors.receivables_of(order)] == [
        ObligationStatus.OPEN,
        ObligationStatus.REVERSED,
    ]
    assert level(desk.gloves, desk.main) == (D("200"), D("50"))


def test_unapprove_needs_an_approver_and_a_reason(stocked: Desk) -> None:
    order = approved(stocked)
    with unchanged():
        error = refused(lambda: orders.unapprove_order(order, actor=stocked.rep, reason="改"))
        assert error.code == "not_approver"
        error = refused(lambda: orders.unapprove_order(order, actor=stocked.manager, reason=" "))
    assert (error.code, error.message) == ("reason_required", "请填写原因。")


def test_unapprove_after_money_was_collected_is_refused_and_changes_nothing(stocked: Desk) -> None:
    order = approved(stocked)
    collect(stocked, order, "100.00")
    with unchanged():
        error = refused(lambda: orders.unapprove_order(order, actor=stocked.manager, reason="客户改数量"))
    assert (error.code, error.message) == (
        "has_downstream",
        f"销售订单 {order.number} 已有发货或收款，不能反审核。",
    )
    assert order.status == Status.APPROVED
    assert level(stocked.gloves, stocked.main) == (D("200"), D("100"))


def test_unapprove_and_cancel_after_a_shipment_are_refused(stocked: Desk) -> None:
    order = approved(stocked)
    Shipment.objects.create(
        number="FH-TEST-0001",
        status=Status.IN_PROGRESS,
        owner=order.owner,
        department=order.department,
        created_by=stocked.keeper.user,
        order=order,
        warehouse=stocked.main,
        shipped_on=today(),
    )
    with unchanged():
        error = refused(lambda: orders.unapprove_order(order, actor=stocked.manager, reason="改"))
        assert (error.code, error.message) == (
            "has_downstream",
            f"销售订单 {order.number} 已有发货或收款，不能反审核。",
        )
        error = refused(lambda: orders.cancel_order(order, actor=stocked.rep, reason="改"))
    assert (error.code, error.message) == (
        "has_downstream",
        f"销售订单 {order.number} 已有发货或收款，不能作废。",
    )


def test_cancel_a_draft(desk: Desk) -> None:
    order = draft(desk)
    orders.cancel_order(order, actor=desk.rep)
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_cancel_of_a_submitted_order_is_refused(desk: Desk) -> None:
    order = submitted(desk)
    with unchanged():
        error = refused(lambda: orders.cancel_order(order, actor=desk.rep, reason="不要了"))
    assert (error.code, error.message) == (
        "invalid_state",
        f"单据 {order.number} 当前状态为“待审核”，不能作废。",
    )


def test_cancel_of_an_approved_order_needs_a_reason_and_releases_everything(stocked: Desk) -> None:
    desk = stocked
    order = approved(desk)
    with unchanged():
        error = refused(lambda: orders.cancel_order(order, actor=desk.rep))
    assert (error.code, error.message) == ("reason_required", "请填写原因。")

    orders.cancel_order(order, actor=desk.rep, reason="客户取消采购")
    assert order.status == Status.CANCELLED
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert level(desk.gloves, desk.main) == (D("200"), D("0"))
    assert receivable_of(order).status == ObligationStatus.REVERSED
    assert history_of(order).get(action="cancel").note == "客户取消采购"
    assert desk.xiehe.pk not in pool.with_open_orders([desk.xiehe.pk])


def test_cancel_after_money_was_collected_is_refused(stocked: Desk) -> None:
    order = approved(stocked)
    collect(stocked, order, "1130.00")
    with unchanged():
        error = refused(lambda: orders.cancel_order(order, actor=stocked.rep, reason="客户取消"))
    assert (error.code, error.message) == (
        "has_downstream",
        f"销售订单 {order.number} 已有发货或收款，不能作废。",
    )


# Scope and the order lists ---------------------------------------------------------------------------


def test_who_sees_which_orders(stocked: Desk) -> None:
    c = stocked.company
    a1 = draft(stocked)
    a2 = draft(stocked, customer=stocked.ruijin, actor=c.rep_a2)
    b1 = draft(stocked, customer=stocked.agent, actor=c.rep_b1)

    def seen(employee: Any) -> set[int]:
        return set(selectors.orders(employee.user).values_list("pk", flat=True))

    assert seen(c.rep_a1) == {a1.pk}
    assert seen(c.rep_b1) == {b1.pk}
    assert seen(c.manager_a) == seen(c.assistant_a) == {a1.pk, a2.pk}
    assert seen(c.sales_head) == seen(c.finance_clerk) == seen(stocked.keeper) == {a1.pk, a2.pk, b1.pk}
    assert seen(c.purchaser) == set()
    assert selectors.order(c.manager_a.user, a1.pk) == a1


def test_team_b_orders_go_to_the_sales_head(stocked: Desk) -> None:
    order = submitted(stocked, customer=stocked.agent, actor=stocked.company.rep_b1)
    with unchanged():
        assert refused(lambda: orders.approve_order(order, actor=stocked.manager)).code == "not_approver"
    orders.approve_order(order, actor=stocked.company.sales_head)
    assert order.status == Status.APPROVED


def test_the_order_list_searches_and_filters(stocked: Desk) -> None:
    c = stocked.company
    old = draft(stocked, order_date=days(-10))
    new = approved(stocked)
    other = draft(stocked, customer=stocked.ruijin, actor=c.rep_a2)
    user = c.manager_a.user

    def found(**kw: Any) -> list[int]:
        return list(selectors.orders(user, **kw).values_list("pk", flat=True))

    assert found() == [other.pk, new.pk, old.pk]
    assert found(search=old.number) == [old.pk]
    assert found(search="协和") == [new.pk, old.pk]
    assert found(search="BJXH") == [new.pk, old.pk]  # pinyin initials
    assert found(status=Status.APPROVED) == [new.pk]
    assert found(customer_id=stocked.ruijin.pk) == [other.pk]
    assert found(owner_id=c.rep_a1.pk) == [new.pk, old.pk]
    assert found(date_from=days(-11), date_to=days(-1)) == [old.pk]
    assert found(to_ship=True) == [new.pk]
    assert found(ordering="number") == [old.pk, new.pk, other.pk]


def test_customers_with_approved_orders_do_not_return_to_the_pool(stocked: Desk) -> None:
    ids = [stocked.xiehe.pk, stocked.ruijin.pk]
    submitted(stocked)
    assert pool.with_open_orders(ids) == set()
    approved(stocked)
    assert pool.with_open_orders(ids) == {stocked.xiehe.pk}


# Availability while writing ---------------------------------------------------------------------------


def _incoming(desk: Desk, quantity: str) -> None:
    """An approved purchase order of gloves into the main warehouse (incoming stock)."""
    c = desk.company
    buyer_manager = make_employee(c.purchasing, "manager", username="mgr_p", name="高峰", is_manager=True)
    supplier = supplier_services.create_supplier(
        actor=c.purchaser, name="江西华康医疗器械有限公司", buyer=c.purchaser
    )
    order = purchase_orders.create_order(
        actor=c.purchaser,
        supplier=supplier,
        warehouse=desk.main,
        expected_date=days(7),
        lines=[purchase_orders.OrderLineInput(desk.gloves.pk, D(quantity), D("8.00"))],
    )
    purchase_orders.submit_order(order, actor=c.purchaser)
    purchase_orders.approve_order(order, actor=buyer_manager)


def test_line_availability_shows_the_chosen_warehouse_and_the_others(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "100", lot="NEW")
    put_stock(desk, desk.gloves, "10", lot="OLD", expiry=days(-3))
    put_stock(desk, desk.gloves, "40", warehouse=desk.second)
    approved(desk, line(desk.gloves, "20", "11.30"))
    _incoming(desk, "60")

    figures = selectors.line_availability([desk.gloves.pk, desk.masks.pk], desk.main.pk)

    gloves = figures[desk.gloves.pk]
    here = gloves.here
    assert (here.warehouse, here.on_hand, here.reserved, here.available, here.incoming) == (
        "北京主仓",
        D("110"),
        D("20"),
        D("80"),  # the expired lot is not available
        D("60"),
    )
    assert [(o.warehouse, o.on_hand, o.available, o.incoming) for o in gloves.others] == [
        ("上海仓", D("40"), D("40"), D("0"))
    ]
    assert (gloves.total.on_hand, gloves.total.available, gloves.total.incoming) == (
        D("150"),
        D("120"),
        D("60"),
    )
    assert gloves.expected_date == days(7)  # the purchase order's expected date
    masks = figures[desk.masks.pk].here
    assert (masks.on_hand, masks.available) == (D("0"), D("0"))


def test_the_lines_asking_for_more_than_is_available_are_marked(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "100")
    reserved = approved(desk, line(desk.gloves, "80", "11.30"))
    order = draft(
        desk, line(desk.gloves, "15", "11.30"), line(desk.masks, "5"), line(desk.gloves, "10", "11.30")
    )

    short = selectors.order_shortages(order)
    assert [(s.index, s.line.pk if s.line else None, s.wanted, s.available, s.missing) for s in short] == [
        (0, order.lines.order_by("id")[0].pk, D("25"), D("20"), D("5")),
        (1, order.lines.order_by("id")[1].pk, D("5"), D("0"), D("5")),
        (2, order.lines.order_by("id")[2].pk, D("25"), D("20"), D("5")),
    ]
    # an approved order's own reservation is its own
    assert selectors.order_shortages(reserved) == []
    # the form's check before anything is saved
    assert [s.index for s in selectors.line_shortages([(desk.gloves.pk, D("20"))], desk.main.pk)] == []
    assert [s.index for s in selectors.line_shortages([(desk.gloves.pk, D("21"))], desk.main.pk)] == [0]


def test_creating_an_order_from_a_quote_leaves_the_quote_as_it_is(desk: Desk) -> None:
    quote = make_quote(desk, (desk.gloves, "10", "11.00"), status=QuoteStatus.ACCEPTED)
    first = orders.create_order_from_quote(quote, actor=desk.rep, warehouse=desk.main)
    second = orders.create_order_from_quote(quote, actor=desk.rep, warehouse=desk.main)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert first.quote == second.quote == quote
