"""Money-ledger pages: receivables and payables (list, detail, 期初 entry, 红冲 of an opening
balance), receipts and payments (list, new with allocations, detail with allocate and 红冲), aging
(账龄), statements of account (对账单), what falls due (到期提醒), and the party search the pickers use.

Receivables and receipts are one side of the ledger, payables and payments the other; every view
is written once and takes the side's `direction` from the URL conf. A missing permission answers 403;
a record that is missing or outside the user's data scope answers 404. Each view parses the request,
calls one selector or service and renders."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.finance import parties, selectors, services
from maoyi.finance.models import (
    Direction,
    Obligation,
    ObligationStatus,
    PaymentMethod,
    Settlement,
    SettlementStatus,
)
from maoyi.finance.parties import Party, PartyKind
from maoyi.finance.services import AllocationInput
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.web.common import acting_employee, chosen_tab, form_data, or_404, record_panels
from maoyi.web.documents import document_url
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.finance.forms import (
    INSTALLMENTS_PREFIX,
    InstallmentFormSet,
    OpeningForm,
    PartyForm,
    ReasonForm,
    SettlementForm,
    allocation_inputs,
    allocation_values,
    installment_inputs,
    installment_rows,
)
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate

T = TypeVar("T")


@dataclass(frozen=True)
class Side:
    """One side of the ledger as the pages see it: receivables with receipts, or payables with
    payments. `obligation` and `settlement` are the model names, which prefix the URL names and
    name the permissions."""

    direction: str
    obligation: str
    settlement: str
    label: Any
    settlements_label: Any
    verb: Any
    new_label: Any
    advance_label: Any
    party_kind: str

    def perm(self, model: str, action: str) -> str:
        return f"finance.{action}_{getattr(self, model)}"

    # URL names, for the templates.
    @property
    def list_url(self) -> str:
        return f"web:{self.obligation}-list"

    @property
    def detail_url(self) -> str:
        return f"web:{self.obligation}-detail"

    @property
    def opening_url(self) -> str:
        return f"web:{self.obligation}-opening"

    @property
    def reverse_url(self) -> str:
        return f"web:{self.obligation}-reverse"

    @property
    def settlement_list_url(self) -> str:
        return f"web:{self.settlement}-list"

    @property
    def settlement_create_url(self) -> str:
        return f"web:{self.settlement}-create"

    @property
    def settlement_detail_url(self) -> str:
        return f"web:{self.settlement}-detail"

    @property
    def settlement_allocate_url(self) -> str:
        return f"web:{self.settlement}-allocate"

    @property
    def settlement_reverse_url(self) -> str:
        return f"web:{self.settlement}-reverse"

    @property
    def open_items_url(self) -> str:
        return f"web:{self.settlement}-open-items"


SIDES = {
    Direction.RECEIVABLE.value: Side(
        direction=Direction.RECEIVABLE,
        obligation="receivable",
        settlement="receipt",
        label=gettext_lazy("应收款"),
        settlements_label=gettext_lazy("收款单"),
        verb=pgettext_lazy("button", "收款"),
        new_label=gettext_lazy("新建收款"),
        advance_label=gettext_lazy("未分配（预收）"),
        party_kind=PartyKind.CUSTOMER,
    ),
    Direction.PAYABLE.value: Side(
        direction=Direction.PAYABLE,
        obligation="payable",
        settlement="payment",
        label=gettext_lazy("应付款"),
        settlements_label=gettext_lazy("付款单"),
        verb=pgettext_lazy("button", "付款"),
        new_label=gettext_lazy("新建付款"),
        advance_label=gettext_lazy("未分配（预付）"),
        party_kind=PartyKind.SUPPLIER,
    ),
}
BY_DOCUMENT_TYPE = {**{s.obligation: s for s in SIDES.values()}, **{s.settlement: s for s in SIDES.values()}}

OBLIGATION_STATUSES = (
    (ObligationStatus.OPEN.value, ObligationStatus.OPEN.label),
    (ObligationStatus.SETTLED.value, ObligationStatus.SETTLED.label),
    (ObligationStatus.REVERSED.value, ObligationStatus.REVERSED.label),
    ("all", gettext_lazy("全部状态")),
)
# Who may open a party's own page (the party's app decides; the link is hidden from the rest).
PARTY_PAGE_PERMISSIONS = {
    PartyKind.CUSTOMER.value: "crm.view_customer",
    PartyKind.SUPPLIER.value: "purchasing.view_supplier",
}
DUE_SOON_DAYS = 7
RECORD_TABS = {"attachments": gettext_lazy("附件"), "history": gettext_lazy("操作日志")}


# Helpers -------------------------------------------------------------------------------------------


def _require(request: HttpRequest, *permissions: str) -> None:
    """403 unless the user holds one of the permissions."""
    if not any(request.user.has_perm(p) for p in permissions):
        raise PermissionDenied


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _kind(value: str | None, default: str = "") -> str:
    return value if value in PartyKind.values else default


def _party(request: HttpRequest, kind: str, party_id: int | None) -> Party | None:
    if not kind or party_id is None:
        return None
    return parties.get_party(request.user, kind, party_id)


def _party_url(request: HttpRequest, kind: str, party_id: int, cache: dict[str, str] | None = None) -> str:
    """The party's own page, when its app has one and the user may open it; else ""."""
    cache = {} if cache is None else cache
    if kind not in cache:
        source = parties.source(kind)
        allowed = request.user.has_perm(PARTY_PAGE_PERMISSIONS.get(kind, "-"))
        cache[kind] = source.url_name if source is not None and source.url_name and allowed else ""
    return reverse(cache[kind], args=[party_id]) if cache[kind] else ""


