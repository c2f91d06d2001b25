"""Stock document pages: opening stock (期初), stocktakes (盘点) and transfers (调拨), each with a
list, a detail page with its workflow buttons, and a form with a line grid; plus the read-only page
of a reversal (红冲单). Approval happens in the approval inbox, which calls the document type's own
approve service (registered by the inventory app), so approving posts the moves.

Each view parses the request, calls one selector or service and renders. A missing permission is
refused with 403; a document outside the user's data scope answers 404, the same as a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.forms import BaseFormSet, Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.approvals.selectors import history_of as approval_steps
from maoyi.audit.selectors import history_of
from maoyi.catalog import selectors as catalog_selectors
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.core.tabular import Kind as ColumnKind
from maoyi.inventory import selectors
from maoyi.inventory.models import OpeningStock, StockDocument, StockReversal, Stocktake, Transfer
from maoyi.inventory.services import documents, opening, reversal, stocktake, transfer
from maoyi.web.common import acting_employee, form_data, or_404, record_panels
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import (
    LINES_PREFIX,
    DocumentForm,
    OpeningLineFormSet,
    ReasonForm,
    StocktakeForm,
    StocktakeLineFormSet,
    StocktakeStartForm,
    TransferForm,
    TransferLineFormSet,
    filled_forms,
    grid_rows,
)


@dataclass(frozen=True)
class Kind:
    """One stock document type as the pages see it; `code` prefixes its URLs and URL names."""

    code: str
    model: type[StockDocument]
    label: Any
    new_label: Any


KINDS = {
    "opening": Kind("opening", OpeningStock, gettext_lazy("期初库存"), gettext_lazy("新建期初库存")),
    "stocktake": Kind("stocktake", Stocktake, gettext_lazy("盘点"), gettext_lazy("开始盘点")),
    "transfer": Kind("transfer", Transfer, gettext_lazy("调拨"), gettext_lazy("新建调拨单")),
}
MODELS = {kind.model.DOCUMENT_TYPE: kind.model for kind in KINDS.values()}
LIST_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REJECTED,
    Status.DONE,
    Status.REVERSED,
    Status.CANCELLED,
)
TABS = {
    "lines": gettext_lazy("明细"),
    "moves": gettext_lazy("库存流水"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}


def _require(request: HttpRequest, model: type[StockDocument], action: str) -> None:
    if not request.user.has_perm(documents.perm(model, action)):
        raise PermissionDenied


def _document_or_404(request: HttpRequest, model: type[StockDocument], pk: int) -> Any:
    return or_404(selectors.visible_stock_document, request.user, model, pk)


# Lists ---------------------------------------------------------------------------------------------


def _document_columns(spec: Kind) -> list[ExportColumn]:
    """The list's columns in its Excel export (导出), as on screen for the document type."""
    columns = [ExportColumn(gettext_lazy("单据编号"), key="number")]
    if spec.code == "transfer":
        columns += [
            ExportColumn(gettext_lazy("调出仓库"), key="warehouse.name"),
            ExportColumn(gettext_lazy("调入仓库"), key="to_warehouse.name"),
        ]
    else:
        columns.append(ExportColumn(gettext_lazy("仓库"), key="warehouse.name"))
    if spec.code == "stocktake":
        columns.append(ExportColumn(gettext_lazy("盘点时间"), key="counted_at", kind=ColumnKind.DATETIME))
    return [
        *columns,
        ExportColumn(gettext_lazy("明细行数"), key="line_count", kind=ColumnKind.NUMBER),
        ExportColumn(gettext_lazy("状态"), key="get_status_display"),
        ExportColumn(gettext_lazy("负责人"), key="owner.name"),
        ExportColumn(gettext_lazy("创建时间"), key="created_at", kind=ColumnKind.DATETIME),
        ExportColumn(gettext_lazy("过账时间"), key="posted_at", kind=ColumnKind.DATETIME),
        ExportColumn(gettext_lazy("备注"), key="note"),
    ]


