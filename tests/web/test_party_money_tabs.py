"""The money tabs of the party pages: a customer's 应收 and a supplier's 应付, read from the money
ledger in the user's data scope — the figures per currency (outstanding, of which overdue, money
received or paid in advance), the open and settled receivables (payables), the latest receipts
(payments), refunds the other way round, and the 收款/付款 and 对账单 buttons. The tab is shown only to
users who may see receivables (payables)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from maoyi.finance import services
from maoyi.finance.parties import get_party
from maoyi.finance.services import AllocationInput, InstallmentInput
from maoyi.org.models import Role
from tests.crm.builders import make_customer
from tests.factories import make_employee
from tests.purchasing.builders import make_supplier

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def found(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]+)<', html)


def figures(html: str) -> dict[str, dict[str, str]]:
    """{currency: {outstanding, overdue[, advance]}} as the figure cards show them."""
    parts = re.split(r'data-testid="ledger-figures" data-currency="(\w+)"', html)
    return {
        currency: dict(re.findall(r'data-testid="figure-(\w+)">([^<]+)<', block))
        for currency, block in zip(parts[1::2], parts[2::2], strict=True)
    }


def opening(company, party, amount: str, *, direction: str = "receivable", due=None, plan=(), **kw):
    return services.create_opening_balance(
        direction=direction,
        actor=company.finance_clerk,
        party=party,
        amount=D(amount),
        issued_on=kw.pop("issued_on", days(-40)),
        due_date=None if plan else (due or days(-10)),
        installments=[InstallmentInput(due_date=d, amount=D(a)) for d, a in plan],
        **kw,
    )


def settle(company, party, amount: str, *allocations, direction: str = "receivable", **kw):
    return services.record_settlement(
        direction=direction,
        actor=company.finance_clerk,
        party=party,
        amount=D(amount),
        occurred_on=kw.pop("occurred_on", today()),
        allocations=[AllocationInput(ob.pk, D(a)) for ob, a in allocations],
        **kw,
    )


def customer_tab(customer) -> str:
    return reverse("web:customer-detail", args=[customer.pk]) + "?tab=receivables"


def supplier_tab(supplier) -> str:
    return reverse("web:supplier-detail", args=[supplier.pk]) + "?tab=payables"


@pytest.fixture
def customer_ledger(company):
    """rep_a1's customer with an overdue receivable part paid, one in installments (the first past
    due), a settled one, a USD one not yet due, a receipt with money left unallocated and a refund
    owed to it; and rep_b1's customer with a receivable of its own."""
    customer = make_customer(company.rep_a1, "北京协和医院")
    other = make_customer(company.rep_b1, "上海瑞金医院")
    party = get_party(company.finance_clerk.user, "customer", customer.pk)
    other_party = get_party(company.finance_clerk.user, "customer", other.pk)
    late = opening(company, party, "1000.00", reference="K3-LATE")
    planned = opening(company, party, "1000.00", plan=[(days(-5), "400.00"), (days(25), "600.00")])
    paid = opening(company, party, "200.00", due=days(10), issued_on=days(-3))
    usd = opening(company, party, "50.00", due=days(30), currency="USD", exchange_rate=D("7.1"))
    first = settle(company, party, "200.00", (paid, "200.00"), occurred_on=days(-2), reference="BANK-1")
    second = settle(company, party, "300.00", (late, "100.00"), reference="BANK-2")
    refund = opening(company, party, "80.00", direction="payable", due=days(5))
    elsewhere = opening(company, other_party, "800.00")
    return {
        "customer": customer,
        "other": other,
        "late": late,
        "planned": planned,
        "paid": paid,
        "usd": usd,
        "first": first,
        "second": second,
        "refund": refund,
        "elsewhere": elsewhere,
    }


# The customer's 应收 tab ------------------------------------------------------------------------------


