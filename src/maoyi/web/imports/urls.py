"""导入 URLs, included under /imports/ in the web namespace. Each kind also has its own name
(`import-customers`, `import-products`, …) for the sidebar."""

from __future__ import annotations

from django.urls import URLPattern, path

from maoyi.web.imports import views
from maoyi.web.imports.kinds import KINDS

urlpatterns: list[URLPattern] = [
    path("", views.index, name="import-index"),
    path("jobs/<slug:job_id>/", views.import_job, name="import-job"),
    path("jobs/<slug:job_id>/progress/", views.import_progress, name="import-progress"),
    path("jobs/<slug:job_id>/confirm/", views.import_confirm, name="import-confirm"),
    *[path(f"{slug}/", views.import_page, {"slug": slug}, name=f"import-{slug}") for slug in KINDS],
    path("<slug:slug>/", views.import_page, name="import-page"),
    path("<slug:slug>/template/", views.import_template, name="import-template"),
]
