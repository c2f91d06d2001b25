"""The demo's sales: orders written by the salespeople for their own customers and decided by their
managers, one in every state, with logistics' shipments (lots, carrier, tracking number), a
customer's signature, a receipt from finance, an installment overdue, and sales returns. Everything
goes through the sales and finance services, as the pages would; loaded once.

Dates count back from `base`, the demo's day but never after the real today (shipping, signing,
receiving and collecting money cannot be dated in the future), so aging looks real."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from maoyi.approvals import services as approval_services
from maoyi.catalog.models import Product
from maoyi.crm.models import Customer, Quote, QuoteStatus
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, Obligation
from maoyi.finance.parties import PartyKind, get_party
from maoyi.inventory.models import Warehouse
from maoyi.org.models import Employee
from maoyi.sales.models import SalesOrder, SalesReturn, Shipment
from maoyi.sales.services import orders as order_services
from maoyi.sales.services import returns as return_services
from maoyi.sales.services import shipments as shipment_services


@dataclass
class _Selling:
    """The people and things the demo's sales orders are made with."""

    base: dt.date
    people: dict[str, Employee]
    customers: dict[str, Customer]
    products: dict[str, Product]
    warehouses: dict[str, Warehouse]
    created: dict[str, int]

    def day(self, offset: int) -> dt.date:
        return self.base + dt.timedelta(days=offset)

    def order(
        self,
        customer: str,
        lines: tuple[tuple[str, int], ...],
        *,
        ordered: int,
        delivery: int | None = None,
        actor: str | None = None,
        installments: tuple[tuple[int, str], ...] = (),
        note: str = "",
    ) -> SalesOrder:
        """A draft for `customer`, written by its owner (or `actor`), priced as proposed; the days
        count from `base`."""
        buyer = self.customers[customer]
        writer = self.people[actor] if actor else buyer.owner
        assert writer is not None
        order = order_services.create_order(
            actor=writer,
            customer=buyer,
            warehouse=self.warehouses["WH01"],
            order_date=self.day(ordered),
            delivery_date=self.day(delivery) if delivery is not None else None,
            lines=[
                order_services.OrderLineInput(
                    product_id=self.products[code].pk,
                    quantity=Decimal(quantity),
                )
                for code, quantity in lines
            ],
            installments=[
                finance.InstallmentInput(self.day(due), Decimal(amount)) for due, amount in installments
            ],
            note=note,
        )
        self.created["sales_orders"] += 1
        return order

    def approver(self, doc: SalesOrder | SalesReturn) -> Employee:
        """The first approver the approval rules name for a document its owner submits."""
        _rule, people = approval_services.resolve_approvers(doc, requested_by=doc.owner)
        return sorted(people, key=lambda e: e.pk)[0]

    def submit(self, order: SalesOrder) -> SalesOrder:
        order_services.submit_order(order, actor=order.owner)
        return order

    def approve(self, order: SalesOrder, *, credit_override_reason: str = "") -> SalesOrder:
        approver = self.approver(order)
        self.submit(order)
        order_services.approve_order(
            order, actor=approver, comment="同意", credit_override_reason=credit_override_reason
        )
        order.refresh_from_db()
        return order

    def ship(
        self,
        order: SalesOrder,
        shipped: int,
        quantities: tuple[int, ...] | None = None,
        *,
        carrier: str,
        tracking_number: str,
    ) -> Shipment:
        """Logistics ships the order's lines (all that is open, or `quantities` line by line),
        first expiry first out."""
        lines = list(order.lines.order_by("id"))
        wanted = quantities if quantities is not None else tuple(int(line.open_quantity) for line in lines)
        shipment = shipment_services.ship_order(
            order,
            actor=self.people["luyang"],
            lines=[
                shipment_services.ShipmentLineInput(line.pk, Decimal(quantity))
                for line, quantity in zip(lines, wanted, strict=True)
                if quantity
            ],
            shipped_on=self.day(shipped),
            carrier=carrier,
            tracking_number=tracking_number,
        )
        order.refresh_from_db()
        self.created["shipments"] += 1
        return shipment

    def deliver(self, shipment: Shipment, delivered: int, signed_by: str) -> None:
        shipment_services.deliver_shipment(
            shipment, actor=self.people["luyang"], delivered_on=self.day(delivered), signed_by=signed_by
        )

    def sales_return(
        self, order: SalesOrder, lines: tuple[tuple[str, int], ...], reason: str, *, approve: bool
    ) -> SalesReturn:
        """A return of the order's shipped goods (product code, quantity: from its first shipment
        line of that product), written and submitted by the salesperson; approved by the manager
        when `approve`."""
        owner = order.owner
        first = order.shipments.order_by("id")[0]
        shipped: dict[str, int] = {}
        for row in first.lines.select_related("order_line__product").order_by("id"):
            shipped.setdefault(row.order_line.product.code, row.pk)
        doc = return_services.create_return(
            order,
            actor=owner,
            lines=[
                return_services.ReturnLineInput(shipped[code], Decimal(quantity)) for code, quantity in lines
            ],
            reason=reason,
        )
        approver = self.approver(doc)
        return_services.submit_return(doc, actor=owner)
        if approve:
            approval_services.approve(doc, actor=approver, comment="同意退货")
        doc.refresh_from_db()
        self.created["sales_returns"] += 1
        return doc

    def receipt(self, order: SalesOrder, amount: str, received: int, reference: str) -> None:
        """Finance records the customer's money and allocates it to the order's receivable."""
        clerk = self.people["xuting"]
        receivable = Obligation.objects.get(
            direction=Direction.RECEIVABLE, source_type=order.DOCUMENT_TYPE, source_id=order.pk
        )
        party = get_party(clerk.user, PartyKind.CUSTOMER, receivable.party_id)
        assert party is not None
        finance.record_settlement(
            direction=Direction.RECEIVABLE,
            actor=clerk,
            party=party,
            amount=Decimal(amount),
            occurred_on=self.day(received),
            reference=reference,
            allocations=[finance.AllocationInput(receivable.pk, Decimal(amount))],
        )
        self.created["customer_receipts"] += 1