def test_finance_sees_the_customers_receivables_receipts_refunds_and_figures(
    company, client_for, customer_ledger
) -> None:
    led = customer_ledger
    client = client_for(company.finance_clerk)
    detail = text(client.get(reverse("web:customer-detail", args=[led["customer"].pk])))
    assert 'href="?tab=receivables"' in detail and ">应收<" in detail
    html = text(client.get(customer_tab(led["customer"])))

    # Open ones first, earliest due first; then the settled one; never another customer's.
    assert found(html, "obligation-number") == [
        led["late"].number,
        led["planned"].number,
        led["usd"].number,
        led["paid"].number,
    ]
    assert led["elsewhere"].number not in html
    assert reverse("web:receivable-detail", args=[led["late"].pk]) in html
    assert "K3-LATE" in html
    assert found(html, "obligation-outstanding") == ["¥900.00", "¥1,000.00", "$50.00", "¥0.00"]
    # The installment past due makes its receivable late though its last due date is ahead; an
    # open receivable in installments shows the due date of its earliest unsettled installment.
    assert html.count('data-testid="overdue"') == 2
    due_dates = re.findall(r'data-testid="overdue">(\d{4}-\d\d-\d\d)', html)
    assert due_dates == [days(-10).isoformat(), days(-5).isoformat()]
    assert html.count(">分期</span>") == 1

    assert figures(html) == {
        "CNY": {"outstanding": "¥1,900.00", "overdue": "¥1,300.00", "advance": "¥200.00"},
        "USD": {"outstanding": "$50.00", "overdue": "$0.00", "advance": "$0.00"},
    }

    assert found(html, "settlement-number") == [led["second"].number, led["first"].number]
    assert reverse("web:receipt-detail", args=[led["second"].pk]) in html
    assert found(html, "refund-number") == [led["refund"].number]
    assert reverse("web:payable-detail", args=[led["refund"].pk]) in html

    party = led["customer"].pk
    settle_url = reverse("web:receipt-create") + f"?kind=customer&amp;party={party}"
    statement_url = reverse("web:finance-statement") + f"?party_kind=customer&amp;party={party}"
    assert f'href="{settle_url}"' in html
    assert f'href="{statement_url}"' in html
    statement = text(client.get(statement_url.replace("&amp;", "&")))
    assert 'data-testid="statement"' in statement and "北京协和医院" in statement
    assert 'data-testid="ledger-empty"' not in html


def test_a_salesperson_sees_the_tab_on_their_own_customer_without_settling_or_refunds(
    company, client_for, customer_ledger
) -> None:
    led = customer_ledger
    client = client_for(company.rep_a1)
    html = text(client.get(customer_tab(led["customer"])))
    assert 'data-testid="party-ledger"' in html
    assert found(html, "obligation-number") == [
        led["late"].number,
        led["planned"].number,
        led["usd"].number,
        led["paid"].number,
    ]
    assert found(html, "settlement-number") == [led["second"].number, led["first"].number]
    assert figures(html)["CNY"] == {"outstanding": "¥1,900.00", "overdue": "¥1,300.00", "advance": "¥200.00"}
    # No finance.add_receipt: no 收款 button; no finance.view_payable: no refunds.
    assert 'data-testid="ledger-settle"' not in html
    assert 'data-testid="ledger-refunds"' not in html and led["refund"].number not in html
    assert 'data-testid="ledger-statement"' in html
    # Another salesperson's customer stays out of reach.
    assert client.get(customer_tab(led["other"])).status_code == 404


def test_the_tab_shows_only_what_the_users_data_scope_allows(company, client_for, customer_ledger) -> None:
    """A receivable of the customer kept by another salesperson stays hidden from the customer's own
    salesperson, who still sees the rest of the tab."""
    led = customer_ledger
    mine = get_party(company.finance_clerk.user, "customer", led["customer"].pk)
    hidden = opening(company, mine, "70.00", owner=company.rep_b1)
    assert hidden.owner == company.rep_b1
    assert hidden.number in text(client_for(company.finance_clerk).get(customer_tab(led["customer"])))
    assert hidden.number not in text(client_for(company.rep_a1).get(customer_tab(led["customer"])))


def test_without_permission_to_see_receivables_there_is_no_tab(company, client_for, customer_ledger) -> None:
    salesperson = Role.objects.get(code="salesperson")
    salesperson.group.permissions.remove(
        Permission.objects.get(content_type__app_label="finance", codename="view_receivable")
    )
    client = client_for(company.rep_a1)
    html = text(client.get(customer_tab(customer_ledger["customer"])))
    assert 'href="?tab=receivables"' not in html and ">应收<" not in html
    assert 'data-testid="party-ledger"' not in html
    assert 'data-testid="customer-info"' in html  # an unknown tab falls back to the first
    assert customer_ledger["late"].number not in html


def test_a_customer_with_no_money_shows_the_empty_state(company, client_for) -> None:
    customer = make_customer(company.rep_a1, "朝阳社区诊所")
    for who in (company.finance_clerk, company.rep_a1):
        html = text(client_for(who).get(customer_tab(customer)))
        assert 'data-testid="ledger-empty"' in html
        assert 'data-testid="ledger-obligations"' not in html and 'data-testid="ledger-figures"' not in html
        assert 'data-testid="ledger-statement"' in html
    assert 'data-testid="ledger-settle"' in text(
        client_for(company.finance_clerk).get(customer_tab(customer))
    )


