"""The demo company: loading it twice creates nothing new, and its goods and opening stock give
every stock page something to show (expired and near-expiry lots, a product below minimum); its
purchasing has quotes to compare and a purchase order in every state, with the ledgers whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from maoyi.approvals import selectors as approval_selectors
from maoyi.approvals.models import ApprovalRequest
from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.crm.models import Customer
from maoyi.demo.company import (
    ACCOUNTS,
    CUSTOMERS,
    OPENING_PAYABLES,
    OPENING_RECEIVABLES,
    PRODUCTS,
    QUOTES,
    SUPPLIERS,
    load_company,
)
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Allocation, ExchangeRate, Installment, Obligation, Settlement
from maoyi.inventory import selectors
from maoyi.inventory.models import Lot, MoveKind, OpeningStock, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.org.models import Department, Employee
from maoyi.purchasing import order_selectors
from maoyi.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    Supplier,
    SupplierQuote,
)
from maoyi.sales import shipping_selectors
from maoyi.sales.models import SalesOrder, SalesReturn, Shipment

pytestmark = pytest.mark.django_db

MODELS = (
    Department,
    Employee,
    Category,
    PriceLevel,
    Product,
    ProductPrice,
    Warehouse,
    Lot,
    StockMove,
    StockBalance,
    StockLevel,
    Customer,
    Supplier,
    Obligation,
    Installment,
    Settlement,
    Allocation,
    AuditEntry,
    ExchangeRate,
    SupplierQuote,
    PurchaseOrder,
    PurchaseOrderLine,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseReturn,
    SalesOrder,
    Shipment,
    SalesReturn,
    ApprovalRequest,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_loading_the_demo_twice_creates_nothing_new() -> None:
    first = load_company()
    before = counts()
    second = load_company()

    assert first["employees"] == len(ACCOUNTS)
    assert first["products"] == len(PRODUCTS) == 12
    assert first["warehouses"] == 2
    assert first["stock_moves"] == sum(len(p.lots) for p in PRODUCTS)
    assert set(second.values()) == {0}
    assert counts() == before


def test_loading_the_demo_on_a_later_day_posts_no_second_opening_stock() -> None:
    load_company()
    before = counts()

    again = load_company(today=timezone.localdate() + dt.timedelta(days=40))

    assert again["stock_moves"] == 0
    assert counts() == before


def test_every_demo_account_exists_with_its_roles() -> None:
    load_company()

    for account in ACCOUNTS:
        employee = Employee.objects.get(user__username=account.username)
        assert employee.user.check_password("maoyi-demo-2026")
        assert set(employee.roles.values_list("code", flat=True)) == set(account.roles)


def test_the_demo_goods_have_categories_level_prices_and_registration_numbers() -> None:
    load_company()

    assert set(Category.objects.filter(parent__isnull=False).values_list("name", flat=True)) == {
        "注射穿刺类",
        "敷料类",
        "防护用品",
        "检验耗材",
    }
    assert set(PriceLevel.objects.values_list("name", "kind")) == {
        ("一级代理价", "channel"),
        ("VIP客户价", "customer"),
    }
    for product in Product.objects.all():
        assert product.registration_number.startswith(("国械注准", "国械注进"))
        assert product.registration_expires_on is not None
        assert product.category is not None and product.category.path.count("/") == 3
        assert product.min_sale_price is not None
        assert product.purchase_price < product.min_sale_price <= product.sale_price
        assert product.pinyin
        assert ProductPrice.objects.filter(product=product).count() == 2
    assert Product.objects.get(code="ZS001").pinyin == "ycxsywjzsqdz"


def test_the_demo_opening_stock_keeps_the_ledger_consistent() -> None:
    load_company()

    assert selectors.ledger_mismatches() == []
    # besides the opening stock, purchasing's goods receipts and one shipped purchase return, and
    # sales' shipments (issues) and one received sales return
    assert set(StockMove.objects.values_list("kind", flat=True)) == {
        MoveKind.OPENING,
        MoveKind.RECEIPT,
        MoveKind.PURCHASE_RETURN,
        MoveKind.ISSUE,
        MoveKind.SALES_RETURN,
    }
    documents = list(OpeningStock.objects.order_by("warehouse__code"))
    assert [(d.warehouse.code, d.status, d.owner.user.username) for d in documents] == [
        ("WH01", "done", "luyang"),
        ("WH02", "done", "luyang"),
    ]
    opening_moves = StockMove.objects.filter(kind=MoveKind.OPENING)
    assert set(opening_moves.values_list("source_number", flat=True)) == {d.number for d in documents}
    assert set(StockLevel.objects.values_list("warehouse__code", flat=True)) == {"WH01", "WH02"}
    surgical_masks = StockLevel.objects.get(product__code="FH001", warehouse__code="WH01")
    assert surgical_masks.on_hand == Decimal("1020")
    assert surgical_masks.value == Decimal("18360.00")


def test_the_demo_has_expired_and_near_expiry_lots_and_a_product_below_minimum() -> None:
    today = timezone.localdate()
    load_company(today=today)

    expired = list(selectors.lots(expired=True, today=today))
    near = list(selectors.lots(expiring_within_days=90, today=today))

    assert [(lot.product.code, lot.on_hand) for lot in expired] == [("FH001", Decimal("120"))]
    assert {lot.product.code for lot in near} == {"ZS004", "JY001", "JY002"}
    assert [p.code for p in selectors.low_stock()] == ["ZS003"]


def test_availability_of_a_demo_product_leaves_out_the_expired_lot() -> None:
    load_company()
    masks = Product.objects.get(code="FH001")

    result = selectors.availability(masks)

    assert result["total"].on_hand == Decimal("1320")
    assert result["total"].available == Decimal("1200")


def test_the_demo_command_loads_the_company_and_prints_the_accounts(capsys: pytest.CaptureFixture) -> None:
    call_command("demo")
    call_command("demo", "--accounts")

    out = capsys.readouterr().out
    assert "12 product(s), 2 warehouse(s) and 23 opening stock move(s) created" in out
    assert "admin" in out and "maoyi-demo-2026" in out


def test_the_demo_has_customers_suppliers_and_opening_money_in_every_aging_bucket() -> None:
    created = load_company()
    finance = Employee.objects.get(user__username="xuting")

    assert created["customers"] == len(CUSTOMERS) and created["suppliers"] == len(SUPPLIERS)
    assert Customer.objects.filter(owner__isnull=True).count() == 3  # three customers in the public pool
    assert Supplier.objects.filter(currency="USD").count() == 1
    assert created["receivables"] == len(OPENING_RECEIVABLES)
    assert created["payables"] == len(OPENING_PAYABLES)
    assert finance_selectors.ledger_mismatches() == []
    receivables = finance_selectors.aging(finance.user, "receivable")
    assert all(amount > 0 for amount in receivables.totals.buckets.values())
    # Opening receivables less the two receipts' allocations (20,000 and 178,000), plus the refund a
    # supplier owes for a shipped purchase return (1,000 × 0.42), plus the approved sales orders not
    # paid yet (2,920.00 + 11,900.00 + 14,340.00 + 21,600.00; the 4,650.00 one is paid).
    opening = sum(Decimal(amount) for _name, amount, _ago, _plan in OPENING_RECEIVABLES)
    sales = Decimal("2920.00") + Decimal("11900.00") + Decimal("14340.00") + Decimal("21600.00")
    assert receivables.totals.total == opening - Decimal("198000.00") + Decimal("420.00") + sales
    # The USD payable is aged in CNY at its own rate: 9,250 USD left × 7.12. The approved purchase
    # orders owe 2,300 USD × 7.10, 18,000.00, 1,200.00 left of 2,400.00, 3,400.00 and 4,200.00; the
    # approved, unpaid expense owes its applicant 3,600.00; a received sales return owes the
    # distributor its refund, 200 × 2.40.
    payables = finance_selectors.aging(finance.user, "payable")
    opening_payables = Decimal("86400.00") + Decimal("42300.00") + Decimal("65860.00")
    orders = (
        Decimal("16330.00")
        + Decimal("18000.00")
        + Decimal("1200.00")
        + Decimal("3400.00")
        + Decimal("4200.00")
    )
    assert payables.totals.total == opening_payables + orders + Decimal("3600.00") + Decimal("480.00")
    # A salesperson sees only the money of their own customers.
    zhangwei = Employee.objects.get(user__username="zhangwei")
    names = set(
        finance_selectors.obligations(zhangwei.user, "receivable").values_list("party_name", flat=True)
    )
    assert names == {"北京天坛医疗器械批发部", "北京朝阳康宁诊所", "北京丰台康泰口腔门诊部"}


def test_the_demo_has_rates_and_quotes_to_compare() -> None:
    today = timezone.localdate()
    created = load_company(today=today)

    assert created["quotes"] == len(QUOTES) and created["exchange_rates"] == 2
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "EUR"}
    quoted_by = {
        code: set(SupplierQuote.objects.filter(product__code=code).values_list("supplier__name", flat=True))
        for code in ("ZS001", "ZS003")
    }
    assert all(len(names) >= 2 for names in quoted_by.values())  # several suppliers for one product
    assert SupplierQuote.objects.filter(currency="USD", supplier__currency="USD").exists()
    soon = SupplierQuote.objects.filter(
        valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=14)
    )
    assert soon.count() == 1
    assert SupplierQuote.objects.filter(valid_until__lt=today).count() == 1


def test_the_demo_has_a_purchase_order_in_every_state_made_by_the_right_people() -> None:
    created = load_company()
    people = {e.user.username: e for e in Employee.objects.select_related("user")}
    mali, gaofeng, luyang = people["mali"], people["gaofeng"], people["luyang"]

    assert (created["purchase_orders"], created["goods_receipts"]) == (8, 5)
    assert (created["purchase_returns"], created["supplier_payments"]) == (2, 1)
    assert set(PurchaseOrder.objects.values_list("owner__user__username", flat=True)) == {"mali"}
    by_status: dict[str, int] = {}
    for status in PurchaseOrder.objects.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    assert by_status == {
        "draft": 1,
        "submitted": 1,
        "rejected": 1,
        "approved": 1,
        "in_progress": 1,
        "done": 3,
    }

    # 马丽's purchase orders go to her department's manager, 高峰.
    submitted = PurchaseOrder.objects.get(status="submitted")
    inbox = approval_selectors.pending_for(gaofeng.user)
    assert [r.document_number for r in inbox] == [submitted.number]
    assert list(inbox[0].approvers.all()) == [gaofeng]
    assert not approval_selectors.pending_for(mali.user).exists()
    rejected = ApprovalRequest.objects.get(
        document_number=PurchaseOrder.objects.get(status="rejected").number
    )
    assert (rejected.status, rejected.decided_by, rejected.reason) == (
        "rejected",
        gaofeng,
        "单价高于供应商报价 0.17 元，请按报价重新下单",
    )

    # Logistics' list of what to receive: the USD order waiting for goods and the partly received one.
    waiting = PurchaseOrder.objects.get(status="approved")
    partly = PurchaseOrder.objects.get(status="in_progress")
    assert set(order_selectors.orders(luyang.user, to_receive=True)) == {waiting, partly}
    assert (waiting.currency, waiting.exchange_rate, waiting.amount) == (
        "USD",
        Decimal("7.1"),
        Decimal("2300.00"),
    )
    assert waiting.lines.get().quote is not None  # priced from the Medivena quote
    line = partly.lines.get()
    assert (line.quantity, line.received_quantity) == (Decimal("60000"), Decimal("36000"))
    lots = GoodsReceiptLine.objects.filter(order_line=line).values_list("lot__lot_number", flat=True)
    assert len(set(lots)) == 2 and partly.receipts.count() == 2
    assert set(GoodsReceipt.objects.values_list("owner__user__username", flat=True)) == {"luyang"}

    # Received in full, half paid.
    payables = {
        o.source_id: o for o in Obligation.objects.filter(direction="payable", source_type="purchase_order")
    }
    assert len(payables) == 5  # every approved order opened one
    half_paid = [p for p in payables.values() if p.allocated > 0]
    assert [(p.amount, p.allocated, p.status) for p in half_paid] == [
        (Decimal("2400.00"), Decimal("1200.00"), "open")
    ]
    assert PurchaseOrder.objects.get(number=half_paid[0].source_number).status == "done"

    # One return waits for logistics to ship it; the other shipped and its refund is open.
    to_ship = list(order_selectors.returns(luyang.user, to_ship=True))
    assert [(r.status, r.owner, r.order.status) for r in to_ship] == [("approved", mali, "done")]
    shipped = PurchaseReturn.objects.get(status="done")
    refund = Obligation.objects.get(
        direction="receivable", source_type="purchase_return", source_id=shipped.pk
    )
    assert (refund.amount, refund.allocated, refund.status) == (Decimal("420.00"), Decimal("0"), "open")
    assert shipped.lines.get().order_line.returned_quantity == Decimal("1000")

    assert selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []


def test_the_demo_command_reports_the_purchasing_figures(capsys: pytest.CaptureFixture) -> None:
    call_command("demo")
    call_command("demo")

    out = capsys.readouterr().out
    assert (
        "2 exchange rate(s), 11 supplier quote(s), 8 purchase order(s), 5 goods receipt(s), "
        "2 purchase return(s) and 1 supplier payment(s) created"
    ) in out
    assert (
        "0 exchange rate(s), 0 supplier quote(s), 0 purchase order(s), 0 goods receipt(s), "
        "0 purchase return(s) and 0 supplier payment(s) created"
    ) in out


def test_the_demo_customers_have_contacts_follow_ups_due_and_opportunities() -> None:
    from maoyi.crm.models import Activity, Contact, Opportunity, PoolRule
    from maoyi.demo.company import ACTIVITIES, CONTACTS, OPPORTUNITIES

    created = load_company()
    today = timezone.localdate()
    assert (created["contacts"], created["activities"], created["opportunities"]) == (
        len(CONTACTS),
        len(ACTIVITIES),
        len(OPPORTUNITIES),
    )
    assert Contact.objects.filter(is_primary=True).count() == 7  # one primary per customer listed
    due = Activity.objects.filter(follow_up_done=False, next_follow_up__isnull=False)
    assert due.filter(next_follow_up=today).exists() and due.filter(next_follow_up__lt=today).exists()
    assert set(Opportunity.objects.values_list("stage", flat=True)) == {
        "initial",
        "needs",
        "proposal",
        "negotiation",
        "won",
    }
    assert PoolRule.objects.count() >= 7
    from maoyi.approvals.selectors import pending_for
    from maoyi.crm.models import Contract, Quote

    assert Quote.objects.get().status == "sent" and Quote.objects.get().amount > 0
    contract = Contract.objects.get()
    zhouqiang = Employee.objects.get(user__username="zhouqiang")
    assert contract.status == "submitted"
    assert contract.number in [r.document_number for r in pending_for(zhouqiang.user)]
    assert load_company()["contacts"] == 0  # once


def test_the_demo_has_campaigns_and_expenses_in_every_state_with_the_money_owed_and_paid() -> None:
    from maoyi.approvals.selectors import pending_for
    from maoyi.crm.models import Campaign, Expense
    from maoyi.demo.company import EXPENSES

    created = load_company()
    assert (created["campaigns"], created["expenses"]) == (2, len(EXPENSES))
    channel = Campaign.objects.get(name="2026 华北区渠道推介会")
    assert channel.partners.count() == 4 and {p.kind for p in channel.partners.all()} == {
        "distributor",
        "agent",
    }
    assert set(Expense.objects.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "approved",
        "rejected",
        "done",
        "cancelled",
    }
    waiting = Expense.objects.get(status="submitted")
    zhaolei = Employee.objects.get(user__username="zhaolei")
    assert waiting.campaign == channel
    assert waiting.number in [r.document_number for r in pending_for(zhaolei.user)]
    # The approved expense is owed to its applicant; the paid one is settled by a payment.
    approved = Expense.objects.get(status="approved")
    owed = Obligation.objects.get(source_type="expense", source_id=approved.pk)
    assert (owed.party_kind, owed.party_id, owed.amount, owed.allocated) == (
        "employee",
        approved.owner_id,
        Decimal("3600.00"),
        Decimal("0"),
    )
    paid = Expense.objects.get(status="done")
    settled = Obligation.objects.get(source_type="expense", source_id=paid.pk)
    assert settled.allocated == settled.amount == Decimal("1850.00")
    assert paid.payment is not None and paid.payment.amount == Decimal("1850.00")
    assert finance_selectors.ledger_mismatches() == []
    assert load_company()["expenses"] == 0  # once


def test_the_demo_has_a_sales_order_in_every_state_made_by_the_right_people() -> None:
    today = timezone.localdate()
    created = load_company(today=today)
    people = {e.user.username: e for e in Employee.objects.select_related("user")}

    assert (created["sales_orders"], created["shipments"]) == (9, 3)
    assert (created["sales_returns"], created["customer_receipts"]) == (2, 1)
    by_status: dict[str, int] = {}
    for status in SalesOrder.objects.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    assert by_status == {
        "draft": 1,
        "submitted": 1,
        "rejected": 1,
        "approved": 2,
        "in_progress": 1,
        "done": 2,
        "cancelled": 1,
    }
    # Each order belongs to its customer's salesperson.
    assert all(o.owner == o.customer.owner for o in SalesOrder.objects.select_related("customer"))

    draft = SalesOrder.objects.get(status="draft")
    assert (draft.customer.name, draft.quote is not None) == ("北京朝阳康宁诊所", True)
    # 陈静's order waits for her manager, 李明.
    submitted = SalesOrder.objects.get(status="submitted")
    assert submitted.owner == people["chenjing"]
    assert submitted.number in [
        r.document_number for r in approval_selectors.pending_for(people["liming"].user)
    ]
    rejected = ApprovalRequest.objects.get(document_number=SalesOrder.objects.get(status="rejected").number)
    assert (rejected.status, rejected.decided_by) == ("rejected", people["zhouqiang"])
    assert rejected.reason == "客户仍有 96,500 元逾期未付，请先催收再下单。"
    cancelled = SalesOrder.objects.get(status="cancelled")
    assert cancelled.customer.name == "保定惠民医疗器械经营部"

    # Logistics ships today the order due today and the partly shipped one (due five days ago).
    due_today = SalesOrder.objects.get(customer__name="华北医疗集团")
    partly = SalesOrder.objects.get(status="in_progress")
    assert (due_today.status, due_today.delivery_date) == ("approved", today)
    assert list(shipping_selectors.to_ship_today(people["luyang"].user)) == [partly, due_today]
    # Approved above the clinic's credit limit (20,000), with 李明's reason.
    override = SalesOrder.objects.get(customer__name="北京丰台康泰口腔门诊部")
    assert (override.status, override.amount) == ("approved", Decimal("21600.00"))
    assert override.credit_override_reason == "老客户年底集中备货，已承诺月底前结清"
    assert override.amount > override.customer.credit_limit

    # Partly shipped: one shipment in transit, with carrier, tracking number and lots.
    in_transit = Shipment.objects.get(order=partly)
    assert (in_transit.status, in_transit.carrier, in_transit.tracking_number) == (
        "in_progress",
        "顺丰速运",
        "SF1428867310245",
    )
    assert all(line.lot.lot_number for line in in_transit.lines.all())
    assert [(line.quantity, line.shipped_quantity) for line in partly.lines.order_by("id")] == [
        (Decimal("2000"), Decimal("2000")),
        (Decimal("5000"), Decimal("3000")),
    ]

    # Shipped, signed for (已签收) and paid in full.
    paid = SalesOrder.objects.get(customer__name="北京昌平回龙观医院")
    signed = Shipment.objects.get(order=paid)
    assert (paid.status, signed.status, signed.delivered_on) == (
        "done",
        "done",
        today - dt.timedelta(days=34),
    )
    receivable = Obligation.objects.get(direction="receivable", source_type="sales_order", source_id=paid.pk)
    assert (receivable.amount, receivable.allocated, receivable.status) == (
        Decimal("4650.00"),
        Decimal("4650.00"),
        "settled",
    )

    # The distributor's order: shipped 58 days ago, its first installment 30 days overdue and unpaid.
    anhe = SalesOrder.objects.get(customer__name="河北安康医药有限公司")
    assert (anhe.status, anhe.order_date, anhe.amount) == (
        "done",
        today - dt.timedelta(days=60),
        Decimal("14340.00"),
    )
    overdue = finance_selectors.due_installments(people["xuting"].user, "receivable", overdue_only=True)
    mine = [i for i in overdue if i.obligation.source_type == "sales_order"]
    assert [(i.obligation.source_id, i.due_date, i.outstanding) for i in mine] == [
        (anhe.pk, today - dt.timedelta(days=30), Decimal("7170.00"))
    ]
    # Its 200 dressings came back: received into stock, the refund owed to the distributor.
    received = SalesReturn.objects.get(status="done")
    assert (received.order, received.received_on) == (anhe, today - dt.timedelta(days=20))
    refund = Obligation.objects.get(direction="payable", source_type="sales_return", source_id=received.pk)
    assert (refund.party_kind, refund.party_id, refund.amount, refund.allocated) == (
        "customer",
        anhe.customer_id,
        Decimal("480.00"),
        Decimal("0"),
    )
    assert anhe.lines.get(product__code="FL002").returned_quantity == Decimal("200")
    # Another return waits for 王军 (李明's manager).
    waiting = SalesReturn.objects.get(status="submitted")
    assert waiting.order == paid
    assert waiting.number in [
        r.document_number for r in approval_selectors.pending_for(people["wangjun"].user)
    ]

    # A recall of the lot the distributor's syringes came from finds the distributor.
    syringes = anhe.shipments.get().lines.get(order_line__product__code="ZS001")
    recipients = shipping_selectors.lot_customers(people["luyang"].user, syringes.lot)
    assert [(r.customer, r.shipped, r.kept) for r in recipients] == [
        ("河北安康医药有限公司", Decimal("20000"), Decimal("20000"))
    ]

    assert selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []
    assert load_company()["sales_orders"] == 0  # once


def test_the_demo_sales_count_back_from_the_day_they_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from maoyi.demo import company
    from maoyi.demo.sales import load_sales

    monkeypatch.setattr(company, "load_sales", lambda **kw: {})
    load_company()
    day = timezone.localdate() - dt.timedelta(days=15)
    assert load_sales(today=day)["sales_orders"] == 9

    anhe = SalesOrder.objects.get(customer__name="河北安康医药有限公司")
    assert anhe.order_date == day - dt.timedelta(days=60)
    assert anhe.shipments.get().shipped_on == day - dt.timedelta(days=58)
    assert SalesOrder.objects.get(customer__name="华北医疗集团").delivery_date == day
    assert selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []
