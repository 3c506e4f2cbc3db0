"""URLs of the `webhooks` area: Stripe's webhook endpoint (contract §7)."""

from django.urls import path

from . import views

urlpatterns = [
    path("payments/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
]
