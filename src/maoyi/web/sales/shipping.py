"""Shipment pages (发货管理): logistics' 待发货 queue of approved orders, the shipping form of one
order (this time's quantities, a lot per line or first expiry first out), the shipments list and
detail with 确认签收, and the printable delivery note (送货单).

A shipment is posted when saved (运输中) and done when the customer signs (已签收); it is never
edited. A missing permission answers 403; an order or shipment outside the user's data scope answers
404, the same as a missing one. Each view parses the request, calls one selector or service and
renders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_money
from maoyi.core.tabular import Kind
from maoyi.crm.selectors.quotes import company_name
from maoyi.inventory import selectors as inventory_selectors
from maoyi.sales import selectors as order_selectors
from maoyi.sales import shipping_selectors as selectors
from maoyi.sales.models import SalesOrder, SalesOrderLine, Shipment
from maoyi.sales.services import shipments as shipment_services
from maoyi.web.common import acting_employee, chosen_tab, form_data, or_404, record_panels
from maoyi.web.documents import document_url
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error, date_field, plain, put_grid_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import LINES_PREFIX

ZERO = Decimal("0")
COST_PERMISSION = "inventory.view_stockmove"  # who may see what goods cost (as the balances page)
SHIPPABLE = frozenset({Status.APPROVED, Status.IN_PROGRESS})
# A shipment's two states, in the words logistics uses for them.
SHIPMENT_STATUSES: dict[str, Any] = {
    Status.IN_PROGRESS: gettext_lazy("运输中"),
    Status.DONE: gettext_lazy("已签收"),
}
SHIPMENT_TABS = {
    "lines": gettext_lazy("明细"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def order_url(pk: int) -> str:
    """The sales order's page (where a refused shipment or return sends the user back to)."""
    return document_url("sales_order", pk) or reverse("web:sales-to-ship")


# Forms ---------------------------------------------------------------------------------------------


class ShipmentForm(StyledForm):
    shipped_on = date_field(gettext_lazy("发货日期"), initial=timezone.localdate)
    carrier = forms.CharField(label=gettext_lazy("承运商"), max_length=100, required=False)
    tracking_number = forms.CharField(label=gettext_lazy("运单号"), max_length=100, required=False)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=500, required=False)


class ShipmentLineForm(StyledForm):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.DecimalField(
        label=gettext_lazy("本次发货"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}),
    )
    # Empty: first expiry first out. The template draws the select from the lots in the warehouse.
    lot = forms.IntegerField(label=gettext_lazy("批次"), required=False)


ShipmentLineFormSet = forms.formset_factory(ShipmentLineForm, extra=0)


class DeliverForm(StyledForm):
    delivered_on = date_field(gettext_lazy("签收日期"), initial=timezone.localdate)
    signed_by = forms.CharField(label=gettext_lazy("签收人"), max_length=60, required=False)


# 待发货 ----------------------------------------------------------------------------------------------


# The 待发货 queue's columns in its Excel export (导出), as on screen.
TO_SHIP_COLUMNS = [
    ExportColumn(gettext_lazy("要求交货日期"), key="delivery_date", kind=Kind.DATE),
    ExportColumn(
        gettext_lazy("逾期"),
        getter=lambda o: (
            _("逾期") if o.delivery_date is not None and o.delivery_date < timezone.localdate() else ""
        ),
    ),
    ExportColumn(gettext_lazy("单据编号"), key="number"),
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("发货仓库"), key="warehouse.name"),
    ExportColumn(gettext_lazy("状态"), key="get_status_display"),
    ExportColumn(gettext_lazy("待发货行数"), key="open_lines", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("业务员"), key="owner.name"),
]


@permission_required("sales.add_shipment", raise_exception=True)
def to_ship(request: HttpRequest) -> HttpResponse:
    """待发货: approved and partly shipped orders with something open, the earliest requested
    delivery first (the late ones are marked), each with its number of open lines."""
    search = request.GET.get("q", "").strip()
    warehouses = inventory_selectors.warehouses()
    warehouse_id = request.GET.get("warehouse", "")
    warehouse = warehouses.filter(pk=warehouse_id).first() if warehouse_id.isdigit() else None
    qs = selectors.to_ship(request.user, warehouse_id=warehouse.pk if warehouse else None, search=search)
    if wants_xlsx(request):
        return xlsx_response(request, qs, TO_SHIP_COLUMNS, gettext_lazy("待发货"))
    listing = paginate(request, qs)
    today = timezone.localdate()
    rows = [
        {"order": o, "late": o.delivery_date is not None and o.delivery_date < today} for o in listing.page
    ]
    context = {
        "listing": listing,
        "rows": rows,
        "q": search,
        "warehouse": warehouse,
        "warehouses": warehouses,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or warehouse),
    }
    return render(request, "web/sales/to_ship.html", context)


