"""The onboarding engine: deterministic, driven by the script (`onboarding/script.py`).

Every write runs in one transaction under the member's session row lock (`select_for_update`),
so a step is answered once: the answer names Ava's message awaiting it (`current_message`), an
answer to any other message of hers is `409 already_answered`, and nothing is created twice.
In each step the engine first creates (asks and offers through collective's services, the
points), then posts Ava's replies through messaging's one send path, inside `toast_batch`: user
rows are locked before event streams, and the streams of Ava's messages (Ava's and the member's,
in ascending id) before the member's toasts, which the batch publishes last (docs/economy.md).

The member answers either through `onboarding_answer` (`POST /api/v1/onboarding/answer/`: chips,
buttons, text prompts) or by typing a message in the thread (`onboarding_message_receive`, called
after the message commits by `subscribers.py`).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from collective.models import AgentProfile, Ask, Offer, OfferStatus, Taxonomy, TaxonomyType, User
from collective.models.users import UserRole
from collective.selectors.users import users_named
from collective.services.offers import ask_create, offer_create
from collective.services.points import onboarding_complete, toast_batch
from collective.services.users import agent_link
from core.errors import Conflict, CoreCode, DomainError, NotFound
from core.events import announce
from messaging.models import Message
from messaging.services import message_send, thread_get_or_create

from . import script
from .errors import OnboardingCode
from .events import OnboardingCompleted, OnboardingStepAnswered
from .models import OnboardingSession, OnboardingStatus, OnboardingStep

try:
    # The matching engine (collective/selectors/matching.py) is being written alongside this app;
    # until it lands, the completion message simply has no suggestions.
    from collective.selectors.matching import matches_for_ask
except ImportError:  # pragma: no cover - depends on the matching app's progress
    matches_for_ask = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

AVA_USERNAME = "ava"
PLATFORM_USERNAME = "collective"
AVA_TAGLINE = "Your guide to the collective"
MATCHES_PER_ASK = 3
MATCHES_SHOWN = 5

# Ava's user id in this process, once looked up (`ava_id()`): the message subscriber's cheap test.
_ava_pk: int | None = None
# When `ava_id()` last found no Ava (time.monotonic()): she is looked up again only after
# AVA_ABSENT_RECHECK seconds, not on every message of a database without reference data.
_ava_absent_at: float | None = None
AVA_ABSENT_RECHECK = 30.0


def guidelines_version() -> str:
    return getattr(settings, "ONBOARDING_GUIDELINES_VERSION", "") or script.GUIDELINES_VERSION


# --- Ava ---------------------------------------------------------------------------------------


def _platform_account() -> User:
    owner = users_named(PLATFORM_USERNAME).first()
    if owner is not None:
        return owner
    try:
        with transaction.atomic():
            owner = User(username=PLATFORM_USERNAME, email="collective@platform.invalid", is_staff=True)
            owner.set_unusable_password()
            owner.save()
            return owner
    except IntegrityError:  # created concurrently
        return users_named(PLATFORM_USERNAME).get()


def ava_ensure() -> User:
    """Ava (`role="agent"`, username `ava`), owned by the platform account `collective` (staff, no
    usable password): both created if missing. Idempotent and safe under concurrent calls.
    `manage.py load_reference_data` calls it; the engine does too (tests load no reference data)."""
    global _ava_pk
    ava = User.objects.filter(username=AVA_USERNAME, role=UserRole.AGENT).first()
    if ava is None or not AgentProfile.objects.filter(user=ava).exists():
        owner = _platform_account()
        try:
            with transaction.atomic():
                profile, _ = agent_link(
                    agent_username=AVA_USERNAME,
                    owner_username=owner.username,
                    create_agent=True,
                    email="ava@agents.invalid",
                )
                if not profile.tagline:
                    AgentProfile.objects.filter(pk=profile.pk).update(tagline=AVA_TAGLINE)
        except IntegrityError:  # created concurrently
            pass
        ava = User.objects.get(username=AVA_USERNAME, role=UserRole.AGENT)
    _ava_pk = ava.pk
    return ava


def ava_id() -> int | None:
    """Ava's id, remembered in the process after the first look-up (None if she does not exist;
    that answer is remembered for AVA_ABSENT_RECHECK seconds, or until `ava_ensure` creates her)."""
    global _ava_pk, _ava_absent_at
    if _ava_pk is None:
        if _ava_absent_at is not None and time.monotonic() - _ava_absent_at < AVA_ABSENT_RECHECK:
            return None
        _ava_pk = User.objects.filter(username=AVA_USERNAME, role=UserRole.AGENT).values_list("pk", flat=True).first()
        _ava_absent_at = time.monotonic() if _ava_pk is None else None
    return _ava_pk


# --- reads ---------------------------------------------------------------------------------------


def onboarding_session_get(*, user) -> OnboardingSession | None:
    return OnboardingSession.objects.filter(user=user).first()


# --- the session ----------------------------------------------------------------------------------


def _session_locked(user) -> OnboardingSession:
    session = OnboardingSession.objects.select_for_update().filter(user=user).first()
    if session is not None:
        return session
    try:
        with transaction.atomic():
            OnboardingSession.objects.create(user=user)
    except IntegrityError:  # started concurrently: the other request's row
        pass
    return OnboardingSession.objects.select_for_update().get(user=user)


def _say(
    session: OnboardingSession, ava: User, body: str, *, actions: list[dict[str, Any]] | None = None, attachments=None
) -> Message:
    """Post one message of Ava's in the session's thread. The client_id counts Ava's messages in
    this session, so a retried post (the same count) is a replay, never a second message."""
    session.said += 1
    return message_send(
        thread=session.thread,
        sender=ava,
        body=body,
        actions=actions,
        attachments=attachments,
        client_id=f"onboarding:{session.pk}:{session.said}",
        notify=False,  # the member is in the conversation; no "new message" notification for Ava's lines
        rate_limit=False,  # one sender for every member: the per-sender send rate is not for Ava
    )


def _question(session: OnboardingSession, ava: User) -> None:
    """Ask the current step's question: the message that awaits the member's answer."""
    step = session.step
    if step == OnboardingStep.OFFER_DETAILS:
        chip = script.OFFER_BY_ID[session.pending_details[0]]
        key = chip.follow_up
        actions = [{**action, "label": chip.label} for action in script.ACTIONS[key]]
        body = script.TEXTS[key]
    elif step == OnboardingStep.COMPLETE:
        actions = script.ACTIONS["complete"]
        body = script.TEXTS["complete"].format(
            offers=_count(len(session.offer_ids), "offer"), asks=_count(len(session.ask_ids), "ask")
        )
    else:
        actions, body = script.ACTIONS[step], script.TEXTS[step]
    session.current_message = _say(session, ava, body, actions=actions)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@transaction.atomic
def onboarding_start(*, user) -> OnboardingSession:
    """Start the member's onboarding, or resume it. Idempotent: the first call creates the session,
    the thread with Ava and the welcome; a later one changes nothing (the question awaiting an
    answer is still the last of Ava's messages), except after `onboarding_skip`: Ava welcomes the
    member back and asks the current step's question again (that message is now the one to answer).
    A completed onboarding stays as it is."""
    if user.role == UserRole.AGENT:
        raise DomainError("Agents are not onboarded.", code=CoreCode.INVALID)
    ava = ava_ensure()
    session = _session_locked(user)
    if session.status == OnboardingStatus.COMPLETED:
        return session
    with toast_batch():
        if session.thread_id is None:
            session.thread, _ = thread_get_or_create(user_a=ava, user_b=user)
        if session.current_message_id is None:
            _question(session, ava)
        elif session.status == OnboardingStatus.SKIPPED:
            _say(session, ava, script.TEXTS["welcome_back"])
            _question(session, ava)
        session.status = OnboardingStatus.IN_PROGRESS
        session.save()
    return session


@transaction.atomic
def onboarding_skip(*, user) -> OnboardingSession:
    """Finish later: the session keeps its step; `onboarding_start` resumes it. Idempotent; a
    completed onboarding is a 409."""
    session = _session_locked(user)
    if session.status == OnboardingStatus.COMPLETED:
        raise Conflict("Onboarding is already complete.", code=OnboardingCode.ONBOARDING_COMPLETED)
    if session.status != OnboardingStatus.SKIPPED:
        session.status = OnboardingStatus.SKIPPED
        session.skipped_at = timezone.now()
        session.save()
    return session


# --- answers --------------------------------------------------------------------------------------


def _typed_entries(text: str | None) -> list[str]:
    """The member's own entries: one per line (or separated by ";"), trimmed, without repeats."""
    if not text:
        return []
    entries: list[str] = []
    for part in re.split(r"[\n;]+", text):
        part = " ".join(part.split())
        if part and part.lower() not in (e.lower() for e in entries):
            entries.append(part[: script.TYPED_MAX])
    return entries[: script.TYPED_LIMIT]


def _split_typed(entries: list[str], chips: dict[str, script.Chip]) -> tuple[list[str], list[str]]:
    """A typed entry that is a chip's label (any case) is that chip; the rest stay typed."""
    by_label = {c.label.lower(): c.id for c in chips.values()}
    picked: list[str] = []
    typed: list[str] = []
    for entry in entries:
        chip_id = by_label.get(entry.lower().rstrip("."))
        (picked if chip_id else typed).append(chip_id or entry)
    return picked, typed


def _chip_values(values: list[str] | None, chips: dict[str, script.Chip]) -> list[str]:
    values = list(dict.fromkeys(values or []))
    bad = [v for v in values if v not in chips]
    if bad:
        raise DomainError(
            f"Not an option of this action: {', '.join(map(str, bad))}.",
            code=OnboardingCode.INVALID_OPTION,
            field="values",
        )
    return values


def _category(slug: str) -> Taxonomy | None:
    """The offer category of that slug, or None when the reference data is not loaded."""
    return Taxonomy.objects.filter(slug=slug, taxonomy_type=TaxonomyType.OFFER_CATEGORY, is_active=True).first()


def _new_ask(session: OnboardingSession, *, title: str, description: str, ask_type: str, category: str) -> Ask:
    ask = ask_create(
        user=session.user,
        data={"title": title[:200], "description": description, "ask_type": ask_type, "category": _category(category)},
    )
    session.ask_ids = [*session.ask_ids, ask.pk]
    return ask


def _new_offer(session: OnboardingSession, *, chip: script.Chip | None, title: str, description: str, **extra) -> Offer:
    offer_type = chip.type if chip else script.TYPED_OFFER["type"]
    category = chip.category if chip else script.TYPED_OFFER["category"]
    offer = offer_create(
        user=session.user,
        data={
            "title": title[:200],
            "description": description,
            "offer_type": offer_type,
            "category": _category(category),
            "status": OfferStatus.ACTIVE,  # active: it shows on the profile at once
            **extra,
        },
    )
    session.offer_ids = [*session.offer_ids, offer.pk]
    return offer


def _labels(chip_ids: list[str], typed: list[str], chips: dict[str, script.Chip]) -> str:
    return ", ".join([chips[c].label for c in chip_ids] + typed)


def _answer_asks(session, ava, chip_ids: list[str], typed: list[str]) -> None:
    for chip_id in chip_ids:
        chip = script.ASK_BY_ID[chip_id]
        _new_ask(session, title=chip.title, description=chip.description, ask_type=chip.type, category=chip.category)
    for entry in typed:
        _new_ask(session, title=entry, description=entry, **_typed_ask_kind())
    session.selected_asks = [{"chip": c} for c in chip_ids] + [{"text": t} for t in typed]
    if chip_ids or typed:
        ack = script.TEXTS["ack_list"].format(items=_labels(chip_ids, typed, script.ASK_BY_ID))
    else:
        ack = script.TEXTS["ack_none_asks"]
    _say(session, ava, ack)
    session.step = OnboardingStep.OFFERS


def _typed_ask_kind() -> dict[str, str]:
    return {"ask_type": script.TYPED_ASK["type"], "category": script.TYPED_ASK["category"]}


def _answer_offers(session, ava, chip_ids: list[str], typed: list[str]) -> None:
    pending = []
    for chip_id in chip_ids:
        chip = script.OFFER_BY_ID[chip_id]
        if chip.follow_up:
            pending.append(chip_id)  # created with its follow-up's answer
        else:
            _new_offer(session, chip=chip, title=chip.title, description=chip.description)
    for entry in typed:
        _new_offer(session, chip=None, title=entry, description=entry)
    session.selected_offers = [{"chip": c} for c in chip_ids] + [{"text": t} for t in typed]
    session.pending_details = pending
    if chip_ids or typed:
        ack = script.TEXTS["ack_list"].format(items=_labels(chip_ids, typed, script.OFFER_BY_ID))
    else:
        ack = script.TEXTS["ack_none_offers"]
    _say(session, ava, ack)
    session.step = OnboardingStep.OFFER_DETAILS if pending else OnboardingStep.RESPECT


_url_validator = URLValidator(schemes=["http", "https"])


def _link(text: str | None) -> str | None:
    url = (text or "").strip()
    if url and "://" not in url and "." in url and " " not in url:
        url = f"https://{url}"
    try:
        _url_validator(url)
    except ValidationError:
        return None
    return url if len(url) <= 200 else None


def _answer_detail(session, ava, text: str) -> None:
    chip = script.OFFER_BY_ID[session.pending_details[0]]
    if chip.follow_up == "link":
        url = _link(text)
        if url is None:
            raise DomainError(script.TEXTS["bad_link"], code=OnboardingCode.INVALID_LINK, field="text")
        host = urlsplit(url).hostname or url
        _new_offer(
            session,
            chip=chip,
            title=script.LINK_TITLE.format(label=chip.title, host=host),
            description=script.LINK_DESCRIPTION.format(description=chip.description, url=url),
            external_url=url,
            source_type="url",
            source_url=url,
        )
        _say(session, ava, script.TEXTS["ack_link"].format(url=url))
    else:
        text = " ".join(text.split())[: script.TYPED_MAX]
        _new_offer(
            session,
            chip=chip,
            title=script.SERVICE_TITLE.format(label=chip.title, text=text),
            description=script.SERVICE_DESCRIPTION.format(text=text),
        )
        _say(session, ava, script.TEXTS["ack_service"].format(text=text))
    session.pending_details = session.pending_details[1:]
    if not session.pending_details:
        session.step = OnboardingStep.RESPECT


def _match_lines(session) -> tuple[list[str], list[dict[str, Any]]]:
    """The best matches for the asks just made (the matching engine), as lines and attachments."""
    if matches_for_ask is None or not session.ask_ids:
        return [], []
    lines: list[str] = []
    attachments: list[dict[str, Any]] = []
    seen: set[int] = set()
    for ask in Ask.objects.filter(pk__in=session.ask_ids).order_by("pk"):
        try:
            matches = matches_for_ask(ask=ask, viewer=session.user, limit=MATCHES_PER_ASK)
        except Exception:  # suggestions are a bonus: never fail the member's agreement for them
            logger.exception("matches_for_ask failed for ask %s", ask.pk)
            continue
        for match in matches:
            offer = match.offer
            if offer.pk in seen or offer.user_id == session.user_id or not offer.is_public:
                continue
            seen.add(offer.pk)
            username = User.objects.filter(pk=offer.user_id).values_list("username", flat=True).first()
            lines.append(script.TEXTS["match_line"].format(title=offer.title, username=username, ask=ask.title))
            attachments.append({"type": "offer", "id": offer.pk})
            if len(lines) >= MATCHES_SHOWN:
                return lines, attachments
    return lines, attachments


def _answer_agree(session, ava) -> None:
    now = timezone.now()
    session.agreed_at = now
    session.guidelines_version = guidelines_version()
    onboarding_complete(user=session.user)  # +25 once per member (the ledger's key)
    _say(session, ava, script.TEXTS["ack_agree"])
    lines, attachments = _match_lines(session)
    if lines:
        _say(session, ava, "\n".join([script.TEXTS["matches_intro"], *lines]), attachments=attachments)
    session.step = OnboardingStep.COMPLETE
    session.status = OnboardingStatus.COMPLETED
    session.completed_at = now


def _after(session: OnboardingSession, ava: User, answered: str) -> None:
    """Ask the next question, save, announce."""
    _question(session, ava)
    session.save()
    announce(
        OnboardingStepAnswered(session_id=session.pk, user_id=session.user_id, step=answered, next_step=session.step)
    )
    if session.status == OnboardingStatus.COMPLETED:
        announce(
            OnboardingCompleted(
                session_id=session.pk,
                user_id=session.user_id,
                ask_ids=tuple(session.ask_ids),
                offer_ids=tuple(session.offer_ids),
            )
        )


def _message_id(value: Any) -> int:
    try:
        message_id = int(value)
    except (TypeError, ValueError):
        raise NotFound("No such message.", code=CoreCode.NOT_FOUND, field="message") from None
    if not 0 < message_id < 2**63:
        raise NotFound("No such message.", code=CoreCode.NOT_FOUND, field="message")
    return message_id


@transaction.atomic
def onboarding_answer(
    *, user, message_id: Any, action_id: str, values: list[str] | None = None, text: str | None = None
) -> OnboardingSession:
    """The member's answer to Ava's message `message_id` through its action `action_id`: a
    button, chips (`values`: option ids; `text`: their own entries, one per line, where the chips
    take `free_text`) or a text prompt (`text`).

    In order: 404 if the message is not one of Ava's in the member's onboarding thread;
    409 `onboarding_completed` after completion (the final [Enter the Collective] button answers
    200, changing nothing); 409 `already_answered` for any message but the one awaiting an answer;
    400 `invalid_action` (field `action`), `invalid_option` (`values`), `text_required` /
    `invalid_link` (`text`). Answering a skipped onboarding resumes it."""
    message_id = _message_id(message_id)
    session = OnboardingSession.objects.select_for_update().filter(user=user).first()
    ava = ava_ensure()
    message = None
    if session is not None and session.thread_id is not None:
        message = Message.objects.filter(pk=message_id, thread_id=session.thread_id, sender_id=ava.pk).first()
    if session is None or message is None:
        raise NotFound("No such message.", code=CoreCode.NOT_FOUND, field="message")
    if session.status == OnboardingStatus.COMPLETED:
        if message.pk == session.current_message_id and action_id == "enter":
            return session
        raise Conflict("Onboarding is already complete.", code=OnboardingCode.ONBOARDING_COMPLETED, field="message")
    if message.pk != session.current_message_id:
        raise Conflict("This message was already answered.", code=OnboardingCode.ALREADY_ANSWERED, field="message")
    action = next((a for a in message.actions or [] if a.get("id") == action_id), None)
    if action is None:
        raise DomainError("This message offers no such action.", code=OnboardingCode.INVALID_ACTION, field="action")
    if action["type"] != "chips" and values:
        raise DomainError("This action takes no values.", code=OnboardingCode.INVALID_OPTION, field="values")
    step = session.step
    with toast_batch():
        if step == OnboardingStep.WELCOME:
            _say(session, ava, script.TEXTS["ack_continue"])
            session.step = OnboardingStep.ASKS
        elif step == OnboardingStep.ASKS:
            chip_ids = _chip_values(values, script.ASK_BY_ID)
            picked, typed = _split_typed(_typed_entries(text), script.ASK_BY_ID)
            _answer_asks(session, ava, list(dict.fromkeys(chip_ids + picked)), typed)
        elif step == OnboardingStep.OFFERS:
            chip_ids = _chip_values(values, script.OFFER_BY_ID)
            picked, typed = _split_typed(_typed_entries(text), script.OFFER_BY_ID)
            _answer_offers(session, ava, list(dict.fromkeys(chip_ids + picked)), typed)
        elif step == OnboardingStep.OFFER_DETAILS:
            if not (text or "").strip():
                raise DomainError("Type your answer.", code=OnboardingCode.TEXT_REQUIRED, field="text")
            _answer_detail(session, ava, text or "")
        elif step == OnboardingStep.RESPECT:
            _answer_agree(session, ava)
        session.status = (
            session.status if session.status == OnboardingStatus.COMPLETED else OnboardingStatus.IN_PROGRESS
        )
        _after(session, ava, step)
    return session


def _agrees(text: str) -> bool:
    return re.sub(r"[^\w ]+", "", text.lower()).strip() in script.AGREE_WORDS


@transaction.atomic
def onboarding_message_receive(*, message_id: int) -> OnboardingSession | None:
    """A message the member typed in their thread with Ava, taken as the answer to the current
    step (after it committed; `subscribers.py`). Nothing happens for a message that is not the
    member's in an onboarding thread, one older than the question awaiting an answer (typed
    before Ava asked it), or after completion. A typed answer Ava cannot take (not a link; not an
    agreement) gets a hint and leaves the step as it is."""
    message = Message.objects.filter(pk=message_id, deleted_at__isnull=True).first()
    if message is None or not message.body.strip():
        return None
    session = (
        OnboardingSession.objects.select_for_update()
        .filter(user_id=message.sender_id, thread_id=message.thread_id)
        .exclude(status=OnboardingStatus.COMPLETED)
        .first()
    )
    if session is None or session.current_message_id is None or message.pk < session.current_message_id:
        return None
    ava = ava_ensure()
    step, text = session.step, message.body
    with toast_batch():
        if step == OnboardingStep.WELCOME:
            _say(session, ava, script.TEXTS["ack_continue"])
            session.step = OnboardingStep.ASKS
        elif step == OnboardingStep.ASKS:
            _answer_asks(session, ava, *_split_typed(_typed_entries(text), script.ASK_BY_ID))
        elif step == OnboardingStep.OFFERS:
            _answer_offers(session, ava, *_split_typed(_typed_entries(text), script.OFFER_BY_ID))
        elif step == OnboardingStep.OFFER_DETAILS:
            try:
                _answer_detail(session, ava, text)
            except DomainError:  # not a link (refused before anything was written): say how, the question stays
                _say(session, ava, script.TEXTS["bad_link"])
                session.save(update_fields=["said", "updated_at"])
                return session
        elif step == OnboardingStep.RESPECT:
            if not _agrees(text):
                _say(session, ava, script.TEXTS["agree_hint"])
                session.save(update_fields=["said", "updated_at"])
                return session
            _answer_agree(session, ava)
        if session.status != OnboardingStatus.COMPLETED:
            session.status = OnboardingStatus.IN_PROGRESS
        _after(session, ava, step)
    return session
