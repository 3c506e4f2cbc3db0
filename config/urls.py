from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.health import healthz
from web.views import RedocView

from .admin_login import admin_login

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/login/", admin_login, name="admin-login"),  # throttled (config/admin_login.py)
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("collective.api.urls")),
    path("api/v1/", include("messaging.api.urls")),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("onboarding.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/v1/", include("realtime.api.urls")),
    # Last: the web app's pages (`/`, `/home`, `/threads/<id>`, ...) and the test harness (web/urls.py).
    path("", include("web.urls")),
]

# JSON error bodies for /api/ paths that fail outside a DRF view (core/errors.py).
handler400 = "core.errors.json_bad_request"
handler403 = "core.errors.json_permission_denied"
handler404 = "core.errors.json_not_found"
handler500 = "core.errors.json_server_error"
