"""URLs of the `tools` API area.

The read-only tool catalogue and its taxonomies (docs/accounts.md).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tools", views.ToolViewSet, basename="tool")
router.register("taxonomies", views.TaxonomyViewSet, basename="taxonomy")

urlpatterns = [
    path("", include(router.urls)),
]
