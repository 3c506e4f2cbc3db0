"""API area `phone`.

Phone verification: start and confirm (docs/notifications.md; the service is accounts').
"""
