"""Purchase order pages (采购订单): the list, the form with its line grid and payment plan, the
detail page with its workflow buttons; goods receipts (入库) by logistics and the 待入库 queue; and
purchase returns (采购退货) with their 发出 by logistics and the 待发退货 queue.

Approval happens in the approval inbox, which calls the order's own approve service (registered by
the purchasing app), so approving opens the payable. A missing permission answers 403; a document
outside the user's data scope answers 404, the same as a missing one. Each view parses the request,
calls one selector or service and renders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
from maoyi.core.money import BASE_CURRENCY, Currency, quantize_money
from maoyi.core.tabular import Kind
from maoyi.finance import selectors as finance_selectors
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Warehouse
from maoyi.invoicing import selectors as invoicing_selectors
from maoyi.org.scope import employee_of
from maoyi.purchasing import order_selectors as selectors
from maoyi.purchasing import selectors as supplier_selectors
from maoyi.purchasing.models import GoodsReceipt, PurchaseOrder, PurchaseReturn, Supplier
from maoyi.purchasing.services import orders as order_services
from maoyi.purchasing.services import receipts as receipt_services
from maoyi.purchasing.services import returns as return_services
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
from maoyi.web.forms import StyledForm, apply_domain_error, date_field, decimal_field, plain, put_grid_error
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
COST_PERMISSION = "inventory.view_stockmove"  # who may see what goods cost (as the balances page)
ORDER_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.DONE,
    Status.CANCELLED,
)
RETURN_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.APPROVED,
    Status.DONE,
    Status.CANCELLED,
)
RECEIVABLE_STATUSES = frozenset({Status.APPROVED, Status.IN_PROGRESS})
INVOICEABLE = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.DONE})
ORDER_TABS = {
    "lines": gettext_lazy("明细"),
    "receipts": gettext_lazy("入库记录"),
    "returns": gettext_lazy("退货记录"),
    "plan": gettext_lazy("付款计划"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
RETURN_TABS = {
    "lines": gettext_lazy("明细"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
RECEIPT_TABS = {
    "lines": gettext_lazy("明细"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}


def _progress(lines: Any) -> dict[str, Any]:
    """Received against ordered, as the pages show it: 600/1000, 60%, and the value received."""
    found = selectors.progress(lines)
    return {
        "ordered": plain(found.ordered),
        "received": plain(found.received),
        "percent": found.percent,
        "value": found.value,
    }


def _is_late(order: PurchaseOrder, today: dt.date) -> bool:
    return order.status in selectors.ACTIVE_STATUSES and order.expected_date < today


# Forms ---------------------------------------------------------------------------------------------


class SupplierField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Supplier) -> str:
        label = f"{obj.code} {obj.name}（{obj.currency}）"
        return label if obj.is_active else f"{label}{_('（已停用）')}"


class OrderForm(StyledForm):
    supplier = SupplierField(
        label=gettext_lazy("供应商"),
        queryset=Supplier.objects.none(),
        empty_label=gettext_lazy("请选择供应商"),
    )
    warehouse = WarehouseField(
        label=gettext_lazy("收货仓库"),
        queryset=Warehouse.objects.none(),
        empty_label=gettext_lazy("请选择仓库"),
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("币种"),
        required=False,
        choices=[("", gettext_lazy("（供应商币种）")), *Currency.choices],
    )
    exchange_rate = decimal_field(
        gettext_lazy("汇率"),
        required=False,
        help_text=gettext_lazy("1 单位外币折合人民币；留空则取财务维护的当日汇率，人民币不填。"),
    )
    expected_date = date_field(gettext_lazy("预计到货日期"))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=500, required=False)

    def __init__(self, *args: Any, order: PurchaseOrder | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supplier: Any = self.fields["supplier"]
        supplier.queryset = supplier_selectors.supplier_choices(keep=order.supplier if order else None)
        warehouse: Any = self.fields["warehouse"]
        warehouse.queryset = inventory_selectors.warehouses(active=True)
        if order is not None and not order.warehouse.is_active:
            warehouse.queryset = warehouse.queryset | inventory_selectors.warehouses().filter(
                pk=order.warehouse_id
            )
        self.supplier_currencies = {
            str(pk): cur for pk, cur in supplier.queryset.values_list("pk", "currency")
        }


class OrderLineForm(StyledForm):
    product = ProductField(label=gettext_lazy("商品"), queryset=Product.objects.all())
    quantity = decimal_field(gettext_lazy("数量"))
    unit_price = decimal_field(gettext_lazy("含税单价"), required=False)
    tax_rate = decimal_field(gettext_lazy("税率（%）"), required=False, initial=Decimal("13"))


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=0)


class ReceiptForm(StyledForm):
    received_on = date_field(gettext_lazy("入库日期"), initial=timezone.localdate)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=500, required=False)


class ReceiptLineForm(StyledForm):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.DecimalField(
        label=gettext_lazy("本次入库"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}),
    )
    lot_number = forms.CharField(label=gettext_lazy("批号"), max_length=60, required=False)
    production_date = date_field(gettext_lazy("生产日期"), required=False)
    expiry_date = date_field(gettext_lazy("有效期至"), required=False)


ReceiptLineFormSet = forms.formset_factory(ReceiptLineForm, extra=0)


class ReturnForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("退货原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnLineForm(StyledForm):
    line = forms.IntegerField(widget=forms.HiddenInput)
    lot = forms.IntegerField(widget=forms.HiddenInput)
    quantity = decimal_field(gettext_lazy("退货数量"), required=False)


ReturnLineFormSet = forms.formset_factory(ReturnLineForm, extra=0)


class ShipForm(StyledForm):
    carrier = forms.CharField(label=gettext_lazy("承运商"), max_length=100, required=False)
    tracking_number = forms.CharField(label=gettext_lazy("运单号"), max_length=100, required=False)


class UnapproveForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("反审核原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# Purchase orders: list -----------------------------------------------------------------------------


# Workflow steps --------------------------------------------------------------------------------------

ORDER_DETAIL = "web:purchase-order-detail"
RETURN_DETAIL = "web:purchase-return-detail"
SUBMITTED = gettext_lazy("已提交 %(number)s，等待审核。")
WITHDRAWN = gettext_lazy("已撤回 %(number)s，可以修改后重新提交。")
CANCELLED = gettext_lazy("已作废 %(number)s。")


def _purchase_rows_of(orders: list[PurchaseOrder], *, today: dt.date) -> list[dict[str, Any]]:
    return [{"order": o, "late": _is_late(o, today), "progress": _progress(o.lines.all())} for o in orders]


# The list's columns in its Excel export (导出), as on screen.
PURCHASE_ORDER_COLUMNS = [
    ExportColumn(gettext_lazy("单据编号"), key="order.number"),
    ExportColumn(gettext_lazy("供应商"), key="order.supplier.name"),
    ExportColumn(gettext_lazy("收货仓库"), key="order.warehouse.name"),
    ExportColumn(gettext_lazy("币种"), key="order.currency"),
    ExportColumn(gettext_lazy("金额"), key="order.amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("预计到货"), key="order.expected_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("状态"), key="order.get_status_display"),
    ExportColumn(
        gettext_lazy("到货进度"),
        getter=lambda row: f"{row['progress']['received']}/{row['progress']['ordered']}",
    ),
    ExportColumn(gettext_lazy("负责人"), key="order.owner.name"),
    ExportColumn(gettext_lazy("创建时间"), key="order.created_at", kind=Kind.DATETIME),
]


@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in ORDER_STATUSES else ""
    supplier_id = request.GET.get("supplier", "")
    # The one chosen supplier (a chip), never a list of them all: `q` finds suppliers by name and pinyin.
    supplier = (
        supplier_selectors.suppliers().filter(pk=supplier_id).first() if supplier_id.isdigit() else None
    )
    ordering = request.GET.get("o", "")
    ordering = ordering if ordering in selectors.ORDER_ORDERINGS else ""
    qs = selectors.orders(
        request.user,
        search=search,
        status=status,
        supplier_id=supplier.pk if supplier else None,
        ordering=ordering,
    ).prefetch_related("lines")
    today = timezone.localdate()
    if wants_xlsx(request):
        rows_of = partial(_purchase_rows_of, today=today)
        return xlsx_response(request, qs, PURCHASE_ORDER_COLUMNS, gettext_lazy("采购订单"), prepare=rows_of)
    listing = paginate(request, qs, ordering=ordering)
    rows = [
        {"order": o, "late": _is_late(o, today), "progress": _progress(o.lines.all())} for o in listing.page
    ]
    context = {
        "listing": listing,
        "rows": rows,
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in ORDER_STATUSES],
        "supplier": supplier,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status or supplier),
    }
    return render(request, "web/purchasing/order_list.html", context)


def _to_receive_rows_of(orders: list[PurchaseOrder], *, today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for o in orders:
        lines = list(o.lines.all())
        rows.append(
            {
                "order": o,
                "late": _is_late(o, today),
                "progress": _progress(lines),
                "open_lines": len([line for line in lines if line.open_quantity > 0]),
            }
        )
    return rows


TO_RECEIVE_COLUMNS = [
    ExportColumn(gettext_lazy("预计到货"), key="order.expected_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("逾期"), getter=lambda row: _("逾期") if row["late"] else ""),
    ExportColumn(gettext_lazy("单据编号"), key="order.number"),
    ExportColumn(gettext_lazy("供应商"), key="order.supplier.name"),
    ExportColumn(gettext_lazy("收货仓库"), key="order.warehouse.name"),
    ExportColumn(gettext_lazy("状态"), key="order.get_status_display"),
    ExportColumn(gettext_lazy("待到货行数"), key="open_lines", kind=Kind.NUMBER),
    ExportColumn(
        gettext_lazy("到货进度"),
        getter=lambda row: f"{row['progress']['received']}/{row['progress']['ordered']}",
    ),
    ExportColumn(gettext_lazy("采购负责人"), key="order.owner.name"),
]


@permission_required("purchasing.add_goodsreceipt", raise_exception=True)
def to_receive(request: HttpRequest) -> HttpResponse:
    """待入库: approved and partly received orders, the earliest expected (the late ones) first."""
    search = request.GET.get("q", "").strip()
    qs = selectors.orders(request.user, search=search, to_receive=True, ordering="expected")
    qs = qs.prefetch_related("lines")
    today = timezone.localdate()
    rows_of = partial(_to_receive_rows_of, today=today)
    if wants_xlsx(request):
        return xlsx_response(request, qs, TO_RECEIVE_COLUMNS, gettext_lazy("待入库"), prepare=rows_of)
    listing = paginate(request, qs, ordering="expected")
    rows = rows_of(list(listing.page))
    context = {
        "listing": listing,
        "rows": rows,
        "q": search,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search),
    }
    return render(request, "web/purchasing/order_to_receive.html", context)


# Purchase orders: form -----------------------------------------------------------------------------


def _order_rows(order: PurchaseOrder | None) -> list[dict[str, Any]]:
    """The saved lines as the grid shows them. A price that came from a quote stays blank (so saving
    again takes the best valid quote again), with the saved price shown as a hint."""
    if order is None:
        return []
    return [
        {
            "product": str(line.product_id),
            "quantity": plain(line.quantity),
            "unit_price": "" if line.quote_id else plain(line.unit_price),
            "tax_rate": plain(line.tax_rate),
            "saved_price": plain(line.unit_price) if line.quote_id else "",
        }
        for line in selectors.order_lines(order)
    ]


def _plan_rows(order: PurchaseOrder | None) -> list[dict[str, Any]]:
    if order is None:
        return []
    return [
        {"due_date": i.due_date.isoformat(), "amount": f"{i.amount:.2f}", "errors": {}}
        for i in order.installments.order_by("due_date", "id")
    ]


def _quote_prices(products: list[Product]) -> list[dict[str, Any]]:
    """Today's valid quotes, for the grid's price preview (the service decides on saving)."""
    return [
        {
            "supplier": q.supplier_id,
            "product": q.product_id,
            "currency": q.currency,
            "min": float(q.min_quantity),
            "price": plain(q.unit_price),
        }
        for q in supplier_selectors.valid_quotes([p.pk for p in products])
    ]


def _order_form(request: HttpRequest, order: PurchaseOrder | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if order is not None:
        initial = {
            "supplier": order.supplier_id,
            "warehouse": order.warehouse_id,
            "currency": order.currency,
            "exchange_rate": "" if order.currency == BASE_CURRENCY else plain(order.exchange_rate),
            "expected_date": order.expected_date,
            "note": order.note,
        }
    elif request.GET.get("supplier", "").isdigit():
        initial["supplier"] = int(request.GET["supplier"])
    header = OrderForm(form_data(request), initial=initial, order=order)
    add_version(header, order)
    lines = OrderLineFormSet(form_data(request), prefix=LINES_PREFIX)
    plan = InstallmentFormSet(form_data(request), prefix=INSTALLMENTS_PREFIX)
    plan_error = ""
    if request.method == "POST" and header.is_valid() and lines.is_valid() and plan.is_valid():
        filled = filled_forms(lines)
        line_inputs = [
            order_services.OrderLineInput(
                product_id=row["product"].pk,
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                tax_rate=Decimal("13") if row["tax_rate"] is None else row["tax_rate"],
            )
            for _index, row in filled
        ]
        installments, plan_positions = installment_inputs(plan)
        data = header.cleaned_data
        fields = {
            "supplier": data["supplier"],
            "warehouse": data["warehouse"],
            "expected_date": data["expected_date"],
            "lines": line_inputs,
            "currency": data["currency"] or None,
            "exchange_rate": data["exchange_rate"],
            "installments": installments,
            "note": data["note"],
        }
        actor = acting_employee(request)
        try:
            if order is None:
                saved = order_services.create_order(actor=actor, **fields)
            else:
                saved = order_services.update_order(
                    order, actor=actor, version=posted_version(header), **fields
                )
        except DomainError as exc:
            plan_error = put_grid_error(
                exc,
                header,
                {
                    LINES_PREFIX: (lines, [index for index, _row in filled]),
                    INSTALLMENTS_PREFIX: (plan, plan_positions),
                },
                whole=INSTALLMENTS_PREFIX,
            )
        else:
            messages.success(request, _("已保存采购订单 %(number)s。") % {"number": saved.number})
            return redirect("web:purchase-order-detail", saved.pk)
    has_errors = (
        bool(header.errors)
        or any(f.errors for f in lines.forms)
        or any(f.errors for f in plan.forms)
        or bool(plan_error)
    )
    rows = grid_rows(lines, _order_rows(order))
    if lines.is_bound:
        saved_prices = {r["product"]: r["saved_price"] for r in _order_rows(order)}
        for row in rows:
            row["saved_price"] = "" if row.get("unit_price") else saved_prices.get(row.get("product", ""), "")
    products = list(catalog_selectors.products(active=True))
    rates = {c: finance_selectors.rate_on(c) for c in Currency.values if c != BASE_CURRENCY}
    context = {
        "order": order,
        "form": header,
        "formset": lines,
        "rows": rows,
        "plan_rows": installment_rows(plan) if plan.is_bound else _plan_rows(order),
        "plan_error": plan_error,
        "plan_has_errors": any(f.errors for f in plan.forms),
        "products": products,
        "grid_config": {
            "quotes": _quote_prices(products),
            "supplierCurrencies": header.supplier_currencies,
            "rates": {c: plain(r) for c, r in rates.items() if r is not None},
            "supplier": str(header["supplier"].value() or ""),
            "currency": str(header["currency"].value() or ""),
            "baseCurrency": BASE_CURRENCY,
        },
    }
    return render(request, "web/purchasing/order_form.html", context, status=400 if has_errors else 200)


@permission_required("purchasing.add_purchaseorder", raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    return _order_form(request, None)


@permission_required("purchasing.change_purchaseorder", raise_exception=True)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = or_404(selectors.order, request.user, pk)
    if not order.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect("web:purchase-order-detail", order.pk)
    return _order_form(request, order)


# Purchase orders: detail and workflow --------------------------------------------------------------


def _last_approval_includes(request: HttpRequest, steps: list[Any]) -> bool:
    """Whether the user is one of the approvers of the document's standing approval (反审核 is theirs)."""
    employee = employee_of(request.user)
    approved = [s.request for s in steps if s.request.status == RequestStatus.APPROVED]
    return employee is not None and bool(approved) and approved[-1].approvers.filter(pk=employee.pk).exists()