def document_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, spec.model, "view")
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in LIST_STATUSES else ""
    warehouses = selectors.warehouses()
    warehouse_id = request.GET.get("warehouse", "")
    warehouse = warehouses.filter(pk=warehouse_id).first() if warehouse_id.isdigit() else None
    ordering = request.GET.get("o", "")
    qs = selectors.stock_documents(
        request.user, spec.model, search=search, status=status, warehouse=warehouse, ordering=ordering
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, _document_columns(spec), spec.label)
    context = {
        "kind": spec,
        "can_add": request.user.has_perm(documents.perm(spec.model, "add")),
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in LIST_STATUSES],
        "warehouse": warehouse,
        "warehouses": warehouses,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status or warehouse),
    }
    return render(request, "web/stock_documents/document_list.html", context)


# Detail and workflow -------------------------------------------------------------------------------


def _lines(doc: StockDocument) -> dict[str, Any]:
    """The lines a detail page shows, with the figures its type needs."""
    if isinstance(doc, OpeningStock):
        received = list(doc.lines.select_related("product").order_by("id"))
        amounts = [line.quantity * line.unit_cost for line in received]
        for line, amount in zip(received, amounts, strict=True):
            line.amount = amount  # type: ignore[attr-defined]
        return {
            "lines": received,
            "total_quantity": sum((line.quantity for line in received), Decimal("0")),
            "total_amount": sum(amounts, Decimal("0")),
        }
    if isinstance(doc, Stocktake):
        counted = list(
            doc.lines.select_related("product", "lot").order_by(
                "product__code", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
            )
        )
        return {
            "lines": counted,
            "gains": len([line for line in counted if line.difference > 0]),
            "losses": len([line for line in counted if line.difference < 0]),
        }
    moved = list(doc.lines.select_related("product", "lot").order_by("id"))  # type: ignore[attr-defined]
    return {"lines": moved, "total_quantity": sum((line.quantity for line in moved), Decimal("0"))}


def _render_detail(
    request: HttpRequest,
    spec: Kind,
    doc: StockDocument,
    *,
    reverse_form: Form | None = None,
    cancel_form: Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_change = user.has_perm(documents.perm(spec.model, "change"))
    steps = list(approval_steps(doc))
    posted = doc.status == Status.DONE and doc.has_downstream()
    tab = request.GET.get("tab", "")
    if reverse_form is not None and reverse_form.errors:
        tab = "lines"
    context = {
        "kind": spec,
        "doc": doc,
        "tab": tab if tab in TABS else "lines",
        "tabs": TABS,
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "moves": selectors.document_moves(doc),
        "reversal": selectors.reversal_of(doc),
        "can_edit": can_change and doc.is_editable,
        "can_withdraw": can_change and doc.status == Status.SUBMITTED,
        "can_reverse": posted and user.has_perm(documents.perm(StockReversal, "add")),
        "reverse_form": reverse_form or ReasonForm(),
        "cancel_form": cancel_form or ReasonForm(),
        "action_error": action_error,
        **_lines(doc),
        **record_panels(doc),
    }
    return render(request, "web/stock_documents/document_detail.html", context, status=status)


def document_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, spec.model, "view")
    return _render_detail(request, spec, _document_or_404(request, spec.model, pk))


@require_POST
def document_submit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, spec.model, "change")
    doc = _document_or_404(request, spec.model, pk)
    try:
        documents.submit_document(doc, actor=acting_employee(request))
    except DomainError as exc:
        doc.refresh_from_db()
        return _render_detail(request, spec, doc, action_error=exc.message, status=400)
    messages.success(request, _("已提交 %(number)s，等待审核。") % {"number": doc.number})
    return redirect(f"web:{spec.code}-detail", doc.pk)


@require_POST
def document_withdraw(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, spec.model, "change")
    doc = _document_or_404(request, spec.model, pk)
    try:
        documents.withdraw_document(doc, actor=acting_employee(request))
    except DomainError as exc:
        doc.refresh_from_db()
        return _render_detail(request, spec, doc, action_error=exc.message, status=400)
    messages.success(request, _("已撤回 %(number)s，可以修改后重新提交。") % {"number": doc.number})
    return redirect(f"web:{spec.code}-detail", doc.pk)


