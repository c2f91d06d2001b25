"""Customer quotes (报价单): creation with prices proposed from the customer's price level, the
refusals (code, message, nothing changed), permissions and data scope through the customer, draft
editing, the status flow with expiry shown not stored, the scoped reads, and the 大写 helper."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from maoyi.audit.models import AuditEntry
from maoyi.core.errors import DomainError, NotFoundInScope, PermissionRefused
from maoyi.crm.models import Quote, QuoteLine, QuoteStatus
from maoyi.crm.selectors import quotes as selectors
from maoyi.crm.services import opportunities as opportunity_services
from maoyi.crm.services import quotes as services
from tests.crm.quote_builders import Book, later, line, make_book, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(company) -> Book:
    return make_book(company)


def state() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (Quote, QuoteLine, AuditEntry)}


@contextmanager
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def refused(call, code: str, message: str, field: str | None = None) -> None:
    with unchanged(), pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, field)


def prices(quote: Quote) -> list[tuple[str, D, D, str]]:
    return [
        (x.product.code, x.quantity, x.unit_price, x.price_source)
        for x in quote.lines.select_related("product").order_by("id")
    ]


# Create ----------------------------------------------------------------------------------------------


def test_blank_prices_come_from_the_customers_level_else_the_sale_price_and_typed_ones_stay(company, book):
    quote = make_quote(
        company.rep_a1,
        book.xiehe,
        line(book.gloves, "100"),  # VIP price 10.80
        line(book.masks, "2000"),  # no VIP price: sale price 3.20
        line(book.gloves, "5", "9.5"),  # typed, below the minimum 10.00: allowed
        note=" 含运费 ",
    )
    assert prices(quote) == [
        ("P001", D("100"), D("10.80"), "level"),
        ("P002", D("2000"), D("3.20"), "sale"),
        ("P001", D("5"), D("9.5"), "typed"),
    ]
    # 100 × 10.80 + 2000 × 3.20 + 5 × 9.50 = 1080 + 6400 + 47.50
    assert quote.amount == D("7527.50")
    assert (quote.status, quote.note, quote.created_by) == (QuoteStatus.DRAFT, "含运费", company.rep_a1)
    today = timezone.localdate()
    assert re.fullmatch(rf"BJ{today:%Y%m%d}-0001", quote.number)
    rows = selectors.quote_lines(quote)
    assert [r.below_minimum for r in rows] == [False, False, True]
    entry = AuditEntry.objects.get(content_type__model="quote", object_id=str(quote.pk))
    assert entry.action == "create" and entry.changes["lines"][1].startswith("P001 × 100 @ 10.8")


def test_a_customer_without_a_level_is_quoted_the_sale_price_and_numbers_follow_on(company, book):
    first = make_quote(company.rep_a2, book.ruijin, line(book.gloves, "3"))
    second = make_quote(company.rep_a2, book.ruijin, line(book.gloves, "1"))
    assert prices(first) == [("P001", D("3"), D("12.50"), "sale")]
    assert first.number[-4:] == "0001" and second.number[-4:] == "0002"


def test_a_switched_off_level_proposes_the_sale_price(company, book):
    book.vip.is_active = False
    book.vip.save()
    book.xiehe.refresh_from_db()
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    assert prices(quote) == [("P001", D("1"), D("12.50"), "sale")]


def test_a_quote_may_name_an_opportunity_of_the_same_customer_only(company, book):
    own = opportunity_services.create_opportunity(
        actor=None, customer=book.xiehe, title="手套年度采购", expected_amount=D("1000")
    )
    other = opportunity_services.create_opportunity(
        actor=None, customer=book.ruijin, title="口罩", expected_amount=D("1")
    )
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"), opportunity=own)
    assert quote.opportunity == own
    refused(
        lambda: make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"), opportunity=other),
        "invalid",
        "机会不属于这个客户。",
        "opportunity",
    )


@pytest.mark.parametrize(
    ("lines", "fields", "code", "message", "field"),
    [
        ([], {}, "invalid", "请至少添加一行明细。", "lines"),
        (
            [("gloves", "0", None)],
            {},
            "invalid",
            "第 1 行：数量必须大于零，最多四位小数。",
            "lines.0.quantity",
        ),
        (
            [("gloves", "1", None), ("masks", "1", "-1")],
            {},
            "invalid",
            "第 2 行：单价不能为负数，最多四位小数。",
            "lines.1.unit_price",
        ),
        (
            [("gloves", "1", "1.00001")],
            {},
            "invalid",
            "第 1 行：单价不能为负数，最多四位小数。",
            "lines.0.unit_price",
        ),
        ([("gloves", "1", None)], {"valid_until": None}, "invalid", "请填写有效期。", "valid_until"),
        (
            [("gloves", "1", None)],
            {"valid_until": dt.date(2000, 1, 1)},
            "invalid",
            "有效期不能早于今天。",
            "valid_until",
        ),
    ],
)
def test_bad_quotes_are_refused_and_nothing_is_written(company, book, lines, fields, code, message, field):
    products = {"gloves": book.gloves, "masks": book.masks}
    inputs = [line(products[p], q, price) for p, q, price in lines]
    refused(lambda: make_quote(company.rep_a1, book.xiehe, *inputs, **fields), code, message, field)


def test_an_inactive_product_is_refused_on_its_row(company, book):
    book.masks.is_active = False
    book.masks.save()
    refused(
        lambda: make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"), line(book.masks, "1")),
        "invalid",
        "第 2 行：请选择启用中的商品。",
        "lines.1.product",
    )


def test_only_whoever_may_change_the_customer_quotes_it(company, book):
    # rep_a2 and rep_b1 cannot see 协和: "not found"; the manager of team A and the assistant can.
    for outsider in (company.rep_a2, company.rep_b1):
        with unchanged(), pytest.raises(NotFoundInScope):
            make_quote(outsider, book.xiehe, line(book.gloves, "1"))
    assert make_quote(company.manager_a, book.xiehe, line(book.gloves, "1")).created_by == company.manager_a
    assert make_quote(company.assistant_a, book.xiehe, line(book.gloves, "1")).pk
    # Purchasers hold no quote permission at all.
    with unchanged(), pytest.raises(PermissionRefused):
        make_quote(company.purchaser, book.xiehe, line(book.gloves, "1"))


# Update and status ------------------------------------------------------------------------------------


def test_a_draft_is_edited_whole_and_the_change_is_audited(company, book):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    updated = services.update_quote(
        quote,
        actor=company.rep_a1,
        valid_until=later(60),
        lines=[line(book.masks, "10", "3.00")],
        note="改口罩",
    )
    assert prices(updated) == [("P002", D("10"), D("3.00"), "typed")]
    entry = AuditEntry.objects.filter(content_type__model="quote", action="update").get()
    assert set(entry.changes) == {"valid_until", "note", "lines"}


def test_a_sent_quote_is_no_longer_edited(company, book):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.SENT)
    refused(
        lambda: services.update_quote(
            quote, actor=company.rep_a1, valid_until=later(), lines=[line(book.gloves, "2")]
        ),
        "invalid_state",
        f"报价单 {quote.number} 当前状态为“已发送”，不能修改。",
    )


def test_the_status_goes_draft_sent_accepted_and_wrong_moves_are_refused(company, book):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    refused(
        lambda: services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.ACCEPTED),
        "invalid_state",
        f"报价单 {quote.number} 当前状态为“草稿”，不能改为“已接受”。",
    )
    services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.SENT)
    refused(
        lambda: services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.EXPIRED),
        "invalid_state",
        f"报价单 {quote.number} 当前状态为“已发送”，不能改为“已过期”。",
    )
    accepted = services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.ACCEPTED)
    assert accepted.status == QuoteStatus.ACCEPTED
    changes = [e.changes["status"] for e in AuditEntry.objects.filter(action="status").order_by("id")]
    assert changes == [["草稿", "已发送"], ["已发送", "已接受"]]
    with pytest.raises(NotFoundInScope):
        services.mark_quote(quote, actor=company.rep_b1, status=QuoteStatus.DECLINED)


def test_expiry_is_shown_not_stored_and_an_expired_quote_cannot_be_sent_or_accepted(company, book):
    quote = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"), valid_until=later(1))
    services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.SENT)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    quote.refresh_from_db()
    assert selectors.is_expired(quote) and quote.status == QuoteStatus.SENT
    assert list(selectors.quotes(company.rep_a1.user, status=selectors.EXPIRED)) == [quote]
    refused(
        lambda: services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.ACCEPTED),
        "invalid_state",
        f"报价单 {quote.number} 已过有效期（{quote.valid_until.isoformat()}）。",
    )
    declined = services.mark_quote(quote, actor=company.rep_a1, status=QuoteStatus.DECLINED)
    assert declined.status == QuoteStatus.DECLINED and not selectors.is_expired(declined)


# Reads -----------------------------------------------------------------------------------------------


def test_quotes_are_seen_through_the_customers_scope(company, book):
    a1 = make_quote(company.rep_a1, book.xiehe, line(book.gloves, "1"))
    a2 = make_quote(company.rep_a2, book.ruijin, line(book.gloves, "1"))
    b1 = make_quote(company.rep_b1, book.agent, line(book.gloves, "1"))

    def seen(employee) -> set[int]:
        return {q.pk for q in selectors.quotes(employee.user)}

    assert seen(company.rep_a1) == {a1.pk}
    assert seen(company.manager_a) == {a1.pk, a2.pk}
    assert seen(company.sales_head) == seen(company.admin) == {a1.pk, a2.pk, b1.pk}
    assert seen(company.purchaser) == set()
    assert {q.pk for q in selectors.quotes(company.admin.user, search="协和")} == {a1.pk}
    with pytest.raises(NotFoundInScope):
        selectors.quote(company.rep_a1.user, b1.pk)


def test_the_company_name_is_the_top_departments_unless_configured(company, settings):
    assert selectors.company_name() == "测试公司"
    settings.MAOYI_COMPANY_NAME = "北京贸易有限公司"
    assert selectors.company_name() == "北京贸易有限公司"


# 大写 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("11300.00", "壹万壹仟叁佰元整"),
        ("0.5", "伍角"),
        ("1001.05", "壹仟零壹元零伍分"),
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("10", "壹拾元整"),
        ("1.50", "壹元伍角"),
        ("100010", "壹拾万零壹拾元整"),
        ("100000001", "壹亿零壹元整"),
        ("20300405.67", "贰仟零叁拾万零肆佰零伍元陆角柒分"),
        ("7527.50", "柒仟伍佰贰拾柒元伍角"),
        ("-12.3", "负壹拾贰元叁角"),
    ],
)
def test_amounts_in_chinese_capitals(amount, words):
    assert selectors.amount_in_words(D(amount)) == words
