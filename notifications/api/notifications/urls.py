"""URLs of the `notifications` API area.

The notification feed and the member's notification preferences (docs/notifications.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/unread-count/", views.UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path(
        "notifications/<int:notification_id>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "me/notification-preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
]
