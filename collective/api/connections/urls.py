"""URLs of the `connections` API area.

Connections (and their price proposals), follows and blocks (docs/connections.md).
"""

from django.urls import path

from . import views

urlpatterns = [
    path("connections/", views.ConnectionListCreateView.as_view(), name="connection-list"),
    path("connections/<int:connection_id>/", views.ConnectionDetailView.as_view(), name="connection-detail"),
    path("connections/<int:connection_id>/rate/", views.ConnectionRateView.as_view(), name="connection-rate"),
    path(
        "connections/<int:connection_id>/proposals/",
        views.ProposalListCreateView.as_view(),
        name="connection-proposals",
    ),
    path(
        "connections/<int:connection_id>/proposals/<int:proposal_id>/accept/",
        views.ProposalAcceptView.as_view(),
        name="connection-proposal-accept",
    ),
    path(
        "connections/<int:connection_id>/proposals/<int:proposal_id>/decline/",
        views.ProposalDeclineView.as_view(),
        name="connection-proposal-decline",
    ),
    path(
        "connections/<int:connection_id>/proposals/<int:proposal_id>/withdraw/",
        views.ProposalWithdrawView.as_view(),
        name="connection-proposal-withdraw",
    ),
    path("follows/", views.FollowCreateView.as_view(), name="follow-create"),
    path("follows/<int:user_id>/", views.FollowDeleteView.as_view(), name="follow-delete"),
    path("people/<str:username>/followers/", views.FollowersListView.as_view(), name="people-followers"),
    path("people/<str:username>/following/", views.FollowingListView.as_view(), name="people-following"),
    path("blocks/", views.BlockListCreateView.as_view(), name="block-list"),
    path("blocks/<int:user_id>/", views.BlockDeleteView.as_view(), name="block-delete"),
]
