"""Sales order pages (销售订单): the list with its collection status, the form with its line grid,
live availability (on hand, reserved, available and incoming per line, the proposed price and
where it comes from, the customer's credit) and collection plan, and the detail page with its
workflow buttons and tabs (shipments, returns, collection plan, gross profit, approvals).

Approval happens in the approval inbox, which calls the order's own approve service (it reserves
the stock and opens the receivable). A missing permission answers 403; an order outside the user's
data scope answers 404, the same as a missing one. Shortages are shown, never enforced here:
approval is where stock is reserved. Each view parses the request, calls the selectors or the one
service it needs and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial, wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.approvals.models import RequestStatus
from maoyi.approvals.selectors import history_of as approval_steps
from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import Product
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_money
from maoyi.core.tabular import Kind
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import Contract, Customer, Quote
from maoyi.crm.selectors import quotes as crm_selectors
from maoyi.finance import selectors as finance_selectors
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Warehouse
from maoyi.invoicing import selectors as invoicing_selectors
from maoyi.org import scope
from maoyi.org.scope import employee_of
from maoyi.sales import profit, selectors, shipping_selectors
from maoyi.sales.models import PriceSource, SalesOrder, SalesOrderLine
from maoyi.sales.services import orders as order_services
from maoyi.web.common import (
    acting_employee,
    chosen_tab,
    form_data,
    or_404,
    reasoned_step,
    record_panels,
    step,
    with_reason,
)
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.finance.forms import (
    INSTALLMENTS_PREFIX,
    InstallmentFormSet,
    installment_inputs,
    installment_rows,
)
from maoyi.web.forms import StyledForm, date_field, decimal_field, plain, put_grid_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import (
    LINES_PREFIX,
    ProductField,
    ReasonForm,
    WarehouseField,
    filled_forms,
    grid_rows,
)
from maoyi.web.versioning import add_version, posted_version

ZERO = Decimal("0")
COST_PERMISSION = "inventory.view_stockmove"  # who may see what goods cost (as purchasing does)
MAX_GRID_ROWS = 200  # the availability endpoint reads at most this many rows
ORDER_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.DONE,
    Status.CANCELLED,
)
SHIPPABLE = frozenset({Status.APPROVED, Status.IN_PROGRESS})
INVOICEABLE = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.DONE})
BEFORE_APPROVAL = frozenset({Status.DRAFT, Status.SUBMITTED, Status.REJECTED})
ORDER_TABS = {
    "lines": gettext_lazy("明细"),
    "shipments": gettext_lazy("发货记录"),
    "returns": gettext_lazy("退货记录"),
    "plan": gettext_lazy("收款计划"),
    "profit": gettext_lazy("毛利"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
ORDER_DETAIL = "web:sales-order-detail"
SUBMITTED = gettext_lazy("已提交 %(number)s，等待审核。")
WITHDRAWN = gettext_lazy("已撤回 %(number)s，可以修改后重新提交。")
CANCELLED = gettext_lazy("已作废 %(number)s。")
UNAPPROVED = gettext_lazy("已反审核 %(number)s，预留已释放，应收款已红冲，订单回到草稿。")


def _id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


# Forms ---------------------------------------------------------------------------------------------


class CustomerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return obj.name if obj.is_active else f"{obj.name}{_('（已停用）')}"


class ContractField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        return f"{obj.number} {obj.title}"


def _customer_choices(user: Any, keep: Customer | None) -> QuerySet[Customer]:
    """The customers the user may order for: visible, owned (not in the pool) and active; an
    order's own customer stays choosable while it is edited."""
    found = customer_selectors.customers(user, pool=False).filter(is_active=True)
    if keep is not None:
        found = found | customer_selectors.customers(user).filter(pk=keep.pk)
    return found


def _contract_choices(user: Any, keep: Contract | None) -> QuerySet[Contract]:
    """Approved contracts the user may see that have not ended (the service checks the customer
    and the order date)."""
    found = crm_selectors.contracts(user, status=Status.APPROVED).filter(end_date__gte=timezone.localdate())
    if keep is not None:
        found = found | crm_selectors.contracts(user).filter(pk=keep.pk)
    return found


