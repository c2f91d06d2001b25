"""The ledger's core arithmetic, checked against figures computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.inventory.errors import InsufficientStock, LotExpired
from maoyi.inventory.models import StockLevel, StockMove, Warehouse
from maoyi.inventory.selectors import availability, ledger_mismatches
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def setup(company):
    product = Product.objects.create(code="P001", name="一次性注射器", unit="支", lot_tracked=True)
    warehouse = Warehouse.objects.create(code="WH1", name="北京主仓")
    return product, warehouse, company.admin


def ref(n: int) -> DocRef:
    return DocRef(type="test", id=n, number=f"T{n:04d}")


def test_moving_average_cost_over_receipts_and_issues_matches_hand_computed_figures(setup) -> None:
    product, wh, actor = setup
    ledger.receive(
        [Incoming(product.pk, wh.pk, D("10"), D("5.00"), "L1", expiry_date=dt.date(2027, 1, 1))],
        source=ref(1),
        actor=actor,
    )
    ledger.receive(
        [Incoming(product.pk, wh.pk, D("30"), D("7.00"), "L2", expiry_date=dt.date(2028, 1, 1))],
        source=ref(2),
        actor=actor,
    )
    # 10 × 5 + 30 × 7 = 260 for 40 units: average 6.50
    level = StockLevel.objects.get(product=product, warehouse=wh)
    assert (level.on_hand, level.value) == (D("40"), D("260.00"))
    out = ledger.issue([Outgoing(product.pk, wh.pk, D("12"))], source=ref(3), actor=actor, today=TODAY)
    # FEFO: 10 from L1 (expires first), 2 from L2; 12 × 6.50 = 78.00
    assert [(m.lot.lot_number, m.quantity, m.value) for m in out] == [
        ("L1", D("-10"), D("-65.00")),
        ("L2", D("-2"), D("-13.00")),
    ]
    ledger.receive([Incoming(product.pk, wh.pk, D("3"), D("9.10"), "L3")], source=ref(4), actor=actor)
    # 28 × 6.50 = 182.00, + 27.30 = 209.30 for 31 units: average 6.751612…
    level.refresh_from_db()
    assert (level.on_hand, level.value) == (D("31"), D("209.30"))
    last = ledger.issue([Outgoing(product.pk, wh.pk, D("31"))], source=ref(5), actor=actor, today=TODAY)
    assert sum(m.value for m in last) == D("-209.30")  # emptying takes exactly the value left
    level.refresh_from_db()
    assert (level.on_hand, level.value) == (D("0"), D("0.00"))
    assert ledger_mismatches() == []


def test_reserving_more_than_is_available_is_refused_and_changes_nothing(setup) -> None:
    product, wh, actor = setup
    ledger.receive([Incoming(product.pk, wh.pk, D("10"), D("1"), "L1")], source=ref(1), actor=actor)
    ledger.reserve([Hold(product.pk, wh.pk, D("8"))], source=ref(2), actor=actor)
    with pytest.raises(InsufficientStock) as refused:
        ledger.reserve([Hold(product.pk, wh.pk, D("3"))], source=ref(3), actor=actor)
    assert refused.value.code == "insufficient_stock"
    assert refused.value.message == "库存不足：P001 一次性注射器 在 北京主仓 需要 3，可用 2。"
    row = availability(product)["total"]
    assert (row.on_hand, row.reserved, row.available) == (D("10"), D("8"), D("2"))
    assert ledger_mismatches() == []


def test_an_expired_lot_is_not_available_and_cannot_be_issued_to_a_customer(setup) -> None:
    product, wh, actor = setup
    ledger.receive(
        [Incoming(product.pk, wh.pk, D("5"), D("1"), "OLD", expiry_date=dt.date(2026, 1, 1))],
        source=ref(1),
        actor=actor,
    )
    assert availability(product, today=TODAY)["total"].available == D("0")
    lot_id = StockMove.objects.get().lot_id
    with pytest.raises(LotExpired) as refused:
        ledger.issue(
            [Outgoing(product.pk, wh.pk, D("1"), lot_id=lot_id)], source=ref(2), actor=actor, today=TODAY
        )
    assert refused.value.message == "批次 OLD（P001）已于 2026-01-01 过期，不能发给客户。"
    with pytest.raises(InsufficientStock):
        ledger.issue([Outgoing(product.pk, wh.pk, D("1"))], source=ref(3), actor=actor, today=TODAY)
    assert StockMove.objects.count() == 1


def test_goods_cannot_be_received_into_a_deactivated_warehouse(setup) -> None:
    product, wh, actor = setup
    Warehouse.objects.filter(pk=wh.pk).update(is_active=False)
    with pytest.raises(DomainError) as refused:
        ledger.receive([Incoming(product.pk, wh.pk, D("1"), D("1"), "L1")], source=ref(1), actor=actor)
    assert (refused.value.code, refused.value.message) == ("invalid", "仓库 北京主仓 已停用，不能入库。")
    assert StockMove.objects.count() == 0
