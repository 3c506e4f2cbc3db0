from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.health import healthz
from core.metrics_view import metrics_view
from insights.admin_views import health_view
from notifications.links import sms_link_open
from realtime.asyncapi import asyncapi_view
from web.views import RedocView

from .admin_login import admin_login
from .api_root import api_root

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; loopback or METRICS_TOKEN (core/metrics_view.py)
    path("admin/login/", admin_login, name="admin-login"),  # throttled (config/admin_login.py)
    path("admin/health/", admin.site.admin_view(health_view), name="admin-health"),  # community health (insights/)
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/asyncapi/", asyncapi_view, name="asyncapi"),  # the WebSocket protocol (realtime/asyncapi.py)
    path("api/v1/", api_root, name="api-root"),  # a directory of the areas below (config/api_root.py)
    path("api/v1/", include("collective.api.urls")),
    path("api/v1/", include("messaging.api.urls")),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("onboarding.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/v1/", include("realtime.api.urls")),
    path("api/v1/", include("insights.api.urls")),
    path("n/<str:token>", sms_link_open, name="sms-link"),  # tracked SMS links (notifications/links.py)
    # Last: the web app's pages (`/`, `/home`, `/threads/<id>`, ...) and the test harness (web/urls.py).
    path("", include("web.urls")),
]

# JSON error bodies for /api/ paths that fail outside a DRF view (core/errors.py).
handler400 = "core.errors.json_bad_request"
handler403 = "core.errors.json_permission_denied"
handler404 = "core.errors.json_not_found"
handler500 = "core.errors.json_server_error"
