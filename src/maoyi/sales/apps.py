from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "maoyi.sales"
    label = "sales"
    verbose_name = _("销售")

    def ready(self) -> None:
        """Sales orders are approved and unapproved through their own service (which reserves the
        stock, checks the credit limit and opens the receivable; rejection is the plain workflow),
        and a customer with an approved or partly shipped order does not return to the public pool.
        Open orders and returns follow their customer in a handover (交接), and 离职 is refused
        while an employee still owns any (org.holdings)."""
        from maoyi.approvals.registry import DocumentActions, OverrideReason
        from maoyi.approvals.registry import register as register_actions
        from maoyi.crm.selectors import pool
        from maoyi.sales.models import SalesOrder
        from maoyi.sales.selectors import customers_with_open_orders
        from maoyi.sales.services.orders import approve_order, unapprove_order

        credit_override = OverrideReason(
            argument="credit_override_reason",
            permission="sales.override_credit_salesorder",
            label=_("超信用额度原因"),
            help_text=_("仅在客户超出信用额度时需要：填写原因后可以超额度审核通过。"),
        )
        register_actions(
            SalesOrder.DOCUMENT_TYPE,
            DocumentActions(approve=approve_order, unapprove=unapprove_order, override=credit_override),
        )
        pool.register_open_orders(customers_with_open_orders)

        from maoyi.crm.selectors.handover import Follower, register_follower
        from maoyi.org import holdings
        from maoyi.sales import selectors
        from maoyi.sales.services import handover

        register_follower(Follower("sales_order", _("销售订单"), selectors.find_orders, handover.move_orders))
        register_follower(
            Follower("sales_return", _("销售退货"), selectors.find_returns, handover.move_returns)
        )
        holdings.register(selectors.holdings_of)
