"""URLs of the `phone` API area.

Phone verification: start and confirm (docs/notifications.md; the service is accounts').
"""

from django.urls import path

from . import views

urlpatterns = [
    path("me/phone/verify/start/", views.PhoneVerifyStartView.as_view(), name="phone-verify-start"),
    path("me/phone/verify/confirm/", views.PhoneVerifyConfirmView.as_view(), name="phone-verify-confirm"),
]
