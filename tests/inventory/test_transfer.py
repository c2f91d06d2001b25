"""调拨: goods leave one warehouse and arrive in the other in the same lots and with the same value;
both warehouses' levels are right afterwards."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef, Status
from maoyi.core.errors import DomainError
from maoyi.inventory.models import Lot, MoveKind, StockBalance, StockMove, Transfer
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import documents, ledger
from maoyi.inventory.services.opening import OpeningLineInput
from maoyi.inventory.services.transfer import TransferLineInput, create_transfer, update_transfer
from tests.inventory.stockdocs import EXPIRY, approve, build_stock, level, post_opening, post_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(company):
    """北京主仓: syringes L1 100 at 4.50 (expires first), L2 50 at 6.00 (average 5.00); masks 200."""
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


def on_lot(warehouse, lot_: Lot) -> D:
    row = StockBalance.objects.filter(warehouse=warehouse, lot=lot_).first()
    return row.on_hand if row else D("0")


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_transfer_carries_lots_and_cost_so_the_value_out_equals_the_value_in(stock):
    doc = post_transfer(
        stock,
        [
            TransferLineInput(stock.syringe.pk, D("30"), lot(stock, "L2").pk),  # a named lot
            TransferLineInput(stock.syringe.pk, D("40")),  # first-expiry-first-out: L1
            TransferLineInput(stock.mask.pk, D("50")),
        ],
    )
    assert doc.number.startswith("DB") and doc.status == Status.DONE and doc.posted_at is not None
    moves = StockMove.objects.filter(source_type="transfer", source_id=doc.pk)
    out = moves.filter(kind=MoveKind.TRANSFER_OUT)
    came_in = moves.filter(kind=MoveKind.TRANSFER_IN)
    assert sorted((m.lot.lot_number, m.quantity, m.unit_cost, m.value) for m in out) == [
        ("", D("-50"), D("0.35"), D("-17.50")),
        ("L1", D("-40"), D("5"), D("-200.00")),
        ("L2", D("-30"), D("5"), D("-150.00")),
    ]
    assert sorted((m.lot.lot_number, m.quantity, m.unit_cost, m.value) for m in came_in) == [
        ("", D("50"), D("0.35"), D("17.50")),
        ("L1", D("40"), D("5"), D("200.00")),
        ("L2", D("30"), D("5"), D("150.00")),
    ]
    assert sum(m.value for m in out) == -sum(m.value for m in came_in) == D("-367.50")
    assert {m.warehouse_id for m in came_in} == {stock.second.pk}
    # both warehouses' levels: 150 − 70 at 5.00 stay, 70 arrive at 5.00
    assert level(stock.syringe, stock.main) == (D("80"), D("400.00"))
    assert level(stock.syringe, stock.second) == (D("70"), D("350.00"))
    assert level(stock.mask, stock.main) == (D("150"), D("52.50"))
    assert level(stock.mask, stock.second) == (D("50"), D("17.50"))
    assert (on_lot(stock.main, lot(stock, "L1")), on_lot(stock.second, lot(stock, "L1"))) == (
        D("60"),
        D("40"),
    )
    assert (on_lot(stock.main, lot(stock, "L2")), on_lot(stock.second, lot(stock, "L2"))) == (
        D("20"),
        D("30"),
    )
    # the lot keeps its expiry wherever it goes
    assert lot(stock, "L1").expiry_date == EXPIRY
    assert ledger_mismatches() == []


def test_the_two_warehouses_must_differ(stock):
    error = refused(
        lambda: create_transfer(
            actor=stock.keeper,
            warehouse=stock.main,
            to_warehouse=stock.main,
            lines=[TransferLineInput(stock.mask.pk, D("1"))],
        )
    )
    assert (error.code, error.field, error.message) == (
        "invalid",
        "to_warehouse",
        "调出和调入不能是同一个仓库。",
    )
    assert not Transfer.objects.exists()


def test_an_inactive_destination_is_refused(stock):
    stock.second.is_active = False
    stock.second.save()
    error = refused(
        lambda: create_transfer(
            actor=stock.keeper,
            warehouse=stock.main,
            to_warehouse=stock.second,
            lines=[TransferLineInput(stock.mask.pk, D("1"))],
        )
    )
    assert (error.field, error.message) == ("to_warehouse", "仓库“上海仓”已停用。")


@pytest.mark.parametrize(
    ("which", "quantity", "field", "message"),
    [
        ("mask_lot", "1", "lines.0.lot", "第 1 行：批次不属于这个商品。"),
        ("none", "0", "lines.0.quantity", "第 1 行：数量必须大于零。"),
    ],
)
def test_a_bad_line_is_refused_on_its_row(stock, which, quantity, field, message):
    mask_lot = Lot.objects.get(product=stock.mask)
    lot_id = mask_lot.pk if which == "mask_lot" else None
    error = refused(
        lambda: create_transfer(
            actor=stock.keeper,
            warehouse=stock.main,
            to_warehouse=stock.second,
            lines=[TransferLineInput(stock.syringe.pk, D(quantity), lot_id)],
        )
    )
    assert (error.field, error.message) == (field, message)
    assert not Transfer.objects.exists()


def test_editing_a_draft_transfer_replaces_its_lines_and_swaps_warehouses(stock):
    doc = create_transfer(
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.mask.pk, D("5")), TransferLineInput(stock.syringe.pk, D("2"))],
    )
    update_transfer(
        doc,
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.syringe.pk, D("3"), lot(stock, "L2").pk)],
        note="补货",
    )
    assert [(ln.product.code, ln.lot.lot_number, ln.quantity) for ln in doc.lines.all()] == [
        ("P001", "L2", D("3"))
    ]
    entry = AuditEntry.objects.get(content_type__model="transfer", object_id=str(doc.pk), action="update")
    assert entry.changes == {"note": ["", "补货"], "lines": ["P002 × 5；P001 × 2", "P001 L2 × 3"]}


@pytest.mark.parametrize(
    ("named", "quantity", "message"),
    [
        (True, "60", "批次 L2（P001）只有 50，需要 60。"),
        (False, "151", "库存不足：P001 一次性注射器 在 北京主仓 需要 151，可用 150。"),
    ],
)
def test_a_transfer_of_more_than_is_there_is_refused_at_approval_and_changes_nothing(
    stock, named, quantity, message
):
    lot_id = lot(stock, "L2").pk if named else None
    doc = create_transfer(
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.syringe.pk, D(quantity), lot_id)],
    )
    documents.submit_document(doc, actor=stock.keeper)
    error = refused(lambda: approve(doc, stock.boss))
    assert (error.code, error.message) == ("insufficient_stock", message)
    doc.refresh_from_db()
    assert doc.status == Status.SUBMITTED
    assert not StockMove.objects.filter(source_type="transfer").exists()
    assert level(stock.syringe, stock.main) == (D("150"), D("750.00"))
    assert ledger_mismatches() == []


def test_stock_reserved_for_orders_is_not_transferred(stock):
    ledger.reserve(
        [ledger.Hold(stock.syringe.pk, stock.main.pk, D("140"))],
        source=DocRef(type="sales_order", id=1, number="XS20261127-0001"),
        actor=stock.boss,
    )
    doc = create_transfer(
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.syringe.pk, D("20"))],
    )
    documents.submit_document(doc, actor=stock.keeper)
    error = refused(lambda: approve(doc, stock.boss))
    assert error.message == "库存不足：P001 一次性注射器 在 北京主仓 需要 20，可用 10。"
    assert ledger_mismatches() == []
