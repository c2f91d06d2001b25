"""Report pages (报表): 销售统计, 毛利分析, 库存报表 and 收发存汇总. Each has a filter form (GET), a table
with its totals row and an empty state, and 导出 Excel (`?format=xlsx`) answering exactly that table,
the totals row last. The figures come from one selector each (sales and profit scoped by the data
scope in `maoyi.sales.report_selectors`; stock in `maoyi.inventory.report_selectors`).

Permissions (403 without): the sales report needs `sales.view_salesorder`; the profit report also
`inventory.view_stockmove` (who may see what goods cost); the stock reports
`inventory.view_stockbalance`, their value columns only shown with `inventory.view_stockmove`."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy

from maoyi.core.tabular import Kind
from maoyi.crm import selectors as customer_selectors
from maoyi.inventory import report_selectors as stock_reports
from maoyi.inventory import selectors as inventory_selectors
from maoyi.org import selectors as org_selectors
from maoyi.sales import report_selectors as sales_reports
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response

SALES_PERMISSION = "sales.view_salesorder"
COST_PERMISSION = "inventory.view_stockmove"
STOCK_PERMISSION = "inventory.view_stockbalance"
# Query parameters that only say how to show or export the table, not what it selects.
NOT_FILTERS = frozenset({"by", "format"})

SALES_GROUP_LABELS = {
    "salesperson": gettext_lazy("按业务员"),
    "team": gettext_lazy("按部门"),
    "customer": gettext_lazy("按客户"),
    "product": gettext_lazy("按商品"),
    "month": gettext_lazy("按月份"),
}
SALES_GROUP_HEADERS = {
    "salesperson": gettext_lazy("业务员"),
    "team": gettext_lazy("部门"),
    "customer": gettext_lazy("客户"),
    "product": gettext_lazy("商品"),
    "month": gettext_lazy("月份"),
}
PROFIT_GROUP_LABELS = {
    "order": gettext_lazy("按订单"),
    "customer": gettext_lazy("按客户"),
    "salesperson": gettext_lazy("按业务员"),
    "month": gettext_lazy("按月份"),
}
PROFIT_GROUP_HEADERS = {
    "order": gettext_lazy("订单"),
    "customer": gettext_lazy("客户"),
    "salesperson": gettext_lazy("业务员"),
    "month": gettext_lazy("月份"),
}
TOTAL = gettext_lazy("合计")


# Parameters ------------------------------------------------------------------------------------------


def _id(request: HttpRequest, name: str) -> int | None:
    text = request.GET.get(name, "").strip()
    return int(text) if text.isdigit() else None


def _date(request: HttpRequest, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return None


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?from= and ?to= (the dates bound the period, both included); this month by default."""
    today = timezone.localdate()
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return _date(request, "from") or first, _date(request, "to") or last


def _filtered(request: HttpRequest) -> bool:
    """The user chose something (then an empty table reads "没有符合条件的…")."""
    return any(request.GET.get(key, "").strip() for key in request.GET if key not in NOT_FILTERS)


def _with_total(rows: list[Any], total: Any) -> list[Any]:
    """What the export writes: the table's rows and its totals row (none for an empty table)."""
    return [*rows, total] if rows else []


def _label_or_total(row: Any) -> str:
    return row.label if row.key is not None else str(TOTAL)


# 销售统计 ----------------------------------------------------------------------------------------------


def _sales_columns(by: str) -> list[ExportColumn]:
    return [
        ExportColumn(SALES_GROUP_HEADERS[by], getter=_label_or_total),
        ExportColumn(gettext_lazy("订单数"), key="orders", kind=Kind.NUMBER),
        ExportColumn(gettext_lazy("数量"), key="quantity", kind=Kind.QUANTITY),
        ExportColumn(gettext_lazy("金额（含税）"), key="amount", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("不含税金额"), key="amount_ex_tax", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("税额"), key="tax", kind=Kind.MONEY),
    ]


