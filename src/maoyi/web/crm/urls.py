from django.urls import path

from maoyi.web.crm import views

urlpatterns = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.customer_create, name="customer-create"),
    path("customers/check/", views.customer_check, name="customer-check"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
]

from maoyi.web.crm import opportunities  # noqa: E402  (registers the customer's 机会 tab)

urlpatterns += [
    path("opportunities/", opportunities.opportunity_list, name="opportunity-list"),
    path("opportunities/new/", opportunities.opportunity_create, name="opportunity-create"),
    path("opportunities/pipeline/", opportunities.pipeline, name="pipeline"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity-edit"),
    path("opportunities/<int:pk>/stage/", opportunities.opportunity_stage, name="opportunity-stage"),
]

from maoyi.web.crm import contacts  # noqa: E402  (registers the customer's 联系人 and 跟进记录 tabs)

urlpatterns += contacts.urlpatterns

from maoyi.web.crm import pool  # noqa: E402  (公海: pool list, claim, release, transfer, settings)

urlpatterns += [
    path("pool/", pool.pool_list, name="pool-list"),
    path("pool/settings/", pool.pool_settings, name="pool-settings"),
    path("pool/notices/read/", pool.pool_notices_read, name="pool-notices-read"),
    path("pool/<int:pk>/", pool.pool_customer, name="pool-customer"),
    path("pool/<int:pk>/claim/", pool.pool_claim, name="pool-claim"),
    path("customers/<int:pk>/release/", pool.customer_release, name="customer-release"),
    path("customers/<int:pk>/transfer/", pool.customer_transfer, name="customer-transfer"),
]

from maoyi.web.crm import quotes  # noqa: E402  (报价单 and 合同; registers the customer's 报价 and 合同 tabs)

urlpatterns += [
    path("customer-quotes/", quotes.quote_list, name="customer-quote-list"),
    path("customer-quotes/new/", quotes.quote_create, name="customer-quote-create"),
    path("customer-quotes/<int:pk>/", quotes.quote_detail, name="customer-quote-detail"),
    path("customer-quotes/<int:pk>/edit/", quotes.quote_edit, name="customer-quote-edit"),
    path("customer-quotes/<int:pk>/mark/", quotes.quote_mark, name="customer-quote-mark"),
    path("customer-quotes/<int:pk>/print/", quotes.quote_print, name="customer-quote-print"),
    path("customer-quotes/<int:pk>/contract/", quotes.quote_to_contract, name="customer-quote-contract"),
    path("contracts/", quotes.contract_list, name="contract-list"),
    path("contracts/new/", quotes.contract_create, name="contract-create"),
    path("contracts/<int:pk>/", quotes.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", quotes.contract_edit, name="contract-edit"),
    path("contracts/<int:pk>/submit/", quotes.contract_submit, name="contract-submit"),
    path("contracts/<int:pk>/withdraw/", quotes.contract_withdraw, name="contract-withdraw"),
    path("contracts/<int:pk>/cancel/", quotes.contract_cancel, name="contract-cancel"),
]

from maoyi.web.crm import handover  # noqa: E402  (交接 and the channel tree)

urlpatterns += [
    path("handovers/", handover.handover_list, name="handover-list"),
    path("handovers/new/", handover.handover_create, name="handover-create"),
    path("handovers/<int:pk>/", handover.handover_detail, name="handover-detail"),
    path("channels/", handover.channel_tree, name="channel-tree"),
]

from maoyi.web.crm import campaigns, expenses, pool_import, team  # noqa: E402

urlpatterns += campaigns.urlpatterns + expenses.urlpatterns + pool_import.urlpatterns + team.urlpatterns
