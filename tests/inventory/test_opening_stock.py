"""期初库存: a draft with lots and cost, checked line by line; approval receives it into stock at
its cost and marks it done, in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, RequestStatus
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.inventory.models import Lot, MoveKind, OpeningStock, OpeningStockLine, StockMove
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import documents
from maoyi.inventory.services.opening import (
    OpeningLineInput,
    create_opening_stock,
    update_opening_stock,
)
from tests.inventory.stockdocs import EXPIRY, approve, build_stock, level, submit_and_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(company):
    return build_stock(company)


def line(stock, product="syringe", quantity="100", cost="4.50", lot="L1", **dates) -> OpeningLineInput:
    return OpeningLineInput(
        product_id=getattr(stock, product).pk,
        quantity=D(quantity),
        unit_cost=D(cost),
        lot_number=lot,
        **dates,
    )


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_approving_an_opening_stock_receives_each_line_into_its_lot_at_its_cost_and_marks_it_done(stock):
    doc = create_opening_stock(
        actor=stock.keeper,
        warehouse=stock.main,
        lines=[
            line(stock, production_date=dt.date(2026, 1, 10), expiry_date=EXPIRY),
            # a product without lot tracking keeps no lot number, whatever was typed
            line(stock, "mask", quantity="200", cost="0.35", lot="X9"),
        ],
        note="启用系统时的库存",
    )
    assert doc.number.startswith("QCKC") and doc.status == Status.DRAFT
    assert list(doc.lines.values_list("lot_number", flat=True).order_by("id")) == ["L1", ""]
    submit_and_approve(doc, stock)

    assert doc.status == Status.DONE and doc.posted_at is not None
    moves = StockMove.objects.filter(source_type="opening_stock", source_id=doc.pk).order_by("product__code")
    assert [(m.product.code, m.lot.lot_number, m.kind, m.quantity, m.unit_cost, m.value) for m in moves] == [
        ("P001", "L1", MoveKind.OPENING, D("100"), D("4.5"), D("450.00")),
        ("P002", "", MoveKind.OPENING, D("200"), D("0.35"), D("70.00")),
    ]
    assert level(stock.syringe, stock.main) == (D("100"), D("450.00"))
    assert level(stock.mask, stock.main) == (D("200"), D("70.00"))
    lot = Lot.objects.get(product=stock.syringe, lot_number="L1")
    assert (lot.production_date, lot.expiry_date) == (dt.date(2026, 1, 10), EXPIRY)
    request = ApprovalRequest.objects.get(document_type="opening_stock", object_id=doc.pk)
    assert request.status == RequestStatus.APPROVED and request.decided_by == stock.boss
    posted = AuditEntry.objects.get(object_id=str(doc.pk), content_type__model="openingstock", action="post")
    assert posted.changes == {"status": ["已审核", "已完成"]}
    assert posted.note == "过账库存流水 2 条。"
    assert doc.has_downstream()
    assert ledger_mismatches() == []


def test_a_lot_tracked_product_without_a_lot_number_is_refused_on_its_row_and_nothing_is_saved(stock):
    error = refused(
        lambda: create_opening_stock(
            actor=stock.keeper, warehouse=stock.main, lines=[line(stock, "mask"), line(stock, lot=" ")]
        )
    )
    assert (error.code, error.field) == ("lot_required", "lines.1.lot_number")
    assert error.message == "第 2 行：商品 P001 实行批次管理，请填写批号。"
    assert not OpeningStock.objects.exists() and not OpeningStockLine.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "0"}, "lines.0.quantity", "第 1 行：数量必须大于零。"),
        ({"quantity": "-3"}, "lines.0.quantity", "第 1 行：数量必须大于零。"),
        ({"cost": "-0.01"}, "lines.0.unit_cost", "第 1 行：成本不能为负数。"),
        (
            {"production_date": dt.date(2027, 1, 1), "expiry_date": dt.date(2026, 12, 31)},
            "lines.0.expiry_date",
            "第 1 行：有效期不能早于生产日期。",
        ),
    ],
)
def test_a_bad_line_is_refused_with_its_field_and_nothing_is_saved(stock, changes, field, message):
    error = refused(
        lambda: create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[line(stock, **changes)])
    )
    assert (error.code, error.field, error.message) == ("invalid", field, message)
    assert not OpeningStock.objects.exists()


def test_an_expiry_that_contradicts_the_registered_lot_is_refused(stock):
    Lot.objects.create(product=stock.syringe, lot_number="L1", expiry_date=dt.date(2027, 3, 31))
    error = refused(
        lambda: create_opening_stock(
            actor=stock.keeper, warehouse=stock.main, lines=[line(stock, expiry_date=EXPIRY)]
        )
    )
    assert error.field == "lines.0.expiry_date"
    assert error.message == "第 1 行：批号 L1 已登记的有效期为 2027-03-31，与本次填写的不一致。"


def test_inactive_products_and_warehouses_are_refused(stock):
    stock.syringe.is_active = False
    stock.syringe.save()
    error = refused(
        lambda: create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[line(stock)])
    )
    assert (error.field, error.message) == ("lines.0.product", "第 1 行：商品 P001 已停用。")
    stock.second.is_active = False
    stock.second.save()
    error = refused(
        lambda: create_opening_stock(actor=stock.keeper, warehouse=stock.second, lines=[line(stock, "mask")])
    )
    assert (error.field, error.message) == ("warehouse", "仓库“上海仓”已停用。")
    assert not OpeningStock.objects.exists()


def test_editing_a_draft_replaces_its_lines_and_records_the_change(stock):
    doc = create_opening_stock(
        actor=stock.keeper,
        warehouse=stock.main,
        lines=[line(stock), line(stock, "mask", quantity="5", cost="1")],
    )
    update_opening_stock(
        doc, actor=stock.keeper, warehouse=stock.second, lines=[line(stock, quantity="80")], note="改为上海仓"
    )
    doc.refresh_from_db()
    assert doc.warehouse == stock.second and doc.note == "改为上海仓"
    assert [(ln.product.code, ln.quantity) for ln in doc.lines.all()] == [("P001", D("80"))]
    entry = AuditEntry.objects.filter(
        object_id=str(doc.pk), content_type__model="openingstock", action="update"
    )
    assert entry.get().changes == {
        "warehouse": ["北京主仓", "上海仓"],
        "note": ["", "改为上海仓"],
        "lines": ["P001 L1 × 100 @ 4.5；P002 × 5 @ 1", "P001 L1 × 80 @ 4.5"],
    }


def test_a_submitted_document_cannot_be_edited_and_keeps_its_lines(stock):
    doc = create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[line(stock)])
    documents.submit_document(doc, actor=stock.keeper)
    error = refused(lambda: update_opening_stock(doc, actor=stock.keeper, warehouse=stock.main, lines=[]))
    assert error.code == "invalid_state"
    assert error.message == f"单据 {doc.number} 当前状态为“待审核”，不能修改。"
    assert doc.lines.count() == 1


def test_an_empty_draft_cannot_be_submitted(stock):
    doc = create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[])
    error = refused(lambda: documents.submit_document(doc, actor=stock.keeper))
    assert (error.code, error.field, error.message) == ("invalid", "lines", "请至少添加一行明细。")
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT


def test_a_rejected_document_is_edited_and_submitted_again_then_posted(stock):
    doc = create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[line(stock, cost="45.00")])
    documents.submit_document(doc, actor=stock.keeper)
    approvals.reject(doc, actor=stock.boss, reason="成本多写了一位")
    update_opening_stock(doc, actor=stock.keeper, warehouse=stock.main, lines=[line(stock, cost="4.50")])
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    assert level(stock.syringe, stock.main) == (D("100"), D("450.00"))
    assert ledger_mismatches() == []


def test_withdraw_and_cancel_a_draft(stock):
    doc = create_opening_stock(actor=stock.keeper, warehouse=stock.main, lines=[line(stock)])
    documents.submit_document(doc, actor=stock.keeper)
    documents.withdraw_document(doc, actor=stock.keeper)
    documents.cancel_document(doc, actor=stock.keeper, reason="重复录入")
    doc.refresh_from_db()
    assert doc.status == Status.CANCELLED
    assert not StockMove.objects.exists()


def test_a_salesperson_may_not_make_opening_stock(company, stock):
    error = refused(
        lambda: create_opening_stock(actor=company.rep_a1, warehouse=stock.main, lines=[line(stock)])
    )
    assert (error.code, error.message) == ("permission_denied", "您的角色不能执行此操作。")
    assert not OpeningStock.objects.exists()
