"""The supplier quote pages (list, form, 撤回, 报价比较, price history, the supplier's 报价 tab) and
the 汇率 pages, as a purchaser, finance and a salesperson see them. A missing permission answers
403, a missing record 404; a refused form comes back with 400 and the service's message."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from maoyi.finance import services as finance_services
from maoyi.finance.models import ExchangeRate
from maoyi.purchasing.models import SupplierQuote
from maoyi.purchasing.services import quotes as services
from tests.catalog.builders import make_product
from tests.purchasing.builders import grant_supplier_permissions, make_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _supplier_permissions(company) -> None:
    grant_supplier_permissions()


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def world(company, today) -> dict[str, Any]:
    tiantan = make_supplier("北京天坛医疗器械有限公司")
    medline = make_supplier("Medline Industries", currency="USD")
    syringe = make_product("P001", "一次性注射器")
    gloves = make_product("P002", "医用手套")
    finance_services.set_exchange_rate(
        actor=company.finance_clerk,
        currency="USD",
        rate=Decimal("7.2"),
        valid_from=today - dt.timedelta(days=5),
    )

    def quote(supplier: Any, product: Any, price: str, **fields: Any) -> SupplierQuote:
        args = {"valid_from": today - dt.timedelta(days=10), "valid_until": today + dt.timedelta(days=30)}
        args.update(fields)
        return services.create_quote(
            actor=None, supplier=supplier, product=product, unit_price=Decimal(price), **args
        )

    # Syringe today: tiantan 72 CNY; medline 9.9 USD × 7.2 = 71.28 CNY, the cheapest.
    return {
        "tiantan": tiantan,
        "medline": medline,
        "syringe": syringe,
        "gloves": gloves,
        "cny": quote(tiantan, syringe, "72"),
        "usd": quote(medline, syringe, "9.9"),
        "gloves_quote": quote(tiantan, gloves, "0.8"),
        "old": quote(
            tiantan,
            syringe,
            "75",
            valid_from=today - dt.timedelta(days=400),
            valid_until=today - dt.timedelta(days=11),
        ),
    }


def quote_post(world, today, **changes) -> dict[str, str]:
    data = {
        "supplier": str(world["medline"].pk),
        "product": str(world["gloves"].pk),
        "unit_price": "0.11",
        "currency": "",
        "min_quantity": "1000",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=90)).isoformat(),
        "note": "FOB 上海",
    }
    data.update(changes)
    return data


# Quote list and form -------------------------------------------------------------------------------


def test_the_quote_list_shows_searches_and_filters(company, client_for, world):
    page = client_for(company.purchaser).get(reverse("web:quote-list"))
    assert page.status_code == 200
    assert text(page).count('data-testid="quote-row"') == 4
    assert 'data-testid="quote-create"' in text(page)
    assert 'data-testid="quote-withdraw"' in text(page)

    found = client_for(company.purchaser).get(reverse("web:quote-list"), {"q": "手套"})
    assert text(found).count('data-testid="quote-row"') == 1
    by_supplier = client_for(company.purchaser).get(
        reverse("web:quote-list"), {"supplier": world["medline"].pk}
    )
    assert text(by_supplier).count('data-testid="quote-row"') == 1
    valid = client_for(company.purchaser).get(reverse("web:quote-list"), {"state": "valid"})
    assert text(valid).count('data-testid="quote-row"') == 3  # the expired one is left out
    none = client_for(company.purchaser).get(reverse("web:quote-list"), {"q": "没有这个"})
    assert "没有符合条件的报价。" in text(none)


def test_finance_sees_quotes_without_the_buttons_and_a_salesperson_is_refused(company, client_for, world):
    page = client_for(company.finance_clerk).get(reverse("web:quote-list"))
    assert page.status_code == 200
    assert 'data-testid="quote-create"' not in text(page)
    assert 'data-testid="quote-withdraw"' not in text(page)
    assert client_for(company.finance_clerk).get(reverse("web:quote-create")).status_code == 403
    for name, args in (
        ("web:quote-list", []),
        ("web:quote-compare", []),
        ("web:quote-history", [world["syringe"].pk]),
    ):
        assert client_for(company.rep_a1).get(reverse(name, args=args)).status_code == 403


def test_a_purchaser_creates_a_quote_in_the_suppliers_currency(company, client_for, world, today):
    client = client_for(company.purchaser)
    form = client.get(reverse("web:quote-create"), {"supplier": world["medline"].pk})
    assert form.status_code == 200
    assert f'<option value="{world["medline"].pk}" selected>' in text(form)
    assert 'id="quote-supplier-currencies"' in text(form)

    response = client.post(reverse("web:quote-create"), quote_post(world, today))

    assert response.status_code == 302
    saved = SupplierQuote.objects.get(product=world["gloves"], supplier=world["medline"])
    assert (saved.currency, saved.unit_price, saved.min_quantity) == (
        "USD",
        Decimal("0.1100"),
        Decimal("1000"),
    )
    assert saved.created_by == company.purchaser
    assert response["Location"] == f"{reverse('web:quote-list')}?supplier={world['medline'].pk}"


def test_a_refused_quote_comes_back_with_the_services_message(company, client_for, world, today):
    client = client_for(company.purchaser)
    bad_dates = quote_post(world, today, valid_until=(today - dt.timedelta(days=1)).isoformat())
    response = client.post(reverse("web:quote-create"), bad_dates)
    assert response.status_code == 400
    assert "失效日期不能早于生效日期。" in text(response)

    response = client.post(reverse("web:quote-create"), quote_post(world, today, unit_price="0.123456"))
    assert response.status_code == 400
    assert "含税单价最多四位小数。" in text(response)
    assert not SupplierQuote.objects.filter(supplier=world["medline"], product=world["gloves"]).exists()


def test_editing_and_withdrawing_a_quote(company, client_for, world, today):
    client = client_for(company.purchaser)
    quote = world["cny"]
    form = client.get(reverse("web:quote-edit", args=[quote.pk]))
    assert form.status_code == 200
    assert 'value="72"' in text(form)

    data = quote_post(world, today, supplier=str(world["tiantan"].pk), product=str(world["syringe"].pk))
    data.update(unit_price="70.5", currency="CNY", next=reverse("web:quote-compare"))
    response = client.post(reverse("web:quote-edit", args=[quote.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:quote-compare")
    quote.refresh_from_db()
    assert quote.unit_price == Decimal("70.5000")

    response = client.post(reverse("web:quote-withdraw", args=[quote.pk]))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.is_active is False
    again = client.post(reverse("web:quote-withdraw", args=[quote.pk]), follow=True)
    assert "报价已撤回。" in text(again)
    assert client.get(reverse("web:quote-edit", args=[999999])).status_code == 404
    assert client.get(reverse("web:quote-withdraw", args=[quote.pk])).status_code == 405


def test_an_off_site_next_is_ignored(company, client_for, world):
    response = client_for(company.purchaser).post(
        reverse("web:quote-withdraw", args=[world["cny"].pk]), {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("web:quote-list")


# Comparison and history ----------------------------------------------------------------------------


def test_the_comparison_highlights_the_cheapest_in_cny(company, client_for, world):
    page = client_for(company.finance_clerk).get(reverse("web:quote-compare"))

    assert page.status_code == 200
    body = text(page)
    assert body.count('data-testid="compare-product"') == 2
    cheapest = re.findall(r'data-testid="compare-cheapest">(.*?)</div>\s*</div>', body, re.S)
    assert len(cheapest) == 2
    assert "Medline" in cheapest[0] and "¥71.28" in cheapest[0]
    assert "¥72.00" in body
    assert reverse("web:quote-history", args=[world["syringe"].pk]) in body

    filtered = client_for(company.finance_clerk).get(reverse("web:quote-compare"), {"q": "手套"})
    assert text(filtered).count('data-testid="compare-product"') == 1
    empty = client_for(company.finance_clerk).get(reverse("web:quote-compare"), {"on": "2000-01-01"})
    assert 'data-testid="empty"' in text(empty)


def test_the_price_history_lists_every_quote_with_a_chart(company, client_for, world):
    page = client_for(company.purchaser).get(reverse("web:quote-history", args=[world["syringe"].pk]))

    assert page.status_code == 200
    body = text(page)
    assert body.count('data-testid="history-row"') == 3
    assert 'data-testid="price-chart"' in body
    assert "vendor/echarts/dist/echarts.min.js" in body
    assert "¥75.00" in body  # the expired one is history too
    assert client_for(company.purchaser).get(reverse("web:quote-history", args=[999999])).status_code == 404


def test_the_supplier_page_has_a_quotes_tab(company, client_for, world):
    url = reverse("web:supplier-detail", args=[world["tiantan"].pk])
    page = client_for(company.purchaser).get(url, {"tab": "quotes"})

    assert page.status_code == 200
    assert text(page).count('data-testid="supplier-quote-row"') == 3
    assert 'data-testid="supplier-quote-create"' in text(page)
    assert "?tab=quotes" in text(client_for(company.finance_clerk).get(url))


# Exchange rates ------------------------------------------------------------------------------------


def test_the_rate_list_highlights_the_current_rate(company, client_for, world, today):
    finance_services.set_exchange_rate(
        actor=company.finance_clerk,
        currency="USD",
        rate=Decimal("7.3"),
        valid_from=today + dt.timedelta(days=3),
    )
    page = client_for(company.finance_clerk).get(reverse("web:rate-list"))

    assert page.status_code == 200
    body = text(page)
    assert re.search(r'data-testid="rate-current-USD">7\.200000<', body)
    assert "未生效" in body  # the one from three days on
    assert 'data-testid="rate-missing-EUR"' in body
    assert 'data-testid="rate-create"' in body
    purchaser = client_for(company.purchaser).get(reverse("web:rate-list"))
    assert purchaser.status_code == 200
    assert 'data-testid="rate-create"' not in text(purchaser)
    assert client_for(company.rep_a1).get(reverse("web:rate-list")).status_code == 403


def test_finance_sets_a_rate_and_others_may_not(company, client_for, today):
    client = client_for(company.finance_clerk)
    assert client.get(reverse("web:rate-create"), {"currency": "EUR"}).status_code == 200
    data = {"currency": "EUR", "rate": "7.85", "valid_from": today.isoformat()}

    response = client.post(reverse("web:rate-create"), data)

    assert response.status_code == 302
    assert ExchangeRate.objects.get(currency="EUR").rate == Decimal("7.85")
    refused = client.post(reverse("web:rate-create"), {**data, "rate": "7.1234567"})
    assert refused.status_code == 400
    assert "汇率最多六位小数，且小于一万。" in text(refused)
    assert client_for(company.purchaser).get(reverse("web:rate-create")).status_code == 403
    assert client_for(company.purchaser).post(reverse("web:rate-create"), data).status_code == 403