def _render_order(
    request: HttpRequest,
    order: PurchaseOrder,
    *,
    cancel_form: forms.Form | None = None,
    unapprove_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    tab = chosen_tab(request, ORDER_TABS)
    lines = selectors.order_lines(order)
    steps = list(approval_steps(order))
    can_change = user.has_perm("purchasing.change_purchaseorder")
    downstream = order.status == Status.APPROVED and order.has_downstream()
    received = any(line.received_quantity > 0 for line in lines)
    for line in lines:
        line.can_return = line.received_quantity > line.returned_quantity  # type: ignore[attr-defined]
    payables = list(selectors.payables_of(order)) if user.has_perm("finance.view_payable") else []
    today = timezone.localdate()
    invoicing = None
    if user.has_perm("invoicing.view_invoice") and order.status in INVOICEABLE:  # 收到的进项发票
        invoicing = invoicing_selectors.invoicing_status(order.DOCUMENT_TYPE, [order.pk]).get(order.pk)
    context = {
        "order": order,
        "invoicing": invoicing,
        "doc": order,
        "lines": lines,
        "amount": order.amount,
        "amount_cny": order.approval_amount() if order.currency != BASE_CURRENCY else None,
        "progress": _progress(lines),
        "late": _is_late(order, today),
        "payables": payables,
        "receipts": list(selectors.receipts(user, order=order)),
        "returns": list(selectors.returns(user, order=order)),
        "installments": list(order.installments.order_by("due_date", "id")),
        "planned": order_services.payment_plan(order) if not order.installments.exists() else [],
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": tab,
        "tabs": ORDER_TABS,
        "can_edit": can_change and order.is_editable,
        "can_withdraw": can_change and order.status == Status.SUBMITTED,
        "can_cancel": can_change
        and (order.is_editable or (order.status == Status.APPROVED and not downstream)),
        "can_unapprove": order.status == Status.APPROVED
        and not downstream
        and _last_approval_includes(request, steps),
        "can_receive": user.has_perm("purchasing.add_goodsreceipt") and order.status in RECEIVABLE_STATUSES,
        "can_return": user.has_perm("purchasing.add_purchasereturn")
        and order.status in (Status.IN_PROGRESS, Status.DONE)
        and received,
        "cancel_form": cancel_form or ReasonForm(),
        "unapprove_form": unapprove_form or UnapproveForm(),
        "action_error": action_error,
        **record_panels(order),
    }
    return render(request, "web/purchasing/order_detail.html", context, status=status)


def _order_or_404(request: HttpRequest, pk: int) -> PurchaseOrder:
    return or_404(selectors.order, request.user, pk)


@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_order(request, _order_or_404(request, pk))


@require_POST
@permission_required("purchasing.change_purchaseorder", raise_exception=True)
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    run = partial(order_services.submit_order, order, actor=acting_employee(request))
    return step(request, order, run, render=_render_order, done=SUBMITTED, detail="web:purchase-order-detail")


@require_POST
@permission_required("purchasing.change_purchaseorder", raise_exception=True)
def order_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    run = partial(order_services.withdraw_order, order, actor=acting_employee(request))
    return step(request, order, run, render=_render_order, done=WITHDRAWN, detail="web:purchase-order-detail")


@require_POST
@permission_required("purchasing.change_purchaseorder", raise_exception=True)
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
@permission_required("purchasing.view_purchaseorder", raise_exception=True)
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
        done=gettext_lazy("已反审核 %(number)s，订单回到草稿。"),
        detail=ORDER_DETAIL,
    )