def _with_party_urls(request: HttpRequest, records: Iterable[Any]) -> list[Any]:
    cache: dict[str, str] = {}
    rows = list(records)
    for record in rows:
        record.party_url = _party_url(request, record.party_kind, record.party_id, cache)
    return rows


def _directions(request: HttpRequest) -> list[Side]:
    """The sides whose receivables or payables the user may see."""
    return [side for side in SIDES.values() if request.user.has_perm(side.perm("obligation", "view"))]


def _chosen_side(request: HttpRequest) -> Side:
    """The side named by ?direction=, which the user must be allowed to see; else the first they may."""
    allowed = _directions(request)
    if not allowed:
        raise PermissionDenied
    wanted = request.GET.get("direction", "")
    if wanted in SIDES:
        if SIDES[wanted] not in allowed:
            raise PermissionDenied
        return SIDES[wanted]
    return allowed[0]


def _owners(request: HttpRequest, side: Side) -> list[Employee]:
    """The owners a list may be filtered by: those of the records the user may see."""
    owned = selectors.obligations(request.user, side.direction).exclude(owner=None).values("owner")
    return list(scope.visible(request.user, Employee.objects.filter(pk__in=owned)).order_by("pinyin"))


# Receivables and payables --------------------------------------------------------------------------


def _obligation_status(obligation: Obligation) -> str:
    """As the list's badge: an open one past due reads 已逾期."""
    return _("已逾期") if obligation.is_overdue else obligation.get_status_display()


