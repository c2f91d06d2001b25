"""/api/v1/sales-orders/: the whole sales flow by API (create → submit → approve → ship partly from a
chosen lot and first expiry first out → deliver → return → approve → receive), shapes and filters,
each refusal with its status, code and body (and nothing changed), data scope and roles, and an
idempotent create. The helpers here serve tests/api/test_shipments.py and test_sales_returns.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.crm.models import Customer
from maoyi.finance.models import Obligation
from maoyi.inventory.models import StockBalance
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesReturn, Shipment
from tests.api.conftest import token_client
from tests.conftest import Company
from tests.sales.builders import assert_ledgers_consistent, unchanged
from tests.sales.order_builders import Desk, build_desk, put_stock

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/sales-orders/"
SHIPMENTS = "/api/v1/shipments/"
RETURNS = "/api/v1/sales-returns/"
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def api(who: Employee) -> APIClient:
    return token_client(who)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def stock(desk: Desk) -> Desk:
    """Gloves in two lots (L-LATE expires in a year, L-SOON in 60 days) and masks."""
    put_stock(desk, desk.gloves, "100", lot="L-LATE", expiry=today() + dt.timedelta(days=365))
    put_stock(desk, desk.gloves, "50", lot="L-SOON", expiry=today() + dt.timedelta(days=60))
    put_stock(desk, desk.masks, "500", cost="1.00")
    return desk


@pytest.fixture
def desk(company: Company) -> Desk:
    return build_desk(company)


@pytest.fixture
def stocked(desk: Desk) -> Desk:
    return stock(desk)


def order_body(desk: Desk, **extra: Any) -> dict[str, Any]:
    return {
        "customer": desk.xiehe.pk,
        "warehouse": desk.main.pk,
        "lines": [
            {"product": desk.gloves.pk, "quantity": "80", "unit_price": "11.30"},
            {"product": desk.masks.pk, "quantity": "100", "discount_rate": "0.10"},
        ],
        **extra,
    }


def create(desk: Desk, who: Employee | None = None, **extra: Any) -> dict[str, Any]:
    return ok(api(who or desk.rep).post(ORDERS, order_body(desk, **extra), format="json"), 201)


def approved_by_api(desk: Desk, who: Employee | None = None, **extra: Any) -> dict[str, Any]:
    """An order (default: rep_a1's for 协和, 80 gloves and 100 masks), submitted by its writer and
    approved by manager A."""
    order = create(desk, who, **extra)
    ok(api(who or desk.rep).post(f"{ORDERS}{order['id']}/submit/"))
    return ok(api(desk.manager).post(f"{ORDERS}{order['id']}/approve/", {}, format="json"))


# The whole flow ------------------------------------------------------------------------------------


def test_the_whole_sales_flow_through_the_api(stocked: Desk) -> None:
    desk = stocked
    rep, manager, keeper = api(desk.rep), api(desk.manager), api(desk.keeper)

    order = create(desk, delivery_date=days(3), note="急单")
    assert (order["status"], order["amount"], order["owner"]) == ("draft", "1192.00", desk.rep.pk)
    assert order["number"].startswith("XS")
    gloves, masks = order["lines"]
    assert (gloves["price_source"], gloves["tax_rate"], gloves["amount"]) == ("typed", "0.13", "904.00")
    assert (gloves["tax_amount"], gloves["amount_ex_tax"]) == ("104.00", "800.00")
    assert (masks["unit_price"], masks["discount_rate"], masks["price_source"]) == (
        "3.2000",
        "0.10",
        "sale_price",
    )
    assert (masks["amount"], gloves["shipped_quantity"], gloves["returned_quantity"]) == (
        "288.00",
        "0.0000",
        "0.0000",
    )

    assert ok(rep.post(f"{ORDERS}{order['id']}/submit/"))["status"] == "submitted"
    approved = ok(manager.post(f"{ORDERS}{order['id']}/approve/", {"comment": "同意"}, format="json"))
    assert approved["status"] == "approved"
    assert approved["receivable"]["amount"] == "1192.00"

    # Partly: 30 gloves from the chosen later lot, 20 first expiry first out (L-SOON), 40 masks.
    shipment = ok(
        keeper.post(
            f"{ORDERS}{order['id']}/ship/",
            {
                "lines": [
                    {"line": gloves["id"], "quantity": "30", "lot_number": "L-LATE"},
                    {"line": gloves["id"], "quantity": "20"},
                    {"line": masks["id"], "quantity": "40"},
                ],
                "carrier": "顺丰速运",
                "tracking_number": "SF100200300",
            },
            format="json",
        ),
        201,
    )
    assert shipment["number"].startswith("FH")
    assert (shipment["status"], shipment["sales_order"], shipment["carrier"]) == (
        "in_progress",
        order["id"],
        "顺丰速运",
    )
    assert [(row["line"], row["lot_number"], row["quantity"]) for row in shipment["lines"]] == [
        (gloves["id"], "L-LATE", "30.0000"),
        (gloves["id"], "L-SOON", "20.0000"),
        (masks["id"], "", "40.0000"),
    ]
    assert shipment["lines"][1]["expiry_date"] == days(60)
    after_ship = ok(rep.get(f"{ORDERS}{order['id']}/"))
    assert after_ship["status"] == "in_progress"
    assert [line["shipped_quantity"] for line in after_ship["lines"]] == ["50.0000", "40.0000"]
    assert after_ship["shipments"] == [
        {"id": shipment["id"], "number": shipment["number"], "status": "in_progress"}
    ]

    delivered = ok(
        keeper.post(f"{SHIPMENTS}{shipment['id']}/deliver/", {"signed_by": "张护士长"}, format="json")
    )
    assert (delivered["status"], delivered["delivered_on"], delivered["signed_by"]) == (
        "done",
        today().isoformat(),
        "张护士长",
    )

    # 5 gloves of L-SOON come back, named as API.md does (order line + lot number).
    sales_return = ok(
        rep.post(
            RETURNS,
            {
                "sales_order": order["id"],
                "lines": [{"line": gloves["id"], "lot_number": "L-SOON", "quantity": "5"}],
                "reason": "包装破损",
            },
            format="json",
        ),
        201,
    )
    assert (sales_return["status"], sales_return["amount"]) == ("draft", "56.50")
    assert sales_return["lines"][0]["shipment_line"] == shipment["lines"][1]["id"]
    assert ok(rep.post(f"{RETURNS}{sales_return['id']}/submit/"))["status"] == "submitted"
    assert (
        ok(manager.post(f"{RETURNS}{sales_return['id']}/approve/", {}, format="json"))["status"] == "approved"
    )
    received = ok(keeper.post(f"{RETURNS}{sales_return['id']}/receive/", {}, format="json"))
    assert (received["status"], received["received_on"]) == ("done", today().isoformat())

    final = ok(rep.get(f"{ORDERS}{order['id']}/"))
    assert [line["returned_quantity"] for line in final["lines"]] == ["5.0000", "0.0000"]
    assert final["returns"] == [
        {"id": sales_return["id"], "number": sales_return["number"], "status": "done"}
    ]
    soon = StockBalance.objects.get(lot__lot_number="L-SOON", warehouse=desk.main)
    assert soon.on_hand == D("35")
    refund = Obligation.objects.get(source_type="sales_return", source_id=sales_return["id"])
    assert (refund.direction, refund.amount) == ("payable", D("56.50"))
    assert (
        ok(api(desk.company.finance_clerk).get(f"{RETURNS}{sales_return['id']}/"))["refund"]["amount"]
        == "56.50"
    )
    assert_ledgers_consistent()


# Reading -------------------------------------------------------------------------------------------


def test_list_filters_and_search(stocked: Desk) -> None:
    desk = stocked
    first = create(desk)
    second = create(desk, customer=desk.ruijin.pk, who=desk.company.rep_a2)
    ok(api(desk.rep).post(f"{ORDERS}{first['id']}/submit/"))
    manager = api(desk.manager)

    def numbers(query: str) -> list[str]:
        return [row["number"] for row in ok(manager.get(f"{ORDERS}?{query}"))["results"]]

    assert numbers("") == [second["number"], first["number"]]
    assert numbers("status=submitted") == [first["number"]]
    assert numbers(f"customer={desk.ruijin.pk}") == [second["number"]]
    assert numbers(f"owner={desk.company.rep_a2.pk}") == [second["number"]]
    assert numbers("search=协和") == [first["number"]]
    assert numbers(f"date_from={days(1)}") == []
    assert numbers(f"date_from={days(0)}&date_to={days(0)}&ordering=number") == [
        first["number"],
        second["number"],
    ]
    assert list(ok(manager.get(f"{ORDERS}?status=nonsense"), 400)) == ["status"]
    assert manager.get(f"{ORDERS}?date_from=yesterday").status_code == 400


def test_another_salespersons_order_is_not_found(stocked: Desk) -> None:
    desk = stocked
    order = create(desk)
    other = api(desk.company.rep_a2)
    rep_b = api(desk.company.rep_b1)

    assert ok(other.get(ORDERS))["count"] == 0
    assert ok(other.get(f"{ORDERS}{order['id']}/"), 404) == NOT_FOUND
    assert ok(rep_b.post(f"{ORDERS}{order['id']}/submit/"), 404) == NOT_FOUND
    assert ok(other.patch(f"{ORDERS}{order['id']}/", {"note": "x"}, format="json"), 404) == NOT_FOUND
    # The assistant and the manager of team A see it; the manager of team B's head too.
    assert ok(api(desk.company.assistant_a).get(f"{ORDERS}{order['id']}/"))["id"] == order["id"]
    assert ok(api(desk.company.sales_head).get(f"{ORDERS}{order['id']}/"))["id"] == order["id"]


def test_a_customer_outside_the_scope_is_an_unknown_id(stocked: Desk) -> None:
    desk = stocked
    with unchanged():
        body = ok(api(desk.rep).post(ORDERS, order_body(desk, customer=desk.agent.pk), format="json"), 400)
    assert list(body) == ["customer"]


def test_roles_logistics_and_finance_may_not_write_orders(stocked: Desk) -> None:
    desk = stocked
    order = create(desk)
    for who in (desk.keeper, desk.company.finance_clerk):
        client = api(who)
        assert ok(client.get(f"{ORDERS}{order['id']}/"))["id"] == order["id"]
        with unchanged():
            assert ok(client.post(ORDERS, order_body(desk), format="json"), 403) == ROLE_REFUSED
            assert ok(client.post(f"{ORDERS}{order['id']}/submit/"), 403) == ROLE_REFUSED
            assert (
                ok(client.patch(f"{ORDERS}{order['id']}/", {"note": "x"}, format="json"), 403) == ROLE_REFUSED
            )
    assert ok(api(desk.company.purchaser).get(ORDERS), 403) == ROLE_REFUSED
    assert api(desk.rep).delete(f"{ORDERS}{order['id']}/").status_code == 405


def test_receivable_is_shown_only_to_those_who_may_see_receivables(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    assert order["receivable"]["amount"] == "1192.00"
    assert ok(api(desk.keeper).get(f"{ORDERS}{order['id']}/"))["receivable"] is None
    listed = ok(api(desk.rep).get(ORDERS))["results"][0]
    assert listed["receivable"]["amount"] == "1192.00"


# Writing -------------------------------------------------------------------------------------------


def test_a_blank_price_takes_the_proposed_one_with_its_source(stocked: Desk) -> None:
    desk = stocked
    order = create(desk, lines=[{"product": desk.gloves.pk, "quantity": "10"}])
    assert (order["lines"][0]["unit_price"], order["lines"][0]["price_source"]) == ("10.8000", "price_level")
    assert order["delivery_address"] == desk.xiehe.address


def test_installments_and_update(stocked: Desk) -> None:
    desk = stocked
    order = create(
        desk,
        installments=[
            {"due_date": days(30), "amount": "592.00"},
            {"due_date": days(60), "amount": "600.00"},
        ],
    )
    assert [row["amount"] for row in order["installments"]] == ["592.00", "600.00"]

    patched = ok(
        api(desk.rep).patch(f"{ORDERS}{order['id']}/", {"note": "改", "receiver": "李主任"}, format="json")
    )
    assert (patched["note"], patched["receiver"], patched["amount"]) == ("改", "李主任", "1192.00")
    assert [line["unit_price"] for line in patched["lines"]] == ["11.3000", "3.2000"]

    put = ok(
        api(desk.rep).put(
            f"{ORDERS}{order['id']}/",
            {
                "customer": desk.xiehe.pk,
                "warehouse": desk.main.pk,
                "lines": [{"product": desk.masks.pk, "quantity": "10", "unit_price": "3.00"}],
            },
            format="json",
        )
    )
    assert (put["amount"], put["installments"], put["note"]) == ("30.00", [], "")


def test_installments_not_adding_up_are_refused(stocked: Desk) -> None:
    desk = stocked
    plan = [{"due_date": days(30), "amount": "100.00"}]
    with unchanged():
        answer = refused(
            api(desk.rep).post(ORDERS, order_body(desk, installments=plan), format="json"),
            409,
            "installments_mismatch",
        )
    assert answer == {
        "detail": "分期金额合计 100.00 与总金额 1192.00 不一致。",
        "code": "installments_mismatch",
        "field": "installments",
    }
    assert SalesOrder.objects.count() == 0


def test_below_the_minimum_price_is_refused_naming_the_line(stocked: Desk) -> None:
    desk = stocked
    lines = [
        {"product": desk.masks.pk, "quantity": "1"},
        {"product": desk.gloves.pk, "quantity": "10", "unit_price": "9.00"},
    ]
    with unchanged():
        body = refused(
            api(desk.rep).post(ORDERS, order_body(desk, lines=lines), format="json"), 409, "below_min_price"
        )
    assert body == {
        "detail": "第 2 行：P001 折后单价 9 低于最低售价 10。",
        "code": "below_min_price",
        "field": "lines.1.unit_price",
    }
    # The manager may, with a reason (kept on the line).
    with unchanged():
        body = refused(
            api(desk.manager).post(ORDERS, order_body(desk, lines=lines[1:]), format="json"),
            409,
            "below_min_price",
        )
    assert body["field"] == "lines.0.unit_price"
    assert body["detail"].endswith("如确需低价销售请填写原因。")
    lines[1]["below_min_reason"] = "清库存"
    order = create(desk, who=desk.manager, lines=lines)
    assert order["lines"][1]["below_min_reason"] == "清库存"


def test_invalid_input_answers_400_in_drf_shape(stocked: Desk) -> None:
    desk = stocked
    rep = api(desk.rep)
    with unchanged():
        assert ok(rep.post(ORDERS, {"warehouse": desk.main.pk, "lines": []}, format="json"), 400) == {
            "customer": ["请选择客户。"]
        }
        assert list(
            ok(
                rep.post(
                    ORDERS,
                    order_body(desk, lines=[{"product": desk.gloves.pk, "quantity": "0"}]),
                    format="json",
                ),
                400,
            )
        ) == ["lines.0.quantity"]
        bad_rate = [{"product": desk.gloves.pk, "quantity": "1", "tax_rate": "1.5"}]
        body = ok(rep.post(ORDERS, order_body(desk, lines=bad_rate), format="json"), 400)
        assert "tax_rate" in str(body["lines"]), body


def test_insufficient_stock_on_approval_names_the_products(desk: Desk) -> None:
    put_stock(desk, desk.gloves, "10", lot="L1")
    order = create(desk)
    ok(api(desk.rep).post(f"{ORDERS}{order['id']}/submit/"))
    with unchanged():
        body = refused(
            api(desk.manager).post(f"{ORDERS}{order['id']}/approve/", {}, format="json"),
            409,
            "insufficient_stock",
        )
    assert "P001" in body["detail"] and "P002" in body["detail"]
    assert ok(api(desk.rep).get(f"{ORDERS}{order['id']}/"))["status"] == "submitted"


def test_credit_limit_exceeded_then_overridden_with_a_reason(stocked: Desk) -> None:
    desk = stocked
    Customer.objects.filter(pk=desk.xiehe.pk).update(credit_limit=D("1000.00"))
    order = create(desk)
    ok(api(desk.rep).post(f"{ORDERS}{order['id']}/submit/"))
    url = f"{ORDERS}{order['id']}/approve/"
    with unchanged():
        body = refused(api(desk.manager).post(url, {}, format="json"), 409, "credit_limit_exceeded")
    assert body["field"] == "credit_override_reason"
    assert "1192.00" in body["detail"] and "1000.00" in body["detail"]

    approved = ok(api(desk.manager).post(url, {"credit_override_reason": "老客户，月底回款"}, format="json"))
    assert (approved["status"], approved["credit_override_reason"]) == ("approved", "老客户，月底回款")


def test_only_the_named_approver_approves(stocked: Desk) -> None:
    desk = stocked
    order = create(desk)
    ok(api(desk.rep).post(f"{ORDERS}{order['id']}/submit/"))
    with unchanged():
        refused(api(desk.rep).post(f"{ORDERS}{order['id']}/approve/", {}, format="json"), 409, "not_approver")


def test_reject_withdraw_cancel_and_their_refusals(stocked: Desk) -> None:
    desk = stocked
    rep, manager = api(desk.rep), api(desk.manager)
    order = create(desk)
    url = f"{ORDERS}{order['id']}"
    with unchanged():
        refused(rep.post(f"{url}/withdraw/"), 409, "invalid_state")
        assert ok(manager.post(f"{url}/reject/", {}, format="json"), 400) == {"reason": ["该字段是必填项。"]}
    ok(rep.post(f"{url}/submit/"))
    assert ok(rep.post(f"{url}/withdraw/"))["status"] == "draft"
    ok(rep.post(f"{url}/submit/"))
    rejected = ok(manager.post(f"{url}/reject/", {"reason": "价格太低"}, format="json"))
    assert rejected["status"] == "rejected"
    assert ok(rep.patch(f"{url}/", {"note": "再议"}, format="json"))["note"] == "再议"
    assert ok(rep.post(f"{url}/cancel/", {}, format="json"))["status"] == "cancelled"
    with unchanged():
        refused(rep.post(f"{url}/submit/"), 409, "invalid_state")
        refused(rep.patch(f"{url}/", {"note": "x"}, format="json"), 409, "invalid_state")


def test_unapprove_and_cancel_an_approved_order(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    url = f"{ORDERS}{order['id']}"
    with unchanged():
        assert ok(api(desk.manager).post(f"{url}/unapprove/", {}, format="json"), 400) == {
            "reason": ["请填写原因。"]
        }
    assert (
        ok(api(desk.manager).post(f"{url}/unapprove/", {"reason": "客户改单"}, format="json"))["status"]
        == "draft"
    )
    assert ok(api(desk.manager).get(f"{url}/"))["receivable"] is None

    second = approved_by_api(desk)
    assert (
        ok(api(desk.rep).post(f"{ORDERS}{second['id']}/cancel/", {"reason": "客户取消"}, format="json"))[
            "status"
        ]
        == "cancelled"
    )
    assert_ledgers_consistent()


def test_unapprove_and_cancel_are_refused_once_shipped(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    line = order["lines"][1]["id"]
    ok(
        api(desk.keeper).post(
            f"{ORDERS}{order['id']}/ship/", {"lines": [{"line": line, "quantity": "1"}]}, format="json"
        ),
        201,
    )
    with unchanged():
        refused(
            api(desk.manager).post(f"{ORDERS}{order['id']}/unapprove/", {"reason": "x"}, format="json"),
            409,
            "has_downstream",
        )
        refused(
            api(desk.rep).post(f"{ORDERS}{order['id']}/cancel/", {"reason": "x"}, format="json"),
            409,
            "has_downstream",
        )


def test_an_order_from_a_quote_takes_its_lines(stocked: Desk) -> None:
    from tests.sales.order_builders import make_quote

    desk = stocked
    quote = make_quote(desk, (desk.gloves, "20", "11.00"), (desk.masks, "5", "3.00"))
    order = ok(api(desk.rep).post(ORDERS, {"quote": quote.pk, "warehouse": desk.main.pk}, format="json"), 201)
    assert (order["quote"], order["customer"]) == (quote.pk, quote.customer_id)
    assert {line["price_source"] for line in order["lines"]} == {"quote"}
    assert len(order["lines"]) == quote.lines.count()


def test_create_is_idempotent(stocked: Desk) -> None:
    desk = stocked
    client = api(desk.rep)
    first = client.post(ORDERS, order_body(desk), format="json", HTTP_IDEMPOTENCY_KEY="so-1")
    again = client.post(ORDERS, order_body(desk), format="json", HTTP_IDEMPOTENCY_KEY="so-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert SalesOrder.objects.count() == 1
    assert Shipment.objects.count() == SalesReturn.objects.count() == 0
