"""Purchase orders through their services: create and update (each refusal with its code and
message, leaving nothing behind), the price proposed from the best valid quote, foreign currency
at the finance rate, submit / withdraw / approve / reject through the approvals workflow, the payable
approval opens, and cancel of an approved order before and after anything happened downstream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.approvals import selectors as approval_selectors
from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, RequestStatus
from maoyi.audit.selectors import history_of
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.finance import services as finance
from maoyi.finance.models import ObligationStatus
from maoyi.inventory import selectors as stock
from maoyi.inventory.models import Warehouse
from maoyi.purchasing import order_selectors
from maoyi.purchasing.models import PurchaseOrder
from maoyi.purchasing.services import orders
from maoyi.purchasing.services import suppliers as supplier_services
from tests.conftest import Company
from tests.factories import make_employee
from tests.purchasing.order_builders import (
    Shop,
    approved,
    build_shop,
    days,
    draft,
    line,
    pay,
    payable_of,
    quote,
    receive,
    unchanged,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company: Company) -> Shop:
    return build_shop(company)


def set_rate(shop: Shop, currency: str, rate: str, valid_from: dt.date | None = None) -> None:
    finance.set_exchange_rate(
        actor=shop.company.finance_clerk, currency=currency, rate=D(rate), valid_from=valid_from or days(-1)
    )


# Create -------------------------------------------------------------------------------------------


def test_create_makes_a_numbered_draft_owned_by_the_purchaser(shop: Shop) -> None:
    order = draft(
        shop,
        line(shop.product, "100", "11.30"),
        line(shop.plain, "20", "5.00", tax="0"),
        installments=[
            finance.InstallmentInput(days(30), D("600.00")),
            finance.InstallmentInput(days(60), D("630.00")),
        ],
        note="  首批  ",
    )

    assert order.number.startswith("CG") and order.status == Status.DRAFT
    assert (order.owner, order.department) == (shop.purchaser, shop.company.purchasing)
    assert (order.currency, order.exchange_rate, order.note) == ("CNY", D("1"), "首批")
    assert order.amount == D("1230.00")
    assert [(x.product.code, x.quantity, x.unit_price, x.tax_rate) for x in order.lines.order_by("id")] == [
        ("ZS001", D("100"), D("11.30"), D("13")),
        ("PJ001", D("20"), D("5.00"), D("0")),
    ]
    assert [(i.due_date, i.amount) for i in order.installments.all()] == [
        (days(30), D("600.00")),
        (days(60), D("630.00")),
    ]
    entry = history_of(order).get(action="create")
    assert "ZS001 × 100 @ 11.3" in str(entry.changes)


def _base(shop: Shop) -> dict[str, Any]:
    return {
        "actor": shop.purchaser,
        "supplier": shop.supplier,
        "warehouse": shop.warehouse,
        "expected_date": days(7),
        "lines": [line(shop.product, "100", "11.30")],
    }


def _inactive(obj: Any) -> Any:
    obj.is_active = False
    obj.save(update_fields=["is_active"])
    return obj


REFUSALS: dict[str, tuple[Callable[[Shop], dict[str, Any]], str, str, str]] = {
    "inactive supplier": (
        lambda s: {"supplier": _inactive(s.supplier)},
        "invalid",
        "supplier",
        "请选择启用中的供应商。",
    ),
    "inactive warehouse": (
        lambda s: {"warehouse": _inactive(s.warehouse)},
        "invalid",
        "warehouse",
        "请选择启用中的仓库。",
    ),
    "no lines": (lambda s: {"lines": []}, "invalid", "lines", "请至少添加一行明细。"),
    "no expected date": (
        lambda s: {"expected_date": None},
        "invalid",
        "expected_date",
        "请填写预计到货日期。",
    ),
    "zero quantity": (
        lambda s: {"lines": [line(s.product, "0", "1.00")]},
        "invalid",
        "lines.0.quantity",
        "第 1 行：数量必须大于零。",
    ),
    "negative quantity on the second line": (
        lambda s: {"lines": [line(s.product, "1", "1.00"), line(s.plain, "-5", "1.00")]},
        "invalid",
        "lines.1.quantity",
        "第 2 行：数量必须大于零。",
    ),
    "tax rate 100": (
        lambda s: {"lines": [line(s.product, "1", "1.00", tax="100")]},
        "invalid",
        "lines.0.tax_rate",
        "第 1 行：税率须在 0 到 100 之间。",
    ),
    "negative tax rate": (
        lambda s: {"lines": [line(s.product, "1", "1.00", tax="-1")]},
        "invalid",
        "lines.0.tax_rate",
        "第 1 行：税率须在 0 到 100 之间。",
    ),
    "no quote and no purchase price": (
        lambda s: {"lines": [line(s.plain, "10")]},
        "invalid",
        "lines.0.unit_price",
        "第 1 行：没有有效报价，请填写单价。",
    ),
    "negative price": (
        lambda s: {"lines": [line(s.product, "1", "-0.01")]},
        "invalid",
        "lines.0.unit_price",
        "第 1 行：单价不能为负数，最多四位小数。",
    ),
    "price with five decimals": (
        lambda s: {"lines": [line(s.product, "1", "1.00001")]},
        "invalid",
        "lines.0.unit_price",
        "第 1 行：单价不能为负数，最多四位小数。",
    ),
    "inactive product": (
        lambda s: {"lines": [line(_inactive(s.product), "1", "1.00")]},
        "invalid",
        "lines.0.product",
        "第 1 行：请选择启用中的商品。",
    ),
    "foreign currency without a rate": (
        lambda s: {"supplier": s.usd_supplier},
        "invalid",
        "exchange_rate",
        "还没有 USD 的汇率，请填写汇率或请财务维护汇率。",
    ),
    "rate with seven decimals": (
        lambda s: {"currency": "EUR", "exchange_rate": D("7.1234567")},
        "invalid",
        "exchange_rate",
        "汇率须大于零，最多六位小数。",
    ),
    "unknown currency": (lambda s: {"currency": "GBP"}, "invalid", "currency", "币种无效。"),
    "installments that do not add up": (
        lambda s: {
            "installments": [
                finance.InstallmentInput(days(30), D("500.00")),
                finance.InstallmentInput(days(60), D("500.00")),
            ]
        },
        "installments_mismatch",
        "installments",
        "分期金额合计 1000.00 与总金额 1130.00 不一致。",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_create_refusals_change_nothing(shop: Shop, case: str) -> None:
    change, code, field, message = REFUSALS[case]
    kwargs = {**_base(shop), **change(shop)}

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.create_order(**kwargs)

    assert (refused.value.code, refused.value.field, refused.value.message) == (code, field, message)
    assert not PurchaseOrder.objects.exists()


def test_a_foreign_order_takes_the_finance_rate_or_a_typed_one(shop: Shop) -> None:
    set_rate(shop, "USD", "7.05", days(-30))
    set_rate(shop, "USD", "7.1", days(-1))
    set_rate(shop, "USD", "7.3", days(5))  # not in force yet

    at_finance_rate = draft(shop, line(shop.product, "1000", "1.13"), supplier=shop.usd_supplier)
    typed = draft(
        shop, line(shop.product, "1000", "1.13"), supplier=shop.usd_supplier, exchange_rate=D("7.2")
    )
    in_cny = draft(shop, line(shop.product, "1000", "1.13"), supplier=shop.usd_supplier, currency="CNY")

    assert (at_finance_rate.currency, at_finance_rate.exchange_rate) == ("USD", D("7.100000"))
    assert (typed.currency, typed.exchange_rate) == ("USD", D("7.2"))
    assert (in_cny.currency, in_cny.exchange_rate) == ("CNY", D("1"))
    assert at_finance_rate.approval_amount() == D("8023.00")  # 1,130.00 USD × 7.1


def test_without_a_quote_the_price_is_the_purchase_price_at_the_order_rate(shop: Shop) -> None:
    set_rate(shop, "USD", "7.1")

    cny = draft(shop, line(shop.product, "10"))
    usd = draft(shop, line(shop.product, "10"), supplier=shop.usd_supplier)

    assert (cny.lines.get().unit_price, cny.lines.get().quote_id) == (D("10.00"), None)
    # 10.00 CNY at 7.1 is 1.40845… USD, kept to four decimals
    assert usd.lines.get().unit_price == D("1.4085")


# The best quote -------------------------------------------------------------------------------------


def test_the_price_comes_from_the_cheapest_valid_quote_of_this_supplier_the_line_reaches(shop: Shop) -> None:
    other = supplier_services.create_supplier(actor=shop.purchaser, name="湖北安护防护用品有限公司")
    set_rate(shop, "USD", "7.1")
    plain_price = quote(shop, "11.30")
    volume = quote(shop, "10.80", min_quantity="500")
    quote(shop, "11.00", min_quantity="500.0001")
    quote(shop, "9.00", supplier=other)  # another supplier
    usd = quote(shop, "1.00", currency="USD")  # another currency
    quote(shop, "8.00", valid=(-60, -1))  # expired yesterday
    quote(shop, "7.00", is_active=False)  # withdrawn
    quote(shop, "6.00", valid=(1, 30))  # not valid yet
    quote(shop, "5.00", product=shop.plain)  # another product

    small = draft(shop, line(shop.product, "100"))
    large = draft(shop, line(shop.product, "500"))
    typed = draft(shop, line(shop.product, "500", "12.00"))
    in_usd = draft(shop, line(shop.product, "100"), currency="USD")

    def priced(order: PurchaseOrder) -> tuple[D, int | None]:
        found = order.lines.get()
        return found.unit_price, found.quote_id

    assert priced(small) == (D("11.30"), plain_price.pk)
    assert priced(large) == (D("10.80"), volume.pk)
    assert priced(typed) == (D("12.00"), None)
    assert priced(in_usd) == (D("1.00"), usd.pk)


def test_a_quote_valid_through_today_still_counts(shop: Shop) -> None:
    last_day = quote(shop, "9.50", valid=(-30, 0))
    quote(shop, "11.30")

    order = draft(shop, line(shop.product, "100"))

    assert order.lines.get().quote_id == last_day.pk


# Update ------------------------------------------------------------------------------------------


def test_update_rewrites_header_lines_and_plan_and_audits_the_change(shop: Shop) -> None:
    order = draft(shop)
    second = Warehouse.objects.create(code="WH02", name="天津分仓")

    orders.update_order(
        order,
        actor=shop.purchaser,
        supplier=shop.supplier,
        warehouse=second,
        expected_date=days(10),
        lines=[line(shop.product, "50", "11.30"), line(shop.plain, "10", "3.00")],
        installments=[finance.InstallmentInput(days(40), D("595.00"))],
        note="改为天津仓",
    )

    order.refresh_from_db()
    assert (order.warehouse, order.expected_date, order.note) == (second, days(10), "改为天津仓")
    assert [(x.product.code, x.quantity) for x in order.lines.order_by("id")] == [
        ("ZS001", D("50")),
        ("PJ001", D("10")),
    ]
    assert [(i.due_date, i.amount) for i in order.installments.all()] == [(days(40), D("595.00"))]
    update = history_of(order).get(action="update")
    assert set(update.changes) >= {"warehouse", "expected_date", "note", "lines"}


def test_updating_a_submitted_order_is_refused(shop: Shop) -> None:
    order = draft(shop)
    orders.submit_order(order, actor=shop.purchaser)

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.update_order(order, **{**_base(shop), "lines": [line(shop.product, "1", "1.00")]})

    assert refused.value.code == "invalid_state"
    assert refused.value.message == f"单据 {order.number} 当前状态为“待审核”，不能修改。"


def test_update_refusals_change_nothing(shop: Shop) -> None:
    order = draft(shop)
    bad = {
        **_base(shop),
        "installments": [finance.InstallmentInput(days(30), D("1.00"))],
    }

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.update_order(order, **bad)

    assert refused.value.code == "installments_mismatch"


# Permissions and scope -------------------------------------------------------------------------------


def test_only_purchasing_writes_orders(shop: Shop) -> None:
    c = shop.company
    for outsider in (c.rep_a1, c.finance_clerk, shop.keeper, shop.manager):
        with unchanged(), pytest.raises(DomainError) as refused:
            orders.create_order(**{**_base(shop), "actor": outsider})
        assert (refused.value.code, refused.value.message) == (
            "permission_denied",
            "您的角色不能执行此操作。",
        )


def test_another_purchaser_cannot_touch_the_order(shop: Shop) -> None:
    colleague = make_employee(shop.company.purchasing, "purchaser", username="buyer2", name="刘洋")
    order = draft(shop)

    for call in (
        lambda: orders.update_order(order, **{**_base(shop), "actor": colleague}),
        lambda: orders.submit_order(order, actor=colleague),
        lambda: orders.cancel_order(order, actor=colleague),
    ):
        with unchanged(), pytest.raises(DomainError) as refused:
            call()
        assert (refused.value.code, refused.value.message) == ("not_found", "记录不存在。")


# Submit, withdraw, reject, approve -------------------------------------------------------------------


def test_submit_sends_the_order_to_the_department_manager_and_withdraw_takes_it_back(shop: Shop) -> None:
    order = draft(shop)

    orders.submit_order(order, actor=shop.purchaser)

    order.refresh_from_db()
    request = ApprovalRequest.objects.get(object_id=order.pk, document_type="purchase_order")
    assert order.status == Status.SUBMITTED
    assert list(request.approvers.all()) == [shop.manager]
    assert request.amount == D("1130.00")
    assert list(approval_selectors.pending_for(shop.manager.user)) == [request]

    orders.withdraw_order(order, actor=shop.purchaser)

    order.refresh_from_db()
    request.refresh_from_db()
    assert (order.status, request.status) == (Status.DRAFT, RequestStatus.WITHDRAWN)
    assert not approval_selectors.pending_for(shop.manager.user).exists()


def test_submitting_an_order_of_a_supplier_switched_off_since_is_refused(shop: Shop) -> None:
    order = draft(shop)
    shop.supplier.is_active = False
    shop.supplier.save(update_fields=["is_active"])

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.submit_order(order, actor=shop.purchaser)

    assert (refused.value.code, refused.value.message) == ("invalid", "供应商已停用。")


def test_submitting_a_plan_that_no_longer_adds_up_is_refused(shop: Shop) -> None:
    order = draft(shop, installments=[finance.InstallmentInput(days(30), D("1130.00"))])
    order.lines.update(quantity=D("50"))  # as if changed behind the service's back

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.submit_order(order, actor=shop.purchaser)

    assert refused.value.code == "installments_mismatch"


def test_reject_needs_a_reason_and_the_rejected_order_can_be_edited_and_resubmitted(shop: Shop) -> None:
    order = draft(shop)
    orders.submit_order(order, actor=shop.purchaser)

    with unchanged(), pytest.raises(DomainError) as refused:
        approvals.reject(order, actor=shop.manager, reason="  ")
    assert refused.value.code == "reason_required"

    approvals.reject(order, actor=shop.manager, reason="单价偏高，请再议价")

    order.refresh_from_db()
    assert order.status == Status.REJECTED
    assert ApprovalRequest.objects.get(object_id=order.pk).reason == "单价偏高，请再议价"
    orders.update_order(order, **{**_base(shop), "lines": [line(shop.product, "100", "10.80")]})
    orders.submit_order(order, actor=shop.purchaser)
    order.refresh_from_db()
    assert (order.status, order.amount) == (Status.SUBMITTED, D("1080.00"))


def test_only_a_named_approver_approves(shop: Shop) -> None:
    order = draft(shop)
    orders.submit_order(order, actor=shop.purchaser)

    for outsider in (shop.purchaser, shop.company.sales_head, shop.company.admin):
        with unchanged(), pytest.raises(DomainError) as refused:
            orders.approve_order(order, actor=outsider)
        assert refused.value.code == "not_approver"


def test_approval_opens_the_payable_with_the_order_plan(shop: Shop) -> None:
    order = approved(
        shop,
        line(shop.product, "100", "11.30"),
        installments=[
            finance.InstallmentInput(days(60), D("565.00")),
            finance.InstallmentInput(days(30), D("565.00")),
        ],
    )

    payable = payable_of(order)
    assert order.status == Status.APPROVED and order.approved_at is not None
    assert (payable.amount, payable.currency, payable.exchange_rate) == (D("1130.00"), "CNY", D("1"))
    assert (payable.party_kind, payable.party_id, payable.party_name) == (
        "supplier",
        shop.supplier.pk,
        "江西华康医疗器械有限公司",
    )
    assert (payable.owner, payable.source_number, payable.status) == (
        shop.purchaser,
        order.number,
        ObligationStatus.OPEN,
    )
    assert [(i.due_date, i.amount) for i in payable.installments.order_by("sequence")] == [
        (days(30), D("565.00")),
        (days(60), D("565.00")),
    ]
    assert stock.availability(shop.product)["total"].incoming == D("100")


def test_without_a_plan_the_payable_falls_due_the_supplier_terms_after_the_expected_date(shop: Shop) -> None:
    order = approved(shop, expected_date=days(9))

    payable = payable_of(order)
    assert [(i.due_date, i.amount) for i in payable.installments.all()] == [(days(9 + 30), D("1130.00"))]


def test_a_usd_order_is_approved_on_its_cny_amount_and_owed_in_usd(shop: Shop) -> None:
    set_rate(shop, "USD", "7.1")
    order = draft(
        shop, line(shop.product, "1000", "1.13"), supplier=shop.usd_supplier, expected_date=days(20)
    )

    orders.submit_order(order, actor=shop.purchaser)
    request = ApprovalRequest.objects.get(object_id=order.pk, document_type="purchase_order")
    orders.approve_order(order, actor=shop.manager)

    payable = payable_of(order)
    assert request.amount == D("8023.00")  # 1,130.00 USD × 7.1
    assert (payable.amount, payable.currency, payable.exchange_rate) == (D("1130.00"), "USD", D("7.1"))
    assert [(i.due_date, i.amount) for i in payable.installments.all()] == [(days(20 + 60), D("1130.00"))]


def test_approving_twice_is_refused(shop: Shop) -> None:
    order = approved(shop)

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.approve_order(order, actor=shop.manager)

    assert refused.value.code == "invalid_state"


# Cancel -----------------------------------------------------------------------------------------------


def test_a_draft_is_cancelled_without_a_reason(shop: Shop) -> None:
    order = draft(shop)

    orders.cancel_order(order, actor=shop.purchaser)

    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_a_submitted_order_cannot_be_cancelled(shop: Shop) -> None:
    order = draft(shop)
    orders.submit_order(order, actor=shop.purchaser)
    order.refresh_from_db()

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.cancel_order(order, actor=shop.purchaser, reason="不要了")

    assert refused.value.code == "invalid_state"


def test_cancelling_an_approved_order_with_nothing_received_reverses_its_payable(shop: Shop) -> None:
    order = approved(shop)

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.cancel_order(order, actor=shop.purchaser, reason="")
    assert (refused.value.code, refused.value.message) == ("reason_required", "请填写原因。")

    orders.cancel_order(order, actor=shop.purchaser, reason="供应商停产")

    order.refresh_from_db()
    payable = payable_of(order)
    assert (order.status, payable.status, payable.reverse_reason) == (
        Status.CANCELLED,
        ObligationStatus.REVERSED,
        "供应商停产",
    )
    assert stock.availability(shop.product)["total"].incoming == D("0")
    assert history_of(order).filter(action="cancel").exists()


def test_cancelling_an_approved_order_after_a_receipt_is_refused(shop: Shop) -> None:
    order = approved(shop)
    receive(shop, order, "10")

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.cancel_order(order, actor=shop.purchaser, reason="供应商停产")

    assert refused.value.code == "has_downstream"
    assert refused.value.message == f"采购订单 {order.number} 已有入库或付款，不能作废。"


def test_cancelling_or_unapproving_an_approved_order_after_a_payment_is_refused(shop: Shop) -> None:
    order = approved(shop)
    pay(shop, payable_of(order), "100.00")

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.cancel_order(order, actor=shop.purchaser, reason="供应商停产")
    assert refused.value.code == "has_downstream"
    assert refused.value.message == f"采购订单 {order.number} 已有入库或付款，不能作废。"

    with unchanged(), pytest.raises(DomainError) as refused:
        orders.unapprove_order(order, actor=shop.manager, reason="数量有误")
    assert refused.value.code == "has_downstream"
    assert refused.value.message == f"采购订单 {order.number} 已有入库或付款，不能反审核。"
    assert payable_of(order).status == ObligationStatus.OPEN


def test_an_approved_order_is_in_the_to_receive_list_until_done(shop: Shop) -> None:
    open_order = approved(shop)
    receive(shop, open_order, "40")
    finished = approved(shop)
    receive(shop, finished, "100")
    waiting = approved(shop)
    draft(shop)

    listed = set(order_selectors.orders(shop.keeper.user, to_receive=True))

    assert listed == {open_order, waiting}
