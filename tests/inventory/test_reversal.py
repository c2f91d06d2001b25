"""红冲: a posted stock document is corrected only by a reversal, which posts the opposite moves at
the original cost; both sets of moves stay visible and net to zero. A reversal is refused when the
goods are gone, happens once, and a posted document cannot be unapproved instead."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum

from maoyi.approvals import registry
from maoyi.approvals.models import ApprovalRequest, RequestStatus
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.inventory.models import Lot, MoveKind, OpeningStock, StockMove, StockReversal, Transfer
from maoyi.inventory.selectors import ledger_mismatches
from maoyi.inventory.services import documents
from maoyi.inventory.services.opening import OpeningLineInput, create_opening_stock
from maoyi.inventory.services.reversal import reverse_document
from maoyi.inventory.services.stocktake import StocktakeCount, start_stocktake, update_stocktake
from maoyi.inventory.services.transfer import TransferLineInput, create_transfer
from tests.inventory.stockdocs import (
    approve,
    build_stock,
    level,
    post_opening,
    post_transfer,
    submit_and_approve,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(company):
    return build_stock(company)


@pytest.fixture
def opening(stock):
    """北京主仓 receives 100 syringes of lot L1 at 4.50 and 200 masks at 0.35."""
    return post_opening(
        stock,
        [
            OpeningLineInput(stock.syringe.pk, D("100"), D("4.50"), "L1"),
            OpeningLineInput(stock.mask.pk, D("200"), D("0.35")),
        ],
    )


def moves_of(doc_type: str, pk: int):
    return StockMove.objects.filter(source_type=doc_type, source_id=pk).order_by("product__code", "id")


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_reversal_posts_the_opposite_moves_at_the_original_cost_and_both_stay_visible(stock, opening):
    reversal = reverse_document(opening, actor=stock.keeper, reason="期初数量录错")
    opening.refresh_from_db()
    assert opening.status == Status.REVERSED
    assert reversal.number.startswith("HC") and reversal.status == Status.DONE and reversal.posted_at
    assert (reversal.reverses_type, reversal.reverses_id, reversal.reverses_number) == (
        "opening_stock",
        opening.pk,
        opening.number,
    )
    assert (reversal.reason, reversal.warehouse, reversal.owner) == ("期初数量录错", stock.main, stock.keeper)

    original = list(moves_of("opening_stock", opening.pk))
    opposite = list(moves_of("stock_reversal", reversal.pk))
    assert [(m.kind, m.quantity, m.unit_cost, m.value) for m in original] == [
        (MoveKind.OPENING, D("100"), D("4.5"), D("450.00")),
        (MoveKind.OPENING, D("200"), D("0.35"), D("70.00")),
    ]
    assert [(m.kind, m.quantity, m.unit_cost, m.value, m.reverses) for m in opposite] == [
        (MoveKind.REVERSAL, D("-100"), D("4.5"), D("-450.00"), original[0]),
        (MoveKind.REVERSAL, D("-200"), D("0.35"), D("-70.00"), original[1]),
    ]
    both = StockMove.objects.filter(lot__product=stock.syringe).aggregate(q=Sum("quantity"), v=Sum("value"))
    assert (both["q"], both["v"]) == (D("0"), D("0.00"))
    assert level(stock.syringe, stock.main) == (D("0"), D("0.00"))
    assert level(stock.mask, stock.main) == (D("0"), D("0.00"))

    entry = AuditEntry.objects.get(
        content_type__model="openingstock", object_id=str(opening.pk), action="reverse"
    )
    assert entry.changes == {"status": ["已完成", "已红冲"], "reversal": [None, reversal.number]}
    assert entry.note == "期初数量录错" and entry.actor == stock.keeper.user
    created = AuditEntry.objects.get(content_type__model="stockreversal", object_id=str(reversal.pk))
    assert created.action == "create"
    assert created.changes["lines"] == [None, "P001 L1 @WH1 -100；P002 @WH1 -200"]
    assert ledger_mismatches() == []


def test_reversing_a_transfer_brings_the_goods_back_with_their_value(stock, opening):
    lot = Lot.objects.get(product=stock.syringe, lot_number="L1")
    transfer = post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("30"), lot.pk)])
    assert level(stock.syringe, stock.second) == (D("30"), D("135.00"))
    reverse_document(transfer, actor=stock.keeper, reason="调错仓库")
    assert level(stock.syringe, stock.main) == (D("100"), D("450.00"))
    assert level(stock.syringe, stock.second) == (D("0"), D("0.00"))
    assert ledger_mismatches() == []


def test_reversing_a_stocktake_undoes_its_gains_and_losses(stock, opening):
    doc = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    rows = [StocktakeCount(ln.product_id, ln.book_quantity - 4, ln.lot_id) for ln in doc.lines.order_by("id")]
    update_stocktake(doc, actor=stock.keeper, counts=rows)
    submit_and_approve(doc, stock)
    assert level(stock.syringe, stock.main) == (D("96"), D("432.00"))
    reverse_document(doc, actor=stock.keeper, reason="复盘后发现数错了")
    assert level(stock.syringe, stock.main) == (D("100"), D("450.00"))
    assert level(stock.mask, stock.main) == (D("200"), D("70.00"))
    assert ledger_mismatches() == []


def test_a_reversal_is_refused_when_the_goods_are_gone_and_changes_nothing(stock, opening):
    lot = Lot.objects.get(product=stock.syringe, lot_number="L1")
    post_transfer(stock, [TransferLineInput(stock.syringe.pk, D("30"), lot.pk)])
    moves_before = StockMove.objects.count()
    error = refused(lambda: reverse_document(opening, actor=stock.keeper, reason="期初数量录错"))
    assert error.code == "insufficient_stock"
    assert error.message == "货物已出库，不能红冲：P001 一次性注射器 在 北京主仓 需要 100，现存 70。"
    opening.refresh_from_db()
    assert opening.status == Status.DONE
    assert not StockReversal.objects.exists()
    assert StockMove.objects.count() == moves_before
    assert not AuditEntry.objects.filter(action="reverse").exists()
    # the number was not used up: the next reversal still gets the first serial
    transfer_back = post_transfer(
        stock, [TransferLineInput(stock.syringe.pk, D("30"), lot.pk)], source=stock.second, to=stock.main
    )
    assert reverse_document(transfer_back, actor=stock.keeper, reason="退回").number.endswith("-0001")
    assert ledger_mismatches() == []


def test_a_document_is_reversed_only_once(stock, opening):
    reverse_document(opening, actor=stock.keeper, reason="期初数量录错")
    error = refused(lambda: reverse_document(opening, actor=stock.keeper, reason="再冲一次"))
    assert (error.code, error.message) == (
        "invalid_state",
        f"单据 {opening.number} 当前状态为“已红冲”，不能红冲。",
    )
    assert StockReversal.objects.count() == 1
    assert level(stock.syringe, stock.main) == (D("0"), D("0.00"))
    assert ledger_mismatches() == []


def test_a_reversal_needs_a_reason_and_a_posted_document(stock, opening):
    error = refused(lambda: reverse_document(opening, actor=stock.keeper, reason="  "))
    assert (error.code, error.field, error.message) == ("reason_required", "reason", "请填写原因。")
    draft = create_opening_stock(
        actor=stock.keeper, warehouse=stock.main, lines=[OpeningLineInput(stock.mask.pk, D("1"), D("1"))]
    )
    error = refused(lambda: reverse_document(draft, actor=stock.keeper, reason="不要了"))
    assert (error.code, error.message) == (
        "invalid_state",
        f"单据 {draft.number} 当前状态为“草稿”，不能红冲。",
    )
    assert not StockReversal.objects.exists()


def test_a_salesperson_may_not_reverse(company, stock, opening):
    error = refused(lambda: reverse_document(opening, actor=company.rep_a1, reason="试试"))
    assert error.code == "permission_denied"
    opening.refresh_from_db()
    assert opening.status == Status.DONE


def test_unapproving_a_posted_document_is_refused_because_its_moves_exist(stock, opening):
    assert opening.has_downstream()
    error = refused(
        lambda: registry.actions_for("opening_stock").unapprove(opening, actor=stock.boss, reason="想改一下")
    )
    assert error.code == "has_downstream"
    assert error.message == f"单据 {opening.number} 已过账，不能反审核；请用红冲更正。"
    opening.refresh_from_db()
    assert opening.status == Status.DONE
    request = ApprovalRequest.objects.get(document_type="opening_stock", object_id=opening.pk)
    assert request.status == RequestStatus.APPROVED
    assert level(stock.syringe, stock.main) == (D("100"), D("450.00"))
    assert ledger_mismatches() == []


# Races (PostgreSQL: real row locks) ------------------------------------------------------------------


def _together(*calls) -> list[object]:
    """Run the calls from threads with their own connections, released together; returns each
    call's result or the DomainError it raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except DomainError as exc:
            results[index] = exc
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reversals_of_one_document_at_once_post_exactly_one(stock, opening):
    results = _together(
        lambda: reverse_document(OpeningStock.objects.get(pk=opening.pk), actor=stock.keeper, reason="甲"),
        lambda: reverse_document(OpeningStock.objects.get(pk=opening.pk), actor=stock.boss, reason="乙"),
    )
    won = [r for r in results if isinstance(r, StockReversal)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code == "invalid_state"
    assert StockReversal.objects.count() == 1
    assert level(stock.syringe, stock.main) == (D("0"), D("0.00"))
    assert ledger_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reversal_racing_a_transfer_of_the_same_goods_lets_exactly_one_through(stock, opening):
    lot = Lot.objects.get(product=stock.syringe, lot_number="L1")
    transfer = create_transfer(
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.syringe.pk, D("60"), lot.pk)],
    )
    documents.submit_document(transfer, actor=stock.keeper)
    results = _together(
        lambda: reverse_document(OpeningStock.objects.get(pk=opening.pk), actor=stock.keeper, reason="录错"),
        lambda: approve(Transfer.objects.get(pk=transfer.pk), stock.boss),
    )
    refusals = [r for r in results if isinstance(r, DomainError)]
    assert len(refusals) == 1, results
    assert refusals[0].code == "insufficient_stock"
    on_hand = level(stock.syringe, stock.main)[0] + level(stock.syringe, stock.second)[0]
    assert on_hand in (D("0"), D("100"))  # reversed (nothing left) or transferred (all still there)
    assert ledger_mismatches() == []
