"""/api/v1/purchase-orders/, goods-receipts/ and purchase-returns/: shapes, filters, the whole
purchasing flow by API (create → submit → approve in the inbox → two receipts → return → ship),
each refusal with its code (and nothing changed), data scope and roles, and an idempotent receive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Product
from maoyi.core.models import DocumentSequence
from maoyi.finance import services as finance
from maoyi.finance.models import Installment, Obligation
from maoyi.inventory.models import Lot, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.inventory.services import ledger
from maoyi.org.models import Employee
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderInstallment,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
    Supplier,
    SupplierQuote,
)
from maoyi.purchasing.services import suppliers as supplier_services
from tests.api.conftest import token_client
from tests.conftest import Company
from tests.factories import make_employee

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/purchase-orders/"
RECEIPTS = "/api/v1/goods-receipts/"
RETURNS = "/api/v1/purchase-returns/"
APPROVALS = "/api/v1/approvals/"
TODAY = timezone.localdate()
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


@dataclass
class Shop:
    company: Company
    boss: Employee  # manager of 采购部: approves purchasing's documents
    keeper: Employee  # logistics
    buyer2: Employee  # another purchaser in 采购部
    supplier: Supplier
    syringe: Product  # lot-tracked
    gauze: Product  # not lot-tracked
    warehouse: Warehouse
    quote: SupplierQuote

    def api(self, who: Employee) -> APIClient:
        return token_client(who)

    @property
    def buyer(self) -> APIClient:
        return token_client(self.company.purchaser)

    @property
    def logistics(self) -> APIClient:
        return token_client(self.keeper)

    @property
    def manager(self) -> APIClient:
        return token_client(self.boss)


@pytest.fixture
def shop(company: Company) -> Shop:
    boss = make_employee(company.purchasing, "manager", username="mgr_p", name="高经理", is_manager=True)
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆仓管")
    buyer2 = make_employee(company.purchasing, "purchaser", username="buyer2", name="周敏")
    supplier = supplier_services.create_supplier(
        actor=company.purchaser, name="江西华康医疗器械有限公司", buyer=company.purchaser
    )
    syringe = Product.objects.create(
        code="ZS001", name="一次性使用无菌注射器", unit="支", lot_tracked=True, purchase_price=D("10.00")
    )
    gauze = Product.objects.create(
        code="SB002", name="医用纱布块", unit="包", lot_tracked=False, purchase_price=D("2.00")
    )
    warehouse = Warehouse.objects.create(code="WH01", name="北京主仓")
    quote = SupplierQuote.objects.create(
        supplier=supplier,
        product=syringe,
        unit_price=D("11.30"),
        currency="CNY",
        valid_from=TODAY - dt.timedelta(days=10),
        valid_until=TODAY + dt.timedelta(days=50),
        created_by=company.purchaser,
    )
    return Shop(company, boss, keeper, buyer2, supplier, syringe, gauze, warehouse, quote)


def order_body(shop: Shop, **extra: Any) -> dict[str, Any]:
    return {
        "supplier": shop.supplier.pk,
        "warehouse": shop.warehouse.pk,
        "expected_date": days(7),
        "lines": [{"product": shop.syringe.pk, "quantity": "1000"}],
        **extra,
    }


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def numbers(response: Any) -> list[str]:
    return [row["number"] for row in ok(response)["results"]]


def create_order(shop: Shop, client: APIClient | None = None, **extra: Any) -> dict[str, Any]:
    return ok((client or shop.buyer).post(ORDERS, order_body(shop, **extra), format="json"), 201)


def approve_in_inbox(shop: Shop, number: str) -> None:
    pending = ok(shop.manager.get(APPROVALS, {"mine": "pending"}))["results"]
    request_id = next(r["id"] for r in pending if r["document_number"] == number)
    ok(shop.manager.post(f"{APPROVALS}{request_id}/approve/", {"comment": "同意"}, format="json"))


def approved_order(shop: Shop, **extra: Any) -> dict[str, Any]:
    order = create_order(shop, **extra)
    ok(shop.buyer.post(f"{ORDERS}{order['id']}/submit/"))
    approve_in_inbox(shop, order["number"])
    return ok(shop.buyer.get(f"{ORDERS}{order['id']}/"))


def receive(shop: Shop, order: dict[str, Any], quantity: str, lot: str, **extra: Any) -> Any:
    line = order["lines"][0]["id"]
    body = {"lines": [{"line": line, "quantity": quantity, "lot_number": lot, "expiry_date": days(700)}]}
    return shop.logistics.post(f"{ORDERS}{order['id']}/receive/", {**body, **extra}, format="json")


@pytest.fixture
def received(shop: Shop) -> dict[str, Any]:
    """An approved order of 100 syringes at 11.30, 60 received in lot L1."""
    order = approved_order(
        shop, lines=[{"product": shop.syringe.pk, "quantity": "100", "unit_price": "11.30"}]
    )
    ok(receive(shop, order, "60", "L1"), 201)
    return ok(shop.buyer.get(f"{ORDERS}{order['id']}/"))


WATCHED: tuple[Any, ...] = (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderInstallment,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseReturn,
    PurchaseReturnLine,
    Obligation,
    Installment,
    Lot,
    StockMove,
    StockLevel,
    StockBalance,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    DocumentSequence,
)


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves purchasing, stock, money, approvals, the
    audit trail and the number counters as they were."""
    before = state()
    yield
    assert state() == before


