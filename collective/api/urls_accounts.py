from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import accounts, phone, tools

router = SimpleRouter()
router.register("tools", tools.ToolViewSet, basename="tool")
router.register("taxonomies", tools.TaxonomyViewSet, basename="taxonomy")

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", accounts.TokenLoginView.as_view(), name="auth-token"),
    path("auth/session/", accounts.SessionView.as_view(), name="auth-session"),
    path("auth/csrf/", accounts.CsrfView.as_view(), name="auth-csrf"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("me/phone/verify/start/", phone.PhoneVerifyStartView.as_view(), name="phone-verify-start"),
    path("me/phone/verify/confirm/", phone.PhoneVerifyConfirmView.as_view(), name="phone-verify-confirm"),
    path("", include(router.urls)),
]
