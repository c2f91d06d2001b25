"""receivables, payables, receipts and payments: shapes, filters, data scope, opening balances,
allocation and reversal, each refusal with its code (and nothing changed), Idempotency-Key, and
messages in the request's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.translation import gettext, override
from rest_framework.test import APIClient

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import DocRef
from maoyi.core.models import DocumentSequence
from maoyi.crm import services as crm_services
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel
from maoyi.finance import selectors, services
from maoyi.finance.models import (
    Allocation,
    Direction,
    Installment,
    Obligation,
    Payable,
    Payment,
    Receipt,
    Receivable,
    Settlement,
)
from maoyi.finance.parties import Party, get_party
from maoyi.org.models import Employee
from maoyi.purchasing.models import Supplier
from maoyi.purchasing.services.suppliers import create_supplier
from tests.api.conftest import ClientFor, token_client
from tests.conftest import Company

RECEIVABLES = "/api/v1/receivables/"
PAYABLES = "/api/v1/payables/"
RECEIPTS = "/api/v1/receipts/"
PAYMENTS = "/api/v1/payments/"
TODAY = timezone.localdate()
NOT_FOUND = {"detail": "记录不存在。", "code": "not_found"}
ROLE_REFUSED = {"detail": "您的角色不能执行此操作。", "code": "permission_denied"}


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@dataclass
class Ledger:
    company: Company
    cust_a: Customer  # rep_a1's
    cust_b: Customer  # rep_b1's
    supplier: Supplier  # the purchaser deals with it
    ys_a: Receivable  # opening, 400.00 overdue + 600.00 due in 30 days
    ys_doc: Receivable  # opened by a sales order, 500.00 due in 10 days
    ys_b: Receivable  # opening, 800.00, cust_b
    yf: Payable  # opening, 2000.00 to the supplier, overdue

    @property
    def fin(self) -> APIClient:
        return token_client(self.company.finance_clerk)

    def party(self, kind: str, pk: int) -> Party:
        found = get_party(self.company.finance_clerk.user, kind, pk)
        assert found is not None
        return found


def _opening(company: Company, direction: str, party: Party, amount: str, **kw: Any) -> Any:
    return services.create_opening_balance(
        direction=direction, actor=company.finance_clerk, party=party, amount=D(amount), **kw
    )


@pytest.fixture
def ledger(company: Company) -> Ledger:
    cust_a = crm_services.create_customer(
        actor=None,
        name="北京协和医院",
        kind=CustomerKind.END_CUSTOMER,
        level=CustomerLevel.A,
        owner=company.rep_a1,
    )
    cust_b = crm_services.create_customer(
        actor=None,
        name="上海瑞金医院",
        kind=CustomerKind.END_CUSTOMER,
        level=CustomerLevel.B,
        owner=company.rep_b1,
    )
    supplier = create_supplier(actor=None, name="上海康德莱企业发展集团股份有限公司", buyer=company.purchaser)
    led = Ledger(company, cust_a, cust_b, supplier, *([None] * 4))  # type: ignore[arg-type]
    a, b = led.party("customer", cust_a.pk), led.party("customer", cust_b.pk)
    led.ys_a = _opening(
        company,
        Direction.RECEIVABLE,
        a,
        "1000.00",
        issued_on=days(-60),
        installments=[
            services.InstallmentInput(days(30), D("600.00")),
            services.InstallmentInput(days(-30), D("400.00")),
        ],
        reference="OLD-001",
    )
    led.ys_doc = services.open_obligation(
        direction=Direction.RECEIVABLE,
        actor=company.finance_clerk,
        party=a,
        amount=D("500.00"),
        issued_on=days(-5),
        due_date=days(10),
        source=DocRef("sales_order", 1, "XS0001"),
    )
    led.ys_b = _opening(company, Direction.RECEIVABLE, b, "800.00", issued_on=days(-20), due_date=days(30))
    led.yf = _opening(
        company,
        Direction.PAYABLE,
        led.party("supplier", supplier.pk),
        "2000.00",
        issued_on=days(-40),
        due_date=days(-5),
    )
    return led


_WATCHED: tuple[Any, ...] = (Obligation, Installment, Settlement, Allocation, AuditEntry, DocumentSequence)


def ledger_state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in _WATCHED}


@contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(): …` asserts the block leaves the money ledger (and the audit trail and the
    number counters) as it was."""
    before = ledger_state()
    yield
    assert ledger_state() == before


def rows(response: Any, *fields: str) -> list[Any]:
    assert response.status_code == 200, response.content
    found = response.json()["results"]
    return [r[fields[0]] if len(fields) == 1 else tuple(r[f] for f in fields) for r in found]


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def grant(employee: Employee, *codenames: str) -> Employee:
    employee.user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="finance", codename__in=codenames)
    )
    return Employee.objects.get(pk=employee.pk)  # a fresh user: permissions are cached per instance


def receipt_body(ledger: Ledger, amount: str = "700.00", **extra: Any) -> dict[str, Any]:
    return {"customer": ledger.cust_a.pk, "amount": amount, "received_on": TODAY.isoformat(), **extra}


def post_receipt(ledger: Ledger, **body: Any) -> dict[str, Any]:
    response = ledger.fin.post(RECEIPTS, receipt_body(ledger, **body), format="json")
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    return data


