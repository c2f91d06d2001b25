from django.urls import path

from maoyi.web.stock_documents import views

SEGMENTS = {"opening": "opening", "stocktake": "stocktakes", "transfer": "transfers"}

urlpatterns = [
    path("opening/new/", views.opening_form, name="opening-create"),
    path("opening/<int:pk>/edit/", views.opening_form, name="opening-edit"),
    path("stocktakes/new/", views.stocktake_start, name="stocktake-create"),
    path("stocktakes/<int:pk>/edit/", views.stocktake_edit, name="stocktake-edit"),
    path("transfers/new/", views.transfer_form, name="transfer-create"),
    path("transfers/<int:pk>/edit/", views.transfer_form, name="transfer-edit"),
    path("reversals/<int:pk>/", views.reversal_detail, name="stock-reversal-detail"),
]
for kind, segment in SEGMENTS.items():
    urlpatterns += [
        path(f"{segment}/", views.document_list, {"kind": kind}, name=f"{kind}-list"),
        path(f"{segment}/<int:pk>/", views.document_detail, {"kind": kind}, name=f"{kind}-detail"),
        path(f"{segment}/<int:pk>/submit/", views.document_submit, {"kind": kind}, name=f"{kind}-submit"),
        path(
            f"{segment}/<int:pk>/withdraw/", views.document_withdraw, {"kind": kind}, name=f"{kind}-withdraw"
        ),
        path(f"{segment}/<int:pk>/cancel/", views.document_cancel, {"kind": kind}, name=f"{kind}-cancel"),
        path(f"{segment}/<int:pk>/reverse/", views.document_reverse, {"kind": kind}, name=f"{kind}-reverse"),
    ]
