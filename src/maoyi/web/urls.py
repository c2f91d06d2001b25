from django.urls import include, path

from maoyi.web.accounts import views as accounts
from maoyi.web.approvals import views as approvals
from maoyi.web.attachments import views as attachments
from maoyi.web.home import views as home

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("password/", accounts.password_change_view, name="password-change"),
    path("approvals/", approvals.inbox, name="approval-inbox"),
    path("approvals/submitted/", approvals.inbox, {"tab": "submitted"}, name="approval-submitted"),
    path("approvals/tab/<slug:tab>/", approvals.inbox, name="approval-tab"),
    path("approvals/<int:pk>/", approvals.detail, name="approval-detail"),
    path("approvals/<int:pk>/<str:decision>/", approvals.decide, name="approval-decide"),
    path(
        "attachments/upload/<int:content_type_id>/<str:object_id>/",
        attachments.upload,
        name="attachment-upload",
    ),
    path("attachments/<int:pk>/", attachments.download, name="attachment-download"),
    path("attachments/<int:pk>/delete/", attachments.delete, name="attachment-delete"),
    path("org/", include("maoyi.web.org.urls")),
    path("catalog/", include("maoyi.web.catalog.urls")),
    path("inventory/", include("maoyi.web.inventory.urls")),
    path("stock-documents/", include("maoyi.web.stock_documents.urls")),
    path("settings/", include("maoyi.web.settings.urls")),
    path("crm/", include("maoyi.web.crm.urls")),
    path("purchasing/", include("maoyi.web.purchasing.urls")),
    path("sales/", include("maoyi.web.sales.urls")),
    path("reports/", include("maoyi.web.reports.urls")),
    path("dashboards/", include("maoyi.web.dashboards.urls")),
    path("imports/", include("maoyi.web.imports.urls")),
    path("finance/", include("maoyi.web.finance.urls")),
    path("invoicing/", include("maoyi.web.invoicing.urls")),
    path("", include("maoyi.web.printing")),  # print pages and PDFs of the documents
]
