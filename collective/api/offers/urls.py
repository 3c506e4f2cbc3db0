"""URLs of the `offers` API area.

Offers, asks, discovery, storefronts and home (docs/offers.md); matches (docs/matching.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("offers/", views.OfferListCreateView.as_view(), name="offer-list"),
    path("offers/me/", views.MyOffersView.as_view(), name="offer-me"),
    path("offers/<int:pk>/", views.OfferDetailView.as_view(), name="offer-detail"),
    path("offers/<int:pk>/view/", views.OfferViewView.as_view(), name="offer-view"),
    path("offers/<int:pk>/matches/", views.OfferMatchesView.as_view(), name="offer-matches"),
    path("asks/", views.AskListCreateView.as_view(), name="ask-list"),
    path("asks/me/", views.MyAsksView.as_view(), name="ask-me"),
    path("asks/<int:pk>/", views.AskDetailView.as_view(), name="ask-detail"),
    path("asks/<int:pk>/status/", views.AskStatusView.as_view(), name="ask-status"),
    path("asks/<int:pk>/view/", views.AskViewView.as_view(), name="ask-view"),
    path("asks/<int:pk>/matches/", views.AskMatchesView.as_view(), name="ask-matches"),
    path("matches/", views.MatchListView.as_view(), name="match-list"),
    path("discover/", views.DiscoverView.as_view(), name="discover"),
    path("discover/offers/", views.DiscoverOffersView.as_view(), name="discover-offers"),
    path("discover/asks/", views.DiscoverAsksView.as_view(), name="discover-asks"),
    path("discover/people/", views.DiscoverPeopleView.as_view(), name="discover-people"),
    path("people/<str:username>/", views.StorefrontView.as_view(), name="storefront"),
    path("home/", views.HomeView.as_view(), name="home"),
]
