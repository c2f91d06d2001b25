"""Builders shared by the stock document tests: a logistics department whose manager approves,
two warehouses, a lot-tracked product and one without lots, and helpers that take a document
through the same services the pages and the approval inbox use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal as D

from maoyi.approvals import registry
from maoyi.catalog.models import Category, Product
from maoyi.inventory.models import OpeningStock, StockDocument, StockLevel, Transfer, Warehouse
from maoyi.inventory.services import documents
from maoyi.inventory.services.opening import OpeningLineInput, create_opening_stock
from maoyi.inventory.services.transfer import TransferLineInput, create_transfer
from maoyi.org.models import Department, Employee
from tests.factories import make_department, make_employee

EXPIRY = dt.date(2028, 6, 30)


@dataclass
class Stock:
    logistics: Department
    keeper: Employee  # 仓管员: makes the documents
    boss: Employee  # manager of logistics: approves them
    main: Warehouse
    second: Warehouse
    syringe: Product  # lot-tracked
    mask: Product  # no lot tracking
    medical: Category


def build_stock(company) -> Stock:
    logistics = make_department("物流部", company.root)
    medical = Category.objects.create(name="医疗器械")
    medical.path = f"/{medical.pk}/"
    medical.save(update_fields=["path"])
    return Stock(
        logistics=logistics,
        keeper=make_employee(logistics, "logistics", username="keeper", name="赵仓管"),
        boss=make_employee(logistics, "logistics", username="boss", name="孙经理", is_manager=True),
        main=Warehouse.objects.create(code="WH1", name="北京主仓"),
        second=Warehouse.objects.create(code="WH2", name="上海仓"),
        syringe=Product.objects.create(
            code="P001",
            name="一次性注射器",
            unit="支",
            lot_tracked=True,
            category=medical,
            purchase_price=D("4.00"),
        ),
        mask=Product.objects.create(
            code="P002", name="医用口罩", unit="个", lot_tracked=False, purchase_price=D("0.50")
        ),
        medical=medical,
    )


def approve(doc: StockDocument, approver: Employee, comment: str = "") -> None:
    """What the approval inbox does: the document type's registered approve service."""
    registry.actions_for(doc.DOCUMENT_TYPE).approve(doc, actor=approver, comment=comment)


def submit_and_approve(doc: StockDocument, stock: Stock) -> StockDocument:
    documents.submit_document(doc, actor=stock.keeper)
    approve(doc, stock.boss)
    doc.refresh_from_db()
    return doc


def post_opening(
    stock: Stock, lines: Sequence[OpeningLineInput], warehouse: Warehouse | None = None
) -> OpeningStock:
    doc = create_opening_stock(actor=stock.keeper, warehouse=warehouse or stock.main, lines=lines)
    submit_and_approve(doc, stock)
    return doc


def post_transfer(
    stock: Stock,
    lines: Sequence[TransferLineInput],
    source: Warehouse | None = None,
    to: Warehouse | None = None,
) -> Transfer:
    doc = create_transfer(
        actor=stock.keeper, warehouse=source or stock.main, to_warehouse=to or stock.second, lines=lines
    )
    submit_and_approve(doc, stock)
    return doc


def level(product: Product, warehouse: Warehouse) -> tuple[D, D]:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return (row.on_hand, row.value) if row else (D("0"), D("0"))
