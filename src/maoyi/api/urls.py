from django.urls import include, path
from rest_framework.routers import DefaultRouter

from maoyi.api.approvals import ApprovalViewSet
from maoyi.api.org import DepartmentViewSet, EmployeeViewSet
from maoyi.api.token import ObtainToken

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("approvals", ApprovalViewSet, basename="approval")

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("", include(router.urls)),
]
