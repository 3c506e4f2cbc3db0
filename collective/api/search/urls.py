"""URLs of the `search` API area (docs/offers.md, "Search")."""

from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="search"),
]
