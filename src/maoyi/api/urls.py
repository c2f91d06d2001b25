from django.urls import include, path
from rest_framework.routers import DefaultRouter

from maoyi.api import (
    attachments,
    crm,
    crm_activities,
    crm_campaigns,
    crm_expenses,
    crm_opportunities,
    crm_quotes,
    finance,
    invoices,
    purchase_orders,
    purchasing,
    sales,
)
from maoyi.api.approvals import ApprovalViewSet
from maoyi.api.catalog import CategoryViewSet, PriceLevelViewSet, ProductViewSet, WarehouseViewSet
from maoyi.api.inventory import LotViewSet, StockBalanceViewSet, StockMoveViewSet
from maoyi.api.org import DepartmentViewSet, EmployeeViewSet
from maoyi.api.token import ObtainToken

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("products", ProductViewSet, basename="product")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("categories", CategoryViewSet, basename="category")
router.register("price-levels", PriceLevelViewSet, basename="price-level")
router.register("stock-balances", StockBalanceViewSet, basename="stock-balance")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")
router.register("lots", LotViewSet, basename="lot")
for module in (
    crm,
    crm_opportunities,
    crm_activities,
    crm_quotes,
    crm_campaigns,
    crm_expenses,
    attachments,
    purchasing,
    purchase_orders,
    finance,
    sales,
    invoices,
):
    module.register(router)

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("", include(router.urls)),
]