# Shapes -------------------------------------------------------------------------------------------


def test_creating_an_order_prices_lines_from_the_best_quote_and_answers_the_whole_order(shop: Shop) -> None:
    body = create_order(
        shop,
        installments=[
            {"due_date": days(30), "amount": "5650.00"},
            {"due_date": days(60), "amount": "5650.00"},
        ],
        note="季度备货",
    )
    order = PurchaseOrder.objects.get(pk=body["id"])
    line = order.lines.get()

    assert body == {
        "id": order.pk,
        "version": 1,
        "number": order.number,
        "status": "draft",
        "status_display": "草稿",
        "supplier": shop.supplier.pk,
        "supplier_name": "江西华康医疗器械有限公司",
        "warehouse": shop.warehouse.pk,
        "warehouse_name": "北京主仓",
        "currency": "CNY",
        "exchange_rate": "1.000000",
        "expected_date": days(7),
        "note": "季度备货",
        "amount": "11300.00",
        "lines": [
            {
                "id": line.pk,
                "product": shop.syringe.pk,
                "product_code": "ZS001",
                "product_name": "一次性使用无菌注射器",
                "unit": "支",
                "quantity": "1000.0000",
                "unit_price": "11.3000",
                "tax_rate": "0.13",
                "quote": shop.quote.pk,
                "received_quantity": "0.0000",
                "returned_quantity": "0.0000",
                "open_quantity": "1000.0000",
                "amount": "11300.00",
                "tax_amount": "1300.00",
            }
        ],
        "installments": [
            {"id": body["installments"][0]["id"], "due_date": days(30), "amount": "5650.00"},
            {"id": body["installments"][1]["id"], "due_date": days(60), "amount": "5650.00"},
        ],
        "owner": shop.company.purchaser.pk,
        "owner_name": "马丽",
        "department": shop.company.purchasing.pk,
        "payable": None,
        "receipts": [],
        "returns": [],
        "approved_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert order.number.startswith("CG")
    assert ok(shop.buyer.get(f"{ORDERS}{order.pk}/")) == body


def test_a_typed_price_and_tax_rate_are_kept_and_the_tax_rate_is_a_fraction(shop: Shop) -> None:
    body = create_order(
        shop,
        lines=[
            {"product": shop.gauze.pk, "quantity": "10", "unit_price": "2.12", "tax_rate": "0.06"},
            {"product": shop.gauze.pk, "quantity": "1", "unit_price": None},  # no quote: purchase price
        ],
    )

    assert [(li["unit_price"], li["tax_rate"], li["quote"]) for li in body["lines"]] == [
        ("2.1200", "0.06", None),
        ("2.0000", "0.13", None),
    ]
    assert PurchaseOrderLine.objects.filter(order_id=body["id"]).order_by("id")[0].tax_rate == D("6")
    assert body["amount"] == "23.20"


def test_a_foreign_order_takes_todays_rate_when_the_rate_is_blank(shop: Shop) -> None:
    finance.set_exchange_rate(
        actor=shop.company.finance_clerk,
        currency="USD",
        rate=D("7.1"),
        valid_from=TODAY - dt.timedelta(days=1),
    )
    lines = [{"product": shop.gauze.pk, "quantity": "10", "unit_price": "1.50"}]

    blank = create_order(shop, currency="USD", exchange_rate="", lines=lines)
    typed = create_order(shop, currency="USD", exchange_rate="7.05", lines=lines)
    no_rate = shop.buyer.post(ORDERS, order_body(shop, currency="EUR", lines=lines), format="json")

    assert (blank["currency"], blank["exchange_rate"]) == ("USD", "7.100000")
    assert typed["exchange_rate"] == "7.050000"
    assert no_rate.status_code == 400 and list(no_rate.json()) == ["exchange_rate"]


def test_malformed_input_is_refused_with_400_on_its_field(shop: Shop) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"supplier": None}, "supplier"),
        ({"warehouse": 999999}, "warehouse"),
        ({"expected_date": "明天"}, "expected_date"),
        ({"lines": [{"product": shop.syringe.pk, "quantity": "abc"}]}, "lines"),
        ({"lines": [{"product": shop.syringe.pk, "quantity": "1", "tax_rate": "13"}]}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": 999999, "quantity": "1"}]}, "lines.0.product"),
        ({"lines": [{"product": shop.syringe.pk, "quantity": "0"}]}, "lines.0.quantity"),
    ]
    with unchanged():
        for extra, field in cases:
            response = shop.buyer.post(ORDERS, order_body(shop, **extra), format="json")
            assert response.status_code == 400, (extra, response.content)
            assert list(response.json()) == [field], (extra, response.json())