def load_sales(*, today: dt.date | None = None) -> dict[str, int]:
    """Once, sales orders in every state for the salespeople's customers: a draft made from the
    clinic's quote; one waiting in 李明's inbox; one rejected with a reason; one approved and due
    to ship today; one partly shipped and in transit; one shipped, signed for and paid in full; a
    distributor's order shipped with its first installment overdue and unpaid (and part of it
    returned, received back with its refund payable); a cancelled one; one approved above the
    customer's credit limit with a reason; and a return waiting for approval."""
    created = {"sales_orders": 0, "shipments": 0, "sales_returns": 0, "customer_receipts": 0}
    if SalesOrder.objects.exists():
        return created
    today = today or timezone.localdate()
    selling = _Selling(
        base=min(today, timezone.localdate()),
        people={e.user.username: e for e in Employee.objects.select_related("user", "department")},
        customers={c.name: c for c in Customer.objects.select_related("owner")},
        products={p.code: p for p in Product.objects.all()},
        warehouses={w.code: w for w in Warehouse.objects.all()},
        created=created,
    )

    # A draft 张伟 made from the quote the clinic received (or typed, without the quote).
    kangning = selling.customers["北京朝阳康宁诊所"]
    quote = Quote.objects.filter(customer=kangning, status=QuoteStatus.SENT).order_by("id").first()
    if quote is not None and kangning.owner is not None:
        order_services.create_order_from_quote(
            quote,
            actor=kangning.owner,
            warehouse=selling.warehouses["WH01"],
            order_date=selling.day(-1),
            delivery_date=selling.day(10),
            note="按报价单下单，待客户确认交货时间",
        )
        created["sales_orders"] += 1
    else:
        selling.order("北京朝阳康宁诊所", (("ZS003", 2400), ("FL002", 1000)), ordered=-1, delivery=10)

    # Submitted by 陈静: waits in 李明's approval inbox.
    selling.submit(
        selling.order(
            "北京东城和平里社区卫生服务中心",
            (("FH001", 100), ("FH003", 50)),
            ordered=-2,
            delivery=5,
            note="社区冬季防护物资",
        )
    )

    # Rejected by 周强: the customer owes money long overdue.
    rejected = selling.submit(
        selling.order("济南仁心医院管理有限公司", (("JY001", 10000),), ordered=-4, delivery=7)
    )
    order_services.reject_order(
        rejected, actor=selling.approver(rejected), reason="客户仍有 96,500 元逾期未付，请先催收再下单。"
    )

    # Approved, due today: on logistics' list of what to ship today.
    selling.approve(selling.order("华北医疗集团", (("ZS001", 5000), ("FL001", 300)), ordered=-3, delivery=0))

    # Partly shipped: the masks left in full, 3,000 of the 5,000 infusion needles; in transit.
    tiantan = selling.approve(
        selling.order("北京天坛医疗器械批发部", (("FH002", 2000), ("ZS002", 5000)), ordered=-10, delivery=-5)
    )
    selling.ship(tiantan, -6, (2000, 3000), carrier="顺丰速运", tracking_number="SF1428867310245")

    # Shipped, signed for and paid in full (李明's own hospital, approved by 王军).
    huilongguan = selling.approve(
        selling.order("北京昌平回龙观医院", (("ZS003", 200), ("FL003", 100)), ordered=-40, delivery=-35)
    )
    signed = selling.ship(huilongguan, -36, carrier="京东物流", tracking_number="JDVA21840093317")
    selling.deliver(signed, -34, "回龙观医院 刘护士长")
    selling.receipt(huilongguan, f"{huilongguan.amount:.2f}", -5, "建行回单 HLG-0093")

    # A distributor's order at its agent price (the minimum sale price), written by the channel
    # manager; half due 30 days ago and unpaid, half due in 30 days; shipped and signed.
    anhe_lines = (("ZS001", 20000), ("FL002", 2000), ("JY002", 300))
    anhe = selling.order(
        "河北安康医药有限公司",
        anhe_lines,
        ordered=-60,
        delivery=-58,
        actor="zhaolei",
        installments=((-30, "7170.00"), (30, "7170.00")),
        note="二季度代理提货（首批）",
    )
    selling.approve(anhe)
    shipped = selling.ship(anhe, -58, carrier="德邦物流", tracking_number="DPK300218845761")
    selling.deliver(shipped, -56, "安康医药 周涛")
    # 200 dressings came back: received into stock, the refund (200 × 2.40) owed to the distributor.
    back = selling.sales_return(anhe, (("FL002", 200),), "部分敷贴背胶失效", approve=True)
    return_services.receive_return(back, actor=selling.people["luyang"], received_on=selling.day(-20))
    # A return of the hospital's catheters waiting in 王军's inbox.
    selling.sales_return(huilongguan, (("ZS003", 20),), "20 支留置针外包装破损", approve=False)

    # Written by 赵磊 for 何敏's agent, cancelled by 何敏 before it was submitted.
    cancelled = selling.order(
        "保定惠民医疗器械经营部",
        (("FH003", 100),),
        ordered=-8,
        actor="zhaolei",
    )
    order_services.cancel_order(cancelled, actor=selling.people["hemin"], reason="客户改为下月统一采购")

    # Above the clinic's credit limit (20,000): 李明 lets it through with a reason.
    kangtai = selling.customers["北京丰台康泰口腔门诊部"]
    if kangtai.credit_limit > 0:
        selling.approve(
            selling.order("北京丰台康泰口腔门诊部", (("FL003", 600), ("FH003", 300)), ordered=-1, delivery=7),
            credit_override_reason="老客户年底集中备货，已承诺月底前结清",
        )
    return created
