"""POST /api/v1/sales-orders/{id}/ship/ and /api/v1/shipments/: lots chosen or first expiry first
out, each refusal (over_shipment, lot_expired, insufficient_stock naming the line, invalid_state)
with nothing changed, deliver, filters, data scope, roles and an idempotent ship."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from maoyi.inventory.models import Lot
from maoyi.sales.models import Shipment
from tests.api.test_sales_orders import (
    NOT_FOUND,
    ORDERS,
    ROLE_REFUSED,
    SHIPMENTS,
    api,
    approved_by_api,
    create,
    days,
    ok,
    refused,
    stock,
    today,
)
from tests.conftest import Company
from tests.sales.builders import assert_ledgers_consistent, unchanged
from tests.sales.order_builders import Desk, build_desk, put_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(company: Company) -> Desk:
    return stock(build_desk(company))


def ship(desk: Desk, order: dict[str, Any], *rows: dict[str, Any], **extra: Any) -> Any:
    return api(desk.keeper).post(
        f"{ORDERS}{order['id']}/ship/", {"lines": list(rows), **extra}, format="json"
    )


def gloves(order: dict[str, Any]) -> int:
    return int(order["lines"][0]["id"])


def masks(order: dict[str, Any]) -> int:
    return int(order["lines"][1]["id"])


def test_first_expiry_first_out_across_lots_and_a_lot_chosen_by_id(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)

    fefo = ok(ship(desk, order, {"line": gloves(order), "quantity": "60"}), 201)
    assert [(row["lot_number"], row["quantity"]) for row in fefo["lines"]] == [
        ("L-SOON", "50.0000"),
        ("L-LATE", "10.0000"),
    ]
    late = Lot.objects.get(lot_number="L-LATE")
    chosen = ok(
        ship(desk, order, {"line": gloves(order), "quantity": "20", "lot": late.pk}, shipped_on=days(0)), 201
    )
    assert [(row["lot"], row["lot_number"], row["expiry_date"]) for row in chosen["lines"]] == [
        (late.pk, "L-LATE", days(365))
    ]
    assert ok(api(desk.rep).get(f"{ORDERS}{order['id']}/"))["status"] == "in_progress"
    ok(ship(desk, order, {"line": masks(order), "quantity": "100"}), 201)
    assert ok(api(desk.rep).get(f"{ORDERS}{order['id']}/"))["status"] == "done"
    assert_ledgers_consistent()


def test_over_shipment_is_refused_naming_the_line(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    with unchanged():
        body = refused(
            ship(
                desk,
                order,
                {"line": masks(order), "quantity": "10"},
                {"line": gloves(order), "quantity": "81"},
            ),
            409,
            "over_shipment",
        )
    assert body == {
        "detail": "第 2 行：P001 本次发货 81，超过未发货数量 80。",
        "code": "over_shipment",
        "field": "lines.1.quantity",
    }


def test_an_expired_lot_is_refused(stocked: Desk) -> None:
    desk = stocked
    put_stock(desk, desk.gloves, "5", lot="L-OLD", expiry=today() - dt.timedelta(days=1))
    order = approved_by_api(desk)
    with unchanged():
        body = refused(
            ship(desk, order, {"line": gloves(order), "quantity": "3", "lot_number": "L-OLD"}),
            409,
            "lot_expired",
        )
    assert body["field"] == "lines.0.lot"
    assert "L-OLD" in body["detail"]


def test_insufficient_stock_in_the_chosen_lot_names_the_line(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    with unchanged():
        body = refused(
            ship(desk, order, {"line": gloves(order), "quantity": "70", "lot_number": "L-SOON"}),
            409,
            "insufficient_stock",
        )
    assert body["field"] == "lines.0.lot"
    assert body["detail"].startswith("第 1 行：")


def test_a_draft_order_cannot_be_shipped(stocked: Desk) -> None:
    desk = stocked
    order = create(desk)
    with unchanged():
        body = refused(ship(desk, order, {"line": gloves(order), "quantity": "1"}), 409, "invalid_state")
    assert order["number"] in body["detail"]


def test_bad_input_answers_400(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    with unchanged():
        assert list(ok(ship(desk, order), 400)) == ["lines"]
        assert list(
            ok(ship(desk, order, {"line": gloves(order), "quantity": "1"}, shipped_on=days(1)), 400)
        ) == ["shipped_on"]
        assert list(ok(ship(desk, order, {"line": 999999, "quantity": "1"}), 400)) == ["lines.0.line"]


def test_roles_a_salesperson_and_finance_cannot_ship(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    body = {"lines": [{"line": gloves(order), "quantity": "1"}]}
    for who in (desk.rep, desk.manager, desk.company.finance_clerk):
        with unchanged():
            response = api(who).post(f"{ORDERS}{order['id']}/ship/", body, format="json")
            assert ok(response, 403) == ROLE_REFUSED
    shipment = ok(ship(desk, order, {"line": gloves(order), "quantity": "1"}), 201)
    for who in (desk.rep, desk.company.finance_clerk):
        with unchanged():
            assert (
                ok(api(who).post(f"{SHIPMENTS}{shipment['id']}/deliver/", {}, format="json"), 403)
                == ROLE_REFUSED
            )
    assert api(desk.keeper).delete(f"{SHIPMENTS}{shipment['id']}/").status_code in (403, 405)
    assert api(desk.keeper).patch(f"{SHIPMENTS}{shipment['id']}/", {}, format="json").status_code in (
        403,
        405,
    )
    assert Shipment.objects.filter(pk=shipment["id"]).exists()


def test_deliver_and_its_refusals(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    shipment = ok(ship(desk, order, {"line": gloves(order), "quantity": "5"}, carrier="EMS"), 201)
    url = f"{SHIPMENTS}{shipment['id']}/deliver/"
    keeper = api(desk.keeper)
    with unchanged():
        assert ok(keeper.post(url, {"delivered_on": days(1)}, format="json"), 400) == {
            "delivered_on": ["签收日期不能晚于今天。"]
        }
    done = ok(keeper.post(url, {"delivered_on": days(0), "signed_by": "王医生"}, format="json"))
    assert (done["status"], done["signed_by"], done["carrier"]) == ("done", "王医生", "EMS")
    # API.md's names carry the same dates.
    dates = (done["shipped_on"], done["shipped_at"], done["delivered_on"], done["delivered_at"])
    assert dates == (str(days(0)),) * 4
    with unchanged():
        refused(keeper.post(url, {}, format="json"), 409, "invalid_state")


def test_list_filters_and_scope(stocked: Desk) -> None:
    desk = stocked
    first_order = approved_by_api(desk)
    other_order = approved_by_api(
        desk,
        desk.company.rep_a2,
        customer=desk.ruijin.pk,
        lines=[{"product": desk.masks.pk, "quantity": "10"}],
    )
    first = ok(
        ship(desk, first_order, {"line": gloves(first_order), "quantity": "1"}, tracking_number="SF1"), 201
    )
    second = ok(ship(desk, other_order, {"line": other_order["lines"][0]["id"], "quantity": "10"}), 201)
    ok(api(desk.keeper).post(f"{SHIPMENTS}{second['id']}/deliver/", {}, format="json"))
    keeper = api(desk.keeper)

    def numbers(client: Any, query: str = "") -> list[str]:
        return [row["number"] for row in ok(client.get(f"{SHIPMENTS}?{query}"))["results"]]

    assert numbers(keeper) == [second["number"], first["number"]]
    assert numbers(keeper, "status=in_progress") == [first["number"]]
    assert numbers(keeper, f"customer={desk.ruijin.pk}") == [second["number"]]
    assert numbers(keeper, f"sales_order={first_order['id']}") == [first["number"]]
    assert numbers(keeper, f"owner={desk.company.rep_a2.pk}") == [second["number"]]
    assert numbers(keeper, "search=SF1") == [first["number"]]
    assert numbers(keeper, f"date_from={days(1)}") == []
    assert numbers(api(desk.company.finance_clerk)) == [second["number"], first["number"]]
    # Salespeople see the shipments of their own orders only.
    assert numbers(api(desk.rep)) == [first["number"]]
    assert ok(api(desk.rep).get(f"{SHIPMENTS}{second['id']}/"), 404) == NOT_FOUND
    assert ok(api(desk.company.rep_b1).get(f"{SHIPMENTS}{first['id']}/"), 404) == NOT_FOUND
    assert ok(api(desk.company.purchaser).get(SHIPMENTS), 403) == ROLE_REFUSED


def test_ship_is_idempotent(stocked: Desk) -> None:
    desk = stocked
    order = approved_by_api(desk)
    client = api(desk.keeper)
    body = {"lines": [{"line": gloves(order), "quantity": "5"}]}
    url = f"{ORDERS}{order['id']}/ship/"
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Shipment.objects.count() == 1
    assert ok(api(desk.rep).get(f"{ORDERS}{order['id']}/"))["lines"][0]["shipped_quantity"] == "5.0000"
