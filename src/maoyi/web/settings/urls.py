from django.urls import path

from maoyi.web.settings import views

urlpatterns = [
    path("numbering/", views.numbering_list, name="numbering-list"),
    path("numbering/<slug:document_type>/", views.numbering_edit, name="numbering-edit"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("audit/", views.audit_log, name="audit-log"),
]
