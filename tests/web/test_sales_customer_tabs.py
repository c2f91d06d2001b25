"""The customer page's 销售订单 tab: the customer's orders in the reader's scope with number, date,
amount, status and how much has shipped, a 新建销售订单 link for those who may write orders for the
customer, and for a channel partner its 采购汇总 (shipped less returned, by product, last 12
months). Hidden without `sales.view_salesorder`."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.crm.models import CustomerKind
from maoyi.sales.services import returns
from tests.crm.builders import make_customer
from tests.factories import role
from tests.sales import builders as selling

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    shop = selling.build_shop(company)
    selling.put_in(shop, "500", "5.00", "L1")
    return shop


def tab(client, customer) -> str:
    response = client.get(reverse("web:customer-detail", args=[customer.pk]) + "?tab=sales_orders")
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str, testid: str) -> list[list[str]]:
    found = re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in found
    ]


def test_the_tab_lists_the_customer_s_orders_with_amount_status_and_shipped_progress(
    company, shop, client_for
):
    draft = selling.draft_order(shop)  # 10 × 11.30
    partly = selling.approved_order(
        shop, selling.Line(shop.product, "10", "20.00"), order_date=selling.days(-3)
    )
    selling.ship(shop, partly, selling.item(selling.line_of(partly), "4"))
    elsewhere = selling.draft_order(shop, owner=company.rep_b1, customer=shop.other_customer)

    html = tab(client_for(company.rep_a1), shop.customer)

    assert 'data-testid="customer-sales-orders"' in html
    assert rows(html, "sales-order-row") == [
        [draft.number, selling.today().isoformat(), "¥113.00", "草稿", "—", "张伟"],
        [partly.number, selling.days(-3).isoformat(), "¥200.00", "执行中", "4 / 10", "张伟"],
    ]
    assert elsewhere.number not in html
    assert reverse("web:sales-order-detail", args=[partly.pk]) in html
    create = f"{reverse('web:sales-order-create')}?customer={shop.customer.pk}"
    assert create in html and 'data-testid="customer-sales-order-create"' in html
    assert f"{reverse('web:sales-order-list')}?customer={shop.customer.pk}" in html
    assert 'data-testid="partner-purchases"' not in html  # an end customer, not a channel partner


def test_a_customer_without_orders_says_so(company, shop, client_for):
    html = tab(client_for(company.rep_a1), shop.customer)

    assert "这个客户还没有销售订单。" in html and 'data-testid="sales-order-row"' not in html


def test_the_manager_sees_the_team_s_orders_and_finance_sees_them_without_the_create_link(
    company, shop, client_for
):
    order = selling.draft_order(shop)

    assert order.number in tab(client_for(company.manager_a), shop.customer)
    html = tab(client_for(company.finance_clerk), shop.customer)
    assert order.number in html and 'data-testid="customer-sales-order-create"' not in html


def test_a_customer_in_the_public_pool_offers_no_new_order(company, shop, client_for):
    pooled = make_customer(None, "通州永顺卫生院")

    html = tab(client_for(company.admin), pooled)

    assert 'data-testid="customer-sales-orders"' in html
    assert 'data-testid="customer-sales-order-create"' not in html


def test_without_the_permission_to_see_orders_there_is_no_tab(company, shop, client_for):
    perm = Permission.objects.get(codename="view_salesorder", content_type__app_label="sales")
    role("salesperson").group.permissions.remove(perm)
    selling.draft_order(shop)

    html = tab(client_for(company.rep_a1), shop.customer)

    assert 'href="?tab=sales_orders"' not in html and 'data-testid="customer-sales-orders"' not in html


def test_a_customer_out_of_the_user_s_scope_answers_404(company, shop, client_for):
    url = reverse("web:customer-detail", args=[shop.customer.pk]) + "?tab=sales_orders"
    assert client_for(company.rep_b1).get(url).status_code == 404


def test_a_channel_partner_s_tab_sums_what_it_bought_by_product(company, shop, client_for):
    partner = make_customer(company.rep_a1, "河北安康医药有限公司", kind=CustomerKind.DISTRIBUTOR)
    selling.put_in(shop, "20", "1.00", product=shop.plain)
    # 30 syringes at 11.30 less 10 % (10.17) and 5 swabs at 2.00; 4 syringes come back.
    order = selling.approved_order(
        shop,
        selling.Line(shop.product, "30", "11.30", "10"),
        selling.Line(shop.plain, "5", "2.00"),
        customer=partner,
    )
    shipment = selling.ship(
        shop,
        order,
        selling.item(selling.line_of(order, 0), "30"),
        selling.item(selling.line_of(order, 1), "5"),
    )
    syringes = shipment.lines.get(order_line__product=shop.product)
    back = selling.approved_return(shop, order, selling.back(syringes, "4"))
    returns.receive_return(back, actor=shop.keeper)

    html = tab(client_for(company.rep_a1), partner)

    assert 'data-testid="partner-purchases"' in html
    # 26 × 10.17 = 264.42; 5 × 2.00 = 10.00; together 274.42.
    assert rows(html, "partner-purchase-row") == [
        ["PJ001 医用棉签", "5", "0", "5 包", "¥10.00"],
        ["ZS001 一次性使用无菌注射器", "30", "4", "26 支", "¥264.42"],
    ]
    assert re.search(r'data-testid="partner-purchases-total">¥274.42<', html)


def test_a_channel_partner_that_bought_nothing_says_so(company, shop, client_for):
    partner = make_customer(company.rep_a1, "唐山博康医疗用品经营部", kind=CustomerKind.AGENT)

    html = tab(client_for(company.rep_a1), partner)

    assert 'data-testid="partner-purchases-empty"' in html and "近 12 个月没有发给这个渠道商的货。" in html


def test_the_tab_renders_in_english(company, shop, client_for):
    selling.draft_order(shop)
    client = client_for(company.rep_a1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = tab(client, shop.customer)

    assert "Sales order" in html and "Draft" in html and "草稿" not in html
