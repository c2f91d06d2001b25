"""The money ledger as a hypothesis state machine: random sequences of receivables opened (one to
three installments, two customers, CNY or USD, opening balances or a document's), receipts with
allocations (spread or to a named installment), later allocations of advances, reversals of
receipts and of opening balances, against a plain Python model of what each installment and
receipt has allocated. The model predicts every refusal (over_allocation, currency_mismatch,
wrong party, invalid_state, has_downstream); a refused call must change nothing. After every
step `ledger_mismatches() == []`, each outstanding amount is the amount less its live allocations,
and every figure equals the model.

Each example runs inside a savepoint that is rolled back, so examples do not leak into each other."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any, ClassVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError
from maoyi.core.money import quantize_money
from maoyi.finance import services
from maoyi.finance.models import Allocation, Installment, Obligation, ObligationStatus, Settlement
from maoyi.finance.parties import Party
from maoyi.finance.selectors import ledger_mismatches
from maoyi.finance.services import AllocationInput, InstallmentInput
from maoyi.org.models import Employee
from tests.conftest import IS_POSTGRES
from tests.finance.builders import RECEIVABLE, ledger_state, make_parties

ZERO = D("0")
CENT = D("0.01")
ISSUED = dt.date(2026, 1, 5)
PAID_ON = dt.date(2026, 4, 10)
RATE = {"CNY": None, "USD": D("7.1")}

money = st.integers(1, 20_000).map(lambda cents: D(cents) / 100)  # 0.01 … 200.00
LIKELY = st.sampled_from([True, True, True, False])  # three times in four
customers = st.sampled_from(["hospital", "clinic"])
currencies = st.sampled_from(["CNY", "CNY", "USD"])


@dataclass
class World:
    clerk: Employee
    parties: dict[str, Party]


@dataclass
class ModelObligation:
    record: Obligation
    party: str
    currency: str
    opening: bool
    amounts: list[D]  # per installment, in due order (= sequence order)
    allocated: list[D]
    reversed: bool = False

    @property
    def outstanding(self) -> D:
        """What is still owed: nothing once reversed."""
        return ZERO if self.reversed else sum(self.amounts, ZERO) - sum(self.allocated, ZERO)


@dataclass
class ModelSettlement:
    record: Settlement
    party: str
    currency: str
    amount: D
    live: list[tuple[int, int, D]] = field(default_factory=list)  # (obligation, installment, amount)
    reversed: bool = False

    @property
    def allocated(self) -> D:
        return sum((amount for _o, _i, amount in self.live), ZERO)


Request = list[tuple[int, D, int | None]]  # (obligation index, amount, installment index or None)


class MoneyLedgerMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.obligations: list[ModelObligation] = []
        self.settlements: list[ModelSettlement] = []
        self.sources = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # the model ------------------------------------------------------------------------------------

    def attempt(
        self, name: str, code: str | None, call: Callable[[], Any], effect: Callable[[Any], None]
    ) -> None:
        """Run a call the model expects to succeed (`code` None) or to be refused with `code`."""
        self.outcomes[f"{name}:{code or 'done'}"] += 1
        if code is None:
            effect(call())
            self.outcomes["done"] += 1
            return
        before = ledger_state()
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == code, refused.value.message
        assert ledger_state() == before
        self.outcomes[code] += 1

    def draw_request(self, data: st.DataObject, obligations: list[int], free: D | None = None) -> Request:
        """Up to three allocation lines on the given obligations: to a named installment or spread,
        for a random amount, all that is left, or half of it (so lines fit, settle and overflow);
        all that is left is capped at what the receipt has `free`, when given."""
        request: Request = []
        for _line in range(data.draw(st.sampled_from([1, 2, 1, 3, 0]), label="lines")):
            o = data.draw(st.sampled_from(obligations), label="obligation")
            ob = self.obligations[o]
            inst = data.draw(
                st.one_of(st.none(), st.sampled_from(range(len(ob.amounts)))), label="installment"
            )
            left = ob.outstanding if inst is None else ob.amounts[inst] - ob.allocated[inst]
            how = data.draw(st.sampled_from(["any", "rest", "half"]), label="how")
            if how == "any":
                amount = data.draw(money, label="amount")
            else:
                if free is not None:
                    left = min(left, free - sum((a for _o, a, _i in request), ZERO))
                amount = max(quantize_money(left / 2) if how == "half" else left, CENT)
            request.append((o, amount, inst))
        return request

    def inputs(self, request: Request) -> list[AllocationInput]:
        return [
            AllocationInput(
                obligation_id=self.obligations[o].record.pk,
                amount=amount,
                installment_id=None
                if inst is None
                else Installment.objects.get(obligation=self.obligations[o].record, sequence=inst + 1).pk,
            )
            for o, amount, inst in request
        ]

    def pick(self, data: st.DataObject, items: list[Any], preferred: list[Any]) -> Any:
        """Mostly one of `preferred` (when there are any), sometimes any item."""
        if preferred and data.draw(LIKELY, label="prefer"):
            return data.draw(st.sampled_from(preferred))
        return data.draw(st.sampled_from(items))

    def predict(
        self, party: str, currency: str, free: D, request: Request
    ) -> tuple[str | None, list[tuple[int, int, D]]]:
        """What `_apply` does: (the refusal code, or None with the allocation rows it writes)."""
        if sum((amount for _o, amount, _i in request), ZERO) > free:
            return "over_allocation", []
        wanted: defaultdict[int, D] = defaultdict(lambda: ZERO)
        for o, amount, _inst in request:
            ob = self.obligations[o]
            if ob.party != party:
                return "invalid", []
            if ob.currency != currency:
                return "currency_mismatch", []
            if ob.reversed:
                return "invalid_state", []
            wanted[o] += amount
        if any(amount > self.obligations[o].outstanding for o, amount in wanted.items()):
            return "over_allocation", []
        allocated = {o: list(self.obligations[o].allocated) for o in wanted}
        rows = []
        for o, amount, inst in sorted(request, key=lambda item: item[2] is None):
            amounts = self.obligations[o].amounts
            if inst is not None:
                if amount > amounts[inst] - allocated[o][inst]:
                    return "over_allocation", []
                parts = [(inst, amount)]
            else:
                parts, left = [], amount
                for i, full in enumerate(amounts):
                    take = min(left, full - allocated[o][i])
                    if take > 0:
                        parts.append((i, take))
                        left -= take
            for i, take in parts:
                allocated[o][i] += take
                rows.append((o, i, take))
        return None, rows

    def apply(self, settlement: ModelSettlement, rows: list[tuple[int, int, D]]) -> None:
        for o, i, take in rows:
            self.obligations[o].allocated[i] += take
            settlement.live.append((o, i, take))

    # rules ----------------------------------------------------------------------------------------

    @rule(
        party=customers,
        currency=currencies,
        amounts=st.lists(money, min_size=1, max_size=3),
        gaps=st.lists(st.integers(0, 60), min_size=3, max_size=3),
        opening=st.booleans(),
    )
    def open_obligation(
        self, party: str, currency: str, amounts: list[D], gaps: list[int], opening: bool
    ) -> None:
        dues, day = [], ISSUED
        for gap in gaps[: len(amounts)]:
            day += dt.timedelta(days=gap + 1)
            dues.append(day)
        plan = [InstallmentInput(due, amount) for due, amount in zip(dues, amounts, strict=True)]
        self.sources += 1
        common: dict[str, Any] = {
            "direction": RECEIVABLE,
            "actor": self.world.clerk,
            "party": self.world.parties[party],
            "amount": sum(amounts, ZERO),
            "issued_on": ISSUED,
            "installments": plan[::-1],  # given latest first: the service sorts them
            "currency": currency,
            "exchange_rate": RATE[currency],
        }

        def call() -> Obligation:
            if opening:
                return services.create_opening_balance(**common)
            source = DocRef("sales_order", self.sources, f"XS-{self.sources}")
            return services.open_obligation(source=source, **common)

        def effect(record: Obligation) -> None:
            self.obligations.append(
                ModelObligation(record, party, currency, opening, list(amounts), [ZERO] * len(amounts))
            )

        self.attempt("open_obligation", None, call, effect)

    @precondition(lambda self: self.obligations)
    @rule(data=st.data())
    def record_settlement(self, data: st.DataObject) -> None:
        everything = list(range(len(self.obligations)))
        live = [o for o in everything if not self.obligations[o].reversed]
        request = self.draw_request(data, live if live and data.draw(LIKELY) else everything)
        if request and data.draw(LIKELY, label="same party"):
            first = self.obligations[request[0][0]]
            party, currency = first.party, first.currency
        else:
            party, currency = data.draw(customers, label="party"), data.draw(currencies, label="currency")
        requested = sum((amount for _o, amount, _i in request), ZERO)
        exact = request and data.draw(st.booleans(), label="exact")
        amount = requested if exact else data.draw(money, label="amount") * 2
        code, rows = self.predict(party, currency, amount, request)

        def effect(record: Settlement) -> None:
            settlement = ModelSettlement(record, party, currency, amount)
            self.apply(settlement, rows)
            self.settlements.append(settlement)

        self.attempt(
            "record_settlement",
            code,
            lambda: services.record_settlement(
                direction=RECEIVABLE,
                actor=self.world.clerk,
                party=self.world.parties[party],
                amount=amount,
                occurred_on=PAID_ON,
                currency=currency,
                exchange_rate=RATE[currency],
                allocations=self.inputs(request),
            ),
            effect,
        )

    @precondition(lambda self: self.obligations and self.settlements)
    @rule(data=st.data())
    def allocate(self, data: st.DataObject) -> None:
        settlement = self.pick(
            data,
            self.settlements,
            [s for s in self.settlements if not s.reversed and s.allocated < s.amount],
        )
        everything = list(range(len(self.obligations)))
        theirs = [
            o
            for o in everything
            if (self.obligations[o].party, self.obligations[o].currency)
            == (settlement.party, settlement.currency)
            and self.obligations[o].outstanding > 0
        ]
        request = self.draw_request(
            data,
            theirs if theirs and data.draw(LIKELY) else everything,
            settlement.amount - settlement.allocated,
        )
        if settlement.reversed:
            code, rows = "invalid_state", []
        elif not request:
            code, rows = "invalid", []
        else:
            free = settlement.amount - settlement.allocated
            code, rows = self.predict(settlement.party, settlement.currency, free, request)
        self.attempt(
            "allocate",
            code,
            lambda: services.allocate(
                settlement.record, actor=self.world.clerk, allocations=self.inputs(request)
            ),
            lambda _rows: self.apply(settlement, rows),
        )

    @precondition(lambda self: self.settlements)
    @rule(data=st.data())
    def reverse_settlement(self, data: st.DataObject) -> None:
        settlement = self.pick(data, self.settlements, [s for s in self.settlements if not s.reversed])

        def effect(_record: Settlement) -> None:
            for o, i, take in settlement.live:
                self.obligations[o].allocated[i] -= take
            settlement.live = []
            settlement.reversed = True

        self.attempt(
            "reverse_settlement",
            "invalid_state" if settlement.reversed else None,
            lambda: services.reverse_settlement(settlement.record, actor=self.world.clerk, reason="红冲"),
            effect,
        )

    @precondition(lambda self: self.obligations)
    @rule(data=st.data())
    def reverse_opening_balance(self, data: st.DataObject) -> None:
        live = [o for o in self.obligations if o.opening and not o.reversed]
        allocated = [o for o in live if sum(o.allocated, ZERO) > 0]
        ob = self.pick(data, self.obligations, allocated if allocated and data.draw(st.booleans()) else live)
        if not ob.opening or ob.reversed:
            code: str | None = "invalid_state"
        elif sum(ob.allocated, ZERO) > 0:
            code = "has_downstream"
        else:
            code = None

        def effect(_record: Obligation) -> None:
            ob.reversed = True

        self.attempt(
            "reverse_opening_balance",
            code,
            lambda: services.reverse_opening_balance(ob.record, actor=self.world.clerk, reason="录错"),
            effect,
        )

    # invariants -----------------------------------------------------------------------------------

    @invariant()
    def the_ledger_agrees_with_itself_and_with_the_model(self) -> None:
        assert ledger_mismatches() == []
        live: defaultdict[int, D] = defaultdict(lambda: ZERO)
        for obligation_id, amount in Allocation.objects.filter(reversed_at__isnull=True).values_list(
            "obligation_id", "amount"
        ):
            live[obligation_id] += amount
        stored = {o.pk: o for o in Obligation.objects.all()}
        installments: defaultdict[int, list[D]] = defaultdict(list)
        for obligation_id, allocated in Installment.objects.order_by("obligation_id", "sequence").values_list(
            "obligation_id", "allocated"
        ):
            installments[obligation_id].append(allocated)
        assert len(stored) == len(self.obligations)
        for ob in self.obligations:
            row = stored[ob.record.pk]
            if ob.reversed:  # nothing is owed on a reversed record, and nothing is allocated to it
                assert row.outstanding == live[row.pk] == ob.outstanding == 0
            else:
                assert row.outstanding == row.amount - live[row.pk] == ob.outstanding
            assert installments[row.pk] == ob.allocated
            expected = (
                ObligationStatus.REVERSED
                if ob.reversed
                else ObligationStatus.SETTLED
                if ob.outstanding == 0
                else ObligationStatus.OPEN
            )
            assert row.status == expected
        settled = dict(Settlement.objects.values_list("pk", "allocated"))
        assert settled == {s.record.pk: s.allocated for s in self.settlements}


@pytest.mark.django_db
def test_random_sequences_of_money_operations_keep_the_ledger_equal_to_a_simple_model(company) -> None:
    parties = make_parties(company)
    MoneyLedgerMachine.world = World(
        clerk=company.finance_clerk, parties={"hospital": parties.hospital, "clinic": parties.clinic}
    )
    MoneyLedgerMachine.outcomes = Counter()
    started = time.monotonic()
    run_state_machine_as_test(
        MoneyLedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    seconds = time.monotonic() - started
    outcomes = MoneyLedgerMachine.outcomes
    steps = sum(n for key, n in outcomes.items() if ":" in key)
    print(
        f"FIGURE money_ledger_properties database={'postgresql' if IS_POSTGRES else 'sqlite'} "
        f"steps={steps} done={outcomes['done']} over_allocation={outcomes['over_allocation']} "
        f"currency_mismatch={outcomes['currency_mismatch']} invalid={outcomes['invalid']} "
        f"invalid_state={outcomes['invalid_state']} has_downstream={outcomes['has_downstream']} "
        f"seconds={seconds:.2f}"
    )
    assert outcomes["done"] > 0 and outcomes["over_allocation"] > 0  # both paths were exercised
    assert ledger_mismatches() == []
