"""Helpers of the shipment, sales return and gross profit tests: a shop (a logistics clerk, two
customers of two salespeople, a lot-tracked and a plain product, the main warehouse and a warehouse
for rejected goods), stock put in through the ledger, sales orders made directly in the state
approval leaves them (so these tests do not depend on the order services), shipping and return
shortcuts that go through the services, a snapshot of every row a refused call could have touched,
and the stock and money ledger invariants."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from django.db import transaction
from django.utils import timezone

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest, ApprovalStep
from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Product
from maoyi.core.documents import DocRef, Status
from maoyi.core.models import DocumentSequence
from maoyi.crm.models import Customer
from maoyi.crm.parties import as_party as customer_party
from maoyi.finance import selectors as finance_selectors
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, Installment, Obligation
from maoyi.inventory import selectors as stock_selectors
from maoyi.inventory.models import Lot, Reservation, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.inventory.services import ledger
from maoyi.org.models import Employee
from maoyi.sales.models import (
    PriceSource,
    SalesOrder,
    SalesOrderLine,
    SalesReturn,
    SalesReturnLine,
    Shipment,
    ShipmentLine,
)
from maoyi.sales.services import returns, shipments
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.factories import make_employee

_receipts = itertools.count(1)


@dataclass
class Shop:
    company: Company
    keeper: Employee  # logistics (仓管/物流): ships, confirms delivery, receives returns
    keeper2: Employee  # a second logistics clerk (the races)
    customer: Customer  # rep_a1's (team A)
    other_customer: Customer  # rep_b1's (team B)
    product: Product  # ZS001, lot-tracked
    plain: Product  # PJ001, no lot tracking
    warehouse: Warehouse  # 北京主仓
    quality: Warehouse  # 不合格品仓: where goods that failed inspection go back

    @property
    def rep(self) -> Employee:
        return self.company.rep_a1

    @property
    def manager(self) -> Employee:
        return self.company.manager_a


def build_shop(company: Company) -> Shop:
    keeper = make_employee(company.root, "logistics", username="keeper", name="陆洋")
    keeper2 = make_employee(company.root, "logistics", username="keeper2", name="孙浩")
    return Shop(
        company=company,
        keeper=keeper,
        keeper2=keeper2,
        customer=make_customer(company.rep_a1, "北京协和医院"),
        other_customer=make_customer(company.rep_b1, "上海瑞金医院"),
        product=Product.objects.create(
            code="ZS001", name="一次性使用无菌注射器", unit="支", lot_tracked=True
        ),
        plain=Product.objects.create(code="PJ001", name="医用棉签", unit="包", lot_tracked=False),
        warehouse=Warehouse.objects.create(code="WH01", name="北京主仓"),
        quality=Warehouse.objects.create(code="WH09", name="不合格品仓"),
    )


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def put_in(
    shop: Shop,
    quantity: str,
    unit_cost: str,
    lot: str = "",
    *,
    expiry: dt.date | None = None,
    product: Product | None = None,
    warehouse: Warehouse | None = None,
) -> StockMove:
    """Goods arrive through the stock ledger (as a goods receipt would post them)."""
    goods = product or shop.product
    n = next(_receipts)
    (move,) = ledger.receive(
        [
            ledger.Incoming(
                product_id=goods.pk,
                warehouse_id=(warehouse or shop.warehouse).pk,
                quantity=D(quantity),
                unit_cost=D(unit_cost),
                lot_number=lot,
                production_date=days(-400) if goods.lot_tracked else None,
                expiry_date=(expiry or days(700)) if goods.lot_tracked else None,
            )
        ],
        source=DocRef(type="test_receipt", id=n, number=f"RK-TEST-{n:04d}"),
        actor=shop.keeper,
    )
    return move


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: str
    price: str  # tax-inclusive unit price
    discount: str = "0"
    tax: str = "13"


def _order(
    shop: Shop,
    lines: Sequence[Line],
    *,
    owner: Employee | None,
    customer: Customer | None,
    order_date: dt.date | None,
    delivery_date: dt.date | None,
    status: str,
) -> SalesOrder:
    owner = owner or shop.rep
    order = SalesOrder(
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        customer=customer or shop.customer,
        warehouse=shop.warehouse,
        order_date=order_date or today(),
        delivery_date=delivery_date,
        status=status,
    )
    approvals.assign_number(order)
    order.save()
    SalesOrderLine.objects.bulk_create(
        SalesOrderLine(
            order=order,
            product=line.product,
            quantity=D(line.quantity),
            unit_price=D(line.price),
            discount_rate=D(line.discount),
            tax_rate=D(line.tax),
            price_source=PriceSource.TYPED,
        )
        for line in lines
    )
    return order


@transaction.atomic
def draft_order(
    shop: Shop,
    *lines: Line,
    owner: Employee | None = None,
    customer: Customer | None = None,
    status: str = Status.DRAFT,
) -> SalesOrder:
    """An order that was never approved (a draft, or cancelled before approval): nothing reserved."""
    return _order(
        shop,
        lines or [Line(shop.product, "10", "11.30")],
        owner=owner,
        customer=customer,
        order_date=None,
        delivery_date=None,
        status=status,
    )


@transaction.atomic
def approved_order(
    shop: Shop,
    *lines: Line,
    owner: Employee | None = None,
    customer: Customer | None = None,
    order_date: dt.date | None = None,
    delivery_date: dt.date | None = None,
) -> SalesOrder:
    """An approved sales order made directly, exactly as `maoyi.sales.services.orders.approve_order`
    leaves one (mirror it if approval changes): the lines' quantities reserved in the order's
    warehouse by the stock ledger with the order as the reservation's source, the status approved
    with its approval time, and the receivable for the order's amount opened against the customer,
    owned by the order's salesperson (one installment, 30 days after the order date)."""
    order = _order(
        shop,
        lines or [Line(shop.product, "10", "11.30")],
        owner=owner,
        customer=customer,
        order_date=order_date,
        delivery_date=delivery_date,
        status=Status.DRAFT,
    )
    order_lines = list(order.lines.order_by("id"))
    ledger.reserve(
        [ledger.Hold(line.product_id, order.warehouse_id, line.quantity) for line in order_lines],
        source=order.ref,
        actor=order.owner,
    )
    SalesOrder.objects.filter(pk=order.pk).update(status=Status.APPROVED, approved_at=timezone.now())
    order.refresh_from_db()
    if order.amount > 0:
        finance.open_obligation(
            direction=Direction.RECEIVABLE,
            actor=shop.manager,
            party=customer_party(order.customer),
            amount=order.amount,
            issued_on=today(),
            due_date=order.order_date + dt.timedelta(days=30),
            source=order.ref,
            owner=order.owner,
        )
    return order


