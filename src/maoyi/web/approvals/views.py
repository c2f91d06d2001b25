from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from maoyi.approvals import registry, selectors
from maoyi.approvals.models import ApprovalRequest, RequestStatus
from maoyi.audit.selectors import history_of as audit_history
from maoyi.core.errors import DomainError
from maoyi.core.tabular import Kind
from maoyi.org.scope import employee_of
from maoyi.web.common import or_404
from maoyi.web.documents import document_url
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import paginate

TABS = {
    "pending": _("待我审批"),
    "submitted": _("我提交的"),
    "decided": _("我审批过的"),
    "all": _("全部"),
}

# The inbox's columns in its Excel export (导出), as on screen.
INBOX_COLUMNS = [
    ExportColumn(_("单据编号"), key="document_number"),
    ExportColumn(_("摘要"), key="document_title"),
    ExportColumn(_("部门"), getter=lambda r: str(r.department) if r.department is not None else ""),
    ExportColumn(_("金额"), key="amount", kind=Kind.MONEY),
    ExportColumn(_("提交人"), getter=lambda r: str(r.requested_by) if r.requested_by is not None else ""),
    ExportColumn(_("提交时间"), key="requested_at", kind=Kind.DATETIME),
    ExportColumn(_("状态"), key="get_status_display"),
    ExportColumn(_("审批人"), getter=lambda r: str(r.decided_by) if r.decided_by is not None else ""),
]


class ApproveForm(StyledForm):
    comment = forms.CharField(
        label=_("审批意见"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, override: registry.OverrideReason | None = None, **kwargs: Any) -> None:
        """With `override`, the form also asks for the reason the document type's approval takes
        from a permitted approver (for a sales order over its customer's credit limit)."""
        super().__init__(*args, **kwargs)
        self.override = override
        if override is not None:
            self.fields[override.argument] = forms.CharField(
                label=override.label,
                help_text=override.help_text,
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[override.argument].widget.attrs.update(self.fields["comment"].widget.attrs)

    def approve_arguments(self) -> dict[str, str]:
        arguments = {"comment": self.cleaned_data["comment"]}
        if self.override is not None:
            arguments[self.override.argument] = self.cleaned_data[self.override.argument]
        return arguments


def _override(request: HttpRequest, approval: ApprovalRequest) -> registry.OverrideReason | None:
    """The override reason of the document's type, when this user may give it."""
    override = registry.actions_for(approval.document_type).override
    return override if override is not None and request.user.has_perm(override.permission) else None


class RejectForm(StyledForm):
    reason = forms.CharField(label=_("驳回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def inbox(request: HttpRequest, tab: str = "pending") -> HttpResponse:
    tab = tab if tab in TABS else "pending"
    status = request.GET.get("status", "")
    status = status if status in RequestStatus.values else ""
    search = request.GET.get("q", "").strip()
    qs = selectors.requests_for(request.user, mine="" if tab == "all" else tab, status=status, search=search)
    if tab != "pending":
        qs = qs.order_by("-requested_at", "-id")
    if wants_xlsx(request):
        return xlsx_response(request, qs, INBOX_COLUMNS, TABS[tab])
    listing = paginate(request, qs)
    context = {
        "tab": tab,
        "tabs": TABS,
        "listing": listing,
        "status": status,
        "statuses": RequestStatus.choices,
        "q": search,
    }
    return render(request, "web/approvals/inbox.html", context)


def _request_or_404(request: HttpRequest, pk: int) -> ApprovalRequest:
    return or_404(selectors.visible_request, request.user, pk)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = _request_or_404(request, pk)
    return _render_detail(request, approval, ApproveForm(override=_override(request, approval)), RejectForm())


def _render_detail(
    request: HttpRequest,
    approval: ApprovalRequest,
    approve_form: forms.Form,
    reject_form: forms.Form,
    status: int = 200,
) -> HttpResponse:
    employee = employee_of(request.user)
    can_decide = (
        approval.status == RequestStatus.PENDING
        and employee is not None
        and approval.approvers.filter(pk=employee.pk).exists()
    )
    context = {
        "approval": approval,
        "document": approval.document,
        "steps": selectors.history_of(approval.document) if approval.document is not None else [],
        "history": audit_history(approval.document) if approval.document is not None else [],
        "approvers": approval.approvers.all(),
        "document_url": document_url(approval.document_type, approval.object_id),
        "can_decide": can_decide,
        "approve_form": approve_form,
        "reject_form": reject_form,
    }
    return render(request, "web/approvals/detail.html", context, status=status)


@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    approval = _request_or_404(request, pk)
    actor = employee_of(request.user)
    document = approval.document
    if actor is None or document is None:
        raise Http404
    actions = registry.actions_for(approval.document_type)
    override = _override(request, approval)
    approve_form, reject_form = ApproveForm(override=override), RejectForm()
    form: forms.Form
    if decision == "approve":
        form = approve_form = ApproveForm(request.POST, override=override)
    else:
        form = reject_form = RejectForm(request.POST)
    if form.is_valid():
        try:
            if decision == "approve":
                actions.approve(document, actor=actor, **approve_form.approve_arguments())
                messages.success(request, _("已审核通过 %(number)s。") % {"number": approval.document_number})
            else:
                actions.reject(document, actor=actor, reason=form.cleaned_data["reason"])
                messages.warning(request, _("已驳回 %(number)s。") % {"number": approval.document_number})
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("web:approval-inbox")
    approval.refresh_from_db()
    return _render_detail(request, approval, approve_form, reject_form, status=400)
