"""URLs of the `accounts` API area.

Sign-up, login (token and session), CSRF and the member's own profile (docs/accounts.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenLoginView.as_view(), name="auth-token"),
    path("auth/session/", views.SessionView.as_view(), name="auth-session"),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("me/", views.MeView.as_view(), name="me"),
]
