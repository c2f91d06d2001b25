"""The stock ledger service: receive, issue (first-expiry-first-out), reserve, release, transfer,
adjust and reverse. Every function runs in the caller's transaction (or its own), locks the
product × warehouse rows it touches in one ordered query before reading them, writes the immutable
moves and the balances together, and refuses rather than go below zero. CHECK constraints in the
database back every rule, so even a bug cannot commit a negative balance.

Cost is the moving average per product × warehouse: a receipt adds its value, an issue takes
quantity × (value / on hand), rounded to the cent, and the issue that empties the stock takes
exactly the value left, so stock value is always the sum of the moves' values."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_cost, quantize_money
from maoyi.inventory.errors import InsufficientStock, LotExpired, LotRequired
from maoyi.inventory.models import (
    Lot,
    MoveKind,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockLevel,
    StockMove,
    Warehouse,
)

ZERO = Decimal("0")
Pair = tuple[int, int]


@dataclass(frozen=True)
class Incoming:
    """Goods coming into a warehouse at a unit cost (in CNY), into a lot."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    unit_cost: Decimal
    lot_number: str = ""
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None


@dataclass(frozen=True)
class Outgoing:
    """Goods leaving a warehouse: from a named lot, or first-expiry-first-out when `lot_id` is None."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    lot_id: int | None = None


@dataclass(frozen=True)
class Hold:
    """A quantity to reserve for a document, per product × warehouse."""

    product_id: int
    warehouse_id: int
    quantity: Decimal


def _positive(quantity: Decimal) -> Decimal:
    if not isinstance(quantity, Decimal) or quantity <= 0:
        raise DomainError(_("数量必须大于零。"), code="invalid", field="quantity")
    return quantity


def lock_levels(pairs: Iterable[Pair]) -> dict[Pair, StockLevel]:
    """Create the product × warehouse rows that do not exist yet, then lock them all in one query
    ordered by (product, warehouse): concurrent postings queue here and never deadlock."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    existing = {
        (p, w)
        for p, w in StockLevel.objects.filter(
            product_id__in={p for p, _w in wanted}, warehouse_id__in={w for _p, w in wanted}
        ).values_list("product_id", "warehouse_id")
    }
    for p, w in wanted:
        if (p, w) not in existing:
            StockLevel.objects.get_or_create(product_id=p, warehouse_id=w)
    condition = Q()
    for p, w in wanted:
        condition |= Q(product_id=p, warehouse_id=w)
    rows = list(
        StockLevel.objects.select_for_update().filter(condition).order_by("product_id", "warehouse_id")
    )
    return {(r.product_id, r.warehouse_id): r for r in rows}


def _names(
    product_ids: Iterable[int], warehouse_ids: Iterable[int]
) -> tuple[dict[int, Product], dict[int, str]]:
    products = Product.objects.in_bulk(set(product_ids))
    warehouses = dict(Warehouse.objects.filter(pk__in=set(warehouse_ids)).values_list("pk", "name"))
    return products, warehouses


class _Names:
    """Products and warehouse names, read only when a refusal has to name them."""

    def __init__(self, product_ids: Iterable[int], warehouse_ids: Iterable[int]) -> None:
        self._ids = (set(product_ids), set(warehouse_ids))
        self._loaded: tuple[dict[int, Product], dict[int, str]] | None = None

    def _load(self) -> tuple[dict[int, Product], dict[int, str]]:
        if self._loaded is None:
            self._loaded = _names(*self._ids)
        return self._loaded

    def product(self, pk: int) -> Product:
        return self._load()[0][pk]

    def warehouse(self, pk: int) -> str:
        return self._load()[1][pk]


def _move(
    *,
    level: StockLevel,
    lot: Lot,
    kind: str,
    quantity: Decimal,
    value: Decimal,
    unit_cost: Decimal,
    source: DocRef,
    actor_user: Any,
    now: dt.datetime,
    reverses: StockMove | None = None,
    balance: StockBalance | None = None,
) -> StockMove:
    """Record one move and apply it to the lot balance and the product × warehouse level
    (`balance`: the lot's balance row when the caller has just read it under the level lock)."""
    if balance is None:
        balance, _created = StockBalance.objects.get_or_create(
            product_id=level.product_id, warehouse_id=level.warehouse_id, lot=lot
        )
    # The new figures are written as values, not as F() arithmetic: the rows are locked, and SQLite
    # adds decimals in floating point, so F("value") - value could land a hair below zero and trip
    # the CHECK constraint when the stock is emptied.
    StockBalance.objects.filter(pk=balance.pk).update(on_hand=balance.on_hand + quantity)
    level.on_hand += quantity
    level.value += value
    StockLevel.objects.filter(pk=level.pk).update(on_hand=level.on_hand, value=level.value)
    return StockMove.objects.create(
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        lot=lot,
        kind=kind,
        quantity=quantity,
        unit_cost=unit_cost,
        value=value,
        source_type=source.type,
        source_id=source.id,
        source_number=source.number,
        reverses=reverses,
        created_at=now,
        created_by=actor_user,
    )


