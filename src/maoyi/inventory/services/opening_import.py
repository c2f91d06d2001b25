"""Importing opening stock (导入期初库存) from a table: one row per product, warehouse and lot, with its
quantity and unit cost. The rows become one draft opening stock per warehouse
(`create_opening_stock`), approved afterwards the usual way: the approval receives them into their
lots. Every line is first checked alone by the opening stock's own line rules, so each bad line is
named; the same product, warehouse and lot may appear only once in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.catalog.models import Product
from maoyi.core.errors import DomainError
from maoyi.core.importing import Cells, Progress, RowImporter, first_in_file
from maoyi.core.tabular import RowProblem, Table, TemplateColumn
from maoyi.inventory.models import OpeningStock, Warehouse
from maoyi.inventory.services import opening
from maoyi.inventory.services.documents import perm

WAREHOUSE = "仓库编码"
PRODUCT = "商品编码"
LOT = "批号"
PRODUCTION = "生产日期"
EXPIRY = "有效期至"
QUANTITY = "数量"
UNIT_COST = "单位成本"
NOTE = "备注"

LINE_COLUMNS = {
    "product": PRODUCT,
    "quantity": QUANTITY,
    "unit_cost": UNIT_COST,
    "lot_number": LOT,
    "production_date": PRODUCTION,
    "expiry_date": EXPIRY,
}


@dataclass(frozen=True)
class OpeningRow:
    warehouse: Warehouse
    line: opening.OpeningLineInput


@dataclass(frozen=True)
class OpeningContext:
    warehouses: dict[str, Warehouse]
    products: dict[str, Product]


class OpeningStockImporter(RowImporter[OpeningRow]):
    slug = "opening-stock"
    title = gettext_lazy("期初库存")
    noun = gettext_lazy("行期初库存")
    permissions = (perm(OpeningStock, "add"),)
    required = (WAREHOUSE, PRODUCT, QUANTITY, UNIT_COST)
    field_columns = {"warehouse": WAREHOUSE, **LINE_COLUMNS}

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        return (
            TemplateColumn(WAREHOUSE, required=True, text=True, note=_("已启用仓库的编码。"), example="WH01"),
            TemplateColumn(PRODUCT, required=True, text=True, note=_("已启用商品的编码。"), example="MD-001"),
            TemplateColumn(LOT, width=14, text=True, note=_("批次管理的商品必须填写。"), example="20240101"),
            TemplateColumn(PRODUCTION, width=12, note=_("日期，例如 2024-01-01。"), example="2024-01-01"),
            TemplateColumn(EXPIRY, width=12, note=_("不能早于生产日期。"), example="2027-01-01"),
            TemplateColumn(QUANTITY, required=True, width=10, note=_("大于 0。"), example="1000"),
            TemplateColumn(UNIT_COST, required=True, width=10, note=_("不能为负数。"), example="0.35"),
        )

    def notes(self) -> tuple[str, ...]:
        return (_("每个仓库生成一张期初库存单（草稿），审核通过后入库。"),)

    def prepare(self, table: Table, *, actor: Any) -> OpeningContext:
        products: dict[str, Product] = {}
        if table.rows:
            products = {p.code.lower(): p for p in Product.objects.only("id", "code", "is_active")}
        warehouses = {w.code.lower(): w for w in Warehouse.objects.all()}
        return OpeningContext(warehouses=warehouses, products=products)

    def parse(self, cells: Cells, context: OpeningContext) -> OpeningRow | None:
        code = cells.text(WAREHOUSE, required=_("请填写仓库编码。"))
        warehouse = context.warehouses.get(code.lower()) if code else None
        if code and warehouse is None:
            cells.refuse(WAREHOUSE, _("没有找到仓库“%(code)s”。") % {"code": code})
        elif warehouse is not None and not warehouse.is_active:
            cells.refuse(WAREHOUSE, _("仓库“%(name)s”已停用。") % {"name": warehouse.name})
        code = cells.text(PRODUCT, required=_("请填写商品编码。"))
        product = context.products.get(code.lower()) if code else None
        if code and product is None:
            cells.refuse(PRODUCT, _("没有找到商品“%(code)s”。") % {"code": code})
        lot = cells.text(LOT, max_length=60)
        production = cells.date(PRODUCTION, label=_("生产日期"))
        expiry = cells.date(EXPIRY, label=_("有效期"))
        quantity = cells.decimal(QUANTITY, label=_("数量"), places=4, required=True, positive=True)
        cost = cells.decimal(UNIT_COST, label=_("单位成本"), places=6, required=True)
        if warehouse is None or product is None or quantity is None or cost is None:
            return None
        line = opening.OpeningLineInput(
            product_id=product.pk,
            quantity=quantity,
            unit_cost=cost,
            lot_number=lot,
            production_date=production,
            expiry_date=expiry,
        )
        return OpeningRow(warehouse=warehouse, line=line)

    def within_file(self, rows: list[tuple[int, OpeningRow]], problems: list[RowProblem]) -> None:
        first_in_file(
            ((n, f"{r.warehouse.pk}:{r.line.product_id}:{r.line.lot_number}") for n, r in rows),
            column=LOT,
            message=gettext_lazy("与第 %(row)s 行是同一仓库、商品和批号。"),
            problems=problems,
        )

    def write(
        self,
        rows: list[tuple[int, OpeningRow]],
        *,
        actor: Any,
        context: Any,
        progress: Progress,
        savepoints: bool,
    ) -> list[RowProblem]:
        """Each line by the opening stock's line rules, then one draft per warehouse."""
        problems: list[RowProblem] = []
        by_warehouse: dict[int, tuple[Warehouse, list[opening.OpeningLineInput]]] = {}
        for index, (number, row) in enumerate(rows, start=1):
            try:
                opening._clean_lines([row.line])
            except DomainError as exc:
                column = LINE_COLUMNS.get((exc.field or "").rpartition(".")[2], PRODUCT)
                problems.append(RowProblem(number, column, str(exc.params.get("problem", exc.message))))
            by_warehouse.setdefault(row.warehouse.pk, (row.warehouse, []))[1].append(row.line)
            if index % 500 == 0:
                progress(0.8 * index / len(rows))
        if problems:
            return problems
        for warehouse, lines in by_warehouse.values():
            try:
                opening.create_opening_stock(actor=actor, warehouse=warehouse, lines=lines)
            except DomainError as exc:
                problems.append(RowProblem(rows[0][0], WAREHOUSE, exc.message))
        return problems


OPENING_STOCK = OpeningStockImporter()