# receivables and payables: reading -----------------------------------------------------------------


def test_a_receivable_shows_its_party_figures_and_installments(ledger: Ledger) -> None:
    response = ledger.fin.get(f"{RECEIVABLES}{ledger.ys_a.pk}/")
    body = response.json()
    first, second = Installment.objects.filter(obligation=ledger.ys_a).order_by("sequence")

    assert response.status_code == 200
    assert body == {
        "id": ledger.ys_a.pk,
        "number": ledger.ys_a.number,
        "source_type": "opening",
        "source_number": "OLD-001",
        "is_opening": True,
        "customer": ledger.cust_a.pk,
        "supplier": None,
        "party_kind": "customer",
        "party_id": ledger.cust_a.pk,
        "party_name": "北京协和医院",
        "currency": "CNY",
        "exchange_rate": "1.000000",
        "amount": "1000.00",
        "allocated": "0.00",
        "outstanding": "1000.00",
        "issued_on": days(-60).isoformat(),
        "due_date": days(30).isoformat(),
        "status": "open",
        "owner": ledger.company.rep_a1.pk,
        "owner_name": "张伟",
        "note": "",
        "created_at": body["created_at"],
        "reversed_at": None,
        "reverse_reason": "",
        "installments": [  # earliest due first
            {
                "id": first.pk,
                "sequence": 1,
                "due_date": days(-30).isoformat(),
                "amount": "400.00",
                "allocated": "0.00",
                "outstanding": "400.00",
            },
            {
                "id": second.pk,
                "sequence": 2,
                "due_date": days(30).isoformat(),
                "amount": "600.00",
                "allocated": "0.00",
                "outstanding": "600.00",
            },
        ],
    }
    assert body["number"].startswith("YS")


def test_receivables_list_newest_first_paginated(ledger: Ledger) -> None:
    body = ledger.fin.get(RECEIVABLES, {"page_size": 2}).json()

    assert (body["count"], body["previous"]) == (3, None)
    assert body["next"].endswith("page=2&page_size=2")
    assert [r["id"] for r in body["results"]] == [ledger.ys_doc.pk, ledger.ys_b.pk]
    assert ledger.fin.get(RECEIVABLES).json()["results"][0]["source_number"] == "XS0001"


def test_receivables_filter_by_party_status_overdue_opening_search_and_order(ledger: Ledger) -> None:
    led, fin = ledger, ledger.fin

    def ids(**params: Any) -> list[int]:
        return rows(fin.get(RECEIVABLES, params), "id")

    assert ids(customer=led.cust_a.pk) == [led.ys_doc.pk, led.ys_a.pk]
    assert ids(party_kind="customer", party_id=led.cust_b.pk) == [led.ys_b.pk]
    assert ids(party_kind="supplier") == []
    assert ids(supplier=led.supplier.pk) == []
    assert ids(customer=led.cust_a.pk, supplier=led.supplier.pk) == []  # contradictory: nothing
    assert ids(customer=led.cust_a.pk, party_kind="supplier") == []
    assert ids(overdue="true") == [led.ys_a.pk]
    assert ids(overdue="false") == [led.ys_doc.pk, led.ys_b.pk]
    assert ids(is_opening="true") == [led.ys_b.pk, led.ys_a.pk]
    assert ids(is_opening="false") == [led.ys_doc.pk]
    assert ids(status="settled") == []
    assert len(ids(status="open")) == 3
    assert ids(search="xs0001") == [led.ys_doc.pk]
    assert ids(search="瑞金") == [led.ys_b.pk]
    assert ids(search=led.ys_a.number) == [led.ys_a.pk]
    assert ids(ordering="amount") == [led.ys_doc.pk, led.ys_b.pk, led.ys_a.pk]
    assert ids(ordering="-due") == [led.ys_b.pk, led.ys_a.pk, led.ys_doc.pk]
    assert ids(customer="") == ids()  # a blank filter is no filter
    for bad in ({"overdue": "maybe"}, {"status": "paid"}, {"customer": "abc"}, {"ordering": "owner"}):
        response = fin.get(RECEIVABLES, bad)
        assert response.status_code == 400 and list(response.json()) == list(bad), bad


def test_payables_show_the_supplier_and_filter_by_it(ledger: Ledger) -> None:
    response = ledger.fin.get(PAYABLES, {"supplier": ledger.supplier.pk, "overdue": "true"})

    assert rows(response, "id", "customer", "supplier", "party_name", "amount", "outstanding", "owner") == [
        (
            ledger.yf.pk,
            None,
            ledger.supplier.pk,
            "上海康德莱企业发展集团股份有限公司",
            "2000.00",
            "2000.00",
            ledger.company.purchaser.pk,
        )
    ]
    assert ledger.yf.number.startswith("YF")
    assert ledger.fin.get(f"{PAYABLES}{ledger.ys_a.pk}/").status_code == 404  # a receivable is no payable
    assert ledger.fin.get(f"{RECEIVABLES}{ledger.yf.pk}/").status_code == 404


# receivables and payables: scope and permissions ----------------------------------------------------


