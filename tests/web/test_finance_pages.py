"""The money-ledger pages (应收款/应付款, 收款单/付款单, 期初, 核销, 红冲, 账龄分析, 对账单, 到期提醒)
as finance, a salesperson and a purchaser see them. A missing permission answers 403; a record that
is missing or outside the user's data scope answers 404."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.crm.services import create_customer
from maoyi.finance import services
from maoyi.finance.models import (
    Allocation,
    Installment,
    ObligationStatus,
    Payable,
    Payment,
    Receipt,
    Receivable,
    SettlementStatus,
)
from maoyi.finance.parties import get_party
from maoyi.finance.selectors import ledger_mismatches
from maoyi.finance.services import AllocationInput
from maoyi.purchasing.services.suppliers import create_supplier

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def text(response) -> str:
    return response.content.decode()


def numbers(response, testid: str = "obligation-number") -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]+)<', text(response))


def customer_party(company, name: str, owner):
    customer = create_customer(actor=None, name=name, kind="end_customer", level="b", owner=owner)
    return get_party(company.finance_clerk.user, "customer", customer.pk)


def opening(
    company, party, amount: str, *, direction: str = "receivable", issued_on=None, due_date=None, **kw
):
    return services.create_opening_balance(
        direction=direction,
        actor=company.finance_clerk,
        party=party,
        amount=D(amount),
        issued_on=issued_on or TODAY() - dt.timedelta(days=40),
        due_date=due_date or TODAY() - dt.timedelta(days=10),
        **kw,
    )


@pytest.fixture
def ledger(company):
    """Two customers (rep_a1's and rep_b1's) with an opening receivable each, a supplier with an
    opening payable."""
    mine = customer_party(company, "北京协和医院", company.rep_a1)
    theirs = customer_party(company, "上海瑞金医院", company.rep_b1)
    supplier = create_supplier(actor=None, name="山东威高集团", buyer=company.purchaser)
    vendor = get_party(company.finance_clerk.user, "supplier", supplier.pk)
    return {
        "mine": mine,
        "theirs": theirs,
        "vendor": vendor,
        "r_mine": opening(company, mine, "1000.00", reference="OLD-001"),
        "r_theirs": opening(company, theirs, "800.00"),
        "p_vendor": opening(company, vendor, "500.00", direction="payable"),
    }


def receipt_post(who, amount: str, allocations: dict[int, str] | None = None, **changes) -> dict[str, str]:
    data = {
        "party_kind": who.kind,
        "party": str(who.id),
        "amount": amount,
        "currency": "CNY",
        "exchange_rate": "",
        "method": "bank_transfer",
        "occurred_on": TODAY().isoformat(),
        "reference": "BANK-778",
        "note": "",
    }
    data.update({f"alloc-{pk}": value for pk, value in (allocations or {}).items()})
    data.update(changes)
    return data


def opening_post(who, amount: str, rows: list[dict[str, str]] = (), **changes) -> dict[str, str]:
    data = {
        "party_kind": who.kind,
        "party": str(who.id),
        "amount": amount,
        "currency": "CNY",
        "exchange_rate": "",
        "issued_on": "2025-12-01",
        "due_date": "2026-01-31",
        "reference": "K3-2025-118",
        "owner": "",
        "note": "",
        "installments-TOTAL_FORMS": str(len(rows)),
        "installments-INITIAL_FORMS": "0",
        "installments-MIN_NUM_FORMS": "0",
        "installments-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"installments-{index}-{key}": value for key, value in row.items()})
    data.update(changes)
    return data


# Every page renders; permissions --------------------------------------------------------------------


def page_urls(ledger) -> list[str]:
    r, p = ledger["r_mine"], ledger["p_vendor"]
    mine, vendor = ledger["mine"], ledger["vendor"]
    return [
        reverse("web:receivable-list"),
        reverse("web:receivable-list") + "?status=all&overdue=1&kind=customer&o=-due",
        reverse("web:payable-list"),
        reverse("web:receivable-detail", args=[r.pk]),
        reverse("web:payable-detail", args=[p.pk]),
        reverse("web:receivable-opening"),
        reverse("web:payable-opening"),
        reverse("web:receipt-list"),
        reverse("web:receipt-list")
        + "?status=posted&method=cash&from=2025-01-01&to=2030-01-01&unallocated=1",
        reverse("web:payment-list"),
        reverse("web:receipt-create"),
        reverse("web:receipt-create") + f"?kind=customer&party={mine.id}&obligation={r.pk}",
        reverse("web:payment-create") + f"?kind=supplier&party={vendor.id}",
        reverse("web:receipt-open-items") + f"?party_kind=customer&party={mine.id}&currency=CNY",
        reverse("web:finance-aging"),
        reverse("web:finance-aging") + "?direction=payable",
        reverse("web:finance-statement"),
        reverse("web:finance-statement") + f"?party_kind=customer&party={mine.id}",
        reverse("web:finance-statement") + f"?party_kind=supplier&party={vendor.id}",
        reverse("web:finance-due"),
        reverse("web:finance-due") + "?direction=payable&tab=soon",
        reverse("web:party-search") + "?kind=customer&q=协和",
    ]


def test_every_page_renders_for_finance(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    for url in page_urls(ledger):
        assert client.get(url).status_code == 200, url


def test_the_settlement_pages_render_and_link_back(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    receipt = services.record_settlement(
        direction="receivable",
        actor=company.finance_clerk,
        party=ledger["mine"],
        amount=D("300.00"),
        occurred_on=TODAY(),
        allocations=[AllocationInput(ledger["r_mine"].pk, D("200.00"))],
    )
    html = text(client.get(reverse("web:receipt-detail", args=[receipt.pk])))
    assert reverse("web:receivable-detail", args=[ledger["r_mine"].pk]) in html
    assert 'data-testid="figure-unallocated">¥100.00<' in html
    assert 'data-testid="allocate-form"' in html
    for tab in ("attachments", "history"):
        response = client.get(reverse("web:receipt-detail", args=[receipt.pk]) + f"?tab={tab}")
        assert response.status_code == 200
    detail = text(client.get(reverse("web:receivable-detail", args=[ledger["r_mine"].pk]) + "?tab=history"))
    assert reverse("web:receipt-detail", args=[receipt.pk]) in detail
    assert 'data-testid="history"' in detail


@pytest.mark.parametrize(
    "who, url_name",
    [
        ("purchaser", "web:receivable-list"),
        ("purchaser", "web:receipt-list"),
        ("purchaser", "web:receivable-opening"),
        ("rep_a1", "web:receivable-opening"),
        ("rep_a1", "web:receipt-create"),
        ("rep_a1", "web:payable-list"),
        ("rep_a1", "web:payment-list"),
        ("assistant_a", "web:payment-create"),
    ],
)
def test_a_role_without_the_permission_gets_403(company, client_for, ledger, who, url_name) -> None:
    assert client_for(getattr(company, who)).get(reverse(url_name)).status_code == 403


def test_the_reports_answer_403_for_a_side_the_user_may_not_see(company, client_for, ledger) -> None:
    rep = client_for(company.rep_a1)
    assert rep.get(reverse("web:finance-aging") + "?direction=payable").status_code == 403
    assert rep.get(reverse("web:finance-due") + "?direction=payable").status_code == 403
    assert rep.get(reverse("web:finance-aging")).status_code == 200
    buyer = client_for(company.purchaser)
    assert buyer.get(reverse("web:finance-aging")).status_code == 200  # falls back to payables
    assert buyer.get(reverse("web:finance-statement") + "?party_kind=customer").status_code == 403
    post = rep.post(reverse("web:receivable-reverse", args=[ledger["r_mine"].pk]), {"reason": "x"})
    assert post.status_code == 403


def test_a_salesperson_sees_only_their_customers_receivables(company, client_for, ledger) -> None:
    client = client_for(company.rep_a1)
    listed = numbers(client.get(reverse("web:receivable-list")))
    assert listed == [ledger["r_mine"].number]
    assert client.get(reverse("web:receivable-detail", args=[ledger["r_mine"].pk])).status_code == 200
    assert client.get(reverse("web:receivable-detail", args=[ledger["r_theirs"].pk])).status_code == 404
    assert client.get(reverse("web:receivable-detail", args=[999999])).status_code == 404
    # a payable id is not a receivable
    finance = client_for(company.finance_clerk)
    assert finance.get(reverse("web:receivable-detail", args=[ledger["p_vendor"].pk])).status_code == 404
    # nor does the party search or the statement show another salesperson's customer
    options = text(client.get(reverse("web:party-search") + "?kind=customer&q="))
    assert "北京协和医院" in options and "上海瑞金医院" not in options
    theirs = ledger["theirs"]
    statement = reverse("web:finance-statement") + f"?party_kind=customer&party={theirs.id}"
    assert client.get(statement).status_code == 404


# Lists ----------------------------------------------------------------------------------------------


def test_the_receivable_list_filters_totals_and_marks_overdue(company, client_for, ledger) -> None:
    later = opening(
        company,
        ledger["mine"],
        "250.50",
        due_date=TODAY() + dt.timedelta(days=20),
        currency="USD",
        exchange_rate=D("7.1"),
    )
    client = client_for(company.finance_clerk)
    html = text(client.get(reverse("web:receivable-list")))
    assert 'data-testid="total-outstanding">¥1,800.00<' in html
    assert 'data-testid="total-outstanding">$250.50<' in html
    assert html.count('data-testid="overdue"') == 2
    assert "OLD-001" in html and "期初" in html
    overdue = numbers(client.get(reverse("web:receivable-list") + "?overdue=1"))
    assert later.number not in overdue and len(overdue) == 2
    assert numbers(client.get(reverse("web:receivable-list") + "?q=OLD-001")) == [ledger["r_mine"].number]
    assert numbers(client.get(reverse("web:receivable-list") + "?q=瑞金")) == [ledger["r_theirs"].number]
    assert numbers(client.get(reverse("web:receivable-list") + "?status=settled")) == []
    empty = text(client.get(reverse("web:receivable-list") + "?status=settled"))
    assert 'data-testid="empty"' in empty
    by_amount = numbers(client.get(reverse("web:receivable-list") + "?o=amount"))
    assert by_amount == [later.number, ledger["r_theirs"].number, ledger["r_mine"].number]


def test_the_receipt_list_filters_unallocated_and_totals(company, client_for, ledger) -> None:
    clerk = company.finance_clerk
    full = services.record_settlement(
        direction="receivable",
        actor=clerk,
        party=ledger["mine"],
        amount=D("100.00"),
        occurred_on=TODAY(),
        allocations=[AllocationInput(ledger["r_mine"].pk, D("100.00"))],
    )
    advance = services.record_settlement(
        direction="receivable",
        actor=clerk,
        party=ledger["theirs"],
        amount=D("60.00"),
        occurred_on=TODAY(),
        method="cash",
    )
    client = client_for(clerk)
    html = text(client.get(reverse("web:receipt-list")))
    assert sorted(numbers(client.get(reverse("web:receipt-list")), "settlement-number")) == sorted(
        [full.number, advance.number]
    )
    assert "¥160.00" in html  # total amount
    only_open = numbers(client.get(reverse("web:receipt-list") + "?unallocated=1"), "settlement-number")
    assert only_open == [advance.number]
    cash = numbers(client.get(reverse("web:receipt-list") + "?method=cash"), "settlement-number")
    assert cash == [advance.number]


# 期初 -------------------------------------------------------------------------------------------------


def test_posting_an_opening_receivable_with_installments(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    rows = [
        {"due_date": "2026-01-31", "amount": "600"},
        {"due_date": "", "amount": ""},  # a blank row is skipped
        {"due_date": "2026-02-28", "amount": "400.00"},
    ]
    response = client.post(reverse("web:receivable-opening"), opening_post(ledger["mine"], "1000", rows))
    created = Receivable.objects.get(source_number="K3-2025-118")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:receivable-detail", args=[created.pk])
    assert created.is_opening and created.amount == D("1000.00") and created.owner == company.rep_a1
    assert created.due_date == dt.date(2026, 2, 28)
    plan = [(i.due_date, i.amount) for i in created.installments.order_by("sequence")]
    assert plan == [(dt.date(2026, 1, 31), D("600.00")), (dt.date(2026, 2, 28), D("400.00"))]
    detail = text(client.get(response["Location"]))
    assert detail.count('data-testid="installment-row"') == 2


def test_an_opening_payable_for_a_supplier(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    response = client.post(reverse("web:payable-opening"), opening_post(ledger["vendor"], "320.00"))
    assert response.status_code == 302
    created = Payable.objects.get(source_number="K3-2025-118")
    assert created.party_name == "山东威高集团" and created.installments.count() == 1


def test_an_installment_refusal_shows_on_its_row_and_nothing_is_saved(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    before = Receivable.objects.count()
    rows = [
        {"due_date": "", "amount": ""},
        {"due_date": "2026-01-31", "amount": "1000"},
        {"due_date": "2026-02-28", "amount": "0"},
    ]
    response = client.post(reverse("web:receivable-opening"), opening_post(ledger["mine"], "1000", rows))
    assert response.status_code == 400
    grid = response.context["installment_rows"]
    assert grid[2]["errors"] == {"amount": "分期金额必须大于零。"}
    assert grid[1]["errors"] == {}
    assert Receivable.objects.count() == before
    mismatch = client.post(
        reverse("web:receivable-opening"),
        opening_post(ledger["mine"], "1000", [{"due_date": "2026-01-31", "amount": "900"}]),
    )
    assert mismatch.status_code == 400
    assert "分期金额合计 900.00 与总金额 1000.00 不一致。" in text(mismatch)
    assert Receivable.objects.count() == before


def test_an_opening_without_a_party_or_rate_is_refused_on_the_field(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    response = client.post(reverse("web:receivable-opening"), opening_post(ledger["mine"], "100", party=""))
    assert response.status_code == 400
    assert response.context["form"].errors["party"] == ["请选择往来单位。"]
    foreign = client.post(
        reverse("web:receivable-opening"), opening_post(ledger["mine"], "100", currency="USD")
    )
    assert foreign.status_code == 400
    assert foreign.context["form"].errors["exchange_rate"] == ["外币须填写大于零的汇率。"]


def test_reversing_an_opening_receivable(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["r_theirs"]
    url = reverse("web:receivable-reverse", args=[target.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "请填写原因。" in text(refused)
    done = client.post(url, {"reason": "重复录入"})
    assert done.status_code == 302
    target.refresh_from_db()
    assert target.status == ObligationStatus.REVERSED and target.reverse_reason == "重复录入"
    assert 'data-testid="reversed-note"' in text(client.get(done["Location"]))
    # one with money allocated to it is refused, with the reason on the page
    mine = ledger["r_mine"]
    services.record_settlement(
        direction="receivable",
        actor=company.finance_clerk,
        party=ledger["mine"],
        amount=D("10.00"),
        occurred_on=TODAY(),
        allocations=[AllocationInput(mine.pk, D("10.00"))],
    )
    blocked = client.post(reverse("web:receivable-reverse", args=[mine.pk]), {"reason": "录错了"})
    assert blocked.status_code == 400
    assert f"{mine.number} 已核销 10.00，须先红冲相关的收付款单。" in text(blocked)
    mine.refresh_from_db()
    assert mine.status == ObligationStatus.OPEN


# Receipts and allocations ---------------------------------------------------------------------------


def test_a_receipt_with_allocations_lowers_the_outstanding_amount(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["r_mine"]
    response = client.post(
        reverse("web:receipt-create"), receipt_post(ledger["mine"], "1200.00", {target.pk: "700.00"})
    )
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:receipt-detail", args=[receipt.pk])
    target.refresh_from_db()
    assert target.outstanding == D("300.00")
    assert receipt.allocated == D("700.00") and receipt.outstanding == D("500.00")
    assert receipt.reference == "BANK-778"
    detail = text(client.get(response["Location"]))
    assert "已保存" in detail and 'data-testid="figure-unallocated">¥500.00<' in detail
    listed = text(client.get(reverse("web:receivable-detail", args=[target.pk])))
    assert 'data-testid="figure-outstanding">¥300.00<' in listed
    assert ledger_mismatches() == []


def test_the_receivable_detail_opens_a_prefilled_receipt(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["r_mine"]
    detail = text(client.get(reverse("web:receivable-detail", args=[target.pk])))
    link = (
        reverse("web:receipt-create")
        + f"?kind=customer&amp;party={ledger['mine'].id}&amp;obligation={target.pk}"
    )
    assert link in detail
    response = client.get(link.replace("&amp;", "&"))
    form = response.context["form"]
    assert form.initial["party"] == ledger["mine"].id and form.initial["amount"] == D("1000.00")
    html = text(response)
    assert 'data-testid="party-chosen" class="">北京协和医院<' in html
    assert f'name="alloc-{target.pk}" value="1000.00"' in html
    # the open-items partial lists the party's open receivables only
    items = text(
        client.get(
            reverse("web:receipt-open-items") + f"?party_kind=customer&party={ledger['mine'].id}&currency=CNY"
        )
    )
    assert target.number in items and ledger["r_theirs"].number not in items


def test_an_over_allocation_is_refused_on_the_page_and_nothing_is_saved(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["r_mine"]
    response = client.post(
        reverse("web:receipt-create"), receipt_post(ledger["mine"], "2000.00", {target.pk: "1500.00"})
    )
    assert response.status_code == 400
    message = f"{target.number} 未结金额 1000.00，本次核销 1500.00，超出 500.00。"
    html = text(response)
    top = html.split('data-testid="form-errors"', 1)[1].split("</div>", 1)[0]
    assert message in top
    row = html.split(f'name="alloc-{target.pk}"', 1)[1].split("</td>", 1)[0]
    assert "is-invalid" in row and message in row
    assert Receipt.objects.count() == 0 and Allocation.objects.count() == 0
    target.refresh_from_db()
    assert target.allocated == D("0")
    # the posted amounts stay in the form
    assert 'value="1500.00"' in row
    # more than the receipt itself
    total = client.post(
        reverse("web:receipt-create"), receipt_post(ledger["mine"], "100.00", {target.pk: "150"})
    )
    assert total.status_code == 400
    assert "核销合计 150.00 超过本单未分配金额 100.00。" in text(total)
    assert Receipt.objects.count() == 0


def test_a_bad_allocation_amount_is_shown_on_its_row(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["r_mine"]
    response = client.post(
        reverse("web:receipt-create"), receipt_post(ledger["mine"], "100", {target.pk: "abc"})
    )
    assert response.status_code == 400
    row = text(response).split(f'name="alloc-{target.pk}"', 1)[1].split("</td>", 1)[0]
    assert "请输入数字。" in row
    negative = client.post(
        reverse("web:receipt-create"), receipt_post(ledger["mine"], "100", {target.pk: "-5"})
    )
    assert negative.status_code == 400
    assert "核销金额必须大于零。" in text(negative)
    assert Receipt.objects.count() == 0


def test_allocating_the_remainder_of_a_receipt(company, client_for, ledger) -> None:
    clerk = company.finance_clerk
    receipt = services.record_settlement(
        direction="receivable", actor=clerk, party=ledger["mine"], amount=D("400.00"), occurred_on=TODAY()
    )
    client = client_for(clerk)
    url = reverse("web:receipt-allocate", args=[receipt.pk])
    target = ledger["r_mine"]
    refused = client.post(url, {f"alloc-{target.pk}": "500"})
    assert refused.status_code == 400
    assert "核销合计 500.00 超过本单未分配金额 400.00。" in text(refused)
    assert Allocation.objects.count() == 0
    done = client.post(url, {f"alloc-{target.pk}": "250.00"})
    assert done.status_code == 302
    receipt.refresh_from_db()
    target.refresh_from_db()
    assert receipt.allocated == D("250.00") and target.outstanding == D("750.00")
    nothing = client.post(url, {})
    assert nothing.status_code == 400 and "请至少核销一笔。" in text(nothing)


def test_reversing_a_receipt_gives_the_money_back(company, client_for, ledger) -> None:
    clerk = company.finance_clerk
    target = ledger["r_mine"]
    receipt = services.record_settlement(
        direction="receivable",
        actor=clerk,
        party=ledger["mine"],
        amount=D("1000.00"),
        occurred_on=TODAY(),
        allocations=[AllocationInput(target.pk, D("1000.00"))],
    )
    target.refresh_from_db()
    assert target.status == ObligationStatus.SETTLED
    client = client_for(clerk)
    url = reverse("web:receipt-reverse", args=[receipt.pk])
    assert client.post(url, {"reason": " "}).status_code == 400
    response = client.post(url, {"reason": "客户退票"})
    assert response.status_code == 302
    receipt.refresh_from_db()
    target.refresh_from_db()
    assert receipt.status == SettlementStatus.REVERSED and target.outstanding == D("1000.00")
    assert target.status == ObligationStatus.OPEN
    html = text(client.get(response["Location"]))
    assert 'data-testid="reversed-note"' in html and "客户退票" in html
    assert "text-decoration-line-through" in html.split('data-testid="allocations"', 1)[1]
    assert 'data-testid="reverse-form"' not in html
    assert ledger_mismatches() == []


def test_a_payment_to_a_supplier_uses_the_same_pages(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    target = ledger["p_vendor"]
    response = client.post(
        reverse("web:payment-create"),
        receipt_post(ledger["vendor"], "500", {target.pk: "500"}, method="acceptance_bill"),
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert response["Location"] == reverse("web:payment-detail", args=[payment.pk])
    target.refresh_from_db()
    assert target.status == ObligationStatus.SETTLED
    assert numbers(client.get(reverse("web:payable-list") + "?status=settled")) == [target.number]


# Aging, statement, due --------------------------------------------------------------------------------


def test_aging_shows_hand_computed_buckets(company, client_for, ledger) -> None:
    party = customer_party(company, "广州中山医院", company.rep_a1)
    on = dt.date(2025, 6, 30)
    issued = dt.date(2025, 1, 1)
    opening(company, party, "100.00", issued_on=issued, due_date=dt.date(2025, 7, 10))  # not due
    opening(company, party, "200.00", issued_on=issued, due_date=dt.date(2025, 6, 20))  # 10 days
    opening(company, party, "300.00", issued_on=issued, due_date=dt.date(2025, 5, 16))  # 45 days
    opening(
        company,
        party,
        "50.00",
        issued_on=issued,
        due_date=dt.date(2025, 3, 22),
        currency="USD",
        exchange_rate=D("7.2"),
    )  # 100 days, ¥360
    split = opening(
        company,
        party,
        "1000.00",
        issued_on=issued,
        installments=[
            services.InstallmentInput(dt.date(2025, 4, 1), D("400.00")),  # 90 days
            services.InstallmentInput(dt.date(2025, 7, 1), D("600.00")),  # not due
        ],
    )
    services.record_settlement(
        direction="receivable",
        actor=company.finance_clerk,
        party=party,
        amount=D("150.00"),
        occurred_on=TODAY(),
        allocations=[AllocationInput(split.pk, D("150.00"))],  # takes the April installment first
    )
    client = client_for(company.finance_clerk)
    html = text(client.get(reverse("web:finance-aging") + f"?on={on.isoformat()}&owner={company.rep_a1.pk}"))
    row = next(r for r in html.split('data-testid="aging-row"')[1:] if "广州中山医院" in r).split("</tr>")[0]
    cells = dict(re.findall(r'data-bucket="(\w+)">(?:<span[^>]*>)?([^<]+)<', row))
    assert cells == {
        "not_due": "¥700.00",
        "d1_30": "¥200.00",
        "d31_60": "¥300.00",
        "d61_90": "¥250.00",
        "over_90": "¥360.00",
        "total": "¥1,810.00",
        "overdue": "¥1,110.00",
    }
    statement_link = reverse("web:finance-statement") + f"?party_kind=customer&amp;party={party.id}"
    assert statement_link in row
    # rep_b1's customer is not in rep_a1's owner filter
    assert "上海瑞金医院" not in html.split('data-testid="aging-table"', 1)[1]


def test_the_statement_shows_opening_lines_and_closing_balance(company, client_for, ledger) -> None:
    party = customer_party(company, "天津肿瘤医院", company.rep_a1)
    clerk = company.finance_clerk
    first = opening(company, party, "1000.00", issued_on=dt.date(2025, 5, 10), due_date=dt.date(2025, 6, 10))
    receipt = services.record_settlement(
        direction="receivable",
        actor=clerk,
        party=party,
        amount=D("300.00"),
        occurred_on=dt.date(2025, 6, 5),
        reference="HD-55",
        allocations=[AllocationInput(first.pk, D("300.00"))],
    )
    second = opening(company, party, "500.00", issued_on=dt.date(2025, 6, 20), due_date=dt.date(2025, 7, 20))
    opening(
        company, party, "99.00", issued_on=dt.date(2025, 7, 2), due_date=dt.date(2025, 8, 2)
    )  # after the period
    client = client_for(clerk)
    url = (
        reverse("web:finance-statement")
        + f"?party_kind=customer&party={party.id}&from=2025-06-01&to=2025-06-30"
    )
    html = text(client.get(url))
    assert 'data-testid="opening-balance">¥1,000.00<' in html
    assert 'data-testid="closing-balance">¥1,200.00<' in html
    lines = html.split('data-testid="statement-line"')[1:]
    assert len(lines) == 2
    assert receipt.number in lines[0] and "HD-55" in lines[0] and "¥700.00" in lines[0]
    assert reverse("web:receipt-detail", args=[receipt.pk]) in lines[0]
    assert second.number in lines[1] and "¥1,200.00" in lines[1]
    assert reverse("web:receivable-detail", args=[second.pk]) in lines[1]
    assert "@media print" in html and 'data-testid="print"' in html
    # the salesperson who owns the customer sees the same figures
    assert 'data-testid="closing-balance">¥1,200.00<' in text(client_for(company.rep_a1).get(url))


def test_the_due_page_lists_overdue_and_soon_due_installments(company, client_for, ledger) -> None:
    soon = opening(company, ledger["mine"], "88.00", due_date=TODAY() + dt.timedelta(days=3))
    later = opening(company, ledger["mine"], "77.00", due_date=TODAY() + dt.timedelta(days=30))
    client = client_for(company.finance_clerk)
    overdue = text(client.get(reverse("web:finance-due")))
    assert sorted(numbers_in(overdue)) == sorted([ledger["r_mine"].number, ledger["r_theirs"].number])
    assert 'data-testid="due-days"><span class="text-danger">10 天' in overdue
    coming = text(client.get(reverse("web:finance-due") + "?tab=soon"))
    assert numbers_in(coming) == [soon.number]
    assert later.number not in coming
    payables = text(client.get(reverse("web:finance-due") + "?direction=payable"))
    assert numbers_in(payables) == [ledger["p_vendor"].number]
    assert Installment.objects.filter(obligation=soon).count() == 1


def numbers_in(html: str) -> list[str]:
    return re.findall(r'data-testid="due-number">([^<]+)<', html)


# English ---------------------------------------------------------------------------------------------


def test_the_receivable_list_in_english(company, client_for, ledger) -> None:
    client = client_for(company.finance_clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = text(client.get(reverse("web:receivable-list")))
    assert '<html lang="en">' in html
    assert "<title>Receivables" in html
    for word in ("Filter", "Outstanding", "Due date", "Record opening balance", "Opening"):
        assert word in html, word
    assert "未结金额" not in html and "录入期初" not in html


@pytest.mark.parametrize("typed", ["6,000.00", "6，000.00", " 6000.00 ", "6000"])
def test_amount_fields_accept_thousands_separators(typed: str) -> None:
    from decimal import Decimal

    from maoyi.web.finance.forms import MoneyInput

    assert MoneyInput(max_digits=18, decimal_places=2).clean(typed) == Decimal("6000.00")
