"""Red invoices (红字发票) and what orders show: 未开票 / 部分开票 / 已开票, the 待开票 and 缺票
lists, and the data scope of invoices."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.invoicing import selectors, services
from maoyi.invoicing.models import Invoice
from maoyi.org.models import Employee
from tests.invoicing.builders import issue, purchase_order, receive_invoice, sales_order, unchanged
from tests.sales.builders import days

pytestmark = pytest.mark.django_db


def test_a_red_invoice_reverses_one_with_negative_amounts_and_allocations(desk) -> None:
    first, second = sales_order(desk), sales_order(desk, "56.50")
    blue = issue(desk, [(first, "1130.00"), (second, "565.00")], number="04410001")

    red = services.reverse_invoice(blue, actor=desk.clerk, reason=" 客户名称开错 ", red_number="04410002")

    blue.refresh_from_db()
    assert (blue.status, blue.reverse_reason) == ("reversed", "客户名称开错")
    assert (red.reverses, red.status, red.number, red.kind, red.direction) == (
        blue,
        "normal",
        "04410002",
        "special",
        "issued",
    )
    assert (red.amount, red.tax_amount, red.total) == (-blue.amount, -blue.tax_amount, D("-1695.00"))
    assert sorted(red.allocations.values_list("source_number", "amount")) == sorted(
        [(first.number, D("-1130.00")), (second.number, D("-565.00"))]
    )
    assert selectors.invoiced_amounts("sales_order", [first.pk, second.pk]) == {
        first.pk: D("0.00"),
        second.pk: D("0.00"),
    }
    assert selectors.invoicing_status("sales_order", [first.pk])[first.pk][0] == "none"
    assert AuditEntry.objects.filter(action="reverse", object_id=str(blue.pk)).count() == 1
    assert Invoice.objects.count() == 2  # nothing deleted
    issue(desk, [(first, "1130.00")])  # the order may be invoiced again


def test_reversing_twice_or_a_red_invoice_is_refused_and_changes_nothing(desk) -> None:
    blue = issue(desk, [(sales_order(desk), "1130.00")])
    red = services.reverse_invoice(blue, actor=desk.clerk, reason="错开", red_number="04419999")
    for target, message in ((blue, f"{blue.number} 已红冲。"), (red, "04419999 是红字发票，不能红冲。")):
        with unchanged(), pytest.raises(DomainError) as caught:
            services.reverse_invoice(target, actor=desk.clerk, reason="再冲", red_number="04418888")
        assert (caught.value.code, caught.value.message) == ("invalid_state", message)


@pytest.mark.parametrize(
    ("reason", "red_number", "issued_on", "code", "message"),
    [
        ("", "04418888", None, "reason_required", "请填写原因。"),
        ("错开", "", None, "invalid", "请填写发票号码。"),
        ("错开", "123", None, "invalid", "发票号码应为 8 位或 20 位数字。"),
        ("错开", "USED", None, "duplicate_invoice", "销项发票专票 04417777 已登记，不能重复录入。"),
        ("错开", "04418888", -400, "invalid", "红字发票的开票日期不能早于原发票。"),
    ],
)
def test_bad_reversals_are_refused(desk, reason, red_number, issued_on, code, message) -> None:
    blue = issue(desk, [(sales_order(desk), "1130.00")])
    issue(desk, [(sales_order(desk), "1130.00")], number="04417777")
    with unchanged(), pytest.raises(DomainError) as caught:
        services.reverse_invoice(
            blue,
            actor=desk.clerk,
            reason=reason,
            red_number="04417777" if red_number == "USED" else red_number,
            issued_on=days(issued_on) if issued_on else None,
        )
    assert (caught.value.code, caught.value.message) == (code, message)


def test_status_is_none_partial_or_full(desk) -> None:
    none, partial, full = sales_order(desk), sales_order(desk), sales_order(desk)
    issue(desk, [(partial, "500.00"), (full, "1130.00")])
    assert selectors.invoicing_status("sales_order", [none.pk, partial.pk, full.pk]) == {
        none.pk: ("none", D("0"), D("1130.00")),
        partial.pk: ("partial", D("500.00"), D("1130.00")),
        full.pk: ("full", D("1130.00"), D("1130.00")),
    }
    assert [str(selectors.INVOICING_LABELS[s]) for s in ("none", "partial", "full")] == [
        "未开票",
        "部分开票",
        "已开票",
    ]


def test_to_invoice_lists_approved_sales_orders_not_fully_invoiced(desk) -> None:
    partial, full = sales_order(desk), sales_order(desk, status=Status.DONE)
    untouched = sales_order(desk, status=Status.IN_PROGRESS)
    sales_order(desk, status=Status.DRAFT)
    sales_order(desk, status=Status.CANCELLED)
    issue(desk, [(partial, "130.00"), (full, "1130.00")])
    rows = selectors.to_invoice(desk.clerk.user)
    assert [(r.document, r.invoiced, r.remaining, r.state) for r in rows] == [
        (partial, D("130.00"), D("1000.00"), "partial"),
        (untouched, D("0"), D("1130.00"), "none"),
    ]
    # The salesperson sees their own customers' orders only.
    theirs = sales_order(desk, customer=desk.other_customer, owner=desk.company.rep_b1)
    assert theirs in [r.document for r in selectors.to_invoice(desk.company.rep_b1.user)]
    assert theirs not in [r.document for r in selectors.to_invoice(desk.company.rep_a1.user)]


def test_missing_supplier_invoices_lists_received_cny_orders_not_fully_invoiced(desk) -> None:
    covered = purchase_order(desk)
    missing = purchase_order(desk, received="5")
    purchase_order(desk, received="0", status=Status.APPROVED)  # nothing arrived yet
    purchase_order(desk, supplier=desk.usd_supplier)  # import: no VAT invoice
    receive_invoice(desk, [(covered, "1130.00")])
    rows = selectors.missing_supplier_invoices(desk.clerk.user)
    assert [(r.document, r.remaining) for r in rows] == [(missing, D("1130.00"))]


def test_open_documents_are_the_partys_orders_left_to_invoice(desk) -> None:
    left, done = sales_order(desk), sales_order(desk)
    sales_order(desk, customer=desk.other_customer, owner=desk.company.rep_b1)
    issue(desk, [(done, "1130.00"), (left, "100.00")])
    rows = selectors.open_documents(desk.clerk.user, "issued", desk.customer.pk)
    assert [(r.document, r.remaining) for r in rows] == [(left, D("1030.00"))]


def test_invoices_are_scoped_by_the_partys_owner(desk) -> None:
    mine = issue(desk, [(sales_order(desk), "1130.00")])
    theirs = issue(
        desk,
        [(sales_order(desk, customer=desk.other_customer, owner=desk.company.rep_b1), "1130.00")],
        customer=desk.other_customer,
    )
    company = desk.company
    assert set(selectors.invoices(company.rep_a1.user)) == {mine}
    assert set(selectors.invoices(company.manager_a.user)) == {mine}
    assert set(selectors.invoices(company.sales_head.user)) == {mine, theirs}
    assert set(selectors.invoices(company.finance_clerk.user)) == {mine, theirs}
    with pytest.raises(NotFoundInScope):
        selectors.invoice(company.rep_a1.user, theirs.pk)
    # Holding the permission is not enough: the invoice must be in the actor's scope.
    company.manager_a.user.user_permissions.add(Permission.objects.get(codename="change_invoice"))
    manager = Employee.objects.select_related("user").get(pk=company.manager_a.pk)
    with unchanged(), pytest.raises(NotFoundInScope):
        services.reverse_invoice(theirs, actor=manager, reason="x", red_number="12345670")


def test_the_list_filters_by_search_direction_kind_status_and_date(desk) -> None:
    order = sales_order(desk, quantity="30")
    a = issue(desk, [(order, "1130.00")], number="11110000")
    b = issue(desk, [(order, "1130.00")], number="22220000", kind="normal")
    user = desk.clerk.user
    assert list(selectors.invoices(user, search="1111")) == [a]
    assert set(selectors.invoices(user, search=order.number)) == {a, b}
    assert list(selectors.invoices(user, kind="normal")) == [b]
    assert list(selectors.invoices(user, direction="received")) == []
    assert list(selectors.invoices(user, date_from=days(1))) == []
    services.reverse_invoice(a, actor=desk.clerk, reason="错开", red_number="33330000")
    assert list(selectors.invoices(user, status="reversed")) == [a]
    assert [i.number for i in selectors.invoices(user, red=True)] == ["33330000"]
