"""Contact and activity pages: the customer's 联系人 and 跟进记录 tabs (with their forms), the 跟进提醒
page (follow-ups due today and overdue) and the 跟进记录 list with counts per person.

Contacts and activities are seen through their customer: outside the user's data scope they answer
404 like missing ones. Each view parses the request, calls one selector or service and redirects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.core.tabular import Kind
from maoyi.crm import selectors
from maoyi.crm.models import ActivityKind, Contact, Customer
from maoyi.crm.selectors import activities as reads
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import contacts as contact_services
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.web.common import acting_employee, form_data, form_status, or_404
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.exports import ExportColumn, wants_xlsx, xlsx_response
from maoyi.web.forms import StyledForm, apply_domain_error
from maoyi.web.lists import PAGE_SIZES, paginate
from maoyi.web.versioning import add_version, posted_version

TIMELINE_SIZE = 100
FOLLOW_UP_TABS = ("today", "overdue")

# Forms ---------------------------------------------------------------------------------------------

CONTACT_EDITABLE = ("name", "department", "title", "mobile", "phone", "email", "wechat", "is_primary", "note")


class ContactForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    department = forms.CharField(label=gettext_lazy("部门"), max_length=60, required=False)
    title = forms.CharField(label=gettext_lazy("职务"), max_length=60, required=False)
    mobile = forms.CharField(label=gettext_lazy("手机"), max_length=40, required=False)
    phone = forms.CharField(label=gettext_lazy("电话"), max_length=40, required=False)
    email = forms.CharField(label=gettext_lazy("邮箱"), max_length=254, required=False)
    wechat = forms.CharField(label=gettext_lazy("微信"), max_length=60, required=False)
    is_primary = forms.BooleanField(label=gettext_lazy("主要联系人"), required=False)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, instance: Contact | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {name: getattr(instance, name) for name in CONTACT_EDITABLE})
        super().__init__(*args, **kwargs)

    def contact_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CONTACT_EDITABLE}


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("跟进方式"), choices=ActivityKind.choices)
    contact = forms.ModelChoiceField(
        label=gettext_lazy("联系人"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不指定）"),
    )
    summary = forms.CharField(label=gettext_lazy("跟进内容"), widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("跟进时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("留空为现在"),
    )
    next_follow_up = forms.DateField(
        label=gettext_lazy("下次跟进"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, user: Any, customer: Customer, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": ActivityKind.CALL})
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["contact"].queryset = reads.contacts(user, customer=customer, active=True)
        fields["contact"].label_from_instance = lambda c: f"{c.name}（{c.title}）" if c.title else c.name

    def activity_fields(self) -> dict[str, Any]:
        names = ("kind", "contact", "summary", "occurred_at", "next_follow_up")
        return {name: self.cleaned_data[name] for name in names}


# Customer tabs -------------------------------------------------------------------------------------


def _can_write(request: HttpRequest, customer: Customer, perm: str) -> bool:
    return request.user.has_perm(perm) and scope.can_change(request.user, customer)


def _contacts_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "contacts": reads.contacts_of(request.user, customer),
        "can_add_contact": _can_write(request, customer, "crm.add_contact"),
        "can_change_contact": _can_write(request, customer, "crm.change_contact"),
        "contact_form": ContactForm(auto_id="id_contact_%s"),
    }


def _activities_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    return {
        "activities": reads.activities_of(request.user, customer)[:TIMELINE_SIZE],
        "can_log_activity": _can_write(request, customer, "crm.add_activity"),
        "can_complete_follow_up": _can_write(request, customer, "crm.change_activity"),
        "activity_form": ActivityForm(user=request.user, customer=customer, auto_id="id_activity_%s"),
        "today": timezone.localdate(),
    }


add_customer_tab(
    CustomerTab("contacts", gettext_lazy("联系人"), "crm.view_contact", _contacts_context, order=10)
)
add_customer_tab(
    CustomerTab("activities", gettext_lazy("跟进记录"), "crm.view_activity", _activities_context, order=20)
)


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    return or_404(selectors.customer, request.user, pk)


def _customer_tab(customer: Customer, tab: str) -> str:
    return f"{reverse('web:customer-detail', args=[customer.pk])}?tab={tab}"


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a write: the posted `next` when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# Contacts ------------------------------------------------------------------------------------------


def _save_contact(request: HttpRequest, customer: Customer, contact: Contact | None) -> HttpResponse:
    actor = acting_employee(request)
    form = ContactForm(form_data(request), instance=contact)
    add_version(form, contact)
    if request.method == "POST" and form.is_valid():
        try:
            if contact is None:
                saved = contact_services.add_contact(actor=actor, customer=customer, **form.contact_fields())
            else:
                saved = contact_services.update_contact(
                    contact, actor=actor, version=posted_version(form), **form.contact_fields()
                )
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = _("已添加联系人“%(name)s”。") if contact is None else _("已保存联系人“%(name)s”。")
            messages.success(request, done % {"name": saved.name})
            return redirect(_customer_tab(customer, "contacts"))
    context = {"form": form, "customer": customer, "contact": contact}
    return render(request, "web/crm/contact_form.html", context, status=form_status(form))


@permission_required("crm.add_contact", raise_exception=True)
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_contact(request, _customer_or_404(request, pk), None)


@permission_required("crm.change_contact", raise_exception=True)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = or_404(reads.contact, request.user, pk)
    return _save_contact(request, contact.customer, contact)


@require_POST
@permission_required("crm.change_contact", raise_exception=True)
def contact_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    contact = or_404(reads.contact, request.user, pk)
    try:
        contact_services.deactivate_contact(contact, actor=acting_employee(request))
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("联系人“%(name)s”已标记为离职。") % {"name": contact.name})
    return redirect(_customer_tab(contact.customer, "contacts"))


# Activities ----------------------------------------------------------------------------------------


@permission_required("crm.add_activity", raise_exception=True)
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    actor = acting_employee(request)
    form = ActivityForm(form_data(request), user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            activity_services.log_activity(actor=actor, customer=customer, **form.activity_fields())
        except NotFoundInScope:
            raise Http404 from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已记录对“%(name)s”的跟进。") % {"name": customer.name})
            return redirect(_next_url(request, _customer_tab(customer, "activities")))
    context = {"form": form, "customer": customer, "next": _next_url(request, "")}
    return render(request, "web/crm/activity_form.html", context, status=form_status(form))


@require_POST
@permission_required("crm.change_activity", raise_exception=True)
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = or_404(reads.activity, request.user, pk)
    try:
        activity_services.complete_follow_up(activity, actor=acting_employee(request))
    except NotFoundInScope:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已标记“%(name)s”的跟进为已完成。") % {"name": activity.customer.name})
    return redirect(_next_url(request, reverse("web:follow-up-list")))


@permission_required("crm.view_activity", raise_exception=True)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """跟进提醒: open follow-ups due today and overdue, of the customers the user may see."""
    tab = request.GET.get("tab", "")
    tab = tab if tab in FOLLOW_UP_TABS else FOLLOW_UP_TABS[0]
    due = reads.follow_ups_due(request.user)
    rows = due.today if tab == "today" else due.overdue
    context = {
        "tab": tab,
        "due": due,
        "today_total": due.today.count(),
        "overdue_total": due.overdue.count(),
        "listing": paginate(request, rows),
        "can_complete": request.user.has_perm("crm.change_activity"),
        "page_sizes": PAGE_SIZES,
    }
    return render(request, "web/crm/activity_follow_ups.html", context)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _employee_choices(request: HttpRequest) -> list[Employee]:
    """Whom the list can be filtered by: the employees in the user's data scope (not those found in
    the activities, which would read every activity the user may see)."""
    return list(scope.visible(request.user, Employee.objects.all()).order_by("pinyin", "id"))


# The list's columns in its Excel export (导出), as on screen.
ACTIVITY_COLUMNS = [
    ExportColumn(gettext_lazy("跟进时间"), key="occurred_at", kind=Kind.DATETIME),
    ExportColumn(gettext_lazy("客户"), key="customer.name"),
    ExportColumn(gettext_lazy("跟进方式"), key="get_kind_display"),
    ExportColumn(gettext_lazy("联系人"), key="contact.name"),
    ExportColumn(gettext_lazy("跟进内容"), key="summary"),
    ExportColumn(gettext_lazy("跟进人"), key="employee.name"),
    ExportColumn(gettext_lazy("下次跟进"), key="next_follow_up", kind=Kind.DATE),
    ExportColumn(
        gettext_lazy("已跟进"), getter=lambda a: _("已跟进") if a.next_follow_up and a.follow_up_done else ""
    ),
]


@permission_required("crm.view_activity", raise_exception=True)
def activity_list(request: HttpRequest) -> HttpResponse:
    """跟进记录: the activities the user may see (a manager: the team's), filtered by person, period
    (this month unless chosen) and kind, with each person's counts for the period."""
    today = timezone.localdate()
    params = request.GET
    date_from = _date(params.get("date_from", "")) if "date_from" in params else today.replace(day=1)
    date_to = _date(params.get("date_to", "")) if "date_to" in params else today
    kind = request.GET.get("kind", "")
    kind = kind if kind in ActivityKind.values else ""
    employees = _employee_choices(request)
    employee_value = request.GET.get("employee", "")
    employee = next((e for e in employees if str(e.pk) == employee_value), None)
    qs = reads.activities(request.user, employee=employee, date_from=date_from, date_to=date_to, kind=kind)
    if wants_xlsx(request):
        return xlsx_response(request, qs, ACTIVITY_COLUMNS, gettext_lazy("跟进记录"))
    context = {
        "listing": paginate(request, qs),
        "counts": reads.activity_counts_by_person(request.user, date_from, date_to),
        "kinds": ActivityKind.choices,
        "kind": kind,
        "employees": employees,
        "employee": str(employee.pk) if employee else "",
        "date_from": date_from,
        "date_to": date_to,
        "page_sizes": PAGE_SIZES,
    }
    return render(request, "web/crm/activity_list.html", context)


urlpatterns = [
    path("customers/<int:pk>/contacts/new/", contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/deactivate/", contact_deactivate, name="contact-deactivate"),
    path("customers/<int:pk>/activities/new/", activity_create, name="activity-create"),
    path("activities/", activity_list, name="activity-list"),
    path("activities/<int:pk>/done/", activity_complete, name="activity-complete"),
    path("follow-ups/", follow_up_list, name="follow-up-list"),
]
