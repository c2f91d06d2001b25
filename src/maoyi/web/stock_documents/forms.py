"""Forms of the stock document pages. They only parse input: a header form plus a formset of lines
(prefix "lines", rows added and removed in the browser); the rules live in the inventory services,
whose refusals the views put back on the header field or the grid cell they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maoyi.catalog.models import Category, Product
from maoyi.inventory import selectors
from maoyi.inventory.models import Lot, Warehouse
from maoyi.web.forms import StyledForm

LINES_PREFIX = "lines"


def quantity_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=18, decimal_places=4)


class ProductField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        spec = f" {obj.specification}" if obj.specification else ""
        return f"{obj.code} {obj.name}{spec}"


class WarehouseField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:
        return f"{obj.code} {obj.name}"


def _warehouse_field(label: Any) -> WarehouseField:
    return WarehouseField(label=label, queryset=Warehouse.objects.none(), empty_label=_("请选择仓库"))


class DocumentForm(StyledForm):
    """The header every stock document has: its warehouse and a note."""

    warehouse = _warehouse_field(_("仓库"))
    note = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("warehouse", "to_warehouse"):
            if name in self.fields:
                self.fields[name].queryset = selectors.warehouses(active=True)  # type: ignore[attr-defined]


class TransferForm(DocumentForm):
    warehouse = _warehouse_field(_("调出仓库"))
    to_warehouse = _warehouse_field(_("调入仓库"))


class StocktakeStartForm(DocumentForm):
    category = forms.ModelChoiceField(
        label=_("商品分类"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("全部商品"),
        help_text=_("只盘点这个分类（含下级分类）的商品。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.active_categories()  # type: ignore[attr-defined]


class StocktakeForm(StyledForm):
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# Lines ---------------------------------------------------------------------------------------------


class LineForm(StyledForm):
    """A grid row; its product is any product (the service refuses inactive ones by row)."""

    product = ProductField(label=_("商品"), queryset=Product.objects.all())


class OpeningLineForm(LineForm):
    lot_number = forms.CharField(label=_("批号"), max_length=60, required=False)
    production_date = forms.DateField(label=_("生产日期"), required=False)
    expiry_date = forms.DateField(label=_("有效期至"), required=False)
    quantity = quantity_field(_("数量"))
    unit_cost = forms.DecimalField(
        label=_("单位成本"), max_digits=20, decimal_places=6, min_value=Decimal("0")
    )


class TransferLineForm(LineForm):
    lot = forms.ModelChoiceField(label=_("批次"), queryset=Lot.objects.all(), required=False)
    quantity = quantity_field(_("数量"))


class StocktakeLineForm(LineForm):
    lot = forms.ModelChoiceField(queryset=Lot.objects.all(), required=False, widget=forms.HiddenInput)
    lot_number = forms.CharField(label=_("批号"), max_length=60, required=False)
    counted_quantity = quantity_field(_("实盘数量"))


OpeningLineFormSet = forms.formset_factory(OpeningLineForm, extra=0)
TransferLineFormSet = forms.formset_factory(TransferLineForm, extra=0)
StocktakeLineFormSet = forms.formset_factory(StocktakeLineForm, extra=0)


def filled_forms(formset: forms.BaseFormSet) -> list[tuple[int, dict[str, Any]]]:
    """The rows someone filled in (blank rows are skipped), with their position in the grid."""
    return [(index, form.cleaned_data) for index, form in enumerate(formset.forms) if form.cleaned_data]


def grid_rows(formset: forms.BaseFormSet | None, initial: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the grid starts from: what was posted (with each cell's errors) or the saved lines."""
    if formset is None or not formset.is_bound:
        return [{**row, "errors": {}} for row in initial]
    rows = []
    for form in formset.forms:
        row: dict[str, Any] = {}
        for name in form.fields:
            value = form[name].value()
            row[name] = "" if value is None else str(value)
        row["errors"] = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
        rows.append(row)
    return rows
