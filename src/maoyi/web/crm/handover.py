"""交接 (handover) pages — pick an employee, preview their book, choose one receiver for all or one
per customer, give a reason, hand over; the list and detail of recorded handovers — and the channel
tree (渠道树) of distributors and agents with the customers each serves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.crm.selectors import handover as selectors
from maoyi.crm.selectors.handover import HandoverPreview, preview_handover
from maoyi.crm.services import handover as services
from maoyi.crm.services.pool import SELLING_ROLES
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.org.selectors import active_employees
from maoyi.web.common import acting_employee, form_data, form_status, or_404
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate

# Where a handover line's record is shown (URL names tried in order; missing ones give no link).
RECORD_PAGES = {
    "customer": "web:customer-detail",
    "opportunity": "web:opportunity-detail",
    "quote": "web:customer-quote-detail",
    "contract": "web:contract-detail",
    "receivable": "web:receivable-detail",
    "campaign": "web:campaign-detail",
    "sales_order": "web:sales-order-detail",
    "sales_return": "web:sales-return-detail",
}


def _record_url(record_type: str, record_id: int) -> str:
    name = RECORD_PAGES.get(record_type)
    if name is None:
        return ""
    try:
        return reverse(name, args=[record_id])
    except NoReverseMatch:
        return ""


def _employees_in_scope(user: Any) -> Any:
    return scope.visible(user, Employee.objects.select_related("department")).order_by("pinyin", "id")


def _employee_or_404(request: HttpRequest, pk: Any) -> Employee:
    try:
        return _employees_in_scope(request.user).get(pk=int(pk))
    except (ValueError, TypeError, Employee.DoesNotExist):
        raise Http404 from None


# Handing over -----------------------------------------------------------------------------------------


class HandoverForm(StyledForm):
    to = forms.ModelChoiceField(
        label=gettext_lazy("接收人（全部）"),
        queryset=Employee.objects.none(),
        required=False,
        empty_label=gettext_lazy("请选择接收人"),
        help_text=gettext_lazy("未单独指定接收人的客户及其他记录都交给此人。"),
    )
    reason = forms.CharField(
        label=gettext_lazy("交接原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, preview: HandoverPreview, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sellers = active_employees().filter(roles__code__in=SELLING_ROLES).distinct()
        receivers = scope.visible(user, sellers.exclude(pk=preview.employee.pk))
        to: Any = self.fields["to"]
        to.queryset = receivers
        to.label_from_instance = _label
        for book in preview.books:
            field: Any = forms.ModelChoiceField(
                label=book.customer.name,
                queryset=receivers,
                required=False,
                empty_label=_("同上（全部接收人）"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            field.label_from_instance = _label
            self.fields[f"c_{book.customer.pk}"] = field
        self.preview = preview

    def assignments(self) -> dict[int, Employee]:
        found: dict[int, Employee] = {}
        for book in self.preview.books:
            chosen = self.cleaned_data.get(f"c_{book.customer.pk}")
            if chosen is not None:
                found[book.customer.pk] = chosen
        return found


def _label(employee: Employee) -> str:
    return f"{employee.name}（{employee.department}）"


@permission_required("crm.add_handover", raise_exception=True)
def handover_create(request: HttpRequest) -> HttpResponse:
    """Without ?employee=: pick whose book to hand over. With it: the preview and the form."""
    chosen = request.GET.get("employee", "")
    if not chosen:
        context = {"employees": _employees_in_scope(request.user)}
        return render(request, "web/crm/handover_pick.html", context)
    employee = _employee_or_404(request, chosen)
    preview = preview_handover(employee=employee)
    form = HandoverForm(form_data(request), user=request.user, preview=preview)
    if request.method == "POST" and form.is_valid():
        try:
            handover = services.hand_over(
                actor=acting_employee(request),
                employee=employee,
                to=form.cleaned_data["to"],
                assignments=form.assignments(),
                reason=form.cleaned_data["reason"],
            )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已完成%(name)s的交接，交接单号 %(number)s。")
                % {"name": employee.name, "number": handover.number},
            )
            return redirect("web:handover-detail", handover.pk)
    rows = [(book, form[f"c_{book.customer.pk}"]) for book in preview.books]
    context = {
        "employee": employee,
        "preview": preview,
        "form": form,
        "rows": rows,
        "record_labels": selectors.record_type_labels(),
    }
    return render(request, "web/crm/handover_form.html", context, status=form_status(form))


# Recorded handovers ---------------------------------------------------------------------------------------


@permission_required("crm.view_handover", raise_exception=True)
def handover_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    qs = selectors.handovers(request.user, search=search)
    context = {
        "listing": paginate(request, qs),
        "q": search,
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search),
    }
    return render(request, "web/crm/handover_list.html", context)


@permission_required("crm.view_handover", raise_exception=True)
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = or_404(selectors.handover, request.user, pk)
    labels = selectors.record_type_labels()
    lines = list(handover.lines.select_related("to_employee"))
    groups: list[dict[str, Any]] = []
    for record_type in (*selectors.RECORD_TYPES, *sorted({ln.record_type for ln in lines})):
        if any(g["type"] == record_type for g in groups):
            continue
        rows = [
            {"line": ln, "url": _record_url(ln.record_type, ln.record_id)}
            for ln in lines
            if ln.record_type == record_type
        ]
        if rows:
            groups.append({"type": record_type, "label": labels.get(record_type, record_type), "rows": rows})
    context = {"handover": handover, "groups": groups, "line_count": len(lines)}
    return render(request, "web/crm/handover_detail.html", context)


# The channel tree ------------------------------------------------------------------------------------------


@permission_required("crm.view_customer", raise_exception=True)
def channel_tree(request: HttpRequest) -> HttpResponse:
    nodes = selectors.channel_tree(request.user)
    return render(request, "web/crm/channel_tree.html", {"nodes": nodes})
