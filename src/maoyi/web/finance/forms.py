"""Forms of the money-ledger pages. They only parse input; the rules live in `maoyi.finance.services`,
whose refusals the views put back on the field, installment row or allocation row they name."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import BASE_CURRENCY, Currency
from maoyi.finance.models import PaymentMethod
from maoyi.finance.parties import PartyKind
from maoyi.finance.services import AllocationInput, InstallmentInput
from maoyi.org.models import Employee
from maoyi.org.selectors import active_employees
from maoyi.web.forms import StyledForm

INSTALLMENTS_PREFIX = "installments"
ALLOCATION_PREFIX = "alloc-"


class MoneyInput(forms.DecimalField):
    """An amount as accountants type it: thousands separators (6,000.00 or 6，000.00) are accepted."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").replace(" ", "")
        return super().to_python(value)


def _money(label: Any, *, required: bool = True) -> forms.DecimalField:
    return MoneyInput(
        label=label,
        max_digits=18,
        decimal_places=2,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _date(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


class PartyForm(StyledForm):
    """The party picker: a kind and the id the search box picked (a hidden input)."""

    party_kind = forms.ChoiceField(label=_("往来单位类型"), choices=PartyKind.choices)
    party = forms.IntegerField(
        label=_("往来单位"),
        widget=forms.HiddenInput,
        error_messages={"required": _("请选择往来单位。"), "invalid": _("请选择往来单位。")},
    )


class MoneyForm(PartyForm):
    amount = _money(_("金额"))
    currency = forms.ChoiceField(label=_("币种"), choices=Currency.choices, initial=BASE_CURRENCY)
    exchange_rate = forms.DecimalField(
        label=_("汇率"),
        max_digits=16,
        decimal_places=6,
        required=False,
        help_text=_("1 单位外币折合人民币；人民币不填。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class OpeningForm(MoneyForm):
    issued_on = _date(_("业务日期"), initial=timezone.localdate)
    due_date = _date(_("到期日"), required=False, help_text=_("分期时可不填，以最后一期为准。"))
    reference = forms.CharField(
        label=_("原单号"), max_length=60, required=False, help_text=_("旧系统里的单据编号。")
    )
    owner: forms.ModelChoiceField[Employee] = forms.ModelChoiceField(
        label=_("负责人"),
        queryset=Employee.objects.none(),
        required=False,
        empty_label=_("（按往来单位的负责人）"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_employees()  # type: ignore[attr-defined]


class InstallmentForm(StyledForm):
    due_date = _date(_("到期日"), required=False)
    amount = _money(_("金额"), required=False)


InstallmentFormSet = forms.formset_factory(InstallmentForm, extra=0)


def installment_inputs(formset: forms.BaseFormSet) -> tuple[list[InstallmentInput], list[int]]:
    """The installment rows someone filled in, with their position in the grid (blank rows are
    skipped; a half-filled row goes to the service, which names what is missing)."""
    plan, positions = [], []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or (data.get("due_date") is None and data.get("amount") is None):
            continue
        plan.append(InstallmentInput(due_date=data.get("due_date"), amount=data.get("amount")))
        positions.append(index)
    return plan, positions


def installment_rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The rows the grid starts from: what was posted, with each cell's errors."""
    if not formset.is_bound:
        return []
    rows = []
    for form in formset.forms:
        row: dict[str, Any] = {
            name: "" if form[name].value() is None else str(form[name].value()) for name in form.fields
        }
        row["errors"] = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
        rows.append(row)
    return rows


class SettlementForm(MoneyForm):
    method = forms.ChoiceField(label=_("结算方式"), choices=PaymentMethod.choices)
    occurred_on = _date(_("日期"), initial=timezone.localdate)
    reference = forms.CharField(label=_("流水号/票据号"), max_length=100, required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def allocation_values(data: Any) -> dict[int, str]:
    """The allocation inputs of a post (`alloc-<receivable id>`), as typed."""
    values = {}
    for key in data:
        if key.startswith(ALLOCATION_PREFIX) and key[len(ALLOCATION_PREFIX) :].isdigit():
            values[int(key[len(ALLOCATION_PREFIX) :])] = data.get(key, "").strip()
    return values


def allocation_inputs(values: dict[int, str]) -> tuple[list[AllocationInput], dict[int, str]]:
    """The non-empty allocation amounts, and an error per row whose amount is not a number."""
    inputs, errors = [], {}
    for obligation_id, raw in values.items():
        if not raw:
            continue
        try:
            amount = Decimal(raw.replace(",", "").replace("，", "").replace(" ", ""))
        except InvalidOperation:
            errors[obligation_id] = str(_("请输入数字。"))
            continue
        if not amount.is_finite():
            errors[obligation_id] = str(_("请输入数字。"))
        elif amount != 0:
            inputs.append(AllocationInput(obligation_id=obligation_id, amount=amount))
    return inputs, errors
