"""URLs of the `onboarding` area: the state, start (or resume), skip, answer."""

from django.urls import path

from . import views

urlpatterns = [
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
    path("onboarding/start/", views.OnboardingStartView.as_view(), name="onboarding-start"),
    path("onboarding/skip/", views.OnboardingSkipView.as_view(), name="onboarding-skip"),
    path("onboarding/answer/", views.OnboardingAnswerView.as_view(), name="onboarding-answer"),
]
