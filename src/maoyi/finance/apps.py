from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "maoyi.finance"
    label = "finance"
    verbose_name = _("财务")

    def ready(self) -> None:
        """Employees are parties too (expenses are paid to them)."""
        from maoyi.finance.employees import SOURCE
        from maoyi.finance.parties import register

        register(SOURCE)
