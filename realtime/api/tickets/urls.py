"""URLs of the `tickets` API area.

Socket tickets for the realtime handshake (docs/realtime.md).
"""

from django.urls import path

from . import views

urlpatterns = [path("realtime/tickets/", views.TicketView.as_view(), name="realtime-ticket")]
