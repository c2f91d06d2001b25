"""Settings pages: document number prefixes, approval rules and the (read-only) audit log.
A missing permission is refused with 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from maoyi.approvals import selectors as approvals
from maoyi.approvals import services
from maoyi.approvals.models import ApprovalRule
from maoyi.audit import selectors as audit
from maoyi.audit.models import AuditEntry
from maoyi.core.documents import ACTION_LABELS, approvable_document_types
from maoyi.core.errors import DomainError
from maoyi.web.common import acting_employee, form_data, form_status, or_404
from maoyi.web.forms import apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.settings.forms import PrefixForm, RuleForm
from maoyi.web.templatetags.maoyi import EXTRA_LABELS

# Keys of audit changes that are not model fields.
CHANGE_LABELS: dict[str, Any] = {"permissions": gettext_lazy("权限")}


# Document numbers ----------------------------------------------------------------------------------


@permission_required("core.view_numberingrule", raise_exception=True)
def numbering_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/settings/numbering_list.html", {"rows": approvals.number_prefixes()})


@permission_required("core.change_numberingrule", raise_exception=True)
def numbering_edit(request: HttpRequest, document_type: str) -> HttpResponse:
    row = next((r for r in approvals.number_prefixes() if r.document_type == document_type), None)
    if row is None:
        raise Http404
    actor = acting_employee(request)
    form = PrefixForm(form_data(request), initial={"prefix": row.prefix})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.set_number_prefix(
                actor=actor, document_type=document_type, prefix=form.cleaned_data["prefix"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            message = _("“%(label)s”的编号前缀已改为 %(prefix)s。")
            messages.success(request, message % {"label": row.label, "prefix": rule.prefix})
            return redirect("web:numbering-list")
    context = {"form": form, "row": row, "today": timezone.localdate()}
    return render(request, "web/settings/numbering_form.html", context, status=form_status(form))


# Approval rules ------------------------------------------------------------------------------------


def _rule_or_404(pk: int) -> ApprovalRule:
    return or_404(approvals.rules().get, pk=pk)


@permission_required("approvals.view_approvalrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/settings/rule_list.html", {"groups": approvals.rule_groups()})


def _save_rule(request: HttpRequest, rule: ApprovalRule | None) -> HttpResponse:
    actor = acting_employee(request)
    extra = {} if rule else {"initial": {"document_type": request.GET.get("document_type", "")}}
    form = RuleForm(form_data(request), instance=rule, **extra)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_rule(
                rule,
                actor=actor,
                document_type=data["document_type"],
                name=data["name"],
                approver_kind=data["approver_kind"],
                min_amount=data["min_amount"],
                role_id=data["role"].pk if data["role"] else None,
                person_id=data["person"].pk if data["person"] else None,
                is_active=data["is_active"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存审批规则“%(name)s”。") % {"name": saved.name})
            return redirect("web:rule-list")
    context = {"form": form, "rule": rule, "has_types": bool(approvable_document_types())}
    return render(request, "web/settings/rule_form.html", context, status=form_status(form))


@permission_required("approvals.add_approvalrule", raise_exception=True)
def rule_create(request: HttpRequest) -> HttpResponse:
    return _save_rule(request, None)


@permission_required("approvals.change_approvalrule", raise_exception=True)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_rule(request, _rule_or_404(pk))


@permission_required("approvals.delete_approvalrule", raise_exception=True)
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    rule = _rule_or_404(pk)
    if request.method == "POST":
        services.delete_rule(rule, actor=acting_employee(request))
        messages.success(request, _("已删除审批规则“%(name)s”。") % {"name": rule.name})
        return redirect("web:rule-list")
    return render(request, "web/settings/rule_delete.html", {"rule": rule})


# Audit log -----------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def _change_rows(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field label, old, new) for each change of an entry, labelled by the model's field names."""
    model = entry.content_type.model_class()
    rows = []
    for name, values in (entry.changes or {}).items():
        try:
            label = str(getattr(model._meta.get_field(name), "verbose_name", name)) if model else name
        except FieldDoesNotExist:
            label = str(CHANGE_LABELS.get(name, name))
        old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        rows.append((label, _shown(old), _shown(new)))
    return rows


@require_safe
@permission_required("audit.view_auditentry", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    action = request.GET.get("action", "")
    model = request.GET.get("model", "")
    listing = paginate(request, audit.audit_log(search=search, action=action, model=model))
    for entry in listing.page:
        entry.change_rows = _change_rows(entry)
    actions = {key: str(label) for key, label in {**ACTION_LABELS, **EXTRA_LABELS}.items()}
    context = {
        "listing": listing,
        "q": search,
        "action": action,
        "actions": sorted(actions.items(), key=lambda item: item[1]),
        "model": model,
        "models": audit.audit_models(),
        "page_sizes": PAGE_SIZES,
        "filtered": bool(search or action or model),
    }
    return render(request, "web/settings/audit_log.html", context)
