"""The kinds of import, by the slug in their URL, with the list page their rows end up on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from maoyi.catalog.product_import import PRODUCTS
from maoyi.core.importing import RowImporter
from maoyi.crm.services.customer_import import CONTACTS, CUSTOMERS
from maoyi.finance.opening_import import PAYABLES, RECEIVABLES
from maoyi.inventory.services.opening_import import OPENING_STOCK
from maoyi.purchasing.services.supplier_import import SUPPLIERS


@dataclass(frozen=True)
class Kind:
    importer: RowImporter[Any]
    list_url: str  # where the imported rows are listed (a URL name), "" for none

    @property
    def slug(self) -> str:
        return self.importer.slug

    def allowed(self, user: Any) -> bool:
        return bool(user.has_perms(self.importer.permissions))


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind(CUSTOMERS, "web:customer-list"),
        Kind(CONTACTS, "web:customer-list"),
        Kind(PRODUCTS, "web:product-list"),
        Kind(SUPPLIERS, "web:supplier-list"),
        Kind(OPENING_STOCK, "web:opening-list"),
        Kind(RECEIVABLES, "web:receivable-list"),
        Kind(PAYABLES, "web:payable-list"),
    )
}
