from django.urls import path

from . import views

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
]
