"""The demo company: loading it twice creates nothing new, and its goods and opening stock give
every stock page something to show (expired and near-expiry lots, a product below minimum)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.catalog.models import Category, PriceLevel, Product, ProductPrice
from maoyi.crm.models import Customer
from maoyi.demo.company import (
    ACCOUNTS,
    CUSTOMERS,
    OPENING_PAYABLES,
    OPENING_RECEIVABLES,
    PRODUCTS,
    SUPPLIERS,
    load_company,
)
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Allocation, Installment, Obligation, Settlement
from maoyi.inventory import selectors
from maoyi.inventory.models import Lot, MoveKind, OpeningStock, StockBalance, StockLevel, StockMove, Warehouse
from maoyi.org.models import Department, Employee
from maoyi.purchasing.models import Supplier

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
    assert set(StockMove.objects.values_list("kind", flat=True)) == {MoveKind.OPENING}
    documents = list(OpeningStock.objects.order_by("warehouse__code"))
    assert [(d.warehouse.code, d.status, d.owner.user.username) for d in documents] == [
        ("WH01", "done", "luyang"),
        ("WH02", "done", "luyang"),
    ]
    assert set(StockMove.objects.values_list("source_number", flat=True)) == {d.number for d in documents}
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
    assert Customer.objects.filter(owner__isnull=True).count() == 1  # one customer in the public pool
    assert Supplier.objects.filter(currency="USD").count() == 1
    assert created["receivables"] == len(OPENING_RECEIVABLES)
    assert created["payables"] == len(OPENING_PAYABLES)
    assert finance_selectors.ledger_mismatches() == []
    receivables = finance_selectors.aging(finance.user, "receivable")
    assert all(amount > 0 for amount in receivables.totals.buckets.values())
    # Opening receivables less the two receipts' allocations (20,000 and 178,000).
    opening = sum(Decimal(amount) for _name, amount, _ago, _plan in OPENING_RECEIVABLES)
    assert receivables.totals.total == opening - Decimal("198000.00")
    # The USD payable is aged in CNY at its own rate: 9,250 USD left × 7.12.
    payables = finance_selectors.aging(finance.user, "payable")
    assert payables.totals.total == Decimal("86400.00") + Decimal("42300.00") + Decimal("65860.00")
    # A salesperson sees only the money of their own customers.
    zhangwei = Employee.objects.get(user__username="zhangwei")
    names = set(
        finance_selectors.obligations(zhangwei.user, "receivable").values_list("party_name", flat=True)
    )
    assert names == {"北京天坛医疗器械批发部", "北京朝阳康宁诊所"}
