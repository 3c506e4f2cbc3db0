"""URLs of the `sms` API area.

Twilio's webhooks: delivery status callbacks and inbound SMS (docs/notifications.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("sms/status/", views.SmsStatusCallbackView.as_view(), name="sms-status"),
    path("sms/inbound/", views.SmsInboundView.as_view(), name="sms-inbound"),
]