def test_a_customer_with_everything_settled_shows_no_figures_but_the_records(company, client_for) -> None:
    customer = make_customer(company.rep_a1, "朝阳社区诊所")
    party = get_party(company.finance_clerk.user, "customer", customer.pk)
    paid = opening(company, party, "120.00")
    receipt = settle(company, party, "120.00", (paid, "120.00"))
    html = text(client_for(company.finance_clerk).get(customer_tab(customer)))
    assert 'data-testid="ledger-cleared"' in html and 'data-testid="ledger-figures"' not in html
    assert found(html, "obligation-number") == [paid.number]
    assert found(html, "settlement-number") == [receipt.number]
    assert 'data-testid="overdue"' not in html


# The supplier's 应付 tab ------------------------------------------------------------------------------


@pytest.fixture
def supplier_ledger(company):
    supplier = make_supplier("山东威高集团", buyer=company.purchaser)
    other = make_supplier("上海康德莱")
    party = get_party(company.finance_clerk.user, "supplier", supplier.pk)
    other_party = get_party(company.finance_clerk.user, "supplier", other.pk)
    due = opening(company, party, "500.00", direction="payable", reference="AP-OLD")
    later = opening(company, party, "300.00", direction="payable", due=days(20))
    payment = settle(company, party, "200.00", (due, "200.00"), direction="payable")
    refund = opening(company, party, "60.00", due=days(15))  # a receivable from the supplier
    elsewhere = opening(company, other_party, "999.00", direction="payable")
    return {
        "supplier": supplier,
        "due": due,
        "later": later,
        "payment": payment,
        "refund": refund,
        "elsewhere": elsewhere,
    }


def test_finance_sees_the_suppliers_payables_payments_refunds_and_figures(
    company, client_for, supplier_ledger
) -> None:
    led = supplier_ledger
    client = client_for(company.finance_clerk)
    html = text(client.get(supplier_tab(led["supplier"])))
    assert 'data-direction="payable"' in html and ">应付<" in html
    assert found(html, "obligation-number") == [led["due"].number, led["later"].number]
    assert led["elsewhere"].number not in html
    assert reverse("web:payable-detail", args=[led["due"].pk]) in html and "AP-OLD" in html
    assert figures(html) == {"CNY": {"outstanding": "¥600.00", "overdue": "¥300.00", "advance": "¥0.00"}}
    assert found(html, "settlement-number") == [led["payment"].number]
    assert reverse("web:payment-detail", args=[led["payment"].pk]) in html
    assert found(html, "refund-number") == [led["refund"].number]
    assert reverse("web:receivable-detail", args=[led["refund"].pk]) in html
    party = led["supplier"].pk
    assert f'href="{reverse("web:payment-create")}?kind=supplier&amp;party={party}"' in html
    statement_url = reverse("web:finance-statement") + f"?party_kind=supplier&amp;party={party}"
    assert f'href="{statement_url}"' in html
    assert client.get(statement_url.replace("&amp;", "&")).status_code == 200


def test_the_purchaser_sees_their_suppliers_payables_without_paying(
    company, client_for, supplier_ledger
) -> None:
    led = supplier_ledger
    html = text(client_for(company.purchaser).get(supplier_tab(led["supplier"])))
    assert found(html, "obligation-number") == [led["due"].number, led["later"].number]
    assert found(html, "settlement-number") == [led["payment"].number]
    assert 'data-testid="ledger-settle"' not in html
    assert 'data-testid="ledger-refunds"' not in html


def test_without_permission_to_see_payables_there_is_no_tab(company, client_for, supplier_ledger) -> None:
    storekeeper = make_employee(company.root, "logistics", username="store", name="赵仓")
    html = text(client_for(storekeeper).get(supplier_tab(supplier_ledger["supplier"])))
    assert 'href="?tab=payables"' not in html and 'data-testid="party-ledger"' not in html
    assert 'data-testid="supplier-info"' in html
    assert supplier_ledger["due"].number not in html


def test_a_supplier_with_no_money_shows_the_empty_state(company, client_for) -> None:
    supplier = make_supplier("上海康德莱")
    html = text(client_for(company.finance_clerk).get(supplier_tab(supplier)))
    assert 'data-testid="ledger-empty"' in html and 'data-testid="ledger-obligations"' not in html
