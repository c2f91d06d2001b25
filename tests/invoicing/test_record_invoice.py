"""Recording invoices (发票登记): the happy paths on both sides, and each refusal with its exact
code and message, leaving invoices, orders and the audit trail as they were."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, PermissionRefused
from maoyi.crm.parties import as_party as customer_party
from maoyi.invoicing import services
from maoyi.invoicing.models import Invoice, InvoiceAllocation
from maoyi.purchasing.parties import as_party as supplier_party
from maoyi.sales.models import SalesReturn, SalesReturnLine
from tests.invoicing.builders import (
    issue,
    purchase_order,
    receive_invoice,
    sales_order,
    unchanged,
)
from tests.sales.builders import days, today

pytestmark = pytest.mark.django_db


def record(desk, **changes):
    fields = {
        "actor": desk.clerk,
        "direction": "issued",
        "kind": "special",
        "number": "04412345",
        "issued_on": today(),
        "party": customer_party(desk.customer),
        "amount": D("1000.00"),
        "tax_amount": D("130.00"),
        "allocations": [],
        "note": "",
    }
    fields.update(changes)
    return services.record_invoice(**fields)


def refused(desk, code: str, message: str, field: str | None = None, **changes) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        record(desk, **changes)
    assert (caught.value.code, caught.value.message) == (code, message)
    if field is not None:
        assert caught.value.field == field


def test_an_issued_invoice_covers_sales_orders_and_stores_the_total(desk) -> None:
    first, second = sales_order(desk), sales_order(desk, "56.50")  # 1130.00 and 565.00
    invoice = record(
        desk,
        number=" 0441 2345 ",
        amount=D("1500.00"),
        tax_amount=D("195.00"),
        allocations=[(first, D("1130.00")), (second.pk, D("565.00"))],
        note=" 首批 ",
    )
    invoice.refresh_from_db()
    assert (invoice.number, invoice.total, invoice.status, invoice.note) == (
        "04412345",
        D("1695.00"),
        "normal",
        "首批",
    )
    assert (invoice.party_kind, invoice.party_id, invoice.party_name) == (
        "customer",
        desk.customer.pk,
        "北京协和医院",
    )
    assert (invoice.owner, invoice.department) == (desk.company.rep_a1, desk.company.team_a)
    rows = list(invoice.allocations.order_by("id").values_list("source_type", "source_number", "amount"))
    assert rows == [
        ("sales_order", first.number, D("1130.00")),
        ("sales_order", second.number, D("565.00")),
    ]
    entry = AuditEntry.objects.get(object_id=str(invoice.pk), action="create", content_type__model="invoice")
    assert entry.changes["total"] == [None, "1695.00"]
    assert entry.changes["allocations"] == [None, f"{first.number} 1130.00；{second.number} 565.00"]


def test_a_received_invoice_covers_purchase_orders_with_a_20_digit_number(desk) -> None:
    order = purchase_order(desk)
    invoice = receive_invoice(desk, [(order, "1130.00")], number="24112000000012345678", kind="digital")
    assert (invoice.direction, invoice.party_kind, invoice.party_name) == (
        "received",
        "supplier",
        "江西华康医疗器械有限公司",
    )
    assert invoice.owner == desk.company.purchaser
    assert list(invoice.allocations.values_list("source_type", "amount")) == [
        ("purchase_order", D("1130.00"))
    ]


def test_the_same_number_is_refused_in_the_same_direction_and_kind_only(desk) -> None:
    order = sales_order(desk, quantity="30")
    issue(desk, [(order, "1130.00")], number="04412345")
    refused(
        desk,
        "duplicate_invoice",
        "销项发票专票 04412345 已登记，不能重复录入。",
        "number",
        allocations=[(order, D("1130.00"))],
    )
    issue(desk, [(order, "1130.00")], number="04412345", kind="normal")  # another kind: fine
    assert Invoice.objects.filter(number="04412345").count() == 2


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"number": ""}, "请填写发票号码。", "number"),
        ({"number": "0441234A"}, "发票号码只能是数字。", "number"),
        ({"number": "０４４１２３４５"}, "发票号码只能是数字。", "number"),
        ({"number": "1234567"}, "发票号码应为 8 位或 20 位数字。", "number"),
        ({"kind": "digital"}, "数电票号码应为 20 位数字。", "number"),
        ({"kind": "paper"}, "请选择发票类型。", "kind"),
        ({"direction": "out"}, "请选择发票方向。", "direction"),
        ({"issued_on": None}, "请填写开票日期。", "issued_on"),
        ({"issued_on": days(1)}, "开票日期不能晚于今天。", "issued_on"),
        ({"amount": D("0")}, "金额必须大于零。", "amount"),
        ({"amount": D("10.001")}, "金额最多两位小数。", "amount"),
        ({"tax_amount": D("-1")}, "税额不能为负数。", "tax_amount"),
        ({"allocations": []}, "请至少分配一张单据。", "allocations"),
    ],
)
def test_bad_input_is_refused_on_its_field(desk, changes, message, field) -> None:
    refused(desk, "invalid", message, field, **changes)


def test_an_issued_invoice_needs_a_customer(desk) -> None:
    refused(desk, "invalid", "销项发票请选择客户。", "party", party=supplier_party(desk.supplier))


def test_allocations_must_add_up_to_the_total(desk) -> None:
    order = sales_order(desk)
    refused(
        desk,
        "allocation_mismatch",
        "分配到单据的金额合计 1000.00 与价税合计 1130.00 不一致。",
        "allocations",
        allocations=[(order, D("1000.00"))],
    )


def test_an_order_of_another_customer_is_refused(desk) -> None:
    theirs = sales_order(desk, customer=desk.other_customer, owner=desk.company.rep_b1)
    refused(
        desk,
        "invalid",
        f"{theirs.number} 不是 北京协和医院 的单据。",
        "allocations.0.document",
        allocations=[(theirs, D("1130.00"))],
    )


def test_a_purchase_order_cannot_take_an_issued_invoice(desk) -> None:
    bought = purchase_order(desk)
    # The id is looked up among sales orders: none has it (or it is someone else's).
    with unchanged(), pytest.raises(DomainError) as caught:
        record(desk, allocations=[(bought.pk + 1000, D("1130.00"))])
    assert (caught.value.code, caught.value.message) == ("invalid", "第 1 行：单据不存在。")


def test_an_order_not_yet_approved_is_refused(desk) -> None:
    draft = sales_order(desk, status=Status.SUBMITTED)
    refused(
        desk,
        "invalid_state",
        f"{draft.number} 当前状态为“待审核”，审核通过后才能开票。",
        "allocations.0.document",
        allocations=[(draft, D("1130.00"))],
    )


def test_a_foreign_currency_purchase_order_takes_no_vat_invoice(desk) -> None:
    order = purchase_order(desk, supplier=desk.usd_supplier)
    with unchanged(), pytest.raises(DomainError) as caught:
        services.record_invoice(
            actor=desk.clerk,
            direction="received",
            kind="special",
            number="12345678",
            issued_on=today(),
            party=supplier_party(desk.usd_supplier),
            amount=D("1000.00"),
            tax_amount=D("130.00"),
            allocations=[(order, D("1130.00"))],
        )
    assert (caught.value.code, caught.value.message) == (
        "currency_mismatch",
        f"{order.number} 是 USD 采购订单，增值税发票只登记人民币单据。",
    )


def test_over_invoicing_an_order_is_refused(desk) -> None:
    order = sales_order(desk)
    issue(desk, [(order, "1000.00")])
    refused(
        desk,
        "over_invoice",
        f"{order.number} 可开票 1130.00，已开票 1000.00，本次 200.00，超出 70.00。",
        "allocations.0.amount",
        amount=D("176.99"),
        tax_amount=D("23.01"),
        allocations=[(order, D("200.00"))],
    )


def test_goods_returned_are_not_invoiced(desk) -> None:
    """An order of 1130.00 whose return of 226.00 was received may be invoiced 904.00."""
    from maoyi.sales.models import Shipment, ShipmentLine

    order = sales_order(desk, status=Status.IN_PROGRESS)
    line = order.lines.get()
    shipment = Shipment.objects.create(
        number="FH-T-1",
        owner=order.owner,
        department=order.department,
        created_by=order.created_by,
        order=order,
        warehouse=order.warehouse,
        shipped_on=today(),
        status=Status.IN_PROGRESS,
    )
    from maoyi.inventory.models import Lot

    lot = Lot.objects.create(product=desk.shop.product, lot_number="L1", expiry_date=days(300))
    shipped = ShipmentLine.objects.create(
        shipment=shipment, order_line=line, lot=lot, quantity=D("10"), cost=D("50"), unit_cost=D("5")
    )
    back = SalesReturn.objects.create(
        number="XT-T-1",
        owner=order.owner,
        department=order.department,
        created_by=order.created_by,
        order=order,
        warehouse=order.warehouse,
        reason="破损",
        status=Status.DONE,
    )
    SalesReturnLine.objects.create(
        sales_return=back, shipment_line=shipped, quantity=D("2"), amount=D("226.00")
    )
    refused(
        desk,
        "over_invoice",
        f"{order.number} 可开票 904.00，已开票 0.00，本次 1130.00，超出 226.00。",
        allocations=[(order, D("1130.00"))],
    )
    issue(desk, [(order, "904.00")])


def test_only_finance_records_invoices(desk) -> None:
    order = sales_order(desk)
    with unchanged(), pytest.raises(PermissionRefused):
        record(desk, actor=desk.company.rep_a1, allocations=[(order, D("1130.00"))])
    with unchanged(), pytest.raises(PermissionRefused):
        record(desk, actor=desk.company.manager_a, allocations=[(order, D("1130.00"))])
    assert InvoiceAllocation.objects.count() == 0
