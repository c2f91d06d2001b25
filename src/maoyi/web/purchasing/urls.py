from django.urls import path

from maoyi.web.purchasing import views

urlpatterns = [
    path("suppliers/", views.supplier_list, name="supplier-list"),
    path("suppliers/new/", views.supplier_create, name="supplier-create"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier-detail"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier-edit"),
    path("suppliers/<int:pk>/toggle/", views.supplier_toggle, name="supplier-toggle"),
    path("suppliers/<int:pk>/contacts/", views.supplier_contact_save, name="supplier-contact-save"),
    path(
        "suppliers/<int:pk>/contacts/<int:contact_pk>/remove/",
        views.supplier_contact_remove,
        name="supplier-contact-remove",
    ),
]