# Goods receipts ------------------------------------------------------------------------------------


@permission_required("purchasing.add_goodsreceipt", raise_exception=True)
def receipt_create(request: HttpRequest, pk: int) -> HttpResponse:
    """入库 against an approved order: one row per line still open, prefilled with what is open."""
    order = _order_or_404(request, pk)
    if order.status not in RECEIVABLE_STATUSES:
        messages.warning(
            request,
            _("采购订单 %(number)s 当前状态为“%(status)s”，不能入库。")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect("web:purchase-order-detail", order.pk)
    lines = {line.pk: line for line in selectors.order_lines(order)}
    open_lines = [line for line in lines.values() if line.open_quantity > 0]
    header = ReceiptForm(form_data(request))
    formset = ReceiptLineFormSet(
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
            receipt_services.ReceiptLineInput(
                line_id=row["line"],
                quantity=row["quantity"],
                lot_number=row["lot_number"],
                production_date=row["production_date"],
                expiry_date=row["expiry_date"],
            )
            for _index, row in wanted
        ]
        try:
            receipt = receipt_services.receive_goods(
                order,
                actor=acting_employee(request),
                lines=inputs,
                received_on=header.cleaned_data["received_on"],
                note=header.cleaned_data["note"],
            )
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (formset, [index for index, _row in wanted])})
        else:
            messages.success(
                request,
                _("已入库 %(number)s，订单 %(order)s 状态：%(status)s。")
                % {"number": receipt.number, "order": order.number, "status": order.get_status_display()},
            )
            return redirect("web:goods-receipt-detail", receipt.pk)
    rows = []
    for form in formset.forms:
        value = form["line"].value()
        line = lines.get(int(value)) if str(value).isdigit() else None
        if line is not None:
            rows.append({"form": form, "line": line})
    has_errors = bool(header.errors) or any(f.errors for f in formset.forms)
    context = {"order": order, "form": header, "formset": formset, "rows": rows}
    return render(request, "web/purchasing/receipt_form.html", context, status=400 if has_errors else 200)


