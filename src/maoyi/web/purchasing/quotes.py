"""Supplier quote pages (报价管理): the list (search, supplier and validity filters, paging), the
form (new, edit), 撤回, the comparison (报价比较: each product's valid quotes side by side in CNY,
the cheapest highlighted), a product's price history with a chart, and the 报价 tab of the
supplier page.

Quotes are company data: a page needs the model's permission (403 otherwise); a missing record
answers 404. Each view parses the request, calls one selector or service and renders."""

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
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import Product
from maoyi.core.errors import DomainError
from maoyi.core.money import Currency
from maoyi.core.tabular import Kind
from maoyi.purchasing import selectors
from maoyi.purchasing.models import Supplier, SupplierQuote
from maoyi.purchasing.services import quotes as services
from maoyi.web.common import acting_employee, form_data, form_status, or_404
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.purchasing import views as supplier_views

STATE_FILTER = (
    ("active", gettext_lazy("未撤回")),
    ("valid", gettext_lazy("当前有效")),
    ("withdrawn", gettext_lazy("已撤回")),
    ("all", gettext_lazy("全部状态")),
)


def _plain(value: Any) -> Any:
    """A stored decimal as a person types it: 12.5000 → 12.5."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _quote_or_404(pk: int) -> SupplierQuote:
    return or_404(selectors.quote, pk)


def quote_state(quote: SupplierQuote, today: dt.date) -> str:
    """withdrawn / expired / pending / valid, for the badge."""
    if not quote.is_active:
        return "withdrawn"
    if quote.valid_until < today:
        return "expired"
    if quote.valid_from > today:
        return "pending"
    return "valid"


# Forms ---------------------------------------------------------------------------------------------


class SupplierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Supplier) -> str:
        label = f"{obj.code} {obj.name}（{obj.currency}）"
        return label if obj.is_active else f"{label}{_('（已停用）')}"


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        label = f"{obj.code} {obj.name}" + (f" {obj.specification}" if obj.specification else "")
        return label if obj.is_active else f"{label}{_('（已停用）')}"


def _decimal(label: Any, **kwargs: Any) -> forms.DecimalField:
    # No max_digits / decimal_places: the service's rules (and messages) decide.
    return forms.DecimalField(
        label=label, widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}), **kwargs
    )


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class QuoteForm(StyledForm):
    supplier = SupplierChoiceField(label=gettext_lazy("供应商"), queryset=Supplier.objects.none())
    product = ProductChoiceField(label=gettext_lazy("商品"), queryset=Product.objects.none())
    unit_price = _decimal(gettext_lazy("含税单价"))
    currency = forms.ChoiceField(
        label=gettext_lazy("币种"),
        required=False,
        choices=[("", gettext_lazy("（供应商币种）")), *Currency.choices],
        help_text=gettext_lazy("留空则按供应商的结算币种。"),
    )
    min_quantity = _decimal(gettext_lazy("起订量"), required=False, initial=Decimal("0"))
    valid_from = _date_field(gettext_lazy("生效日期"))
    valid_until = _date_field(gettext_lazy("失效日期"))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, instance: SupplierQuote | None = None, **kwargs: Any) -> None:
        if instance is not None:
            initial = {name: _plain(getattr(instance, name)) for name in self.base_fields}
            initial["supplier"] = instance.supplier_id
            initial["product"] = instance.product_id
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        supplier: Any = self.fields["supplier"]
        supplier.queryset = selectors.supplier_choices(keep=instance.supplier if instance else None)
        condition = Product.objects.filter(is_active=True)
        if instance is not None:
            condition = condition | Product.objects.filter(pk=instance.product_id)
        product: Any = self.fields["product"]
        product.queryset = condition.order_by("code")
        # Each supplier option carries its currency, so picking one can preset the currency.
        supplier.widget.attrs["data-quote-supplier"] = "1"
        self.supplier_currencies = {
            str(pk): cur for pk, cur in supplier.queryset.values_list("pk", "currency")
        }

    def quote_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("min_quantity") is None:
            data["min_quantity"] = Decimal("0")
        return data


# Lists ---------------------------------------------------------------------------------------------


QUOTE_STATES = {
    "withdrawn": gettext_lazy("已撤回"),
    "expired": gettext_lazy("已过期"),
    "pending": gettext_lazy("未生效"),
    "valid": gettext_lazy("有效"),
}


def _quote_rows(quotes: list[SupplierQuote], *, today: dt.date) -> list[tuple[SupplierQuote, str]]:
    return [(q, quote_state(q, today)) for q in quotes]


# The list's columns in its Excel export (导出), as on screen; rows are (quote, state).
QUOTE_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), getter=lambda r: r[0].product.code),
    ExportColumn(gettext_lazy("商品"), getter=lambda r: r[0].product.name),
    ExportColumn(gettext_lazy("规格"), getter=lambda r: r[0].product.specification),
    ExportColumn(gettext_lazy("供应商"), getter=lambda r: r[0].supplier.name),
    ExportColumn(gettext_lazy("含税单价"), getter=lambda r: r[0].unit_price, kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("币种"), getter=lambda r: r[0].currency),
    ExportColumn(gettext_lazy("起订量"), getter=lambda r: r[0].min_quantity, kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("生效日期"), getter=lambda r: r[0].valid_from, kind=Kind.DATE),
    ExportColumn(gettext_lazy("失效日期"), getter=lambda r: r[0].valid_until, kind=Kind.DATE),
    ExportColumn(gettext_lazy("状态"), getter=lambda r: QUOTE_STATES[r[1]]),
    ExportColumn(gettext_lazy("备注"), getter=lambda r: r[0].note),
]


@permission_required("purchasing.view_supplierquote", raise_exception=True)
def quote_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    state = request.GET.get("state", "active")
    state = state if state in dict(STATE_FILTER) else "active"
    supplier_id = request.GET.get("supplier", "")
    # The one chosen supplier (a chip), never a list of them all: `q` finds suppliers by name and pinyin.
    supplier = selectors.suppliers().filter(pk=supplier_id).first() if supplier_id.isdigit() else None
    ordering = request.GET.get("o", "")
    today = timezone.localdate()
    qs = selectors.quotes(
        supplier=supplier,
        search=search,
        valid_on=today if state == "valid" else None,
        active={"active": True, "valid": True, "withdrawn": False, "all": None}[state],
        ordering=ordering,
    )
    if wants_xlsx(request):
        rows_of = partial(_quote_rows, today=today)
        return xlsx_response(request, qs, QUOTE_COLUMNS, gettext_lazy("供应商报价"), prepare=rows_of)
    listing = paginate(request, qs, ordering=ordering)
    context = {
        "listing": listing,
        "rows": _quote_rows(list(listing.page), today=today),
        "q": search,
        "state": state,
        "states": STATE_FILTER,
        "supplier": supplier,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or supplier or state != "active"),
    }
    return render(request, "web/purchasing/quote_list.html", context)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


def _save_quote(request: HttpRequest, quote: SupplierQuote | None) -> HttpResponse:
    actor = acting_employee(request)
    initial: dict[str, Any] = {}
    if quote is None:
        today = timezone.localdate()
        initial = {"valid_from": today, "valid_until": today.replace(month=12, day=31)}
        for name in ("supplier", "product"):
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
    extra = {"initial": initial} if quote is None else {}
    form = QuoteForm(form_data(request), instance=quote, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            if quote is None:
                saved = services.create_quote(actor=actor, **form.quote_fields())
            else:
                saved = services.update_quote(quote, actor=actor, **form.quote_fields())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已保存报价：%(supplier)s · %(product)s。")
            messages.success(request, done % {"supplier": saved.supplier.name, "product": saved.product.name})
            return redirect(_safe_next(request, f"{reverse('web:quote-list')}?supplier={saved.supplier_id}"))
    context = {"form": form, "quote": quote, "next": _safe_next(request, "")}
    return render(request, "web/purchasing/quote_form.html", context, status=form_status(form))


@permission_required("purchasing.add_supplierquote", raise_exception=True)
def quote_create(request: HttpRequest) -> HttpResponse:
    return _save_quote(request, None)


@permission_required("purchasing.change_supplierquote", raise_exception=True)
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_quote(request, _quote_or_404(pk))


@require_POST
@permission_required("purchasing.change_supplierquote", raise_exception=True)
def quote_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(pk)
    try:
        services.withdraw_quote(quote, actor=acting_employee(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("已撤回报价：%(supplier)s · %(product)s。")
        messages.success(request, done % {"supplier": quote.supplier.name, "product": quote.product.name})
    return redirect(_safe_next(request, reverse("web:quote-list")))


# Comparison and history ----------------------------------------------------------------------------


@permission_required("purchasing.view_supplierquote", raise_exception=True)
def quote_compare(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    on = _date(request.GET.get("on", "")) or timezone.localdate()
    choices = catalog_selectors.category_choices()
    category_id = request.GET.get("category", "")
    category = choices.filter(pk=category_id).first() if category_id.isdigit() else None
    rows = selectors.comparison(on=on, search=search, category=category)
    context = {
        "listing": paginate(request, rows),  # type: ignore[arg-type]
        "q": search,
        "on": on,
        "today": timezone.localdate(),
        "category": category,
        "categories": [(c, "　" * c.depth + c.name) for c in choices],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or category or on != timezone.localdate()),
    }
    return render(request, "web/purchasing/quote_compare.html", context)


@permission_required("purchasing.view_supplierquote", raise_exception=True)
def quote_history(request: HttpRequest, pk: int) -> HttpResponse:
    product = or_404(catalog_selectors.product, pk)
    rows = selectors.price_history(product.pk)
    today = timezone.localdate()
    # The chart: one line per supplier, the CNY unit price from each quote's first valid day.
    series: dict[str, list[list[str]]] = {}
    for row in rows:
        if row.cny_price is not None:
            name = row.quote.supplier.short_name or row.quote.supplier.name
            series.setdefault(name, []).append([row.quote.valid_from.isoformat(), str(row.cny_price)])
    context = {
        "product": product,
        "rows": [(row, quote_state(row.quote, today)) for row in rows],
        "chart": {"series": [{"name": name, "data": data} for name, data in series.items()]},
    }
    return render(request, "web/purchasing/quote_history.html", context)


# The supplier page's 报价 tab ------------------------------------------------------------------------


def supplier_quotes_context(request: HttpRequest, supplier: Supplier) -> dict[str, Any]:
    today = timezone.localdate()
    found = selectors.quotes(supplier=supplier, active=None)
    return {"supplier_quotes": [(q, quote_state(q, today)) for q in found]}


supplier_views.TAB_CONTEXT["quotes"] = supplier_quotes_context
