"""API area `notifications`.

The notification feed and the member's notification preferences (docs/notifications.md).
"""