# Filters and scope --------------------------------------------------------------------------------


def test_the_list_filters_by_supplier_status_search_and_to_receive(shop: Shop) -> None:
    other = supplier_services.create_supplier(
        actor=None, name="上海康德莱企业发展集团", buyer=shop.company.purchaser
    )
    draft = create_order(shop)
    approved = approved_order(shop)
    theirs = create_order(shop, supplier=other.pk, lines=[{"product": shop.gauze.pk, "quantity": "5"}])
    buyer = shop.buyer

    assert numbers(buyer.get(ORDERS)) == [theirs["number"], approved["number"], draft["number"]]
    assert numbers(buyer.get(ORDERS, {"supplier": other.pk})) == [theirs["number"]]
    assert numbers(buyer.get(ORDERS, {"status": "approved"})) == [approved["number"]]
    assert numbers(buyer.get(ORDERS, {"to_receive": "true"})) == [approved["number"]]
    assert numbers(buyer.get(ORDERS, {"search": "SB002"})) == [theirs["number"]]
    assert numbers(buyer.get(ORDERS, {"search": "jxhk"})) == [approved["number"], draft["number"]]
    assert numbers(buyer.get(ORDERS, {"ordering": "number"})) == [
        draft["number"],
        approved["number"],
        theirs["number"],
    ]
    listed = ok(buyer.get(ORDERS, {"status": "approved"}))["results"][0]
    assert listed["payable"]["amount"] == "11300.00"
    for bad in ({"status": "open"}, {"supplier": "x"}, {"to_receive": "maybe"}, {"ordering": "amount"}):
        response = buyer.get(ORDERS, bad)
        assert response.status_code == 400 and list(response.json()) == list(bad), bad