def test_a_salesperson_sees_only_their_own_customers_receivables(
    ledger: Ledger, api_client_for: ClientFor
) -> None:
    rep = api_client_for(ledger.company.rep_a1)

    assert rows(rep.get(RECEIVABLES), "id") == [ledger.ys_doc.pk, ledger.ys_a.pk]
    assert rep.get(f"{RECEIVABLES}{ledger.ys_a.pk}/").status_code == 200
    other = rep.get(f"{RECEIVABLES}{ledger.ys_b.pk}/")
    assert (other.status_code, other.json()) == (404, NOT_FOUND)
    missing = rep.get(f"{RECEIVABLES}999999/")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    assert rows(api_client_for(ledger.company.rep_b1).get(RECEIVABLES), "id") == [ledger.ys_b.pk]
    assert rows(api_client_for(ledger.company.rep_a2).get(RECEIVABLES), "id") == []
    assert len(rows(api_client_for(ledger.company.manager_a).get(RECEIVABLES), "id")) == 2  # team A


def test_roles_without_the_permission_are_refused(ledger: Ledger, api_client_for: ClientFor) -> None:
    rep = api_client_for(ledger.company.rep_a1)
    purchaser = api_client_for(ledger.company.purchaser)

    for client, url in ((rep, PAYABLES), (rep, PAYMENTS), (purchaser, RECEIVABLES), (purchaser, RECEIPTS)):
        response = client.get(url)
        assert (response.status_code, response.json()) == (403, ROLE_REFUSED), url
    assert rows(purchaser.get(PAYABLES), "id") == [ledger.yf.pk]
    with unchanged():
        body = {"customer": ledger.cust_a.pk, "amount": "10.00", "issued_on": TODAY.isoformat()}
        assert (
            rep.post(RECEIVABLES, {**body, "due_date": TODAY.isoformat()}, format="json").status_code == 403
        )
        assert rep.post(RECEIPTS, receipt_body(ledger), format="json").status_code == 403
        reverse = rep.post(f"{RECEIVABLES}{ledger.ys_a.pk}/reverse/", {"reason": "错"}, format="json")
        assert (reverse.status_code, reverse.json()) == (403, ROLE_REFUSED)
    assert APIClient().get(RECEIVABLES).status_code == 401


def test_nothing_is_updated_or_deleted(ledger: Ledger) -> None:
    receipt = post_receipt(ledger)
    with unchanged():
        for url in (
            f"{RECEIVABLES}{ledger.ys_a.pk}/",
            f"{PAYABLES}{ledger.yf.pk}/",
            f"{RECEIPTS}{receipt['id']}/",
        ):
            assert ledger.fin.put(url, {"amount": "1.00"}, format="json").status_code == 405
            assert ledger.fin.patch(url, {"amount": "1.00"}, format="json").status_code == 405
            assert ledger.fin.delete(url).status_code == 405


# opening balances ----------------------------------------------------------------------------------


def test_finance_enters_an_opening_receivable_with_installments(ledger: Ledger) -> None:
    response = ledger.fin.post(
        RECEIVABLES,
        {
            "customer": ledger.cust_b.pk,
            "amount": "300.00",
            "issued_on": days(-100).isoformat(),
            "installments": [
                {"due_date": days(20).isoformat(), "amount": "100.00"},
                {"due_date": days(-10).isoformat(), "amount": "200.00"},
            ],
            "reference": "K3-2024-017",
            "note": "旧系统迁移",
        },
        format="json",
    )
    body = response.json()

    assert response.status_code == 201, body
    created = Receivable.objects.get(pk=body["id"])
    assert body["number"] == created.number and created.number.startswith("YS")
    assert (body["is_opening"], body["source_type"], body["source_number"]) == (
        True,
        "opening",
        "K3-2024-017",
    )
    assert (body["customer"], body["party_name"], body["owner"]) == (
        ledger.cust_b.pk,
        "上海瑞金医院",
        ledger.company.rep_b1.pk,
    )
    assert (body["amount"], body["outstanding"], body["due_date"], body["note"]) == (
        "300.00",
        "300.00",
        days(20).isoformat(),
        "旧系统迁移",
    )
    assert [(i["sequence"], i["due_date"], i["amount"]) for i in body["installments"]] == [
        (1, days(-10).isoformat(), "200.00"),
        (2, days(20).isoformat(), "100.00"),
    ]
    assert selectors.ledger_mismatches() == []


def test_an_opening_payable_may_be_in_a_foreign_currency_or_owed_to_a_customer(ledger: Ledger) -> None:
    usd = ledger.fin.post(
        PAYABLES,
        {
            "supplier": ledger.supplier.pk,
            "amount": "1500.00",
            "currency": "USD",
            "exchange_rate": "7.1234",
            "issued_on": TODAY.isoformat(),
            "due_date": days(60).isoformat(),
        },
        format="json",
    )
    refund = ledger.fin.post(
        PAYABLES,
        {
            "party_kind": "customer",
            "party_id": ledger.cust_a.pk,
            "amount": "50.00",
            "issued_on": TODAY.isoformat(),
            "due_date": TODAY.isoformat(),
        },
        format="json",
    )

    assert usd.status_code == 201, usd.content
    assert (usd.json()["currency"], usd.json()["exchange_rate"], usd.json()["supplier"]) == (
        "USD",
        "7.123400",
        ledger.supplier.pk,
    )
    assert refund.status_code == 201, refund.content
    assert {k: refund.json()[k] for k in ("customer", "supplier", "party_kind", "party_id")} == {
        "customer": ledger.cust_a.pk,
        "supplier": None,
        "party_kind": "customer",
        "party_id": ledger.cust_a.pk,
    }
    assert Payable.objects.get(pk=refund.json()["id"]).is_opening


