"""Ava's onboarding conversation, as data (seed 001 §3.2; docs/onboarding.md describes the format).

The engine (`services.py`) walks `STEPS` in order and never holds a word of Ava's: every text she
says, every action her messages carry and every chip's meaning (the Ask or Offer it becomes) is
here. Changing the conversation is changing this module; the engine and the API stay as they are.

- `TEXTS`: what Ava says, by key. `{...}` fields are filled by the engine (`str.format`).
- `ACTIONS`: the `actions` of the message that asks each step's question (the shape of
  `realtime.catalogue.MessageAction`).
- `ASK_CHIPS` / `OFFER_CHIPS`: each chip's id (what an answer sends back in `values`), its label,
  and what it creates: the `ask_type`/`offer_type`, the offer category's slug (seed 000; no
  category when the reference data is not loaded), the title and description of the row, and for
  offers the follow-up question it needs (`link`: apps, courses, templates; `service`: consulting,
  mentorship; none: skills).
- `TYPED_ASK` / `TYPED_OFFER`: what an entry the member types becomes (documented defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The community guidelines the member agrees to (Part 4). Bump when the text of "respect" changes;
# `settings.ONBOARDING_GUIDELINES_VERSION` overrides it.
GUIDELINES_VERSION = "2026-12-01"

STEPS = ("welcome", "asks", "offers", "offer_details", "respect", "complete")

# At most this many typed entries per answer (one per line), each at most TYPED_MAX characters.
TYPED_LIMIT = 5
TYPED_MAX = 200


@dataclass(frozen=True)
class Chip:
    id: str
    label: str
    type: str  # an AskType (asks) or an OfferType (offers) value
    category: str  # an offer category slug (collective/services/reference.py OFFER_CATEGORIES)
    title: str
    description: str
    follow_up: str = ""  # offers only: "link", "service" or "" (none)


ASK_CHIPS: tuple[Chip, ...] = (
    Chip("feedback", "Feedback on something I'm building", "feedback", "development",
         "Feedback on something I'm building", "I'd love feedback on something I'm building."),
    Chip("beta_testers", "Beta testers for my project", "beta_tester", "development",
         "Beta testers for my project", "Looking for beta testers for my project."),
    Chip("collaborator", "A collaborator or co-founder", "collaborator", "other",
         "A collaborator or co-founder", "Looking for a collaborator or co-founder."),
    Chip("learning", "Learning a new skill (AI, coding, marketing)", "learning", "learning-education",
         "Learning a new skill", "I want to learn a new skill (AI, coding, marketing)."),
    Chip("advice", "Advice or mentorship", "advice", "learning-education",
         "Advice or mentorship", "Looking for advice or mentorship."),
    Chip("tools", "Tool recommendations", "advice", "operations",
         "Tool recommendations", "Looking for tool recommendations."),
)  # fmt: skip

# Grouped as Part 3 shows them; the group is the id's prefix (`built-`, `service-`, `skill-`).
OFFER_GROUPS: tuple[tuple[str, str], ...] = (
    ("built", "Things you've built (creates project pages)"),
    ("service", "Services"),
    ("skill", "Skills (quick to give)"),
)

OFFER_CHIPS: tuple[Chip, ...] = (
    Chip("built-app", "An app or tool", "app", "development",
         "My app or tool", "An app or tool I built.", "link"),
    Chip("built-course", "A course or tutorial", "course", "learning-education",
         "My course or tutorial", "A course or tutorial I made.", "link"),
    Chip("built-template", "Templates or resources", "template", "operations",
         "My templates and resources", "Templates or resources I made.", "link"),
    Chip("service-consulting", "Consulting or coaching", "service", "other",
         "Consulting or coaching", "Consulting or coaching.", "service"),
    Chip("service-mentorship", "Mentorship", "mentorship", "learning-education",
         "Mentorship", "Mentorship.", "service"),
    Chip("skill-website-feedback", "Website/landing page feedback", "feedback", "creative-design",
         "Website/landing page feedback", "Honest feedback on your website or landing page."),
    Chip("skill-code-review", "Code review", "feedback", "development",
         "Code review", "A careful review of your code."),
    Chip("skill-design-feedback", "Design feedback", "feedback", "creative-design",
         "Design feedback", "Feedback on your design."),
    Chip("skill-marketing", "Marketing/growth advice", "skill", "marketing-content",
         "Marketing/growth advice", "Advice on marketing and growth."),
    Chip("skill-writing", "Writing/editing help", "skill", "marketing-content",
         "Writing/editing help", "Help with writing and editing."),
    Chip("skill-beta-testing", "Beta test others' projects", "feedback", "development",
         "Beta testing", "I'll beta test your project."),
    Chip("skill-accountability", "Accountability partner", "skill", "operations",
         "Accountability partner", "I'll be your accountability partner."),
    Chip("skill-introductions", "Introductions/connections", "skill", "sales-outreach",
         "Introductions/connections", "Introductions to people in my network."),
)  # fmt: skip

# A typed ask is an `advice` ask in "other"; a typed offer a `skill` offer in "other" (no follow-up).
# The typed line is the title (cut at 200 characters) and the description.
TYPED_ASK = {"type": "advice", "category": "other"}
TYPED_OFFER = {"type": "skill", "category": "other"}

# What a `link` follow-up creates: an offer of the chip's type, titled after the link's host.
LINK_TITLE = "{label}: {host}"
LINK_DESCRIPTION = "{description} {url}"
# What a `service` follow-up creates: the chip's type, titled "<label>: <what you help with>".
SERVICE_TITLE = "{label}: {text}"
SERVICE_DESCRIPTION = "I help with {text}"

# A typed reply that agrees to the guidelines (compared lower-cased, without punctuation).
AGREE_WORDS = ("i agree", "agree", "i agree to these guidelines", "yes", "ok", "okay", "sure")

TEXTS: dict[str, str] = {
    "welcome": (
        "Welcome to All Thrive — The Ask & Offer AI Collective.\n\n"
        "We believe everyone has something to offer and the ability to ask for what they need.\n\n"
        "Our values are Generosity, Curiosity, and Respect.\n\n"
        "We ask that you come with an open mind, share what you're working on, and ask and offer freely.\n\n"
        "We're glad you're here. Let's get started."
    ),
    "asks": (
        "Let's start with Curiosity.\n\n"
        "What do you need right now? What are you trying to learn or figure out?\n\n"
        "Select any that apply, or type your own:"
    ),
    "offers": (
        "Now let's talk about Generosity — giving for the joy of giving.\n\n"
        "What it IS:\n"
        "• Unconditional — no expectation of anything back\n"
        "• Consent-based — you choose what and when to give\n\n"
        "What it is NOT:\n"
        "• Bartering or trading\n"
        "• Obligation — your presence is enough\n\n"
        "What do YOU have to offer?"
    ),
    "link": "Nice! Paste a link and I'll create a page for you:",
    "service": "What do you help people with? (e.g., 'AI strategy for startups')",
    "respect": (
        "Finally, Respect.\n\n"
        "Our community guidelines:\n"
        "• Be kind and constructive in feedback\n"
        "• Honor people's time — show up when you commit\n"
        "• Keep conversations confidential unless agreed otherwise\n"
        "• Give credit where it's due\n"
        "• No spam, no pitching without permission\n"
        "• Assume good intent\n\n"
        "These guidelines help us maintain a generous, curious, and respectful space."
    ),
    "complete": (
        "You're all set! Welcome to the collective.\n\n"
        "Your profile now shows {offers} and {asks}.\n\n"
        "You can always update these from your profile.\n\n"
        "Ready to explore?"
    ),
    # Acknowledgements ("Got it: …") and the rest.
    "ack_continue": "Great — let's go.",
    "ack_list": "Got it: {items}.",
    "ack_none_asks": "Got it: no asks for now. You can add them any time from your profile.",
    "ack_none_offers": "Got it: nothing to offer yet — your presence is enough. You can add offers later.",
    "ack_link": "Got it: I created a page for {url}.",
    "ack_service": "Got it: you help people with {text}.",
    "ack_agree": "Got it: thank you for agreeing to the guidelines.",
    "bad_link": "That doesn't look like a link. Paste one that starts with https:// (for example https://myapp.com).",
    "agree_hint": "When you're ready, tap “I agree to these guidelines” (or reply “I agree”).",
    "matches_intro": "People here who can help with what you asked for:",
    "match_line": "• {title} — by @{username} (for “{ask}”)",
    "welcome_back": "Welcome back! Let's pick up where we left off.",
}


def _chips_action(action_id: str, label: str, chips: tuple[Chip, ...], placeholder: str) -> dict[str, Any]:
    return {
        "id": action_id,
        "type": "chips",
        "label": label,
        "options": [{"id": c.id, "label": c.label} for c in chips],
        "multiple": True,
        "free_text": True,
        "placeholder": placeholder,
        "submit_label": "Continue →",
    }


ACTIONS: dict[str, list[dict[str, Any]]] = {
    "welcome": [{"id": "continue", "type": "button", "label": "Continue →", "submit_label": "Continue →"}],
    "asks": [_chips_action("asks", "Your asks", ASK_CHIPS, "Type your own ask...")],
    "offers": [_chips_action("offers", "Your offers", OFFER_CHIPS, "Type your own offer...")],
    "link": [
        {"id": "link", "type": "text", "label": "Link", "placeholder": "https://myapp.com", "submit_label": "Import →"}
    ],
    "service": [
        {
            "id": "service",
            "type": "text",
            "label": "What you help with",
            "placeholder": "I help with...",
            "submit_label": "Continue →",
        }
    ],
    "respect": [
        {
            "id": "agree",
            "type": "button",
            "label": "I agree to these guidelines ✓",
            "submit_label": "I agree to these guidelines ✓",
        }
    ],
    "complete": [
        {"id": "enter", "type": "button", "label": "Enter the Collective →", "submit_label": "Enter the Collective →"}
    ],
}

ASK_BY_ID = {c.id: c for c in ASK_CHIPS}
OFFER_BY_ID = {c.id: c for c in OFFER_CHIPS}
