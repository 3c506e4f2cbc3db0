"""The `search` API area: one box over offers, asks and people (docs/offers.md, "Search")."""