def line_of(order: SalesOrder, n: int = 0) -> SalesOrderLine:
    return list(order.lines.order_by("id"))[n]


def item(
    order_line: SalesOrderLine, quantity: str, *, lot: Lot | None = None, lot_number: str = ""
) -> shipments.ShipmentLineInput:
    return shipments.ShipmentLineInput(
        order_line.pk, D(quantity), lot_id=lot.pk if lot is not None else None, lot_number=lot_number
    )


def ship(
    shop: Shop,
    order: SalesOrder,
    *items: shipments.ShipmentLineInput,
    actor: Employee | None = None,
    **kw: Any,
) -> Shipment:
    kw.setdefault("carrier", "顺丰速运")
    kw.setdefault("tracking_number", "SF1234567890")
    doc = shipments.ship_order(
        order, actor=actor or shop.keeper, lines=list(items) or [item(line_of(order), "10")], **kw
    )
    order.refresh_from_db()
    return doc


def lot(number: str, product: Product | None = None) -> Lot:
    return Lot.objects.get(lot_number=number, **({"product": product} if product is not None else {}))


def back(shipment_line: ShipmentLine, quantity: str) -> returns.ReturnLineInput:
    return returns.ReturnLineInput(shipment_line.pk, D(quantity))


def draft_return(
    shop: Shop,
    order: SalesOrder,
    *items: returns.ReturnLineInput,
    reason: str = "包装破损",
    warehouse: Warehouse | None = None,
) -> SalesReturn:
    return returns.create_return(
        order, actor=order.owner, lines=list(items), reason=reason, warehouse=warehouse
    )


def approved_return(shop: Shop, order: SalesOrder, *items: returns.ReturnLineInput, **kw: Any) -> SalesReturn:
    doc = draft_return(shop, order, *items, **kw)
    returns.submit_return(doc, actor=order.owner)
    approvals.approve(doc, actor=shop.manager)
    doc.refresh_from_db()
    return doc


def level(shop: Shop, product: Product | None = None, warehouse: Warehouse | None = None) -> tuple[D, D, D]:
    """(on hand, reserved, value) of a product in a warehouse."""
    found = StockLevel.objects.filter(
        product=product or shop.product, warehouse=warehouse or shop.warehouse
    ).first()
    return (found.on_hand, found.reserved, found.value) if found else (D("0"), D("0"), D("0"))


def on_lot(shop: Shop, number: str, warehouse: Warehouse | None = None) -> D:
    found = StockBalance.objects.filter(
        lot__lot_number=number, lot__product=shop.product, warehouse=warehouse or shop.warehouse
    ).first()
    return found.on_hand if found else D("0")


def refund_of(doc: SalesReturn) -> Obligation:
    return Obligation.objects.get(direction=Direction.PAYABLE, source_type="sales_return", source_id=doc.pk)


WATCHED: tuple[Any, ...] = (
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    SalesReturn,
    SalesReturnLine,
    Obligation,
    Installment,
    Lot,
    StockMove,
    StockBalance,
    StockLevel,
    Reservation,
    ApprovalRequest,
    ApprovalStep,
    AuditEntry,
    DocumentSequence,
)


def db_state() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves every sales, stock, money, approval and audit
    row (and the number counters) as it was."""
    before = db_state()
    yield
    assert db_state() == before


def assert_ledgers_consistent() -> None:
    """The stock invariants (balances = Σ moves, levels = Σ balances and values, reserved = Σ open
    reservations) and the money ones (allocated = Σ live allocations, installments add up)."""
    assert stock_selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []
