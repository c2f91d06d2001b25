"""Supplier quotes (报价管理): the services (create, update, withdraw; every refusal with its code
and message, leaving nothing changed; permissions) and the reads (list filters, valid quotes, the
best quote across currencies at the day's rates, the comparison, the price history). The CNY
figures are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from maoyi.audit.models import AuditEntry
from maoyi.audit.selectors import history_of
from maoyi.catalog import services as catalog_services
from maoyi.core.errors import DomainError
from maoyi.finance import services as finance_services
from maoyi.finance.models import ExchangeRate
from maoyi.purchasing import selectors
from maoyi.purchasing.models import SupplierQuote
from maoyi.purchasing.services import quotes as services
from maoyi.purchasing.services import suppliers as supplier_services
from tests.catalog.builders import make_category, make_product
from tests.purchasing.builders import make_supplier

pytestmark = pytest.mark.django_db

D = dt.date
DAY = D(2026, 3, 10)


def watched() -> dict[str, list[dict[str, Any]]]:
    return {
        m._meta.label: list(m.objects.order_by("pk").values())
        for m in (SupplierQuote, AuditEntry, ExchangeRate)
    }


@contextmanager
def unchanged() -> Iterator[None]:
    before = watched()
    yield
    assert watched() == before


def entry_of(quote: SupplierQuote, action: str) -> AuditEntry:
    return history_of(quote).get(action=action)


def refused(code: str, message: str, field: str | None = None) -> Any:
    """`with refused(...)`: the block raises that DomainError and changes nothing."""

    @contextmanager
    def guard() -> Iterator[None]:
        with unchanged(), pytest.raises(DomainError) as caught:
            yield
        assert (caught.value.code, caught.value.message) == (code, message)
        if field is not None:
            assert caught.value.field == field

    return guard()


@pytest.fixture
def world(company: Any) -> dict[str, Any]:
    return {
        "tiantan": make_supplier("北京天坛医疗器械有限公司"),
        "medline": make_supplier("Medline Industries", currency="USD"),
        "braun": make_supplier("B. Braun Melsungen", currency="EUR"),
        "terumo": make_supplier("Terumo Corporation", currency="JPY"),
        "kdl": make_supplier("上海康德莱企业发展集团股份有限公司"),
        "syringe": make_product("P001", "一次性注射器", specification="5ml"),
        "gloves": make_product("P002", "医用手套"),
    }


def new_quote(supplier: Any, product: Any, price: str, *, actor: Any = None, **fields: Any) -> SupplierQuote:
    args: dict[str, Any] = {
        "currency": "",
        "min_quantity": Decimal("0"),
        "valid_from": D(2026, 1, 1),
        "valid_until": D(2026, 12, 31),
    }
    args.update(fields)
    return services.create_quote(
        actor=actor, supplier=supplier, product=product, unit_price=Decimal(price), **args
    )


def set_rate(company: Any, currency: str, rate: str, day: dt.date) -> None:
    finance_services.set_exchange_rate(
        actor=company.finance_clerk, currency=currency, rate=Decimal(rate), valid_from=day
    )


# Services ------------------------------------------------------------------------------------------


def test_a_purchaser_records_a_quote_in_the_suppliers_currency_audited(company, world):
    quote = new_quote(world["medline"], world["syringe"], "0.125", actor=company.purchaser, note=" 含运费 ")

    quote.refresh_from_db()
    assert quote.currency == "USD"  # blank: the supplier's
    assert quote.unit_price == Decimal("0.1250")
    assert (quote.min_quantity, quote.note, quote.is_active) == (Decimal("0"), "含运费", True)
    assert quote.created_by == company.purchaser
    entry = entry_of(quote, "create")
    assert entry.actor == company.purchaser.user
    assert entry.changes["unit_price"] == [None, "0.1250"]
    assert entry.changes["currency"] == [None, "美元"]


def test_an_explicit_currency_wins_over_the_suppliers(company, world):
    quote = new_quote(world["medline"], world["syringe"], "0.9", currency="CNY")
    assert quote.currency == "CNY"


@pytest.mark.parametrize(
    ("changes", "code", "message", "field"),
    [
        ({"unit_price": Decimal("0")}, "invalid", "含税单价须大于零。", "unit_price"),
        ({"unit_price": Decimal("-1")}, "invalid", "含税单价须大于零。", "unit_price"),
        ({"unit_price": Decimal("NaN")}, "invalid", "含税单价须大于零。", "unit_price"),
        ({"unit_price": Decimal("1.23456")}, "invalid", "含税单价最多四位小数。", "unit_price"),
        ({"min_quantity": Decimal("-1")}, "invalid", "起订量不能为负数。", "min_quantity"),
        ({"min_quantity": Decimal("0.00001")}, "invalid", "起订量最多四位小数。", "min_quantity"),
        ({"valid_until": D(2025, 12, 31)}, "invalid", "失效日期不能早于生效日期。", "valid_until"),
        ({"valid_from": None}, "invalid", "请填写生效日期。", "valid_from"),
        ({"valid_until": None}, "invalid", "请填写失效日期。", "valid_until"),
        ({"currency": "GBP"}, "invalid", "币种无效。", "currency"),
        ({"supplier": None}, "invalid", "请选择供应商。", "supplier"),
        ({"product": None}, "invalid", "请选择商品。", "product"),
    ],
)
def test_each_invalid_quote_is_refused_and_nothing_is_written(company, world, changes, code, message, field):
    args: dict[str, Any] = {
        "supplier": world["tiantan"],
        "product": world["syringe"],
        "unit_price": Decimal("1.5"),
        "currency": "",
        "min_quantity": Decimal("0"),
        "valid_from": D(2026, 1, 1),
        "valid_until": D(2026, 12, 31),
    }
    args.update(changes)
    with refused(code, message, field):
        services.create_quote(actor=company.purchaser, **args)


def test_a_switched_off_supplier_or_product_cannot_get_a_new_quote(company, world):
    supplier_services.set_supplier_active(world["kdl"], actor=None, active=False)
    catalog_services.deactivate_product(world["gloves"], actor=None)

    with refused("invalid", "供应商已停用，不能录入报价。", "supplier"):
        new_quote(world["kdl"], world["syringe"], "1", actor=company.purchaser)
    with refused("invalid", "商品已停用，不能录入报价。", "product"):
        new_quote(world["tiantan"], world["gloves"], "1", actor=company.purchaser)


@pytest.mark.parametrize("who", ["finance_clerk", "rep_a1", "manager_a"])
def test_only_roles_with_the_permission_write_quotes(company, world, who):
    quote = new_quote(world["tiantan"], world["syringe"], "1")
    actor = getattr(company, who)
    denied = ("permission_denied", "您的角色不能执行此操作。")
    with refused(*denied):
        new_quote(world["tiantan"], world["syringe"], "1", actor=actor)
    with refused(*denied):
        services.update_quote(
            quote,
            actor=actor,
            supplier=world["tiantan"],
            product=world["syringe"],
            unit_price=Decimal("2"),
            valid_from=quote.valid_from,
            valid_until=quote.valid_until,
        )
    with refused(*denied):
        services.withdraw_quote(quote, actor=actor)


def test_updating_a_quote_changes_it_and_records_only_what_changed(company, world):
    quote = new_quote(world["medline"], world["syringe"], "10", min_quantity=Decimal("100"))

    services.update_quote(
        quote,
        actor=company.purchaser,
        supplier=world["medline"],
        product=world["syringe"],
        unit_price=Decimal("9.5"),
        currency="USD",
        min_quantity=Decimal("100"),
        valid_from=D(2026, 1, 1),
        valid_until=D(2026, 6, 30),
    )

    quote.refresh_from_db()
    assert (quote.unit_price, quote.valid_until) == (Decimal("9.5000"), D(2026, 6, 30))
    entry = entry_of(quote, "update")
    assert entry.changes == {
        "unit_price": ["10.0000", "9.5000"],
        "valid_until": ["2026-12-31", "2026-06-30"],
    }


def test_a_quote_keeps_its_supplier_after_the_supplier_is_switched_off(company, world):
    quote = new_quote(world["kdl"], world["syringe"], "1")
    supplier_services.set_supplier_active(world["kdl"], actor=None, active=False)

    services.update_quote(
        quote,
        actor=company.purchaser,
        supplier=world["kdl"],
        product=world["syringe"],
        unit_price=Decimal("1.1"),
        valid_from=quote.valid_from,
        valid_until=quote.valid_until,
    )
    assert SupplierQuote.objects.get(pk=quote.pk).unit_price == Decimal("1.1000")


def test_withdrawing_keeps_the_quote_inactive_and_it_can_no_longer_change(company, world):
    quote = new_quote(world["tiantan"], world["syringe"], "1")

    services.withdraw_quote(quote, actor=company.purchaser)

    quote.refresh_from_db()
    assert quote.is_active is False
    assert entry_of(quote, "update").changes == {"is_active": [True, False]}
    with refused("invalid_state", "报价已撤回。"):
        services.withdraw_quote(quote, actor=company.purchaser)
    with refused("invalid_state", "报价已撤回，不能修改。"):
        services.update_quote(
            quote,
            actor=company.purchaser,
            supplier=world["tiantan"],
            product=world["syringe"],
            unit_price=Decimal("2"),
            valid_from=quote.valid_from,
            valid_until=quote.valid_until,
        )
    assert quote.pk in [row.quote.pk for row in selectors.price_history(world["syringe"].pk)]


# Reads ---------------------------------------------------------------------------------------------


@pytest.fixture
def market(company, world) -> dict[str, SupplierQuote]:
    """The syringe's quotes and the rates of March 2026 (JPY has none):

    USD 7.1 from 03-01 (7.3 from 03-20); EUR 7.8 from 01-01.
    On 03-10:  tiantan 72 CNY = 72.00 · medline 10 USD × 7.1 = 71.00 · braun 9.2 EUR × 7.8 = 71.76
               kdl 70 CNY from 500 = 70.00 · terumo 1000 JPY (no rate) · withdrawn 60 · expired 65."""
    set_rate(company, "USD", "7.1", D(2026, 3, 1))
    set_rate(company, "USD", "7.3", D(2026, 3, 20))
    set_rate(company, "EUR", "7.8", D(2026, 1, 1))
    syringe = world["syringe"]
    quotes = {
        "tiantan": new_quote(world["tiantan"], syringe, "72"),
        "medline": new_quote(
            world["medline"], syringe, "10", valid_from=D(2026, 3, 1), valid_until=D(2026, 6, 30)
        ),
        "braun": new_quote(world["braun"], syringe, "9.2", valid_from=D(2026, 2, 1)),
        "terumo": new_quote(world["terumo"], syringe, "1000", valid_from=D(2026, 1, 15)),
        "kdl": new_quote(
            world["kdl"],
            syringe,
            "70",
            min_quantity=Decimal("500"),
            valid_from=D(2026, 3, 5),
            valid_until=D(2026, 4, 30),
        ),
        "withdrawn": new_quote(world["tiantan"], syringe, "60"),
        "expired": new_quote(
            world["kdl"], syringe, "65", valid_from=D(2025, 1, 1), valid_until=D(2026, 2, 28)
        ),
        "gloves": new_quote(world["tiantan"], world["gloves"], "0.8"),
    }
    services.withdraw_quote(quotes["withdrawn"], actor=None)
    return quotes


def test_valid_quotes_leave_out_withdrawn_expired_and_too_small_quantities(world, market):
    syringe = world["syringe"].pk
    assert set(selectors.valid_quotes([syringe], DAY)) == {
        market[k] for k in ("tiantan", "medline", "braun", "terumo", "kdl")
    }
    assert market["kdl"] not in selectors.valid_quotes([syringe], DAY, Decimal("499"))
    assert market["kdl"] in selectors.valid_quotes([syringe], DAY, Decimal("500"))
    assert set(selectors.valid_quotes([syringe], D(2026, 2, 15))) == {
        market[k] for k in ("tiantan", "braun", "terumo", "expired")
    }


def test_the_best_quote_is_the_cheapest_in_cny_at_the_days_rates(world, market):
    syringe = world["syringe"].pk
    # 100 pieces: kdl needs 500; medline 71.00 < braun 71.76 < tiantan 72.00; terumo has no rate.
    assert selectors.best_quote(syringe, DAY, Decimal("100")) == market["medline"]
    # 500 pieces: kdl's 70.00 is the cheapest.
    assert selectors.best_quote(syringe, DAY, Decimal("500")) == market["kdl"]
    # 03-25, 100 pieces: USD is 7.3, medline 73.00 > braun 71.76 < tiantan 72.00.
    assert selectors.best_quote(syringe, D(2026, 3, 25), Decimal("100")) == market["braun"]
    # 2025: only the (then valid) 65 CNY quote.
    assert selectors.best_quote(syringe, D(2025, 6, 1), Decimal("1")) == market["expired"]
    # 2027: nothing is valid.
    assert selectors.best_quote(syringe, D(2027, 1, 1), Decimal("1")) is None


def test_a_quote_in_a_currency_without_a_rate_is_never_the_best(company, world):
    new_quote(world["terumo"], world["gloves"], "10")  # JPY, no rate: 10 yen is cheap but unknown
    assert selectors.best_quote(world["gloves"].pk, DAY, Decimal("1")) is None
    cny = new_quote(world["tiantan"], world["gloves"], "100")
    assert selectors.best_quote(world["gloves"].pk, DAY, Decimal("1")) == cny


def test_a_switched_off_suppliers_quotes_are_not_valid(company, world, market):
    supplier_services.set_supplier_active(world["medline"], actor=None, active=False)
    assert selectors.best_quote(world["syringe"].pk, DAY, Decimal("100")) == market["braun"]


def test_the_comparison_puts_each_products_quotes_side_by_side_cheapest_flagged(world, market):
    rows = selectors.comparison(on=DAY)

    assert [row.product.code for row in rows] == ["P001", "P002"]
    syringe = rows[0]
    shown = [(p.quote.supplier.name, p.cny_price, p.cheapest) for p in syringe.quotes]
    assert shown == [
        ("上海康德莱企业发展集团股份有限公司", Decimal("70.0000"), True),
        ("Medline Industries", Decimal("71.0000"), False),
        ("B. Braun Melsungen", Decimal("71.7600"), False),
        ("北京天坛医疗器械有限公司", Decimal("72.0000"), False),
        ("Terumo Corporation", None, False),  # shown, not ranked
    ]
    assert syringe.cheapest is not None and syringe.cheapest.quote == market["kdl"]
    assert [p.rate for p in syringe.quotes] == [
        Decimal("1"),
        Decimal("7.1"),
        Decimal("7.8"),
        Decimal("1"),
        None,
    ]


def test_the_comparison_searches_by_product_or_supplier_and_filters_by_category(company, world, market):
    assert [r.product.code for r in selectors.comparison(on=DAY, search="手套")] == ["P002"]
    assert [r.product.code for r in selectors.comparison(on=DAY, search="medline")] == ["P001"]
    assert [len(r.quotes) for r in selectors.comparison(on=DAY, search="medline")] == [1]
    medical = make_category("医用耗材")
    catalog_services.update_product(
        world["gloves"],
        actor=None,
        code="P002",
        name="医用手套",
        unit="支",
        category=medical,
    )
    assert [r.product.code for r in selectors.comparison(on=DAY, category=medical)] == ["P002"]
    assert selectors.comparison(on=D(2027, 1, 1)) == []


def test_the_price_history_lists_every_quote_by_date_in_cny_at_its_days_rate(world, market):
    rows = selectors.price_history(world["syringe"].pk)

    shown = [(r.quote.valid_from, r.quote.currency, r.cny_price, r.quote.is_active) for r in rows]
    assert shown == [
        (D(2025, 1, 1), "CNY", Decimal("65.0000"), True),
        (D(2026, 1, 1), "CNY", Decimal("72.0000"), True),
        (D(2026, 1, 1), "CNY", Decimal("60.0000"), False),  # withdrawn, still in the history
        (D(2026, 1, 15), "JPY", None, True),
        (D(2026, 2, 1), "EUR", Decimal("71.7600"), True),
        (D(2026, 3, 1), "USD", Decimal("71.0000"), True),
        (D(2026, 3, 5), "CNY", Decimal("70.0000"), True),
    ]


def test_the_quote_list_searches_filters_and_orders(world, market):
    assert set(selectors.quotes(search="bjtt")) == {market["tiantan"], market["gloves"]}  # pinyin
    assert set(selectors.quotes(search="Medline")) == {market["medline"]}
    assert set(selectors.quotes(search="P002")) == {market["gloves"]}
    assert set(selectors.quotes(supplier=world["kdl"])) == {market["kdl"], market["expired"]}
    assert market["withdrawn"] not in selectors.quotes()
    assert list(selectors.quotes(active=False)) == [market["withdrawn"]]
    assert market["expired"] not in selectors.quotes(valid_on=DAY)
    prices = [q.unit_price for q in selectors.quotes(product=world["syringe"], ordering="-unit_price")]
    assert prices == sorted(prices, reverse=True)