class OrderForm(StyledForm):
    customer = CustomerField(
        label=gettext_lazy("客户"), queryset=Customer.objects.none(), empty_label=gettext_lazy("请选择客户")
    )
    warehouse = WarehouseField(
        label=gettext_lazy("发货仓库"),
        queryset=Warehouse.objects.none(),
        empty_label=gettext_lazy("请选择仓库"),
    )
    order_date = date_field(gettext_lazy("订单日期"), initial=timezone.localdate)
    delivery_date = date_field(gettext_lazy("要求交货日期"), required=False)
    contract = ContractField(
        label=gettext_lazy("合同"),
        queryset=Contract.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不按合同）"),
    )
    delivery_address = forms.CharField(
        label=gettext_lazy("收货地址"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("留空则用客户地址。"),
    )
    receiver = forms.CharField(label=gettext_lazy("收货人"), max_length=60, required=False)
    receiver_phone = forms.CharField(label=gettext_lazy("收货电话"), max_length=40, required=False)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=500, required=False)

    def __init__(
        self,
        *args: Any,
        user: Any,
        order: SalesOrder | None = None,
        quote: Quote | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["customer"].queryset = _customer_choices(user, order.customer if order else None)
        fields["contract"].queryset = _contract_choices(user, order.contract if order else None)
        warehouses = inventory_selectors.warehouses(active=True)
        if order is not None and not order.warehouse.is_active:
            warehouses = warehouses | inventory_selectors.warehouses().filter(pk=order.warehouse_id)
        fields["warehouse"].queryset = warehouses
        if quote is not None:
            del fields["customer"]  # an order from a quote is for the quote's customer


class OrderLineForm(StyledForm):
    product = ProductField(label=gettext_lazy("商品"), queryset=Product.objects.all())
    quantity = decimal_field(gettext_lazy("数量"))
    unit_price = decimal_field(gettext_lazy("含税单价"), required=False)
    discount_rate = decimal_field(gettext_lazy("折扣（%）"), required=False)
    tax_rate = decimal_field(gettext_lazy("税率（%）"), required=False)
    below_min_reason = forms.CharField(label=gettext_lazy("低价原因"), max_length=500, required=False)


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=0)


class UnapproveForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("反审核原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _writer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Whoever may write orders (add or change) may ask for availability while writing one."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not (user.has_perm("sales.add_salesorder") or user.has_perm("sales.change_salesorder")):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# List ----------------------------------------------------------------------------------------------


def _date_param(request: HttpRequest, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return None


def _collection(receivable: Any) -> dict[str, Any] | None:
    """未收 / 部分收款 / 已收清 of an order's receivable, with what is still outstanding."""
    if receivable is None:
        return None
    state = receivable.settlement_state
    labels = {"settled": _("已收清"), "partial": _("部分收款"), "open": _("未收")}
    return {
        "state": state,
        "label": labels[state],
        "outstanding": receivable.outstanding,
        "receivable": receivable,
    }


def _shipped(lines: Any) -> dict[str, Any]:
    progress = selectors.shipping_progress(lines)
    return {"ordered": plain(progress.ordered), "shipped": plain(progress.shipped), "done": progress.done}


def _order_rows_of(orders: list[SalesOrder], *, see_collection: bool) -> list[dict[str, Any]]:
    """The list's rows: each order with its amount, shipping progress and (for those who may see
    it) its collection, the receivables fetched a thousand orders at a time."""
    receivables: dict[int, Any] = {}
    if see_collection:
        for start in range(0, len(orders), 1000):
            ids = [o.pk for o in orders[start : start + 1000]]
            receivables.update(
                finance_selectors.opened_by(SalesOrder.DOCUMENT_TYPE, ids, direction="receivable")
            )
    return [
        {
            "order": o,
            "amount": o.amount,
            "shipped": _shipped(o.lines.all()),
            "collection": _collection(receivables.get(o.pk)),
        }
        for o in orders
    ]


# The list's columns in its Excel export (导出), as on screen.
ORDER_COLUMNS = [
    ExportColumn(gettext_lazy("单据编号"), key="order.number"),
    ExportColumn(gettext_lazy("客户"), key="order.customer.name"),
    ExportColumn(gettext_lazy("订单日期"), key="order.order_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("要求交货日期"), key="order.delivery_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("金额（含税）"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("状态"), key="order.get_status_display"),
    ExportColumn(
        gettext_lazy("发货进度"),
        getter=lambda row: f"{row['shipped']['shipped']}/{row['shipped']['ordered']}",
    ),
]
COLLECTION_COLUMNS = [
    ExportColumn(gettext_lazy("收款"), key="collection.label"),
    ExportColumn(gettext_lazy("待收金额"), key="collection.outstanding", kind=Kind.MONEY),
]
OWNER_COLUMN = ExportColumn(gettext_lazy("业务员"), key="order.owner.name")


@permission_required("sales.view_salesorder", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in ORDER_STATUSES else ""
    customer_id = _id(request.GET.get("customer"))
    # The one chosen customer (a chip), never a list of them all: `q` finds customers by name and pinyin.
    customer = (
        customer_selectors.customers(request.user).filter(pk=customer_id).first() if customer_id else None
    )
    date_from, date_to = _date_param(request, "from"), _date_param(request, "to")
    ordering = request.GET.get("o", "")
    ordering = ordering if ordering.lstrip("-") in selectors.ORDER_ORDERINGS else ""
    qs = selectors.orders(
        request.user,
        search=search,
        status=status,
        customer_id=customer.pk if customer else None,
        date_from=date_from,
        date_to=date_to,
        ordering=ordering,
    ).prefetch_related("lines")
    see_collection = request.user.has_perm("finance.view_receivable")
    if wants_xlsx(request):
        columns = ORDER_COLUMNS + (COLLECTION_COLUMNS if see_collection else []) + [OWNER_COLUMN]
        rows_of = partial(_order_rows_of, see_collection=see_collection)
        return xlsx_response(request, qs, columns, gettext_lazy("销售订单"), prepare=rows_of)
    listing = paginate(request, qs, ordering=ordering)
    rows = _order_rows_of(list(listing.page), see_collection=see_collection)
    context = {
        "listing": listing,
        "rows": rows,
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in ORDER_STATUSES],
        "customer": customer,
        "date_from": date_from,
        "date_to": date_to,
        "see_collection": see_collection,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status or customer or date_from or date_to),
    }
    return render(request, "web/sales/order_list.html", context)


# Form ----------------------------------------------------------------------------------------------


def _saved_rows(order: SalesOrder | None) -> list[dict[str, Any]]:
    """The saved lines as the grid shows them. A proposed price stays blank (saving again proposes
    again), with the saved price shown as a hint; a typed one is kept as typed."""
    if order is None:
        return []
    rows = []
    for line in selectors.order_lines(order):
        typed = line.price_source == PriceSource.TYPED
        rows.append(
            {
                "product": str(line.product_id),
                "quantity": plain(line.quantity),
                "unit_price": plain(line.unit_price) if typed else "",
                "discount_rate": plain(line.discount_rate) if line.discount_rate else "",
                "tax_rate": plain(line.tax_rate),
                "below_min_reason": line.below_min_reason,
                "saved_price": "" if typed else plain(line.unit_price),
            }
        )
    return rows


def _preset_rows(source: Quote | Contract | None) -> list[dict[str, Any]]:
    """A new order's lines from a quote or a contract: their products and quantities, the price left
    blank (it proposes the quote's or contract's price)."""
    if source is None:
        return []
    return [
        {
            "product": str(line.product_id),
            "quantity": plain(line.quantity),
            "unit_price": "",
            "discount_rate": "",
            "tax_rate": "13",
            "below_min_reason": "",
            "saved_price": "",
        }
        for line in source.lines.order_by("id")
    ]


def _plan_rows(order: SalesOrder | None) -> list[dict[str, Any]]:
    if order is None:
        return []
    return [
        {"due_date": i.due_date.isoformat(), "amount": f"{i.amount:.2f}", "errors": {}}
        for i in selectors.order_installments(order)
    ]


def _line_inputs(lines: Any) -> tuple[list[order_services.OrderLineInput], list[int]]:
    filled = filled_forms(lines)
    inputs = [
        order_services.OrderLineInput(
            product_id=row["product"].pk,
            quantity=row["quantity"],
            unit_price=row["unit_price"],
            discount_rate=ZERO if row["discount_rate"] is None else row["discount_rate"],
            tax_rate=order_services.DEFAULT_TAX_RATE if row["tax_rate"] is None else row["tax_rate"],
            below_min_reason=row["below_min_reason"],
        )
        for _index, row in filled
    ]
    return inputs, [index for index, _row in filled]


def _visible_quote(request: HttpRequest, value: Any) -> Quote | None:
    pk = _id(value)
    return or_404(crm_selectors.quote, request.user, pk) if pk else None


def _visible_contract(request: HttpRequest, value: Any) -> Contract | None:
    pk = _id(value)
    return or_404(crm_selectors.contract, request.user, pk) if pk else None


def _save(
    request: HttpRequest,
    order: SalesOrder | None,
    quote: Quote | None,
    header: OrderForm,
    lines: Any,
    plan: Any,
) -> SalesOrder:
    """Call the one service the form stands for; its refusals propagate."""
    data = header.cleaned_data
    installments, _plan_positions = installment_inputs(plan)
    common = {
        "actor": acting_employee(request),
        "warehouse": data["warehouse"],
        "order_date": data["order_date"],
        "delivery_date": data["delivery_date"],
        "contract": data["contract"],
        "installments": installments,
        "delivery_address": data["delivery_address"],
        "receiver": data["receiver"],
        "receiver_phone": data["receiver_phone"],
        "note": data["note"],
    }
    if quote is not None:
        return order_services.create_order_from_quote(quote, **common)
    inputs, _positions = _line_inputs(lines)
    if order is None:
        return order_services.create_order(customer=data["customer"], lines=inputs, **common)
    return order_services.update_order(
        order, customer=data["customer"], lines=inputs, version=posted_version(header), **common
    )


def _order_form(
    request: HttpRequest, order: SalesOrder | None, *, quote: Quote | None = None
) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {}
    preset: Quote | Contract | None = quote
    if order is not None:
        initial = {
            "customer": order.customer_id,
            "warehouse": order.warehouse_id,
            "order_date": order.order_date,
            "delivery_date": order.delivery_date,
            "contract": order.contract_id,
            "delivery_address": order.delivery_address,
            "receiver": order.receiver,
            "receiver_phone": order.receiver_phone,
            "note": order.note,
        }
    else:
        contract = _visible_contract(request, request.GET.get("contract"))
        if contract is not None:
            initial.update({"customer": contract.customer_id, "contract": contract.pk})
            preset = preset or contract
        elif _id(request.GET.get("customer")):
            initial["customer"] = _id(request.GET.get("customer"))
        if quote is not None:
            initial["delivery_address"] = quote.customer.address
    header = OrderForm(form_data(request), initial=initial, user=user, order=order, quote=quote)
    add_version(header, order)
    lines = OrderLineFormSet(form_data(request), prefix=LINES_PREFIX)
    plan = InstallmentFormSet(form_data(request), prefix=INSTALLMENTS_PREFIX)
    plan_error = ""
    lines_ok = quote is not None or lines.is_valid()  # from a quote, the quote's lines are taken
    if request.method == "POST" and header.is_valid() and lines_ok and plan.is_valid():
        try:
            saved = _save(request, order, quote, header, lines, plan)
        except DomainError as exc:
            line_positions = list(range(len(lines.forms))) if quote is not None else _line_inputs(lines)[1]
            plan_error = put_grid_error(
                exc,
                header,
                {
                    LINES_PREFIX: (lines, line_positions),
                    INSTALLMENTS_PREFIX: (plan, installment_inputs(plan)[1]),
                },
                whole=INSTALLMENTS_PREFIX,
            )
        else:
            messages.success(request, _("已保存销售订单 %(number)s。") % {"number": saved.number})
            return redirect(ORDER_DETAIL, saved.pk)
    has_errors = (
        bool(header.errors)
        or any(f.errors for f in lines.forms)
        or any(f.errors for f in plan.forms)
        or bool(plan_error)
    )
    saved_rows = _saved_rows(order) if order is not None else _preset_rows(preset)
    rows = _quote_rows(saved_rows, lines) if quote is not None else grid_rows(lines, saved_rows)
    if quote is None and lines.is_bound:
        saved_prices = {r["product"]: r["saved_price"] for r in saved_rows}
        for row in rows:
            row["saved_price"] = "" if row.get("unit_price") else saved_prices.get(row.get("product", ""), "")
    customer_id = str(header["customer"].value() or "") if "customer" in header.fields else ""
    contract_field: Any = header.fields["contract"]
    context = {
        "order": order,
        "quote": quote,
        "form": header,
        "formset": lines,
        "rows": rows,
        "plan_rows": installment_rows(plan) if plan.is_bound else _plan_rows(order),
        "plan_error": plan_error,
        "plan_has_errors": any(f.errors for f in plan.forms),
        "products": list(catalog_selectors.products(active=True)),
        "contracts": [
            {"pk": c.pk, "label": contract_field.label_from_instance(c), "customer": str(c.customer_id)}
            for c in contract_field.queryset
        ],
        "grid_config": {"customer": customer_id, "fromQuote": quote is not None},
        "customer_id": customer_id,
        "contract_id": str(header["contract"].value() or ""),
    }
    return render(request, "web/sales/order_form.html", context, status=400 if has_errors else 200)


def _quote_rows(saved_rows: list[dict[str, Any]], lines: Any) -> list[dict[str, Any]]:
    """From a quote the grid is read only: the quote's lines, with any refusal the service named."""
    rows = [{**row, "errors": {}} for row in saved_rows]
    if not lines.is_bound:
        return rows
    for row, form in zip(rows, lines.forms, strict=False):
        row["errors"] = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
    return rows


@permission_required("sales.add_salesorder", raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    """新建销售订单; `?customer=`, `?contract=` prefill it, `?quote=` makes it from a quote (转销售订单)."""
    quote = _visible_quote(request, request.GET.get("quote"))
    return _order_form(request, None, quote=quote)


def _order_or_404(request: HttpRequest, pk: int) -> SalesOrder:
    return or_404(selectors.order, request.user, pk)


@permission_required("sales.change_salesorder", raise_exception=True)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    if not order.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect(ORDER_DETAIL, order.pk)
    return _order_form(request, order)


# Live availability (htmx) --------------------------------------------------------------------------


def _posted_lines(data: Any) -> list[tuple[int, dict[str, Any]]]:
    """The grid's rows as far as they parse (a half-typed row gives what it has), by grid index."""
    formset = OrderLineFormSet(data, prefix=LINES_PREFIX)
    try:
        forms_ = formset.forms[:MAX_GRID_ROWS]
    except forms.ValidationError:  # a post without the management form: no rows
        return []
    found = []
    for index, form in enumerate(forms_):
        form.is_valid()
        found.append((index, getattr(form, "cleaned_data", {})))
    return found


def _unsaved_line(product: Product, quantity: Decimal, price: Decimal, row: dict[str, Any]) -> SalesOrderLine:
    """The line as it would be saved, for its net price and amount (the model does the arithmetic)."""
    return SalesOrderLine(
        product=product,
        quantity=quantity,
        unit_price=price,
        discount_rate=row.get("discount_rate") or ZERO,
        tax_rate=order_services.DEFAULT_TAX_RATE if row.get("tax_rate") is None else row["tax_rate"],
    )


def _figures(found: Any) -> dict[str, str]:
    """On hand, reserved, available and incoming of one warehouse, as the grid shows them."""
    return {
        "on_hand": plain(found.on_hand),
        "reserved": plain(found.reserved),
        "available": plain(found.available),
        "incoming": plain(found.incoming),
    }


def _shortage_text(shortage: selectors.Shortage) -> str:
    """可用 40，缺 20，在途 100，预计 2026-12-05 到货: the incoming part only when goods are coming,
    the date only when the incoming registry knows it."""
    figures = {
        "available": plain(shortage.available),
        "missing": plain(shortage.missing),
        "incoming": plain(shortage.incoming),
        "date": shortage.expected_date.isoformat() if shortage.expected_date else "",
    }
    if shortage.incoming <= 0:
        return _("可用 %(available)s，缺 %(missing)s") % figures
    if shortage.expected_date is None:
        return _("可用 %(available)s，缺 %(missing)s，在途 %(incoming)s") % figures
    return _("可用 %(available)s，缺 %(missing)s，在途 %(incoming)s，预计 %(date)s 到货") % figures


def _row_figures(
    index: int,
    row: dict[str, Any],
    stock: dict[int, selectors.LineAvailability],
    shortage: selectors.Shortage | None,
    proposal: selectors.ProposedPrice | None,
) -> dict[str, Any]:
    """One grid row's cells: its stock here and elsewhere, its shortage, its proposed price and its
    amount (the price typed, or else the proposed one)."""
    product: Product = row["product"]
    typed = row.get("unit_price")
    price = typed if typed is not None else (proposal.price if proposal else None)
    quantity = row.get("quantity")
    line = None
    if price is not None and quantity is not None and quantity > 0:
        line = _unsaved_line(product, quantity, price, row)
    figures = stock.get(product.pk)
    others = figures.others if figures else []
    return {
        "index": index,
        "product": product,
        "here": _figures(figures.here) if figures else None,
        "others": [{"warehouse": o.warehouse, **_figures(o)} for o in others],
        "others_available": plain(sum((o.available for o in others), ZERO)),
        "short": _shortage_text(shortage) if shortage else "",
        "proposal": {"price": plain(proposal.price), "source": PriceSource(proposal.source).label}
        if proposal
        else None,
        "amount": line.amount if line is not None else None,
        "min_price": plain(product.min_sale_price),
        "below_min": line is not None and selectors.below_min_price(product, line.net_price),
    }


def _picked(data: Any, name: str, choices: QuerySet[Any]) -> Any:
    """The record a posted id names among the user's choices, or None."""
    pk = _id(data.get(name))
    return choices.filter(pk=pk).first() if pk is not None else None


@_writer
def availability(request: HttpRequest) -> HttpResponse:
    """While an order is written: per grid row, the stock of its product in the chosen warehouse
    and the others, whether the order asks for more than is available (from the selectors), the
    proposed price and its source; and the customer's credit position against the order's total."""
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    quote: Quote | None = _picked(data, "quote", crm_selectors.quotes(user))
    customers = customer_selectors.customers(user)
    customer: Customer | None = (
        customers.filter(pk=quote.customer_id).first() if quote else _picked(data, "customer", customers)
    )
    warehouse: Warehouse | None = _picked(data, "warehouse", inventory_selectors.warehouses(active=True))
    contract: Contract | None = None
    if customer is not None:
        contract = _picked(data, "contract", crm_selectors.contracts(user, customer_id=customer.pk))
    warehouse_id = warehouse.pk if warehouse else None
    grid = _posted_lines(data)
    posted = [(i, row) for i, row in grid if isinstance(row.get("product"), Product)]
    products = {row["product"].pk: row["product"] for _i, row in posted}
    wanted = [(i, row) for i, row in posted if isinstance(row.get("quantity"), Decimal)]
    found = selectors.line_shortages(
        [(row["product"].pk, row["quantity"]) for _i, row in wanted], warehouse_id
    )
    shortages = {wanted[s.index][0]: s for s in found}
    proposed = (
        selectors.proposed_prices(customer, list(products.values()), contract=contract, quote=quote)
        if customer is not None
        else {}
    )
    stock = selectors.line_availability(products.keys(), warehouse_id)
    rows = [
        _row_figures(i, row, stock, shortages.get(i), proposed.get(row["product"].pk)) for i, row in posted
    ]
    filled = {i for i, _row in posted}
    blank = [{"index": i, "product": None} for i, _row in grid if i not in filled]
    total = quantize_money(sum((r["amount"] or ZERO for r in rows), ZERO))
    credit = selectors.credit_position(customer) if customer is not None else None
    available = credit.available if credit is not None else None
    context = {
        "rows": sorted([*rows, *blank], key=lambda r: r["index"]),
        "customer": customer,
        "warehouse": warehouse,
        "credit": credit,
        "total": total,
        "over": total - available if available is not None and total > available else None,
        "short_count": len(shortages),
    }
    return render(request, "web/sales/order_availability.html", context)


# Detail and workflow -------------------------------------------------------------------------------


def _last_approval_includes(request: HttpRequest, steps: list[Any]) -> bool:
    """Whether the user is one of the approvers of the order's standing approval (反审核 is theirs)."""
    employee = employee_of(request.user)
    approved = [s.request for s in steps if s.request.status == RequestStatus.APPROVED]
    return employee is not None and bool(approved) and approved[-1].approvers.filter(pk=employee.pk).exists()


def _tab_context(request: HttpRequest, order: SalesOrder, tab: str, lines: list[Any]) -> dict[str, Any]:
    """What only the chosen tab shows."""
    user = request.user
    if tab == "shipments":
        return {"shipments": list(shipping_selectors.shipments(user, order=order))}
    if tab == "returns":
        return {"returns": list(shipping_selectors.returns(user, order=order))}
    if tab == "plan":
        receivables = []
        if user.has_perm("finance.view_receivable"):
            receivables = list(selectors.receivables_of(order).prefetch_related("installments"))
            for receivable in receivables:
                receivable.rows = list(receivable.installments.all())  # type: ignore[attr-defined]
                for installment in receivable.rows:  # type: ignore[attr-defined]
                    installment.left = installment.amount - installment.allocated
        return {
            "installments": selectors.order_installments(order),
            "planned": order_services.collection_plan(order) if not order.installments.exists() else [],
            "receivables": receivables,
        }
    if tab == "profit":
        for line in lines:
            line.profit = profit.line_profit(line)
        return {"order_profit": profit.order_profit(order)}
    return {}


def _render_order(
    request: HttpRequest,
    order: SalesOrder,
    *,
    cancel_form: forms.Form | None = None,
    unapprove_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    see_cost = user.has_perm(COST_PERMISSION)
    tabs = ORDER_TABS if see_cost else {k: v for k, v in ORDER_TABS.items() if k != "profit"}
    tab = chosen_tab(request, tabs)
    lines = selectors.order_lines(order)
    for line in lines:
        line.figures = {  # type: ignore[attr-defined]
            "quantity": plain(line.quantity),
            "discount": plain(line.discount_rate),
            "net_price": line.net_price,
            "tax_rate": plain(line.tax_rate),
            "shipped": plain(line.shipped_quantity),
            "returned": plain(line.returned_quantity),
        }
    if order.status in BEFORE_APPROVAL:
        for shortage in selectors.order_shortages(order):
            lines[shortage.index].short = _shortage_text(shortage)  # type: ignore[attr-defined]
    steps = list(approval_steps(order))
    can_change = user.has_perm("sales.change_salesorder")
    downstream = order.status == Status.APPROVED and order.has_downstream()
    receivable = None
    if user.has_perm("finance.view_receivable"):
        receivable = finance_selectors.opened_by(
            SalesOrder.DOCUMENT_TYPE, [order.pk], direction="receivable"
        ).get(order.pk)
    shipped = any(line.shipped_quantity > line.returned_quantity for line in lines)
    context = {
        "order": order,
        "doc": order,
        "lines": lines,
        "amount": order.amount,
        "tax_total": sum((line.tax_amount for line in lines), ZERO),
        "ex_tax_total": sum((line.amount_ex_tax for line in lines), ZERO),
        "shipped": _shipped(lines),
        "collection": _collection(receivable),
        "see_collection": user.has_perm("finance.view_receivable"),
        "invoicing": _invoicing(user, order),
        "see_customer": user.has_perm("crm.view_customer") and scope.can_view(user, order.customer),
        "see_quote": order.quote is not None
        and user.has_perm("crm.view_quote")
        and scope.can_view(user, order.quote),
        "see_contract": order.contract is not None
        and user.has_perm("crm.view_contract")
        and scope.can_view(user, order.contract),
        "short_count": sum(1 for line in lines if getattr(line, "short", "")),
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": tab,
        "tabs": tabs,
        "can_edit": can_change and order.is_editable,
        "can_withdraw": can_change and order.status == Status.SUBMITTED,
        "can_cancel": can_change
        and (order.is_editable or (order.status == Status.APPROVED and not downstream)),
        "can_unapprove": order.status == Status.APPROVED
        and not downstream
        and _last_approval_includes(request, steps),
        "can_ship": user.has_perm("sales.add_shipment")
        and order.status in SHIPPABLE
        and any(line.open_quantity > 0 for line in lines),
        "can_return": user.has_perm("sales.add_salesreturn") and shipped,
        "cancel_form": cancel_form or ReasonForm(),
        "unapprove_form": unapprove_form or UnapproveForm(),
        "action_error": action_error,
        **_tab_context(request, order, tab, lines),
        **record_panels(order),
    }
    return render(request, "web/sales/order_detail.html", context, status=status)


def _invoicing(user: Any, order: SalesOrder) -> tuple[str, Decimal, Decimal] | None:
    """未开票 / 部分开票 / 已开票 of an approved order, for who may see invoices."""
    if not user.has_perm("invoicing.view_invoice") or order.status not in INVOICEABLE:
        return None
    return invoicing_selectors.invoicing_status(SalesOrder.DOCUMENT_TYPE, [order.pk]).get(order.pk)


@permission_required("sales.view_salesorder", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_order(request, _order_or_404(request, pk))


@require_POST
@permission_required("sales.change_salesorder", raise_exception=True)
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    run = partial(order_services.submit_order, order, actor=acting_employee(request))
    return step(request, order, run, render=_render_order, done=SUBMITTED, detail=ORDER_DETAIL)


@require_POST
@permission_required("sales.change_salesorder", raise_exception=True)
def order_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    run = partial(order_services.withdraw_order, order, actor=acting_employee(request))
    return step(request, order, run, render=_render_order, done=WITHDRAWN, detail=ORDER_DETAIL)


@require_POST
@permission_required("sales.change_salesorder", raise_exception=True)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    return reasoned_step(
        request,
        order,
        ReasonForm(request.POST),
        with_reason(order_services.cancel_order, order, acting_employee(request)),
        render=_render_order,
        form_name="cancel_form",
        done=CANCELLED,
        detail=ORDER_DETAIL,
    )


@require_POST
@permission_required("sales.view_salesorder", raise_exception=True)
def order_unapprove(request: HttpRequest, pk: int) -> HttpResponse:
    """反审核, by one of the approvers (the service checks who may)."""
    order = _order_or_404(request, pk)
    return reasoned_step(
        request,
        order,
        UnapproveForm(request.POST),
        with_reason(order_services.unapprove_order, order, acting_employee(request)),
        render=_render_order,
        form_name="unapprove_form",
        done=UNAPPROVED,
        detail=ORDER_DETAIL,
    )


urlpatterns: list[URLPattern] = [
    path("orders/", order_list, name="sales-order-list"),
    path("orders/new/", order_create, name="sales-order-create"),
    path("orders/availability/", availability, name="sales-order-availability"),
    path("orders/<int:pk>/", order_detail, name="sales-order-detail"),
    path("orders/<int:pk>/edit/", order_edit, name="sales-order-edit"),
    path("orders/<int:pk>/submit/", order_submit, name="sales-order-submit"),
    path("orders/<int:pk>/withdraw/", order_withdraw, name="sales-order-withdraw"),
    path("orders/<int:pk>/cancel/", order_cancel, name="sales-order-cancel"),
    path("orders/<int:pk>/unapprove/", order_unapprove, name="sales-order-unapprove"),
]
