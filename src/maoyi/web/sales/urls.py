"""Sales pages (销售): orders, shipments (发货) and sales returns (销售退货). Each page module keeps
its own routes next to its views; the customer-page tabs sales adds are registered by `tabs`."""

from maoyi.web.sales import orders, returns, shipping, tabs  # noqa: F401  (tabs registers itself)

urlpatterns = [*orders.urlpatterns, *shipping.urlpatterns, *returns.urlpatterns]
