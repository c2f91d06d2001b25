from django.urls import path

from maoyi.web.invoicing import views

urlpatterns = [
    path("", views.invoice_list, name="invoice-list"),
    path("new/", views.invoice_create, name="invoice-create"),
    path("new/documents/", views.open_documents, name="invoice-open-documents"),
    path("new/parties/", views.party_search, name="invoice-party-search"),
    path("to-invoice/", views.to_invoice, name="invoice-to-invoice"),
    path("missing/", views.missing_invoices, name="invoice-missing"),
    path("<int:pk>/", views.invoice_detail, name="invoice-detail"),
    path("<int:pk>/reverse/", views.invoice_reverse, name="invoice-reverse"),
]
