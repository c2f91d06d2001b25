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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from maoyi.core.tabular import Kind
from maoyi.crm import report_selectors as crm_reports
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import ActivityKind, CampaignKind
from maoyi.finance import report_selectors as finance_reports
from maoyi.finance import selectors as finance_selectors
from maoyi.inventory import alert_selectors as stock_alerts
from maoyi.inventory import report_selectors as stock_reports
from maoyi.inventory import selectors as inventory_selectors
from maoyi.org import selectors as org_selectors
from maoyi.purchasing import report_selectors as purchase_reports
from maoyi.purchasing import selectors as purchasing_selectors
from maoyi.sales import channel_report_selectors as channel_reports
from maoyi.sales import report_selectors as sales_reports
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.lists import paginate

SALES_PERMISSION = "sales.view_salesorder"
COST_PERMISSION = "inventory.view_stockmove"
STOCK_PERMISSION = "inventory.view_stockbalance"
LOT_PERMISSION = "inventory.view_lot"
PURCHASE_PERMISSION = "purchasing.view_purchaseorder"
ACTIVITY_PERMISSION = "crm.view_activity"
CAMPAIGN_PERMISSION = "crm.view_campaign"
AGING_PERMISSIONS = {"receivable": "finance.view_receivable", "payable": "finance.view_payable"}
# Query parameters that only say how to show or export the table, not what it selects.
NOT_FILTERS = frozenset({"by", "format", "direction"})

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


def _chosen(parties: QuerySet[Any], pk: int | None) -> dict[str, Any]:
    """The filter chip's context for the chosen party among `parties` (those the user may pick): a
    report's party filter names the one chosen instead of listing every party it could be."""
    found = parties.filter(pk=pk).values_list("pk", "name").first() if pk is not None else None
    return {"chosen_pk": found[0], "chosen_name": found[1]} if found else {}


def _filtered(request: HttpRequest) -> bool:
    """The user chose something (then an empty table reads "没有符合条件的…")."""
    return any(request.GET.get(key, "").strip() for key in request.GET if key not in NOT_FILTERS)


def _with_total(rows: list[Any], total: Any) -> list[Any]:
    """What the export writes: the table's rows and its totals row (none for an empty table)."""
    return [*rows, total] if rows else []


