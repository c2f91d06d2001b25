"""Customer quote pages (报价单) and contract pages (合同): lists, forms with a line grid (a blank
price proposes the customer's price-level price), details with their status or workflow buttons,
the printable quote, and the customer's 报价 and 合同 tabs (registered here at import).

A quote is seen through its customer, a contract through its owner and department; one outside the
user's scope answers 404 like a missing one. Contracts are approved in the approval inbox (the
default approval workflow). Each view parses the request, calls one selector or service and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import Product, ProductPrice
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.money import quantize_money
from maoyi.core.tabular import Kind
from maoyi.crm import selectors as customer_selectors
from maoyi.crm.models import Contract, Customer, Opportunity, Quote, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import quotes as quote_services
from maoyi.org import scope
from maoyi.web.common import acting_employee, chosen_tab, form_data, or_404, record_panels
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error, date_field, decimal_field, plain, put_grid_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.stock_documents.forms import LINES_PREFIX, ProductField, ReasonForm, filled_forms, grid_rows
from maoyi.web.versioning import add_version, posted_version

QUOTE_TABS = {
    "lines": gettext_lazy("明细"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
CONTRACT_TABS = {
    "lines": gettext_lazy("明细"),
    "approvals": gettext_lazy("审批记录"),
    "attachments": gettext_lazy("附件"),
    "history": gettext_lazy("操作日志"),
}
CONTRACT_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.REJECTED, Status.APPROVED, Status.CANCELLED)
MARK_LABELS: dict[str, Any] = {
    QuoteStatus.SENT: gettext_lazy("标记为已发送"),
    QuoteStatus.ACCEPTED: gettext_lazy("客户已接受"),
    QuoteStatus.DECLINED: gettext_lazy("客户已拒绝"),
}


class CustomerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return obj.name


class OpportunityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Opportunity) -> str:
        return f"{obj.customer.name} · {obj.title}"


# Forms -----------------------------------------------------------------------------------------------


class QuoteForm(StyledForm):
    customer = CustomerField(label=gettext_lazy("客户"), queryset=Customer.objects.none())
    opportunity = OpportunityField(
        label=gettext_lazy("机会"), queryset=Opportunity.objects.none(), required=False
    )
    valid_until = date_field(gettext_lazy("有效期至"))
    note = forms.CharField(
        label=gettext_lazy("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, quote: Quote | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        customers = customer_selectors.customers(user).filter(is_active=True)
        fields["customer"].queryset = customers
        opportunities = scope.visible(user, Opportunity.objects.select_related("customer"))
        if quote is not None:
            del fields["customer"]
            opportunities = opportunities.filter(customer_id=quote.customer_id)
        fields["opportunity"].queryset = opportunities.order_by("customer__pinyin", "-id")
        self.customer_levels = {
            str(pk): str(level or "") for pk, level in customers.values_list("pk", "price_level_id")
        }


class LineForm(StyledForm):
    product = ProductField(label=gettext_lazy("商品"), queryset=Product.objects.all())
    quantity = decimal_field(gettext_lazy("数量"))
    unit_price = decimal_field(gettext_lazy("含税单价"), required=False)


LineFormSet = forms.formset_factory(LineForm, extra=0)


class ContractForm(StyledForm):
    customer = CustomerField(label=gettext_lazy("客户"), queryset=Customer.objects.none())
    title = forms.CharField(label=gettext_lazy("合同名称"), max_length=200)
    amount = decimal_field(
        gettext_lazy("合同金额"),
        required=False,
        help_text=gettext_lazy("留空则按明细合计。"),
    )
    signed_on = date_field(gettext_lazy("签订日期"))
    start_date = date_field(gettext_lazy("开始日期"))
    end_date = date_field(gettext_lazy("结束日期"))
    note = forms.CharField(
        label=gettext_lazy("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, contract: Contract | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        customers = customer_selectors.customers(user).filter(is_active=True)
        fields["customer"].queryset = customers
        if contract is not None:
            del fields["customer"]
        self.customer_levels = {
            str(pk): str(level or "") for pk, level in customers.values_list("pk", "price_level_id")
        }


class FromQuoteForm(StyledForm):
    title = forms.CharField(
        label=gettext_lazy("合同名称"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("留空则用客户名称和报价单号。"),
    )
    signed_on = date_field(gettext_lazy("签订日期"), initial=timezone.localdate)
    start_date = date_field(gettext_lazy("开始日期"), initial=timezone.localdate)
    end_date = date_field(gettext_lazy("结束日期"))


# Helpers ---------------------------------------------------------------------------------------------


def _line_inputs(lines: Any) -> tuple[list[quote_services.QuoteLineInput], list[int]]:
    filled = filled_forms(lines)
    inputs = [
        quote_services.QuoteLineInput(
            product_id=row["product"].pk, quantity=row["quantity"], unit_price=row.get("unit_price")
        )
        for _index, row in filled
    ]
    return inputs, [index for index, _row in filled]


def _grid_config(levels: dict[str, str], customer: Customer | None) -> tuple[list[Product], dict[str, Any]]:
    """What the grid's price preview needs: each product's sale and minimum price, each active price
    level's prices, and each customer's level (the service decides on saving)."""
    products = list(catalog_selectors.products(active=True))
    level_prices: dict[str, dict[str, str]] = {}
    for row in ProductPrice.objects.filter(price_level__is_active=True, product__is_active=True):
        level_prices.setdefault(str(row.price_level_id), {})[str(row.product_id)] = plain(row.price)
    config = {
        "sale": {str(p.pk): plain(p.sale_price) for p in products},
        "minimum": {str(p.pk): plain(p.min_sale_price) for p in products if p.min_sale_price is not None},
        "levels": level_prices,
        "customerLevels": levels,
        "customer": str(customer.pk) if customer else "",
        "customerLevel": str(customer.price_level_id or "") if customer else "",
    }
    return products, config


def _saved_rows(lines: Any, *, typed_only: bool) -> list[dict[str, Any]]:
    """Saved lines as the grid shows them. A quote's proposed price stays blank (saving again
    proposes again), with the saved price as a hint."""
    rows = []
    for line in lines:
        typed = not typed_only or line.price_source == selectors.PRICE_TYPED
        rows.append(
            {
                "product": str(line.product_id),
                "quantity": plain(line.quantity),
                "unit_price": plain(line.unit_price) if typed else "",
                "saved_price": "" if typed else plain(line.unit_price),
            }
        )
    return rows


def _preselected(request: HttpRequest) -> Customer | None:
    value = request.GET.get("customer", "")
    if not value.isdigit():
        return None
    return customer_selectors.customers(request.user).filter(pk=value).first()


def _can_change_customer(request: HttpRequest, customer: Customer) -> bool:
    return scope.can_change(request.user, customer)


# Quotes: list ----------------------------------------------------------------------------------------


def _quote_rows(quotes: list[Quote], *, today: dt.date) -> list[dict[str, Any]]:
    return [{"quote": q, "expired": selectors.is_expired(q, today)} for q in quotes]


# The lists' columns in their Excel exports (导出), as on screen.
QUOTE_COLUMNS = [
    ExportColumn(gettext_lazy("报价单号"), key="quote.number"),
    ExportColumn(gettext_lazy("客户"), key="quote.customer.name"),
    ExportColumn(
        gettext_lazy("状态"),
        getter=lambda row: QuoteStatus.EXPIRED.label if row["expired"] else row["quote"].get_status_display(),
    ),
    ExportColumn(gettext_lazy("金额"), key="quote.amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("有效期至"), key="quote.valid_until", kind=Kind.DATE),
    ExportColumn(gettext_lazy("报价人"), key="quote.created_by.name"),
    ExportColumn(gettext_lazy("创建时间"), key="quote.created_at", kind=Kind.DATETIME),
]
CONTRACT_COLUMNS = [
    ExportColumn(gettext_lazy("合同编号"), key="number"),
    ExportColumn(gettext_lazy("合同名称"), key="title"),
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("状态"), key="get_status_display"),
    ExportColumn(gettext_lazy("合同金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("签订日期"), key="signed_on", kind=Kind.DATE),
    ExportColumn(gettext_lazy("开始日期"), key="start_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("结束日期"), key="end_date", kind=Kind.DATE),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
]


@permission_required("crm.view_quote", raise_exception=True)
def quote_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in (*QuoteStatus.values, selectors.EXPIRED) else ""
    qs = selectors.quotes(request.user, status=status, search=search)
    today = timezone.localdate()
    if wants_xlsx(request):
        rows_of = partial(_quote_rows, today=today)
        return xlsx_response(request, qs, QUOTE_COLUMNS, gettext_lazy("报价单"), prepare=rows_of)
    listing = paginate(request, qs)
    rows = _quote_rows(list(listing.page), today=today)
    statuses = [(s.value, s.label) for s in QuoteStatus if s != QuoteStatus.EXPIRED]
    context = {
        "listing": listing,
        "rows": rows,
        "q": search,
        "status": status,
        "statuses": [*statuses, (selectors.EXPIRED, QuoteStatus.EXPIRED.label)],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status),
    }
    return render(request, "web/crm/quote_list.html", context)


# Quotes: form ----------------------------------------------------------------------------------------


def _quote_form(request: HttpRequest, quote: Quote | None) -> HttpResponse:
    customer = quote.customer if quote else _preselected(request)
    initial: dict[str, Any] = {"valid_until": timezone.localdate() + dt.timedelta(days=30)}
    if quote is not None:
        initial = {"opportunity": quote.opportunity_id, "valid_until": quote.valid_until, "note": quote.note}
    elif customer is not None:
        initial["customer"] = customer.pk
        if request.GET.get("opportunity", "").isdigit():
            initial["opportunity"] = int(request.GET["opportunity"])
    header = QuoteForm(form_data(request), initial=initial, user=request.user, quote=quote)
    add_version(header, quote)
    lines = LineFormSet(form_data(request), prefix=LINES_PREFIX)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        inputs, positions = _line_inputs(lines)
        data = header.cleaned_data
        fields = {
            "valid_until": data["valid_until"],
            "lines": inputs,
            "opportunity": data["opportunity"],
            "note": data["note"],
        }
        actor = acting_employee(request)
        try:
            if quote is None:
                saved = quote_services.create_quote(actor=actor, customer=data["customer"], **fields)
            else:
                saved = quote_services.update_quote(
                    quote, actor=actor, version=posted_version(header), **fields
                )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (lines, positions)})
        else:
            messages.success(request, _("已保存报价单 %(number)s。") % {"number": saved.number})
            return redirect("web:customer-quote-detail", saved.pk)
    has_errors = bool(header.errors) or any(f.errors for f in lines.forms)
    saved_rows = _saved_rows(quote.lines.all(), typed_only=True) if quote else []
    rows = grid_rows(lines, saved_rows)
    products, config = _grid_config(header.customer_levels, customer)
    context = {
        "quote": quote,
        "customer": customer,
        "form": header,
        "formset": lines,
        "rows": rows,
        "products": products,
        "grid_config": config,
    }
    return render(request, "web/crm/quote_form.html", context, status=400 if has_errors else 200)


@permission_required("crm.add_quote", raise_exception=True)
def quote_create(request: HttpRequest) -> HttpResponse:
    return _quote_form(request, None)


@permission_required("crm.change_quote", raise_exception=True)
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = or_404(selectors.quote, request.user, pk)
    if not _can_change_customer(request, quote.customer):
        raise Http404
    if quote.status != QuoteStatus.DRAFT:
        messages.warning(
            request,
            _("报价单 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": quote.number, "status": quote.get_status_display()},
        )
        return redirect("web:customer-quote-detail", quote.pk)
    return _quote_form(request, quote)


# Quotes: detail, status, print -----------------------------------------------------------------------


def _quote_context(request: HttpRequest, quote: Quote) -> dict[str, Any]:
    rows = selectors.quote_lines(quote)
    total = selectors.quote_total(rows)
    return {
        "quote": quote,
        "rows": rows,
        "total": total,
        "total_words": selectors.amount_in_words(total),
        "expired": selectors.is_expired(quote),
        "below_minimum": any(r.below_minimum for r in rows),
    }


@permission_required("crm.view_quote", raise_exception=True)
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = or_404(selectors.quote, request.user, pk)
    tab = chosen_tab(request, QUOTE_TABS)
    context = _quote_context(request, quote)
    can_change = request.user.has_perm("crm.change_quote") and _can_change_customer(request, quote.customer)
    expired = context["expired"]
    marks = [
        (s, MARK_LABELS[s])
        for s in quote_services.NEXT_STATUSES.get(quote.status, ())
        if not (expired and s in (QuoteStatus.SENT, QuoteStatus.ACCEPTED))
    ]
    contract = selectors.contract_of_quote(quote)
    context.update(
        {
            "tab": tab,
            "tabs": QUOTE_TABS,
            "can_edit": can_change and quote.status == QuoteStatus.DRAFT,
            "marks": marks if can_change else [],
            "contract": contract if contract and scope.can_view(request.user, contract) else None,
            "can_make_contract": request.user.has_perm("crm.add_contract")
            and can_change
            and quote.status == QuoteStatus.ACCEPTED
            and contract is None,
            # A sent or accepted quote, still valid, may become sales orders (the service checks).
            "can_make_order": request.user.has_perm("sales.add_salesorder")
            and can_change
            and quote.status in (QuoteStatus.SENT, QuoteStatus.ACCEPTED)
            and not expired,
            **record_panels(quote),
        }
    )
    return render(request, "web/crm/quote_detail.html", context)


@require_POST
@permission_required("crm.change_quote", raise_exception=True)
def quote_mark(request: HttpRequest, pk: int) -> HttpResponse:
    quote = or_404(selectors.quote, request.user, pk)
    try:
        marked = quote_services.mark_quote(
            quote, actor=acting_employee(request), status=request.POST.get("status", "")
        )
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("报价单 %(number)s 已改为“%(status)s”。")
            % {"number": marked.number, "status": marked.get_status_display()},
        )
    return redirect("web:customer-quote-detail", quote.pk)


@permission_required("crm.view_quote", raise_exception=True)
def quote_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable quote: company, customer, lines, totals in figures and in 大写, validity and
    the signature area."""
    quote = or_404(selectors.quote, request.user, pk)
    context = _quote_context(request, quote)
    context.update({"company_name": selectors.company_name(), "printed_on": timezone.localdate()})
    return render(request, "web/crm/quote_print.html", context)