@require_POST
def document_cancel(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, spec.model, "change")
    doc = _document_or_404(request, spec.model, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            documents.cancel_document(doc, actor=acting_employee(request), reason=form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已作废 %(number)s。") % {"number": doc.number})
            return redirect(f"web:{spec.code}-detail", doc.pk)
    doc.refresh_from_db()
    return _render_detail(request, spec, doc, cancel_form=form, status=400)


@require_POST
def document_reverse(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = KINDS[kind]
    _require(request, StockReversal, "add")
    doc = _document_or_404(request, spec.model, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            made = reversal.reverse_document(
                doc, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            message = _("已红冲 %(number)s，红冲单 %(reversal)s。")
            messages.success(request, message % {"number": doc.number, "reversal": made.number})
            return redirect(f"web:{spec.code}-detail", doc.pk)
    doc.refresh_from_db()
    return _render_detail(request, spec, doc, reverse_form=form, status=400)


def reversal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, StockReversal, "view")
    doc = _document_or_404(request, StockReversal, pk)
    original_kind = next((k for k in KINDS.values() if doc.reverses_type == k.model.DOCUMENT_TYPE), None)
    original = None
    if original_kind is not None and request.user.has_perm(documents.perm(original_kind.model, "view")):
        original = selectors.reversed_document(request.user, doc, MODELS)
    context = {
        "doc": doc,
        "original": original,
        "original_kind": original_kind,
        "moves": selectors.document_moves(doc),
        "history": history_of(doc),
    }
    return render(request, "web/stock_documents/reversal_detail.html", context)


# Forms with a line grid ----------------------------------------------------------------------------


def _apply_error(exc: DomainError, header: Form, formset: BaseFormSet, positions: list[int]) -> None:
    """Put a service refusal on the grid cell (`lines.<n>.<field>`, n counting filled rows only),
    or on the header field it names, or above the form."""
    parts = (exc.field or "").split(".")
    if len(parts) == 3 and parts[0] == LINES_PREFIX and parts[1].isdigit() and int(parts[1]) < len(positions):
        form = formset.forms[positions[int(parts[1])]]
        form.add_error(parts[2] if parts[2] in form.fields else None, exc.message)
        return
    apply_domain_error(header, exc)


def _editable_or_redirect(request: HttpRequest, spec: Kind, doc: StockDocument) -> HttpResponse | None:
    if doc.is_editable:
        return None
    messages.warning(
        request,
        _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
        % {"number": doc.number, "status": doc.get_status_display()},
    )
    return redirect(f"web:{spec.code}-detail", doc.pk)


def _form_page(
    request: HttpRequest,
    template: str,
    spec: Kind,
    doc: StockDocument | None,
    header: Form,
    formset: BaseFormSet,
    rows: list[dict[str, Any]],
    **extra: Any,
) -> HttpResponse:
    has_errors = (
        bool(header.errors) or any(f.errors for f in formset.forms) or bool(formset.non_form_errors())
    )
    products = list(catalog_selectors.products(active=True))
    context = {
        "kind": spec,
        "doc": doc,
        "form": header,
        "formset": formset,
        "rows": rows,
        "products": products,
        "tracked_ids": [p.pk for p in products if p.lot_tracked],
        **extra,
    }
    return render(request, template, context, status=400 if has_errors else 200)


def _opening_rows(doc: OpeningStock | None) -> list[dict[str, Any]]:
    if doc is None:
        return []
    return [
        {
            "product": str(line.product_id),
            "lot_number": line.lot_number,
            "production_date": line.production_date.isoformat() if line.production_date else "",
            "expiry_date": line.expiry_date.isoformat() if line.expiry_date else "",
            "quantity": f"{line.quantity.normalize():f}",
            "unit_cost": f"{line.unit_cost.normalize():f}",
        }
        for line in doc.lines.order_by("id")
    ]


def opening_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    spec = KINDS["opening"]
    _require(request, spec.model, "change" if pk else "add")
    doc: OpeningStock | None = _document_or_404(request, spec.model, pk) if pk else None
    if doc is not None and (refused := _editable_or_redirect(request, spec, doc)):
        return refused
    initial = {"warehouse": doc.warehouse_id, "note": doc.note} if doc else {}
    header = DocumentForm(form_data(request), initial=initial)
    formset = OpeningLineFormSet(form_data(request), prefix=LINES_PREFIX)
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        actor = acting_employee(request)
        filled = filled_forms(formset)
        lines = [
            opening.OpeningLineInput(
                product_id=row["product"].pk,
                quantity=row["quantity"],
                unit_cost=row["unit_cost"],
                lot_number=row["lot_number"],
                production_date=row["production_date"],
                expiry_date=row["expiry_date"],
            )
            for _index, row in filled
        ]
        data = header.cleaned_data
        try:
            if doc is None:
                doc = opening.create_opening_stock(
                    actor=actor, warehouse=data["warehouse"], lines=lines, note=data["note"]
                )
            else:
                opening.update_opening_stock(
                    doc, actor=actor, warehouse=data["warehouse"], lines=lines, note=data["note"]
                )
        except DomainError as exc:
            _apply_error(exc, header, formset, [index for index, _row in filled])
        else:
            messages.success(request, _("已保存期初库存 %(number)s。") % {"number": doc.number})
            return redirect("web:opening-detail", doc.pk)
    rows = grid_rows(formset, _opening_rows(doc))
    return _form_page(request, "web/stock_documents/opening_form.html", spec, doc, header, formset, rows)


def _transfer_rows(doc: Transfer | None) -> list[dict[str, Any]]:
    if doc is None:
        return []
    return [
        {
            "product": str(line.product_id),
            "lot": str(line.lot_id or ""),
            "quantity": f"{line.quantity.normalize():f}",
        }
        for line in doc.lines.order_by("id")
    ]


def _lot_choices(doc: Transfer | None) -> list[dict[str, Any]]:
    """Lots with stock per warehouse (and the lots the document already names), for the lot picker."""
    choices = []
    for balance in selectors.lots_in_stock():
        lot = balance.lot
        expiry = _("，有效期至 %(date)s") % {"date": lot.expiry_date.isoformat()} if lot.expiry_date else ""
        label = _("%(lot)s（现存 %(on_hand)s%(expiry)s）") % {
            "lot": lot.lot_number or _("无批号"),
            "on_hand": f"{balance.on_hand.normalize():f}",
            "expiry": expiry,
        }
        choices.append(
            {"id": lot.pk, "product": balance.product_id, "warehouse": balance.warehouse_id, "label": label}
        )
    if doc is not None:
        known = {(c["id"], c["warehouse"]) for c in choices}
        for line in doc.lines.select_related("lot"):
            if line.lot is not None and (line.lot_id, doc.warehouse_id) not in known:
                label = _("%(lot)s（无库存）") % {"lot": line.lot.lot_number or _("无批号")}
                choices.append(
                    {
                        "id": line.lot_id,
                        "product": line.product_id,
                        "warehouse": doc.warehouse_id,
                        "label": label,
                    }
                )
    return choices


def transfer_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    spec = KINDS["transfer"]
    _require(request, spec.model, "change" if pk else "add")
    doc: Transfer | None = _document_or_404(request, spec.model, pk) if pk else None
    if doc is not None and (refused := _editable_or_redirect(request, spec, doc)):
        return refused
    initial = (
        {"warehouse": doc.warehouse_id, "to_warehouse": doc.to_warehouse_id, "note": doc.note} if doc else {}
    )
    header = TransferForm(form_data(request), initial=initial)
    formset = TransferLineFormSet(form_data(request), prefix=LINES_PREFIX)
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        actor = acting_employee(request)
        filled = filled_forms(formset)
        lines = [
            transfer.TransferLineInput(
                product_id=row["product"].pk,
                quantity=row["quantity"],
                lot_id=row["lot"].pk if row["lot"] else None,
            )
            for _index, row in filled
        ]
        data = header.cleaned_data
        try:
            if doc is None:
                doc = transfer.create_transfer(
                    actor=actor,
                    warehouse=data["warehouse"],
                    to_warehouse=data["to_warehouse"],
                    lines=lines,
                    note=data["note"],
                )
            else:
                transfer.update_transfer(
                    doc,
                    actor=actor,
                    warehouse=data["warehouse"],
                    to_warehouse=data["to_warehouse"],
                    lines=lines,
                    note=data["note"],
                )
        except DomainError as exc:
            _apply_error(exc, header, formset, [index for index, _row in filled])
        else:
            messages.success(request, _("已保存调拨单 %(number)s。") % {"number": doc.number})
            return redirect("web:transfer-detail", doc.pk)
    rows = grid_rows(formset, _transfer_rows(doc))
    return _form_page(
        request,
        "web/stock_documents/transfer_form.html",
        spec,
        doc,
        header,
        formset,
        rows,
        lots=_lot_choices(doc),
    )


def stocktake_start(request: HttpRequest) -> HttpResponse:
    spec = KINDS["stocktake"]
    _require(request, spec.model, "add")
    form = StocktakeStartForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            doc = stocktake.start_stocktake(
                actor=acting_employee(request),
                warehouse=data["warehouse"],
                category=data["category"],
                note=data["note"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            message = _("已开始盘点 %(number)s：账面数量取自 %(time)s，请录入实盘数量。")
            messages.success(
                request,
                message
                % {"number": doc.number, "time": f"{timezone.localtime(doc.counted_at):%Y-%m-%d %H:%M}"},
            )
            return redirect("web:stocktake-edit", doc.pk)
    status = 400 if form.errors else 200
    return render(
        request, "web/stock_documents/stocktake_start.html", {"kind": spec, "form": form}, status=status
    )


def _stocktake_rows(doc: Stocktake, formset: BaseFormSet) -> list[dict[str, Any]]:
    """Snapshot lines show their product, lot and book quantity; rows added for found goods get
    their book quantity (as of counting time) when saved."""
    saved = {
        str(line.lot_id): line
        for line in doc.lines.select_related("product", "lot").order_by(
            "product__code", F("lot__expiry_date").asc(nulls_last=True), "lot__lot_number"
        )
    }
    initial = [
        {
            "product": str(line.product_id),
            "lot": str(line.lot_id),
            "lot_number": line.lot.lot_number,
            "counted_quantity": f"{line.counted_quantity.normalize():f}",
        }
        for line in saved.values()
    ]
    rows = grid_rows(formset, initial)
    for row in rows:
        line = saved.get(row.get("lot", ""))
        row["fixed"] = line is not None
        row["book"] = f"{line.book_quantity.normalize():f}" if line else ""
        if line is not None:
            row["product_label"] = f"{line.product.code} {line.product.name}"
            row["lot_label"] = line.lot.lot_number or _("无批号")
            row["expiry"] = line.lot.expiry_date.isoformat() if line.lot.expiry_date else ""
    return rows


def stocktake_edit(request: HttpRequest, pk: int) -> HttpResponse:
    spec = KINDS["stocktake"]
    _require(request, spec.model, "change")
    doc: Stocktake = _document_or_404(request, spec.model, pk)
    if refused := _editable_or_redirect(request, spec, doc):
        return refused
    header = StocktakeForm(form_data(request), initial={"note": doc.note})
    formset = StocktakeLineFormSet(form_data(request), prefix=LINES_PREFIX)
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        filled = filled_forms(formset)
        counts = [
            stocktake.StocktakeCount(
                product_id=row["product"].pk,
                counted_quantity=row["counted_quantity"],
                lot_id=row["lot"].pk if row["lot"] else None,
                lot_number=row["lot_number"],
            )
            for _index, row in filled
        ]
        try:
            stocktake.update_stocktake(
                doc, actor=acting_employee(request), counts=counts, note=header.cleaned_data["note"]
            )
        except DomainError as exc:
            _apply_error(exc, header, formset, [index for index, _row in filled])
        else:
            messages.success(request, _("已保存盘点单 %(number)s。") % {"number": doc.number})
            return redirect("web:stocktake-detail", doc.pk)
    rows = _stocktake_rows(doc, formset)
    return _form_page(request, "web/stock_documents/stocktake_form.html", spec, doc, header, formset, rows)
