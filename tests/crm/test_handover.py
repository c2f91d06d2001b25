"""交接 (handover): the preview of an employee's book, handing it over (customers with their
ownership changes, contracts, receivables, follow-ups), the refusals, leaving while still owning
things (`still_owns`), the API's leave with `handover_to`, and the channel tree's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from maoyi.audit.models import AuditEntry
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.crm.models import (
    Activity,
    Campaign,
    CampaignKind,
    Contract,
    Customer,
    CustomerKind,
    Handover,
    HandoverLine,
    Opportunity,
    OpportunityStage,
    OwnershipAction,
    OwnershipChange,
    Quote,
    QuoteStatus,
)
from maoyi.crm.selectors import handover as selectors
from maoyi.crm.services.handover import hand_over
from maoyi.finance import services as finance
from maoyi.finance.models import Receivable
from maoyi.finance.parties import Party, PartyKind
from maoyi.org import services as org
from maoyi.org.holdings import holdings
from maoyi.org.models import Employee, EmployeeStatus
from tests.crm.builders import make_customer

# Builders -----------------------------------------------------------------------------------------


def receivable_of(
    customer: Customer, actor: Employee, *, owner: Employee | None = None, amount: str = "1000.00"
) -> Receivable:
    party = Party(
        kind=PartyKind.CUSTOMER,
        id=customer.pk,
        name=customer.name,
        owner_id=customer.owner_id,
        department_id=customer.department_id,
    )
    return finance.open_obligation(  # type: ignore[return-value]
        direction="receivable",
        actor=actor,
        party=party,
        amount=Decimal(amount),
        issued_on=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 5),
        owner=owner,
    )


_serial = iter(range(1, 10_000))


def contract_of(customer: Customer, owner: Employee, *, status: str = Status.APPROVED) -> Contract:
    n = next(_serial)
    return Contract.objects.create(
        number=f"HT-TEST-{n:04d}",
        status=status,
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        customer=customer,
        title=f"年度供货合同 {n}",
        amount=Decimal("5000.00"),
        signed_on=dt.date(2026, 1, 2),
        start_date=dt.date(2026, 1, 2),
        end_date=dt.date(2026, 12, 31),
    )


def quote_of(customer: Customer, by: Employee, *, status: str = QuoteStatus.DRAFT) -> Quote:
    return Quote.objects.create(
        number=f"BJ-TEST-{next(_serial):04d}",
        customer=customer,
        status=status,
        valid_until=dt.date(2026, 3, 1),
        created_by=by,
    )


def activity_of(
    customer: Customer, by: Employee, *, follow_up: dt.date | None, done: bool = False
) -> Activity:
    return Activity.objects.create(
        customer=customer,
        kind="call",
        summary="电话沟通采购计划",
        occurred_at=timezone.now(),
        next_follow_up=follow_up,
        follow_up_done=done,
        employee=by,
    )


class Book:
    """rep_a1's book: two customers with everything that comes along, a contract of a customer
    manager_a owns now, and an opening receivable of a pool customer rep_a1 still answers for."""

    def __init__(self, company: Any) -> None:
        rep = company.rep_a1
        self.first = make_customer(rep, "甲医院")
        self.second = make_customer(rep, "乙医院")
        self.elsewhere = make_customer(company.manager_a, "丙医院")
        self.pooled = make_customer(None, "丁医院")
        self.follow_up = activity_of(self.first, rep, follow_up=dt.date(2026, 6, 1))
        self.done = activity_of(self.first, rep, follow_up=dt.date(2026, 5, 1), done=True)
        self.logged = activity_of(self.second, rep, follow_up=None)
        self.by_colleague = activity_of(self.first, company.assistant_a, follow_up=dt.date(2026, 6, 2))
        self.opportunity = Opportunity.objects.create(customer=self.first, title="手术室设备", created_by=rep)
        self.won = Opportunity.objects.create(
            customer=self.first, title="去年的订单", stage=OpportunityStage.WON, created_by=rep
        )
        self.quote = quote_of(self.first, rep)
        self.sent = quote_of(self.second, rep, status=QuoteStatus.SENT)
        self.accepted = quote_of(self.first, rep, status=QuoteStatus.ACCEPTED)
        self.contract = contract_of(self.first, rep)
        self.cancelled = contract_of(self.first, rep, status=Status.CANCELLED)
        self.other_contract = contract_of(self.elsewhere, rep)
        self.receivable = receivable_of(self.first, company.finance_clerk)
        self.stray = receivable_of(self.pooled, company.finance_clerk, owner=rep)


@pytest.fixture
def book(company) -> Book:
    return Book(company)


def world() -> dict[str, list[dict[str, Any]]]:
    models = (
        Customer,
        Contract,
        Receivable,
        Activity,
        OwnershipChange,
        Handover,
        HandoverLine,
        AuditEntry,
        Campaign,
    )
    state = {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}
    state["employees"] = list(Employee.objects.order_by("pk").values("pk", "status"))
    return state


@contextmanager
def nothing_changes() -> Iterator[None]:
    before = world()
    yield
    assert world() == before


def refused(code: str, fn: Any, **kwargs: Any) -> DomainError:
    with nothing_changes(), pytest.raises(DomainError) as caught:
        fn(**kwargs)
    assert caught.value.code == code, (caught.value.code, caught.value.message)
    return caught.value


# Preview ------------------------------------------------------------------------------------------


def test_preview_lists_the_book(company, book: Book) -> None:
    preview = selectors.preview_handover(employee=company.rep_a1)

    by_customer = {b.customer.pk: b for b in preview.books}
    assert set(by_customer) == {book.first.pk, book.second.pk}
    first, second = by_customer[book.first.pk], by_customer[book.second.pk]
    assert [a.pk for a in first.follow_ups] == [book.follow_up.pk]  # not done ones, not a colleague's
    assert second.follow_ups == []
    assert [o.pk for o in first.opportunities] == [book.opportunity.pk]
    assert [q.pk for q in first.quotes] == [book.quote.pk]
    assert [q.pk for q in second.quotes] == [book.sent.pk]
    assert [c.pk for c in first.contracts] == [book.contract.pk]
    assert [r.pk for r in first.receivables] == [book.receivable.pk]
    assert [c.pk for c in preview.other_contracts] == [book.other_contract.pk]
    assert [r.pk for r in preview.other_receivables] == [book.stray.pk]
    assert (preview.customer_count, preview.contract_count, preview.receivable_count) == (2, 2, 2)
    assert selectors.holdings_of(company.rep_a1) == ["客户 2 个", "合同 2 份", "应收款 2 笔"]


def test_preview_of_someone_without_a_book_is_empty(company, book: Book) -> None:
    preview = selectors.preview_handover(employee=company.rep_b1)
    assert preview.is_empty
    assert selectors.holdings_of(company.rep_b1) == []


# Handing over -------------------------------------------------------------------------------------


def test_hand_over_moves_every_kind_of_record_and_records_it(company, book: Book) -> None:
    rep, to, assistant = company.rep_a1, company.rep_a2, company.assistant_a

    handover = hand_over(
        actor=company.manager_a,
        employee=rep,
        to=to,
        assignments={book.second.pk: assistant},
        reason="张伟离职",
    )

    assert handover.number.startswith("JJ")
    assert (handover.from_employee, handover.actor, handover.reason) == (rep, company.manager_a, "张伟离职")
    first, second = Customer.objects.get(pk=book.first.pk), Customer.objects.get(pk=book.second.pk)
    assert (first.owner, first.department) == (to, to.department)
    assert second.owner == assistant
    changes = OwnershipChange.objects.filter(action=OwnershipAction.TRANSFER).order_by("customer_id")
    assert [(c.customer_id, c.from_owner, c.to_owner, c.actor) for c in changes] == [
        (book.first.pk, rep, to, company.manager_a),
        (book.second.pk, rep, assistant, company.manager_a),
    ]
    assert handover.number in changes[0].reason
    # Contracts: the customer's goes to its receiver, another customer's to that customer's owner.
    assert Contract.objects.get(pk=book.contract.pk).owner == to
    assert Contract.objects.get(pk=book.other_contract.pk).owner == company.manager_a
    assert Contract.objects.get(pk=book.cancelled.pk).owner == rep
    # Money: follows the customer; the pool customer's stray goes to the receiver for all.
    assert Receivable.objects.get(pk=book.receivable.pk).owner == to
    stray = Receivable.objects.get(pk=book.stray.pk)
    assert (stray.owner, stray.department) == (to, to.department)
    # Follow-ups and everything the leaver logged stay theirs.
    assert Activity.objects.get(pk=book.follow_up.pk).employee == rep
    assert Activity.objects.get(pk=book.logged.pk).employee == rep
    lines = {(ln.record_type, ln.record_id, ln.to_employee_id) for ln in handover.lines.all()}
    assert lines == {
        ("customer", book.first.pk, to.pk),
        ("customer", book.second.pk, assistant.pk),
        ("follow_up", book.follow_up.pk, to.pk),
        ("opportunity", book.opportunity.pk, to.pk),
        ("quote", book.quote.pk, to.pk),
        ("quote", book.sent.pk, assistant.pk),
        ("contract", book.contract.pk, to.pk),
        ("contract", book.other_contract.pk, company.manager_a.pk),
        ("receivable", book.receivable.pk, to.pk),
        ("receivable", book.stray.pk, to.pk),
    }
    created = AuditEntry.objects.get(action="create", object_repr=handover.number)
    assert created.actor == company.manager_a.user and created.changes["lines"] == [None, "10"]
    assert AuditEntry.objects.filter(action="reassign", object_repr__contains=book.contract.number).exists()
    assert selectors.holdings_of(rep) == []
    assert selectors.preview_handover(employee=rep).is_empty


def test_an_administrator_hands_over_anyone_to_one_receiver(company, book: Book) -> None:
    handover = hand_over(actor=company.admin, employee=company.rep_a1, to=company.rep_b1, reason="调岗")
    assert Customer.objects.filter(owner=company.rep_b1).count() == 2
    assert set(handover.lines.values_list("to_employee", flat=True)) == {
        company.rep_b1.pk,
        company.manager_a.pk,
    }


# Refusals -----------------------------------------------------------------------------------------


def test_a_receiver_who_left_is_refused(company, book: Book) -> None:
    org.leave_employee(company.rep_b1, actor=None, handover_to=company.admin)
    error = refused(
        "invalid", hand_over, actor=company.admin, employee=company.rep_a1, to=company.rep_b1, reason="x"
    )
    assert error.message == "“钱丽”不是在职的业务员或业务助理。"
    assert error.field == "to"


def test_a_receiver_without_a_selling_role_is_refused(company, book: Book) -> None:
    error = refused(
        "invalid", hand_over, actor=company.admin, employee=company.rep_a1, to=company.purchaser, reason="x"
    )
    assert error.message == "“马丽”不是在职的业务员或业务助理。"


def test_a_receiver_outside_the_actors_scope_is_refused(company, book: Book) -> None:
    error = refused(
        "invalid", hand_over, actor=company.manager_a, employee=company.rep_a1, to=company.rep_b1, reason="x"
    )
    assert error.message == "“钱丽”不在您的管理范围内。"


def test_a_customer_without_a_receiver_is_refused(company, book: Book) -> None:
    error = refused(
        "invalid",
        hand_over,
        actor=company.manager_a,
        employee=company.rep_a1,
        assignments={book.first.pk: company.rep_a2},
        reason="x",
    )
    assert error.message == "请为客户“乙医院”选择接收人。"


def test_handing_over_to_the_leaver_is_refused(company, book: Book) -> None:
    error = refused(
        "invalid", hand_over, actor=company.manager_a, employee=company.rep_a1, to=company.rep_a1, reason="x"
    )
    assert error.message == "不能交接给张伟本人。"


def test_an_employee_outside_the_actors_scope_is_not_found(company, book: Book) -> None:
    make_customer(company.rep_b1, "戊医院")
    with nothing_changes(), pytest.raises(NotFoundInScope):
        hand_over(actor=company.manager_a, employee=company.rep_b1, to=company.rep_a2, reason="x")


def test_without_the_permission_it_is_refused(company, book: Book) -> None:
    with nothing_changes(), pytest.raises(PermissionRefused):
        hand_over(actor=company.rep_a2, employee=company.rep_a1, to=company.rep_a2, reason="x")


def test_a_reason_is_required_and_an_empty_book_is_refused(company, book: Book) -> None:
    refused(
        "reason_required",
        hand_over,
        actor=company.admin,
        employee=company.rep_a1,
        to=company.rep_a2,
        reason=" ",
    )
    error = refused(
        "nothing_to_hand_over",
        hand_over,
        actor=company.admin,
        employee=company.rep_b1,
        to=company.rep_a2,
        reason="x",
    )
    assert error.message == "钱丽 没有需要交接的客户、合同、应收款或市场活动。"


# Leaving ------------------------------------------------------------------------------------------


def test_leave_is_refused_while_owning_anything_and_allowed_after_the_handover(company, book: Book) -> None:
    assert holdings(company.rep_a1) == ["客户 2 个", "合同 2 份", "应收款 2 笔"]
    error = refused(
        "still_owns",
        org.leave_employee,
        employee=company.rep_a1,
        actor=company.admin,
        handover_to=company.rep_a2,
    )
    assert error.message == "张伟 还负责：客户 2 个、合同 2 份、应收款 2 笔。请先办理交接，再办理离职。"

    hand_over(actor=company.admin, employee=company.rep_a1, to=company.rep_a2, reason="离职")
    org.leave_employee(company.rep_a1, actor=company.admin, handover_to=company.rep_a2)

    assert Employee.objects.get(pk=company.rep_a1.pk).status == EmployeeStatus.LEFT


def test_leave_is_refused_for_a_single_open_receivable(company) -> None:
    customer = make_customer(company.rep_a2, "己医院")
    receivable_of(customer, company.finance_clerk, owner=company.rep_a1)
    error = refused(
        "still_owns", org.leave_employee, employee=company.rep_a1, actor=None, handover_to=company.rep_a2
    )
    assert "应收款 1 笔" in error.message


# API: leave with handover_to ----------------------------------------------------------------------


def api_for(employee: Employee) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=employee.user)
    return client


def test_api_leave_hands_the_book_over_first(company, book: Book) -> None:
    response = api_for(company.admin).post(
        f"/api/v1/employees/{company.rep_a1.pk}/leave/", {"handover_to": company.rep_a2.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "left"
    assert Customer.objects.filter(owner=company.rep_a1).count() == 0
    assert Customer.objects.get(pk=book.first.pk).owner == company.rep_a2
    handover = Handover.objects.get(from_employee=company.rep_a1)
    assert handover.actor == company.admin and handover.reason == "离职交接"
    assert Contract.objects.get(pk=book.contract.pk).owner == company.rep_a2


def test_api_leave_refused_by_the_handover_changes_nothing(company, book: Book) -> None:
    with nothing_changes():
        response = api_for(company.admin).post(
            f"/api/v1/employees/{company.rep_a1.pk}/leave/",
            {"handover_to": company.purchaser.pk},
            format="json",
        )

    assert response.status_code == 400
    assert response.json() == {"handover_to": ["“马丽”不是在职的业务员或业务助理。"]}


def test_api_leave_of_someone_who_owns_nothing_is_as_before(company, book: Book) -> None:
    response = api_for(company.admin).post(
        f"/api/v1/employees/{company.rep_b1.pk}/leave/", {"handover_to": company.purchaser.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert not Handover.objects.exists()


# Campaigns (市场活动) --------------------------------------------------------------------------------


def campaign_of(
    owner: Employee, name: str, *, start: dt.date, end: dt.date, cancelled: bool = False
) -> Campaign:
    n = next(_serial)
    return Campaign.objects.create(
        code=f"HD-TEST-{n:04d}",
        name=name,
        kind=CampaignKind.TRAINING,
        start_date=start,
        end_date=end,
        budget=Decimal("1000.00"),
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        is_cancelled=cancelled,
    )


class Campaigns:
    """rep_a1's campaigns: one running, one planned (both move), one ended and one cancelled (stay)."""

    def __init__(self, company: Any) -> None:
        today = timezone.localdate()
        day = dt.timedelta(days=1)
        rep = company.rep_a1
        self.running = campaign_of(rep, "渠道培训会", start=today - day, end=today + day)
        self.planned = campaign_of(rep, "秋季展会", start=today + 30 * day, end=today + 32 * day)
        self.ended = campaign_of(rep, "去年的年会", start=today - 30 * day, end=today - day)
        self.cancelled = campaign_of(rep, "取消的沙龙", start=today, end=today, cancelled=True)


