"""Stock pages (read only): availability lookup, balances, move history, lots and their expiry, low
stock and the trace of a lot.

Stock is company data: each page needs its model permission (403 without it). Cost and value are
shown only to users who may see stock moves (`inventory.view_stockmove`): a salesperson looks up
what is available, never what it cost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy

from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import Product
from maoyi.core.tabular import Kind
from maoyi.inventory import selectors
from maoyi.inventory.models import Lot, MoveKind, Warehouse
from maoyi.sales import shipping_selectors
from maoyi.web.common import or_404
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.lists import PAGE_SIZES, paginate

COST_PERMISSION = "inventory.view_stockmove"
SHIPMENTS_PERMISSION = "sales.view_shipment"
SEARCH_LIMIT = 20
DEFAULT_EXPIRY_WINDOW = 90
LOT_STATES = ("expiring", "expired")


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


def _warehouse(request: HttpRequest) -> tuple[Warehouse | None, Any]:
    """The warehouse named by ?warehouse= (ignored when unknown) and the choices for the filter."""
    choices = selectors.warehouses()
    pk = _id(request.GET.get("warehouse"))
    return (choices.filter(pk=pk).first() if pk else None), choices


def _product(request: HttpRequest) -> Product | None:
    """The product named by ?product= (a link from another page); 404 when it does not exist."""
    pk = _id(request.GET.get("product"))
    if pk is None:
        return None
    return or_404(catalog_selectors.product, pk)


def _lot(request: HttpRequest) -> Lot | None:
    """The lot named by ?lot= (a link from the lot trace); 404 when it does not exist."""
    pk = _id(request.GET.get("lot"))
    if pk is None:
        return None
    return or_404(selectors.lot_detail, pk)


# 库存查询 ------------------------------------------------------------------------------------------


@permission_required("inventory.view_stockbalance", raise_exception=True)
def availability(request: HttpRequest) -> HttpResponse:
    """Type a code, a name or pinyin initials; one match (or a chosen one) shows its stock per
    warehouse, several show a short list with their totals to choose from."""
    search = request.GET.get("q", "").strip()
    product = _product(request)
    matches: list[tuple[Product, selectors.Availability]] = []
    more = False
    if product is None and search:
        found = list(selectors.search_products(search)[: SEARCH_LIMIT + 1])
        more = len(found) > SEARCH_LIMIT
        found = found[:SEARCH_LIMIT]
        if len(found) == 1:
            product = found[0]
        else:
            totals = selectors.availability_totals([p.pk for p in found])
            matches = [(p, totals[p.pk]) for p in found]
    context = {
        "q": search,
        "product": product,
        "stock": selectors.availability(product) if product is not None else None,
        "matches": matches,
        "more": more,
        "limit": SEARCH_LIMIT,
    }
    return render(request, "web/inventory/availability.html", context)


# 库存余额 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceLine:
    row: selectors.ValuedBalance
    subtotal: selectors.GroupTotal | None  # after the last row of a product × warehouse with several lots


def _with_subtotals(
    rows: list[selectors.ValuedBalance], groups: dict[tuple[int, int], selectors.GroupTotal], grouped: bool
) -> list[BalanceLine]:
    lines = []
    for i, row in enumerate(rows):
        pair = (row.balance.product_id, row.balance.warehouse_id)
        following = rows[i + 1] if i + 1 < len(rows) else None
        last = following is None or (following.balance.product_id, following.balance.warehouse_id) != pair
        group = groups.get(pair)
        show = grouped and last and group is not None and group.rows > 1
        lines.append(BalanceLine(row=row, subtotal=group if show else None))
    return lines


# The list's columns in its Excel export (导出), as on screen; rows are `selectors.valued` ones.
BALANCE_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), key="balance.product.code"),
    ExportColumn(gettext_lazy("商品"), key="balance.product.name"),
    ExportColumn(gettext_lazy("规格"), key="balance.product.specification"),
    ExportColumn(gettext_lazy("仓库"), key="balance.warehouse.name"),
    ExportColumn(gettext_lazy("批号"), getter=lambda row: str(row.balance.lot)),
    ExportColumn(gettext_lazy("有效期至"), key="balance.lot.expiry_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("现存量"), key="balance.on_hand", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("单位"), key="balance.product.unit"),
]
BALANCE_COST_COLUMNS = [
    ExportColumn(gettext_lazy("平均单位成本"), key="unit_cost", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("金额"), key="value", kind=Kind.MONEY),
]


@permission_required("inventory.view_stockbalance", raise_exception=True)
def balance_list(request: HttpRequest) -> HttpResponse:
    see_cost = request.user.has_perm(COST_PERMISSION)
    search = request.GET.get("q", "").strip()
    product = _product(request)
    warehouse, warehouses = _warehouse(request)
    include_expired = request.GET.get("expired") == "1"
    ordering = request.GET.get("o", "")
    if ordering.lstrip("-") == "value" and not see_cost:
        ordering = ""  # sorting by value would tell the cost
    today = timezone.localdate()
    qs = selectors.balance_list(
        product=product,
        warehouse=warehouse,
        search=search,
        include_expired=include_expired,
        ordering=ordering,
        today=today,
    )
    if wants_xlsx(request):
        columns = BALANCE_COLUMNS + (BALANCE_COST_COLUMNS if see_cost else [])
        return xlsx_response(request, qs, columns, gettext_lazy("库存余额"), prepare=selectors.valued)
    listing = paginate(request, qs, ordering=ordering)
    page_pairs = {(row.product_id, row.warehouse_id) for row in listing.page.object_list}
    totals = selectors.balance_totals(qs, pairs=page_pairs)
    grouped = ordering.lstrip("-") in ("", "product", "warehouse")
    context = {
        "listing": listing,
        "lines": _with_subtotals(selectors.valued(listing.page.object_list), totals.groups, grouped),
        "totals": totals,
        "see_cost": see_cost,
        "q": search,
        "product": product,
        "warehouse": warehouse,
        "warehouses": warehouses,
        "include_expired": include_expired,
        "today": today,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or product or warehouse or include_expired),
    }
    return render(request, "web/inventory/balance_list.html", context)


# 库存流水 ------------------------------------------------------------------------------------------


def _operator(move: Any) -> str:
    user = move.created_by
    employee = getattr(user, "employee", None) if user is not None else None
    return employee.name if employee is not None else (user.username if user is not None else "")


# The list's columns in its Excel export (导出), as on screen.
MOVE_COLUMNS = [
    ExportColumn(gettext_lazy("时间"), key="created_at", kind=Kind.DATETIME),
    ExportColumn(gettext_lazy("类型"), key="get_kind_display"),
    ExportColumn(gettext_lazy("来源单据"), key="source_number"),
    ExportColumn(gettext_lazy("商品编码"), key="product.code"),
    ExportColumn(gettext_lazy("商品"), key="product.name"),
    ExportColumn(gettext_lazy("仓库"), key="warehouse.name"),
    ExportColumn(gettext_lazy("批号"), getter=lambda m: str(m.lot) if m.lot_id else ""),
    ExportColumn(gettext_lazy("数量"), key="quantity", kind=Kind.QUANTITY),
]
MOVE_COST_COLUMNS = [
    ExportColumn(gettext_lazy("单位成本"), key="unit_cost", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("金额"), key="value", kind=Kind.MONEY),
]
MOVE_OPERATOR_COLUMN = ExportColumn(gettext_lazy("操作人"), getter=_operator)


@permission_required("inventory.view_stockmove", raise_exception=True)
def move_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    product = _product(request)
    warehouse, warehouses = _warehouse(request)
    lot = _lot(request)
    lot_number = request.GET.get("lot_number", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in MoveKind.values else ""
    source = request.GET.get("source", "").strip()
    date_from = _date(request.GET.get("date_from"))
    date_to = _date(request.GET.get("date_to"))
    qs = selectors.move_history(
        product=product,
        product_search=search,
        warehouse=warehouse,
        lot=lot,
        lot_number=lot_number,
        kind=kind,
        source_number=source,
        date_from=date_from,
        date_to=date_to,
    )
    see_cost = request.user.has_perm(COST_PERMISSION)
    if wants_xlsx(request):
        columns = [*MOVE_COLUMNS, *(MOVE_COST_COLUMNS if see_cost else []), MOVE_OPERATOR_COLUMN]
        return xlsx_response(request, qs, columns, gettext_lazy("库存流水"))
    context = {
        "listing": paginate(request, qs),
        "see_cost": see_cost,
        "q": search,
        "product": product,
        "warehouse": warehouse,
        "warehouses": warehouses,
        "lot": lot,
        "lot_number": lot_number,
        "kind": kind,
        "kinds": MoveKind.choices,
        "source": source,
        "date_from": date_from,
        "date_to": date_to,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(
            search or product or warehouse or lot or lot_number or kind or source or date_from or date_to
        ),
    }
    return render(request, "web/inventory/move_list.html", context)


# 批次效期 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotLine:
    lot: Lot
    state: str  # expired | near | ok | none
    days_left: int | None

    @property
    def days_overdue(self) -> int:
        return -(self.days_left or 0)


LOT_STATE_LABELS = {
    "expired": gettext_lazy("已过期"),
    "near": gettext_lazy("即将到期"),
    "ok": gettext_lazy("未到期"),
    "none": gettext_lazy("无有效期"),
}

# The list's columns in its Excel export (导出), as on screen; rows are `LotLine`s.
LOT_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), key="lot.product.code"),
    ExportColumn(gettext_lazy("商品"), key="lot.product.name"),
    ExportColumn(gettext_lazy("规格"), key="lot.product.specification"),
    ExportColumn(gettext_lazy("批号"), getter=lambda line: str(line.lot)),
    ExportColumn(gettext_lazy("生产日期"), key="lot.production_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("有效期至"), key="lot.expiry_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("效期状态"), getter=lambda line: LOT_STATE_LABELS.get(line.state, "")),
    ExportColumn(gettext_lazy("剩余天数"), key="days_left", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("现存量"), key="lot.on_hand", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("单位"), key="lot.product.unit"),
]


def _lot_lines(lots: Any, *, today: dt.date, days: int) -> list[LotLine]:
    lines = []
    for lot in lots:
        lot_state, days_left = selectors.expiry_state(lot.expiry_date, today=today, within_days=days)
        lines.append(LotLine(lot=lot, state=lot_state, days_left=days_left))
    return lines


@permission_required("inventory.view_lot", raise_exception=True)
def lot_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    state = state if state in LOT_STATES else ""
    days = _id(request.GET.get("days"))
    days = days if days is not None and 0 < days <= 3650 else DEFAULT_EXPIRY_WINDOW
    ordering = request.GET.get("o", "")
    today = timezone.localdate()
    qs = selectors.lot_list(state=state, within_days=days, search=search, ordering=ordering, today=today)
    if wants_xlsx(request):
        rows_of = partial(_lot_lines, today=today, days=days)
        return xlsx_response(request, qs, LOT_COLUMNS, gettext_lazy("批次效期"), prepare=rows_of)
    listing = paginate(request, qs, ordering=ordering)
    lines = _lot_lines(listing.page.object_list, today=today, days=days)
    context = {
        "listing": listing,
        "lines": lines,
        "q": search,
        "state": state,
        "days": days,
        "today": today,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or state or days != DEFAULT_EXPIRY_WINDOW),
    }
    return render(request, "web/inventory/lot_list.html", context)


@permission_required("inventory.view_lot", raise_exception=True)
def lot_trace(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        lot = selectors.lot_detail(pk)
    except Lot.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    state, days_left = selectors.expiry_state(lot.expiry_date, today=today, within_days=DEFAULT_EXPIRY_WINDOW)
    stock = list(selectors.lot_stock(lot))
    context = {
        "lot": lot,
        "state": state,
        "days_left": days_left,
        "rows": selectors.lot_trace_rows(lot),
        "stock": stock,
        "on_hand": sum((b.on_hand for b in stock), selectors.ZERO),
        # Who received the lot (a recall's list), for those who may follow shipments; None hides it.
        "recipients": (
            shipping_selectors.lot_customers(request.user, lot)
            if request.user.has_perm(SHIPMENTS_PERMISSION)
            else None
        ),
    }
    return render(request, "web/inventory/lot_trace.html", context)


# 低库存 --------------------------------------------------------------------------------------------


def _low_stock_rows(products: list[Product]) -> list[tuple[Product, Any]]:
    coming = selectors.incoming_totals(p.pk for p in products)
    return [(p, coming.get(p.pk, selectors.ZERO)) for p in products]


# The list's columns in its Excel export (导出), as on screen; rows are (product, incoming).
LOW_STOCK_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=lambda r: r[0].code),
    ExportColumn(gettext_lazy("商品名称"), getter=lambda r: r[0].name),
    ExportColumn(gettext_lazy("规格型号"), getter=lambda r: r[0].specification),
    ExportColumn(gettext_lazy("单位"), getter=lambda r: r[0].unit),
    ExportColumn(gettext_lazy("现存量"), getter=lambda r: r[0].on_hand, kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("最低库存"), getter=lambda r: r[0].min_stock, kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("缺口"), getter=lambda r: r[0].shortfall, kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("在途量"), getter=lambda r: r[1], kind=Kind.QUANTITY),
]


@permission_required("inventory.view_lot", raise_exception=True)
def low_stock(request: HttpRequest) -> HttpResponse:
    qs = selectors.low_stock_list()
    if wants_xlsx(request):
        return xlsx_response(request, qs, LOW_STOCK_COLUMNS, gettext_lazy("低库存"), prepare=_low_stock_rows)
    listing = paginate(request, qs)
    context = {
        "listing": listing,
        "rows": _low_stock_rows(list(listing.page.object_list)),
        "page_sizes": PAGE_SIZES,
    }
    return render(request, "web/inventory/low_stock.html", context)
