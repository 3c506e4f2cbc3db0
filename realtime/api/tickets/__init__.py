"""API area `tickets`.

Socket tickets for the realtime handshake (docs/realtime.md).
"""
