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

        from maoyi.crm.selectors.campaigns import campaign_holdings

        holdings.register(campaign_holdings)  # … or planned and running campaigns (市场活动)

        # 费用: approval in the inbox opens the payable to the applicant; 反审核 reverses it.
        from maoyi.approvals.registry import DocumentActions
        from maoyi.approvals.registry import register as register_document_actions
        from maoyi.crm.models import Expense
        from maoyi.crm.services.expenses import approve_expense, unapprove_expense

        register_document_actions(
            Expense.DOCUMENT_TYPE, DocumentActions(approve=approve_expense, unapprove=unapprove_expense)
        )
