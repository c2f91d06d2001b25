"""盘点: the book is snapshotted when counting starts; approval posts counted − book-then for each
lot, so whatever the warehouse did after counting started stays as it is."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from maoyi.approvals.models import ApprovalRequest, RequestStatus
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.inventory.models import Lot, MoveKind, StockBalance, StockMove, Stocktake
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import documents
from maoyi.inventory.services.opening import OpeningLineInput
from maoyi.inventory.services.stocktake import StocktakeCount, start_stocktake, update_stocktake
from maoyi.inventory.services.transfer import TransferLineInput
from tests.inventory.stockdocs import EXPIRY, approve, build_stock, level, post_opening, post_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(company):
    """北京主仓 holds 100 syringes of lot L1 at 4.50, 50 of lot L2 at 6.00 and 200 masks at 0.35."""
    stock = build_stock(company)
    post_opening(
        stock,
        [
            OpeningLineInput(stock.syringe.pk, D("100"), D("4.50"), "L1", expiry_date=EXPIRY),
            OpeningLineInput(stock.syringe.pk, D("50"), D("6.00"), "L2"),
            OpeningLineInput(stock.mask.pk, D("200"), D("0.35")),
        ],
    )
    return stock


def lot(stock, number: str) -> Lot:
    return Lot.objects.get(product=stock.syringe, lot_number=number)


def counts(doc: Stocktake, **counted: str) -> list[StocktakeCount]:
    """The counted quantities of the snapshot lines, keyed by lot number ("none" for no lot)."""
    rows = []
    for line in doc.lines.select_related("lot").order_by("id"):
        key = line.lot.lot_number or "none"
        value = D(counted[key]) if key in counted else line.counted_quantity
        rows.append(StocktakeCount(product_id=line.product_id, counted_quantity=value, lot_id=line.lot_id))
    return rows


def stocktake_moves(doc: Stocktake) -> list[tuple[str, str, D, D]]:
    moves = StockMove.objects.filter(source_type="stocktake", source_id=doc.pk).order_by("id")
    return [(m.lot.lot_number, m.kind, m.quantity, m.value) for m in moves]


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_starting_a_stocktake_snapshots_every_lot_in_stock_with_counted_defaulting_to_book(stock):
    Lot.objects.create(product=stock.syringe, lot_number="EMPTY")  # no stock: not counted
    post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("50"), lot(stock, "L2").pk)])  # L2 leaves
    started = timezone.now()
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    assert doc.number.startswith("PD") and doc.status == Status.DRAFT
    assert started <= doc.counted_at <= timezone.now()
    rows = [
        (ln.product.code, ln.lot.lot_number, ln.book_quantity, ln.counted_quantity)
        for ln in doc.lines.order_by("product__code", "lot__lot_number")
    ]
    assert rows == [("P001", "L1", D("100"), D("100")), ("P002", "", D("200"), D("200"))]
    by_category = start_stocktake(actor=stock.keeper, warehouse=stock.main, category=stock.medical)
    assert [ln.product.code for ln in by_category.lines.all()] == ["P001"]
    assert by_category.note == "盘点范围：医疗器械"
    assert start_stocktake(actor=stock.keeper, warehouse=stock.second).lines.get().lot == lot(stock, "L2")
    assert ledger_mismatches() == []


def test_the_difference_posted_is_counted_minus_book_and_matching_lots_post_nothing(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    update_stocktake(doc, actor=stock.keeper, counts=counts(doc, L1="97", L2="52"))
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    doc.refresh_from_db()

    assert doc.status == Status.DONE and doc.posted_at is not None
    # level 150 units worth 750.00: the average is 5.00 for the loss and the gain alike
    assert stocktake_moves(doc) == [
        ("L1", MoveKind.STOCKTAKE_LOSS, D("-3"), D("-15.00")),
        ("L2", MoveKind.STOCKTAKE_GAIN, D("2"), D("10.00")),
    ]
    for line in doc.lines.all():
        on_hand = StockBalance.objects.get(warehouse=stock.main, lot=line.lot).on_hand
        assert on_hand == line.counted_quantity  # nothing moved since counting
    assert level(stock.syringe, stock.main) == (D("149"), D("745.00"))
    assert level(stock.mask, stock.main) == (D("200"), D("70.00"))
    assert ledger_mismatches() == []


def test_moves_posted_after_counting_started_are_kept(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    # While the counters are at work, 30 of lot L1 leave for 上海仓 and a new lot arrives.
    post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("30"), lot(stock, "L1").pk)])
    post_opening(stock, [OpeningLineInput(stock.syringe.pk, D("10"), D("5.00"), "L3")])
    # They counted 97 of L1 when they got to it (before the transfer, which the book already had).
    update_stocktake(doc, actor=stock.keeper, counts=counts(doc, L1="97"))
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)

    assert stocktake_moves(doc) == [("L1", MoveKind.STOCKTAKE_LOSS, D("-3"), D("-15.00"))]
    main_l1 = StockBalance.objects.get(warehouse=stock.main, lot=lot(stock, "L1")).on_hand
    assert main_l1 == D("67")  # 100 − 30 transferred − 3 lost: the transfer is kept
    assert StockBalance.objects.get(warehouse=stock.second, lot=lot(stock, "L1")).on_hand == D("30")
    assert StockBalance.objects.get(warehouse=stock.main, lot=lot(stock, "L3")).on_hand == D(
        "10"
    )  # not counted
    assert StockMove.objects.filter(source_type="transfer").count() == 2
    assert ledger_mismatches() == []


def test_found_goods_and_removed_lines_use_the_book_at_counting_time(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("20"), lot(stock, "L2").pk)])
    syringe, mask = stock.syringe.pk, stock.mask.pk
    update_stocktake(
        doc,
        actor=stock.keeper,
        counts=[
            StocktakeCount(syringe, D("100"), lot_id=lot(stock, "L1").pk),
            StocktakeCount(syringe, D("48"), lot_number="L2"),  # re-added by number: book 50 then, not 30
            StocktakeCount(syringe, D("5"), lot_number="L9"),  # found, never booked
            StocktakeCount(mask, D("199")),  # no lot tracking: the lot without a number
        ],
        note="第一次盘点",
    )
    rows = [
        (ln.lot.lot_number, ln.book_quantity, ln.counted_quantity, ln.difference)
        for ln in doc.lines.order_by("product__code", "lot__lot_number")
    ]
    assert rows == [
        ("L1", D("100"), D("100"), D("0")),
        ("L2", D("50"), D("48"), D("-2")),
        ("L9", D("0"), D("5"), D("5")),
        ("", D("200"), D("199"), D("-1")),
    ]
    update_stocktake(doc, actor=stock.keeper, counts=counts(doc)[1:], note="第一次盘点")  # L1 not counted
    assert not doc.lines.filter(lot=lot(stock, "L1")).exists()
    change = AuditEntry.objects.filter(
        content_type__model="stocktake", object_id=str(doc.pk), action="update"
    )
    assert change.order_by("id").last().changes == {
        "lines": [
            "P001 L1 100 → 100；P001 L2 50 → 48；P001 L9 0 → 5；P002 200 → 199",
            "P001 L2 50 → 48；P001 L9 0 → 5；P002 200 → 199",
        ]
    }
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    assert [(m[0], m[2]) for m in stocktake_moves(doc)] == [("L2", D("-2")), ("L9", D("5")), ("", D("-1"))]
    assert StockBalance.objects.get(warehouse=stock.main, lot=lot(stock, "L2")).on_hand == D("28")
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    ("row", "field", "code", "message"),
    [
        (
            {"counted_quantity": D("-1"), "lot_number": "L1"},
            "lines.0.counted_quantity",
            "invalid",
            "第 1 行：实盘数量不能为负数。",
        ),
        (
            {"counted_quantity": D("1"), "lot_number": ""},
            "lines.0.lot_number",
            "lot_required",
            "第 1 行：商品 P001 实行批次管理，请填写批号。",
        ),
    ],
)
def test_a_bad_count_is_refused_on_its_row_and_changes_nothing(stock, row, field, code, message):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    before = list(doc.lines.values_list("lot_id", "counted_quantity").order_by("id"))
    error = refused(
        lambda: update_stocktake(doc, actor=stock.keeper, counts=[StocktakeCount(stock.syringe.pk, **row)])
    )
    assert (error.field, error.code, error.message) == (field, code, message)
    assert list(doc.lines.values_list("lot_id", "counted_quantity").order_by("id")) == before


def test_the_same_lot_twice_is_refused(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    error = refused(
        lambda: update_stocktake(
            doc,
            actor=stock.keeper,
            counts=[*counts(doc), StocktakeCount(stock.syringe.pk, D("3"), lot_number="L1")],
        )
    )
    assert (error.field, error.message) == ("lines.3.lot_number", "第 4 行：同一批次只能盘点一行。")


def test_a_loss_larger_than_what_is_left_now_is_refused_at_approval_and_changes_nothing(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    update_stocktake(doc, actor=stock.keeper, counts=counts(doc, L1="10"))
    post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("30"), lot(stock, "L1").pk)])
    documents.submit_document(doc, actor=stock.keeper)
    error = refused(lambda: approve(doc, stock.boss))
    assert error.code == "insufficient_stock"
    assert error.message == "库存不足：P001 一次性注射器 在 北京主仓 需要 90，可用 70。"
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED and doc.posted_at is None
    assert (
        ApprovalRequest.objects.get(object_id=doc.pk, document_type="stocktake").status
        == RequestStatus.PENDING
    )
    assert not StockMove.objects.filter(source_type="stocktake").exists()
    assert level(stock.syringe, stock.main)[0] == D("120")
    assert ledger_mismatches() == []


def test_a_stocktake_without_differences_is_done_without_moves(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    doc.refresh_from_db()
    assert doc.status == Status.DONE
    assert stocktake_moves(doc) == [] and not doc.has_downstream()
    assert ledger_mismatches() == []


def test_an_empty_warehouse_gives_an_empty_stocktake_that_cannot_be_submitted_until_goods_are_found(stock):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.second)
    assert doc.lines.count() == 0
    error = refused(lambda: documents.submit_document(doc, actor=stock.keeper))
    assert error.message == "请至少添加一行明细。"
    update_stocktake(doc, actor=stock.keeper, counts=[StocktakeCount(stock.mask.pk, D("4"))])
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    # a gain where nothing is in stock is valued at the purchase price
    assert stocktake_moves(doc) == [("", MoveKind.STOCKTAKE_GAIN, D("4"), D("2.00"))]
    assert ledger_mismatches() == []