def test_running_and_planned_campaigns_are_holdings_and_in_the_preview(company) -> None:
    campaigns = Campaigns(company)
    preview = selectors.preview_handover(employee=company.rep_a1)
    assert [c.pk for c in preview.campaigns] == [campaigns.running.pk, campaigns.planned.pk]
    assert (preview.campaign_count, preview.is_empty) == (2, False)
    assert holdings(company.rep_a1) == ["市场活动 2 个"]


def test_leave_is_refused_while_owning_a_running_campaign(company) -> None:
    Campaigns(company)
    error = refused(
        "still_owns",
        org.leave_employee,
        employee=company.rep_a1,
        actor=company.admin,
        handover_to=company.rep_a2,
    )
    assert error.message == "张伟 还负责：市场活动 2 个。请先办理交接，再办理离职。"


def test_hand_over_moves_running_and_planned_campaigns_to_the_receiver_for_all(company, book: Book) -> None:
    campaigns = Campaigns(company)
    to = company.assistant_a

    handover = hand_over(
        actor=company.manager_a,
        employee=company.rep_a1,
        to=to,
        assignments={book.first.pk: company.rep_a2},
        reason="张伟离职",
    )

    moved = Campaign.objects.filter(pk__in=[campaigns.running.pk, campaigns.planned.pk])
    assert {(c.owner_id, c.department_id) for c in moved} == {(to.pk, to.department_id)}
    for stays in (campaigns.ended, campaigns.cancelled):
        assert Campaign.objects.get(pk=stays.pk).owner == company.rep_a1
    lines = {
        (ln.record_id, ln.record_label, ln.to_employee_id)
        for ln in handover.lines.filter(record_type="campaign")
    }
    assert lines == {
        (campaigns.running.pk, f"{campaigns.running.code} · 渠道培训会", to.pk),
        (campaigns.planned.pk, f"{campaigns.planned.code} · 秋季展会", to.pk),
    }
    entry = AuditEntry.objects.get(action="reassign", object_repr__contains="渠道培训会")
    assert entry.changes == {"owner": ["张伟", "林雪"]}
    assert handover.number in entry.note
    assert selectors.record_type_labels()["campaign"] == "市场活动"
    assert holdings(company.rep_a1) == []
    org.leave_employee(company.rep_a1, actor=company.admin, handover_to=to)


