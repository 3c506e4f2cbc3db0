"""URLs of the `checkout` area: paying for a connection, buying an offer or a credit pack."""

from django.urls import path

from . import views

urlpatterns = [
    path("credit-packs/", views.CreditPackListView.as_view(), name="credit-packs"),
    path("credit-packs/<slug:slug>/buy/", views.CreditPackBuyView.as_view(), name="credit-pack-buy"),
    path("connections/<int:connection_id>/pay/", views.ConnectionPayView.as_view(), name="connection-pay"),
    path("offers/<int:offer_id>/buy/", views.OfferBuyView.as_view(), name="offer-buy"),
]
