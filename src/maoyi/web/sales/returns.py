"""Sales return pages (销售退货): the list and logistics' 待收退货 queue, the return form against an
order's shipped lots (what each shipment line may still give back), the detail page with its
workflow buttons, and 收货 by logistics, which opens the customer's refund payable.

Approval happens in the approval inbox. A missing permission answers 403; a return or order outside
the user's data scope answers 404, the same as a missing one. Each view parses the request, calls
one selector or service and renders."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.approvals.selectors import history_of as approval_steps
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.core.tabular import Kind
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Warehouse
from maoyi.sales import selectors as order_selectors
from maoyi.sales import shipping_selectors as selectors
from maoyi.sales.models import SalesOrder, SalesReturn
from maoyi.sales.services import returns as return_services
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
from maoyi.web.forms import StyledForm, apply_domain_error, plain, put_grid_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.sales.shipping import order_url
from maoyi.web.stock_documents.forms import LINES_PREFIX, ReasonForm, WarehouseField

ZERO = Decimal("0")
RETURNABLE_ORDER_STATUSES = frozenset({Status.IN_PROGRESS, Status.DONE})
RETURN_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.APPROVED,
    Status.DONE,
    Status.CANCELLED,
)
RETURN_TABS = {
    "lines": gettext_lazy("明细"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
DETAIL = "web:sales-return-detail"
SUBMITTED = gettext_lazy("已提交 %(number)s，等待审核。")
WITHDRAWN = gettext_lazy("已撤回 %(number)s，可以修改后重新提交。")
CANCELLED = gettext_lazy("已作废 %(number)s。")


# Forms ---------------------------------------------------------------------------------------------


class ReturnForm(StyledForm):
    # Not required here: the service refuses an empty reason with its own message.
    reason = forms.CharField(
        label=gettext_lazy("退货原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    warehouse = WarehouseField(
        label=gettext_lazy("退回仓库"),
        queryset=Warehouse.objects.none(),
        empty_label=None,
        required=False,  # none posted: the service takes the order's warehouse
        help_text=gettext_lazy("检验不合格的货物可以退到不合格品仓。"),
    )

    def __init__(self, *args: Any, keep: Warehouse | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warehouse: Any = self.fields["warehouse"]
        warehouse.queryset = inventory_selectors.warehouses(active=True)
        if keep is not None and not keep.is_active:
            warehouse.queryset = warehouse.queryset | inventory_selectors.warehouses().filter(pk=keep.pk)


class ReturnLineForm(StyledForm):
    shipment_line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.DecimalField(
        label=gettext_lazy("退货数量"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}),
    )


ReturnLineFormSet = forms.formset_factory(ReturnLineForm, extra=0)


class ReceiveForm(StyledForm):
    received_on = forms.DateField(
        label=gettext_lazy("收货日期"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


# Workflow steps (the purchasing pages' pattern) -----------------------------------------------------


# The return form -----------------------------------------------------------------------------------


def _return_form(request: HttpRequest, order: SalesOrder, doc: SalesReturn | None) -> HttpResponse:
    """Rows: the order's shipment lines (each a lot) with what may still come back; a draft being
    edited keeps its own quantities (they are not counted against it)."""
    returnable = selectors.returnable_lines(order, exclude=doc)
    asked: dict[int, Decimal] = {}
    if doc is not None:
        for line in doc.lines.all():
            asked[line.shipment_line_id] = asked.get(line.shipment_line_id, ZERO) + line.quantity
    shown = [r for r in returnable if r.returnable > 0 or r.line.pk in asked]
    initial = [{"shipment_line": r.line.pk, "quantity": plain(asked.get(r.line.pk))} for r in shown]
    warehouse = doc.warehouse if doc else order.warehouse
    header = ReturnForm(
        form_data(request),
        initial={"reason": doc.reason if doc else "", "warehouse": warehouse.pk},
        keep=warehouse,
    )
    formset = ReturnLineFormSet(form_data(request), prefix=LINES_PREFIX, initial=initial)
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        wanted = [
            (index, form.cleaned_data)
            for index, form in enumerate(formset.forms)
            if form.cleaned_data and form.cleaned_data.get("quantity")
        ]
        inputs = [
            return_services.ReturnLineInput(shipment_line_id=row["shipment_line"], quantity=row["quantity"])
            for _index, row in wanted
        ]
        actor = acting_employee(request)
        fields = {
            "lines": inputs,
            "reason": header.cleaned_data["reason"],
            "warehouse": header.cleaned_data["warehouse"],
        }
        try:
            if doc is None:
                saved = return_services.create_return(order, actor=actor, **fields)
            else:
                saved = return_services.update_return(doc, actor=actor, **fields)
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (formset, [index for index, _row in wanted])})
        else:
            messages.success(request, _("已保存销售退货单 %(number)s。") % {"number": saved.number})
            return redirect(DETAIL, saved.pk)
    by_line = {r.line.pk: r for r in returnable}
    rows = []
    for form in formset.forms:
        value = form["shipment_line"].value()
        found = by_line.get(int(value)) if str(value).isdigit() else None
        if found is not None:
            rows.append({"form": form, "line": found.line, "left": found.returnable})
    has_errors = bool(header.errors) or any(f.errors for f in formset.forms)
    context = {
        "order": order,
        "doc": doc,
        "form": header,
        "formset": formset,
        "rows": rows,
        "order_url": order_url(order.pk),
    }
    return render(request, "web/sales/return_form.html", context, status=400 if has_errors else 200)


@permission_required("sales.add_salesreturn", raise_exception=True)
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = or_404(order_selectors.order, request.user, pk)
    if order.status not in RETURNABLE_ORDER_STATUSES:
        messages.warning(request, _("销售订单 %(number)s 还没有发货，不能退货。") % {"number": order.number})
        return redirect(order_url(order.pk))
    return _return_form(request, order, None)


def _return_or_404(request: HttpRequest, pk: int) -> SalesReturn:
    return or_404(selectors.sales_return, request.user, pk)


@permission_required("sales.change_salesreturn", raise_exception=True)
def return_edit(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    if not doc.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": doc.number, "status": doc.get_status_display()},
        )
        return redirect(DETAIL, doc.pk)
    return _return_form(request, doc.order, doc)


# Lists ---------------------------------------------------------------------------------------------


# The list's columns in its Excel export (导出), as on screen.
RETURN_COLUMNS = [
    ExportColumn(gettext_lazy("退货单号"), key="number"),
    ExportColumn(gettext_lazy("销售订单"), key="order.number"),
    ExportColumn(gettext_lazy("客户"), key="order.customer.name"),
    ExportColumn(gettext_lazy("退回仓库"), key="warehouse.name"),
    ExportColumn(gettext_lazy("退款金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("状态"), key="get_status_display"),
    ExportColumn(gettext_lazy("退货原因"), key="reason"),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
    ExportColumn(gettext_lazy("创建时间"), key="created_at", kind=Kind.DATETIME),
]


def _return_list(request: HttpRequest, *, to_receive: bool) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = "" if to_receive else request.GET.get("status", "")
    status = status if status in RETURN_STATUSES else ""
    qs = selectors.returns(request.user, search=search, status=status, to_receive=to_receive)
    if wants_xlsx(request):
        return xlsx_response(request, qs, RETURN_COLUMNS, gettext_lazy("销售退货"))
    listing = paginate(request, qs.prefetch_related("lines"))
    context = {
        "listing": listing,
        "to_receive": to_receive,
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in RETURN_STATUSES],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status),
    }
    return render(request, "web/sales/return_list.html", context)


@permission_required("sales.view_salesreturn", raise_exception=True)
def return_list(request: HttpRequest) -> HttpResponse:
    return _return_list(request, to_receive=False)


@permission_required("sales.receive_salesreturn", raise_exception=True)
def return_to_receive(request: HttpRequest) -> HttpResponse:
    """待收退货: approved returns whose goods logistics still has to take back in."""
    return _return_list(request, to_receive=True)


# Detail and workflow -------------------------------------------------------------------------------


def _render_return(
    request: HttpRequest,
    doc: SalesReturn,
    *,
    cancel_form: forms.Form | None = None,
    receive_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    steps = list(approval_steps(doc))
    can_change = user.has_perm("sales.change_salesreturn")
    lines = list(selectors.return_lines(doc))
    see_payables = user.has_perm("finance.view_payable")
    context = {
        "doc": doc,
        "lines": lines,
        "amount": doc.amount,
        "total_quantity": sum((line.quantity for line in lines), ZERO),
        "refunds": list(selectors.refunds_of(doc)) if see_payables else [],
        "see_order": user.has_perm("sales.view_salesorder"),
        "see_shipments": user.has_perm("sales.view_shipment"),
        "see_lots": user.has_perm("inventory.view_lot"),
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": chosen_tab(request, RETURN_TABS),
        "tabs": RETURN_TABS,
        "can_edit": can_change and doc.is_editable,
        "can_withdraw": can_change and doc.status == Status.SUBMITTED,
        "can_receive": user.has_perm("sales.receive_salesreturn") and doc.status == Status.APPROVED,
        "cancel_form": cancel_form or ReasonForm(),
        "receive_form": receive_form or ReceiveForm(),
        "action_error": action_error,
        **record_panels(doc),
    }
    return render(request, "web/sales/return_detail.html", context, status=status)


@permission_required("sales.view_salesreturn", raise_exception=True)
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_return(request, _return_or_404(request, pk))


@require_POST
@permission_required("sales.change_salesreturn", raise_exception=True)
def return_submit(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    run = partial(return_services.submit_return, doc, actor=acting_employee(request))
    return step(request, doc, run, render=_render_return, done=SUBMITTED, detail=DETAIL)


@require_POST
@permission_required("sales.change_salesreturn", raise_exception=True)
def return_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _return_or_404(request, pk)
    run = partial(return_services.withdraw_return, doc, actor=acting_employee(request))
    return step(request, doc, run, render=_render_return, done=WITHDRAWN, detail=DETAIL)


@require_POST
@permission_required("sales.change_salesreturn", raise_exception=True)
def return_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """作废 with a reason; the refusal goes onto the cancel form."""
    doc = _return_or_404(request, pk)
    return reasoned_step(
        request,
        doc,
        ReasonForm(request.POST),
        with_reason(return_services.cancel_return, doc, acting_employee(request)),
        render=_render_return,
        form_name="cancel_form",
        done=CANCELLED,
        detail=DETAIL,
    )


@require_POST
@permission_required("sales.receive_salesreturn", raise_exception=True)
def return_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """收货: logistics takes the approved return's goods back into the return's warehouse; the
    customer's refund becomes a payable."""
    doc = _return_or_404(request, pk)
    form = ReceiveForm(request.POST)
    if form.is_valid():
        try:
            return_services.receive_return(
                doc, actor=acting_employee(request), received_on=form.cleaned_data["received_on"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已收货 %(number)s，货物已退回 %(warehouse)s。")
                % {"number": doc.number, "warehouse": doc.warehouse.name},
            )
            return redirect(DETAIL, doc.pk)
    doc.refresh_from_db()
    return _render_return(request, doc, receive_form=form, status=400)


urlpatterns: list[URLPattern] = [
    path("returns/", return_list, name="sales-return-list"),
    path("returns/to-receive/", return_to_receive, name="sales-return-to-receive"),
    path("orders/<int:pk>/return/", return_create, name="sales-return-create"),
    path("returns/<int:pk>/", return_detail, name="sales-return-detail"),
    path("returns/<int:pk>/edit/", return_edit, name="sales-return-edit"),
    path("returns/<int:pk>/submit/", return_submit, name="sales-return-submit"),
    path("returns/<int:pk>/withdraw/", return_withdraw, name="sales-return-withdraw"),
    path("returns/<int:pk>/cancel/", return_cancel, name="sales-return-cancel"),
    path("returns/<int:pk>/receive/", return_receive, name="sales-return-receive"),
]
