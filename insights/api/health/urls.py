from django.urls import path

from .views import CommunityHealthView

urlpatterns = [
    path("staff/health/", CommunityHealthView.as_view(), name="staff-health"),
]