def test_opening_balance_refusals(ledger: Ledger) -> None:
    fin = ledger.fin
    base = {"customer": ledger.cust_a.pk, "amount": "1000.00", "issued_on": TODAY.isoformat()}
    with unchanged():
        mismatch = fin.post(
            RECEIVABLES,
            {**base, "installments": [{"due_date": days(5).isoformat(), "amount": "900.00"}]},
            format="json",
        )
        assert refused(mismatch, 409, "installments_mismatch") == {
            "detail": "分期金额合计 900.00 与总金额 1000.00 不一致。",
            "code": "installments_mismatch",
            "field": "installments",
        }
        for body, field, message in (
            ({**base, "customer": 999999}, "customer", "客户不存在或不在您的数据范围内。"),
            (
                {**base, "customer": None, "supplier": 999999},
                "supplier",
                "供应商不存在或不在您的数据范围内。",
            ),
            ({**base, "customer": None}, "customer", "请选择客户或供应商。"),
            ({**base, "supplier": ledger.supplier.pk}, "supplier", "只能填写一个往来单位。"),
            ({**base, "customer": None, "party_id": ledger.cust_a.pk}, "party_kind", "请选择往来单位类型。"),
            ({**base}, "due_date", "请填写到期日。"),
            ({**base, "due_date": TODAY.isoformat(), "amount": "0"}, "amount", "金额必须大于零。"),
            (
                {**base, "due_date": TODAY.isoformat(), "currency": "USD"},
                "exchange_rate",
                "外币须填写大于零的汇率。",
            ),
        ):
            response = fin.post(RECEIVABLES, body, format="json")
            assert (response.status_code, response.json()) == (400, {field: [message]}), body
        payable = fin.post(PAYABLES, {**base, "customer": None, "due_date": TODAY.isoformat()}, format="json")
        assert payable.json() == {"supplier": ["请选择客户或供应商。"]}
        assert fin.post(RECEIVABLES, {**base, "amount": "1.234"}, format="json").status_code == 400


