from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "maoyi.inventory"
    label = "inventory"
    verbose_name = _("库存")

    def ready(self) -> None:
        """The approval inbox posts a stock document through its own approve service, and refuses
        to unapprove one that has posted moves (it is corrected by a reversal)."""
        from maoyi.approvals.registry import DocumentActions, register
        from maoyi.inventory.models import OpeningStock, Stocktake, Transfer
        from maoyi.inventory.services.documents import unapprove_document
        from maoyi.inventory.services.opening import approve_opening_stock
        from maoyi.inventory.services.stocktake import approve_stocktake
        from maoyi.inventory.services.transfer import approve_transfer

        for model, approve in (
            (OpeningStock, approve_opening_stock),
            (Stocktake, approve_stocktake),
            (Transfer, approve_transfer),
        ):
            register(model.DOCUMENT_TYPE, DocumentActions(approve=approve, unapprove=unapprove_document))