@permission_required("purchasing.view_goodsreceipt", raise_exception=True)
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt: GoodsReceipt = or_404(selectors.receipt, request.user, pk)
    lines = list(receipt.lines.select_related("order_line__product", "lot").order_by("id"))
    see_cost = request.user.has_perm(COST_PERMISSION)
    for line in lines:
        line.value = quantize_money(line.quantity * line.unit_cost) if see_cost else None  # type: ignore[attr-defined]
    context = {
        "receipt": receipt,
        "lines": lines,
        "total_quantity": sum((line.quantity for line in lines), ZERO),
        "total_cost": sum((line.value for line in lines), ZERO) if see_cost else None,  # type: ignore[attr-defined]
        "see_cost": see_cost,
        "see_lots": request.user.has_perm("inventory.view_lot"),
        "see_order": request.user.has_perm("purchasing.view_purchaseorder"),
        "tab": chosen_tab(request, RECEIPT_TABS),
        "tabs": RECEIPT_TABS,
        **record_panels(receipt),
    }
    return render(request, "web/purchasing/receipt_detail.html", context)


# Purchase returns ----------------------------------------------------------------------------------


def _return_rows(order: PurchaseOrder, formset: Any, doc: PurchaseReturn | None) -> list[dict[str, Any]]:
    """One row per received (line, lot) with what may still go back; the form cell of each."""
    left = return_services.returnable(order, exclude=doc)
    lines = {line.pk: line for line in selectors.order_lines(order)}
    lots = selectors.received_lots(order)
    by_key = {}
    for form in formset.forms:
        line_id, lot_id = form["line"].value(), form["lot"].value()
        if str(line_id).isdigit() and str(lot_id).isdigit():
            by_key[(int(line_id), int(lot_id))] = form
    rows = []
    for (line_id, lot_id), form in by_key.items():
        if line_id in lines and lot_id in lots:
            rows.append(
                {
                    "form": form,
                    "line": lines[line_id],
                    "lot": lots[lot_id],
                    "left": max(left.get((line_id, lot_id), ZERO), ZERO),
                }
            )
    return rows


