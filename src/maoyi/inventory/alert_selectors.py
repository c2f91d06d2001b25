"""Stock alert reports (报表): 批次效期 (lots expiring within N days) and 低库存及在途 (products below
their minimum stock, with what is available and on its way). Stock is company data: no data scope;
the pages decide who sees values.

批次效期, per product × warehouse × lot with stock whose expiry date falls from today through today + N
days (both included; lots already expired are the 过期 list's business, not this one):
- days left (剩余天数) = expiry date − today;
- value (金额) = the lot's share of its product × warehouse stock value at the moving-average cost
  (`selectors.lot_value`, as the stock balances page values it).
Rows by expiry date, then product code, warehouse code and lot number; totals of on hand and value.

低库存及在途: the active products of `selectors.low_stock()` (total on hand over the warehouses below
their minimum stock), each with `selectors.availability_totals` (over the active warehouses):
available, incoming (on order, not yet received) and the earliest expected date; shortage (缺口) =
minimum stock − on hand. Rows by product code; totals of the quantity columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from maoyi.core.money import quantize_quantity
from maoyi.inventory import selectors
from maoyi.inventory.report_selectors import product_filter

ZERO = Decimal("0")
DEFAULT_EXPIRY_DAYS = 90


# 批次效期 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringRow:
    product_id: int | None
    product_code: str
    product_name: str
    unit: str
    warehouse: str
    lot_id: int | None
    lot_number: str
    expiry_date: dt.date | None
    days_left: int | None
    on_hand: Decimal
    value: Decimal


@dataclass(frozen=True)
class ExpiringReport:
    on: dt.date
    days: int
    rows: list[ExpiringRow]
    total: ExpiringRow


def expiring_lots(
    *,
    days: int = DEFAULT_EXPIRY_DAYS,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    search: str = "",
    today: dt.date | None = None,
) -> ExpiringReport:
    """批次效期: the lots with stock expiring within `days` (negative: the default) of `today`."""
    today = today or timezone.localdate()
    days = days if days >= 0 else DEFAULT_EXPIRY_DAYS
    qs = (
        selectors.balances()
        .filter(lot__expiry_date__gte=today, lot__expiry_date__lte=today + dt.timedelta(days=days))
        .filter(product_filter("product__", category_id=category_id, search=search))
    )
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    qs = qs.order_by("lot__expiry_date", "product__code", "warehouse__code", "lot__lot_number", "id")
    rows = []
    for b in qs:
        expiry = b.lot.expiry_date
        rows.append(
            ExpiringRow(
                product_id=b.product_id,
                product_code=b.product.code,
                product_name=b.product.name,
                unit=b.product.unit,
                warehouse=b.warehouse.name,
                lot_id=b.lot_id,
                lot_number=b.lot.lot_number,
                expiry_date=expiry,
                days_left=(expiry - today).days if expiry else None,
                on_hand=b.on_hand,
                value=selectors.lot_value(b.on_hand, b.level_value, b.level_on_hand),  # type: ignore[attr-defined]
            )
        )
    total = ExpiringRow(
        product_id=None,
        product_code="",
        product_name="",
        unit="",
        warehouse="",
        lot_id=None,
        lot_number="",
        expiry_date=None,
        days_left=None,
        on_hand=sum((r.on_hand for r in rows), ZERO),
        value=sum((r.value for r in rows), ZERO),
    )
    return ExpiringReport(on=today, days=days, rows=rows, total=total)


# 低库存及在途 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LowStockRow:
    product_id: int | None
    product_code: str
    product_name: str
    unit: str
    min_stock: Decimal
    on_hand: Decimal
    available: Decimal
    incoming: Decimal
    expected_date: dt.date | None

    @property
    def shortage(self) -> Decimal:
        return max(self.min_stock - self.on_hand, ZERO)


@dataclass(frozen=True)
class LowStockReport:
    rows: list[LowStockRow]
    total: LowStockRow


def low_stock_report(
    *, category_id: int | None = None, search: str = "", today: dt.date | None = None
) -> LowStockReport:
    """低库存及在途 rows and their total (the earliest expected date of all)."""
    products = list(selectors.low_stock().filter(product_filter("", category_id=category_id, search=search)))
    figures = selectors.availability_totals([p.pk for p in products], today=today)
    rows = [
        LowStockRow(
            product_id=p.pk,
            product_code=p.code,
            product_name=p.name,
            unit=p.unit,
            min_stock=p.min_stock,
            on_hand=quantize_quantity(Decimal(p.on_hand)),  # type: ignore[attr-defined]
            available=figures[p.pk].available,
            incoming=figures[p.pk].incoming,
            expected_date=figures[p.pk].expected_date,
        )
        for p in products
    ]
    dates = [r.expected_date for r in rows if r.expected_date is not None]
    total = LowStockRow(
        product_id=None,
        product_code="",
        product_name="",
        unit="",
        min_stock=sum((r.min_stock for r in rows), ZERO),
        on_hand=sum((r.on_hand for r in rows), ZERO),
        available=sum((r.available for r in rows), ZERO),
        incoming=sum((r.incoming for r in rows), ZERO),
        expected_date=min(dates) if dates else None,
    )
    return LowStockReport(rows=rows, total=total)
