"""Approving a sales order in the approval inbox: the stock is reserved and the receivable opened
by the order's own service; over the customer's credit limit, a manager holding the override
permission is asked for a reason on the approval page (and the order keeps it), one without it is
refused with the figures and no reason field; a refusal changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from maoyi.approvals.models import ApprovalRequest
from maoyi.core.documents import Status
from maoyi.crm.models import Customer
from maoyi.finance.models import Obligation
from maoyi.inventory.models import StockLevel
from maoyi.sales.models import SalesOrder
from maoyi.sales.services import orders
from tests.sales.builders import Line, build_shop, draft_order, put_in

pytestmark = pytest.mark.django_db

OVER_LIMIT = "客户“北京协和医院”超出信用额度：未收款 0.00 + 本单 113.00 = 113.00，信用额度 100.00。"


@pytest.fixture
def shop(company):
    return build_shop(company)


@pytest.fixture
def submitted(shop):
    """A submitted order of 10 × 11.30 = 113.00 for a customer whose credit limit is 100."""
    put_in(shop, "50", "8.00", "L1")
    Customer.objects.filter(pk=shop.customer.pk).update(credit_limit=D("100"))
    order = draft_order(shop, Line(shop.product, "10", "11.30"))
    orders.submit_order(order, actor=shop.rep)
    return order


def _approval(order: SalesOrder) -> ApprovalRequest:
    return ApprovalRequest.objects.get(object_id=str(order.pk), status="pending")


def _errors(page) -> list[str]:
    """The messages on the form's fields and above the form."""
    html = page.content.decode()
    above = re.findall(r'data-testid="form-errors"><div>([^<]+)<', html)
    return above + re.findall(r'class="invalid-feedback[^"]*">([^<]+)<', html)


def _nothing_changed(shop, order: SalesOrder) -> None:
    order.refresh_from_db()
    assert order.status == Status.SUBMITTED
    assert not Obligation.objects.filter(source_type="sales_order", source_id=order.pk).exists()
    level = StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse)
    assert level.reserved == 0


def test_over_the_limit_the_manager_is_asked_for_a_reason_then_approves_with_it(shop, submitted, client_for):
    client = client_for(shop.manager)
    approval = _approval(submitted)
    page = client.get(reverse("web:approval-detail", args=[approval.pk]))
    assert 'name="credit_override_reason"' in page.content.decode()

    refused = client.post(reverse("web:approval-decide", args=[approval.pk, "approve"]), {"comment": "同意"})
    assert refused.status_code == 400
    assert _errors(refused) == [OVER_LIMIT + "如确需审核，请填写超信用额度原因。"]
    _nothing_changed(shop, submitted)

    done = client.post(
        reverse("web:approval-decide", args=[approval.pk, "approve"]),
        {"comment": "同意", "credit_override_reason": "老客户，月底回款"},
    )
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.credit_override_reason) == (Status.APPROVED, "老客户，月底回款")
    receivable = Obligation.objects.get(source_type="sales_order", source_id=submitted.pk)
    assert receivable.amount == D("113.00")
    assert StockLevel.objects.get(product=shop.product, warehouse=shop.warehouse).reserved == D("10")


def test_a_manager_without_the_override_permission_sees_no_reason_field_and_is_refused(
    shop, submitted, client_for
):
    override = Permission.objects.get(codename="override_credit_salesorder")
    for role in shop.manager.roles.all():
        role.group.permissions.remove(override)
    client = client_for(shop.manager)
    approval = _approval(submitted)
    assert (
        'name="credit_override_reason"'
        not in client.get(reverse("web:approval-detail", args=[approval.pk])).content.decode()
    )

    refused = client.post(
        reverse("web:approval-decide", args=[approval.pk, "approve"]),
        {"comment": "同意", "credit_override_reason": "想绕过"},
    )

    assert refused.status_code == 400
    assert _errors(refused) == [OVER_LIMIT]
    _nothing_changed(shop, submitted)


def test_within_the_limit_approval_needs_no_reason(shop, submitted, client_for):
    Customer.objects.filter(pk=shop.customer.pk).update(credit_limit=D("0"))  # 0: no limit
    client = client_for(shop.manager)
    approval = _approval(submitted)

    done = client.post(reverse("web:approval-decide", args=[approval.pk, "approve"]), {"comment": ""})

    assert done.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.credit_override_reason) == (Status.APPROVED, "")
