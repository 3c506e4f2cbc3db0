"""API area `sms`.

Twilio's webhooks: delivery status callbacks and inbound SMS (docs/notifications.md).
"""
