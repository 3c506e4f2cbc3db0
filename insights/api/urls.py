"""insights's API, mounted at /api/v1/ (config/urls.py): one package per area, `api/<area>/`
with its views, serializers and urls side by side."""

from django.urls import include, path

urlpatterns = [
    path("", include("insights.api.health.urls")),
]
