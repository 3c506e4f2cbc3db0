"""Small nested representations shared by every API module (users, offers, asks in summaries).

They are defined in `collective.representations` (shared with the socket events) and re-exported
here for the API modules."""

from __future__ import annotations

from collective.representations import AskSummarySerializer, OfferSummarySerializer, UserSummarySerializer

__all__ = ["AskSummarySerializer", "OfferSummarySerializer", "UserSummarySerializer"]
