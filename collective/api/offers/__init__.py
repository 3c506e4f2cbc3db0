"""API area `offers`.

Offers, asks, discovery, storefronts and home (docs/offers.md).
"""
