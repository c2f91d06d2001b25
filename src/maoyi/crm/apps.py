from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "maoyi.crm"
    label = "crm"
    verbose_name = _("客户")

    def ready(self) -> None:
        from maoyi.crm.parties import register_customers
        from maoyi.crm.selectors.handover import holdings_of
        from maoyi.org import holdings

        register_customers()
        holdings.register(holdings_of)  # 离职 is refused while the leaver owns customers or contracts