def lot_for(
    product: Product,
    lot_number: str,
    *,
    production_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
) -> Lot:
    """The product's lot with this number, created on first receipt. A lot-tracked product needs a
    number; a product without lot tracking keeps everything in its lot without a number."""
    number = (lot_number or "").strip()
    if product.lot_tracked and not number:
        raise LotRequired(
            _("商品 %(product)s 实行批次管理，请填写批号。"), field="lot_number", product=product.code
        )
    if not product.lot_tracked:
        number, production_date, expiry_date = "", None, None
    if production_date and expiry_date and expiry_date < production_date:
        raise DomainError(_("有效期不能早于生产日期。"), code="invalid", field="expiry_date")
    lot, created = Lot.objects.get_or_create(
        product=product,
        lot_number=number,
        defaults={"production_date": production_date, "expiry_date": expiry_date},
    )
    if not created and expiry_date and lot.expiry_date and lot.expiry_date != expiry_date:
        raise DomainError(
            _("批号 %(lot)s 已登记的有效期为 %(expiry)s，与本次填写的不一致。"),
            code="invalid",
            field="expiry_date",
            lot=number,
            expiry=lot.expiry_date.isoformat(),
        )
    if not created and expiry_date and lot.expiry_date is None:
        Lot.objects.filter(pk=lot.pk).update(expiry_date=expiry_date, production_date=production_date)
        lot.expiry_date, lot.production_date = expiry_date, production_date
    return lot


@transaction.atomic
def receive(
    items: Sequence[Incoming], *, source: DocRef, actor: object, kind: str = MoveKind.RECEIPT
) -> list[StockMove]:
    """Goods arrive: each item goes into its lot at its unit cost and raises the moving average."""
    for item in items:
        _positive(item.quantity)
        if item.unit_cost < 0:
            raise DomainError(_("成本不能为负数。"), code="invalid", field="unit_cost")
    levels = lock_levels((i.product_id, i.warehouse_id) for i in items)
    closed = Warehouse.objects.filter(pk__in={i.warehouse_id for i in items}, is_active=False).first()
    if closed is not None:  # checked under the level locks, so a deactivation cannot slip between
        raise DomainError(
            _("仓库 %(warehouse)s 已停用，不能入库。"),
            code="invalid",
            field="warehouse",
            warehouse=closed.name,
        )
    products, _w = _names((i.product_id for i in items), ())
    user = getattr(actor, "user", actor)
    now = timezone.now()
    moves = []
    # The lots first, in (product, lot number) order: receipts into different warehouses hold
    # different level locks but may create the same new lots, and creating those in one order
    # everywhere cannot deadlock.
    lots: dict[int, Lot] = {}
    for index, item in sorted(
        enumerate(items), key=lambda e: (e[1].product_id, (e[1].lot_number or "").strip())
    ):
        lots[index] = lot_for(
            products[item.product_id],
            item.lot_number,
            production_date=item.production_date,
            expiry_date=item.expiry_date,
        )
    for index, item in sorted(enumerate(items), key=lambda e: (e[1].product_id, e[1].warehouse_id)):
        lot = lots[index]
        value = quantize_money(item.quantity * item.unit_cost)
        moves.append(
            _move(
                level=levels[(item.product_id, item.warehouse_id)],
                lot=lot,
                kind=kind,
                quantity=item.quantity,
                value=value,
                unit_cost=quantize_cost(item.unit_cost),
                source=source,
                actor_user=user,
                now=now,
            )
        )
    return moves


def _usable_on_hand(product_id: int, warehouse_id: int, *, today: dt.date) -> Decimal:
    """On hand in lots that have not expired (a lot is good through its expiry date)."""
    total = (
        StockBalance.objects.filter(product_id=product_id, warehouse_id=warehouse_id, on_hand__gt=0)
        .filter(Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today))
        .aggregate(total=Sum("on_hand"))["total"]
    )
    return total or ZERO