def test_a_purchaser_sees_only_their_own_orders_logistics_and_finance_see_all(shop: Shop) -> None:
    mine = create_order(shop)
    theirs = create_order(shop, shop.api(shop.buyer2))
    c = shop.company

    assert numbers(shop.buyer.get(ORDERS)) == [mine["number"]]
    assert shop.buyer.get(f"{ORDERS}{theirs['id']}/").json() == NOT_FOUND
    with unchanged():
        for method, path, body in (
            ("put", f"{ORDERS}{theirs['id']}/", order_body(shop)),
            ("post", f"{ORDERS}{theirs['id']}/submit/", {}),
            ("post", f"{ORDERS}{theirs['id']}/cancel/", {}),
        ):
            response = getattr(shop.buyer, method)(path, body, format="json")
            assert (response.status_code, response.json()) == (404, NOT_FOUND), path
    assert set(numbers(shop.logistics.get(ORDERS))) == {mine["number"], theirs["number"]}
    assert set(numbers(shop.api(c.finance_clerk).get(ORDERS))) == {mine["number"], theirs["number"]}
    assert set(numbers(shop.manager.get(ORDERS))) == {mine["number"], theirs["number"]}
    assert shop.api(c.rep_a1).get(ORDERS).json() == ROLE_REFUSED
    assert shop.api(c.rep_a1).get(RETURNS).json() == ROLE_REFUSED


def test_roles_may_do_only_their_part(shop: Shop, received: dict[str, Any]) -> None:
    c = shop.company
    with unchanged():
        assert shop.logistics.post(ORDERS, order_body(shop), format="json").json() == ROLE_REFUSED
        assert shop.api(c.finance_clerk).post(ORDERS, order_body(shop), format="json").json() == ROLE_REFUSED
    with unchanged():
        response = shop.buyer.post(f"{ORDERS}{received['id']}/receive/", {"lines": []}, format="json")
        assert response.json() == ROLE_REFUSED
        assert shop.buyer.delete(f"{ORDERS}{received['id']}/").status_code == 405
        refused(
            shop.buyer.post(f"{ORDERS}{received['id']}/unapprove/", {"reason": "改价"}, format="json"),
            409,
            "has_downstream",
        )


# The whole flow -----------------------------------------------------------------------------------


