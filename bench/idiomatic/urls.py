from django.urls import path

from .views import MessageCreate

urlpatterns = [path("api/messages/", MessageCreate.as_view())]
