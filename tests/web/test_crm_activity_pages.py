"""Contact and activity pages: the customer's 联系人 and 跟进记录 tabs with their forms and refusals,
离职 and 已跟进 buttons, the 跟进提醒 page, the 跟进记录 list with counts per person, and the home
page's 今日跟进 block — each through the customer's data scope (404 outside it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.crm.models import Activity, Contact, Customer
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import contacts as contact_services
from tests.crm.builders import grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()


@pytest.fixture
def customer(company) -> Customer:
    return make_customer(company.rep_a1, "北京协和医院")


def text(response) -> str:
    return response.content.decode()


def detail(customer: Customer, tab: str) -> str:
    return f"{reverse('web:customer-detail', args=[customer.pk])}?tab={tab}"


def ago(days: int = 0, hours: int = 0) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days, hours=hours)


def log(actor, customer, summary="电话沟通", **fields) -> Activity:
    return activity_services.log_activity(
        actor=actor, customer=customer, kind="call", summary=summary, **fields
    )


# Contacts tab --------------------------------------------------------------------------------------


def test_the_contacts_tab_lists_contacts_with_the_add_form(company, client_for, customer):
    contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任", is_primary=True)
    left = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="李工")
    contact_services.deactivate_contact(left, actor=company.rep_a1)
    response = client_for(company.rep_a1).get(detail(customer, "contacts"))
    page = text(response)
    assert response.status_code == 200
    assert re.findall(r'data-testid="contact-name">([^<]+)<', page) == ["王主任", "李工"]
    assert 'data-testid="contact-primary"' in page and 'data-testid="contact-left"' in page
    assert 'data-testid="contact-add-form"' in page and "联系人" in page and "跟进记录" in page
    # The finance clerk sees the customer but has no contact permission: no tab.
    page = text(client_for(company.finance_clerk).get(detail(customer, "contacts")))
    assert 'data-testid="customer-contacts"' not in page


def test_adding_a_contact_from_the_tab(company, client_for, customer):
    client = client_for(company.rep_a1)
    url = reverse("web:contact-create", args=[customer.pk])
    response = client.post(
        url, {"name": "王主任", "title": "主任", "mobile": "13800138000", "is_primary": "on"}
    )
    assert response.status_code == 302 and response["Location"] == detail(customer, "contacts")
    contact = Contact.objects.get()
    assert (contact.customer, contact.name, contact.is_primary, contact.created_by) == (
        customer,
        "王主任",
        True,
        company.rep_a1,
    )
    refused = client.post(url, {"name": "赵", "email": "not-an-email"})
    assert refused.status_code == 400 and "邮箱格式不正确。" in text(refused)
    assert Contact.objects.count() == 1


def test_editing_and_deactivating_a_contact(company, client_for, customer):
    contact = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    client = client_for(company.rep_a1)
    edit = reverse("web:contact-edit", args=[contact.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "王主任", "title": "副院长", "version": contact.version})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "副院长"
    response = client.post(reverse("web:contact-deactivate", args=[contact.pk]))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert not contact.is_active
    again = client.post(reverse("web:contact-deactivate", args=[contact.pk]), follow=True)
    assert "联系人“王主任”已经是离职状态。" in text(again)


def test_contact_pages_are_scoped(company, client_for, customer):
    contact = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    other = client_for(company.rep_b1)
    assert other.get(detail(customer, "contacts")).status_code == 404
    assert other.post(reverse("web:contact-create", args=[customer.pk]), {"name": "x"}).status_code == 404
    assert other.post(reverse("web:contact-edit", args=[contact.pk]), {"name": "x"}).status_code == 404
    assert other.post(reverse("web:contact-deactivate", args=[contact.pk])).status_code == 404
    assert (
        client_for(company.purchaser).get(reverse("web:contact-edit", args=[contact.pk])).status_code == 403
    )
    contact.refresh_from_db()
    assert (contact.name, contact.is_active, Contact.objects.count()) == ("王主任", True, 1)


# Activities tab ------------------------------------------------------------------------------------


def test_logging_an_activity_from_the_tab(company, client_for, customer):
    contact = contact_services.add_contact(actor=company.rep_a1, customer=customer, name="王主任")
    client = client_for(company.rep_a1)
    page = text(client.get(detail(customer, "activities")))
    assert 'data-testid="activity-add-form"' in page and "王主任" in page
    when = timezone.localtime(ago(days=1)).strftime("%Y-%m-%dT%H:%M")
    follow = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("web:activity-create", args=[customer.pk]),
        {
            "kind": "visit",
            "contact": contact.pk,
            "summary": "拜访设备科",
            "occurred_at": when,
            "next_follow_up": follow,
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(customer, "activities")
    activity = Activity.objects.get()
    assert (activity.kind, activity.contact, activity.employee, str(activity.next_follow_up)) == (
        "visit",
        contact,
        company.rep_a1,
        follow,
    )
    customer.refresh_from_db()
    assert customer.last_activity_at == activity.occurred_at
    page = text(client.get(detail(customer, "activities")))
    assert re.findall(r'data-testid="activity-summary">([^<]+)<', page) == ["拜访设备科"]
    assert 'data-testid="activity-done"' in page


def test_a_refused_activity_comes_back_on_the_form(company, client_for, customer):
    client = client_for(company.rep_a1)
    future = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("web:activity-create", args=[customer.pk]),
        {"kind": "call", "summary": "x", "occurred_at": future},
    )
    assert response.status_code == 400 and "跟进时间不能晚于现在。" in text(response)
    assert not Activity.objects.exists()
    assert client.get(reverse("web:activity-create", args=[customer.pk])).status_code == 200


def test_activity_pages_are_scoped(company, client_for, customer):
    activity = log(company.rep_a1, customer, next_follow_up=timezone.localdate())
    other = client_for(company.rep_b1)
    assert (
        other.post(
            reverse("web:activity-create", args=[customer.pk]), {"kind": "call", "summary": "x"}
        ).status_code
        == 404
    )
    assert other.post(reverse("web:activity-complete", args=[activity.pk])).status_code == 404
    assert client_for(company.purchaser).get(reverse("web:activity-list")).status_code == 403
    activity.refresh_from_db()
    assert not activity.follow_up_done and Activity.objects.count() == 1


# 跟进提醒 ------------------------------------------------------------------------------------------


def test_the_follow_up_page_lists_due_today_and_overdue_and_marks_done(company, client_for, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    today = timezone.localdate()
    due_today = log(company.rep_a1, customer, "约了今天回电", occurred_at=ago(days=3), next_follow_up=today)
    overdue = log(
        company.rep_a1,
        other,
        "报价后未回复",
        occurred_at=ago(days=5),
        next_follow_up=today - dt.timedelta(days=2),
    )
    log(
        company.rep_b1,
        make_customer(company.rep_b1, "钱丽的客户"),
        occurred_at=ago(days=1),
        next_follow_up=today,
    )
    client = client_for(company.rep_a1)
    url = reverse("web:follow-up-list")
    page = text(client.get(url))
    assert re.findall(r'data-testid="follow-up-customer">([^<]+)<', page) == ["北京协和医院"]
    assert "约了今天回电" in page
    page = text(client.get(url + "?tab=overdue"))
    assert re.findall(r'data-testid="follow-up-customer">([^<]+)<', page) == ["上海瑞金医院"]
    response = client.post(
        reverse("web:activity-complete", args=[overdue.pk]), {"next": url + "?tab=overdue"}
    )
    assert response.status_code == 302 and response["Location"] == url + "?tab=overdue"
    overdue.refresh_from_db()
    assert overdue.follow_up_done
    assert 'data-testid="empty"' in text(client.get(url + "?tab=overdue"))
    response = client.post(
        reverse("web:activity-complete", args=[overdue.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == url
    due_today.refresh_from_db()
    assert not due_today.follow_up_done


# 跟进记录 list -------------------------------------------------------------------------------------


def fixed(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def test_the_activity_list_filters_and_counts_per_person_for_the_manager(company, client_for, customer):
    other = make_customer(company.rep_a2, "上海瑞金医院")
    log(company.rep_a1, customer, "协和电话", occurred_at=fixed("2025-03-03"))
    log(company.rep_a2, other, "瑞金电话", occurred_at=fixed("2025-03-04"))
    activity_services.log_activity(
        actor=company.rep_a2,
        customer=other,
        kind="visit",
        summary="瑞金拜访",
        occurred_at=fixed("2025-03-05"),
    )
    log(company.rep_a2, other, "二月电话", occurred_at=fixed("2025-02-27"))
    log(
        company.rep_b1,
        make_customer(company.rep_b1, "钱丽的客户"),
        "钱丽电话",
        occurred_at=fixed("2025-03-03"),
    )
    client = client_for(company.manager_a)
    url = reverse("web:activity-list")
    march = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    page = text(client.get(url, march))
    assert re.findall(r'data-testid="activity-customer">([^<]+)<', page) == [
        "上海瑞金医院",
        "上海瑞金医院",
        "北京协和医院",
    ]
    assert "钱丽" not in page and "二月电话" not in page
    assert re.findall(r'data-testid="count-total">(\d+)<', page) == ["2", "1"]
    page = text(client.get(url, {**march, "employee": company.rep_a2.pk, "kind": "visit"}))
    assert re.findall(r'data-testid="activity-row"', page) == ['data-testid="activity-row"']
    page = text(client.get(url, {"date_from": "2025-03-04", "date_to": "2025-03-04"}))
    assert "瑞金电话" in page and "瑞金拜访" not in page and "协和电话" not in page
    assert 'data-testid="empty"' in text(client.get(url))  # this month: nothing yet
    page = text(client_for(company.rep_a1).get(url, march))
    assert re.findall(r'data-testid="activity-customer">([^<]+)<', page) == ["北京协和医院"]


# Home ----------------------------------------------------------------------------------------------


def test_the_home_page_shows_todays_and_overdue_follow_ups_of_the_user(company, client_for, customer):
    other = make_customer(company.rep_a1, "上海瑞金医院")
    today = timezone.localdate()
    log(company.rep_a1, customer, "今天回电", occurred_at=ago(days=2), next_follow_up=today)
    log(
        company.rep_a1,
        other,
        "早该回电",
        occurred_at=ago(days=5),
        next_follow_up=today - dt.timedelta(days=1),
    )
    log(
        company.rep_a1,
        make_customer(company.rep_a1, "以后再说"),
        occurred_at=ago(days=1),
        next_follow_up=today + dt.timedelta(days=1),
    )
    page = text(client_for(company.rep_a1).get(reverse("web:home")))
    block = page[page.index('data-testid="queue-follow-ups"') :]
    assert "今天回电" in block and "早该回电" in block and "以后再说" not in block
    assert block.count('data-testid="late"') == 1
    page = text(client_for(company.rep_b1).get(reverse("web:home")))
    assert "今天回电" not in page and 'data-testid="queue-follow-ups"' in page
    assert 'data-testid="queue-follow-ups"' not in text(
        client_for(company.purchaser).get(reverse("web:home"))
    )
