from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "maoyi.finance"
    label = "finance"
    verbose_name = _("财务")
