from django.urls import path

from maoyi.web.finance import rates, views

# direction → (URL segment of its receivables/payables, URL segment of its receipts/payments)
SEGMENTS = {"receivable": ("receivables", "receipts"), "payable": ("payables", "payments")}

urlpatterns = [
    path("aging/", views.aging, name="finance-aging"),
    path("statement/", views.statement, name="finance-statement"),
    path("due/", views.due, name="finance-due"),
    path("parties/search/", views.party_search, name="party-search"),
]
for direction, (obligations, settlements) in SEGMENTS.items():
    side = views.SIDES[direction]
    kw = {"direction": direction}
    ob, st = side.obligation, side.settlement
    urlpatterns += [
        path(f"{obligations}/", views.obligation_list, kw, name=f"{ob}-list"),
        path(f"{obligations}/opening/", views.opening_create, kw, name=f"{ob}-opening"),
        path(f"{obligations}/<int:pk>/", views.obligation_detail, kw, name=f"{ob}-detail"),
        path(f"{obligations}/<int:pk>/reverse/", views.obligation_reverse, kw, name=f"{ob}-reverse"),
        path(f"{settlements}/", views.settlement_list, kw, name=f"{st}-list"),
        path(f"{settlements}/new/", views.settlement_create, kw, name=f"{st}-create"),
        path(f"{settlements}/open-items/", views.settlement_open_items, kw, name=f"{st}-open-items"),
        path(f"{settlements}/<int:pk>/", views.settlement_detail, kw, name=f"{st}-detail"),
        path(f"{settlements}/<int:pk>/allocate/", views.settlement_allocate, kw, name=f"{st}-allocate"),
        path(f"{settlements}/<int:pk>/reverse/", views.settlement_reverse, kw, name=f"{st}-reverse"),
    ]

# Exchange rates (汇率) ------------------------------------------------------------------------------
urlpatterns += [
    path("rates/", rates.rate_list, name="rate-list"),
    path("rates/new/", rates.rate_create, name="rate-create"),
]
