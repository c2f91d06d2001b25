from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("maoyi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("maoyi.web.urls")),
]


def _not_found_json(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The API answers 404 in its own error shape; pages get the site's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("记录不存在。")), "code": "not_found"}, status=404)
    return page_not_found(request, exception or Exception())


handler404 = _not_found_json
