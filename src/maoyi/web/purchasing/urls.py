from django.urls import path

from maoyi.web.purchasing import orders, quotes, views

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

# Supplier quotes (报价管理) ---------------------------------------------------------------------------
urlpatterns += [
    path("quotes/", quotes.quote_list, name="quote-list"),
    path("quotes/new/", quotes.quote_create, name="quote-create"),
    path("quotes/compare/", quotes.quote_compare, name="quote-compare"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote-edit"),
    path("quotes/<int:pk>/withdraw/", quotes.quote_withdraw, name="quote-withdraw"),
    path("quotes/history/<int:pk>/", quotes.quote_history, name="quote-history"),
]

# Purchase orders (采购订单), goods receipts (入库), purchase returns (采购退货) ----------------------------
urlpatterns += [
    path("orders/", orders.order_list, name="purchase-order-list"),
    path("orders/new/", orders.order_create, name="purchase-order-create"),
    path("orders/to-receive/", orders.to_receive, name="purchase-to-receive"),
    path("orders/<int:pk>/", orders.order_detail, name="purchase-order-detail"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="purchase-order-edit"),
    path("orders/<int:pk>/submit/", orders.order_submit, name="purchase-order-submit"),
    path("orders/<int:pk>/withdraw/", orders.order_withdraw, name="purchase-order-withdraw"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="purchase-order-cancel"),
    path("orders/<int:pk>/unapprove/", orders.order_unapprove, name="purchase-order-unapprove"),
    path("orders/<int:pk>/receive/", orders.receipt_create, name="goods-receipt-create"),
    path("orders/<int:pk>/return/", orders.return_create, name="purchase-return-create"),
    path("receipts/<int:pk>/", orders.receipt_detail, name="goods-receipt-detail"),
    path("returns/", orders.return_list, name="purchase-return-list"),
    path("returns/to-ship/", orders.return_to_ship, name="purchase-return-to-ship"),
    path("returns/<int:pk>/", orders.return_detail, name="purchase-return-detail"),
    path("returns/<int:pk>/edit/", orders.return_edit, name="purchase-return-edit"),
    path("returns/<int:pk>/submit/", orders.return_submit, name="purchase-return-submit"),
    path("returns/<int:pk>/withdraw/", orders.return_withdraw, name="purchase-return-withdraw"),
    path("returns/<int:pk>/cancel/", orders.return_cancel, name="purchase-return-cancel"),
    path("returns/<int:pk>/ship/", orders.return_ship, name="purchase-return-ship"),
]
