from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "maoyi.purchasing"
    label = "purchasing"
    verbose_name = _("采购")

    def ready(self) -> None:
        from maoyi.finance.parties import register
        from maoyi.purchasing.parties import SOURCE

        register(SOURCE)