def _return_initial(order: PurchaseOrder, doc: PurchaseReturn | None) -> list[dict[str, Any]]:
    left = return_services.returnable(order, exclude=doc)
    asked: dict[tuple[int, int], Decimal] = {}
    if doc is not None:
        for line in doc.lines.all():
            key = (line.order_line_id, line.lot_id)
            asked[key] = asked.get(key, ZERO) + line.quantity
    keys = sorted(k for k in {*left, *asked} if left.get(k, ZERO) > 0 or k in asked)
    return [{"line": line, "lot": lot, "quantity": plain(asked.get((line, lot)))} for line, lot in keys]


def _return_form(request: HttpRequest, order: PurchaseOrder, doc: PurchaseReturn | None) -> HttpResponse:
    header = ReturnForm(form_data(request), initial={"reason": doc.reason} if doc else {})
    formset = ReturnLineFormSet(form_data(request), prefix=LINES_PREFIX, initial=_return_initial(order, doc))
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        wanted = [
            (index, form.cleaned_data)
            for index, form in enumerate(formset.forms)
            if form.cleaned_data and form.cleaned_data.get("quantity")
        ]
        inputs = [
            return_services.ReturnLineInput(line_id=row["line"], lot_id=row["lot"], quantity=row["quantity"])
            for _index, row in wanted
        ]
        actor = acting_employee(request)
        reason = header.cleaned_data["reason"]
        try:
            if doc is None:
                saved = return_services.create_return(actor=actor, order=order, lines=inputs, reason=reason)
            else:
                saved = return_services.update_return(doc, actor=actor, lines=inputs, reason=reason)
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (formset, [index for index, _row in wanted])})
        else:
            messages.success(request, _("已保存采购退货单 %(number)s。") % {"number": saved.number})
            return redirect("web:purchase-return-detail", saved.pk)
    has_errors = bool(header.errors) or any(f.errors for f in formset.forms)
    context = {
        "order": order,
        "doc": doc,
        "form": header,
        "formset": formset,
        "rows": _return_rows(order, formset, doc),
    }
    return render(request, "web/purchasing/return_form.html", context, status=400 if has_errors else 200)