@permission_required("crm.add_contract", raise_exception=True)
def quote_to_contract(request: HttpRequest, pk: int) -> HttpResponse:
    """生成合同 from an accepted quote: the dates (and a title) are asked, the lines copied."""
    quote = or_404(selectors.quote, request.user, pk)
    form = FromQuoteForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_services.create_contract_from_quote(
                quote, actor=acting_employee(request), **form.cleaned_data
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已生成合同 %(number)s。") % {"number": contract.number})
            return redirect("web:contract-detail", contract.pk)
    context = {"quote": quote, "form": form}
    return render(request, "web/crm/contract_from_quote.html", context, status=400 if form.errors else 200)


# Contracts: list and form ----------------------------------------------------------------------------


@permission_required("crm.view_contract", raise_exception=True)
def contract_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in CONTRACT_STATUSES else ""
    qs = selectors.contracts(request.user, status=status, search=search)
    if wants_xlsx(request):
        return xlsx_response(request, qs, CONTRACT_COLUMNS, gettext_lazy("合同"))
    context = {
        "listing": paginate(request, qs),
        "q": search,
        "status": status,
        "statuses": [(s.value, s.label) for s in CONTRACT_STATUSES],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status),
    }
    return render(request, "web/crm/contract_list.html", context)


def _contract_form(request: HttpRequest, contract: Contract | None) -> HttpResponse:
    customer = contract.customer if contract else _preselected(request)
    initial: dict[str, Any] = {"signed_on": timezone.localdate(), "start_date": timezone.localdate()}
    if contract is not None:
        initial = {
            "title": contract.title,
            "amount": plain(contract.amount),
            "signed_on": contract.signed_on,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "note": contract.note,
        }
    elif customer is not None:
        initial["customer"] = customer.pk
    header = ContractForm(form_data(request), initial=initial, user=request.user, contract=contract)
    add_version(header, contract)
    lines = LineFormSet(form_data(request), prefix=LINES_PREFIX)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        inputs, positions = _line_inputs(lines)
        data = header.cleaned_data
        fields = {
            "title": data["title"],
            "amount": data["amount"],
            "signed_on": data["signed_on"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "lines": inputs,
            "note": data["note"],
        }
        actor = acting_employee(request)
        try:
            if contract is None:
                saved = contract_services.create_contract(actor=actor, customer=data["customer"], **fields)
            else:
                saved = contract_services.update_contract(
                    contract, actor=actor, version=posted_version(header), **fields
                )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            put_grid_error(exc, header, {LINES_PREFIX: (lines, positions)})
        else:
            messages.success(request, _("已保存合同 %(number)s。") % {"number": saved.number})
            return redirect("web:contract-detail", saved.pk)
    has_errors = bool(header.errors) or any(f.errors for f in lines.forms)
    saved_rows = _saved_rows(contract.lines.all(), typed_only=False) if contract else []
    rows = grid_rows(lines, saved_rows)
    products, config = _grid_config(header.customer_levels, customer)
    context = {
        "contract": contract,
        "customer": customer,
        "form": header,
        "formset": lines,
        "rows": rows,
        "products": products,
        "grid_config": config,
    }
    return render(request, "web/crm/contract_form.html", context, status=400 if has_errors else 200)


@permission_required("crm.add_contract", raise_exception=True)
def contract_create(request: HttpRequest) -> HttpResponse:
    return _contract_form(request, None)


@permission_required("crm.change_contract", raise_exception=True)
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = or_404(selectors.contract, request.user, pk)
    if not contract.is_editable:
        messages.warning(
            request,
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。")
            % {"number": contract.number, "status": contract.get_status_display()},
        )
        return redirect("web:contract-detail", contract.pk)
    return _contract_form(request, contract)


# Contracts: detail and workflow ----------------------------------------------------------------------


def _render_contract(
    request: HttpRequest,
    contract: Contract,
    *,
    cancel_form: forms.Form | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    lines = selectors.contract_lines(contract)
    steps = selectors.contract_approvals(contract)
    can_change = request.user.has_perm("crm.change_contract")
    context = {
        "contract": contract,
        "doc": contract,
        "lines": [{"line": x, "amount": quantize_money(x.quantity * x.unit_price)} for x in lines],
        "lines_total": selectors.lines_total(lines),
        "amount_words": selectors.amount_in_words(contract.amount),
        "steps": steps,
        "approval_request": steps[-1].request if steps else None,
        "tab": chosen_tab(request, CONTRACT_TABS),
        "tabs": CONTRACT_TABS,
        "can_edit": can_change and contract.is_editable,
        "can_withdraw": can_change and contract.status == Status.SUBMITTED,
        "can_cancel": can_change and contract.is_editable,
        "cancel_form": cancel_form or ReasonForm(),
        "action_error": action_error,
        **record_panels(contract),
    }
    return render(request, "web/crm/contract_detail.html", context, status=status)


@permission_required("crm.view_contract", raise_exception=True)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_contract(request, or_404(selectors.contract, request.user, pk))


def _step(request: HttpRequest, pk: int, run: Callable[[Contract], object], done: str) -> HttpResponse:
    contract = or_404(selectors.contract, request.user, pk)
    try:
        run(contract)
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        contract.refresh_from_db()
        return _render_contract(request, contract, action_error=exc.message, status=400)
    messages.success(request, done % {"number": contract.number})
    return redirect("web:contract-detail", contract.pk)


@require_POST
@permission_required("crm.change_contract", raise_exception=True)
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    return _step(
        request,
        pk,
        lambda c: contract_services.submit_contract(c, actor=actor),
        _("已提交 %(number)s，等待审核。"),
    )


@require_POST
@permission_required("crm.change_contract", raise_exception=True)
def contract_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    actor = acting_employee(request)
    return _step(
        request,
        pk,
        lambda c: contract_services.withdraw_contract(c, actor=actor),
        _("已撤回 %(number)s，可以修改后重新提交。"),
    )


@require_POST
@permission_required("crm.change_contract", raise_exception=True)
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contract = or_404(selectors.contract, request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            contract_services.cancel_contract(
                contract, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已作废 %(number)s。") % {"number": contract.number})
            return redirect("web:contract-detail", contract.pk)
    contract.refresh_from_db()
    return _render_contract(request, contract, cancel_form=form, status=400)


# The customer's 报价 and 合同 tabs ----------------------------------------------------------------------


def _quotes_tab(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    today = timezone.localdate()
    found = selectors.quotes(request.user, customer_id=customer.pk)
    return {
        "quote_rows": [{"quote": q, "expired": selectors.is_expired(q, today)} for q in found],
        "can_add_quote": request.user.has_perm("crm.add_quote") and _can_change_customer(request, customer),
    }


def _contracts_tab(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "contracts": list(selectors.contracts(request.user, customer_id=customer.pk)),
        "can_add_contract": request.user.has_perm("crm.add_contract")
        and _can_change_customer(request, customer),
    }


add_customer_tab(CustomerTab("quotes", gettext_lazy("报价"), "crm.view_quote", _quotes_tab, order=40))
add_customer_tab(
    CustomerTab("contracts", gettext_lazy("合同"), "crm.view_contract", _contracts_tab, order=45)
)
