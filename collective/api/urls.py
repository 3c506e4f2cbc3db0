from django.urls import include, path

urlpatterns = [
    path("", include("collective.api.urls_accounts")),
    path("", include("collective.api.urls_offers")),
    path("", include("collective.api.urls_connections")),
    path("", include("collective.api.urls_economy")),
]