@permission_required("purchasing.add_purchasereturn", raise_exception=True)
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    if order.status not in (Status.IN_PROGRESS, Status.DONE):
        messages.warning(request, _("采购订单 %(number)s 还没有入库，不能退货。") % {"number": order.number})
        return redirect("web:purchase-order-detail", order.pk)
    return _return_form(request, order, None)


def _return_or_404(request: HttpRequest, pk: int) -> PurchaseReturn:
    return or_404(selectors.purchase_return, request.user, pk)


@permission_required("purchasing.change_purchasereturn", raise_exception=True)
def return_edit(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    if not doc.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": doc.number, "status": doc.get_status_display()},
        )
        return redirect("web:purchase-return-detail", doc.pk)
    return _return_form(request, doc.order, doc)


PURCHASE_RETURN_COLUMNS = [
    ExportColumn(gettext_lazy("退货单号"), key="number"),
    ExportColumn(gettext_lazy("采购订单"), key="order.number"),
    ExportColumn(gettext_lazy("供应商"), key="order.supplier.name"),
    ExportColumn(gettext_lazy("币种"), key="order.currency"),
    ExportColumn(gettext_lazy("退货金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("状态"), key="get_status_display"),
    ExportColumn(gettext_lazy("退货原因"), key="reason"),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
    ExportColumn(gettext_lazy("创建时间"), key="created_at", kind=Kind.DATETIME),
]


def _return_list(request: HttpRequest, *, to_ship: bool) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = "" if to_ship else request.GET.get("status", "")
    status = status if status in RETURN_STATUSES else ""
    qs = selectors.returns(request.user, search=search, status=status, to_ship=to_ship)
    qs = qs.prefetch_related("lines__order_line")
    if wants_xlsx(request):
        title = gettext_lazy("待发退货") if to_ship else gettext_lazy("采购退货")
        return xlsx_response(request, qs, PURCHASE_RETURN_COLUMNS, title)
    listing = paginate(request, qs)
    context = {
        "listing": listing,
        "to_ship": to_ship,
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in RETURN_STATUSES],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status),
    }
    return render(request, "web/purchasing/return_list.html", context)