@permission_required(SALES_PERMISSION, raise_exception=True)
def sales_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    date_from, date_to = _period(request)
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "department_id": _id(request, "department"),
        "owner_id": _id(request, "owner"),
        "customer_id": _id(request, "customer"),
        "warehouse_id": _id(request, "warehouse"),
        "product_search": request.GET.get("product", "").strip(),
    }
    report = sales_reports.sales_summary(user, by=request.GET.get("by", ""), **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total),
            _sales_columns(report.by),
            gettext_lazy("销售统计"),
        )
    context = {
        "report": report,
        "header": SALES_GROUP_HEADERS[report.by],
        "groupings": list(SALES_GROUP_LABELS.items()),
        "filters": filters,
        "departments": org_selectors.department_choices(user),
        "salespeople": org_selectors.employees(user).order_by("name"),
        "customers": customer_selectors.customers(user).order_by("pinyin", "id"),
        "warehouses": inventory_selectors.warehouses(),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/sales.html", context)


# 毛利分析 ----------------------------------------------------------------------------------------------


def _margin_fraction(row: Any) -> Decimal | None:
    margin = row.profit.margin
    return None if margin is None else margin / 100


def _profit_columns(by: str) -> list[ExportColumn]:
    return [
        ExportColumn(PROFIT_GROUP_HEADERS[by], getter=_label_or_total),
        ExportColumn(gettext_lazy("收入（不含税）"), key="profit.revenue", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("成本"), key="profit.cost", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("毛利"), key="profit.profit", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("毛利率"), getter=_margin_fraction, kind=Kind.PERCENT),
    ]


@permission_required([SALES_PERMISSION, COST_PERMISSION], raise_exception=True)
def profit_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    date_from, date_to = _period(request)
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "customer_id": _id(request, "customer"),
        "owner_id": _id(request, "owner"),
    }
    report = sales_reports.profit_report(user, by=request.GET.get("by", ""), **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total_row),
            _profit_columns(report.by),
            gettext_lazy("毛利分析"),
        )
    context = {
        "report": report,
        "header": PROFIT_GROUP_HEADERS[report.by],
        "groupings": list(PROFIT_GROUP_LABELS.items()),
        "filters": filters,
        "salespeople": org_selectors.employees(user).order_by("name"),
        "customers": customer_selectors.customers(user).order_by("pinyin", "id"),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/profit.html", context)


# 库存报表 ----------------------------------------------------------------------------------------------


def _stock_label(row: Any) -> str:
    return row.product_code if row.product_id is not None else str(TOTAL)


STOCK_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=_stock_label),
    ExportColumn(gettext_lazy("商品名称"), key="product_name"),
    ExportColumn(gettext_lazy("单位"), key="unit"),
    ExportColumn(gettext_lazy("仓库"), key="warehouse"),
    ExportColumn(gettext_lazy("现存量"), key="on_hand", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("预留"), key="reserved", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("可用"), key="available", kind=Kind.QUANTITY),
]
STOCK_VALUE_COLUMNS = [ExportColumn(gettext_lazy("金额"), key="value", kind=Kind.MONEY)]


def _stock_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "warehouse_id": _id(request, "warehouse"),
        "category_id": _id(request, "category"),
        "search": request.GET.get("q", "").strip(),
    }


def _stock_choices() -> dict[str, Any]:
    return {
        "warehouses": inventory_selectors.warehouses(),
        "categories": inventory_selectors.active_categories(),
    }


@permission_required(STOCK_PERMISSION, raise_exception=True)
def stock_report(request: HttpRequest) -> HttpResponse:
    see_value = request.user.has_perm(COST_PERMISSION)
    filters = _stock_filters(request)
    report = stock_reports.stock_on_hand(**filters)
    if wants_xlsx(request):
        columns = STOCK_COLUMNS + (STOCK_VALUE_COLUMNS if see_value else [])
        return xlsx_response(
            request, _with_total(report.rows, report.total), columns, gettext_lazy("库存报表")
        )
    context = {
        "report": report,
        "see_value": see_value,
        "filters": filters,
        "filtered": _filtered(request),
        **_stock_choices(),
    }
    return render(request, "web/reports/stock.html", context)


# 收发存汇总 --------------------------------------------------------------------------------------------


def _flow(name: str, part: str) -> Callable[[Any], Decimal]:
    return lambda row: getattr(getattr(row, name), part)


def _movement_columns(see_value: bool) -> list[ExportColumn]:
    columns = [
        ExportColumn(gettext_lazy("商品编码"), getter=_stock_label),
        ExportColumn(gettext_lazy("商品名称"), key="product_name"),
        ExportColumn(gettext_lazy("单位"), key="unit"),
    ]
    for name, quantity_label, value_label in (
        ("opening", gettext_lazy("期初数量"), gettext_lazy("期初金额")),
        ("incoming", gettext_lazy("收入数量"), gettext_lazy("收入金额")),
        ("outgoing", gettext_lazy("发出数量"), gettext_lazy("发出金额")),
        ("closing", gettext_lazy("期末数量"), gettext_lazy("期末金额")),
    ):
        columns.append(ExportColumn(quantity_label, getter=_flow(name, "quantity"), kind=Kind.QUANTITY))
        if see_value:
            columns.append(ExportColumn(value_label, getter=_flow(name, "value"), kind=Kind.MONEY))
    return columns


@permission_required(STOCK_PERMISSION, raise_exception=True)
def stock_movement_report(request: HttpRequest) -> HttpResponse:
    see_value = request.user.has_perm(COST_PERMISSION)
    date_from, date_to = _period(request)
    filters = _stock_filters(request)
    report = stock_reports.stock_movement(date_from=date_from, date_to=date_to, **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total),
            _movement_columns(see_value),
            gettext_lazy("收发存汇总"),
        )
    context = {
        "report": report,
        "see_value": see_value,
        "filters": {**filters, "date_from": date_from, "date_to": date_to},
        "filtered": _filtered(request),
        **_stock_choices(),
    }
    return render(request, "web/reports/stock_movement.html", context)


urlpatterns: list[URLPattern] = [
    path("sales/", sales_report, name="report-sales"),
    path("profit/", profit_report, name="report-profit"),
    path("stock/", stock_report, name="report-stock"),
    path("stock-movement/", stock_movement_report, name="report-stock-movement"),
]