def test_the_whole_flow_by_api(shop: Shop) -> None:
    order = create_order(
        shop,
        installments=[
            {"due_date": days(30), "amount": "5650.00"},
            {"due_date": days(60), "amount": "5650.00"},
        ],
    )
    oid, line = order["id"], order["lines"][0]["id"]
    submitted = ok(shop.buyer.post(f"{ORDERS}{oid}/submit/"))
    assert submitted["status"] == "submitted"

    approve_in_inbox(shop, order["number"])
    approved = ok(shop.buyer.get(f"{ORDERS}{oid}/"))
    payable = Obligation.objects.get(source_type="purchase_order", source_id=oid)
    assert approved["status"] == "approved" and approved["approved_at"]
    assert approved["payable"] == {
        "id": payable.pk,
        "number": payable.number,
        "status": "open",
        "currency": "CNY",
        "amount": "11300.00",
        "allocated": "0.00",
        "outstanding": "11300.00",
        "due_date": days(60),  # the last installment
    }
    assert numbers(shop.logistics.get(ORDERS, {"to_receive": "true"})) == [order["number"]]

    first = ok(receive(shop, approved, "600", "L2601", production_date=None), 201)
    assert first["number"].startswith("RK") and first["purchase_order"] == oid
    assert [(li["line"], li["lot_number"], li["quantity"], li["unit_cost"]) for li in first["lines"]] == [
        (line, "L2601", "600.0000", "10.000000")
    ]
    assert ok(shop.buyer.get(f"{ORDERS}{oid}/"))["status"] == "in_progress"
    second = ok(receive(shop, approved, "400", "L2602", received_on=TODAY.isoformat()), 201)
    done = ok(shop.buyer.get(f"{ORDERS}{oid}/"))
    assert done["status"] == "done"
    assert [r["number"] for r in done["receipts"]] == [first["number"], second["number"]]
    assert done["lines"][0]["received_quantity"] == "1000.0000"
    assert numbers(shop.logistics.get(ORDERS, {"to_receive": "true"})) == []
    assert numbers(shop.buyer.get(RECEIPTS, {"purchase_order": oid})) == [second["number"], first["number"]]
    assert ok(shop.buyer.get(f"{RECEIPTS}{first['id']}/")) == first

    created = ok(
        shop.buyer.post(
            RETURNS,
            {
                "purchase_order": oid,
                "lines": [{"line": line, "quantity": "100", "lot_number": "L2602"}],
                "reason": "外包装破损",
            },
            format="json",
        ),
        201,
    )
    lot = Lot.objects.get(lot_number="L2602")
    assert (created["status"], created["amount"], created["refund"]) == ("draft", "1130.00", None)
    assert created["number"].startswith("CT")
    assert [(li["line"], li["lot"], li["lot_number"], li["quantity"]) for li in created["lines"]] == [
        (line, lot.pk, "L2602", "100.0000")
    ]
    rid = created["id"]
    assert ok(shop.buyer.post(f"{RETURNS}{rid}/submit/"))["status"] == "submitted"
    approve_in_inbox(shop, created["number"])
    assert numbers(shop.logistics.get(RETURNS, {"to_ship": "true"})) == [created["number"]]

    shipped = ok(
        shop.logistics.post(
            f"{RETURNS}{rid}/ship/", {"carrier": "顺丰", "tracking_number": "SF100200300"}, format="json"
        )
    )
    refund = Obligation.objects.get(source_type="purchase_return", source_id=rid)
    assert (shipped["status"], shipped["carrier"], shipped["tracking_number"]) == (
        "done",
        "顺丰",
        "SF100200300",
    )
    assert shipped["refund"] is None  # logistics sees no money
    seen_by_finance = ok(shop.api(shop.company.finance_clerk).get(f"{RETURNS}{rid}/"))
    assert seen_by_finance["refund"] == {
        "id": refund.pk,
        "number": refund.number,
        "status": "open",
        "currency": "CNY",
        "amount": "1130.00",
        "allocated": "0.00",
        "outstanding": "1130.00",
        "due_date": days(30),
    }
    after = ok(shop.buyer.get(f"{ORDERS}{oid}/"))
    assert after["lines"][0]["returned_quantity"] == "100.0000"
    assert [r["number"] for r in after["returns"]] == [created["number"]]
    level = StockLevel.objects.get(product=shop.syringe, warehouse=shop.warehouse)
    assert (level.on_hand, level.value) == (D("900"), D("9000.00"))
    assert numbers(shop.logistics.get(RETURNS, {"to_ship": "true"})) == []
    assert numbers(shop.buyer.get(RETURNS, {"purchase_order": oid, "status": "done"})) == [created["number"]]


def test_approve_and_reject_also_answer_on_the_order(shop: Shop) -> None:
    order = create_order(shop)
    ok(shop.buyer.post(f"{ORDERS}{order['id']}/submit/"))
    with unchanged():
        refused(shop.buyer.post(f"{ORDERS}{order['id']}/approve/"), 409, "not_approver")
        no_reason = shop.manager.post(f"{ORDERS}{order['id']}/reject/", {}, format="json")
        assert no_reason.status_code == 400 and list(no_reason.json()) == ["reason"]

    rejected = ok(shop.manager.post(f"{ORDERS}{order['id']}/reject/", {"reason": "价格偏高"}, format="json"))
    assert rejected["status"] == "rejected"
    ok(shop.buyer.post(f"{ORDERS}{order['id']}/submit/"))
    approved = ok(shop.manager.post(f"{ORDERS}{order['id']}/approve/", {"comment": "同意"}, format="json"))
    assert approved["status"] == "approved" and approved["payable"]["outstanding"] == "11300.00"


