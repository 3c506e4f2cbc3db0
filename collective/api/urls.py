"""collective's API, mounted at /api/v1/ (config/urls.py): one package per area, `api/<area>/`
with its views, serializers and urls side by side; the areas in the order their URLs are matched."""

from django.urls import include, path

urlpatterns = [
    path("", include("collective.api.accounts.urls")),
    path("", include("collective.api.phone.urls")),
    path("", include("collective.api.tools.urls")),
    path("", include("collective.api.offers.urls")),
    path("", include("collective.api.connections.urls")),
    path("", include("collective.api.economy.urls")),
    path("", include("collective.api.search.urls")),
]
