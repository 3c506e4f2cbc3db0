from django.urls import path

from . import notifications, phone, sms, views

urlpatterns = [
    path("threads/", views.ThreadListView.as_view(), name="thread-list"),
    path("threads/<int:thread_id>/", views.ThreadDetailView.as_view(), name="thread-detail"),
    path("threads/<int:thread_id>/archive/", views.ThreadArchiveView.as_view(), name="thread-archive"),
    path("threads/<int:thread_id>/unarchive/", views.ThreadUnarchiveView.as_view(), name="thread-unarchive"),
    path("threads/<int:thread_id>/read/", views.ThreadReadView.as_view(), name="thread-read"),
    path("threads/<int:thread_id>/messages/", views.MessageListView.as_view(), name="thread-messages"),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/",
        views.MessageDetailView.as_view(),
        name="thread-message-detail",
    ),
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
    path("me/phone/verify/start/", phone.PhoneVerifyStartView.as_view(), name="phone-verify-start"),
    path("me/phone/verify/confirm/", phone.PhoneVerifyConfirmView.as_view(), name="phone-verify-confirm"),
    path("sms/status/", sms.SmsStatusCallbackView.as_view(), name="sms-status"),
    path("sms/inbound/", sms.SmsInboundView.as_view(), name="sms-inbound"),
]
