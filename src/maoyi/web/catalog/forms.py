"""Forms of the catalog pages. They only parse input; the rules live in `maoyi.catalog.services` and
`maoyi.inventory.services.warehouses`, whose refusals the views put back on these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maoyi.catalog import selectors
from maoyi.catalog.models import Category, PriceLevel, PriceLevelKind, Product
from maoyi.inventory.models import Warehouse
from maoyi.org.models import Employee
from maoyi.org.selectors import active_employees
from maoyi.web.forms import StyledForm

PRICE_FIELD_PREFIX = "price_"


def _plain(value: Any) -> Any:
    """A stored decimal as a person types it: 0.3200 → 0.32, 20000.0000 → 20000."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _decimal(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=18,
        decimal_places=4,
        required=required,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


class CategoryChoiceField(forms.ModelChoiceField):
    """A category picker that shows the tree by indenting each name by its depth."""

    def label_from_instance(self, obj: Category) -> str:
        label = "　" * obj.depth + obj.name
        return label if obj.is_active else f"{label}{_('（已停用）')}"


class ProductForm(StyledForm):
    code = forms.CharField(label=_("商品编码"), max_length=40)
    name = forms.CharField(label=_("商品名称"), max_length=200)
    specification = forms.CharField(label=_("规格型号"), max_length=200, required=False)
    unit = forms.CharField(label=_("单位"), max_length=20, initial="个")
    category = CategoryChoiceField(
        label=_("分类"), queryset=Category.objects.none(), required=False, empty_label=_("（未分类）")
    )
    brand = forms.CharField(label=_("品牌"), max_length=100, required=False)
    manufacturer = forms.CharField(label=_("生产厂家"), max_length=200, required=False)
    registration_number = forms.CharField(label=_("注册证号"), max_length=100, required=False)
    registration_expires_on = forms.DateField(
        label=_("注册证有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    barcode = forms.CharField(label=_("条码"), max_length=64, required=False)
    lot_tracked = forms.BooleanField(
        label=_("批次管理"),
        required=False,
        initial=True,
        help_text=_("实行批次管理的商品，入库须填写批号和有效期，出库按先到期先出。"),
    )
    shelf_life_days = forms.IntegerField(label=_("保质期（天）"), required=False)
    purchase_price = _decimal(_("采购价"), initial=Decimal("0"))
    sale_price = _decimal(_("销售价"), initial=Decimal("0"))
    min_sale_price = _decimal(_("最低售价"), required=False)
    min_stock = _decimal(_("最低库存"), initial=Decimal("0"))
    max_stock = _decimal(_("最高库存"), required=False)

    def __init__(self, *args: Any, instance: Product | None = None, **kwargs: Any) -> None:
        held: dict[int, Decimal] = {}
        if instance is not None:
            held = {
                row.level.pk: row.price for row in selectors.level_prices(instance) if row.price is not None
            }
            initial = {
                name: _plain(getattr(instance, name)) for name in self.base_fields if name != "category"
            }
            initial["category"] = instance.category_id
            initial.update({f"{PRICE_FIELD_PREFIX}{pk}": _plain(price) for pk, price in held.items()})
            kwargs.setdefault("initial", initial)
        self.levels = list(selectors.price_levels(active=True))
        super().__init__(*args, **kwargs)
        category: Any = self.fields["category"]
        category.queryset = selectors.category_choices(keep=instance.category if instance else None)
        for level in self.levels:
            field = _decimal(level.name, required=False)
            field.widget.attrs["placeholder"] = _("按销售价")
            field.widget.attrs["class"] = "form-control"
            self.fields[f"{PRICE_FIELD_PREFIX}{level.pk}"] = field

    def price_rows(self) -> list[tuple[PriceLevel, Any]]:
        """(price level, bound price field) per active price level, for the inline grid."""
        return [(level, self[f"{PRICE_FIELD_PREFIX}{level.pk}"]) for level in self.levels]

    def level_prices(self) -> dict[PriceLevel, Decimal | None]:
        """One price per active level; an empty input removes the level price."""
        return {level: self.cleaned_data.get(f"{PRICE_FIELD_PREFIX}{level.pk}") for level in self.levels}

    def product_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "unit": data["unit"],
            "specification": data["specification"],
            "category": data["category"],
            "brand": data["brand"],
            "manufacturer": data["manufacturer"],
            "registration_number": data["registration_number"],
            "registration_expires_on": data["registration_expires_on"],
            "lot_tracked": data["lot_tracked"],
            "shelf_life_days": data["shelf_life_days"],
            "purchase_price": data["purchase_price"],
            "sale_price": data["sale_price"],
            "min_sale_price": data["min_sale_price"],
            "min_stock": data["min_stock"],
            "max_stock": data["max_stock"],
            "barcode": data["barcode"],
            "prices": self.level_prices(),
        }


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("分类名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=100, required=False)
    parent = CategoryChoiceField(
        label=_("上级分类"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("（无，作为顶级分类）"),
    )
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, instance: Category | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "name_en": instance.name_en,
                    "parent": instance.parent_id,
                    "sort_order": instance.sort_order,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        parent: Any = self.fields["parent"]
        # The service refuses a move under the category's own branch; the picker does not offer it.
        parent.queryset = selectors.category_choices(
            keep=instance.parent if instance else None, exclude_subtree=instance
        )
        if instance is None:
            del self.fields["is_active"]  # a new category starts active


class PriceLevelForm(StyledForm):
    code = forms.CharField(
        label=_("代码"),
        max_length=40,
        help_text=_("小写字母、数字、连字符或下划线，供接口和导入使用，例如 agent1、vip。"),
    )
    name = forms.CharField(label=_("名称"), max_length=60)
    name_en = forms.CharField(label=_("英文名称"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=PriceLevelKind.choices, initial=PriceLevelKind.CUSTOMER)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(
        label=_("启用"),
        required=False,
        initial=True,
        help_text=_("停用的价格等级保留已有价格，但不再适用，也不能设置新价格。"),
    )

    def __init__(self, *args: Any, instance: PriceLevel | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "name": instance.name,
                    "name_en": instance.name_en,
                    "kind": instance.kind,
                    "sort_order": instance.sort_order,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is None:
            del self.fields["is_active"]


class WarehouseForm(StyledForm):
    code = forms.CharField(label=_("仓库编码"), max_length=20)
    name = forms.CharField(label=_("仓库名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    keeper = forms.ModelChoiceField(
        label=_("仓管员"), queryset=Employee.objects.none(), required=False, empty_label=_("（未指定）")
    )
    is_active = forms.BooleanField(
        label=_("启用"), required=False, initial=True, help_text=_("还有库存的仓库不能停用。")
    )

    def __init__(self, *args: Any, instance: Warehouse | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "name": instance.name,
                    "address": instance.address,
                    "keeper": instance.keeper_id,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        keeper: Any = self.fields["keeper"]
        choices = active_employees()
        if instance is not None and instance.keeper_id:
            choices = choices | Employee.objects.filter(pk=instance.keeper_id)  # keep a keeper who left
        keeper.queryset = choices
        keeper.label_from_instance = lambda e: f"{e.name}（{e.department}）"
        if instance is None:
            del self.fields["is_active"]


ACTIVE_FILTER = (("active", _("启用")), ("inactive", _("停用")), ("all", _("全部状态")))
LOT_FILTER = (("", _("批次管理：全部")), ("yes", _("实行批次管理")), ("no", _("不实行批次管理")))
