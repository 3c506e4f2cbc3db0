"""payments's API, mounted at /api/v1/ (config/urls.py): one package per area, `api/<area>/` with
its views, serializers and urls side by side; the areas in the order their URLs are matched."""

from django.urls import include, path

urlpatterns = [
    path("", include("payments.api.webhooks.urls")),
    path("", include("payments.api.checkout.urls")),
    path("", include("payments.api.payments.urls")),
]
