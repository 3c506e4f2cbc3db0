"""The stable error codes of messaging: the `code` of every error body its services and views
answer (docs/errors.md is generated from here). A generic code (invalid, not_found, ...) is
core's `CoreCode`; a code here names one of messaging's rules."""

from core.errors import ErrorCode, register_codes


@register_codes("messaging")
class MessagingCode(ErrorCode):
    ATTACHMENT_NOT_FOUND = "attachment_not_found", "No … … you can attach. (400)"
    BLOCKED = "blocked", "You blocked this user: unblock them to send messages. (403)"
    EDIT_WINDOW_CLOSED = "edit_window_closed", "A message can be edited only within … minutes of sending. (403)"
    INVALID_CURSOR = "invalid_cursor", "Invalid cursor. (400)"
    MESSAGE_DELETED = "message_deleted", "A deleted message cannot be edited. (409)"
    MESSAGE_HIDDEN = "message_hidden", "A message hidden by a moderator cannot be edited. (409)"
    MESSAGE_NOT_IN_THREAD = "message_not_in_thread", "This message is not in this thread. (400)"
    NOT_SENDER = "not_sender", "Only the sender can change a message. (403)"
    SELF_THREAD = "self_thread", "You cannot open a conversation with yourself. (400)"
    SEND_RATE_LIMITED = "send_rate_limited", "You can send at most … messages a minute. (429)"
    STRANGER_THREAD_LIMIT = (
        "stranger_thread_limit",
        "You can start at most … conversations a day with people you are not connected to. (429)",
    )
