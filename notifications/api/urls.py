"""Mounted at /api/v1/ (config/urls.py): the same URLs they had under messaging."""

from django.urls import path

from . import notifications, sms

urlpatterns = [
    # Notifications (docs/notifications.md)
    path("notifications/", notifications.NotificationListView.as_view(), name="notification-list"),
    path("notifications/unread-count/", notifications.UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", notifications.NotificationReadAllView.as_view(), name="notification-read-all"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "me/notification-preferences/",
        notifications.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("sms/status/", sms.SmsStatusCallbackView.as_view(), name="sms-status"),
    path("sms/inbound/", sms.SmsInboundView.as_view(), name="sms-inbound"),
]
