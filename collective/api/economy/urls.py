"""URLs of the `economy` API area.

Points, leaderboard, credits, gifts, endorsements and badges (docs/economy.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("points/", views.PointsView.as_view(), name="points"),
    path("leaderboard/", views.LeaderboardView.as_view(), name="leaderboard"),
    path("me/onboarding/complete/", views.OnboardingCompleteView.as_view(), name="onboarding-complete"),
    path("credits/", views.CreditsView.as_view(), name="credits"),
    path("credits/costs/", views.CreditCostsView.as_view(), name="credit-costs"),
    path("credits/convert/", views.CreditConvertView.as_view(), name="credits-convert"),
    path("credits/spend/", views.CreditSpendView.as_view(), name="credits-spend"),
    path("gifts/", views.GiftCreateView.as_view(), name="gift-create"),
    path("endorsements/", views.EndorsementCreateView.as_view(), name="endorsement-create"),
    path("endorsements/<int:endorsement_id>/", views.EndorsementDetailView.as_view(), name="endorsement-detail"),
    path("endorsements/<int:endorsement_id>/flag/", views.EndorsementFlagView.as_view(), name="endorsement-flag"),
    path("badges/", views.BadgeTypesView.as_view(), name="badge-types"),
    path("badges/awards/", views.BadgeAwardCreateView.as_view(), name="badge-award-create"),
]
