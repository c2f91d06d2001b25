from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "maoyi.crm"
    label = "crm"
    verbose_name = _("客户")

    def ready(self) -> None:
        from maoyi.crm.parties import register_customers

        register_customers()
