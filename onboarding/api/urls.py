"""onboarding's API, mounted at /api/v1/ (config/urls.py): one package per area."""

from django.urls import include, path

urlpatterns = [
    path("", include("onboarding.api.onboarding.urls")),
]
