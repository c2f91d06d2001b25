from django.urls import path

from maoyi.web.inventory import views

urlpatterns = [
    path("availability/", views.availability, name="availability"),
    path("balances/", views.balance_list, name="balance-list"),
    path("moves/", views.move_list, name="move-list"),
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/<int:pk>/", views.lot_trace, name="lot-trace"),
    path("low-stock/", views.low_stock, name="low-stock"),
]
