"""Dashboards (仪表盘), one page per role. Included by the site's urls under /dashboards/ (in the
`web` namespace)."""

from django.urls import path

from maoyi.web.dashboards import views

urlpatterns = [
    path("", views.index, name="dashboard"),
    path("sales/", views.sales, name="dashboard-sales"),
    path("team/", views.team, name="dashboard-team"),
    path("finance/", views.finance_dashboard_page, name="dashboard-finance"),
    path("logistics/", views.logistics, name="dashboard-logistics"),
    path("purchasing/", views.purchasing_page, name="dashboard-purchasing"),
]