def _entry(mapping: str, key: str) -> Callable[[Any], Any]:
    """A column reading `row.<mapping>[key]`."""
    return lambda row: getattr(row, mapping)[key]


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
        "customer": _chosen(customer_selectors.customers(user), filters["customer_id"]),
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
        "customer": _chosen(customer_selectors.customers(user), filters["customer_id"]),
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
    levels = stock_reports.stock_levels(**filters)
    if wants_xlsx(request):
        columns = STOCK_COLUMNS + (STOCK_VALUE_COLUMNS if see_value else [])
        return xlsx_response(
            request,
            levels,
            columns,
            gettext_lazy("库存报表"),
            prepare=lambda found: [*stock_reports.stock_rows(found), stock_reports.stock_total(levels)],
        )
    listing = paginate(request, levels)
    listing.page.object_list = stock_reports.stock_rows(listing.page.object_list)
    context = {
        "listing": listing,
        "total": stock_reports.stock_total(levels) if listing.paginator.count else None,
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


# 应收账龄 / 应付账龄 -------------------------------------------------------------------------------------

AGING_TITLES = {"receivable": gettext_lazy("应收账龄"), "payable": gettext_lazy("应付账龄")}
AGING_GROUP_LABELS = {
    "owner": gettext_lazy("按负责人"),
    "party": gettext_lazy("按往来单位"),
}
AGING_GROUP_HEADERS = {
    "owner": gettext_lazy("负责人"),
    "party": gettext_lazy("往来单位"),
}
NO_OWNER = gettext_lazy("（无负责人）")


class _AgingTotal:
    """The totals row as the export reads it (label 合计)."""

    def __init__(self, totals: Any) -> None:
        self.buckets, self.total, self.overdue = totals.buckets, totals.total, totals.overdue


def _aging_label(row: Any) -> str:
    if isinstance(row, _AgingTotal):
        return str(TOTAL)
    if hasattr(row, "owner_name"):
        return row.owner_name if row.owner_id is not None else str(NO_OWNER)
    return row.party_name


def _aging_columns(by: str) -> list[ExportColumn]:
    columns = [ExportColumn(AGING_GROUP_HEADERS[by], getter=_aging_label)]
    for key, label, *_rest in finance_selectors.BUCKETS:
        columns.append(ExportColumn(label, getter=_entry("buckets", key), kind=Kind.MONEY))
    columns += [
        ExportColumn(gettext_lazy("合计"), key="total", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("逾期合计"), key="overdue", kind=Kind.MONEY),
    ]
    return columns


def _aging_direction(request: HttpRequest, default: str) -> str:
    """?direction= (else `default`) receivable or payable, which the user must be allowed to see;
    neither: the receivables, or the payables for one who may see only those."""
    wanted = request.GET.get("direction", "") or default
    if wanted in AGING_PERMISSIONS:
        if not request.user.has_perm(AGING_PERMISSIONS[wanted]):
            raise PermissionDenied
        return wanted
    for direction, permission in AGING_PERMISSIONS.items():
        if request.user.has_perm(permission):
            return direction
    raise PermissionDenied


def aging_report(request: HttpRequest, direction: str = "") -> HttpResponse:
    """应收账龄 / 应付账龄 by person or by party (finance.view_receivable / view_payable); the
    payables' URL starts on the payables."""
    user = request.user
    direction = _aging_direction(request, direction)
    on = _date(request, "on") or timezone.localdate()
    owner_id = _id(request, "owner")
    report = finance_reports.aging_report(
        user, direction, by=request.GET.get("by", ""), on=on, owner_id=owner_id
    )
    title = AGING_TITLES[direction]
    if wants_xlsx(request):
        rows = [*report.rows, _AgingTotal(report.totals)] if report.rows else []
        return xlsx_response(request, rows, _aging_columns(report.by), title)
    owners = finance_selectors.obligations(user, direction).exclude(owner=None).values("owner")
    context = {
        "report": report,
        "title": title,
        "header": AGING_GROUP_HEADERS[report.by],
        "groupings": list(AGING_GROUP_LABELS.items()),
        "buckets": [(key, label) for key, label, *_rest in finance_selectors.BUCKETS],
        "directions": [(d, AGING_TITLES[d]) for d, perm in AGING_PERMISSIONS.items() if user.has_perm(perm)],
        "list_url": f"web:{direction}-list",
        "filters": {"on": on, "owner_id": owner_id},
        "owners": org_selectors.employees(user).filter(pk__in=owners).order_by("name"),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/aging.html", context)


# 批次效期 ----------------------------------------------------------------------------------------------


def _lot_label(row: Any) -> str:
    return row.product_code if row.product_id is not None else str(TOTAL)


EXPIRING_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=_lot_label),
    ExportColumn(gettext_lazy("商品名称"), key="product_name"),
    ExportColumn(gettext_lazy("单位"), key="unit"),
    ExportColumn(gettext_lazy("仓库"), key="warehouse"),
    ExportColumn(gettext_lazy("批号"), key="lot_number"),
    ExportColumn(gettext_lazy("有效期至"), key="expiry_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("剩余天数"), key="days_left", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("现存量"), key="on_hand", kind=Kind.QUANTITY),
]


def _days(request: HttpRequest) -> int:
    text = request.GET.get("days", "").strip()
    return int(text) if text.isdigit() else stock_alerts.DEFAULT_EXPIRY_DAYS


@permission_required(LOT_PERMISSION, raise_exception=True)
def expiring_report(request: HttpRequest) -> HttpResponse:
    see_value = request.user.has_perm(COST_PERMISSION)
    filters = {**_stock_filters(request), "days": _days(request)}
    report = stock_alerts.expiring_lots(**filters)
    if wants_xlsx(request):
        columns = EXPIRING_COLUMNS + (STOCK_VALUE_COLUMNS if see_value else [])
        return xlsx_response(
            request, _with_total(report.rows, report.total), columns, gettext_lazy("批次效期")
        )
    context = {
        "report": report,
        "see_value": see_value,
        "filters": filters,
        "filtered": _filtered(request),
        **_stock_choices(),
    }
    return render(request, "web/reports/expiring.html", context)


# 低库存及在途 ------------------------------------------------------------------------------------------


LOW_STOCK_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=_stock_label),
    ExportColumn(gettext_lazy("商品名称"), key="product_name"),
    ExportColumn(gettext_lazy("单位"), key="unit"),
    ExportColumn(gettext_lazy("最低库存"), key="min_stock", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("现存量"), key="on_hand", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("缺口"), key="shortage", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("可用"), key="available", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("在途"), key="incoming", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("最早预计到货"), key="expected_date", kind=Kind.DATE),
]


