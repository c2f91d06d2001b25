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
