"""Catalog pages: products (with level prices, availability per warehouse, attachments and history),
the category tree, price levels and warehouses.

Products, categories, price levels and warehouses are company data: a page needs the model's
permission (403 otherwise); a missing record answers 404. Each view parses the request, calls one
selector or service and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.catalog import selectors, services
from maoyi.catalog.models import Category, PriceLevel, Product
from maoyi.core.errors import DomainError
from maoyi.core.tabular import Kind
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Warehouse
from maoyi.inventory.selectors import availability
from maoyi.inventory.services import warehouses as warehouse_services
from maoyi.web.catalog.forms import (
    ACTIVE_FILTER,
    LOT_FILTER,
    CategoryForm,
    PriceLevelForm,
    ProductForm,
    WarehouseForm,
)
from maoyi.web.common import acting_employee, chosen_tab, form_data, form_status, or_404, record_panels
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.versioning import add_version, posted_version

ACTIVE_VALUES: dict[str, bool | None] = {"active": True, "inactive": False, "all": None}
LOT_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "": None}


def _optional_url(name: str) -> str | None:
    """A page another module provides, when it is there."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# Products ------------------------------------------------------------------------------------------


def _product_or_404(pk: int) -> Product:
    return or_404(selectors.product, pk)


def _active_label(record: Any) -> str:
    return _("启用") if record.is_active else _("停用")


# The lists' columns in their Excel exports (导出), as on screen.
PRODUCT_COLUMNS = [
    ExportColumn(gettext_lazy("商品编码"), key="code"),
    ExportColumn(gettext_lazy("商品名称"), key="name"),
    ExportColumn(gettext_lazy("注册证号"), key="registration_number"),
    ExportColumn(gettext_lazy("规格型号"), key="specification"),
    ExportColumn(gettext_lazy("单位"), key="unit"),
    ExportColumn(gettext_lazy("分类"), getter=lambda p: str(p.category) if p.category_id else ""),
    ExportColumn(gettext_lazy("品牌"), key="brand"),
    ExportColumn(gettext_lazy("生产厂家"), key="manufacturer"),
    ExportColumn(gettext_lazy("销售价"), key="sale_price", kind=Kind.QUANTITY),
    ExportColumn(gettext_lazy("批次管理"), getter=lambda p: _("批次") if p.lot_tracked else ""),
    ExportColumn(gettext_lazy("状态"), getter=_active_label),
]
CATEGORY_COLUMNS = [
    ExportColumn(gettext_lazy("分类名称"), key="name"),
    ExportColumn(gettext_lazy("英文名称"), key="name_en"),
    ExportColumn(gettext_lazy("上级分类"), getter=lambda c: str(c.parent) if c.parent_id else ""),
    ExportColumn(gettext_lazy("商品数"), key="product_count", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("排序"), key="sort_order", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("状态"), getter=_active_label),
]
PRICE_LEVEL_COLUMNS = [
    ExportColumn(gettext_lazy("名称"), key="name"),
    ExportColumn(gettext_lazy("代码"), key="code"),
    ExportColumn(gettext_lazy("类型"), key="get_kind_display"),
    ExportColumn(gettext_lazy("英文名称"), key="name_en"),
    ExportColumn(gettext_lazy("排序"), key="sort_order", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("状态"), getter=_active_label),
]


@permission_required("catalog.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    active = request.GET.get("active", "active")
    active = active if active in ACTIVE_VALUES else "active"
    lot = request.GET.get("lot", "")
    lot = lot if lot in LOT_VALUES else ""
    choices = selectors.category_choices()
    category_id = request.GET.get("category", "")
    category = choices.filter(pk=category_id).first() if category_id.isdigit() else None
    ordering = request.GET.get("o", "")
    qs = selectors.products(
        search=search,
        category=category,
        active=ACTIVE_VALUES[active],
        lot_tracked=LOT_VALUES[lot],
        ordering=ordering,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, PRODUCT_COLUMNS, gettext_lazy("商品"))
    context = {
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "active": active,
        "actives": ACTIVE_FILTER,
        "lot": lot,
        "lots": LOT_FILTER,
        "category": category,
        "categories": [(c, "　" * c.depth + c.name) for c in choices],
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or category or lot or active != "active"),
    }
    return render(request, "web/catalog/product_list.html", context)


