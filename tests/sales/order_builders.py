"""Helpers of the sales order tests: a sales desk (a price level, two products, two warehouses, a
logistics keeper, customers of team A and team B), stock put in through the ledger, orders built
through the services, a receipt allocated to an order's receivable, and a snapshot of every row a
refused call could have touched."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import PriceLevel, Product
from maoyi.core.documents import DocRef
from maoyi.core.models import DocumentSequence
from maoyi.crm.models import Contract, Customer, Quote, QuoteStatus
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import quotes as quote_services
from maoyi.finance import services as finance
from maoyi.finance.models import Allocation, Installment, Obligation, Settlement
from maoyi.finance.parties import Party, PartyKind
from maoyi.inventory.models import Reservation, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.inventory.services import ledger
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesOrderInstallment, SalesOrderLine
from maoyi.sales.services import orders
from tests.catalog.builders import make_level, make_product, make_warehouse
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import make_employee

_stock_refs = itertools.count(1)


@dataclass
class Desk:
    company: Company
    keeper: Employee  # logistics
    vip: PriceLevel
    gloves: Product  # P001, lot-tracked: sale 12.50, VIP 10.80, minimum 10.00
    masks: Product  # P002, no lots: sale 3.20, no VIP price, no minimum
    main: Warehouse  # WH01 北京主仓
    second: Warehouse  # WH02 上海仓
    xiehe: Customer  # rep_a1's (team A), VIP level
    ruijin: Customer  # rep_a2's (team A), no level
    agent: Customer  # rep_b1's (team B)

    @property
    def rep(self) -> Employee:
        return self.company.rep_a1

    @property
    def manager(self) -> Employee:
        return self.company.manager_a


def build_desk(company: Company) -> Desk:
    vip = make_level("vip", "VIP 客户价")
    return Desk(
        company=company,
        keeper=make_employee(company.root, "logistics", username="keeper", name="陆洋"),
        vip=vip,
        gloves=make_product(
            "P001",
            "医用手套",
            sale_price="12.50",
            min_sale_price="10.00",
            purchase_price="8.00",
            prices={vip: D("10.80")},
        ),
        masks=make_product("P002", "外科口罩", sale_price="3.20", purchase_price="1.00", lot_tracked=False),
        main=make_warehouse("WH01", "北京主仓"),
        second=make_warehouse("WH02", "上海仓"),
        xiehe=make_customer(company.rep_a1, "北京协和医院", price_level=vip, address="北京市东城区帅府园1号"),
        ruijin=make_customer(company.rep_a2, "上海瑞金医院"),
        agent=make_customer(company.rep_b1, "广州代理商", kind="distributor"),
    )


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def put_stock(
    desk: Desk,
    product: Product,
    quantity: str,
    *,
    warehouse: Warehouse | None = None,
    lot: str = "L1",
    expiry: dt.date | None = None,
    cost: str = "8.00",
) -> None:
    """Goods into a warehouse through the stock ledger (as a goods receipt would)."""
    n = next(_stock_refs)
    ledger.receive(
        [
            ledger.Incoming(
                product_id=product.pk,
                warehouse_id=(warehouse or desk.main).pk,
                quantity=D(quantity),
                unit_cost=D(cost),
                lot_number=lot if product.lot_tracked else "",
                expiry_date=(expiry or days(365)) if product.lot_tracked else None,
            )
        ],
        source=DocRef(type="test_stock", id=n, number=f"TEST{n:04d}"),
        actor=desk.keeper,
    )


def line(
    product: Product,
    quantity: str,
    price: str | None = None,
    *,
    discount: str = "0",
    tax: str = "13",
    reason: str = "",
) -> orders.OrderLineInput:
    return orders.OrderLineInput(
        product_id=product.pk,
        quantity=D(quantity),
        unit_price=None if price is None else D(price),
        discount_rate=D(discount),
        tax_rate=D(tax),
        below_min_reason=reason,
    )


def draft(
    desk: Desk,
    *lines: orders.OrderLineInput,
    customer: Customer | None = None,
    actor: Employee | None = None,
    **fields: Any,
) -> SalesOrder:
    """A draft order (default: rep_a1's 协和, 100 gloves at 11.30 from the main warehouse)."""
    return orders.create_order(
        actor=actor or desk.rep,
        customer=customer or desk.xiehe,
        warehouse=fields.pop("warehouse", desk.main),
        lines=list(lines) or [line(desk.gloves, "100", "11.30")],
        **fields,
    )


def submitted(desk: Desk, *lines: orders.OrderLineInput, **fields: Any) -> SalesOrder:
    order = draft(desk, *lines, **fields)
    orders.submit_order(order, actor=order.owner)
    order.refresh_from_db()
    return order


def approved(
    desk: Desk, *lines: orders.OrderLineInput, approver: Employee | None = None, **fields: Any
) -> SalesOrder:
    order = submitted(desk, *lines, **fields)
    orders.approve_order(order, actor=approver or desk.manager)
    order.refresh_from_db()
    return order


def receivable_of(order: SalesOrder) -> Obligation:
    return Obligation.objects.get(direction="receivable", source_type="sales_order", source_id=order.pk)


def collect(desk: Desk, order: SalesOrder, amount: str) -> Settlement:
    """Finance records a receipt from the order's customer, allocated to its receivable."""
    receivable = receivable_of(order)
    customer = order.customer
    return finance.record_settlement(
        direction="receivable",
        actor=desk.company.finance_clerk,
        party=Party(
            kind=PartyKind.CUSTOMER.value,
            id=customer.pk,
            name=customer.name,
            owner_id=customer.owner_id,
            department_id=customer.department_id,
        ),
        amount=D(amount),
        occurred_on=today(),
        allocations=[finance.AllocationInput(receivable.pk, D(amount))],
    )


def level(product: Product, warehouse: Warehouse) -> tuple[D, D]:
    """(on hand, reserved) of a product in a warehouse."""
    found = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return (found.on_hand, found.reserved) if found else (D("0"), D("0"))


def make_quote(
    desk: Desk,
    *lines: tuple[Product, str, str],
    status: str = QuoteStatus.SENT,
    customer: Customer | None = None,
) -> Quote:
    """A quote to 协和 (by default) by its owner, valid 30 days, moved to `status` (draft, sent or
    accepted)."""
    customer = customer or desk.xiehe
    quote = quote_services.create_quote(
        actor=customer.owner,
        customer=customer,
        valid_until=days(30),
        lines=[quote_services.QuoteLineInput(p.pk, D(q), D(price)) for p, q, price in lines],
    )
    if status in (QuoteStatus.SENT, QuoteStatus.ACCEPTED):
        quote_services.mark_quote(quote, actor=customer.owner, status=QuoteStatus.SENT)
    if status == QuoteStatus.ACCEPTED:
        quote_services.mark_quote(quote, actor=customer.owner, status=QuoteStatus.ACCEPTED)
    quote.refresh_from_db()
    return quote


def make_contract(
    desk: Desk,
    *lines: tuple[Product, str, str],
    customer: Customer | None = None,
    approve: bool = True,
    valid: tuple[int, int] = (-10, 365),
) -> Contract:
    """A contract with 协和 (by default) signed by its owner, approved by manager_a."""
    customer = customer or desk.xiehe
    assert customer.owner is not None
    contract = contract_services.create_contract(
        actor=customer.owner,
        customer=customer,
        title="年度采购框架合同",
        signed_on=days(valid[0]),
        start_date=days(valid[0]),
        end_date=days(valid[1]),
        lines=[quote_services.QuoteLineInput(p.pk, D(q), D(price)) for p, q, price in lines],
    )
    if approve:
        contract_services.submit_contract(contract, actor=customer.owner)
        approvals.approve(contract, actor=desk.manager)
    contract.refresh_from_db()
    return contract


WATCHED: tuple[Any, ...] = (
    SalesOrder,
    SalesOrderLine,
    SalesOrderInstallment,
    Reservation,
    StockLevel,
    StockBalance,
    StockMove,
    Obligation,
    Installment,
    Settlement,
    Allocation,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    DocumentSequence,
)


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves every order, stock, money, approval and audit
    row as it was."""
    before = db_state()
    yield
    assert db_state() == before
