"""Reports (报表): sales, gross profit, stock on hand and the stock movement summary. Included by the
site's urls under /reports/ (in the `web` namespace)."""

from maoyi.web.reports import views

urlpatterns = views.urlpatterns