def _product_tabs(request: HttpRequest) -> dict[str, Any]:
    tabs: dict[str, Any] = {"info": gettext_lazy("基本信息"), "prices": gettext_lazy("价格")}
    if request.user.has_perm("inventory.view_stockbalance"):
        tabs["stock"] = gettext_lazy("库存")
    tabs["attachments"] = gettext_lazy("附件")
    tabs["history"] = gettext_lazy("操作日志")
    return tabs


@permission_required("catalog.view_product", raise_exception=True)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    tabs = _product_tabs(request)
    tab = chosen_tab(request, tabs)
    context: dict[str, Any] = {
        "product": product,
        "tab": tab,
        "tabs": tabs,
        "warning": selectors.registration_warning(product),
        **record_panels(product),
    }
    if tab == "prices":
        context["level_prices"] = selectors.level_prices(product)
    elif tab == "stock":
        context["stock"] = availability(product)
        context["lot_list_url"] = _optional_url("web:lot-list")
    return render(request, "web/catalog/product_detail.html", context)


def _save_product(request: HttpRequest, product: Product | None) -> HttpResponse:
    actor = acting_employee(request)
    form = ProductForm(form_data(request), instance=product)
    add_version(form, product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                saved = services.create_product(actor=actor, **form.product_fields())
            else:
                saved = services.update_product(
                    product, actor=actor, version=posted_version(form), **form.product_fields()
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已创建商品“%(name)s”。") if product is None else _("已保存商品“%(name)s”。")
            messages.success(request, done % {"name": saved.name})
            return redirect("web:product-detail", saved.pk)
    context = {"form": form, "product": product}
    return render(request, "web/catalog/product_form.html", context, status=form_status(form))


@permission_required("catalog.add_product", raise_exception=True)
def product_create(request: HttpRequest) -> HttpResponse:
    return _save_product(request, None)


@permission_required("catalog.change_product", raise_exception=True)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_product(request, _product_or_404(pk))


@require_POST
@permission_required("catalog.change_product", raise_exception=True)
def product_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    try:
        services.deactivate_product(product, actor=acting_employee(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已停用商品“%(name)s”。") % {"name": product.name})
    return redirect("web:product-detail", product.pk)


@require_POST
@permission_required("catalog.change_product", raise_exception=True)
def product_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    try:
        services.reactivate_product(product, actor=acting_employee(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用商品“%(name)s”。") % {"name": product.name})
    return redirect("web:product-detail", product.pk)


# Categories ----------------------------------------------------------------------------------------


def _category_or_404(pk: int) -> Category:
    return or_404(selectors.categories().get, pk=pk)


@permission_required("catalog.view_category", raise_exception=True)
def category_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    if wants_xlsx(request):
        return xlsx_response(
            request, selectors.categories(search=search), CATEGORY_COLUMNS, gettext_lazy("商品分类")
        )
    found = list(selectors.categories(search=search))
    rows = [{"category": c, "indent": range(0 if search else c.depth)} for c in found]
    return render(request, "web/catalog/category_list.html", {"rows": rows, "q": search})


def _save_category(request: HttpRequest, category: Category | None) -> HttpResponse:
    actor = acting_employee(request)
    extra = {"initial": {"parent": request.GET.get("parent")}} if category is None else {}
    form = CategoryForm(form_data(request), instance=category, **extra)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if category is None:
                saved = services.create_category(
                    actor=actor,
                    name=data["name"],
                    parent=data["parent"],
                    name_en=data["name_en"],
                    sort_order=data["sort_order"] or 0,
                )
            else:
                saved = services.update_category(
                    category,
                    actor=actor,
                    name=data["name"],
                    parent=data["parent"],
                    name_en=data["name_en"],
                    sort_order=data["sort_order"] or 0,
                    is_active=data["is_active"],
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存分类“%(name)s”。") % {"name": saved.name})
            return redirect("web:category-list")
    context = {"form": form, "category": category}
    return render(request, "web/catalog/category_form.html", context, status=form_status(form))


@permission_required("catalog.add_category", raise_exception=True)
def category_create(request: HttpRequest) -> HttpResponse:
    return _save_category(request, None)


@permission_required("catalog.change_category", raise_exception=True)
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_category(request, _category_or_404(pk))


# Price levels --------------------------------------------------------------------------------------


def _level_or_404(pk: int) -> PriceLevel:
    return or_404(selectors.price_levels().get, pk=pk)


@permission_required("catalog.view_pricelevel", raise_exception=True)
def price_level_list(request: HttpRequest) -> HttpResponse:
    levels = selectors.price_levels()
    if wants_xlsx(request):
        return xlsx_response(request, levels, PRICE_LEVEL_COLUMNS, gettext_lazy("价格等级"))
    return render(request, "web/catalog/price_level_list.html", {"levels": levels})


def _save_level(request: HttpRequest, level: PriceLevel | None) -> HttpResponse:
    actor = acting_employee(request)
    form = PriceLevelForm(form_data(request), instance=level)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if level is None:
                saved = services.create_price_level(
                    actor=actor,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    name_en=data["name_en"],
                    sort_order=data["sort_order"] or 0,
                )
            else:
                saved = services.update_price_level(
                    level,
                    actor=actor,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    name_en=data["name_en"],
                    sort_order=data["sort_order"] or 0,
                    is_active=data["is_active"],
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存价格等级“%(name)s”。") % {"name": saved.name})
            return redirect("web:price-level-list")
    context = {"form": form, "level": level}
    return render(request, "web/catalog/price_level_form.html", context, status=form_status(form))


@permission_required("catalog.add_pricelevel", raise_exception=True)
def price_level_create(request: HttpRequest) -> HttpResponse:
    return _save_level(request, None)


@permission_required("catalog.change_pricelevel", raise_exception=True)
def price_level_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_level(request, _level_or_404(pk))


# Warehouses ----------------------------------------------------------------------------------------


def _warehouse_or_404(pk: int) -> Warehouse:
    return or_404(inventory_selectors.warehouse, pk)


@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    active = request.GET.get("active", "all")
    active = active if active in ACTIVE_VALUES else "all"
    ordering = request.GET.get("o", "")
    qs = inventory_selectors.warehouses(search=search, active=ACTIVE_VALUES[active], ordering=ordering)
    context = {
        "listing": paginate(request, qs, ordering=ordering),
        "q": search,
        "active": active,
        "actives": ACTIVE_FILTER,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or active != "all"),
    }
    return render(request, "web/catalog/warehouse_list.html", context)


def _save_warehouse(request: HttpRequest, warehouse: Warehouse | None) -> HttpResponse:
    actor = acting_employee(request)
    form = WarehouseForm(form_data(request), instance=warehouse)
    add_version(form, warehouse)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if warehouse is None:
                saved = warehouse_services.create_warehouse(
                    actor=actor,
                    code=data["code"],
                    name=data["name"],
                    address=data["address"],
                    keeper=data["keeper"],
                )
            else:
                saved = warehouse_services.update_warehouse(
                    warehouse,
                    actor=actor,
                    version=posted_version(form),
                    code=data["code"],
                    name=data["name"],
                    address=data["address"],
                    keeper=data["keeper"],
                    is_active=data["is_active"],
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存仓库“%(name)s”。") % {"name": saved.name})
            return redirect("web:warehouse-list")
    context = {"form": form, "warehouse": warehouse}
    return render(request, "web/catalog/warehouse_form.html", context, status=form_status(form))


@permission_required("inventory.add_warehouse", raise_exception=True)
def warehouse_create(request: HttpRequest) -> HttpResponse:
    return _save_warehouse(request, None)


@permission_required("inventory.change_warehouse", raise_exception=True)
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_warehouse(request, _warehouse_or_404(pk))
