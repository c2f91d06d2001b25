"""The stock reads the pages and the API share, on fixed dates: availability leaves expired lots
and reservations out and adds what is incoming, lots are found by their expiry, low stock by the
minimum, and lot values add up to the stock value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D

import pytest

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.inventory import incoming
from maoyi.inventory import selectors as s
from maoyi.inventory.models import MoveKind, StockLevel, Warehouse
from maoyi.inventory.services import ledger
from maoyi.inventory.services.ledger import Hold, Incoming, Outgoing
from maoyi.org.pinyin import initials

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


def make_product(code: str, name: str, **fields) -> Product:
    return Product.objects.create(code=code, name=name, pinyin=initials(name), unit="支", **fields)


def ref(n: int) -> DocRef:
    return DocRef(type="test", id=n, number=f"T{n:04d}")


@pytest.fixture
def stock(company):
    """一次性注射器 in two warehouses: L1 (expired on 11-01) and L2 in 北京主仓, L3 in 上海仓."""
    product = make_product("P001", "一次性注射器", min_stock=D("50"))
    beijing = Warehouse.objects.create(code="WH1", name="北京主仓")
    shanghai = Warehouse.objects.create(code="WH2", name="上海仓")
    actor = company.admin
    ledger.receive(
        [
            Incoming(product.pk, beijing.pk, D("10"), D("5.00"), "L1", expiry_date=dt.date(2026, 11, 1)),
            Incoming(product.pk, beijing.pk, D("30"), D("7.00"), "L2", expiry_date=dt.date(2027, 1, 15)),
            Incoming(product.pk, shanghai.pk, D("5"), D("6.00"), "L3", expiry_date=dt.date(2028, 6, 30)),
        ],
        source=ref(1),
        actor=actor,
    )
    return product, beijing, shanghai, actor


@pytest.fixture
def purchase_orders(stock) -> Iterator[dict[tuple[int, int], D]]:
    """An incoming provider, as purchasing registers one: 20 on order for 北京主仓."""
    product, beijing, _shanghai, _actor = stock
    on_order = {(product.pk, beijing.pk): D("20")}

    def provider(product_ids, warehouse_ids):
        wanted = None if warehouse_ids is None else set(warehouse_ids)
        return {
            key: incoming.Incoming(quantity, TODAY + dt.timedelta(days=5))
            for key, quantity in on_order.items()
            if key[0] in set(product_ids) and (wanted is None or key[1] in wanted)
        }

    incoming.register(provider)
    try:
        yield on_order
    finally:
        incoming._PROVIDERS.remove(provider)


def test_availability_leaves_out_expired_lots_and_reservations_and_adds_what_is_incoming(
    stock, purchase_orders
) -> None:
    product, beijing, _shanghai, actor = stock
    ledger.reserve([Hold(product.pk, beijing.pk, D("8"))], source=ref(2), actor=actor, today=TODAY)

    result = s.availability(product, today=TODAY)

    rows = [(r.warehouse, r.on_hand, r.reserved, r.available, r.incoming) for r in result["warehouses"]]
    # 北京主仓: 40 on hand, of which 10 in the expired L1; 30 − 8 reserved = 22 available
    assert rows == [
        ("北京主仓", D("40"), D("8"), D("22"), D("20")),
        ("上海仓", D("5"), D("0"), D("5"), D("0")),
    ]
    total = result["total"]
    assert (total.on_hand, total.reserved, total.available, total.incoming) == (
        D("45"),
        D("8"),
        D("27"),
        D("20"),
    )
    # The earliest date the incoming goods are expected, where they are expected.
    assert [r.expected_date for r in result["warehouses"]] == [TODAY + dt.timedelta(days=5), None]
    assert total.expected_date == TODAY + dt.timedelta(days=5)
    assert s.availability_totals([product.pk], today=TODAY) == {product.pk: total}


def test_without_the_provider_nothing_is_incoming(stock) -> None:
    product, _beijing, _shanghai, _actor = stock
    assert s.availability(product, today=TODAY)["total"].incoming == D("0")
    assert s.incoming_totals([product.pk]) == {}


def test_a_lot_is_available_through_its_expiry_date_and_not_the_day_after(stock) -> None:
    product, _beijing, _shanghai, _actor = stock
    on_the_day = s.availability(product, today=dt.date(2026, 11, 1))["total"]
    day_after = s.availability(product, today=dt.date(2026, 11, 2))["total"]
    assert (on_the_day.available, day_after.available) == (D("45"), D("35"))


def test_products_are_found_by_code_name_and_pinyin_initials_and_inactive_ones_only_when_asked(
    stock,
) -> None:
    product, *_ = stock
    old = make_product("P900", "一次性输液器", is_active=False)
    assert list(s.search_products("ycxz")) == [product]
    assert list(s.search_products("YCX")) == [product]
    assert list(s.search_products("注射")) == [product]
    assert list(s.search_products("p00")) == [product]
    assert list(s.search_products("ycx", active_only=False)) == [product, old]
    assert list(s.search_products("xyz")) == []


def test_lots_expiring_within_n_days_and_expired_lots_on_a_fixed_date(stock) -> None:
    def lot_numbers(qs):
        return [lot.lot_number for lot in qs]

    assert lot_numbers(s.lots(today=TODAY)) == ["L1", "L2", "L3"]
    assert lot_numbers(s.lots(expired=True, today=TODAY)) == ["L1"]
    # L2 expires on 2027-01-15: 49 days after 2026-11-27
    assert lot_numbers(s.lots(expiring_within_days=49, today=TODAY)) == ["L2"]
    assert lot_numbers(s.lots(expiring_within_days=48, today=TODAY)) == []
    assert lot_numbers(s.lot_list(state="expiring", within_days=90, today=TODAY)) == ["L2"]
    assert lot_numbers(s.lot_list(state="expired", today=TODAY)) == ["L1"]
    assert lot_numbers(s.lot_list(ordering="-expiry", today=TODAY)) == ["L3", "L2", "L1"]
    assert [(lot.lot_number, lot.on_hand) for lot in s.lots(today=TODAY)] == [
        ("L1", D("10")),
        ("L2", D("30")),
        ("L3", D("5")),
    ]


def test_the_expiry_state_of_a_lot_for_highlighting() -> None:
    state = s.expiry_state
    assert state(dt.date(2026, 11, 26), today=TODAY, within_days=90) == ("expired", -1)
    assert state(TODAY, today=TODAY, within_days=90) == ("near", 0)
    assert state(dt.date(2027, 2, 25), today=TODAY, within_days=90) == ("near", 90)
    assert state(dt.date(2027, 2, 26), today=TODAY, within_days=90) == ("ok", 91)
    assert state(None, today=TODAY, within_days=90) == ("none", None)


def test_an_emptied_lot_is_no_longer_listed(stock) -> None:
    product, beijing, _shanghai, actor = stock
    ledger.issue(
        [Outgoing(product.pk, beijing.pk, D("10"), lot_id=s.lots().get(lot_number="L1").pk)],
        source=ref(2),
        actor=actor,
        to_customer=False,
    )
    assert [lot.lot_number for lot in s.lots(today=TODAY)] == ["L2", "L3"]


def test_low_stock_lists_active_products_below_their_minimum_with_the_shortfall_and_incoming(
    stock, purchase_orders
) -> None:
    product, beijing, _shanghai, actor = stock  # 45 on hand, minimum 50
    make_product("P002", "医用口罩", min_stock=D("0"))  # no minimum: never low
    make_product("P003", "医用棉签", min_stock=D("10"), is_active=False)  # inactive: not listed
    empty = make_product("P004", "医用胶带", min_stock=D("3"))  # nothing at all
    enough = make_product("P005", "碘伏", min_stock=D("2"))
    ledger.receive([Incoming(enough.pk, beijing.pk, D("2"), D("1.00"), "D1")], source=ref(2), actor=actor)

    rows = [(p.code, p.on_hand, p.min_stock, p.shortfall) for p in s.low_stock_list()]

    assert rows == [("P001", D("45"), D("50"), D("5")), ("P004", D("0"), D("3"), D("3"))]
    assert s.incoming_totals([product.pk, empty.pk]) == {product.pk: D("20")}


def test_lot_values_at_the_average_cost_add_up_to_the_stock_value(stock) -> None:
    product, beijing, _shanghai, actor = stock
    # 北京主仓: 10 × 5 + 30 × 7 = 260 for 40; issue 12 at 6.50 (FEFO takes the expired L1 too when
    # not for a customer); receive 3 at 9.10: 182 + 27.30 = 209.30 for 31, average 6.751612…
    ledger.issue([Outgoing(product.pk, beijing.pk, D("12"))], source=ref(2), actor=actor, to_customer=False)
    ledger.receive(
        [Incoming(product.pk, beijing.pk, D("3"), D("9.10"), "L4", expiry_date=dt.date(2029, 1, 1))],
        source=ref(3),
        actor=actor,
    )
    qs = s.balance_list(warehouse=beijing, today=TODAY)
    rows = [(v.balance.lot.lot_number, v.balance.on_hand, v.unit_cost, v.value) for v in s.valued(qs)]

    assert rows == [
        ("L2", D("28"), D("6.751613"), D("189.05")),  # 28 × 209.30 / 31 = 189.045…
        ("L4", D("3"), D("6.751613"), D("20.25")),  # 3 × 209.30 / 31 = 20.254…
    ]
    totals = s.balance_totals(qs)
    assert totals.groups == {
        (product.pk, beijing.pk): s.GroupTotal(rows=2, quantity=D("31"), value=D("209.30"))
    }
    assert totals.value == StockLevel.objects.get(product=product, warehouse=beijing).value == D("209.30")


def test_the_balance_list_hides_expired_lots_unless_asked_and_totals_the_filtered_rows(stock) -> None:
    _product, _beijing, shanghai, _actor = stock

    def lots(qs):
        return [(b.warehouse.code, b.lot.lot_number) for b in qs]

    assert lots(s.balance_list(today=TODAY)) == [("WH1", "L2"), ("WH2", "L3")]
    everything = s.balance_list(include_expired=True, today=TODAY)
    assert lots(everything) == [("WH1", "L1"), ("WH1", "L2"), ("WH2", "L3")]
    # 260.00 in 北京主仓 (all its lots) + 30.00 in 上海仓
    assert s.balance_totals(everything).value == D("290.00")
    # without the expired L1: 30 of 40 at 6.50 = 195.00, + 30.00
    assert s.balance_totals(s.balance_list(today=TODAY)).value == D("225.00")
    assert lots(s.balance_list(include_expired=True, ordering="-value", today=TODAY)) == [
        ("WH1", "L2"),  # 195.00
        ("WH1", "L1"),  # 65.00
        ("WH2", "L3"),  # 30.00
    ]
    assert lots(s.balance_list(search="ycx", warehouse=shanghai, today=TODAY)) == [("WH2", "L3")]
    assert lots(s.balance_list(search="L2", today=TODAY)) == [("WH1", "L2")]


def test_the_lot_trace_runs_the_quantity_per_warehouse_and_in_total_oldest_first(stock) -> None:
    product, beijing, shanghai, actor = stock
    lot = s.lots().get(lot_number="L2")
    ledger.transfer(
        [Outgoing(product.pk, beijing.pk, D("12"), lot_id=lot.pk)],
        to_warehouse_id=shanghai.pk,
        source=DocRef(type="transfer", id=1, number="DB0001"),
        actor=actor,
    )
    ledger.issue(
        [Outgoing(product.pk, shanghai.pk, D("4"), lot_id=lot.pk)],
        source=DocRef(type="shipment", id=1, number="FH0001"),
        actor=actor,
        today=TODAY,
    )

    rows = [
        (
            r.move.kind,
            r.move.source_number,
            r.move.warehouse.code,
            r.move.quantity,
            r.warehouse_after,
            r.total_after,
        )
        for r in s.lot_trace_rows(lot)
    ]

    assert rows == [
        (MoveKind.RECEIPT, "T0001", "WH1", D("30"), D("30"), D("30")),
        (MoveKind.TRANSFER_OUT, "DB0001", "WH1", D("-12"), D("18"), D("18")),
        (MoveKind.TRANSFER_IN, "DB0001", "WH2", D("12"), D("12"), D("30")),
        (MoveKind.ISSUE, "FH0001", "WH2", D("-4"), D("8"), D("26")),
    ]
    assert [(b.warehouse.code, b.on_hand) for b in s.lot_stock(lot)] == [("WH1", D("18")), ("WH2", D("8"))]


def test_the_move_history_finds_moves_by_product_pinyin_lot_number_kind_and_source(stock) -> None:
    _product, beijing, _shanghai, actor = stock
    other = make_product("P002", "医用口罩")
    ledger.receive([Incoming(other.pk, beijing.pk, D("100"), D("0.50"), "K1")], source=ref(7), actor=actor)

    def found(**kw):
        return sorted(m.lot.lot_number for m in s.move_history(**kw))

    assert found(product_search="yykz") == ["K1"]
    assert found(product_search="ycx") == ["L1", "L2", "L3"]
    assert found(lot_number="l2") == ["L2"]
    assert found(source_number="T0007") == ["K1"]
    assert found(kind=MoveKind.ISSUE) == []
    assert found(date_from=TODAY + dt.timedelta(days=1000)) == []
