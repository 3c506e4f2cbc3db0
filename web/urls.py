from django.urls import path

from . import views

urlpatterns = [path("test-harness/", views.test_harness, name="web-test-harness")]