# The shipping form ---------------------------------------------------------------------------------


def _lot_choices(order: SalesOrder, lines: list[SalesOrderLine]) -> dict[int, list[dict[str, Any]]]:
    """Per lot-tracked product of the order: its lots with stock in the order's warehouse, with
    expiry and on hand; an expired lot is marked (it cannot go to a customer)."""
    tracked = {line.product_id for line in lines if line.product.lot_tracked}
    today = timezone.localdate()
    found: dict[int, list[dict[str, Any]]] = {}
    for balance in inventory_selectors.lots_in_stock(warehouse_ids=[order.warehouse_id], product_ids=tracked):
        expiry = balance.lot.expiry_date
        found.setdefault(balance.product_id, []).append(
            {
                "id": balance.lot_id,
                "number": balance.lot.lot_number,
                "expiry": expiry,
                "on_hand": plain(balance.on_hand),
                "expired": expiry is not None and expiry < today,
            }
        )
    return found


@permission_required("sales.add_shipment", raise_exception=True)
def shipment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """发货 of an approved order: one row per line still open, prefilled with what is open."""
    order = or_404(order_selectors.order, request.user, pk)
    if order.status not in SHIPPABLE:
        messages.warning(
            request,
            _("销售订单 %(number)s 当前状态为“%(status)s”，不能发货。")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect(order_url(order.pk))
    lines = {line.pk: line for line in order_selectors.order_lines(order)}
    open_lines = [line for line in lines.values() if line.open_quantity > 0]
    header = ShipmentForm(form_data(request))
    formset = ShipmentLineFormSet(
        form_data(request),
        prefix=LINES_PREFIX,
        initial=[{"line": line.pk, "quantity": plain(line.open_quantity)} for line in open_lines],
    )
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        wanted = [
            (index, form.cleaned_data)
            for index, form in enumerate(formset.forms)
            if form.cleaned_data and form.cleaned_data.get("quantity")
        ]
        inputs = [
            shipment_services.ShipmentLineInput(
                line_id=row["line"], quantity=row["quantity"], lot_id=row.get("lot")
            )
            for _index, row in wanted
        ]
        data = header.cleaned_data
        try:
            shipment = shipment_services.ship_order(
                order,
                actor=acting_employee(request),
                lines=inputs,
                shipped_on=data["shipped_on"],
                carrier=data["carrier"],
                tracking_number=data["tracking_number"],
                note=data["note"],
            )
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (formset, [index for index, _row in wanted])})
        else:
            messages.success(
                request,
                _("已发货 %(number)s，订单 %(order)s 状态：%(status)s。")
                % {"number": shipment.number, "order": order.number, "status": order.get_status_display()},
            )
            return redirect("web:shipment-detail", shipment.pk)
    lots = _lot_choices(order, open_lines)
    rows = []
    for form in formset.forms:
        value = form["line"].value()
        line = lines.get(int(value)) if str(value).isdigit() else None
        if line is not None:
            chosen = str(form["lot"].value() or "")
            rows.append(
                {
                    "form": form,
                    "line": line,
                    "lots": [
                        {**lot, "selected": str(lot["id"]) == chosen} for lot in lots.get(line.product_id, [])
                    ],
                }
            )
    has_errors = bool(header.errors) or any(f.errors for f in formset.forms)
    context = {
        "order": order,
        "form": header,
        "formset": formset,
        "rows": rows,
        "order_url": order_url(order.pk),
    }
    return render(request, "web/sales/shipment_form.html", context, status=400 if has_errors else 200)


# Shipments -----------------------------------------------------------------------------------------


def _shipment_status(shipment: Shipment) -> str:
    """In logistics' words, as the list's badge: 运输中 / 已签收."""
    words = {"done": _("已签收"), "in_progress": _("运输中")}
    return words.get(shipment.status) or shipment.get_status_display()


# The list's columns in its Excel export (导出), as on screen.
SHIPMENT_COLUMNS = [
    ExportColumn(gettext_lazy("发货单号"), key="number"),
    ExportColumn(gettext_lazy("发货日期"), key="shipped_on", kind=Kind.DATE),
    ExportColumn(gettext_lazy("销售订单"), key="order.number"),
    ExportColumn(gettext_lazy("客户"), key="order.customer.name"),
    ExportColumn(gettext_lazy("发货仓库"), key="warehouse.name"),
    ExportColumn(gettext_lazy("承运商"), key="carrier"),
    ExportColumn(gettext_lazy("运单号"), key="tracking_number"),
    ExportColumn(gettext_lazy("状态"), getter=_shipment_status),
    ExportColumn(gettext_lazy("签收日期"), key="delivered_on", kind=Kind.DATE),
]


