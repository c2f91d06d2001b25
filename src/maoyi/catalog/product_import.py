"""Importing products (导入商品) from a table: one `create_product` call per row, so its rules and
messages are those of the product form; the category is named by its name (or its path, 父/子, when
two categories share a name); codes may appear only once in the file (case ignored)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.catalog import services
from maoyi.catalog.models import Category, Product
from maoyi.core.importing import Cells, RowImporter, first_in_file
from maoyi.core.tabular import RowProblem, Table, TemplateColumn

CODE = "商品编码"
NAME = "商品名称"
SPECIFICATION = "规格型号"
UNIT = "单位"
CATEGORY = "分类"
BRAND = "品牌"
MANUFACTURER = "生产厂家"
REGISTRATION = "注册证号"
REGISTRATION_EXPIRES = "注册证有效期至"
LOT_TRACKED = "批次管理"
SHELF_LIFE = "保质期（天）"
PURCHASE_PRICE = "采购价"
SALE_PRICE = "销售价"
MIN_SALE_PRICE = "最低售价"
MIN_STOCK = "最低库存"
MAX_STOCK = "最高库存"
BARCODE = "条码"


@dataclass(frozen=True)
class ProductRow:
    code: str
    name: str
    unit: str
    specification: str
    category: Category | None
    brand: str
    manufacturer: str
    registration_number: str
    registration_expires_on: dt.date | None
    lot_tracked: bool
    shelf_life_days: int | None
    purchase_price: Decimal
    sale_price: Decimal
    min_sale_price: Decimal | None
    min_stock: Decimal
    max_stock: Decimal | None
    barcode: str


def _length(field: str) -> int:
    return int(getattr(Product._meta.get_field(field), "max_length", 0) or 0)


def _paths() -> dict[str, list[Category]]:
    """Every category by its name and by its path of names (父/子)."""
    categories = list(Category.objects.all())
    by_id = {c.pk: c for c in categories}
    found: dict[str, list[Category]] = {}
    for category in categories:
        names: list[str] = []
        node: Category | None = category
        while node is not None:
            names.append(node.name)
            node = by_id.get(node.parent_id) if node.parent_id else None
        found.setdefault(category.name, []).append(category)
        if len(names) > 1:
            found.setdefault("/".join(reversed(names)), []).append(category)
    return found


class ProductImporter(RowImporter[ProductRow]):
    slug = "products"
    title = gettext_lazy("商品")
    noun = gettext_lazy("个商品")
    permissions = ("catalog.add_product",)
    required = (CODE, NAME, UNIT)
    field_columns = {
        "code": CODE,
        "name": NAME,
        "unit": UNIT,
        "category": CATEGORY,
        "registration_number": REGISTRATION,
        "registration_expires_on": REGISTRATION_EXPIRES,
        "shelf_life_days": SHELF_LIFE,
        "purchase_price": PURCHASE_PRICE,
        "sale_price": SALE_PRICE,
        "min_sale_price": MIN_SALE_PRICE,
        "min_stock": MIN_STOCK,
        "max_stock": MAX_STOCK,
    }

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        return (
            TemplateColumn(
                CODE,
                required=True,
                text=True,
                note=_(
                    "字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位；不能与已有商品重复。"
                ),
                example="MD-001",
            ),
            TemplateColumn(NAME, required=True, width=28, example="一次性使用无菌注射器"),
            TemplateColumn(SPECIFICATION, width=16, example="5ml"),
            TemplateColumn(UNIT, required=True, width=8, example="支"),
            TemplateColumn(
                CATEGORY,
                width=16,
                note=_("已有分类的名称；有同名分类时填写“父分类/子分类”。"),
                example="注射器",
            ),
            TemplateColumn(BRAND, width=12, example="康德莱"),
            TemplateColumn(MANUFACTURER, width=24, example="上海康德莱企业发展集团股份有限公司"),
            TemplateColumn(REGISTRATION, width=22, text=True, example="国械注准20153150000"),
            TemplateColumn(
                REGISTRATION_EXPIRES, width=14, note=_("日期，例如 2028-12-31。"), example="2028-12-31"
            ),
            TemplateColumn(LOT_TRACKED, width=10, note=_("填写“是”或“否”；不填为是。"), example="是"),
            TemplateColumn(SHELF_LIFE, width=12, note=_("天数，大于 0。"), example="1095"),
            TemplateColumn(PURCHASE_PRICE, width=12, note=_("不能为负数；不填为 0。"), example="0.35"),
            TemplateColumn(SALE_PRICE, width=12, note=_("不能为负数；不填为 0。"), example="0.60"),
            TemplateColumn(MIN_SALE_PRICE, width=12, note=_("不能高于销售价。"), example="0.50"),
            TemplateColumn(MIN_STOCK, width=12, example="1000"),
            TemplateColumn(MAX_STOCK, width=12, note=_("不能低于最低库存。"), example="20000"),
            TemplateColumn(BARCODE, width=18, text=True, example="6901234567890"),
        )

    def notes(self) -> tuple[str, ...]:
        return (_("商品编码与已有商品或文件中其他行相同的，不能导入。"),)

    def prepare(self, table: Table, *, actor: Any) -> dict[str, list[Category]]:
        return _paths() if any(row.get(CATEGORY) for row in table.rows) else {}

    def parse(self, cells: Cells, context: dict[str, list[Category]]) -> ProductRow | None:
        category = None
        category_name = cells.text(CATEGORY)
        if category_name:
            matches = context.get(category_name.strip("/ "), [])
            if not matches:
                cells.refuse(CATEGORY, _("没有找到分类“%(name)s”。") % {"name": category_name})
            elif len(matches) > 1:
                cells.refuse(
                    CATEGORY, _("有多个分类叫“%(name)s”，请填写“父分类/子分类”。") % {"name": category_name}
                )
            else:
                category = matches[0]
        purchase = cells.decimal(PURCHASE_PRICE, label=_("采购价"), places=4, default=Decimal(0))
        sale = cells.decimal(SALE_PRICE, label=_("销售价"), places=4, default=Decimal(0))
        return ProductRow(
            code=cells.text(CODE, max_length=_length("code")),
            name=cells.text(NAME, max_length=_length("name")),
            unit=cells.text(UNIT, max_length=_length("unit")),
            specification=cells.text(SPECIFICATION, max_length=_length("specification")),
            category=category,
            brand=cells.text(BRAND, max_length=_length("brand")),
            manufacturer=cells.text(MANUFACTURER, max_length=_length("manufacturer")),
            registration_number=cells.text(REGISTRATION, max_length=_length("registration_number")),
            registration_expires_on=cells.date(REGISTRATION_EXPIRES, label=_("注册证有效期")),
            lot_tracked=cells.boolean(LOT_TRACKED, default=True),
            shelf_life_days=cells.integer(SHELF_LIFE, label=_("保质期")),
            purchase_price=purchase or Decimal(0),
            sale_price=sale or Decimal(0),
            min_sale_price=cells.decimal(MIN_SALE_PRICE, label=_("最低售价"), places=4),
            min_stock=cells.decimal(MIN_STOCK, label=_("最低库存"), places=4, default=Decimal(0))
            or Decimal(0),
            max_stock=cells.decimal(MAX_STOCK, label=_("最高库存"), places=4),
            barcode=cells.text(BARCODE, max_length=_length("barcode")),
        )

    def within_file(self, rows: list[tuple[int, ProductRow]], problems: list[RowProblem]) -> None:
        first_in_file(
            ((n, r.code.lower()) for n, r in rows),
            column=CODE,
            message=gettext_lazy("与第 %(row)s 行的商品编码相同。"),
            problems=problems,
        )

    def create(self, item: ProductRow, *, actor: Any, context: Any) -> None:
        services.create_product(actor=actor, **item.__dict__)


PRODUCTS = ProductImporter()
