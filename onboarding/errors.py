"""The stable error codes of onboarding (docs/errors.md is generated from here; docs/onboarding.md
says when each is raised)."""

from core.errors import ErrorCode, register_codes


@register_codes("onboarding")
class OnboardingCode(ErrorCode):
    ALREADY_ANSWERED = (
        "already_answered",
        "This message of Ava's was already answered (or is no longer the question); nothing changed. (409)",
    )
    ONBOARDING_COMPLETED = "onboarding_completed", "Onboarding is already complete; nothing changed. (409)"
    INVALID_ACTION = "invalid_action", "This message offers no such action. (400)"
    INVALID_OPTION = "invalid_option", "Not an option of this action: …. (400)"
    INVALID_LINK = "invalid_link", "Paste a link that starts with http:// or https://. (400)"
    TEXT_REQUIRED = "text_required", "This question needs a typed answer (text). (400)"