# The list's columns in its Excel export (导出), as on screen.
OBLIGATION_COLUMNS = [
    ExportColumn(gettext_lazy("单据编号"), key="number"),
    ExportColumn(gettext_lazy("往来单位"), key="party_name"),
    ExportColumn(gettext_lazy("来源单据"), key="source_number"),
    ExportColumn(gettext_lazy("币种"), key="currency"),
    ExportColumn(gettext_lazy("金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("已核销"), key="allocated", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("未结金额"), key="outstanding", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("到期日"), getter=lambda o: o.next_due_date or o.due_date, kind=Kind.DATE),
    ExportColumn(gettext_lazy("负责人"), key="owner.name"),
    ExportColumn(gettext_lazy("状态"), getter=_obligation_status),
]


def obligation_list(request: HttpRequest, direction: str) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("obligation", "view"))
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", ObligationStatus.OPEN)
    status = status if status in dict(OBLIGATION_STATUSES) else ObligationStatus.OPEN
    overdue = request.GET.get("overdue") == "1"
    party_kind = _kind(request.GET.get("kind"))
    ordering = request.GET.get("o", "")
    owner_id = request.GET.get("owner", "")
    qs = selectors.obligations(
        request.user,
        side.direction,
        search=search,
        party_kind=party_kind,
        status="" if status == "all" else status,
        overdue=overdue,
        owner_id=int(owner_id) if owner_id.isdigit() else None,
        ordering=ordering,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, OBLIGATION_COLUMNS, side.label)
    listing = paginate(request, qs, ordering=ordering)
    listing.page.object_list = _with_party_urls(request, listing.page.object_list)
    context = {
        "side": side,
        "listing": listing,
        "totals": selectors.totals_by_currency(qs),
        "q": search,
        "status": status,
        "statuses": OBLIGATION_STATUSES,
        "overdue": overdue,
        "kind": party_kind,
        "kinds": PartyKind.choices,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or party_kind or overdue or status != ObligationStatus.OPEN),
        "can_add": request.user.has_perm(side.perm("obligation", "add")),
        "can_settle": request.user.has_perm(side.perm("settlement", "add")),
        "today": timezone.localdate(),
    }
    return render(request, "web/finance/obligation_list.html", context)


def _obligation_page(
    request: HttpRequest, side: Side, obligation: Obligation, reverse_form: Form | None = None
) -> HttpResponse:
    today = timezone.localdate()
    installments = selectors.installments_of(obligation)
    for inst in installments:
        late = obligation.status == ObligationStatus.OPEN and inst.outstanding > 0 and inst.due_date < today
        inst.overdue = late  # type: ignore[attr-defined]
    can_change = request.user.has_perm(side.perm("obligation", "change"))
    context = {
        "side": side,
        "obligation": obligation,
        "party_url": _party_url(request, obligation.party_kind, obligation.party_id),
        "source_url": document_url(obligation.source_type, obligation.source_id)
        if obligation.source_id
        else None,
        "installments": installments,
        "allocations": selectors.allocations_of(obligation),
        "tab": chosen_tab(request, RECORD_TABS),
        "tabs": RECORD_TABS,
        "can_settle": obligation.status == ObligationStatus.OPEN
        and request.user.has_perm(side.perm("settlement", "add")),
        "can_reverse": can_change
        and obligation.is_opening
        and obligation.status != ObligationStatus.REVERSED,
        "reverse_form": reverse_form or ReasonForm(),
        **record_panels(obligation),
    }
    status = 400 if reverse_form is not None and reverse_form.errors else 200
    return render(request, "web/finance/obligation_detail.html", context, status=status)


def obligation_detail(request: HttpRequest, direction: str, pk: int) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("obligation", "view"))
    return _obligation_page(request, side, or_404(selectors.obligation, request.user, side.direction, pk))


