"""API area `tools`.

The read-only tool catalogue and its taxonomies (docs/accounts.md).
"""
