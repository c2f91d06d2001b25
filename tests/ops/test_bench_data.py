"""`maoyi bench_data` at a tiny scale: the counts asked for, both ledgers whole, pinyin stored the
way the services store it, numbers in the numbering rules' format that the services continue
without a collision, the refusal on a database that already holds business data, and a customer
found by its pinyin initials."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F

from maoyi.catalog.models import Product
from maoyi.core.numbering import next_number
from maoyi.crm import selectors as crm_selectors
from maoyi.crm.models import Activity, Customer
from maoyi.finance import selectors as finance_selectors
from maoyi.finance.models import Obligation, Receipt, Receivable, Settlement
from maoyi.inventory import selectors as inventory_selectors
from maoyi.inventory.models import Reservation, StockLevel, StockMove
from maoyi.org.models import Employee
from maoyi.org.pinyin import initials
from maoyi.sales.models import SalesOrder, SalesOrderLine, Shipment

COUNTS = {"customers": 200, "orders": 300, "moves": 2000, "activities": 500}


@pytest.fixture(scope="module")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """One load for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("bench_data", verbosity=0, seed=7, **COUNTS)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_it_writes_the_counts_asked_for(loaded: None) -> None:
    assert Customer.objects.count() == 200
    assert SalesOrder.objects.count() == 300
    assert StockMove.objects.count() == 2000
    assert Activity.objects.count() == 500
    assert Product.objects.count() == 20
    assert 50 <= Employee.objects.count() <= 70
    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    assert set(statuses) == {"draft", "submitted", "approved", "in_progress", "done", "cancelled"}
    lines = Counter(SalesOrderLine.objects.values_list("order_id", flat=True))
    assert len(lines) == 300 and min(lines.values()) >= 1 and max(lines.values()) <= 5
    # Some customers sit in the public pool; every owned one belongs to its owner's department.
    assert Customer.objects.filter(owner__isnull=True).exists()
    assert (
        not Customer.objects.filter(owner__isnull=False).exclude(department=F("owner__department")).exists()
    )


def test_approved_orders_have_receivables_reservations_and_shipments(loaded: None) -> None:
    approved = SalesOrder.objects.filter(status__in=("approved", "in_progress", "done"))
    assert Receivable.objects.filter(source_type="sales_order").count() == approved.count()
    unapproved = SalesOrder.objects.exclude(status__in=("approved", "in_progress", "done"))
    assert not Obligation.objects.filter(source_id__in=unapproved.values("id")).exists()
    assert not Reservation.objects.filter(source_id__in=unapproved.values("id")).exists()
    assert Shipment.objects.count() == SalesOrder.objects.filter(status__in=("in_progress", "done")).count()
    for order in SalesOrder.objects.filter(status="done").prefetch_related("lines")[:20]:
        assert all(line.shipped_quantity == line.quantity for line in order.lines.all())
    assert Reservation.objects.filter(status="open").exists()
    assert StockLevel.objects.filter(reserved__gt=0).exists()
    assert Receipt.objects.exists()


def test_both_ledgers_are_whole(loaded: None) -> None:
    assert inventory_selectors.ledger_mismatches() == []
    assert finance_selectors.ledger_mismatches() == []


def test_pinyin_is_stored_as_the_services_store_it(loaded: None) -> None:
    for name, pinyin in Customer.objects.values_list("name", "pinyin"):
        assert pinyin and pinyin == initials(name)
    for name, pinyin in Product.objects.values_list("name", "pinyin"):
        assert pinyin and pinyin == initials(name)


def test_numbers_follow_the_rules_and_the_services_continue_after_them(loaded: None) -> None:
    formats = {
        SalesOrder: ("sales_order", r"XS\d{8}-\d{4}"),
        Shipment: ("shipment", r"FH\d{8}-\d{4}"),
        Receivable: ("receivable", r"YS\d{8}-\d{4}"),
        Receipt: ("receipt", r"SK\d{8}-\d{4}"),
    }
    for model, (document_type, pattern) in formats.items():
        numbers = list(model.objects.values_list("number", flat=True))
        assert numbers and all(re.fullmatch(pattern, n) for n in numbers), model
        assert len(set(numbers)) == len(numbers)
        latest = max(numbers, key=lambda n: n[2:])
        with transaction.atomic():
            issued = next_number(document_type, on=_day_of(latest))
        assert issued not in numbers
        assert int(issued[-4:]) == int(latest[-4:]) + 1


def _day_of(number: str) -> dt.date:
    return dt.datetime.strptime(number[2:10], "%Y%m%d").date()


def test_a_customer_is_found_by_its_pinyin_initials(loaded: None) -> None:
    customer = Customer.objects.filter(owner__isnull=False).order_by("id").first()
    assert customer is not None
    director = Employee.objects.get(user__username="salesdir")  # manager of the whole sales department
    found = crm_selectors.customers(director.user, search=customer.pinyin[:5])
    assert customer in found
    assert all(c.pinyin.find(customer.pinyin[:5]) >= 0 or customer.pinyin[:5] in c.name_key for c in found)


def test_it_refuses_a_database_that_holds_business_data(loaded: None) -> None:
    receivables, receipts = Obligation.objects.count(), Settlement.objects.count()
    employees = Employee.objects.count()

    with pytest.raises(CommandError) as refused:
        call_command("bench_data", verbosity=0, customers=10, orders=10, moves=100, activities=10)

    assert str(refused.value) == (
        "数据库中已有业务数据（客户 200、销售订单 300、商品 20、仓库 3、库存流水 2000、"
        f"应收应付 {receivables}、收付款 {receipts}、跟进记录 500、员工 {employees}、部门 10），"
        "测试数据只能写入刚迁移的空数据库。"
    )
    assert Customer.objects.count() == 200
