"""The supplier pages: list (search, filters, sorting, empty state), detail tabs with the contacts
table and its forms, the supplier form, 停用/启用, as a purchaser, finance and a salesperson see
them. A missing permission answers 403, a missing record 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from maoyi.audit.models import AuditEntry
from maoyi.purchasing.models import Supplier, SupplierContact
from maoyi.purchasing.services import suppliers as services
from tests.purchasing.builders import grant_supplier_permissions, make_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _supplier_permissions(company) -> None:
    grant_supplier_permissions()


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    return re.findall(r'data-testid="supplier-code">([^<]+)<', text(response))


def supplier_post(**changes) -> dict[str, str]:
    data = {
        "code": "",
        "name": "北京天坛医疗器械有限公司",
        "short_name": "天坛医疗",
        "currency": "CNY",
        "phone": "010-66668888",
        "email": "sales@tiantan.example.com",
        "address": "北京市东城区",
        "tax_id": "91110000MA0000001X",
        "bank_name": "中国银行",
        "bank_account": "6217000012345678",
        "payment_terms_days": "60",
        "payment_terms": "月结",
        "buyer": "",
        "note": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def suppliers(company):
    return [
        make_supplier("北京天坛医疗器械有限公司", phone="010-66668888"),
        make_supplier("Medline Industries", currency="USD"),
        make_supplier("上海康德莱"),
    ]


def test_the_list_searches_by_pinyin_filters_by_currency_and_sorts(company, client_for, suppliers):
    client = client_for(company.purchaser)
    url = reverse("web:supplier-list")

    assert listed(client.get(url)) == ["GYS0001", "GYS0002", "GYS0003"]
    assert listed(client.get(url, {"q": "bj"})) == ["GYS0001"]
    assert listed(client.get(url, {"currency": "USD"})) == ["GYS0002"]
    assert listed(client.get(url, {"o": "-code"})) == ["GYS0003", "GYS0002", "GYS0001"]
    assert 'data-testid="supplier-create"' in text(client.get(url))


def test_the_list_hides_switched_off_suppliers_unless_asked(company, client_for, suppliers):
    services.set_supplier_active(suppliers[2], actor=None, active=False)
    client = client_for(company.purchaser)
    url = reverse("web:supplier-list")

    assert listed(client.get(url)) == ["GYS0001", "GYS0002"]
    assert listed(client.get(url, {"active": "inactive"})) == ["GYS0003"]
    assert listed(client.get(url, {"active": "all"})) == ["GYS0001", "GYS0002", "GYS0003"]


def test_an_empty_list_offers_the_first_supplier_and_a_fruitless_search_says_so(company, client_for):
    client = client_for(company.purchaser)

    empty = text(client.get(reverse("web:supplier-list")))
    none_found = text(client.get(reverse("web:supplier-list"), {"q": "无此供应商"}))

    assert "还没有供应商。" in empty and "新建第一个供应商" in empty
    assert "没有符合条件的供应商。" in none_found


def test_finance_sees_suppliers_without_write_buttons_and_a_salesperson_is_refused(
    company, client_for, suppliers
):
    finance = client_for(company.finance_clerk)
    detail = finance.get(reverse("web:supplier-detail", args=[suppliers[0].pk]))

    assert detail.status_code == 200
    assert 'data-testid="supplier-edit"' not in text(detail)
    assert 'data-testid="contact-form"' not in text(detail)
    assert finance.get(reverse("web:supplier-create")).status_code == 403
    rep = client_for(company.rep_a1)
    assert rep.get(reverse("web:supplier-list")).status_code == 403
    assert rep.get(reverse("web:supplier-detail", args=[suppliers[0].pk])).status_code == 403


def test_detail_tabs_render_and_a_missing_supplier_answers_404(company, client_for, suppliers):
    client = client_for(company.purchaser)
    url = reverse("web:supplier-detail", args=[suppliers[0].pk])

    for tab in ("info", "attachments", "history"):
        assert client.get(url, {"tab": tab}).status_code == 200
    assert 'data-testid="history"' in text(client.get(url, {"tab": "history"}))
    assert 'data-testid="attachments"' in text(client.get(url, {"tab": "attachments"}))
    assert client.get(reverse("web:supplier-detail", args=[999999])).status_code == 404


def test_creating_a_supplier_through_the_form_allocates_its_code(company, client_for):
    client = client_for(company.purchaser)

    assert client.get(reverse("web:supplier-create")).status_code == 200
    response = client.post(reverse("web:supplier-create"), supplier_post(buyer=str(company.purchaser.pk)))

    supplier = Supplier.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("web:supplier-detail", args=[supplier.pk])
    assert (supplier.code, supplier.payment_terms_days, supplier.buyer) == ("GYS0001", 60, company.purchaser)


def test_a_duplicate_supplier_is_shown_on_the_form_and_nothing_is_saved(company, client_for, suppliers):
    client = client_for(company.purchaser)

    response = client.post(reverse("web:supplier-create"), supplier_post(name="北京天坛医疗器械公司"))

    assert response.status_code == 400
    assert "已有同名供应商：GYS0001 北京天坛医疗器械有限公司。" in text(response)
    assert Supplier.objects.count() == 3


def test_editing_a_supplier_saves_the_change(company, client_for, suppliers):
    client = client_for(company.purchaser)
    supplier = suppliers[1]
    url = reverse("web:supplier-edit", args=[supplier.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        supplier_post(
            code=supplier.code, name="Medline Industries LP", currency="EUR", tax_id="", version="1"
        ),
    )

    supplier.refresh_from_db()
    assert response.status_code == 302
    assert (supplier.name, supplier.currency) == ("Medline Industries LP", "EUR")


def test_the_toggle_switches_a_supplier_off_and_on_and_a_repeat_is_harmless(company, client_for, suppliers):
    client = client_for(company.purchaser)
    supplier = suppliers[0]
    url = reverse("web:supplier-toggle", args=[supplier.pk])

    assert client.post(url, {"active": "0"}).status_code == 302
    supplier.refresh_from_db()
    assert supplier.is_active is False
    client.post(url, {"active": "0"})  # a second click on the same button
    supplier.refresh_from_db()
    assert supplier.is_active is False
    client.post(url, {"active": "1"})
    supplier.refresh_from_db()
    assert supplier.is_active is True
    assert client_for(company.finance_clerk).post(url, {"active": "0"}).status_code == 403
    assert client.get(url).status_code == 405


def test_contacts_are_added_edited_and_removed_from_the_detail_page(company, client_for, suppliers):
    client = client_for(company.purchaser)
    supplier = suppliers[0]
    save = reverse("web:supplier-contact-save", args=[supplier.pk])

    added = client.post(
        save, {"name": "张敏", "title": "销售经理", "phone": "13800000001", "is_primary": "on"}
    )
    contact = SupplierContact.objects.get()
    page = text(client.get(reverse("web:supplier-detail", args=[supplier.pk]), {"contact": contact.pk}))
    client.post(save, {"contact": str(contact.pk), "name": "张敏", "title": "销售总监"})
    contact.refresh_from_db()

    assert added.status_code == 302
    assert "编辑联系人" in page and 'value="销售经理"' in page
    assert (contact.title, contact.is_primary) == ("销售总监", False)

    removed = client.post(reverse("web:supplier-contact-remove", args=[supplier.pk, contact.pk]))
    assert removed.status_code == 302
    assert not SupplierContact.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(supplier.pk), changes__has_key="contact").count() == 3


def test_a_refused_contact_comes_back_on_the_detail_page_and_another_suppliers_contact_is_404(
    company, client_for, suppliers
):
    client = client_for(company.purchaser)
    theirs = services.save_contact(suppliers[1], actor=None, name="王芳")

    refused = client.post(
        reverse("web:supplier-contact-save", args=[suppliers[0].pk]), {"name": "李强", "email": "li@"}
    )
    wrong = client.post(
        reverse("web:supplier-contact-remove", args=[suppliers[0].pk, theirs.pk]),
    )

    assert refused.status_code == 400
    assert "邮箱格式不正确。" in text(refused)
    assert wrong.status_code == 404
    assert SupplierContact.objects.count() == 1