@permission_required("purchasing.view_purchasereturn", raise_exception=True)
def return_list(request: HttpRequest) -> HttpResponse:
    return _return_list(request, to_ship=False)


@permission_required("purchasing.ship_purchasereturn", raise_exception=True)
def return_to_ship(request: HttpRequest) -> HttpResponse:
    """待发退货: approved returns logistics still has to send out."""
    return _return_list(request, to_ship=True)


def _render_return(
    request: HttpRequest,
    doc: PurchaseReturn,
    *,
    cancel_form: forms.Form | None = None,
    ship_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    steps = list(approval_steps(doc))
    can_change = user.has_perm("purchasing.change_purchasereturn")
    lines = list(doc.lines.select_related("order_line__product", "lot").order_by("id"))
    context = {
        "doc": doc,
        "lines": lines,
        "amount": doc.amount,
        "total_quantity": sum((line.quantity for line in lines), ZERO),
        "refunds": list(selectors.refunds_of(doc)),
        "see_receivable": user.has_perm("finance.view_receivable"),
        "see_order": user.has_perm("purchasing.view_purchaseorder"),
        "see_lots": user.has_perm("inventory.view_lot"),
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": chosen_tab(request, RETURN_TABS),
        "tabs": RETURN_TABS,
        "can_edit": can_change and doc.is_editable,
        "can_withdraw": can_change and doc.status == Status.SUBMITTED,
        "can_ship": user.has_perm("purchasing.ship_purchasereturn") and doc.status == Status.APPROVED,
        "cancel_form": cancel_form or ReasonForm(),
        "ship_form": ship_form or ShipForm(),
        "action_error": action_error,
        **record_panels(doc),
    }
    return render(request, "web/purchasing/return_detail.html", context, status=status)


@permission_required("purchasing.view_purchasereturn", raise_exception=True)
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_return(request, _return_or_404(request, pk))


@require_POST
@permission_required("purchasing.change_purchasereturn", raise_exception=True)
def return_submit(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    run = partial(return_services.submit_return, doc, actor=acting_employee(request))
    return step(request, doc, run, render=_render_return, done=SUBMITTED, detail="web:purchase-return-detail")


@require_POST
@permission_required("purchasing.change_purchasereturn", raise_exception=True)
def return_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    run = partial(return_services.withdraw_return, doc, actor=acting_employee(request))
    return step(request, doc, run, render=_render_return, done=WITHDRAWN, detail="web:purchase-return-detail")


@require_POST
@permission_required("purchasing.change_purchasereturn", raise_exception=True)
def return_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    return reasoned_step(
        request,
        doc,
        ReasonForm(request.POST),
        with_reason(return_services.cancel_return, doc, acting_employee(request)),
        render=_render_return,
        form_name="cancel_form",
        done=CANCELLED,
        detail=RETURN_DETAIL,
    )


@require_POST
@permission_required("purchasing.ship_purchasereturn", raise_exception=True)
def return_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """发出: logistics sends the approved return out; the supplier's refund becomes a receivable."""
    doc = _return_or_404(request, pk)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            return_services.ship_return(
                doc,
                actor=acting_employee(request),
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已发出 %(number)s，已生成供应商退款应收。") % {"number": doc.number})
            return redirect("web:purchase-return-detail", doc.pk)
    doc.refresh_from_db()
    return _render_return(request, doc, ship_form=form, status=400)
