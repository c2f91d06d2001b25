"""/api/v1/sales-returns/: lines named by shipment line or (as API.md) by order line and lot number,
submit / withdraw / approve / reject / cancel / receive, each refusal (over_return, invalid_state,
bad input) with nothing changed, filters, data scope and roles."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from maoyi.sales.models import SalesReturn
from tests.api.test_sales_orders import (
    NOT_FOUND,
    ORDERS,
    RETURNS,
    ROLE_REFUSED,
    api,
    approved_by_api,
    ok,
    refused,
    stock,
    today,
)
from tests.conftest import Company
from tests.sales.builders import assert_ledgers_consistent, unchanged
from tests.sales.order_builders import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(company: Company) -> Desk:
    return stock(build_desk(company))


@pytest.fixture
def shipped(stocked: Desk) -> dict[str, Any]:
    """rep_a1's approved order; 60 gloves shipped in two shipments first expiry first out (50 of
    L-SOON and 10 of L-LATE, then 10 more of L-LATE) and 100 masks."""
    desk = stocked
    order = approved_by_api(desk)
    gloves, masks = order["lines"][0]["id"], order["lines"][1]["id"]
    url = f"{ORDERS}{order['id']}/ship/"
    keeper = api(desk.keeper)
    first = ok(
        keeper.post(
            url,
            {"lines": [{"line": gloves, "quantity": "60"}, {"line": masks, "quantity": "100"}]},
            format="json",
        ),
        201,
    )
    second = ok(keeper.post(url, {"lines": [{"line": gloves, "quantity": "10"}]}, format="json"), 201)
    return {"order": order, "gloves": gloves, "masks": masks, "first": first, "second": second}


def body(shipped: dict[str, Any], *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"sales_order": shipped["order"]["id"], "lines": list(lines), "reason": "包装破损", **extra}


def test_lines_by_shipment_line_or_by_order_line_and_lot_number(
    stocked: Desk, shipped: dict[str, Any]
) -> None:
    desk = stocked
    late_first = shipped["first"]["lines"][1]  # 10 of L-LATE in the first shipment
    late_second = shipped["second"]["lines"][0]  # 10 more of L-LATE
    assert (late_first["lot_number"], late_second["lot_number"]) == ("L-LATE", "L-LATE")

    by_id = ok(
        api(desk.rep).post(
            RETURNS, body(shipped, {"shipment_line": late_second["id"], "quantity": "2"}), format="json"
        ),
        201,
    )
    assert [(row["shipment_line"], row["quantity"], row["amount"]) for row in by_id["lines"]] == [
        (late_second["id"], "2.0000", "22.60")
    ]
    # 15 of L-LATE by order line and lot: 10 from the first shipment, the 5 more from the second.
    by_lot = ok(
        api(desk.rep).post(
            RETURNS,
            body(
                shipped,
                {"line": shipped["gloves"], "lot_number": "L-LATE", "quantity": "15"},
                {"line": shipped["masks"], "lot_number": "", "quantity": "3"},
            ),
            format="json",
        ),
        201,
    )
    assert [(row["shipment_line"], row["lot_number"], row["quantity"]) for row in by_lot["lines"]] == [
        (late_first["id"], "L-LATE", "10.0000"),
        (late_second["id"], "L-LATE", "5.0000"),
        (shipped["first"]["lines"][2]["id"], "", "3.0000"),
    ]
    assert (by_lot["status"], by_lot["warehouse"], by_lot["owner"]) == ("draft", desk.main.pk, desk.rep.pk)
    assert by_lot["number"].startswith("XT")


def test_over_return_is_refused_naming_the_line(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    soon = shipped["first"]["lines"][0]
    with unchanged():
        answer = refused(
            api(desk.rep).post(
                RETURNS, body(shipped, {"shipment_line": soon["id"], "quantity": "51"}), format="json"
            ),
            409,
            "over_return",
        )
    assert answer == {
        "detail": "第 1 行：P001 批次 L-SOON 可退 50，本次退货 51。",
        "code": "over_return",
        "field": "lines.0.quantity",
    }
    with unchanged():
        refused(
            api(desk.rep).post(
                RETURNS,
                body(shipped, {"line": shipped["gloves"], "lot_number": "L-LATE", "quantity": "21"}),
                format="json",
            ),
            409,
            "over_return",
        )


def test_a_refusal_names_the_request_row_when_a_row_was_split(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    soon = shipped["first"]["lines"][0]
    rows = (
        {"line": shipped["gloves"], "lot_number": "L-LATE", "quantity": "15"},  # 10 + 5 of two shipments
        {"shipment_line": soon["id"], "quantity": "51"},
    )
    with unchanged():
        answer = refused(api(desk.rep).post(RETURNS, body(shipped, *rows), format="json"), 409, "over_return")
    assert answer["field"] == "lines.1.quantity"


def test_bad_input_answers_400(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    rep = api(desk.rep)
    with unchanged():
        assert ok(
            rep.post(
                RETURNS,
                body(shipped, {"line": shipped["gloves"], "lot_number": "NOPE", "quantity": "1"}),
                format="json",
            ),
            400,
        ) == {"lines.0.lot_number": ["第 1 行：这张订单的这行明细没有发出过批号“NOPE”。"]}
        assert ok(rep.post(RETURNS, body(shipped, {"quantity": "1"}), format="json"), 400) == {
            "lines": {"0": {"shipment_line": ["请选择发货明细，或填写订单明细和批号。"]}}
        }
        assert ok(
            rep.post(
                RETURNS,
                body(
                    shipped, {"shipment_line": shipped["first"]["lines"][0]["id"], "quantity": "1"}, reason=""
                ),
                format="json",
            ),
            400,
        ) == {"reason": ["请填写退货原因。"]}
        assert list(
            ok(
                api(desk.company.rep_a2).post(
                    RETURNS, body(shipped, {"shipment_line": 1, "quantity": "1"}), format="json"
                ),
                400,
            )
        ) == ["sales_order"]


def test_workflow_reject_withdraw_cancel_and_receive(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    rep, manager, keeper = api(desk.rep), api(desk.manager), api(desk.keeper)
    soon = shipped["first"]["lines"][0]
    doc = ok(
        rep.post(
            RETURNS,
            body(shipped, {"shipment_line": soon["id"], "quantity": "4"}, warehouse=desk.second.pk),
            format="json",
        ),
        201,
    )
    url = f"{RETURNS}{doc['id']}"
    with unchanged():
        refused(keeper.post(f"{url}/receive/", {}, format="json"), 409, "invalid_state")
    ok(rep.post(f"{url}/submit/"))
    assert ok(rep.post(f"{url}/withdraw/"))["status"] == "draft"
    patched = ok(
        rep.patch(
            f"{url}/",
            {"lines": [{"line": shipped["gloves"], "lot_number": "L-SOON", "quantity": "5"}]},
            format="json",
        )
    )
    assert (patched["amount"], patched["reason"], patched["warehouse"]) == (
        "56.50",
        "包装破损",
        desk.second.pk,
    )
    ok(rep.post(f"{url}/submit/"))
    with unchanged():
        refused(rep.post(f"{url}/approve/", {}, format="json"), 409, "not_approver")
    assert ok(manager.post(f"{url}/reject/", {"reason": "需要照片"}, format="json"))["status"] == "rejected"
    ok(rep.post(f"{url}/submit/"))
    assert ok(manager.post(f"{url}/approve/", {"comment": "同意"}, format="json"))["status"] == "approved"
    with unchanged():
        refused(rep.post(f"{url}/cancel/", {}, format="json"), 409, "invalid_state")
        assert ok(keeper.post(f"{url}/receive/", {"received_on": "2999-01-01"}, format="json"), 400) == {
            "received_on": ["收货日期不能晚于今天。"]
        }
    received = ok(keeper.post(f"{url}/receive/", {}, format="json"))
    assert (received["status"], received["received_on"], received["refund"]) == (
        "done",
        today().isoformat(),
        None,
    )
    assert ok(rep.get(f"{url}/"))["refund"] is None  # salespeople do not see payables
    assert ok(manager.get(f"{url}/"))["refund"]["amount"] == "56.50"
    with unchanged():
        refused(keeper.post(f"{url}/receive/", {}, format="json"), 409, "invalid_state")
    assert_ledgers_consistent()

    other = ok(
        rep.post(RETURNS, body(shipped, {"shipment_line": soon["id"], "quantity": "1"}), format="json"), 201
    )
    assert ok(rep.post(f"{RETURNS}{other['id']}/cancel/", {}, format="json"))["status"] == "cancelled"


def test_roles_and_scope(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    soon = shipped["first"]["lines"][0]
    doc = ok(
        api(desk.rep).post(
            RETURNS, body(shipped, {"shipment_line": soon["id"], "quantity": "1"}), format="json"
        ),
        201,
    )
    for who in (desk.keeper, desk.company.finance_clerk):
        with unchanged():
            assert (
                ok(
                    api(who).post(
                        RETURNS, body(shipped, {"shipment_line": soon["id"], "quantity": "1"}), format="json"
                    ),
                    403,
                )
                == ROLE_REFUSED
            )
            assert ok(api(who).post(f"{RETURNS}{doc['id']}/submit/"), 403) == ROLE_REFUSED
        assert ok(api(who).get(f"{RETURNS}{doc['id']}/"))["id"] == doc["id"]
    ok(api(desk.rep).post(f"{RETURNS}{doc['id']}/submit/"))
    ok(api(desk.manager).post(f"{RETURNS}{doc['id']}/approve/", {}, format="json"))
    for who in (desk.rep, desk.company.finance_clerk):
        with unchanged():
            assert ok(api(who).post(f"{RETURNS}{doc['id']}/receive/", {}, format="json"), 403) == ROLE_REFUSED
    assert ok(api(desk.company.rep_a2).get(f"{RETURNS}{doc['id']}/"), 404) == NOT_FOUND
    assert (
        ok(api(desk.company.rep_b1).post(f"{RETURNS}{doc['id']}/cancel/", {}, format="json"), 404)
        == NOT_FOUND
    )
    assert ok(api(desk.company.purchaser).get(RETURNS), 403) == ROLE_REFUSED


def test_list_filters(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    soon = shipped["first"]["lines"][0]
    rep = api(desk.rep)
    first = ok(
        rep.post(RETURNS, body(shipped, {"shipment_line": soon["id"], "quantity": "1"}), format="json"), 201
    )
    second = ok(
        rep.post(
            RETURNS,
            body(shipped, {"shipment_line": soon["id"], "quantity": "2"}, reason="效期太近"),
            format="json",
        ),
        201,
    )
    ok(rep.post(f"{RETURNS}{first['id']}/submit/"))
    ok(api(desk.manager).post(f"{RETURNS}{first['id']}/approve/", {}, format="json"))

    def numbers(query: str = "") -> list[str]:
        return [row["number"] for row in ok(api(desk.keeper).get(f"{RETURNS}?{query}"))["results"]]

    assert numbers() == [second["number"], first["number"]]
    assert numbers("to_receive=true") == [first["number"]]
    assert numbers("status=draft") == [second["number"]]
    assert numbers(f"customer={desk.xiehe.pk}&owner={desk.rep.pk}") == [second["number"], first["number"]]
    assert numbers(f"customer={desk.ruijin.pk}") == []
    assert numbers(f"sales_order={shipped['order']['id']}&search={second['number']}") == [second["number"]]
    assert numbers(f"date_from={today().isoformat()}&date_to={today().isoformat()}") == [
        second["number"],
        first["number"],
    ]
    assert ok(api(desk.company.rep_a2).get(RETURNS))["count"] == 0
    assert SalesReturn.objects.get(pk=second["id"]).lines.get().quantity == D("2")


def test_create_is_idempotent(stocked: Desk, shipped: dict[str, Any]) -> None:
    desk = stocked
    soon = shipped["first"]["lines"][0]
    payload = body(shipped, {"shipment_line": soon["id"], "quantity": "1"})
    first = api(desk.rep).post(RETURNS, payload, format="json", HTTP_IDEMPOTENCY_KEY="ret-1")
    again = api(desk.rep).post(RETURNS, payload, format="json", HTTP_IDEMPOTENCY_KEY="ret-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert SalesReturn.objects.count() == 1