def _shortage(product: Product, warehouse: str, wanted: Decimal, available: Decimal) -> dict[str, str]:
    return {
        "product": f"{product.code} {product.name}",
        "warehouse": warehouse,
        "wanted": f"{wanted.normalize():f}",
        "available": f"{max(available, ZERO).normalize():f}",
    }


def _refuse_shortages(shortages: list[dict[str, str]]) -> None:
    if not shortages:
        return
    lines = "；".join(
        str(_("%(product)s 在 %(warehouse)s 需要 %(wanted)s，可用 %(available)s")) % s for s in shortages
    )
    raise InsufficientStock(_("库存不足：%(lines)s。"), lines=lines)


def _consume_reservation(level: StockLevel, source: DocRef, quantity: Decimal) -> Decimal:
    """Take `quantity` off the source's open reservation for this product × warehouse; returns how
    much was reserved for it (the rest must come from free stock)."""
    taken = ZERO
    for reservation in (
        Reservation.objects.select_for_update()
        .filter(
            product_id=level.product_id,
            warehouse_id=level.warehouse_id,
            source_type=source.type,
            source_id=source.id,
            status=ReservationStatus.OPEN,
        )
        .order_by("id")
    ):
        part = min(reservation.quantity, quantity - taken)
        if part <= 0:
            break
        left = reservation.quantity - part
        Reservation.objects.filter(pk=reservation.pk).update(
            quantity=left, status=ReservationStatus.OPEN if left > 0 else ReservationStatus.CLOSED
        )
        taken += part
    if taken:
        level.reserved -= taken
        StockLevel.objects.filter(pk=level.pk).update(reserved=level.reserved)
    return taken


@transaction.atomic
def issue(
    items: Sequence[Outgoing],
    *,
    source: DocRef,
    actor: object,
    kind: str = MoveKind.ISSUE,
    to_customer: bool = True,
    reservation: DocRef | None = None,
    today: dt.date | None = None,
) -> list[StockMove]:
    """Goods leave at the moving-average cost. Lots are taken first-expiry-first-out unless named;
    goods for a customer never come from an expired lot (`lot_expired` when one is named). Stock
    reserved for other documents is not touched; `reservation` names the document whose
    reservation this issue consumes. Refuses with `insufficient_stock`, naming every short line."""
    return issue_step(
        items,
        source=source,
        actor=actor,
        kind=kind,
        to_customer=to_customer,
        reservation=reservation,
        today=today,
    )