@require_POST
def obligation_reverse(request: HttpRequest, direction: str, pk: int) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("obligation", "change"))
    obligation = or_404(selectors.obligation, request.user, side.direction, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.reverse_opening_balance(
                obligation, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已红冲 %(number)s。") % {"number": obligation.number})
            return redirect(side.detail_url, obligation.pk)
    return _obligation_page(request, side, obligation, reverse_form=form)


def _put_installment_error(exc: DomainError, form: Form, formset: BaseFormSet, positions: list[int]) -> bool:
    """A refusal about `installments.<n>.<field>` (n counting filled rows) goes on that grid cell."""
    parts = (exc.field or "").split(".")
    if len(parts) == 3 and parts[0] == INSTALLMENTS_PREFIX and parts[1].isdigit():
        index = int(parts[1])
        if index < len(positions):
            row = formset.forms[positions[index]]
            row.add_error(parts[2] if parts[2] in row.fields else None, exc.message)
            return True
    return False


def opening_create(request: HttpRequest, direction: str) -> HttpResponse:
    """录入期初: what a party owed (or was owed) when the company started using Maoyi."""
    side = SIDES[direction]
    _require(request, side.perm("obligation", "add"))
    actor = acting_employee(request)
    form = OpeningForm(form_data(request), initial={"party_kind": side.party_kind})
    formset = InstallmentFormSet(form_data(request), prefix=INSTALLMENTS_PREFIX)
    grid_error = ""
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        party = _party(request, data["party_kind"], data["party"])
        plan, positions = installment_inputs(formset)
        if party is None:
            form.add_error("party", _("请选择往来单位。"))
        else:
            try:
                saved = services.create_opening_balance(
                    direction=side.direction,
                    actor=actor,
                    party=party,
                    amount=data["amount"],
                    issued_on=data["issued_on"],
                    due_date=data["due_date"],
                    installments=plan,
                    currency=data["currency"],
                    exchange_rate=data["exchange_rate"],
                    reference=data["reference"],
                    owner=data["owner"],
                    note=data["note"],
                )
            except DomainError as exc:
                if exc.field == INSTALLMENTS_PREFIX:
                    grid_error = exc.message
                elif not _put_installment_error(exc, form, formset, positions):
                    apply_domain_error(form, exc)
            else:
                messages.success(request, _("已录入期初 %(number)s。") % {"number": saved.number})
                return redirect(side.detail_url, saved.pk)
    has_errors = bool(form.errors or grid_error or any(f.errors for f in formset.forms))
    context = {
        "side": side,
        "form": form,
        "party": _posted_party(request, form),
        "installment_rows": installment_rows(formset),
        "grid_error": grid_error,
        "grid_has_errors": any(f.errors for f in formset.forms) if formset.is_bound else False,
    }
    return render(request, "web/finance/opening_form.html", context, status=400 if has_errors else 200)


def _posted_party(request: HttpRequest, form: Form) -> Party | None:
    """The party a form shows as picked: the posted one, or its initial one."""
    if form.is_bound:
        return _party(request, _kind(form.data.get("party_kind")), _int(form.data.get("party")))
    return _party(request, _kind(form.initial.get("party_kind")), form.initial.get("party"))


# Receipts and payments -----------------------------------------------------------------------------


def _settlement_status(settlement: Any) -> str:
    """As the list's badge: 已核销 / 部分核销 once allocated, else the status."""
    if settlement.status == SettlementStatus.REVERSED:
        return settlement.get_status_display()
    if settlement.allocated == settlement.amount:
        return _("已核销")
    return _("部分核销") if settlement.allocated else settlement.get_status_display()


def _settlement_party(settlement: Any) -> str:
    """The party as on screen, a refund (the other side's party) marked."""
    if settlement.party_kind != SIDES[settlement.direction].party_kind:
        return f"{settlement.party_name}（{_('退款')}）"
    return settlement.party_name


# The list's columns in its Excel export (导出), as on screen.
SETTLEMENT_COLUMNS = [
    ExportColumn(gettext_lazy("单据编号"), key="number"),
    ExportColumn(gettext_lazy("日期"), key="occurred_on", kind=Kind.DATE),
    ExportColumn(gettext_lazy("往来单位"), getter=_settlement_party),
    ExportColumn(gettext_lazy("结算方式"), key="get_method_display"),
    ExportColumn(gettext_lazy("流水号"), key="reference"),
    ExportColumn(gettext_lazy("币种"), key="currency"),
    ExportColumn(gettext_lazy("金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(gettext_lazy("已核销"), key="allocated", kind=Kind.MONEY),
    ExportColumn(
        gettext_lazy("未核销"),
        getter=lambda s: None if s.status == SettlementStatus.REVERSED else s.outstanding,
        kind=Kind.MONEY,
    ),
    ExportColumn(gettext_lazy("状态"), getter=_settlement_status),
]


def settlement_list(request: HttpRequest, direction: str) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("settlement", "view"))
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in SettlementStatus.values else ""
    method = request.GET.get("method", "")
    method = method if method in PaymentMethod.values else ""
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    unallocated = request.GET.get("unallocated") == "1"
    ordering = request.GET.get("o", "")
    qs = selectors.settlements(
        request.user,
        side.direction,
        search=search,
        status=status,
        method=method,
        date_from=date_from,
        date_to=date_to,
        unallocated=unallocated,
        ordering=ordering,
    )
    if wants_xlsx(request):
        return xlsx_response(request, qs, SETTLEMENT_COLUMNS, side.settlements_label)
    listing = paginate(request, qs, ordering=ordering)
    listing.page.object_list = _with_party_urls(request, listing.page.object_list)
    context = {
        "side": side,
        "listing": listing,
        "totals": selectors.totals_by_currency(qs.exclude(status=SettlementStatus.REVERSED)),
        "q": search,
        "status": status,
        "statuses": SettlementStatus.choices,
        "method": method,
        "methods": PaymentMethod.choices,
        "date_from": date_from,
        "date_to": date_to,
        "unallocated": unallocated,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or status or method or date_from or date_to or unallocated),
        "can_add": request.user.has_perm(side.perm("settlement", "add")),
    }
    return render(request, "web/finance/settlement_list.html", context)


def _open_items(
    request: HttpRequest,
    side: Side,
    party: Party | None,
    currency: str,
    *,
    values: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
    preferred: int | None = None,
) -> dict[str, Any]:
    """What the allocation table shows: the party's open receivables (payables) in the currency,
    earliest due first (a preferred one first of all), each with the amount typed for it."""
    items: list[dict[str, Any]] = []
    prefilled = values is not None
    if party is not None:
        found = selectors.open_obligations(
            request.user, side.direction, party_kind=party.kind, party_id=party.id, currency=currency
        )
        found.sort(key=lambda o: o.pk != preferred)
        values, errors = values or {}, errors or {}
        items = [
            {
                "obligation": o,
                "value": values.get(o.pk, ""),
                "error": errors.get(o.pk, ""),
                "overdue": o.is_overdue,
            }
            for o in found
        ]
    return {"items": items, "party": party, "currency": currency, "prefilled": prefilled}


def _allocation_error(
    exc: DomainError, form: Form, allocations: list[AllocationInput], items: dict[str, Any]
) -> dict[int, str]:
    """Put a refusal about the allocations at the top of the form and on the row it is about (named
    by its position, `allocations.<n>.…`, or by the receivable's number); others on their field."""
    parts = (exc.field or "").split(".")
    if parts[0] != "allocations":
        apply_domain_error(form, exc)
        return {}
    form.add_error(None, exc.message)
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(allocations):
        return {allocations[int(parts[1])].obligation_id: exc.message}
    number = exc.params.get("number")
    for item in items["items"]:
        if number and item["obligation"].number == number:
            return {item["obligation"].pk: exc.message}
    return {}


def _settlement_initial(request: HttpRequest, side: Side) -> tuple[dict[str, Any], int | None]:
    """What ?kind=&party=&obligation= prefill: the party, and for a named receivable (payable) its
    currency, rate and outstanding amount, allocated to it first."""
    initial: dict[str, Any] = {
        "party_kind": _kind(request.GET.get("kind"), side.party_kind),
        "party": _int(request.GET.get("party")),
    }
    obligation_id = _int(request.GET.get("obligation"))
    if obligation_id is None:
        return initial, None
    try:
        obligation = selectors.obligation(request.user, side.direction, obligation_id)
    except NotFoundInScope:
        return initial, None
    initial.update(
        party_kind=obligation.party_kind,
        party=obligation.party_id,
        currency=obligation.currency,
        exchange_rate=obligation.exchange_rate if obligation.currency != "CNY" else None,
        amount=obligation.outstanding if obligation.status == ObligationStatus.OPEN else None,
    )
    return initial, obligation.pk if obligation.status == ObligationStatus.OPEN else None


def settlement_create(request: HttpRequest, direction: str) -> HttpResponse:
    """新建收款/付款: the money, and below it the party's open receivables (payables) to allocate it to."""
    side = SIDES[direction]
    _require(request, side.perm("settlement", "add"))
    actor = acting_employee(request)
    initial, preferred = _settlement_initial(request, side)
    form = SettlementForm(form_data(request), initial=initial)
    party = _posted_party(request, form)
    values: dict[int, str] | None = None
    row_errors: dict[int, str] = {}
    if request.method == "POST":
        values = allocation_values(request.POST)
        allocations, row_errors = allocation_inputs(values)
        if row_errors:
            form.add_error(None, _("核销金额有误，请检查标红的行。"))
        if form.is_valid() and not row_errors:
            data = form.cleaned_data
            if party is None:
                form.add_error("party", _("请选择往来单位。"))
            else:
                try:
                    saved = services.record_settlement(
                        direction=side.direction,
                        actor=actor,
                        party=party,
                        amount=data["amount"],
                        occurred_on=data["occurred_on"],
                        method=data["method"],
                        currency=data["currency"],
                        exchange_rate=data["exchange_rate"],
                        reference=data["reference"],
                        note=data["note"],
                        allocations=allocations,
                    )
                except DomainError as exc:
                    shown = _open_items(request, side, party, data["currency"], values=values)
                    row_errors = _allocation_error(exc, form, allocations, shown)
                else:
                    messages.success(
                        request,
                        _("已保存 %(number)s，核销 %(allocated)s，未分配 %(left)s。")
                        % {
                            "number": saved.number,
                            "allocated": f"{saved.allocated:,.2f}",
                            "left": f"{saved.outstanding:,.2f}",
                        },
                    )
                    return redirect(side.settlement_detail_url, saved.pk)
    elif preferred is not None and initial.get("amount"):
        values = {preferred: f"{initial['amount']:.2f}"}
    currency = form.data.get("currency", "CNY") if form.is_bound else initial.get("currency", "CNY")
    context = {
        "side": side,
        "form": form,
        "party": party,
        **_open_items(request, side, party, currency, values=values, errors=row_errors, preferred=preferred),
        "total_source": "#id_amount",
    }
    return render(request, "web/finance/settlement_form.html", context, status=400 if form.errors else 200)


@require_GET
def settlement_open_items(request: HttpRequest, direction: str) -> HttpResponse:
    """The allocation table of the receipt (payment) form, refreshed by htmx when the party or the
    currency changes."""
    side = SIDES[direction]
    _require(request, side.perm("settlement", "add"), side.perm("settlement", "change"))
    party = _party(request, _kind(request.GET.get("party_kind")), _int(request.GET.get("party")))
    currency = request.GET.get("currency", "CNY")
    context = {"side": side, **_open_items(request, side, party, currency), "total_source": "#id_amount"}
    return render(request, "web/finance/_open_items.html", context)


def _settlement_page(
    request: HttpRequest,
    side: Side,
    settlement: Settlement,
    *,
    reverse_form: Form | None = None,
    allocate_form: Form | None = None,
    values: dict[int, str] | None = None,
    row_errors: dict[int, str] | None = None,
) -> HttpResponse:
    can_change = request.user.has_perm(side.perm("settlement", "change"))
    posted = settlement.status == SettlementStatus.POSTED
    can_allocate = can_change and posted and settlement.outstanding > 0
    party = Party(settlement.party_kind, settlement.party_id, settlement.party_name)
    context: dict[str, Any] = {
        "side": side,
        "settlement": settlement,
        "party_url": _party_url(request, settlement.party_kind, settlement.party_id),
        "allocations": selectors.allocations_of(settlement),
        "tab": chosen_tab(request, RECORD_TABS),
        "tabs": RECORD_TABS,
        "can_allocate": can_allocate,
        "can_reverse": can_change and posted,
        "reverse_form": reverse_form or ReasonForm(),
        "allocate_form": allocate_form or Form(),
        "total": f"{settlement.outstanding:.2f}",
        **record_panels(settlement),
    }
    if can_allocate:
        context.update(
            _open_items(request, side, party, settlement.currency, values=values, errors=row_errors)
        )
    failed = (reverse_form is not None and reverse_form.errors) or (
        allocate_form is not None and allocate_form.errors
    )
    return render(request, "web/finance/settlement_detail.html", context, status=400 if failed else 200)


def settlement_detail(request: HttpRequest, direction: str, pk: int) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("settlement", "view"))
    return _settlement_page(request, side, or_404(selectors.settlement, request.user, side.direction, pk))


@require_POST
def settlement_allocate(request: HttpRequest, direction: str, pk: int) -> HttpResponse:
    """Allocate what is still unallocated on a receipt (payment) to the party's open receivables."""
    side = SIDES[direction]
    _require(request, side.perm("settlement", "change"))
    settlement = or_404(selectors.settlement, request.user, side.direction, pk)
    form = Form(request.POST)
    form.is_valid()
    values = allocation_values(request.POST)
    allocations, row_errors = allocation_inputs(values)
    if row_errors:
        form.add_error(None, _("核销金额有误，请检查标红的行。"))
    else:
        try:
            rows = services.allocate(settlement, actor=acting_employee(request), allocations=allocations)
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            party = Party(settlement.party_kind, settlement.party_id, settlement.party_name)
            shown = _open_items(request, side, party, settlement.currency, values=values)
            row_errors = _allocation_error(exc, form, allocations, shown)
        else:
            total = sum((row.amount for row in rows), start=0)
            messages.success(
                request,
                _("已核销 %(amount)s。") % {"amount": f"{total:,.2f}"},
            )
            return redirect(side.settlement_detail_url, settlement.pk)
    return _settlement_page(
        request, side, settlement, allocate_form=form, values=values, row_errors=row_errors
    )


@require_POST
def settlement_reverse(request: HttpRequest, direction: str, pk: int) -> HttpResponse:
    side = SIDES[direction]
    _require(request, side.perm("settlement", "change"))
    settlement = or_404(selectors.settlement, request.user, side.direction, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.reverse_settlement(
                settlement, actor=acting_employee(request), reason=form.cleaned_data["reason"]
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已红冲 %(number)s。") % {"number": settlement.number})
            return redirect(side.settlement_detail_url, settlement.pk)
    return _settlement_page(request, side, settlement, reverse_form=form)


# Aging, statements, due dates ----------------------------------------------------------------------


def aging(request: HttpRequest) -> HttpResponse:
    """账龄分析: each party's outstanding receivables (payables) in CNY by days past due."""
    side = _chosen_side(request)
    on = _date(request.GET.get("on")) or timezone.localdate()
    owners = _owners(request, side)
    owner = next((e for e in owners if str(e.pk) == request.GET.get("owner", "")), None)
    report = selectors.aging(request.user, side.direction, on=on, owner_id=owner.pk if owner else None)
    month_start = on.replace(day=1)
    context = {
        "side": side,
        "sides": _directions(request),
        "on": on,
        "owner": owner,
        "owners": owners,
        "report": report,
        "buckets": [(key, label) for key, label, *_rest in selectors.BUCKETS],
        "statement_from": month_start,
        "statement_to": on,
        "keep": f"&on={on.isoformat()}",
    }
    return render(request, "web/finance/aging.html", context)


def _month(today: dt.date) -> tuple[dt.date, dt.date]:
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


STATEMENT_PERMISSIONS = {
    PartyKind.CUSTOMER.value: SIDES[Direction.RECEIVABLE].perm("obligation", "view"),
    PartyKind.SUPPLIER.value: SIDES[Direction.PAYABLE].perm("obligation", "view"),
}


def statement(request: HttpRequest) -> HttpResponse:
    """对账单: every receivable, payable, receipt and payment with one party over a period."""
    _require(request, *STATEMENT_PERMISSIONS.values())
    allowed_kinds = [k for k, perm in STATEMENT_PERMISSIONS.items() if request.user.has_perm(perm)]
    kind = _kind(request.GET.get("party_kind"), allowed_kinds[0])
    if kind not in allowed_kinds:
        raise PermissionDenied
    default_from, default_to = _month(timezone.localdate())
    date_from = _date(request.GET.get("from")) or default_from
    date_to = _date(request.GET.get("to")) or default_to
    party_id = _int(request.GET.get("party"))
    party = _party(request, kind, party_id)
    if party_id is not None and party is None:
        raise Http404
    report = None
    if party is not None:
        report = selectors.statement(
            request.user,
            party_kind=party.kind,
            party_id=party.id,
            party_name=party.name,
            date_from=date_from,
            date_to=date_to,
        )
        for section in report.sections:
            section.rows = [  # type: ignore[attr-defined]
                {"line": line, "side": BY_DOCUMENT_TYPE.get(getattr(line.record, "DOCUMENT_TYPE", ""))}
                for line in section.lines
            ]
    picker = PartyForm(initial={"party_kind": kind, "party": party_id})
    picker.fields["party_kind"].choices = [  # type: ignore[attr-defined]
        (k, label) for k, label in PartyKind.choices if k in allowed_kinds
    ]
    context = {
        "form": picker,
        "party": party,
        "party_url": _party_url(request, party.kind, party.id) if party else "",
        "date_from": date_from,
        "date_to": date_to,
        "report": report,
        "today": timezone.localdate(),
    }
    return render(request, "web/finance/statement.html", context)


DUE_TABS = {"overdue": gettext_lazy("已逾期"), "soon": gettext_lazy("7天内到期")}


def due(request: HttpRequest) -> HttpResponse:
    """到期提醒: installments past due, or falling due within a week."""
    side = _chosen_side(request)
    tab = request.GET.get("tab", "overdue")
    tab = tab if tab in DUE_TABS else "overdue"
    today = timezone.localdate()
    if tab == "overdue":
        found = selectors.due_installments(request.user, side.direction, on=today, overdue_only=True)
    else:
        found = selectors.due_installments(
            request.user, side.direction, on=today, within_days=DUE_SOON_DAYS
        ).filter(due_date__gte=today)
    cache: dict[str, str] = {}
    rows = [
        {
            "installment": inst,
            "obligation": inst.obligation,
            "days": (today - inst.due_date).days,
            "left": (inst.due_date - today).days,
            "party_url": _party_url(request, inst.obligation.party_kind, inst.obligation.party_id, cache),
        }
        for inst in found
    ]
    context = {
        "side": side,
        "sides": _directions(request),
        "tab": tab,
        "tabs": DUE_TABS,
        "rows": rows,
        "keep": f"&tab={tab}",
    }
    return render(request, "web/finance/due.html", context)


@require_GET
def party_search(request: HttpRequest) -> HttpResponse:
    """The picker's list (htmx): parties of a kind the user may see matching ?q=."""
    _require(
        request,
        *(side.perm("obligation", action) for side in SIDES.values() for action in ("view", "add")),
        *(side.perm("settlement", "add") for side in SIDES.values()),
    )
    kind = _kind(request.GET.get("kind") or request.GET.get("party_kind"))
    text = request.GET.get("q", "").strip()
    found = parties.search_parties(request.user, kind, text) if kind else []
    return render(request, "web/finance/_party_options.html", {"parties": found, "q": text, "kind": kind})
