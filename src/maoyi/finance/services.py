"""The money ledger service. Receivables and payables are opened by the documents they come from
(sales and purchase orders, returns: `open_obligation`, called inside the approving transaction) or
entered as opening balances by finance (`create_opening_balance`). Receipts and payments are
recorded by finance and allocated to them (`record_settlement`, `allocate`); a wrong one is
reversed (`reverse_settlement`), never edited or deleted.

Every allocation locks, in this order, the receipt or payment, then the receivables or payables by
id, then their installments by id, and computes the new `allocated` figures in Python (SQLite keeps
decimals as floats, so no F() arithmetic on money). Two finance clerks allocating to the same
receivable queue on its row; the second sees what the first took and is refused with
`over_allocation` if nothing is left."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.core.documents import DocRef
from maoyi.core.errors import DomainError, HasDownstream, InvalidState, NotFoundInScope, required_reason
from maoyi.core.money import BASE_CURRENCY, RATE_QUANTUM, Currency, quantize_money
from maoyi.core.numbering import next_number
from maoyi.core.permissions import require_permission
from maoyi.finance.models import (
    Allocation,
    Direction,
    ExchangeRate,
    Installment,
    Obligation,
    ObligationStatus,
    PartyRecord,
    Payable,
    Payment,
    PaymentMethod,
    Receipt,
    Receivable,
    Settlement,
    SettlementStatus,
)
from maoyi.finance.parties import Party
from maoyi.org import scope
from maoyi.org.models import Department, Employee

ZERO = Decimal("0")
OPENING_SOURCE = "opening"
MONEY_LIMIT = Decimal(10) ** 16  # MoneyField: 18 digits, 2 of them decimals
RATE_LIMIT = Decimal(10) ** 4  # RateField: 16 digits, 6 of them decimals (far above any real rate)

OBLIGATION_MODELS: dict[str, type[Obligation]] = {
    Direction.RECEIVABLE: Receivable,
    Direction.PAYABLE: Payable,
}
SETTLEMENT_MODELS: dict[str, type[Settlement]] = {
    Direction.RECEIVABLE: Receipt,
    Direction.PAYABLE: Payment,
}


class OverAllocation(DomainError):
    code = "over_allocation"
    default_message = _("核销金额超过未结金额。")


@dataclass(frozen=True)
class InstallmentInput:
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class AllocationInput:
    """Apply `amount` to a receivable or payable; to one of its installments when named, else to
    its installments earliest due first."""

    obligation_id: int
    amount: Decimal
    installment_id: int | None = None


# Checks ---------------------------------------------------------------------------------------------


def _direction(direction: str) -> str:
    if direction not in Direction.values:
        raise DomainError(_("方向无效。"), code="invalid", field="direction")
    return direction


AMOUNT_LABEL = _("金额")


def _amount(value: Decimal | None, field: str = "amount", label: str | Promise = AMOUNT_LABEL) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise DomainError(_("%(label)s必须大于零。"), code="invalid", field=field, label=label)
    if value != quantize_money(value):
        raise DomainError(_("%(label)s最多两位小数。"), code="invalid", field=field, label=label)
    if value >= MONEY_LIMIT:
        raise DomainError(_("%(label)s过大。"), code="invalid", field=field, label=label)
    return quantize_money(value)


def _currency(currency: str, rate: Decimal | None) -> tuple[str, Decimal]:
    if currency not in Currency.values:
        raise DomainError(_("币种无效。"), code="invalid", field="currency")
    if currency == BASE_CURRENCY:
        return currency, Decimal("1")
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise DomainError(_("外币须填写大于零的汇率。"), code="invalid", field="exchange_rate")
    if rate != rate.quantize(RATE_QUANTUM) or rate >= RATE_LIMIT:
        raise DomainError(_("汇率最多六位小数，且小于一万。"), code="invalid", field="exchange_rate")
    return currency, rate


def plan_installments(
    amount: Decimal, due_date: dt.date | None, installments: Sequence[InstallmentInput]
) -> list[InstallmentInput]:
    """The installment plan of an amount: one installment on `due_date` when none are given;
    otherwise each must be positive and together they must add up to the amount exactly."""
    if not installments:
        if due_date is None:
            raise DomainError(_("请填写到期日。"), code="invalid", field="due_date")
        return [InstallmentInput(due_date=due_date, amount=amount)]
    plan = []
    for index, item in enumerate(installments):
        if item.due_date is None:
            raise DomainError(
                _("第 %(row)s 期：请填写到期日。"),
                code="invalid",
                field=f"installments.{index}.due_date",
                row=index + 1,
            )
        plan.append(
            InstallmentInput(
                due_date=item.due_date,
                amount=_amount(item.amount, f"installments.{index}.amount", _("分期金额")),
            )
        )
    total = sum((item.amount for item in plan), ZERO)
    if total != amount:
        raise DomainError(
            _("分期金额合计 %(total)s 与总金额 %(amount)s 不一致。"),
            code="installments_mismatch",
            field="installments",
            total=f"{total:.2f}",
            amount=f"{amount:.2f}",
        )
    return sorted(plan, key=lambda item: item.due_date)


def _installments_text(obligation: Obligation, rows: Sequence[Installment] | None = None) -> str:
    """The installments as the audit shows them (`rows`: just written, in sequence order)."""
    if rows is None:
        rows = list(obligation.installments.order_by("sequence"))
    return "；".join(f"{i.due_date.isoformat()} {i.amount:.2f}" for i in rows)


R = TypeVar("R", bound=PartyRecord)


def _new_record(
    model: type[R],
    *,
    actor: Employee,
    party: Party,
    owner: Employee | None,
    amount: Decimal,
    currency: str,
    rate: Decimal,
    note: str,
    **fields: Any,
) -> R:
    """A new, numbered receivable, payable, receipt or payment of `party`, answered for by `owner`
    (default: the party's owner) and their department."""
    owner_id, department_id = (
        (owner.pk, owner.department_id) if owner else (party.owner_id, party.department_id)
    )
    record = model(
        number=next_number(model.DOCUMENT_TYPE),
        owner_id=owner_id,
        department_id=department_id,
        created_by=actor.user,
        party_kind=party.kind,
        party_id=party.id,
        party_name=party.name,
        currency=currency,
        exchange_rate=rate,
        amount=amount,
        note=note.strip(),
        **fields,
    )
    if owner is not None:
        record.owner = owner  # the audit's snapshot names the owner without reading it again
    record.save()
    return record


AUDIT_FIELDS = (
    "number",
    "party_name",
    "currency",
    "exchange_rate",
    "amount",
    "owner",
    "note",
)


# Receivables and payables ---------------------------------------------------------------------------


@transaction.atomic
def open_obligation(
    *,
    direction: str,
    actor: Employee,
    party: Party,
    amount: Decimal,
    issued_on: dt.date,
    due_date: dt.date | None = None,
    installments: Sequence[InstallmentInput] = (),
    currency: str = BASE_CURRENCY,
    exchange_rate: Decimal | None = None,
    source: DocRef | None = None,
    source_number: str = "",
    is_opening: bool = False,
    owner: Employee | None = None,
    note: str = "",
) -> Obligation:
    """Open a receivable or payable with its installments. Called by the service that approves
    the source document (inside its transaction, after its own permission check), and by
    `create_opening_balance`. The owner defaults to the party's owner."""
    return open_obligation_step(
        direction=direction,
        actor=actor,
        party=party,
        amount=amount,
        issued_on=issued_on,
        due_date=due_date,
        installments=installments,
        currency=currency,
        exchange_rate=exchange_rate,
        source=source,
        source_number=source_number,
        is_opening=is_opening,
        owner=owner,
        note=note,
    )


def open_obligation_step(
    *,
    direction: str,
    actor: Employee,
    party: Party,
    amount: Decimal,
    issued_on: dt.date,
    due_date: dt.date | None = None,
    installments: Sequence[InstallmentInput] = (),
    currency: str = BASE_CURRENCY,
    exchange_rate: Decimal | None = None,
    source: DocRef | None = None,
    source_number: str = "",
    is_opening: bool = False,
    owner: Employee | None = None,
    note: str = "",
) -> Obligation:
    """`open_obligation` as one step of the calling service's transaction, without a savepoint of
    its own: the caller must let a refusal end its transaction, never catch it and go on writing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_obligation_step must be called inside the document's transaction")
    model = OBLIGATION_MODELS[_direction(direction)]
    amount = _amount(amount)
    currency, rate = _currency(currency, exchange_rate)
    if issued_on is None:
        raise DomainError(_("请填写业务日期。"), code="invalid", field="issued_on")
    plan = plan_installments(amount, due_date, installments)
    obligation = _new_record(
        model,
        actor=actor,
        party=party,
        owner=owner,
        amount=amount,
        currency=currency,
        rate=rate,
        note=note,
        issued_on=issued_on,
        due_date=plan[-1].due_date,
        source_type=source.type if source else (OPENING_SOURCE if is_opening else ""),
        source_id=source.id if source else None,
        source_number=source.number if source else source_number.strip(),
        is_opening=is_opening,
    )
    rows = Installment.objects.bulk_create(
        Installment(obligation=obligation, sequence=index, due_date=item.due_date, amount=item.amount)
        for index, item in enumerate(plan, start=1)
    )
    audit.record_created(
        actor,
        obligation,
        (*AUDIT_FIELDS, "source_number", "issued_on", "due_date"),
        also={"installments": [None, _installments_text(obligation, rows)]},
    )
    return obligation


def create_opening_balance(
    *,
    direction: str,
    actor: Employee,
    party: Party,
    amount: Decimal,
    issued_on: dt.date,
    due_date: dt.date | None = None,
    installments: Sequence[InstallmentInput] = (),
    currency: str = BASE_CURRENCY,
    exchange_rate: Decimal | None = None,
    reference: str = "",
    owner: Employee | None = None,
    note: str = "",
) -> Obligation:
    """期初: what a party owed us (or we owed it) when the company started using Maoyi, entered by
    finance. `reference` is the old system's document number, kept as the source number."""
    model = OBLIGATION_MODELS[_direction(direction)]
    require_permission(actor, f"finance.add_{model._meta.model_name}")
    return open_obligation(
        direction=direction,
        actor=actor,
        party=party,
        amount=amount,
        issued_on=issued_on,
        due_date=due_date,
        installments=installments,
        currency=currency,
        exchange_rate=exchange_rate,
        source_number=reference,
        is_opening=True,
        owner=owner,
        note=note,
    )


def _reverse_obligation(obligation: Obligation, *, actor: Employee, reason: str) -> Obligation:
    locked = type(obligation)._default_manager.select_for_update().get(pk=obligation.pk)
    if locked.status == ObligationStatus.REVERSED:
        raise InvalidState(_("%(number)s 已红冲。"), number=locked.number)
    if locked.allocated > 0:
        raise HasDownstream(
            _("%(number)s 已核销 %(allocated)s，须先红冲相关的收付款单。"),
            number=locked.number,
            allocated=f"{locked.allocated:.2f}",
        )
    old = locked.status
    locked.status = ObligationStatus.REVERSED
    locked.reversed_at = timezone.now()
    locked.reversed_by = actor.user
    locked.reverse_reason = reason
    locked.save(update_fields=["status", "reversed_at", "reversed_by", "reverse_reason", "updated_at"])
    labels = dict(ObligationStatus.choices)
    audit.record(
        actor, "reverse", locked, {"status": [str(labels[old]), str(labels[locked.status])]}, note=reason
    )
    return locked


@transaction.atomic
def reverse_opening_balance(obligation: Obligation, *, actor: Employee, reason: str) -> Obligation:
    """红冲 an opening balance entered by mistake (nothing allocated to it yet). Receivables and
    payables of documents are reversed through their document (unapprove, return), never here."""
    require_permission(actor, f"finance.change_{type(obligation)._meta.model_name}")
    if not scope.can_view(actor.user, obligation):
        raise NotFoundInScope()
    if not obligation.is_opening:
        raise InvalidState(
            _("%(number)s 由单据 %(source)s 生成，请在来源单据上反审核或退货。"),
            number=obligation.number,
            source=obligation.source_number,
        )
    return _reverse_obligation(obligation, actor=actor, reason=required_reason(reason))


@transaction.atomic
def reverse_for_source(source: DocRef, *, actor: Employee, reason: str) -> list[Obligation]:
    """Reverse the receivables and payables a document opened (its unapprove or cancel calls this
    inside its own transaction); refused with `has_downstream` once money was allocated to any."""
    reason = required_reason(reason)
    found = Obligation.objects.filter(source_type=source.type, source_id=source.id).exclude(
        status=ObligationStatus.REVERSED
    )
    reversed_ = []
    for obligation in found.order_by("pk"):
        typed = OBLIGATION_MODELS[obligation.direction].objects.get(pk=obligation.pk)
        reversed_.append(_reverse_obligation(typed, actor=actor, reason=reason))
    return reversed_


# Receipts and payments ------------------------------------------------------------------------------


def _lock_settlement(settlement: Settlement) -> Settlement:
    return type(settlement)._default_manager.select_for_update().get(pk=settlement.pk)


def _allocations_text(rows: Iterable[Allocation]) -> str:
    return "；".join(f"{row.obligation.number}#{row.installment.sequence} {row.amount:.2f}" for row in rows)


def _apply(
    settlement: Settlement, allocations: Sequence[AllocationInput], *, actor: Employee
) -> list[Allocation]:
    """Allocate `settlement` (locked by the caller) to the requested receivables or payables."""
    if not allocations:
        return []
    requested = []
    for index, item in enumerate(allocations):
        requested.append(
            AllocationInput(
                obligation_id=item.obligation_id,
                amount=_amount(item.amount, f"allocations.{index}.amount", _("核销金额")),
                installment_id=item.installment_id,
            )
        )
    total = sum((item.amount for item in requested), ZERO)
    free = settlement.amount - settlement.allocated
    if total > free:
        raise OverAllocation(
            _("核销合计 %(total)s 超过本单未分配金额 %(free)s。"),
            field="allocations",
            total=f"{total:.2f}",
            free=f"{free:.2f}",
        )
    ids = sorted({item.obligation_id for item in requested})
    model = OBLIGATION_MODELS[settlement.direction]
    locked = {o.pk: o for o in model.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for index, item in enumerate(requested):
        obligation = locked.get(item.obligation_id)
        field = f"allocations.{index}.obligation"
        if obligation is None:
            raise DomainError(_("第 %(row)s 行：单据不存在。"), code="invalid", field=field, row=index + 1)
        if (obligation.party_kind, obligation.party_id) != (settlement.party_kind, settlement.party_id):
            raise DomainError(
                _("%(number)s 不是 %(party)s 的单据。"),
                code="invalid",
                field=field,
                number=obligation.number,
                party=settlement.party_name,
            )
        if obligation.currency != settlement.currency:
            raise DomainError(
                _("%(number)s 的币种是 %(theirs)s，本单是 %(ours)s，不能核销。"),
                code="currency_mismatch",
                field=field,
                number=obligation.number,
                theirs=obligation.currency,
                ours=settlement.currency,
            )
        if obligation.status == ObligationStatus.REVERSED:
            raise InvalidState(_("%(number)s 已红冲，不能核销。"), field=field, number=obligation.number)
        wanted[obligation.pk] += item.amount
    for pk, amount in wanted.items():
        obligation = locked[pk]
        if amount > obligation.outstanding:
            raise OverAllocation(
                _("%(number)s 未结金额 %(outstanding)s，本次核销 %(amount)s，超出 %(over)s。"),
                field="allocations",
                number=obligation.number,
                outstanding=f"{obligation.outstanding:.2f}",
                amount=f"{amount:.2f}",
                over=f"{amount - obligation.outstanding:.2f}",
            )
    installments = list(
        Installment.objects.select_for_update()
        .filter(obligation_id__in=ids)
        .order_by("obligation_id", "sequence")
    )
    by_obligation: dict[int, list[Installment]] = defaultdict(list)
    for inst in installments:
        by_obligation[inst.obligation_id].append(inst)
    # Named installments first, so the spread of the others cannot take what they asked for.
    ordered = sorted(requested, key=lambda item: item.installment_id is None)
    rows: list[Allocation] = []
    for item in ordered:
        obligation = locked[item.obligation_id]
        if item.installment_id is not None:
            target = next((i for i in by_obligation[obligation.pk] if i.pk == item.installment_id), None)
            if target is None:
                raise DomainError(
                    _("%(number)s 没有这一期。"),
                    code="invalid",
                    field="allocations",
                    number=obligation.number,
                )
            if item.amount > target.outstanding:
                raise OverAllocation(
                    _("%(number)s 第 %(seq)s 期未结金额 %(outstanding)s，本次核销 %(amount)s。"),
                    field="allocations",
                    number=obligation.number,
                    seq=target.sequence,
                    outstanding=f"{target.outstanding:.2f}",
                    amount=f"{item.amount:.2f}",
                )
            parts = [(target, item.amount)]
        else:
            parts, left = [], item.amount
            for inst in by_obligation[obligation.pk]:
                take = min(left, inst.outstanding)
                if take > 0:
                    parts.append((inst, take))
                    left -= take
            if left > 0:  # the obligation check above makes this unreachable; keep the guard
                raise OverAllocation(number=obligation.number)
        for inst, take in parts:
            inst.allocated = quantize_money(inst.allocated + take)
            obligation.allocated = quantize_money(obligation.allocated + take)
            rows.append(
                Allocation(
                    settlement=settlement,
                    obligation=obligation,
                    installment=inst,
                    amount=take,
                    created_by=actor.user,
                )
            )
    Allocation.objects.bulk_create(rows)
    for inst in installments:
        inst.save(update_fields=["allocated"])
    now = timezone.now()
    for pk in wanted:
        obligation = locked[pk]
        before = obligation.status
        obligation.status = (
            ObligationStatus.SETTLED if obligation.allocated == obligation.amount else ObligationStatus.OPEN
        )
        obligation.updated_at = now
        obligation.save(update_fields=["allocated", "status", "updated_at"])
        changes: dict[str, Any] = {
            "allocated": [f"{obligation.allocated - wanted[pk]:.2f}", f"{obligation.allocated:.2f}"]
        }
        if before != obligation.status:
            labels = dict(ObligationStatus.choices)
            changes["status"] = [str(labels[before]), str(labels[obligation.status])]
        audit.record(actor, "allocate", obligation, changes, note=settlement.number)
    settlement.allocated = quantize_money(settlement.allocated + total)
    settlement.updated_at = now
    settlement.save(update_fields=["allocated", "updated_at"])
    return rows


@transaction.atomic
def record_settlement(
    *,
    direction: str,
    actor: Employee,
    party: Party,
    amount: Decimal,
    occurred_on: dt.date,
    method: str = PaymentMethod.BANK_TRANSFER,
    currency: str = BASE_CURRENCY,
    exchange_rate: Decimal | None = None,
    reference: str = "",
    note: str = "",
    allocations: Sequence[AllocationInput] = (),
    owner: Employee | None = None,
) -> Settlement:
    """Record a receipt (direction receivable: money in) or a payment (payable: money out) and
    allocate it. What is not allocated stays on it as an advance, to allocate later."""
    model = SETTLEMENT_MODELS[_direction(direction)]
    require_permission(actor, f"finance.add_{model._meta.model_name}")
    amount = _amount(amount)
    currency, rate = _currency(currency, exchange_rate)
    if occurred_on is None:
        raise DomainError(_("请填写日期。"), code="invalid", field="occurred_on")
    if occurred_on > timezone.localdate():
        raise DomainError(_("日期不能晚于今天。"), code="invalid", field="occurred_on")
    if method not in PaymentMethod.values:
        raise DomainError(_("结算方式无效。"), code="invalid", field="method")
    settlement = _new_record(
        model,
        actor=actor,
        party=party,
        owner=owner,
        amount=amount,
        currency=currency,
        rate=rate,
        note=note,
        method=method,
        occurred_on=occurred_on,
        reference=reference.strip(),
    )
    rows = _apply(settlement, allocations, actor=actor)
    audit.record_created(
        actor,
        settlement,
        (*AUDIT_FIELDS, "method", "occurred_on", "reference"),
        also={"allocations": [None, _allocations_text(rows)]} if rows else None,
    )
    return settlement


@transaction.atomic
def allocate(
    settlement: Settlement, *, actor: Employee, allocations: Sequence[AllocationInput]
) -> list[Allocation]:
    """Allocate what is still unallocated on a receipt or payment (an advance) to receivables or
    payables of the same party."""
    require_permission(actor, f"finance.change_{type(settlement)._meta.model_name}")
    if not scope.can_view(actor.user, settlement):
        raise NotFoundInScope()
    locked = _lock_settlement(settlement)
    if locked.status == SettlementStatus.REVERSED:
        raise InvalidState(_("%(number)s 已红冲，不能核销。"), number=locked.number)
    if not allocations:
        raise DomainError(_("请至少核销一笔。"), code="invalid", field="allocations")
    rows = _apply(locked, allocations, actor=actor)
    audit.record(actor, "allocate", locked, {"allocations": [None, _allocations_text(rows)]})
    settlement.allocated = locked.allocated
    return rows


@transaction.atomic
def reverse_settlement(settlement: Settlement, *, actor: Employee, reason: str) -> Settlement:
    """红冲 a receipt or payment: it and its allocations stay, stamped reversed, and every amount it
    settled is owed again."""
    require_permission(actor, f"finance.change_{type(settlement)._meta.model_name}")
    if not scope.can_view(actor.user, settlement):
        raise NotFoundInScope()
    reason = required_reason(reason)
    locked = _lock_settlement(settlement)
    if locked.status == SettlementStatus.REVERSED:
        raise InvalidState(_("%(number)s 已红冲。"), number=locked.number)
    live = list(locked.allocations.filter(reversed_at__isnull=True).order_by("id"))
    ids = sorted({row.obligation_id for row in live})
    obligations = {
        o.pk: o
        for o in OBLIGATION_MODELS[locked.direction]
        .objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
    }
    installments = {
        i.pk: i
        for i in Installment.objects.select_for_update()
        .filter(pk__in={row.installment_id for row in live})
        .order_by("pk")
    }
    now = timezone.now()
    given_back: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in live:
        inst = installments[row.installment_id]
        inst.allocated = quantize_money(inst.allocated - row.amount)
        given_back[row.obligation_id] += row.amount
    for inst in installments.values():
        inst.save(update_fields=["allocated"])
    Allocation.objects.filter(pk__in=[row.pk for row in live]).update(reversed_at=now)
    labels = dict(ObligationStatus.choices)
    for pk, amount in given_back.items():
        obligation = obligations[pk]
        before_allocated, before_status = obligation.allocated, obligation.status
        obligation.allocated = quantize_money(obligation.allocated - amount)
        obligation.status = ObligationStatus.OPEN
        obligation.updated_at = now
        obligation.save(update_fields=["allocated", "status", "updated_at"])
        changes: dict[str, Any] = {"allocated": [f"{before_allocated:.2f}", f"{obligation.allocated:.2f}"]}
        if before_status != obligation.status:
            changes["status"] = [str(labels[before_status]), str(labels[obligation.status])]
        audit.record(actor, "unallocate", obligation, changes, note=locked.number)
    locked.status = SettlementStatus.REVERSED
    locked.allocated = ZERO
    locked.reversed_at = now
    locked.reversed_by = actor.user
    locked.reverse_reason = reason
    locked.updated_at = now
    locked.save(
        update_fields=["status", "allocated", "reversed_at", "reversed_by", "reverse_reason", "updated_at"]
    )
    settlement_labels = dict(SettlementStatus.choices)
    audit.record(
        actor,
        "reverse",
        locked,
        {"status": [str(settlement_labels[SettlementStatus.POSTED]), str(settlement_labels[locked.status])]},
        note=reason,
    )
    return locked


# Who answers for a party's money ---------------------------------------------------------------------


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # `reassign_party(department=KEEP)`: each record keeps its department


@transaction.atomic
def reassign_party(
    *,
    party_kind: str,
    party_id: int,
    owner: Employee | None,
    department: Department | None,
    actor: Employee | None = None,
    note: str = "",
) -> int:
    """A party changed hands (a customer claimed, released, transferred or returned to the public
    pool): its open receivables and payables and its unreversed receipts and payments follow —
    `owner` and `department` (`KEEP`: each record keeps its own). Settled and reversed records stay
    with whoever answered for them. Called by the party's app inside its own transaction, after its
    permission checks; locks receipts/payments first, then receivables/payables by id (the order
    allocations use). Audited on every record moved; returns how many moved."""
    moved = 0
    to_move: list[Any] = [
        model.objects.filter(status=SettlementStatus.POSTED) for model in SETTLEMENT_MODELS.values()
    ]
    to_move += [model.objects.filter(status=ObligationStatus.OPEN) for model in OBLIGATION_MODELS.values()]
    for qs in to_move:
        rows = list(qs.select_for_update().filter(party_kind=party_kind, party_id=party_id).order_by("pk"))
        for record in rows:
            before = audit.snapshot(record, ("owner", "department"))
            record.owner = owner
            if department is not KEEP:
                record.department = department
            changes = audit.diff(before, audit.snapshot(record, ("owner", "department")))
            if not changes:
                continue
            record.save(update_fields=["owner", "department"])
            audit.record(actor, "reassign", record, changes, note=note)
            moved += 1
    return moved


# Exchange rates -------------------------------------------------------------------------------------


@transaction.atomic
def set_exchange_rate(*, actor: Employee, currency: str, rate: Decimal, valid_from: dt.date) -> ExchangeRate:
    """Record what a foreign currency is worth in CNY from `valid_from` on (one rate per day; a
    second one the same day replaces it, audited)."""
    require_permission(actor, "finance.add_exchangerate")
    if currency == BASE_CURRENCY:
        raise DomainError(_("人民币是本位币，不需要汇率。"), code="invalid", field="currency")
    currency, rate = _currency(currency, rate)
    if valid_from is None:
        raise DomainError(_("请填写生效日期。"), code="invalid", field="valid_from")
    existing = (
        ExchangeRate.objects.select_for_update().filter(currency=currency, valid_from=valid_from).first()
    )
    if existing is None:
        found = ExchangeRate.objects.create(
            currency=currency, rate=rate, valid_from=valid_from, created_by=actor.user
        )
        audit.record_created(actor, found, ("currency", "rate", "valid_from"))
        return found
    if existing.rate != rate:
        audit.record(actor, "update", existing, {"rate": [f"{existing.rate}", f"{rate}"]})
        existing.rate = rate
        existing.save(update_fields=["rate"])
    return existing