def issue_step(
    items: Sequence[Outgoing],
    *,
    source: DocRef,
    actor: object,
    kind: str = MoveKind.ISSUE,
    to_customer: bool = True,
    reservation: DocRef | None = None,
    today: dt.date | None = None,
    levels: dict[Pair, StockLevel] | None = None,
) -> list[StockMove]:
    """`issue` as one step of the calling service's transaction, without a savepoint of its own:
    the caller must let a refusal end its transaction, never catch it and go on writing. `levels`:
    the rows the caller locked with `lock_levels` in this transaction (and only changed through
    this ledger since), so they are not locked and read again."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_step must be called inside the document's transaction")
    for item in items:
        _positive(item.quantity)
    today = today or timezone.localdate()
    pairs = {(i.product_id, i.warehouse_id) for i in items}
    if levels is None or not pairs <= levels.keys():
        levels = lock_levels(pairs)
    names = _Names((i.product_id for i in items), (i.warehouse_id for i in items))
    # Named lots first, so a first-expiry line of the same product cannot empty a lot another line names.
    ordered = sorted(items, key=lambda i: (i.product_id, i.warehouse_id, i.lot_id is None, i.lot_id or 0))
    # First check everything, so a refusal names all short lines and changes nothing.
    if to_customer:
        named = {i.lot_id for i in ordered if i.lot_id is not None}
        for lot in Lot.objects.filter(pk__in=named, expiry_date__lt=today).select_related("product"):
            raise LotExpired(
                _("批次 %(lot)s（%(product)s）已于 %(expiry)s 过期，不能发给客户。"),
                lot=lot.lot_number,
                product=lot.product.code,
                expiry=lot.expiry_date.isoformat() if lot.expiry_date else "",
            )
    wanted: dict[Pair, Decimal] = defaultdict(lambda: ZERO)
    for item in ordered:
        wanted[(item.product_id, item.warehouse_id)] += item.quantity
    reserved_for_source: dict[Pair, Decimal] = {}
    shortages = []
    for pair, quantity in wanted.items():
        level = levels[pair]
        mine = ZERO
        if reservation is not None:
            mine = (
                Reservation.objects.filter(
                    product_id=pair[0],
                    warehouse_id=pair[1],
                    source_type=reservation.type,
                    source_id=reservation.id,
                    status=ReservationStatus.OPEN,
                ).aggregate(total=Sum("quantity"))["total"]
                or ZERO
            )
        reserved_for_source[pair] = mine
        usable = _usable_on_hand(pair[0], pair[1], today=today) if to_customer else level.on_hand
        free = usable - (level.reserved - mine)
        if quantity > free:
            shortages.append(_shortage(names.product(pair[0]), names.warehouse(pair[1]), quantity, free))
    _refuse_shortages(shortages)
    user = getattr(actor, "user", actor)
    now = timezone.now()
    moves: list[StockMove] = []
    for pair in wanted:
        if reservation is not None and reserved_for_source[pair] > 0:
            _consume_reservation(levels[pair], reservation, min(wanted[pair], reserved_for_source[pair]))
    for item in ordered:
        level = levels[(item.product_id, item.warehouse_id)]
        for lot, quantity, balance in _pick_lots(item, names, to_customer=to_customer, today=today):
            moves.append(
                _take(level, lot, quantity, kind=kind, source=source, user=user, now=now, balance=balance)
            )
    return moves


def _pick_lots(
    item: Outgoing, names: _Names, *, to_customer: bool, today: dt.date
) -> list[tuple[Lot, Decimal, StockBalance]]:
    """The lots to take from, with how much and their balance rows (read under the level lock)."""
    balances = StockBalance.objects.filter(
        product_id=item.product_id, warehouse_id=item.warehouse_id, on_hand__gt=0
    ).select_related("lot")
    if item.lot_id is not None:
        balance = balances.filter(lot_id=item.lot_id).first()
        lot = (
            balance.lot if balance else Lot.objects.filter(pk=item.lot_id, product_id=item.product_id).first()
        )
        if lot is None:
            raise DomainError(_("批次不属于这个商品。"), code="invalid", field="lot")
        if to_customer and lot.expiry_date is not None and lot.expiry_date < today:
            raise LotExpired(
                _("批次 %(lot)s（%(product)s）已于 %(expiry)s 过期，不能发给客户。"),
                lot=lot.lot_number,
                product=names.product(item.product_id).code,
                expiry=lot.expiry_date.isoformat(),
            )
        on_hand = balance.on_hand if balance else ZERO
        if balance is None or on_hand < item.quantity:
            raise InsufficientStock(
                _("批次 %(lot)s（%(product)s）只有 %(available)s，需要 %(wanted)s。"),
                lot=lot.lot_number or "—",
                product=names.product(item.product_id).code,
                available=f"{on_hand.normalize():f}",
                wanted=f"{item.quantity.normalize():f}",
            )
        return [(lot, item.quantity, balance)]
    if to_customer:
        balances = balances.filter(Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today))
    picked: list[tuple[Lot, Decimal, StockBalance]] = []
    left = item.quantity
    for balance in balances.order_by(F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number", "lot_id"):
        part = min(balance.on_hand, left)
        picked.append((balance.lot, part, balance))
        left -= part
        if left <= 0:
            break
    if left > 0:  # the totals were checked under the lock; only a lot-level race could get here
        raise InsufficientStock()
    return picked


def _take(
    level: StockLevel,
    lot: Lot,
    quantity: Decimal,
    *,
    kind: str,
    source: DocRef,
    user: object,
    now: dt.datetime,
    balance: StockBalance | None = None,
) -> StockMove:
    """One outgoing move at the moving-average cost; emptying the stock takes exactly the value left."""
    average = level.value / level.on_hand if level.on_hand else ZERO
    value = level.value if quantity == level.on_hand else min(quantize_money(quantity * average), level.value)
    return _move(
        level=level,
        lot=lot,
        kind=kind,
        quantity=-quantity,
        value=-value,
        unit_cost=quantize_cost(average),
        source=source,
        actor_user=user,
        now=now,
        balance=balance,
    )


@transaction.atomic
def reserve(
    holds: Sequence[Hold], *, source: DocRef, actor: object, today: dt.date | None = None
) -> list[Reservation]:
    """Hold stock for a document (an approved sales order). What may be reserved is the unexpired
    on hand less what is already reserved, checked under the product × warehouse lock; a refusal
    names every short line and reserves nothing."""
    return reserve_step(holds, source=source, actor=actor, today=today)


def reserve_step(
    holds: Sequence[Hold], *, source: DocRef, actor: object, today: dt.date | None = None
) -> list[Reservation]:
    """`reserve` as one step of the calling service's transaction, without a savepoint of its own:
    the caller must let a refusal end its transaction, never catch it and go on writing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_step must be called inside the document's transaction")
    for hold in holds:
        _positive(hold.quantity)
    today = today or timezone.localdate()
    levels = lock_levels((h.product_id, h.warehouse_id) for h in holds)
    names = _Names((h.product_id for h in holds), (h.warehouse_id for h in holds))
    wanted: dict[Pair, Decimal] = defaultdict(lambda: ZERO)
    for hold in holds:
        wanted[(hold.product_id, hold.warehouse_id)] += hold.quantity
    shortages = []
    for pair, quantity in sorted(wanted.items()):
        free = _usable_on_hand(*pair, today=today) - levels[pair].reserved
        if quantity > free:
            shortages.append(_shortage(names.product(pair[0]), names.warehouse(pair[1]), quantity, free))
    _refuse_shortages(shortages)
    now = timezone.now()
    made = []
    for pair, quantity in sorted(wanted.items()):
        levels[pair].reserved += quantity
        StockLevel.objects.filter(pk=levels[pair].pk).update(reserved=levels[pair].reserved)
        made.append(
            Reservation.objects.create(
                product_id=pair[0],
                warehouse_id=pair[1],
                quantity=quantity,
                original_quantity=quantity,
                source_type=source.type,
                source_id=source.id,
                source_number=source.number,
                created_at=now,
            )
        )
    return made


