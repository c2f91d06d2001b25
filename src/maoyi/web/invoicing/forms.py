"""Forms of the invoice pages. They only parse input; the rules live in `maoyi.invoicing.services`,
whose refusals the views put back on the field or allocation row they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.invoicing.models import InvoiceDirection, InvoiceKind
from maoyi.invoicing.services import AllocationInput
from maoyi.web.finance.forms import MoneyInput, allocation_inputs, allocation_values
from maoyi.web.forms import StyledForm, date_field


def _money(label: Any) -> forms.DecimalField:
    return MoneyInput(
        label=label,
        max_digits=18,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "text-end"}),
    )


class InvoiceForm(StyledForm):
    direction = forms.ChoiceField(label=_("发票方向"), choices=InvoiceDirection.choices)
    kind = forms.ChoiceField(label=_("发票类型"), choices=InvoiceKind.choices)
    number = forms.CharField(
        label=_("发票号码"),
        max_length=40,
        help_text=_("专票、普票 8 位或 20 位，数电票 20 位。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    issued_on = date_field(_("开票日期"), initial=timezone.localdate)
    party = forms.IntegerField(
        label=_("往来单位"),
        widget=forms.HiddenInput,
        error_messages={"required": _("请选择往来单位。"), "invalid": _("请选择往来单位。")},
    )
    amount = _money(_("金额（不含税）"))
    tax_amount = _money(_("税额"))
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class ReverseForm(StyledForm):
    red_number = forms.CharField(
        label=_("红字发票号码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    issued_on = date_field(_("红字发票开票日期"), initial=timezone.localdate)
    reason = forms.CharField(
        label=_("红冲原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def posted_allocations(data: Any) -> tuple[dict[int, str], list[AllocationInput], dict[int, str]]:
    """The grid's inputs (`alloc-<order id>`) as typed, the non-empty amounts, and an error per
    row whose amount is not a number."""
    values = allocation_values(data)
    parsed, errors = allocation_inputs(values)
    return values, [AllocationInput(document_id=a.obligation_id, amount=a.amount) for a in parsed], errors