@permission_required(STOCK_PERMISSION, raise_exception=True)
def low_stock_report(request: HttpRequest) -> HttpResponse:
    filters = _stock_filters(request)
    filters.pop("warehouse_id")
    report = stock_alerts.low_stock_report(**filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total),
            LOW_STOCK_COLUMNS,
            gettext_lazy("低库存及在途"),
        )
    context = {
        "report": report,
        "filters": filters,
        "filtered": _filtered(request),
        "categories": inventory_selectors.active_categories(),
    }
    return render(request, "web/reports/low_stock.html", context)


# 采购价格历史 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PriceRow:
    """A row of the table as the export writes it: a line (`line` set), a product's summary
    (`summary` set) or the total (neither)."""

    product: Any = None
    line: Any = None
    summary: Any = None
    total: Any = None


def _price_rows(history: Any) -> list[_PriceRow]:
    rows: list[_PriceRow] = []
    for product in history.products:
        rows += [_PriceRow(product=product, line=line) for line in product.lines]
        rows.append(_PriceRow(product=product, summary=product))
    return [*rows, _PriceRow(total=history)] if rows else []


def _price_label(row: _PriceRow) -> str:
    if row.total is not None:
        return str(TOTAL)
    return row.product.product_code if row.line is not None else f"{row.product.product_code} {SUBTOTAL}"


def _of_line(name: str) -> Callable[[_PriceRow], Any]:
    return lambda row: getattr(row.line, name) if row.line is not None else None


def _of_summary(name: str) -> Callable[[_PriceRow], Any]:
    return lambda row: getattr(row.summary, name) if row.summary is not None else None


def _summed(name: str) -> Callable[[_PriceRow], Any]:
    return lambda row: getattr(row.line or row.summary or row.total, name)


SUBTOTAL = gettext_lazy("小计")
PRICE_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=_price_label),
    ExportColumn(gettext_lazy("商品名称"), getter=lambda r: r.product.product_name if r.product else None),
    ExportColumn(gettext_lazy("单位"), getter=lambda r: r.product.unit if r.product else None),
    ExportColumn(gettext_lazy("订单编号"), getter=_of_line("order_number")),
    ExportColumn(gettext_lazy("供应商"), getter=_of_line("supplier")),
    ExportColumn(gettext_lazy("审核日期"), getter=_of_line("approved_on"), kind=Kind.DATE),
    ExportColumn(gettext_lazy("币种"), getter=_of_line("currency")),
    ExportColumn(gettext_lazy("含税单价（原币）"), getter=_of_line("unit_price"), kind=Kind.MONEY),
    ExportColumn(gettext_lazy("数量"), getter=_summed("quantity"), kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("不含税单价（人民币）"), getter=_of_line("price"), kind=Kind.MONEY),
    ExportColumn(gettext_lazy("不含税金额（人民币）"), getter=_summed("amount"), kind=Kind.MONEY),
    ExportColumn(gettext_lazy("最低价"), getter=_of_summary("lowest"), kind=Kind.MONEY),
    ExportColumn(gettext_lazy("平均价"), getter=_of_summary("average"), kind=Kind.MONEY),
    ExportColumn(gettext_lazy("最高价"), getter=_of_summary("highest"), kind=Kind.MONEY),
]