@transaction.atomic
def release(source: DocRef, *, actor: object) -> Decimal:
    """Give back whatever is still reserved for a document (unapproved or cancelled order)."""
    open_rows = list(
        Reservation.objects.filter(
            source_type=source.type, source_id=source.id, status=ReservationStatus.OPEN
        )
    )
    levels = lock_levels((r.product_id, r.warehouse_id) for r in open_rows)
    released = ZERO
    for reservation in Reservation.objects.select_for_update().filter(
        pk__in=[r.pk for r in open_rows], status=ReservationStatus.OPEN
    ):
        level = levels[(reservation.product_id, reservation.warehouse_id)]
        level.reserved -= reservation.quantity
        StockLevel.objects.filter(pk=level.pk).update(reserved=level.reserved)
        Reservation.objects.filter(pk=reservation.pk).update(quantity=ZERO, status=ReservationStatus.CLOSED)
        released += reservation.quantity
    return released


@transaction.atomic
def transfer(
    items: Sequence[Outgoing], *, to_warehouse_id: int, source: DocRef, actor: object
) -> list[StockMove]:
    """Move goods between warehouses: out of the source at its moving-average cost, into the
    destination in the same lots with the same value."""
    if any(i.warehouse_id == to_warehouse_id for i in items):
        raise DomainError(_("调出和调入不能是同一个仓库。"), code="invalid", field="to_warehouse")
    pairs = [(i.product_id, i.warehouse_id) for i in items] + [(i.product_id, to_warehouse_id) for i in items]
    levels = lock_levels(pairs)
    out = issue(items, source=source, actor=actor, kind=MoveKind.TRANSFER_OUT, to_customer=False)
    user = getattr(actor, "user", actor)
    now = timezone.now()
    moves = list(out)
    for move in out:
        moves.append(
            _move(
                level=levels[(move.product_id, to_warehouse_id)],
                lot=move.lot,
                kind=MoveKind.TRANSFER_IN,
                quantity=-move.quantity,
                value=-move.value,
                unit_cost=move.unit_cost,
                source=source,
                actor_user=user,
                now=now,
            )
        )
    return moves


