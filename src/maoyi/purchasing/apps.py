from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "maoyi.purchasing"
    label = "purchasing"
    verbose_name = _("采购")

    def ready(self) -> None:
        """Suppliers become finance parties; purchase orders are approved through their own
        service (which opens the payable) and count as incoming stock; returns are approved in
        the inbox like any document."""
        from maoyi.approvals.registry import DocumentActions
        from maoyi.approvals.registry import register as register_actions
        from maoyi.finance.parties import register
        from maoyi.inventory import incoming
        from maoyi.purchasing.models import PurchaseOrder
        from maoyi.purchasing.order_selectors import incoming_quantities
        from maoyi.purchasing.parties import SOURCE
        from maoyi.purchasing.services.orders import approve_order, unapprove_order

        register(SOURCE)
        register_actions(
            PurchaseOrder.DOCUMENT_TYPE, DocumentActions(approve=approve_order, unapprove=unapprove_order)
        )
        incoming.register(incoming_quantities)