def test_an_opening_balance_is_reversed_with_a_reason(ledger: Ledger) -> None:
    url = f"{RECEIVABLES}{ledger.ys_b.pk}/reverse/"
    with unchanged():
        missing = ledger.fin.post(url, {"reason": "  "}, format="json")
        assert (missing.status_code, missing.json()) == (400, {"reason": ["请填写原因。"]})

    response = ledger.fin.post(url, {"reason": "重复录入"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reverse_reason"], body["outstanding"]) == (
        "reversed",
        "重复录入",
        "0.00",
    )  # a reversed record owes nothing
    assert body["reversed_at"] and len(body["installments"]) == 1
    assert rows(ledger.fin.get(RECEIVABLES, {"status": "reversed"}), "id") == [ledger.ys_b.pk]
    with unchanged():
        again = ledger.fin.post(url, {"reason": "再来"}, format="json")
        assert refused(again, 409, "invalid_state")["detail"] == f"{ledger.ys_b.number} 已红冲。"


def test_only_opening_balances_without_allocations_are_reversed_here(ledger: Ledger) -> None:
    post_receipt(ledger, amount="100.00", allocations=[{"receivable": ledger.ys_a.pk, "amount": "100.00"}])
    with unchanged():
        document = ledger.fin.post(
            f"{RECEIVABLES}{ledger.ys_doc.pk}/reverse/", {"reason": "错"}, format="json"
        )
        assert refused(document, 409, "invalid_state")["detail"] == (
            f"{ledger.ys_doc.number} 由单据 XS0001 生成，请在来源单据上反审核或退货。"
        )
        allocated = ledger.fin.post(
            f"{RECEIVABLES}{ledger.ys_a.pk}/reverse/", {"reason": "错"}, format="json"
        )
        assert refused(allocated, 409, "has_downstream")["detail"] == (
            f"{ledger.ys_a.number} 已核销 100.00，须先红冲相关的收付款单。"
        )
        out_of_scope = token_client(grant(ledger.company.rep_a1, "change_receivable")).post(
            f"{RECEIVABLES}{ledger.ys_b.pk}/reverse/", {"reason": "错"}, format="json"
        )
        assert (out_of_scope.status_code, out_of_scope.json()) == (404, NOT_FOUND)


# receipts and payments -----------------------------------------------------------------------------


def test_a_receipt_is_recorded_and_allocated_earliest_installment_first(ledger: Ledger) -> None:
    response = ledger.fin.post(
        RECEIPTS,
        receipt_body(
            ledger,
            method="acceptance_bill",
            reference="HP-20260301",
            note="3月回款",
            allocations=[{"receivable": ledger.ys_a.pk, "amount": "500.00"}],
        ),
        format="json",
    )
    body = response.json()
    first, second = Installment.objects.filter(obligation=ledger.ys_a).order_by("sequence")
    receipt = Receipt.objects.get(pk=body["id"])
    live = list(Allocation.objects.filter(settlement=receipt).order_by("id"))

    assert response.status_code == 201, body
    assert body == {
        "id": receipt.pk,
        "number": receipt.number,
        "customer": ledger.cust_a.pk,
        "supplier": None,
        "party_kind": "customer",
        "party_id": ledger.cust_a.pk,
        "party_name": "北京协和医院",
        "currency": "CNY",
        "exchange_rate": "1.000000",
        "amount": "700.00",
        "allocated": "500.00",
        "unallocated": "200.00",
        "method": "acceptance_bill",
        "reference": "HP-20260301",
        "note": "3月回款",
        "status": "posted",
        "owner": ledger.company.rep_a1.pk,
        "owner_name": "张伟",
        "created_at": body["created_at"],
        "reversed_at": None,
        "reverse_reason": "",
        "received_on": TODAY.isoformat(),
        "allocations": [
            {
                "id": live[0].pk,
                "receivable": ledger.ys_a.pk,
                "receivable_number": ledger.ys_a.number,
                "installment": first.pk,
                "installment_sequence": 1,
                "amount": "400.00",
                "created_at": body["allocations"][0]["created_at"],
                "reversed_at": None,
            },
            {
                "id": live[1].pk,
                "receivable": ledger.ys_a.pk,
                "receivable_number": ledger.ys_a.number,
                "installment": second.pk,
                "installment_sequence": 2,
                "amount": "100.00",
                "created_at": body["allocations"][1]["created_at"],
                "reversed_at": None,
            },
        ],
    }
    assert receipt.number.startswith("SK")
    after = ledger.fin.get(f"{RECEIVABLES}{ledger.ys_a.pk}/").json()
    assert (after["allocated"], after["outstanding"], after["status"]) == ("500.00", "500.00", "open")
    assert [i["outstanding"] for i in after["installments"]] == ["0.00", "500.00"]
    assert rows(ledger.fin.get(RECEIVABLES, {"overdue": "true"}), "id") == []  # the late installment is paid
    assert selectors.ledger_mismatches() == []


def test_an_advance_is_allocated_later_to_one_installment_and_settles(ledger: Ledger) -> None:
    receipt = post_receipt(ledger, amount="1500.00")
    second = Installment.objects.get(obligation=ledger.ys_a, sequence=2)
    url = f"{RECEIPTS}{receipt['id']}/allocate/"

    response = ledger.fin.post(
        url,
        {
            "allocations": [
                {"receivable": ledger.ys_a.pk, "amount": "600.00", "installment": second.pk},
                {"receivable": ledger.ys_doc.pk, "amount": "500.00"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["allocated"], body["unallocated"]) == ("1100.00", "400.00")
    assert [(a["receivable"], a["installment_sequence"], a["amount"]) for a in body["allocations"]] == [
        (ledger.ys_a.pk, 2, "600.00"),
        (ledger.ys_doc.pk, 1, "500.00"),
    ]
    assert ledger.fin.get(f"{RECEIVABLES}{ledger.ys_doc.pk}/").json()["status"] == "settled"
    assert rows(ledger.fin.get(RECEIVABLES, {"status": "settled"}), "id") == [ledger.ys_doc.pk]
    assert rows(ledger.fin.get(RECEIPTS, {"unallocated": "true"}), "id") == [receipt["id"]]
    assert selectors.ledger_mismatches() == []


def test_allocation_refusals_change_nothing(ledger: Ledger) -> None:
    receipt = post_receipt(
        ledger, amount="1000.00", allocations=[{"receivable": ledger.ys_a.pk, "amount": "300.00"}]
    )
    url = f"{RECEIPTS}{receipt['id']}/allocate/"
    first = Installment.objects.get(obligation=ledger.ys_a, sequence=1)
    usd = _opening(
        ledger.company,
        Direction.RECEIVABLE,
        ledger.party("customer", ledger.cust_a.pk),
        "100.00",
        issued_on=TODAY,
        due_date=days(30),
        currency="USD",
        exchange_rate=D("7.1"),
    )

    def allocate(*allocations: dict[str, Any]) -> Any:
        return ledger.fin.post(url, {"allocations": list(allocations)}, format="json")

    with unchanged():
        over_free = allocate({"receivable": ledger.ys_doc.pk, "amount": "800.00"})
        assert (
            refused(over_free, 409, "over_allocation")["detail"]
            == "核销合计 800.00 超过本单未分配金额 700.00。"
        )
        over_owed = allocate({"receivable": ledger.ys_doc.pk, "amount": "600.00"})
        assert refused(over_owed, 409, "over_allocation")["detail"] == (
            f"{ledger.ys_doc.number} 未结金额 500.00，本次核销 600.00，超出 100.00。"
        )
        over_installment = allocate(
            {"receivable": ledger.ys_a.pk, "amount": "200.00", "installment": first.pk}
        )
        assert refused(over_installment, 409, "over_allocation")["detail"] == (
            f"{ledger.ys_a.number} 第 1 期未结金额 100.00，本次核销 200.00。"
        )
        currency = allocate({"receivable": usd.pk, "amount": "10.00"})
        assert refused(currency, 409, "currency_mismatch")["detail"] == (
            f"{usd.number} 的币种是 USD，本单是 CNY，不能核销。"
        )
        other_party = allocate({"receivable": ledger.ys_b.pk, "amount": "10.00"})
        assert other_party.status_code == 400
        assert other_party.json() == {
            "allocations.0.receivable": [f"{ledger.ys_b.number} 不是 北京协和医院 的单据。"]
        }
        missing = allocate({"receivable": 999999, "amount": "10.00"})
        assert missing.status_code == 400
        assert missing.json() == {"allocations": {"0": {"receivable": ["单据不存在或不在您的数据范围内。"]}}}
        payable = allocate({"receivable": ledger.yf.pk, "amount": "10.00"})  # a payable is no receivable
        assert payable.json() == {"allocations": {"0": {"receivable": ["单据不存在或不在您的数据范围内。"]}}}
        empty = allocate()
        assert (empty.status_code, empty.json()) == (400, {"allocations": ["请至少核销一笔。"]})
        zero = allocate({"receivable": ledger.ys_doc.pk, "amount": "0.00"})
        assert zero.json() == {"allocations.0.amount": ["核销金额必须大于零。"]}


def test_allocating_to_a_reversed_receivable_or_from_a_reversed_receipt_is_invalid_state(
    ledger: Ledger,
) -> None:
    assert (
        ledger.fin.post(
            f"{RECEIVABLES}{ledger.ys_b.pk}/reverse/", {"reason": "重复"}, format="json"
        ).status_code
        == 200
    )
    to_b = ledger.fin.post(
        RECEIPTS, {**receipt_body(ledger), "customer": ledger.cust_b.pk}, format="json"
    ).json()
    with unchanged():
        response = ledger.fin.post(
            RECEIPTS,
            {
                **receipt_body(ledger),
                "customer": ledger.cust_b.pk,
                "allocations": [{"receivable": ledger.ys_b.pk, "amount": "1.00"}],
            },
            format="json",
        )
        assert refused(response, 409, "invalid_state")["detail"] == f"{ledger.ys_b.number} 已红冲，不能核销。"
    ledger.fin.post(f"{RECEIPTS}{to_b['id']}/reverse/", {"reason": "退回"}, format="json")
    with unchanged():
        again = ledger.fin.post(
            f"{RECEIPTS}{to_b['id']}/allocate/",
            {"allocations": [{"receivable": ledger.ys_a.pk, "amount": "1.00"}]},
            format="json",
        )
        assert refused(again, 409, "invalid_state")["detail"] == f"{to_b['number']} 已红冲，不能核销。"


def test_a_reversed_receipt_stays_visible_and_what_it_settled_is_owed_again(ledger: Ledger) -> None:
    receipt = post_receipt(
        ledger, amount="500.00", allocations=[{"receivable": ledger.ys_doc.pk, "amount": "500.00"}]
    )
    url = f"{RECEIPTS}{receipt['id']}/reverse/"
    assert ledger.fin.get(f"{RECEIVABLES}{ledger.ys_doc.pk}/").json()["status"] == "settled"
    with unchanged():
        assert ledger.fin.post(url, {}, format="json").json() == {"reason": ["请填写原因。"]}

    response = ledger.fin.post(url, {"reason": "银行退票"}, format="json")

    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["allocated"], body["reverse_reason"]) == ("reversed", "0.00", "银行退票")
    assert body["reversed_at"] and [a["reversed_at"] is not None for a in body["allocations"]] == [True]
    assert body["allocations"][0]["amount"] == "500.00"  # kept, stamped reversed
    owed = ledger.fin.get(f"{RECEIVABLES}{ledger.ys_doc.pk}/").json()
    assert (owed["status"], owed["outstanding"]) == ("open", "500.00")
    assert rows(ledger.fin.get(RECEIPTS, {"status": "reversed"}), "id") == [receipt["id"]]
    with unchanged():
        assert refused(ledger.fin.post(url, {"reason": "再来"}, format="json"), 409, "invalid_state")
    assert selectors.ledger_mismatches() == []


def test_receipt_input_refusals(ledger: Ledger) -> None:
    fin = ledger.fin
    with unchanged():
        for body, expected in (
            ({"customer": 999999}, {"customer": ["客户不存在或不在您的数据范围内。"]}),
            ({"customer": None}, {"customer": ["请选择客户或供应商。"]}),
            ({"received_on": days(1).isoformat()}, {"received_on": ["日期不能晚于今天。"]}),
            ({"method": "bitcoin"}, None),
            ({"amount": "-5"}, {"amount": ["金额必须大于零。"]}),
        ):
            response = fin.post(RECEIPTS, {**receipt_body(ledger), **body}, format="json")
            assert response.status_code == 400, body
            if expected is not None:
                assert response.json() == expected
            else:
                assert list(response.json()) == list(body)
        payment = fin.post(PAYMENTS, {"amount": "10.00", "paid_on": TODAY.isoformat()}, format="json")
        assert payment.json() == {"supplier": ["请选择客户或供应商。"]}
        late = fin.post(
            PAYMENTS,
            {"supplier": ledger.supplier.pk, "amount": "1.00", "paid_on": days(1).isoformat()},
            format="json",
        )
        assert late.json() == {"paid_on": ["日期不能晚于今天。"]}


def test_a_party_outside_the_callers_scope_reads_like_a_missing_one(ledger: Ledger) -> None:
    rep = token_client(grant(ledger.company.rep_a1, "add_receipt", "change_receipt"))
    with unchanged():
        other = rep.post(RECEIPTS, {**receipt_body(ledger), "customer": ledger.cust_b.pk}, format="json")
        assert (other.status_code, other.json()) == (400, {"customer": ["客户不存在或不在您的数据范围内。"]})
        hidden = rep.post(
            RECEIPTS,
            {**receipt_body(ledger), "allocations": [{"receivable": ledger.ys_b.pk, "amount": "1.00"}]},
            format="json",
        )
        assert hidden.json() == {"allocations": {"0": {"receivable": ["单据不存在或不在您的数据范围内。"]}}}
    own = rep.post(RECEIPTS, receipt_body(ledger, amount="10.00"), format="json")
    assert own.status_code == 201, own.content


def test_payments_settle_payables_and_refunds_go_the_other_way(ledger: Ledger) -> None:
    fin = ledger.fin
    payment = fin.post(
        PAYMENTS,
        {
            "supplier": ledger.supplier.pk,
            "amount": "2000.00",
            "paid_on": TODAY.isoformat(),
            "allocations": [{"payable": ledger.yf.pk, "amount": "2000.00"}],
        },
        format="json",
    )
    body = payment.json()
    assert payment.status_code == 201, body
    assert (
        body["number"].startswith("FK") and body["paid_on"] == TODAY.isoformat() and "received_on" not in body
    )
    assert (body["supplier"], body["customer"], body["unallocated"]) == (ledger.supplier.pk, None, "0.00")
    assert [(a["payable"], a["payable_number"], a["amount"]) for a in body["allocations"]] == [
        (ledger.yf.pk, ledger.yf.number, "2000.00")
    ]
    assert fin.get(f"{PAYABLES}{ledger.yf.pk}/").json()["status"] == "settled"

    # A refund to a customer is a payment against a payable of that customer.
    owed = _opening(
        ledger.company,
        Direction.PAYABLE,
        ledger.party("customer", ledger.cust_a.pk),
        "80.00",
        issued_on=TODAY,
        due_date=TODAY,
    )
    refund = fin.post(
        PAYMENTS,
        {
            "customer": ledger.cust_a.pk,
            "amount": "80.00",
            "method": "cash",
            "paid_on": TODAY.isoformat(),
            "allocations": [{"payable": owed.pk, "amount": "80.00"}],
        },
        format="json",
    )
    assert refund.status_code == 201, refund.content
    assert (refund.json()["customer"], refund.json()["supplier"], refund.json()["party_kind"]) == (
        ledger.cust_a.pk,
        None,
        "customer",
    )
    # … and a refund from a supplier is a receipt from it.
    back = fin.post(
        RECEIPTS,
        {"supplier": ledger.supplier.pk, "amount": "30.00", "received_on": TODAY.isoformat()},
        format="json",
    )
    assert back.status_code == 201 and back.json()["supplier"] == ledger.supplier.pk
    assert rows(fin.get(PAYMENTS, {"customer": ledger.cust_a.pk}), "id") == [refund.json()["id"]]
    assert selectors.ledger_mismatches() == []


def test_receipts_filter_by_party_status_dates_method_and_search(ledger: Ledger) -> None:
    fin = ledger.fin
    a1 = post_receipt(ledger, amount="10.00", received_on=days(-10).isoformat(), reference="BANK-778")
    a2 = post_receipt(ledger, amount="20.00", method="wechat")
    b1 = fin.post(
        RECEIPTS, {**receipt_body(ledger, amount="30.00"), "customer": ledger.cust_b.pk}, format="json"
    ).json()

    def ids(**params: Any) -> list[int]:
        return rows(fin.get(RECEIPTS, params), "id")

    assert ids() == [b1["id"], a2["id"], a1["id"]]  # newest first
    assert ids(customer=ledger.cust_a.pk) == [a2["id"], a1["id"]]
    assert ids(party_kind="customer", party_id=ledger.cust_b.pk) == [b1["id"]]
    assert ids(supplier=ledger.supplier.pk) == []
    assert ids(date_to=days(-1).isoformat()) == [a1["id"]]
    assert ids(date_from=TODAY.isoformat()) == [b1["id"], a2["id"]]
    assert ids(method="wechat") == [a2["id"]]
    assert ids(search="bank-778") == [a1["id"]]
    assert ids(search="瑞金") == [b1["id"]]
    assert ids(status="reversed") == []
    assert ids(ordering="amount") == [a1["id"], a2["id"], b1["id"]]
    for bad in ({"date_from": "gestern"}, {"status": "open"}, {"supplier": "x"}):
        response = fin.get(RECEIPTS, bad)
        assert response.status_code == 400 and list(response.json()) == list(bad), bad


def test_a_salesperson_sees_only_their_customers_receipts(ledger: Ledger, api_client_for: ClientFor) -> None:
    mine = post_receipt(ledger, amount="10.00")
    theirs = ledger.fin.post(
        RECEIPTS, {**receipt_body(ledger), "customer": ledger.cust_b.pk}, format="json"
    ).json()
    rep = api_client_for(ledger.company.rep_a1)

    assert rows(rep.get(RECEIPTS), "id") == [mine["id"]]
    assert rep.get(f"{RECEIPTS}{mine['id']}/").json()["amount"] == "10.00"
    hidden = rep.get(f"{RECEIPTS}{theirs['id']}/")
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    with unchanged():
        allocate = rep.post(
            f"{RECEIPTS}{mine['id']}/allocate/",
            {"allocations": [{"receivable": ledger.ys_a.pk, "amount": "10.00"}]},
            format="json",
        )
        assert (allocate.status_code, allocate.json()) == (403, ROLE_REFUSED)
        changer = token_client(grant(ledger.company.rep_a1, "change_receipt"))
        out = changer.post(f"{RECEIPTS}{theirs['id']}/reverse/", {"reason": "错"}, format="json")
        assert (out.status_code, out.json()) == (404, NOT_FOUND)


# Idempotency-Key, language and the schema ----------------------------------------------------------


def test_a_retried_receipt_with_the_same_key_is_recorded_once(ledger: Ledger) -> None:
    body = receipt_body(
        ledger, amount="700.00", allocations=[{"receivable": ledger.ys_a.pk, "amount": "700.00"}]
    )
    fin = ledger.fin

    first = fin.post(RECEIPTS, body, format="json", headers={"Idempotency-Key": "sk-20260301-1"})
    replay = fin.post(RECEIPTS, body, format="json", headers={"Idempotency-Key": "sk-20260301-1"})

    assert first.status_code == 201, first.content
    assert (replay.status_code, replay.content, replay["Idempotent-Replayed"]) == (201, first.content, "true")
    assert Receipt.objects.count() == 1 and Payment.objects.count() == 0
    assert fin.get(f"{RECEIVABLES}{ledger.ys_a.pk}/").json()["allocated"] == "700.00"
    other = fin.post(
        RECEIPTS, {**body, "amount": "701.00"}, format="json", headers={"Idempotency-Key": "sk-20260301-1"}
    )
    assert refused(other, 422, "idempotency_key_reused")
    assert Receipt.objects.count() == 1


def _english(msgid: str, **params: Any) -> str:
    with override("en"):
        return gettext(msgid) % params if params else gettext(msgid)


def test_refusals_follow_accept_language(ledger: Ledger) -> None:
    receipt = post_receipt(ledger, amount="100.00")
    en = {"Accept-Language": "en"}
    with unchanged():
        over = ledger.fin.post(
            f"{RECEIPTS}{receipt['id']}/allocate/",
            {"allocations": [{"receivable": ledger.ys_doc.pk, "amount": "200.00"}]},
            format="json",
            headers=en,
        )
        missing = ledger.fin.post(
            RECEIPTS, {**receipt_body(ledger), "customer": 999999}, format="json", headers=en
        )
        gone = ledger.fin.get(f"{RECEIPTS}999999/", headers=en)

    assert over["Content-Language"] == "en"
    assert refused(over, 409, "over_allocation")["detail"] == _english(
        "核销合计 %(total)s 超过本单未分配金额 %(free)s。", total="200.00", free="100.00"
    )
    assert missing.json() == {"customer": [_english("客户不存在或不在您的数据范围内。")]}
    assert refused(gone, 404, "not_found")["detail"] == _english("记录不存在。")


def test_the_schema_describes_the_money_ledger(admin_api: APIClient) -> None:
    schema = admin_api.get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    for base in ("receivables", "payables", "receipts", "payments"):
        assert {f"/api/v1/{base}/", f"/api/v1/{base}/{{id}}/", f"/api/v1/{base}/{{id}}/reverse/"} <= set(
            paths
        )
        assert "post" in paths[f"/api/v1/{base}/"] and "put" not in paths[f"/api/v1/{base}/{{id}}/"]
    params = {p["name"] for p in paths["/api/v1/receivables/"]["get"]["parameters"]}
    assert {"customer", "supplier", "party_kind", "party_id", "status", "overdue", "search", "page"} <= params
    params = {p["name"] for p in paths["/api/v1/receipts/"]["get"]["parameters"]}
    assert {"customer", "supplier", "status", "date_from", "date_to", "search", "page_size"} <= params
    assert set(components["ReceiptInputRequest"]["required"]) == {"amount", "received_on"}
    assert set(components["PaymentInputRequest"]["required"]) == {"amount", "paid_on"}
    assert set(components["ReceiptAllocationInputRequest"]["required"]) == {"receivable", "amount"}
    assert set(components["PaymentAllocationInputRequest"]["required"]) == {"payable", "amount"}
    allocate = paths["/api/v1/payments/{id}/allocate/"]["post"]
    assert allocate["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaymentAllocateInputRequest"
    )
    assert {"200", "400", "404", "409"} <= set(allocate["responses"])
    assert {"installments", "outstanding", "customer", "supplier"} <= set(
        components["Obligation"]["properties"]
    )
    assert {"allocations", "unallocated", "received_on"} <= set(components["Receipt"]["properties"])
