from django.urls import path

from maoyi.web.catalog import views

urlpatterns = [
    path("products/", views.product_list, name="product-list"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("products/<int:pk>/deactivate/", views.product_deactivate, name="product-deactivate"),
    path("products/<int:pk>/reactivate/", views.product_reactivate, name="product-reactivate"),
    path("categories/", views.category_list, name="category-list"),
    path("categories/new/", views.category_create, name="category-create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category-edit"),
    path("price-levels/", views.price_level_list, name="price-level-list"),
    path("price-levels/new/", views.price_level_create, name="price-level-create"),
    path("price-levels/<int:pk>/edit/", views.price_level_edit, name="price-level-edit"),
    path("warehouses/", views.warehouse_list, name="warehouse-list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse-create"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse-edit"),
]