@permission_required(PURCHASE_PERMISSION, raise_exception=True)
def price_history_report(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _period(request)
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "supplier_id": _id(request, "supplier"),
        "product_search": request.GET.get("product", "").strip(),
    }
    history = purchase_reports.price_history(request.user, **filters)
    if wants_xlsx(request):
        return xlsx_response(request, _price_rows(history), PRICE_COLUMNS, gettext_lazy("采购价格历史"))
    context = {
        "history": history,
        "filters": filters,
        "supplier": _chosen(purchasing_selectors.suppliers(), filters["supplier_id"]),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/price_history.html", context)


# 跟进统计 ----------------------------------------------------------------------------------------------


def _activity_columns() -> list[ExportColumn]:
    columns = [
        ExportColumn(
            gettext_lazy("跟进人"), getter=lambda r: r.name if r.employee_id is not None else str(TOTAL)
        )
    ]
    for kind, label in ActivityKind.choices:
        columns.append(ExportColumn(label, getter=_entry("counts", kind), kind=Kind.NUMBER))
    columns += [
        ExportColumn(gettext_lazy("合计"), key="total", kind=Kind.NUMBER),
        ExportColumn(gettext_lazy("跟进客户数"), key="customer_count", kind=Kind.NUMBER),
    ]
    return columns


@permission_required(ACTIVITY_PERMISSION, raise_exception=True)
def activity_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    date_from, date_to = _period(request)
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "department_id": _id(request, "department"),
        "employee_id": _id(request, "employee"),
    }
    report = crm_reports.activity_stats(user, **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request, _with_total(report.rows, report.total), _activity_columns(), gettext_lazy("跟进统计")
        )
    context = {
        "report": report,
        "kinds": ActivityKind.choices,
        "filters": filters,
        "departments": org_selectors.department_choices(user),
        "employees": org_selectors.employees(user).order_by("name"),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/activities.html", context)


# 渠道销售 ----------------------------------------------------------------------------------------------

CHANNEL_GROUP_LABELS = {
    "partner": gettext_lazy("按渠道商"),
    "kind": gettext_lazy("按渠道类型"),
    "level": gettext_lazy("按客户等级"),
}
CHANNEL_GROUP_HEADERS = {
    "partner": gettext_lazy("渠道商"),
    "kind": gettext_lazy("渠道类型"),
    "level": gettext_lazy("客户等级"),
}


def _channel_columns(by: str) -> list[ExportColumn]:
    columns = [ExportColumn(CHANNEL_GROUP_HEADERS[by], getter=_label_or_total)]
    if by == "partner":
        columns += [
            ExportColumn(gettext_lazy("渠道类型"), key="kind"),
            ExportColumn(gettext_lazy("客户等级"), key="level"),
        ]
    columns += [
        ExportColumn(gettext_lazy("自营订单数"), getter=lambda r: len(r.own_orders), kind=Kind.NUMBER),
        ExportColumn(gettext_lazy("自营金额"), key="own_amount", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("下游客户数"), getter=lambda r: len(r.served_customers), kind=Kind.NUMBER),
        ExportColumn(gettext_lazy("下游订单数"), getter=lambda r: len(r.served_orders), kind=Kind.NUMBER),
        ExportColumn(gettext_lazy("下游金额"), key="served_amount", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("金额（含税）"), key="amount", kind=Kind.MONEY),
        ExportColumn(gettext_lazy("不含税金额"), key="amount_ex_tax", kind=Kind.MONEY),
    ]
    return columns


@permission_required(SALES_PERMISSION, raise_exception=True)
def channel_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    date_from, date_to = _period(request)
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "department_id": _id(request, "department"),
        "owner_id": _id(request, "owner"),
        "partner_id": _id(request, "partner"),
    }
    report = channel_reports.channel_sales(user, by=request.GET.get("by", ""), **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total),
            _channel_columns(report.by),
            gettext_lazy("渠道销售"),
        )
    context = {
        "report": report,
        "header": CHANNEL_GROUP_HEADERS[report.by],
        "groupings": list(CHANNEL_GROUP_LABELS.items()),
        "filters": filters,
        "departments": org_selectors.department_choices(user),
        "salespeople": org_selectors.employees(user).order_by("name"),
        "partner": _chosen(channel_reports.partner_choices(user), filters["partner_id"]),
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/channel.html", context)


# 市场活动投入产出 --------------------------------------------------------------------------------------


def _campaign_label(row: Any) -> str:
    return row.code if row.campaign_id is not None else str(TOTAL)


CAMPAIGN_COLUMNS = [
    ExportColumn(gettext_lazy("活动编号"), getter=_campaign_label),
    ExportColumn(gettext_lazy("活动名称"), key="name"),
    ExportColumn(gettext_lazy("活动类型"), key="kind"),
    ExportColumn(gettext_lazy("开始日期"), key="start_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("结束日期"), key="end_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("参与客户数"), key="partners", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("预算"), key="budget", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("已审核费用"), key="cost", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("订单数"), key="orders", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("销售额（含税）"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("不含税销售额"), key="amount_ex_tax", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("投入产出比"), key="return_rate", kind=Kind.NUMBER),
]


def _year(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?from= and ?to=; this year by default."""
    today = timezone.localdate()
    first, last = today.replace(month=1, day=1), today.replace(month=12, day=31)
    return _date(request, "from") or first, _date(request, "to") or last


@permission_required([CAMPAIGN_PERMISSION, SALES_PERMISSION], raise_exception=True)
def campaign_report(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _year(request)
    kind = request.GET.get("kind", "")
    filters: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "kind": kind if kind in CampaignKind.values else "",
    }
    report = channel_reports.campaign_returns(request.user, **filters)
    if wants_xlsx(request):
        return xlsx_response(
            request,
            _with_total(report.rows, report.total),
            CAMPAIGN_COLUMNS,
            gettext_lazy("市场活动投入产出"),
        )
    context = {
        "report": report,
        "filters": filters,
        "kinds": CampaignKind.choices,
        "filtered": _filtered(request),
    }
    return render(request, "web/reports/campaigns.html", context)


# The party pickers of the report filters (htmx) -----------------------------------------------------

FILTER_OPTIONS_LIMIT = 20
# Which parties each picker lists, and the permission of the reports that have that filter.
FILTER_PERMISSIONS = {
    "customer": SALES_PERMISSION,
    "partner": SALES_PERMISSION,
    "supplier": PURCHASE_PERMISSION,
}


def _filter_matches(user: Any, field: str, text: str) -> list[tuple[int, str]]:
    found: QuerySet[Any]
    if field == "customer":
        found = customer_selectors.customers(user, search=text)
    elif field == "partner":
        found = channel_reports.partner_choices(user, search=text)
    else:
        found = purchasing_selectors.suppliers(search=text).order_by("-is_active", "code")
    return list(found.values_list("pk", "name")[:FILTER_OPTIONS_LIMIT])


@require_GET
def filter_options(request: HttpRequest) -> HttpResponse:
    """A report's party picker (htmx): at most 20 customers, channel partners or suppliers matching
    ?<field>_q= (name, code, pinyin initials…), each a link to the report with that party chosen and
    the form's other filters kept."""
    field = request.GET.get("field", "customer")
    if field not in FILTER_PERMISSIONS:
        raise Http404
    if not request.user.has_perm(FILTER_PERMISSIONS[field]):
        raise PermissionDenied
    text = request.GET.get(f"{field}_q", "").strip()
    dropped = {"field", field, f"{field}_q", "page", "format"}
    keep = urlencode([(k, v) for k, v in request.GET.items() if k not in dropped and v])
    found = _filter_matches(request.user, field, text) if text else []
    return render(
        request, "web/reports/_filter_options.html", {"found": found, "q": text, "field": field, "keep": keep}
    )


urlpatterns: list[URLPattern] = [
    path("filter-options/", filter_options, name="report-filter-options"),
    path("sales/", sales_report, name="report-sales"),
    path("profit/", profit_report, name="report-profit"),
    path("stock/", stock_report, name="report-stock"),
    path("stock-movement/", stock_movement_report, name="report-stock-movement"),
    path("aging/", aging_report, name="report-aging"),
    path("payables-aging/", aging_report, {"direction": "payable"}, name="report-payables-aging"),
    path("expiring-lots/", expiring_report, name="report-expiring-lots"),
    path("low-stock/", low_stock_report, name="report-low-stock"),
    path("purchase-prices/", price_history_report, name="report-purchase-prices"),
    path("activities/", activity_report, name="report-activities"),
    path("channels/", channel_report, name="report-channels"),
    path("campaigns/", campaign_report, name="report-campaigns"),
]
