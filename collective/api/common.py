"""Small nested representations shared by every API module (users, offers, asks in summaries).

They are defined in `collective.representations` (shared with the socket events) and re-exported
here for the API modules."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from collective.models import User
from collective.representations import AskSummarySerializer, OfferSummarySerializer, UserSummarySerializer

__all__ = ["AskSummarySerializer", "OfferSummarySerializer", "UserSummarySerializer", "request_user"]


def request_user(request: Request) -> User:
    """`request.user` in a view whose permission class (IsAuthenticated) has refused anonymous
    requests before the handler runs: always a `User` there, so only its type is narrowed."""
    return cast(User, request.user)