@permission_required("sales.view_shipment", raise_exception=True)
def shipment_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in SHIPMENT_STATUSES else ""
    date_from, date_to = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    customer_id = request.GET.get("customer", "").strip()
    # The one chosen customer (a chip: id and name), never a list of them all; `q` finds customers.
    customer = (
        selectors.shipments(request.user, customer_id=int(customer_id))
        .values_list("order__customer_id", "order__customer__name")
        .first()
        if customer_id.isdigit()
        else None
    )
    qs = selectors.shipments(
        request.user,
        search=search,
        status=status,
        customer_id=customer[0] if customer else None,
        shipped_from=date_from,
        shipped_to=date_to,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, SHIPMENT_COLUMNS, gettext_lazy("发货单"))
    listing = paginate(request, qs)
    context = {
        "listing": listing,
        "q": search,
        "status": status,
        "statuses": list(SHIPMENT_STATUSES.items()),
        "customer": customer,
        "date_from": date_from,
        "date_to": date_to,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status or customer or date_from or date_to),
    }
    return render(request, "web/sales/shipment_list.html", context)


def _shipment_or_404(request: HttpRequest, pk: int) -> Shipment:
    return or_404(selectors.shipment, request.user, pk)


def _render_shipment(
    request: HttpRequest, doc: Shipment, *, deliver_form: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    lines = list(selectors.shipment_lines(doc))
    see_cost = user.has_perm(COST_PERMISSION)
    context = {
        "doc": doc,
        "lines": lines,
        "total_quantity": sum((line.quantity for line in lines), ZERO),
        "total_cost": quantize_money(sum((line.cost for line in lines), ZERO)) if see_cost else None,
        "see_cost": see_cost,
        "see_lots": user.has_perm("inventory.view_lot"),
        "see_order": user.has_perm("sales.view_salesorder"),
        "see_customer": user.has_perm("crm.view_customer"),
        "can_deliver": user.has_perm("sales.deliver_shipment") and doc.status == Status.IN_PROGRESS,
        "deliver_form": deliver_form or DeliverForm(),
        "tab": chosen_tab(request, SHIPMENT_TABS),
        "tabs": SHIPMENT_TABS,
        **record_panels(doc),
    }
    return render(request, "web/sales/shipment_detail.html", context, status=status)


@permission_required("sales.view_shipment", raise_exception=True)
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_shipment(request, _shipment_or_404(request, pk))


@require_POST
@permission_required("sales.deliver_shipment", raise_exception=True)
def shipment_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """确认签收: the day the customer signed and who signed."""
    doc = _shipment_or_404(request, pk)
    form = DeliverForm(request.POST)
    if form.is_valid():
        try:
            shipment_services.deliver_shipment(
                doc,
                actor=acting_employee(request),
                delivered_on=form.cleaned_data["delivered_on"],
                signed_by=form.cleaned_data["signed_by"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("发货单 %(number)s 已确认签收。") % {"number": doc.number})
            return redirect("web:shipment-detail", doc.pk)
    doc.refresh_from_db()
    return _render_shipment(request, doc, deliver_form=form, status=400)


@permission_required("sales.view_shipment", raise_exception=True)
def shipment_note(request: HttpRequest, pk: int) -> HttpResponse:
    """送货单: the printable note that travels with the goods; quantities and lots, no prices."""
    doc = _shipment_or_404(request, pk)
    lines = list(selectors.shipment_lines(doc))
    context = {
        "doc": doc,
        "order": doc.order,
        "lines": lines,
        "total_quantity": sum((line.quantity for line in lines), ZERO),
        "company_name": company_name(),
    }
    return render(request, "web/sales/delivery_note.html", context)


urlpatterns: list[URLPattern] = [
    path("shipments/to-ship/", to_ship, name="sales-to-ship"),
    path("orders/<int:pk>/ship/", shipment_create, name="shipment-create"),
    path("shipments/", shipment_list, name="shipment-list"),
    path("shipments/<int:pk>/", shipment_detail, name="shipment-detail"),
    path("shipments/<int:pk>/deliver/", shipment_deliver, name="shipment-deliver"),
    path("shipments/<int:pk>/note/", shipment_note, name="shipment-note"),
]
