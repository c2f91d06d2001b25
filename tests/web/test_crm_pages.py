"""The customer pages: list (search, filters, sorting, paging, empty state), detail tabs, create and
edit forms with their refusals, and the 查重 check — each through the data scope (404 outside it)."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from maoyi.audit.models import AuditEntry
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel
from tests.crm.builders import crm_state, grant_customer_permissions, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return re.findall(r'data-testid="customer-link">([^<]+)<', text(response))


def customer_post(**changes) -> dict[str, str]:
    data = {
        "name": "上海瑞金医院",
        "kind": "end_customer",
        "level": "a",
        "phone": "021-6437 0045",
        "tax_id": "",
        "address": "上海市黄浦区瑞金二路197号",
        "credit_limit": "80000",
        "price_level": "",
        "parent": "",
        "channel_partner": "",
        "source": "tender",
        "tags": "三甲,耗材",
        "note": "",
    }
    data.update(changes)
    return data


# List ----------------------------------------------------------------------------------------------


def test_the_list_shows_the_users_customers_with_a_create_button(company, client_for):
    make_customer(company.rep_a1, "北京协和医院", credit_limit=D("50000"), tags="三甲")
    make_customer(company.rep_b1, "钱丽的客户")
    response = client_for(company.rep_a1).get(reverse("web:customer-list"))
    page = text(response)
    assert response.status_code == 200
    assert listed(response) == ["北京协和医院"]
    assert "新建客户" in page and "¥50,000.00" in page and "三甲" in page and "共 1 条" in page


def test_the_list_searches_filters_and_sorts(company, client_for):
    make_customer(company.rep_a1, "北京协和医院", level=CustomerLevel.A)
    make_customer(company.rep_a2, "广州代理", kind=CustomerKind.AGENT)
    make_customer(None, "公海医院")
    client = client_for(company.admin)
    url = reverse("web:customer-list")
    assert listed(client.get(url, {"q": "bj"})) == ["北京协和医院"]
    assert listed(client.get(url, {"kind": "agent"})) == ["广州代理"]
    assert listed(client.get(url, {"level": "a"})) == ["北京协和医院"]
    assert listed(client.get(url, {"owner": company.rep_a2.pk})) == ["广州代理"]
    assert listed(client.get(url, {"owner": "pool"})) == ["公海医院"]
    assert listed(client.get(url, {"o": "-name"})) == [
        "广州代理",
        "公海医院",
        "北京协和医院",
    ]  # gzdl, ghyy, bjxhyy
    empty = client.get(url, {"q": "没有这个"})
    assert listed(empty) == [] and "没有符合条件的客户。" in text(empty)


def test_the_list_pages_and_shows_an_empty_state(company, client_for):
    client = client_for(company.rep_a1)
    assert "还没有客户。" in text(client.get(reverse("web:customer-list")))
    for n in range(22):
        make_customer(company.rep_a1, f"客户{n:02d}", phone=f"1380000{n:04d}")
    first = client.get(reverse("web:customer-list"))
    second = client.get(reverse("web:customer-list"), {"page": 2})
    assert len(listed(first)) == 20 and len(listed(second)) == 2 and "共 22 条" in text(first)


def test_finance_sees_the_list_without_a_create_button_and_a_purchaser_is_refused(company, client_for):
    make_customer(company.rep_a1, "北京协和医院")
    response = client_for(company.finance_clerk).get(reverse("web:customer-list"))
    assert listed(response) == ["北京协和医院"] and "新建客户" not in text(response)
    assert client_for(company.purchaser).get(reverse("web:customer-list")).status_code == 403


# Detail --------------------------------------------------------------------------------------------


def test_the_detail_shows_info_attachments_and_history_tabs(company, client_for):
    agent = make_customer(company.rep_a1, "华北代理", kind=CustomerKind.AGENT)
    customer = make_customer(
        company.rep_a1, "北京协和医院", channel_partner=agent, tax_id="91110000MA01ABCD2X"
    )
    client = client_for(company.rep_a1)
    url = reverse("web:customer-detail", args=[customer.pk])
    info = text(client.get(url))
    assert "91110000MA01ABCD2X" in info and "华北代理" in info and "张伟" in info
    assert "基本信息" in info and "附件" in info and "操作日志" in info and "编辑" in info
    assert 'data-testid="attachments"' in text(client.get(url, {"tab": "attachments"}))
    assert 'data-testid="history"' in text(client.get(url, {"tab": "history"}))
    served = text(client.get(reverse("web:customer-detail", args=[agent.pk])))
    assert 'data-testid="customer-served"' in served and "北京协和医院" in served


def test_a_customer_outside_the_scope_answers_404(company, client_for):
    theirs = make_customer(company.rep_b1, "钱丽的客户")
    client = client_for(company.rep_a1)
    assert client.get(reverse("web:customer-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("web:customer-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:customer-edit", args=[theirs.pk]), customer_post()).status_code == 404
    assert (
        client_for(company.manager_a).get(reverse("web:customer-detail", args=[theirs.pk])).status_code == 404
    )
    assert (
        client_for(company.sales_head).get(reverse("web:customer-detail", args=[theirs.pk])).status_code
        == 200
    )


# Create and edit -----------------------------------------------------------------------------------


def test_creating_a_customer_redirects_to_its_page(company, client_for):
    client = client_for(company.rep_a1)
    form = client.get(reverse("web:customer-create"))
    assert form.status_code == 200 and "查重" in text(form)
    response = client.post(reverse("web:customer-create"), customer_post(owner=company.rep_a1.pk))
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:customer-detail", args=[customer.pk])
    assert (customer.owner, customer.credit_limit, customer.source) == (company.rep_a1, D("80000"), "tender")


def test_a_refusal_shows_on_its_field_and_a_duplicate_at_the_top(company, client_for):
    make_customer(company.rep_b1, "上海瑞金医院有限公司")
    client = client_for(company.rep_a1)
    before = crm_state()
    bad_tax = client.post(reverse("web:customer-create"), customer_post(name="别的医院", tax_id="123"))
    assert bad_tax.status_code == 400
    assert "税号应为 15 到 20 位字母或数字。" in text(bad_tax) and 'data-testid="form-errors"' not in text(
        bad_tax
    )
    twin = client.post(reverse("web:customer-create"), customer_post(owner=company.rep_a1.pk))
    page = text(twin)
    assert twin.status_code == 400 and 'data-testid="form-errors"' in page
    assert "客户已存在（负责人：钱丽），请联系负责人或主管。" in page
    assert crm_state() == before


def test_a_salesperson_can_only_pick_themselves_as_owner(company, client_for):
    page = text(client_for(company.rep_a1).get(reverse("web:customer-create")))
    assert "张伟（终端客户部）" in page and "陈静" not in page
    refused = client_for(company.rep_a1).post(
        reverse("web:customer-create"), customer_post(owner=company.rep_a2.pk)
    )
    assert refused.status_code == 400 and not Customer.objects.exists()
    manager = client_for(company.manager_a)
    response = manager.post(reverse("web:customer-create"), customer_post(owner=company.rep_a2.pk))
    assert response.status_code == 302 and Customer.objects.get().owner == company.rep_a2


def test_editing_a_customer_saves_and_audits(company, client_for):
    customer = make_customer(company.rep_a1, "上海瑞金医院", phone="021-6437 0045")
    client = client_for(company.rep_a1)
    url = reverse("web:customer-edit", args=[customer.pk])
    form = text(client.get(url))
    assert "上海瑞金医院" in form and 'name="owner"' not in form
    response = client.post(url, customer_post(level="c", credit_limit="1000.5", version="1"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.level, customer.credit_limit, customer.owner) == ("c", D("1000.50"), company.rep_a1)
    assert AuditEntry.objects.filter(object_id=str(customer.pk), action="update").exists()


def test_finance_may_not_open_the_create_or_edit_form(company, client_for):
    customer = make_customer(company.rep_a1, "甲医院")
    client = client_for(company.finance_clerk)
    assert client.get(reverse("web:customer-create")).status_code == 403
    assert client.get(reverse("web:customer-edit", args=[customer.pk])).status_code == 403
    detail = text(client.get(reverse("web:customer-detail", args=[customer.pk])))
    assert 'data-testid="customer-edit"' not in detail


# 查重 ----------------------------------------------------------------------------------------------


def test_the_check_tells_whether_a_similar_customer_exists_and_who_owns_it_only(company, client_for):
    make_customer(company.rep_b1, "北京协和医院", phone="010-69156114", address="东城区帅府园1号")
    client = client_for(company.rep_a1)
    url = reverse("web:customer-check")
    found = text(client.get(url, {"name": "北京协和医院有限公司"}))
    assert "客户已存在（负责人：钱丽），请联系负责人或主管。" in found
    assert "帅府园" not in found and "北京协和医院" not in found
    assert "客户已存在" in text(client.get(url, {"phone": "01069156114"}))
    assert "没有发现重复客户。" in text(client.get(url, {"name": "上海瑞金医院"}))
    assert "请先填写客户名称、电话或税号。" in text(client.get(url))


def test_the_check_on_the_edit_form_ignores_the_customer_itself(company, client_for):
    customer = make_customer(company.rep_a1, "北京协和医院")
    client = client_for(company.rep_a1)
    url = reverse("web:customer-check")
    assert "没有发现重复客户。" in text(client.get(url, {"name": "北京协和医院", "exclude": customer.pk}))
    assert "客户已存在" in text(client.get(url, {"name": "北京协和医院"}))
    assert f'"exclude": "{customer.pk}"' in text(client.get(reverse("web:customer-edit", args=[customer.pk])))
