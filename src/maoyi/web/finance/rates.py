"""汇率 pages: the rates of each foreign currency, newest first, with the one in force today
highlighted; and the form finance sets a rate with (one per currency and day: a second one the
same day replaces it). Reading needs finance.view_exchangerate, setting finance.add_exchangerate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.errors import DomainError
from maoyi.core.money import BASE_CURRENCY, Currency
from maoyi.core.tabular import Kind
from maoyi.finance import selectors, services
from maoyi.finance.models import ExchangeRate
from maoyi.web.common import acting_employee, form_data, form_status
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error

FOREIGN = [(value, label) for value, label in Currency.choices if value != BASE_CURRENCY]


@dataclass
class CurrencyRates:
    """One currency's rates, newest first; `current` is the one in force today."""

    currency: str
    label: Any
    rates: list[ExchangeRate] = field(default_factory=list)
    current: ExchangeRate | None = None


class RateForm(StyledForm):
    currency = forms.ChoiceField(label=gettext_lazy("币种"), choices=FOREIGN)
    rate = forms.DecimalField(
        label=gettext_lazy("汇率"),
        help_text=gettext_lazy("1 单位外币折合多少人民币，最多六位小数。"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def rate_table(today: dt.date) -> list[CurrencyRates]:
    groups = {value: CurrencyRates(value, label) for value, label in FOREIGN}
    for rate in selectors.exchange_rates():
        group = groups.get(rate.currency)
        if group is None:
            continue
        group.rates.append(rate)
        if group.current is None and rate.valid_from <= today:
            group.current = rate
    return list(groups.values())


@dataclass(frozen=True)
class RateRow:
    """One rate as a row of the export: its currency group and whether it is today's."""

    group: CurrencyRates
    rate: ExchangeRate
    today: dt.date

    @property
    def state(self) -> str:
        if self.rate == self.group.current:
            return _("当前汇率")
        return _("未生效") if self.rate.valid_from > self.today else ""

    @property
    def entered_by(self) -> str:
        user = self.rate.created_by
        employee = getattr(user, "employee", None) if user is not None else None
        return employee.name if employee is not None else (user.username if user is not None else "")


# The list's columns in its Excel export (导出), as on screen.
RATE_COLUMNS = [
    ExportColumn(gettext_lazy("币种"), key="group.currency"),
    ExportColumn(gettext_lazy("币种名称"), getter=lambda row: str(row.group.label)),
    ExportColumn(gettext_lazy("生效日期"), key="rate.valid_from", kind=Kind.DATE),
    ExportColumn(gettext_lazy("汇率"), key="rate.rate", kind=Kind.NUMBER),
    ExportColumn(gettext_lazy("状态"), key="state"),
    ExportColumn(gettext_lazy("录入人"), key="entered_by"),
]


@permission_required("finance.view_exchangerate", raise_exception=True)
def rate_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if wants_xlsx(request):
        rows = [RateRow(group, rate, today) for group in rate_table(today) for rate in group.rates]
        return xlsx_response(request, rows, RATE_COLUMNS, gettext_lazy("汇率"))
    return render(request, "web/finance/rate_list.html", {"groups": rate_table(today), "today": today})


@permission_required("finance.add_exchangerate", raise_exception=True)
def rate_create(request: HttpRequest) -> HttpResponse:
    actor = acting_employee(request)
    initial: dict[str, Any] = {"valid_from": timezone.localdate()}
    wanted = request.GET.get("currency", "")
    if wanted in dict(FOREIGN):
        initial["currency"] = wanted
        current = selectors.rate_on(wanted)
        if current is not None:
            initial["rate"] = format(Decimal(current).normalize(), "f")
    form = RateForm(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.set_exchange_rate(
                actor=actor, currency=data["currency"], rate=data["rate"], valid_from=data["valid_from"]
            )
        except DomainError as exc:
            if exc.field == "exchange_rate":
                exc.field = "rate"
            apply_domain_error(form, exc)
        else:
            done = _("已设置汇率：1 %(currency)s = %(rate)s 人民币，%(day)s 起生效。")
            rate = format(Decimal(saved.rate).normalize(), "f")
            messages.success(
                request,
                done % {"currency": saved.currency, "rate": rate, "day": saved.valid_from.isoformat()},
            )
            return redirect("web:rate-list")
    return render(request, "web/finance/rate_form.html", {"form": form}, status=form_status(form))