@transaction.atomic
def adjust(
    *, product_id: int, warehouse_id: int, lot: Lot, quantity: Decimal, source: DocRef, actor: object
) -> StockMove:
    """Post a stocktake difference: a gain at the current average cost (the purchase price when
    nothing is in stock), a loss from that lot at the average cost."""
    if quantity == 0:
        raise DomainError(_("差异为零，无需过账。"), code="invalid", field="quantity")
    level = lock_levels([(product_id, warehouse_id)])[(product_id, warehouse_id)]
    user = getattr(actor, "user", actor)
    now = timezone.now()
    if quantity > 0:
        product = Product.objects.get(pk=product_id)
        cost = level.value / level.on_hand if level.on_hand else product.purchase_price
        return _move(
            level=level,
            lot=lot,
            kind=MoveKind.STOCKTAKE_GAIN,
            quantity=quantity,
            value=quantize_money(quantity * cost),
            unit_cost=quantize_cost(cost),
            source=source,
            actor_user=user,
            now=now,
        )
    loss = -quantity
    on_lot = (
        StockBalance.objects.filter(product_id=product_id, warehouse_id=warehouse_id, lot=lot)
        .values_list("on_hand", flat=True)
        .first()
        or ZERO
    )
    if loss > on_lot or level.on_hand - loss < level.reserved:
        products, warehouses = _names([product_id], [warehouse_id])
        free = min(on_lot, level.on_hand - level.reserved)
        _refuse_shortages([_shortage(products[product_id], warehouses[warehouse_id], loss, free)])
    return _take(level, lot, loss, kind=MoveKind.STOCKTAKE_LOSS, source=source, user=user, now=now)


@transaction.atomic
def reverse(original: DocRef, *, reversal: DocRef, actor: object) -> list[StockMove]:
    """红冲: post the opposite of every move of `original` at its original cost. Refused when goods
    that came in have already gone out (the stock would go below zero or below what is reserved).
    A reversal never leaves value without quantity, or a negative value: when the average moved
    since, the reversing move takes the value that is left."""
    moves = list(
        StockMove.objects.filter(
            source_type=original.type, source_id=original.id, reverses__isnull=True, reversed_by__isnull=True
        ).select_related("lot", "product", "warehouse")
    )
    if not moves:
        raise DomainError(
            _("单据 %(number)s 没有可红冲的库存流水。"), code="invalid_state", number=original.number
        )
    levels = lock_levels((m.product_id, m.warehouse_id) for m in moves)
    net: dict[tuple[int, int, int], Decimal] = defaultdict(lambda: ZERO)
    for move in moves:
        net[(move.product_id, move.warehouse_id, move.lot_id)] += move.quantity
    shortages = []
    need: dict[Pair, Decimal] = defaultdict(lambda: ZERO)
    short_pairs: set[Pair] = set()
    for (product_id, warehouse_id, lot_id), quantity in sorted(net.items()):
        if quantity <= 0:
            continue
        need[(product_id, warehouse_id)] += quantity
        level = levels[(product_id, warehouse_id)]
        on_lot = (
            StockBalance.objects.filter(product_id=product_id, warehouse_id=warehouse_id, lot_id=lot_id)
            .values_list("on_hand", flat=True)
            .first()
            or ZERO
        )
        free = min(on_lot, level.on_hand - level.reserved)
        if quantity > free:
            move = next(m for m in moves if m.lot_id == lot_id and m.warehouse_id == warehouse_id)
            shortages.append(_shortage(move.product, move.warehouse.name, quantity, free))
            short_pairs.add((product_id, warehouse_id))
    # Lots that each fit may together still take the product × warehouse below what is reserved.
    for pair, quantity in sorted(need.items()):
        free = levels[pair].on_hand - levels[pair].reserved
        if pair not in short_pairs and quantity > free:
            move = next(m for m in moves if (m.product_id, m.warehouse_id) == pair)
            shortages.append(_shortage(move.product, move.warehouse.name, quantity, free))
    if shortages:
        lines = "；".join(
            str(_("%(product)s 在 %(warehouse)s 需要 %(wanted)s，现存 %(available)s")) % s for s in shortages
        )
        raise InsufficientStock(_("货物已出库，不能红冲：%(lines)s。"), lines=lines)
    user = getattr(actor, "user", actor)
    now = timezone.now()
    posted = []
    for move in sorted(moves, key=lambda m: (m.quantity < 0, m.product_id, m.warehouse_id, m.id)):
        level = levels[(move.product_id, move.warehouse_id)]
        value = -move.value
        taking_out = move.quantity > 0
        if taking_out and (level.on_hand == move.quantity or -value > level.value):
            value = -level.value
        posted.append(
            _move(
                level=level,
                lot=move.lot,
                kind=MoveKind.REVERSAL,
                quantity=-move.quantity,
                value=value,
                unit_cost=move.unit_cost,
                source=reversal,
                actor_user=user,
                now=now,
                reverses=move,
            )
        )
    return posted
