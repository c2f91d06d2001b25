"""Open sales orders and returns in a handover (交接): they follow their customer to its receiver
(owner and department), audited and listed on the handover; an order of a customer the leaver no
longer owns goes to that customer's owner; finished and cancelled ones stay where they were; and
离职 is refused while an employee still owns an open order or return."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from maoyi.audit.selectors import history_of
from maoyi.core.documents import Status
from maoyi.core.errors import DomainError
from maoyi.crm.models import Customer
from maoyi.crm.selectors.handover import preview_handover
from maoyi.crm.services.handover import hand_over
from maoyi.org import holdings
from maoyi.org.services import leave_employee
from maoyi.sales.models import SalesOrder, SalesReturn
from maoyi.sales.services import orders
from tests.crm.builders import make_customer
from tests.sales.builders import (
    Line,
    approved_order,
    back,
    build_shop,
    draft_order,
    draft_return,
    put_in,
    ship,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company):
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    return shop


def _owner(record: SalesOrder | SalesReturn) -> tuple[str, str]:
    record.refresh_from_db()
    return record.owner.name, record.department.name


def test_open_orders_and_returns_follow_their_customer_and_finished_ones_stay(company, shop) -> None:
    rep, receiver = company.rep_a1, company.rep_a2
    draft = draft_order(shop, Line(shop.product, "5", "11.30"))
    shipped = approved_order(shop, Line(shop.product, "20", "11.30"))  # 10 of 20 shipped
    shipment = ship(shop, shipped)
    open_return = draft_return(shop, shipped, back(shipment.lines.get(), "2"))
    cancelled = draft_order(shop, status=Status.CANCELLED)
    # An order of a customer rep_a1 no longer owns: it goes to that customer's owner.
    moved_away = make_customer(rep, "朝阳医院")
    stray = draft_order(shop, Line(shop.product, "1", "11.30"), customer=moved_away)
    Customer.objects.filter(pk=moved_away.pk).update(owner=company.manager_a)

    preview = preview_handover(employee=rep)
    (book,) = [b for b in preview.books if b.customer == shop.customer]
    assert [(r.record_type, r.record_id) for r in book.following] == [
        ("sales_order", draft.pk),
        ("sales_order", shipped.pk),
        ("sales_return", open_return.pk),
    ]
    assert [(r.record_type, r.record_id) for r in preview.other_following] == [("sales_order", stray.pk)]
    assert holdings.holdings(rep)[-2:] == ["未完成的销售订单 3 张", "未完成的销售退货 1 张"]

    handover = hand_over(actor=company.admin, employee=rep, reason="离职", to=receiver)

    team = receiver.department.name
    assert _owner(draft) == _owner(shipped) == _owner(open_return) == (receiver.name, team)
    assert _owner(stray) == (company.manager_a.name, company.manager_a.department.name)
    assert _owner(cancelled) == (rep.name, rep.department.name)
    shipment.refresh_from_db()
    assert shipment.order.owner == receiver  # a shipment follows its order
    lines = {(ln.record_type, ln.record_id): ln.to_employee for ln in handover.lines.all()}
    assert lines[("sales_order", draft.pk)] == receiver
    assert lines[("sales_return", open_return.pk)] == receiver
    assert lines[("sales_order", stray.pk)] == company.manager_a
    assert ("sales_order", cancelled.pk) not in lines
    entry = history_of(shipped).get(action="reassign")
    assert entry.changes["owner"] == [rep.name, receiver.name]
    assert holdings.holdings(rep) == []
    leave_employee(rep, actor=company.admin, handover_to=receiver)


def test_leave_is_refused_while_an_open_order_is_owned(company, shop) -> None:
    order = draft_order(shop, Line(shop.product, "5", "11.30"), owner=company.rep_a2)
    with pytest.raises(DomainError) as caught:
        leave_employee(company.rep_a2, actor=company.admin, handover_to=company.rep_a1)
    assert caught.value.code == "still_owns"
    assert "未完成的销售订单 1 张" in caught.value.message

    orders.cancel_order(order, actor=company.rep_a2, reason="客户取消")
    assert "未完成的销售订单 1 张" not in " ".join(holdings.holdings(company.rep_a2))


def test_the_handover_page_lists_the_open_orders_with_their_customer(company, shop, client_for) -> None:
    order = draft_order(shop, Line(shop.product, "5", "11.30"))
    page = client_for(company.admin).get(reverse("web:handover-create"), {"employee": company.rep_a1.pk})

    assert page.status_code == 200
    listed = re.findall(r'data-testid="handover-following">([^<]+)<', page.content.decode())
    assert listed == [f"销售订单：{order.number} · 北京协和医院 · 草稿"]