def test_a_book_of_campaigns_only_is_handed_over_too(company) -> None:
    campaigns = Campaigns(company)
    handover = hand_over(actor=company.admin, employee=company.rep_a1, to=company.rep_b1, reason="调岗")
    assert Campaign.objects.get(pk=campaigns.running.pk).department == company.team_b
    assert handover.lines.count() == 2


def test_campaigns_need_the_receiver_for_all(company) -> None:
    Campaigns(company)
    customer = make_customer(company.rep_a1, "甲医院")
    error = refused(
        "invalid",
        hand_over,
        actor=company.manager_a,
        employee=company.rep_a1,
        assignments={customer.pk: company.rep_a2},
        reason="x",
    )
    assert (error.message, error.field) == ("请选择“接收人（全部）”：张伟负责的市场活动交给此人。", "to")


# Channel tree -------------------------------------------------------------------------------------


class Channels:
    def __init__(self, company: Any) -> None:
        self.top = make_customer(company.rep_a1, "华北医疗分销", kind=CustomerKind.DISTRIBUTOR)
        self.middle = make_customer(company.rep_a2, "天津代理", kind=CustomerKind.AGENT, parent=self.top)
        self.bottom = make_customer(company.rep_b1, "河北代理", kind=CustomerKind.AGENT, parent=self.middle)
        self.served_top = make_customer(company.rep_a1, "天津医院", channel_partner=self.top)
        self.served_top_b = make_customer(company.rep_b1, "唐山医院", channel_partner=self.top)
        self.served_middle = make_customer(company.rep_a2, "塘沽医院", channel_partner=self.middle)


def shape(nodes: list[selectors.ChannelNode]) -> list[tuple[str, int, list[str]]]:
    return [(n.partner.name, n.depth, [c.name for c in n.served]) for n in nodes]


def test_channel_tree_shows_the_hierarchy(company) -> None:
    channels = Channels(company)
    assert shape(selectors.channel_tree(company.admin.user)) == [
        (channels.top.name, 0, ["天津医院", "唐山医院"]),
        (channels.middle.name, 1, ["塘沽医院"]),
        (channels.bottom.name, 2, []),
    ]


def test_channel_tree_respects_scope(company) -> None:
    Channels(company)
    assert shape(selectors.channel_tree(company.manager_a.user)) == [
        ("华北医疗分销", 0, ["天津医院"]),
        ("天津代理", 1, ["塘沽医院"]),
    ]
    # A partner whose parent is out of scope starts its own branch.
    assert shape(selectors.channel_tree(company.rep_a2.user)) == [("天津代理", 0, ["塘沽医院"])]
    assert shape(selectors.channel_tree(company.rep_b1.user)) == [("河北代理", 0, [])]
