"""The stable error codes of notifications: the `code` of every error body its services and views
answer (docs/errors.md is generated from here). A generic code (invalid, not_found, ...) is
core's `CoreCode`; a code here names one of notifications's rules."""

from core.errors import ErrorCode, register_codes


@register_codes("notifications")
class NotificationsCode(ErrorCode):
    INVALID_KIND = "invalid_kind", "Unknown notification kind; one of: …. (400)"
    INVALID_SIGNATURE = "invalid_signature", "Missing or invalid X-Twilio-Signature. (403)"
