"""The records the URL permission matrix (url_matrix.py) is checked against: the test company
(tests/conftest.py) with a logistics clerk added, and for each kind of record a URL addresses one
record per *scope key*: who owns it. The keys are the same for every kind:

- "a1" rep_a1's (team A), "a2" rep_a2's (team A, rep_a1's teammate), "b1" rep_b1's (team B),
- "pool" nobody's (a customer in the public pool), "buy" the purchaser's (采购部), "log" the logistics
  clerk's (the company's root department), "shared" company data nobody owns (products, …),
- "none" a record that does not exist (pk 999999): kinds whose records are costly to build are
  checked only for "refused (403) before looked up (404)".

The CRM records come from the CRM matrix (tests/crm/matrix_data.py: customers, contacts, activities,
opportunities, quotes, contracts, expenses, campaigns); the sales, purchasing, stock, finance and
invoicing documents are made here, through the services or the builders the other suites use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalRule
from maoyi.attachments import services as attachment_services
from maoyi.catalog.models import Category, PriceLevel, Product
from maoyi.core.documents import Status
from maoyi.crm.parties import as_party as customer_party
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, ExchangeRate, Obligation
from maoyi.inventory.models import Lot, StockBalance, StockMove, Warehouse
from maoyi.inventory.services import opening as opening_services
from maoyi.inventory.services import stocktake as stocktake_services
from maoyi.inventory.services import transfer as transfer_services
from maoyi.invoicing import services as invoicing
from maoyi.org.models import Employee, Role
from maoyi.purchasing.models import PurchaseOrder, PurchaseOrderLine
from maoyi.purchasing.parties import as_party as supplier_party
from maoyi.purchasing.services import quotes as supplier_quote_services
from maoyi.purchasing.services import receipts as receipt_services
from maoyi.purchasing.services import returns as purchase_return_services
from maoyi.purchasing.services import suppliers as supplier_services
from maoyi.sales.services import returns as sales_return_services
from tests.conftest import Company, build_company
from tests.crm.matrix_data import World as CrmWorld
from tests.crm.matrix_data import build_money_world, build_world
from tests.factories import make_employee
from tests.sales.builders import Line, Shop, approved_order, draft_order, item, line_of, put_in, ship

MISSING_PK = 999999

# Who owns each key's records (None: nobody), as the company names them.
OWNERS: dict[str, str | None] = {
    "a1": "rep_a1",
    "a2": "rep_a2",
    "b1": "rep_b1",
    "pool": None,
    "buy": "purchaser",
    "log": "logistics",
}


@dataclass
class MatrixWorld:
    company: Company
    logistics: Employee
    crm: CrmWorld
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def person(self, role: str) -> Employee:
        if role == "logistics":
            return self.logistics
        employee: Employee = getattr(self.company, role)
        return employee

    def add(self, kind: str, key: str, record: Any) -> None:
        self.records.setdefault(kind, {})[key] = record


def _today() -> dt.date:
    return timezone.localdate()


def build_matrix_world() -> MatrixWorld:
    company = build_company()
    logistics = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    crm = build_money_world(build_world(company))
    world = MatrixWorld(company=company, logistics=logistics, crm=crm)
    add = world.add
    for kind, records in (
        ("customer", crm.customers),
        ("contact", crm.contacts),
        ("activity", crm.activities),
        ("opportunity", crm.opportunities),
        ("quote", crm.quotes),
        ("contract", crm.contracts),
    ):
        for key, record in records.items():
            add(kind, key, record)
    for key in ("a1", "a2", "b1", "buy"):
        add("expense", key, crm.expenses[key])
    # Campaigns are company information (shared); team A's manager's is the one checked.
    add("campaign", "shared", crm.campaigns["a"])

    # Catalog, stock -------------------------------------------------------------------------------
    product = Product.objects.create(code="UM001", name="矩阵注射器", unit="支", lot_tracked=True)
    warehouse = Warehouse.objects.create(code="UM01", name="矩阵主仓")
    other_warehouse = Warehouse.objects.create(code="UM02", name="矩阵二仓")
    add("product", "shared", product)
    add("warehouse", "shared", warehouse)
    add("category", "shared", Category.objects.create(name="矩阵分类"))
    add("price_level", "shared", PriceLevel.objects.create(code="UMX", name="矩阵价", kind="customer"))
    shop = Shop(
        company=company,
        keeper=logistics,
        keeper2=logistics,
        customer=crm.customers["a1"],
        other_customer=crm.customers["b1"],
        product=product,
        plain=product,
        warehouse=warehouse,
        quality=other_warehouse,
    )
    put_in(shop, "500", "5.00", "UMLOT1")
    add("lot", "shared", Lot.objects.get(product=product, lot_number="UMLOT1"))
    add("stock_balance", "shared", StockBalance.objects.filter(product=product).first())
    add("stock_move", "shared", StockMove.objects.filter(product=product).first())

    # Sales: an approved order per salesperson's customer, shipped, with a draft return ------------
    for key in ("a1", "a2", "b1"):
        owner = world.person(OWNERS[key] or "")
        order = approved_order(shop, Line(product, "10", "11.30"), owner=owner, customer=crm.customers[key])
        shipment = ship(shop, order, item(line_of(order), "10", lot_number="UMLOT1"))
        add("sales_order", key, order)
        add("shipment", key, shipment)
        add(
            "sales_return",
            key,
            sales_return_services.create_return(
                order,
                actor=owner,
                lines=[sales_return_services.ReturnLineInput(shipment.lines.get().pk, D("1"))],
                reason="包装破损",
            ),
        )
        receivable = Obligation.objects.get(source_type=order.ref.type, source_id=order.pk)
        add("receivable", key, receivable)
    # A draft order of rep_a1's, submitted: the approval request waiting for team A's manager.
    draft = draft_order(shop, Line(product, "1", "11.30"), owner=company.rep_a1, customer=crm.customers["a1"])
    approvals.submit(draft, actor=company.rep_a1)
    add("approval", "a1", ApprovalRequest.objects.get(object_id=draft.pk, content_type__model="salesorder"))
    # Money in: a receipt from rep_a1's customer, allocated to its order's receivable.
    receipt = finance.record_settlement(
        direction=Direction.RECEIVABLE,
        actor=company.finance_clerk,
        party=customer_party(crm.customers["a1"]),
        amount=D("10.00"),
        occurred_on=_today(),
        allocations=[
            finance.AllocationInput(obligation_id=world.records["receivable"]["a1"].pk, amount=D("10.00"))
        ],
    )
    add("receipt", "a1", receipt)

    # Purchasing ----------------------------------------------------------------------------------
    supplier = supplier_services.create_supplier(
        actor=None, name="矩阵医疗器械有限公司", buyer=company.purchaser
    )
    add("supplier", "shared", supplier)
    supplier_services.save_contact(supplier, actor=None, name="赵供应", phone="13900000000")
    add("supplier_contact", "shared", supplier.contacts.get())
    add(
        "supplier_quote",
        "shared",
        supplier_quote_services.create_quote(
            actor=company.purchaser,
            supplier=supplier,
            product=product,
            unit_price=D("5.00"),
            valid_from=_today(),
            valid_until=_today() + dt.timedelta(days=90),
        ),
    )
    buyer = company.purchaser
    order = PurchaseOrder(
        owner=buyer,
        department=buyer.department,
        created_by=buyer.user,
        supplier=supplier,
        warehouse=warehouse,
        currency="CNY",
        exchange_rate=D("1"),
        expected_date=_today(),
        status=Status.APPROVED,
    )
    approvals.assign_number(order)
    order.save()
    po_line = PurchaseOrderLine.objects.create(
        order=order, product=product, quantity=D("20"), unit_price=D("5.65")
    )
    goods_receipt = receipt_services.receive_goods(
        order,
        actor=logistics,
        lines=[
            receipt_services.ReceiptLineInput(
                po_line.pk,
                D("20"),
                lot_number="UMLOT2",
                production_date=_today() - dt.timedelta(days=30),
                expiry_date=_today() + dt.timedelta(days=700),
            )
        ],
    )
    order.refresh_from_db()
    add("purchase_order", "buy", order)
    add("goods_receipt", "buy", goods_receipt)
    add(
        "purchase_return",
        "buy",
        purchase_return_services.create_return(
            actor=buyer,
            order=order,
            lines=[purchase_return_services.ReturnLineInput(po_line.pk, None, D("1"), lot_number="UMLOT2")],
            reason="包装破损",
        ),
    )
    payable = finance.create_opening_balance(
        direction=Direction.PAYABLE,
        actor=company.finance_clerk,
        party=supplier_party(supplier),
        amount=D("100.00"),
        issued_on=_today(),
        due_date=_today() + dt.timedelta(days=30),
        installments=[],
    )
    add("payable", "buy", payable)
    add(
        "payment",
        "buy",
        finance.record_settlement(
            direction=Direction.PAYABLE,
            actor=company.finance_clerk,
            party=supplier_party(supplier),
            amount=D("10.00"),
            occurred_on=_today(),
            allocations=[finance.AllocationInput(obligation_id=payable.pk, amount=D("10.00"))],
        ),
    )
    add(
        "exchange_rate",
        "shared",
        ExchangeRate.objects.create(
            currency="USD", rate=D("7.1"), valid_from=_today(), created_by=company.finance_clerk.user
        ),
    )
    # A VAT invoice issued for rep_a1's order.
    add(
        "invoice",
        "a1",
        invoicing.record_invoice(
            actor=company.finance_clerk,
            direction="issued",
            kind="special",
            number="20000001",
            issued_on=_today(),
            party=customer_party(crm.customers["a1"]),
            amount=D("100.00"),
            tax_amount=D("13.00"),
            allocations=[(world.records["sales_order"]["a1"], D("113.00"))],
        ),
    )

    # Stock documents: the logistics clerk's ---------------------------------------------------------
    add(
        "opening",
        "log",
        opening_services.create_opening_stock(
            actor=logistics,
            warehouse=other_warehouse,
            lines=[
                opening_services.OpeningLineInput(
                    product.pk,
                    D("5"),
                    D("5.00"),
                    lot_number="UMLOT3",
                    production_date=_today() - dt.timedelta(days=10),
                    expiry_date=_today() + dt.timedelta(days=500),
                )
            ],
        ),
    )
    add("stocktake", "log", stocktake_services.start_stocktake(actor=logistics, warehouse=warehouse))
    add(
        "transfer",
        "log",
        transfer_services.create_transfer(
            actor=logistics,
            warehouse=warehouse,
            to_warehouse=other_warehouse,
            lines=[transfer_services.TransferLineInput(product.pk, D("1"))],
        ),
    )

    # Organisation, settings -------------------------------------------------------------------------
    add("department", "a", company.team_a)
    add("department", "b", company.team_b)
    for key in ("a1", "a2", "b1"):
        add("employee", key, world.person(OWNERS[key] or ""))
    add("role", "shared", Role.objects.get(code="salesperson"))
    add(
        "approval_rule",
        "shared",
        ApprovalRule.objects.create(
            document_type="expense", name="矩阵规则", approver_kind="manager", is_active=False
        ),
    )
    upload = SimpleUploadedFile("note.txt", b"matrix note", content_type="text/plain")
    add(
        "attachment",
        "a1",
        attachment_services.upload_attachment(
            actor=company.rep_a1, record=crm.customers["a1"], upload=upload
        ),
    )
    world.records["attachment_target"] = world.records["customer"]
    return world


def kwargs_for(world: MatrixWorld, kind: str, key: str) -> dict[str, Any]:
    """The URL keyword arguments that address the record `key` of `kind`."""
    if key == "none":
        return {"pk": MISSING_PK}
    record = world.records[kind][key]
    if kind == "supplier_contact":
        return {"pk": record.supplier_id, "contact_pk": record.pk}
    if kind == "attachment_target":  # a customer, as the upload URL names it
        record = world.records["customer"][key]
        return {"content_type_id": ContentType.objects.get_for_model(record).pk, "object_id": str(record.pk)}
    return {"pk": record.pk}


def fingerprint(record: models.Model | None) -> Any:
    """Every column of the record, to show a refused write changed nothing."""
    if record is None:
        return None
    return type(record)._default_manager.filter(pk=record.pk).values().first()


__all__ = ["MISSING_PK", "OWNERS", "MatrixWorld", "build_matrix_world", "fingerprint", "kwargs_for"]
