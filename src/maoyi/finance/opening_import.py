"""Importing opening receivables and payables (导入期初应收/应付) from a table: one
`create_opening_balance` call per row, as the 录入期初 page makes them, so its rules and messages
apply. The party (customer or supplier) is named by its code or its full name and must be one the
importer may see; the kind of party defaults to customers for receivables and suppliers for
payables."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.importing import Cells, RowImporter, choice_lookup, labels
from maoyi.core.money import BASE_CURRENCY, Currency
from maoyi.core.tabular import Table, TemplateColumn
from maoyi.finance import services
from maoyi.finance.models import Direction
from maoyi.finance.parties import Party, PartyKind, search_parties

PARTY_KIND = "往来单位类型"
PARTY = "往来单位"
AMOUNT = "金额"
ISSUED_ON = "业务日期"
DUE_DATE = "到期日"
CURRENCY = "币种"
RATE = "汇率"
REFERENCE = "原单号"
NOTE = "备注"

PARTY_KINDS = (
    (PartyKind.CUSTOMER.value, PartyKind.CUSTOMER.label),
    (PartyKind.SUPPLIER.value, PartyKind.SUPPLIER.label),
)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class OpeningBalanceRow:
    party: Party
    amount: Decimal
    issued_on: dt.date
    due_date: dt.date | None
    currency: str
    exchange_rate: Decimal | None
    reference: str
    note: str


@dataclass(frozen=True)
class BalanceContext:
    parties: dict[tuple[str, str], list[Party]]
    kinds: dict[str, str]
    currencies: dict[str, str]


class OpeningBalanceImporter(RowImporter[OpeningBalanceRow]):
    required = (PARTY, AMOUNT, ISSUED_ON, DUE_DATE)
    field_columns = {
        "party": PARTY,
        "amount": AMOUNT,
        "issued_on": ISSUED_ON,
        "due_date": DUE_DATE,
        "currency": CURRENCY,
        "exchange_rate": RATE,
        "installments": DUE_DATE,
    }

    def __init__(self, direction: str):
        self.direction = direction
        receivable = direction == Direction.RECEIVABLE
        self.slug = "receivables" if receivable else "payables"
        self.title = gettext_lazy("期初应收") if receivable else gettext_lazy("期初应付")
        self.noun = gettext_lazy("笔期初应收") if receivable else gettext_lazy("笔期初应付")
        self.permissions = (f"finance.add_{direction}",)
        self.default_kind = PartyKind.CUSTOMER if receivable else PartyKind.SUPPLIER

    def template_columns(self) -> tuple[TemplateColumn, ...]:
        return (
            TemplateColumn(
                PARTY_KIND,
                width=12,
                note=_("填写：%(choices)s；不填为%(default)s。")
                % {"choices": labels(PARTY_KINDS), "default": self.default_kind.label},
                example=str(self.default_kind.label),
            ),
            TemplateColumn(
                PARTY,
                required=True,
                width=32,
                note=_("编码或完整名称，须是你可以查看的单位。"),
                example="北京协和医院",
            ),
            TemplateColumn(
                AMOUNT, required=True, width=14, note=_("大于 0，最多两位小数。"), example="12000.00"
            ),
            TemplateColumn(
                ISSUED_ON, required=True, width=12, note=_("日期，例如 2024-01-31。"), example="2024-01-31"
            ),
            TemplateColumn(
                DUE_DATE, required=True, width=12, note=_("日期，例如 2024-03-31。"), example="2024-03-31"
            ),
            TemplateColumn(
                CURRENCY,
                width=10,
                note=_("填写：%(choices)s；不填为人民币。") % {"choices": labels(Currency.choices)},
                example="人民币",
            ),
            TemplateColumn(RATE, width=10, note=_("外币必填，最多六位小数。"), example=""),
            TemplateColumn(REFERENCE, width=16, text=True, note=_("原系统的单据号。"), example="XS20231201"),
            TemplateColumn(NOTE, width=30, example=""),
        )

    def prepare(self, table: Table, *, actor: Any) -> BalanceContext:
        kinds = choice_lookup(PARTY_KINDS)
        wanted = {
            (kinds.get(row.get(PARTY_KIND).lower(), "") or self.default_kind.value, row.get(PARTY))
            for row in table.rows
            if row.get(PARTY)
        }
        user = actor.user if actor is not None else None
        parties = {key: search_parties(user, key[0], key[1], 20) for key in sorted(wanted)}
        return BalanceContext(parties=parties, kinds=kinds, currencies=choice_lookup(Currency.choices))

    def _party(self, cells: Cells, context: BalanceContext, kind: str) -> Party | None:
        text = cells.text(PARTY)
        if not text:
            return None
        found = context.parties.get((kind, text), [])
        exact = [p for p in found if p.name == text]
        if len(exact) == 1:
            return exact[0]
        if len(found) == 1 and not _CJK.search(text):  # a code
            return found[0]
        cells.refuse(PARTY, _("没有找到往来单位“%(name)s”（填写编码或完整名称）。") % {"name": text})
        return None

    def parse(self, cells: Cells, context: BalanceContext) -> OpeningBalanceRow | None:
        kind = cells.choice(
            PARTY_KIND,
            context.kinds,
            message=_("往来单位类型应为：%(choices)s。") % {"choices": labels(PARTY_KINDS)},
            default=self.default_kind.value,
        )
        party = self._party(cells, context, kind)
        amount = cells.decimal(AMOUNT, label=_("金额"), required=True, positive=True)
        issued_on = cells.date(ISSUED_ON, label=_("业务日期"), required=True)
        due_date = cells.date(DUE_DATE, label=_("到期日"))
        currency = cells.choice(
            CURRENCY,
            context.currencies,
            message=_("币种应为：%(choices)s。") % {"choices": labels(Currency.choices)},
            default=BASE_CURRENCY,
        )
        rate = cells.decimal(RATE, label=_("汇率"), places=6)
        reference = cells.text(REFERENCE, max_length=60)
        note = cells.text(NOTE)
        if party is None or amount is None or issued_on is None:
            return None
        return OpeningBalanceRow(
            party=party,
            amount=amount,
            issued_on=issued_on,
            due_date=due_date,
            currency=currency,
            exchange_rate=rate,
            reference=reference,
            note=note,
        )

    def create(self, item: OpeningBalanceRow, *, actor: Any, context: Any) -> None:
        services.create_opening_balance(direction=self.direction, actor=actor, **item.__dict__)


RECEIVABLES = OpeningBalanceImporter(Direction.RECEIVABLE)
PAYABLES = OpeningBalanceImporter(Direction.PAYABLE)
