"""Edits without lost updates (issue 8, part 4), through the pages: two people open the same edit
form; the first saves; the second's save is refused with who changed what, nothing of it is
written, and after reloading the form the second person's save goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from maoyi.catalog.models import Product
from maoyi.crm.services import contacts as contact_services
from maoyi.crm.services import opportunities as opportunity_services
from maoyi.inventory.models import Warehouse
from maoyi.org.models import Department
from maoyi.purchasing.services import suppliers as supplier_services
from tests.crm.builders import make_customer
from tests.factories import make_department, make_employee


class _FormScraper(HTMLParser):
    """What a browser would post for the page's form: inputs, checked boxes, selected options and
    textareas, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def loaded(client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    scraper = _FormScraper()
    scraper.feed(response.content.decode())
    data = scraper.data
    data.pop("csrfmiddlewaretoken", None)
    return data


@dataclass(frozen=True)
class Kind:
    make: Callable[[Any], Any]  # company → record
    url: str
    first: tuple[str, str]  # (form field, value) the first person changes
    second: tuple[str, str]  # (form field, value) the second person tries
    label: str  # the changed field's label in the message
    shown: Callable[[Any], Any]  # record → the value of the first field as stored


def _contact(company):
    customer = make_customer(company.rep_a1, "北京协和医院")
    return contact_services.add_contact(actor=None, customer=customer, name="王主任", mobile="13800000000")


def _opportunity(company):
    customer = make_customer(company.rep_a1, "北京协和医院")
    return opportunity_services.create_opportunity(
        actor=None, customer=customer, title="采购CT机", expected_amount=D("1000")
    )


def _supplier(company):
    return supplier_services.create_supplier(actor=None, name="威高集团", code="GYS001")


KINDS = {
    "customer": Kind(
        lambda c: make_customer(c.rep_a1, "上海瑞金医院", phone="021-64370045"),
        "web:customer-edit",
        ("phone", "021-64370046"),
        ("address", "上海市黄浦区"),
        "电话",
        lambda r: r.phone,
    ),
    "contact": Kind(
        _contact, "web:contact-edit", ("mobile", "13900000000"), ("title", "主任"), "手机", lambda r: r.mobile
    ),
    "opportunity": Kind(
        _opportunity,
        "web:opportunity-edit",
        ("title", "采购CT机（二期）"),
        ("note", "加急"),
        "机会名称",
        lambda r: r.title,
    ),
    "employee": Kind(
        lambda c: c.rep_a2,
        "web:employee-edit",
        ("mobile", "13700000000"),
        ("title", "主管"),
        "手机",
        lambda r: r.mobile,
    ),
    "product": Kind(
        lambda c: Product.objects.create(code="ZS001", name="注射器", unit="支"),
        "web:product-edit",
        ("name", "无菌注射器"),
        ("specification", "5ml"),
        "商品名称",
        lambda r: r.name,
    ),
    "warehouse": Kind(
        lambda c: Warehouse.objects.create(code="WH01", name="北京主仓"),
        "web:warehouse-edit",
        ("name", "北京一号仓"),
        ("address", "北京市大兴区"),
        "仓库名称",
        lambda r: r.name,
    ),
    "supplier": Kind(
        _supplier,
        "web:supplier-edit",
        ("name", "威高股份"),
        ("phone", "0631-5620000"),
        "供应商名称",
        lambda r: r.name,
    ),
    "department": Kind(
        lambda c: make_department("华东区", c.root),
        "web:department-edit",
        ("name", "华东大区"),
        ("name_en", "East"),
        "部门名称",
        lambda r: r.name,
    ),
}
# The order forms' line grids are drawn by Alpine.js, so a scraped form cannot post them: the sales
# and purchase orders are covered through the API (tests/api/test_stale_edits.py) and services.


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_save_based_on_a_stale_form_is_refused_with_who_changed_what(kind, company, client_for):
    spec = KINDS[kind]
    record = spec.make(company)
    model = type(record)
    url = reverse(spec.url, args=[record.pk])
    other_admin = make_employee(company.root, "admin", username="admin2", name="周敏")
    first, second = client_for(company.admin), client_for(other_admin)
    if kind in ("customer", "contact", "opportunity"):
        first, second = client_for(company.rep_a1), client_for(company.manager_a)
    form_one, form_two = loaded(first, url), loaded(second, url)
    assert form_one["version"] == form_two["version"] == "1"

    saved = first.post(url, {**form_one, spec.first[0]: spec.first[1]})
    assert saved.status_code == 302, (
        saved.status_code,
        [s for s in saved.content.decode().splitlines() if "invalid-feedback" in s],
    )
    record.refresh_from_db()
    assert record.version == 2 and spec.shown(record) == spec.first[1]

    refused = second.post(url, {**form_two, spec.second[0]: spec.second[1]})
    assert refused.status_code == 400
    page = refused.content.decode()
    who = company.rep_a1.name if kind in ("customer", "contact", "opportunity") else company.admin.name
    assert "此记录已被 " + who + " 在 " in page
    old = form_one[spec.first[0]]
    assert f"（{spec.label}：{old or '—'} → {spec.first[1]}），请刷新后重试。" in page
    assert f"已被他人改为：{spec.first[1]}" in page  # on the field that changed
    assert 'name="version" value="1"' in page  # still the loaded version: saving again is refused
    fresh = model.objects.get(pk=record.pk)
    assert fresh.version == 2 and spec.shown(fresh) == spec.first[1]
    assert getattr(fresh, spec.second[0]) != spec.second[1]  # nothing of the refused save

    again = loaded(second, url)
    assert again["version"] == "2" and again[spec.first[0]] == spec.first[1]
    ok = second.post(url, {**again, spec.second[0]: spec.second[1]})
    assert ok.status_code == 302
    fresh.refresh_from_db()
    assert (fresh.version, getattr(fresh, spec.second[0]), spec.shown(fresh)) == (
        3,
        spec.second[1],
        spec.first[1],
    )


def test_a_form_posted_without_its_version_is_refused(company, client_for):
    customer = make_customer(company.rep_a1, "上海瑞金医院", credit_limit=D("100"))
    client = client_for(company.rep_a1)
    url = reverse("web:customer-edit", args=[customer.pk])
    data = loaded(client, url)
    del data["version"]
    response = client.post(url, {**data, "credit_limit": "500"})
    assert response.status_code == 400
    assert "页面缺少版本信息，可能已过期，请刷新后重试。" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.credit_limit, customer.version) == (D("100"), 1)


def test_a_new_record_form_has_no_version(company, client_for):
    data = loaded(client_for(company.admin), reverse("web:department-create"))
    assert "version" not in data
    assert Department.objects.filter(name="x").count() == 0
