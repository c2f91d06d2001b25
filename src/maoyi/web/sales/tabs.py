"""The tabs sales adds to the customer page: 销售订单, the customer's orders in the user's scope
(with how much of each has shipped) and, for a channel partner, its 采购汇总 (what it bought over
the last 12 months, by product)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from maoyi.core.documents import Status
from maoyi.crm.models import Customer
from maoyi.org import scope
from maoyi.sales import partner_selectors, selectors
from maoyi.sales.models import SalesOrder
from maoyi.web.crm.views import CustomerTab, add_customer_tab
from maoyi.web.lists import paginate

# Orders whose goods may have left: the only ones with a shipping progress to show.
SHIPPING_STATUSES = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


@dataclass(frozen=True)
class OrderRow:
    order: SalesOrder
    progress: selectors.ShippingProgress

    @property
    def ships(self) -> bool:
        return self.order.status in SHIPPING_STATUSES

    @property
    def ordered(self) -> Decimal:
        return self.progress.ordered

    @property
    def shipped(self) -> Decimal:
        return self.progress.shipped

    @property
    def percent(self) -> int:
        return self.progress.percent


def _row(order: SalesOrder) -> OrderRow:
    return OrderRow(order=order, progress=selectors.shipping_progress(order.lines.all()))  # prefetched


def _orders_tab(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    listing = paginate(
        request, selectors.orders(request.user, customer_id=customer.pk).prefetch_related("lines")
    )
    context: dict[str, Any] = {
        "tab_template": "web/sales/customer_tab_orders.html",
        "listing": listing,
        "order_rows": [_row(order) for order in listing.page.object_list],
        "can_add_order": request.user.has_perm("sales.add_salesorder")
        and customer.owner_id is not None
        and customer.is_active
        and scope.can_change(request.user, customer),
    }
    if customer.is_partner:
        context["purchases"] = partner_selectors.partner_purchases(
            request.user, customer, on=timezone.localdate()
        )
    return context


add_customer_tab(
    CustomerTab("sales_orders", gettext_lazy("销售订单"), "sales.view_salesorder", _orders_tab, order=50)
)
