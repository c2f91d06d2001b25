"""The public pool (公海): release, claim (limit, daily cap, cool-down), transfer, and money following
the owner."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.crm.models import Customer, OwnershipAction, OwnershipChange, PoolSettings
from maoyi.crm.selectors import pool as pool_selectors
from maoyi.crm.services import pool
from maoyi.finance import services as finance
from maoyi.finance.models import ObligationStatus, Receivable
from maoyi.finance.parties import Party, PartyKind
from maoyi.org.models import Employee
from tests.crm.builders import make_customer, unchanged


def settings(**values: int) -> PoolSettings:
    row = PoolSettings.objects.create(**{"max_owned": 200, "daily_claims": 10, "cooldown_days": 30, **values})
    return row


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def refused(code: str, fn: Any, *args: Any, **kwargs: Any) -> DomainError:
    with unchanged(), pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.code
    return caught.value


def receivable_of(customer: Customer, actor: Employee, amount: str = "1000.00") -> Receivable:
    party = Party(
        kind=PartyKind.CUSTOMER,
        id=customer.pk,
        name=customer.name,
        owner_id=customer.owner_id,
        department_id=customer.department_id,
    )
    return finance.open_obligation(
        direction="receivable",
        actor=actor,
        party=party,
        amount=Decimal(amount),
        issued_on=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 5),
    )  # type: ignore[return-value]


# Create ------------------------------------------------------------------------------------------------


def test_create_records_the_first_owner_and_import_into_the_pool(company) -> None:
    owned = make_customer(company.rep_a1, "甲医院")
    pooled = make_customer(None, "乙医院")
    assert owned.owned_since is not None and pooled.owned_since is None
    assert list(OwnershipChange.objects.filter(customer=owned).values_list("action", "to_owner")) == [
        (OwnershipAction.CREATE, company.rep_a1.pk)
    ]
    assert list(OwnershipChange.objects.filter(customer=pooled).values_list("action", "to_owner")) == [
        (OwnershipAction.IMPORT, None)
    ]


# Release -----------------------------------------------------------------------------------------------


def test_owner_releases_to_the_pool_with_reason(company) -> None:
    customer = make_customer(company.rep_a1)
    Customer.objects.filter(pk=customer.pk).update(pool_warning="owner")
    pool.release_customer(customer, actor=company.rep_a1, reason="暂无需求")
    customer.refresh_from_db()
    assert customer.owner is None and customer.department is None and customer.owned_since is None
    assert customer.pool_warning == ""
    change = OwnershipChange.objects.filter(customer=customer).first()
    assert change is not None
    assert (change.action, change.from_owner, change.to_owner, change.actor, change.reason) == (
        OwnershipAction.RELEASE,
        company.rep_a1,
        None,
        company.rep_a1,
        "暂无需求",
    )
    entry = AuditEntry.objects.filter(action="release", object_id=str(customer.pk)).get()
    assert entry.changes["owner"] == ["张伟", None]
    assert entry.note == "暂无需求"


def test_release_refusals(company) -> None:
    customer = make_customer(company.rep_a1)
    error = refused("reason_required", pool.release_customer, customer, actor=company.rep_a1, reason="  ")
    assert error.message == "请填写原因。"
    with unchanged(), pytest.raises(NotFoundInScope):
        pool.release_customer(customer, actor=company.rep_a2, reason="不是我的")
    with unchanged(), pytest.raises(PermissionRefused):
        pool.release_customer(customer, actor=company.purchaser, reason="无权")
    pooled = make_customer(None, "公海医院")
    error = refused("in_pool", pool.release_customer, pooled, actor=company.admin, reason="再放")
    assert error.message == "客户“公海医院”已在公海中。"


def test_manager_may_release_a_customer_of_the_team(company) -> None:
    customer = make_customer(company.rep_a1)
    pool.release_customer(customer, actor=company.manager_a, reason="调整")
    customer.refresh_from_db()
    assert customer.owner is None


# Claim -------------------------------------------------------------------------------------------------


def test_claim_takes_a_pool_customer_with_its_history(company) -> None:
    customer = make_customer(company.rep_a1)
    pool.release_customer(customer, actor=company.rep_a1, reason="暂无需求")
    now = at("2026-03-02")
    pool.claim_customer(customer, actor=company.rep_b1, now=now)
    customer.refresh_from_db()
    assert (customer.owner, customer.department, customer.owned_since) == (
        company.rep_b1,
        company.team_b,
        now,
    )
    assert OwnershipChange.objects.filter(customer=customer, action=OwnershipAction.CLAIM).count() == 1
    assert AuditEntry.objects.filter(action="claim", object_id=str(customer.pk)).count() == 1
    assert pool_selectors.claims_on(company.rep_b1, dt.date(2026, 3, 2)) == 1
    assert pool_selectors.claims_on(company.rep_b1, dt.date(2026, 3, 3)) == 0


def test_claim_refused_when_the_customer_has_an_owner(company) -> None:
    customer = make_customer(company.rep_a1)
    error = refused("not_in_pool", pool.claim_customer, customer, actor=company.rep_a2)
    assert error.message == "客户“北京协和医院”不在公海中，可能已被他人领取。"


def test_claim_refused_for_a_role_that_does_not_sell(company) -> None:
    customer = make_customer(None)
    error = refused("not_salesperson", pool.claim_customer, customer, actor=company.sales_head)
    assert error.message == "只有业务员或业务助理可以领取公海客户。"
    with unchanged(), pytest.raises(PermissionRefused):
        pool.claim_customer(customer, actor=company.purchaser)


def test_claim_limit(company) -> None:
    settings(max_owned=2)
    make_customer(company.rep_a1, "甲医院")
    pooled = make_customer(None, "乙医院")
    pool.claim_customer(pooled, actor=company.rep_a1)  # owns 2 now
    third = make_customer(None, "丙医院")
    error = refused("claim_limit", pool.claim_customer, third, actor=company.rep_a1)
    assert error.message == "您已负责 2 个客户，达到每人上限 2 个，不能再领取。"
    pool.claim_customer(third, actor=company.rep_a2)  # someone else still may


def test_daily_claim_cap_counts_the_day(company) -> None:
    settings(daily_claims=2)
    customers = [make_customer(None, f"医院{n}") for n in range(4)]
    pool.claim_customer(customers[0], actor=company.rep_a1, now=at("2026-03-02", 9))
    pool.claim_customer(customers[1], actor=company.rep_a1, now=at("2026-03-02", 15))
    error = refused(
        "daily_claim_cap", pool.claim_customer, customers[2], actor=company.rep_a1, now=at("2026-03-02", 18)
    )
    assert error.message == "您今天已领取 2 个客户，达到每天上限 2 个，请明天再领取。"
    pool.claim_customer(customers[2], actor=company.rep_a1, now=at("2026-03-03", 9))  # a new day
    assert Customer.objects.filter(owner=company.rep_a1).count() == 3


def test_cooldown_after_release_on_fixed_dates(company) -> None:
    settings(cooldown_days=30)
    customer = make_customer(company.rep_a1)
    pool.release_customer(customer, actor=company.rep_a1, reason="暂无需求", now=at("2026-03-01"))
    error = refused(
        "claim_cooldown", pool.claim_customer, customer, actor=company.rep_a1, now=at("2026-03-30")
    )
    assert error.message == "您最近释放或失去了该客户，2026-03-31 之后才能重新领取。"
    # Another salesperson is not held back.
    assert pool_selectors.cooldown_until(customer, company.rep_a2, now=at("2026-03-30")) is None
    pool.claim_customer(customer, actor=company.rep_a1, now=at("2026-03-31", 11))
    customer.refresh_from_db()
    assert customer.owner == company.rep_a1


def test_cooldown_applies_after_losing_the_customer_to_the_sweep(company) -> None:
    settings(cooldown_days=10)
    customer = make_customer(company.rep_a1)
    pool.return_to_pool(customer, reason="自动回收", now=at("2026-03-01"))
    refused("claim_cooldown", pool.claim_customer, customer, actor=company.rep_a1, now=at("2026-03-05"))


# Transfer ----------------------------------------------------------------------------------------------


def test_manager_transfers_within_the_team(company) -> None:
    customer = make_customer(company.rep_a1)
    pool.transfer_customer(customer, actor=company.manager_a, to=company.rep_a2, reason="调整分工")
    customer.refresh_from_db()
    assert customer.owner == company.rep_a2 and customer.department == company.team_a
    change = OwnershipChange.objects.filter(customer=customer, action=OwnershipAction.TRANSFER).get()
    assert (change.from_owner, change.to_owner, change.actor) == (
        company.rep_a1,
        company.rep_a2,
        company.manager_a,
    )


def test_transfer_refusals(company) -> None:
    customer = make_customer(company.rep_a1)
    with unchanged(), pytest.raises(PermissionRefused):  # a salesperson (本人) does not transfer
        pool.transfer_customer(customer, actor=company.rep_a1, to=company.rep_a2, reason="给同事")
    error = refused(
        "invalid", pool.transfer_customer, customer, actor=company.manager_a, to=company.rep_b1, reason="跨组"
    )
    assert error.message == "“钱丽”不在您的管理范围内。" and error.field == "to"
    error = refused(
        "invalid",
        pool.transfer_customer,
        customer,
        actor=company.admin,
        to=company.purchaser,
        reason="给采购",
    )
    assert error.message == "“马丽”不是在职的业务员或业务助理。"
    error = refused(
        "invalid", pool.transfer_customer, customer, actor=company.manager_a, to=company.rep_a1, reason="原样"
    )
    assert error.message == "客户已由“张伟”负责。"
    refused(
        "reason_required",
        pool.transfer_customer,
        customer,
        actor=company.manager_a,
        to=company.rep_a2,
        reason="",
    )
    b_customer = make_customer(company.rep_b1, "渠道客户")
    with unchanged(), pytest.raises(NotFoundInScope):
        pool.transfer_customer(b_customer, actor=company.manager_a, to=company.rep_a2, reason="抢客户")


def test_admin_transfers_across_teams(company) -> None:
    customer = make_customer(company.rep_a1)
    pool.transfer_customer(customer, actor=company.admin, to=company.rep_b1, reason="客户在外地")
    customer.refresh_from_db()
    assert (customer.owner, customer.department) == (company.rep_b1, company.team_b)


# Money follows the owner -------------------------------------------------------------------------------


def test_open_receivables_follow_the_owner(company) -> None:
    customer = make_customer(company.rep_a1)
    open_one = receivable_of(customer, company.finance_clerk)
    settled = receivable_of(customer, company.finance_clerk, "10.00")
    Receivable.objects.filter(pk=settled.pk).update(status=ObligationStatus.SETTLED)

    pool.release_customer(customer, actor=company.rep_a1, reason="暂无需求")
    open_one.refresh_from_db()
    assert open_one.owner is None and open_one.department == company.team_a  # the team still sees it
    assert AuditEntry.objects.filter(action="reassign", object_id=str(open_one.pk)).count() == 1

    pool.claim_customer(customer, actor=company.rep_b1)
    open_one.refresh_from_db()
    settled.refresh_from_db()
    assert (open_one.owner, open_one.department) == (company.rep_b1, company.team_b)
    assert (settled.owner, settled.department) == (company.rep_a1, company.team_a)  # history stays

    pool.transfer_customer(customer, actor=company.admin, to=company.rep_a2, reason="回A组")
    open_one.refresh_from_db()
    assert (open_one.owner, open_one.department) == (company.rep_a2, company.team_a)


# Race: two people claim the same customer ---------------------------------------------------------------


def _race(customer_pk: int, employee_pks: list[int]) -> tuple[dict[int, str], list[BaseException]]:
    """Each employee claims the customer from their own thread and connection, released together."""
    barrier = threading.Barrier(len(employee_pks))
    outcome: dict[int, str] = {}
    errors: list[BaseException] = []

    def claim(employee_pk: int) -> None:
        try:
            actor = Employee.objects.select_related("user").get(pk=employee_pk)
            target = Customer.objects.get(pk=customer_pk)
            barrier.wait(timeout=30)
            pool.claim_customer(target, actor=actor)
            outcome[employee_pk] = "won"
        except DomainError as exc:
            outcome[employee_pk] = exc.code
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(pk,)) for pk in employee_pks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a claim thread hung"
    return outcome, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_of_one_customer_exactly_one_wins(company) -> None:
    for round_no in range(10):
        customer = make_customer(None, f"竞争医院{round_no}")
        outcome, errors = _race(customer.pk, [company.rep_a1.pk, company.rep_b1.pk])
        assert errors == []
        assert sorted(outcome.values()) == ["not_in_pool", "won"], outcome
        winner = next(pk for pk, result in outcome.items() if result == "won")
        customer.refresh_from_db()
        assert customer.owner_id == winner
        assert OwnershipChange.objects.filter(customer=customer, action=OwnershipAction.CLAIM).count() == 1
