"""URLs of the `payments` area: a member's payments, a creator's earnings and payout account."""

from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("payments/earnings/", views.EarningsView.as_view(), name="earnings"),
    path("payments/ledger/", views.LedgerView.as_view(), name="payments-ledger"),
    path("payments/payout-account/", views.PayoutAccountView.as_view(), name="payout-account"),
    path(
        "payments/payout-account/onboarding/",
        views.PayoutOnboardingView.as_view(),
        name="payout-account-onboarding",
    ),
    path("payments/<int:payment_id>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<int:payment_id>/refresh/", views.PaymentRefreshView.as_view(), name="payment-refresh"),
]