def test_withdraw_unapprove_and_cancel(shop: Shop) -> None:
    order = create_order(shop)
    oid = order["id"]
    ok(shop.buyer.post(f"{ORDERS}{oid}/submit/"))
    assert ok(shop.buyer.post(f"{ORDERS}{oid}/withdraw/"))["status"] == "draft"
    ok(shop.buyer.post(f"{ORDERS}{oid}/submit/"))
    approve_in_inbox(shop, order["number"])

    no_reason = shop.manager.post(f"{ORDERS}{oid}/unapprove/", {}, format="json")
    assert no_reason.status_code == 400 and list(no_reason.json()) == ["reason"]
    draft = ok(shop.manager.post(f"{ORDERS}{oid}/unapprove/", {"reason": "数量要改"}, format="json"))
    assert (draft["status"], draft["payable"]) == ("draft", None)
    assert Obligation.objects.get(source_type="purchase_order", source_id=oid).status == "reversed"

    ok(shop.buyer.post(f"{ORDERS}{oid}/submit/"))
    approve_in_inbox(shop, order["number"])
    with unchanged():
        response = shop.buyer.post(f"{ORDERS}{oid}/cancel/", {"reason": ""}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["reason"]
    cancelled = ok(shop.buyer.post(f"{ORDERS}{oid}/cancel/", {"reason": "供应商缺货"}, format="json"))
    assert (cancelled["status"], cancelled["payable"]) == ("cancelled", None)


# Updating -----------------------------------------------------------------------------------------


def test_put_replaces_lines_and_installments_and_patch_keeps_what_is_not_given(shop: Shop) -> None:
    order = create_order(shop, installments=[{"due_date": days(30), "amount": "11300.00"}])
    path = f"{ORDERS}{order['id']}/"

    put = ok(
        shop.buyer.put(
            path,
            order_body(shop, lines=[{"product": shop.gauze.pk, "quantity": "10", "unit_price": "3.00"}]),
            format="json",
        )
    )
    assert [(li["product"], li["quantity"]) for li in put["lines"]] == [(shop.gauze.pk, "10.0000")]
    assert (put["amount"], put["installments"]) == ("30.00", [])

    patched = ok(shop.buyer.patch(path, {"note": "加急", "expected_date": days(3)}, format="json"))
    assert (patched["note"], patched["expected_date"], patched["amount"]) == ("加急", days(3), "30.00")
    assert [li["unit_price"] for li in patched["lines"]] == ["3.0000"]
    assert AuditEntry.objects.filter(object_id=str(order["id"]), action="update").count() == 2


def test_an_order_that_is_no_longer_a_draft_cannot_be_changed(shop: Shop) -> None:
    order = create_order(shop)
    ok(shop.buyer.post(f"{ORDERS}{order['id']}/submit/"))
    with unchanged():
        body = refused(
            shop.buyer.put(f"{ORDERS}{order['id']}/", order_body(shop), format="json"), 409, "invalid_state"
        )
        refused(shop.buyer.post(f"{ORDERS}{order['id']}/submit/"), 409, "invalid_state")
    assert order["number"] in body["detail"]


# Refusals -----------------------------------------------------------------------------------------


def test_installments_that_do_not_add_up_are_refused(shop: Shop) -> None:
    with unchanged():
        body = refused(
            shop.buyer.post(
                ORDERS,
                order_body(shop, installments=[{"due_date": days(30), "amount": "100.00"}]),
                format="json",
            ),
            409,
            "installments_mismatch",
        )
    assert body["detail"] == "分期金额合计 100.00 与总金额 11300.00 不一致。"


def test_receiving_more_than_is_still_due_is_refused(shop: Shop, received: dict[str, Any]) -> None:
    with unchanged():
        body = refused(receive(shop, received, "41", "L1"), 409, "over_receipt")
    assert body["detail"] == "第 1 行：ZS001 本次入库 41，超过未到货数量 40。"


def test_a_lot_tracked_product_needs_its_lot_number(shop: Shop, received: dict[str, Any]) -> None:
    with unchanged():
        body = refused(receive(shop, received, "10", ""), 409, "lot_required")
    assert body["detail"] == "第 1 行：商品 ZS001 实行批次管理，请填写批号。"


def test_receiving_a_draft_order_is_refused(shop: Shop) -> None:
    order = create_order(shop)
    with unchanged():
        refused(receive(shop, order, "10", "L1"), 409, "invalid_state")


def test_unapprove_after_a_receipt_is_refused(shop: Shop, received: dict[str, Any]) -> None:
    with unchanged():
        body = refused(
            shop.manager.post(f"{ORDERS}{received['id']}/unapprove/", {"reason": "价格有误"}, format="json"),
            409,
            "has_downstream",
        )
    assert received["number"] in body["detail"]


def _return_body(received: dict[str, Any], quantity: str, **line: Any) -> dict[str, Any]:
    row = {"line": received["lines"][0]["id"], "quantity": quantity, **line}
    return {"purchase_order": received["id"], "lines": [row], "reason": "质量问题"}


def test_returning_more_than_received_is_refused(shop: Shop, received: dict[str, Any]) -> None:
    with unchanged():
        body = refused(
            shop.buyer.post(RETURNS, _return_body(received, "61", lot_number="L1"), format="json"),
            409,
            "over_return",
        )
    assert body["detail"] == "第 1 行：ZS001 该批次可退 60，本次退货 61。"


def test_a_return_names_its_lot_by_id_or_number(shop: Shop, received: dict[str, Any]) -> None:
    lot = Lot.objects.get(lot_number="L1")
    with unchanged():
        refused(shop.buyer.post(RETURNS, _return_body(received, "5"), format="json"), 409, "lot_required")
        unknown = shop.buyer.post(RETURNS, _return_body(received, "5", lot_number="NOPE"), format="json")
        assert (unknown.status_code, unknown.json()) == (400, {"lines.0.lot_number": ["批号 NOPE 不存在。"]})
        hidden = shop.api(shop.buyer2).post(
            RETURNS, _return_body(received, "5", lot_number="L1"), format="json"
        )
        assert hidden.status_code == 400 and list(hidden.json()) == ["purchase_order"]
        no_reason = shop.buyer.post(
            RETURNS, {**_return_body(received, "5", lot=lot.pk), "reason": ""}, format="json"
        )
        assert no_reason.status_code == 400 and list(no_reason.json()) == ["reason"]
        assert (
            shop.logistics.post(RETURNS, _return_body(received, "5", lot=lot.pk), format="json").json()
            == ROLE_REFUSED
        )

    by_id = ok(shop.buyer.post(RETURNS, _return_body(received, "5", lot=lot.pk), format="json"), 201)
    assert [(li["lot"], li["quantity"]) for li in by_id["lines"]] == [(lot.pk, "5.0000")]
    updated = ok(
        shop.buyer.put(
            f"{RETURNS}{by_id['id']}/",
            {"lines": _return_body(received, "8", lot_number="L1")["lines"], "reason": "破损"},
            format="json",
        )
    )
    assert ([li["quantity"] for li in updated["lines"]], updated["reason"], updated["amount"]) == (
        ["8.0000"],
        "破损",
        "90.40",
    )
    patched = ok(shop.buyer.patch(f"{RETURNS}{by_id['id']}/", {"reason": "包装破损"}, format="json"))
    assert ([li["quantity"] for li in patched["lines"]], patched["reason"]) == (["8.0000"], "包装破损")
    cancelled = ok(shop.buyer.post(f"{RETURNS}{by_id['id']}/cancel/", {"reason": "不退了"}, format="json"))
    assert cancelled["status"] == "cancelled"


def test_a_product_without_lot_tracking_returns_without_a_lot(shop: Shop) -> None:
    order = approved_order(shop, lines=[{"product": shop.gauze.pk, "quantity": "10", "unit_price": "2.00"}])
    line = order["lines"][0]["id"]
    ok(
        shop.logistics.post(
            f"{ORDERS}{order['id']}/receive/", {"lines": [{"line": line, "quantity": "10"}]}, format="json"
        ),
        201,
    )

    back = ok(
        shop.buyer.post(
            RETURNS,
            {"purchase_order": order["id"], "lines": [{"line": line, "quantity": "3"}], "reason": "错发"},
            format="json",
        ),
        201,
    )

    assert [(li["lot_number"], li["quantity"]) for li in back["lines"]] == [("", "3.0000")]


def test_shipping_a_return_whose_lot_is_no_longer_in_stock_is_refused(
    shop: Shop, received: dict[str, Any]
) -> None:
    back = ok(shop.buyer.post(RETURNS, _return_body(received, "50", lot_number="L1"), format="json"), 201)
    ok(shop.buyer.post(f"{RETURNS}{back['id']}/submit/"))
    ok(shop.manager.post(f"{RETURNS}{back['id']}/approve/"))
    lot = Lot.objects.get(lot_number="L1")
    order = PurchaseOrder.objects.get(pk=received["id"])
    ledger.issue(
        [ledger.Outgoing(shop.syringe.pk, shop.warehouse.pk, D("20"), lot_id=lot.pk)],
        source=order.ref,
        actor=shop.keeper,
    )

    with unchanged():
        refused(
            shop.logistics.post(f"{RETURNS}{back['id']}/ship/", {}, format="json"), 409, "insufficient_stock"
        )
        assert shop.buyer.post(f"{RETURNS}{back['id']}/ship/", {}, format="json").json() == ROLE_REFUSED
    assert ok(shop.buyer.get(f"{RETURNS}{back['id']}/"))["status"] == "approved"


def test_shipping_a_return_that_is_not_approved_is_refused(shop: Shop, received: dict[str, Any]) -> None:
    back = ok(shop.buyer.post(RETURNS, _return_body(received, "5", lot_number="L1"), format="json"), 201)
    with unchanged():
        refused(shop.logistics.post(f"{RETURNS}{back['id']}/ship/", {}, format="json"), 409, "invalid_state")
    ok(shop.buyer.post(f"{RETURNS}{back['id']}/submit/"))
    assert ok(shop.buyer.post(f"{RETURNS}{back['id']}/withdraw/"))["status"] == "draft"


def test_returns_are_scoped_like_their_orders(shop: Shop, received: dict[str, Any]) -> None:
    back = ok(shop.buyer.post(RETURNS, _return_body(received, "5", lot_number="L1"), format="json"), 201)

    assert shop.api(shop.buyer2).get(f"{RETURNS}{back['id']}/").json() == NOT_FOUND
    assert numbers(shop.api(shop.buyer2).get(RETURNS)) == []
    assert numbers(shop.api(shop.buyer2).get(RECEIPTS)) == []
    assert shop.api(shop.buyer2).get(f"{RECEIPTS}{received['receipts'][0]['id']}/").json() == NOT_FOUND
    assert numbers(shop.logistics.get(RETURNS)) == [back["number"]]
    for bad in ({"status": "x"}, {"to_ship": "maybe"}, {"purchase_order": "x"}):
        response = shop.buyer.get(RETURNS, bad)
        assert response.status_code == 400 and list(response.json()) == list(bad), bad


# Idempotency --------------------------------------------------------------------------------------


def test_receive_with_an_idempotency_key_happens_once(shop: Shop, received: dict[str, Any]) -> None:
    line = received["lines"][0]["id"]
    body = {"lines": [{"line": line, "quantity": "10", "lot_number": "L9", "expiry_date": days(500)}]}
    path = f"{ORDERS}{received['id']}/receive/"
    client = shop.logistics

    first = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="rk-001")
    again = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="rk-001")
    other = client.post(path, {**body, "note": "另一次"}, format="json", HTTP_IDEMPOTENCY_KEY="rk-001")

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json() == first.json()
    assert other.status_code == 422
    assert GoodsReceipt.objects.filter(order_id=received["id"]).count() == 2
    assert PurchaseOrderLine.objects.get(pk=line).received_quantity == D("70")
