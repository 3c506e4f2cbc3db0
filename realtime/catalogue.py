"""The event catalogue: every type a socket can receive, durable or ephemeral, with the shape of
its `data` (architecture convention 4; contract §3).

Each entry names a `TypedDict` of the event's `data`. The nested representations below mirror the
serializers that build the payloads field for field (`collective/representations.py`,
`messaging/representations.py`, `notifications/serializers.py`); the `Literal`s mirror model choices, and
`tests/realtime/test_catalogue.py` checks both against the code, so the catalogue cannot drift
from what is published.

Production uses only the two sets `DURABLE_TYPES` and `EPHEMERAL_TYPES` (`publish` refuses a
type outside them: one set lookup). `validate_event` checks a payload against its schema; the
test suite runs it on every event it publishes (`tests/event_checks.py`), it is never called on
the publish path.

`python -m realtime.catalogue` writes `docs/events.md` from this module (`--check` only compares).
Pure typing, no Django import: the docs generator and the validator need no settings.
"""

# No `from __future__ import annotations`: with string annotations Python 3.11 cannot tell a
# NotRequired key from a required one (`__required_keys__`).
import builtins
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired, TypedDict

# --- value types ---------------------------------------------------------------------------


class _Timestamp:
    """Marker: a string holding an ISO 8601 date-time (DRF's rendering, or `...Z`)."""

    def __repr__(self) -> str:
        return "timestamp"


TIMESTAMP = _Timestamp()
Timestamp = Annotated[str, TIMESTAMP]

# Model choices, spelled out so that the catalogue is plain typing (checked against the models).
Role = Literal["explorer", "creator", "mentor", "vendor", "admin", "agent"]
AvatarFrame = Literal["none", "bronze", "silver", "gold", "diamond"]
OfferType = Literal["app", "template", "course", "post", "link", "service", "mentorship", "skill", "feedback"]
OfferStatus = Literal["draft", "active", "paused", "archived"]
AskType = Literal["beta_tester", "feedback", "collaborator", "learning", "hire", "advice", "introduction"]
AskStatus = Literal["open", "in_progress", "fulfilled", "closed"]
ConnectionType = Literal["ask_response", "offer_inquiry", "direct"]
ConnectionStatus = Literal["initiated", "discussing", "accepted", "in_progress", "completed", "declined", "cancelled"]
Currency = Literal["usd", "eur", "gbp", "cad", "aud"]
PaymentStatus = Literal["none", "pending", "paid", "failed", "refund_pending", "refunded", "disputed"]
PaymentKind = Literal["connection", "offer", "credit_pack"]
PaymentState = Literal[
    "open", "succeeded", "failed", "expired", "refunded", "partially_refunded", "disputed", "mismatch"
]
AttachmentType = Literal["offer", "ask", "connection"]
NotificationKind = Literal[
    "connection_request",
    "ask_response",
    "connection_accepted",
    "help_completed",
    "new_follower",
    "new_message",
    "points_unlock",
    "price_proposal",
    "payment",
    "new_match",
]
MatchOutcome = Literal["none", "connected", "completed", "declined", "cancelled"]
PresenceStatus = Literal["online", "offline"]

# --- representations shared by several events ------------------------------------------------


class UserSummary(TypedDict):
    """`collective.representations.UserSummarySerializer`."""

    id: int
    username: str
    role: Role
    avatar_url: str
    avatar_frame: AvatarFrame
    tagline: str


class OfferSummary(TypedDict):
    """`collective.representations.OfferSummarySerializer`."""

    id: int
    slug: str
    title: str
    offer_type: OfferType
    status: OfferStatus
    user_id: int


class AskSummary(TypedDict):
    """`collective.representations.AskSummarySerializer`."""

    id: int
    slug: str
    title: str
    ask_type: AskType
    status: AskStatus
    user_id: int


class ConnectionRepresentation(TypedDict):
    """`collective.representations.ConnectionSerializer`: the REST representation.
    `initiator_rating` is the rating given BY the initiator, `responder_rating` BY the responder."""

    id: int
    initiator: UserSummary
    responder: UserSummary
    ask: AskSummary | None
    offer: OfferSummary | None
    connection_type: ConnectionType
    initial_message: str
    dm_thread: int | None
    status: ConnectionStatus
    agreed_price_cents: int | None
    currency: Currency
    payment_status: PaymentStatus
    stripe_payment_intent_id: str
    paid_at: Timestamp | None
    initiator_rating: int | None
    responder_rating: int | None
    initiator_feedback: str
    responder_feedback: str
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None


class Attachment(TypedDict):
    """`messaging.representations.AttachmentSerializer`."""

    type: AttachmentType
    id: int


class MessageActionOption(TypedDict):
    """One chip of a `chips` action: `id` is what an answer sends back in `values`."""

    id: str
    label: str


class MessageAction(TypedDict):
    """A structured reply an agent's message offers (docs/onboarding.md): `chips` (pick options,
    `multiple` for several, `free_text`: the member may type their own too), a `button`, or a
    `text` prompt (`placeholder`). The member answers with `POST /api/v1/onboarding/answer/`
    `{message, action: id, values?, text?}`, or by typing a message in the thread."""

    id: str
    type: Literal["chips", "button", "text"]
    label: str
    options: NotRequired[list[MessageActionOption]]  # chips only
    multiple: NotRequired[bool]  # chips
    free_text: NotRequired[bool]  # chips
    placeholder: NotRequired[str]  # text
    submit_label: str


class MessageRepresentation(TypedDict):
    """`messaging.representations.MessageSerializer` (and its fast-path twin
    `messaging.services.message_representation`): the REST representation."""

    id: int
    thread: int
    sender: int
    body: str
    body_html: str
    attachments: list[Attachment]
    # null for a person's message; set only by server code (an agent's rich reply).
    actions: list[MessageAction] | None
    client_id: str | None
    created_at: Timestamp
    edited_at: Timestamp | None
    deleted_at: Timestamp | None
    is_deleted: bool


class MatchRepresentation(TypedDict):
    """`collective.representations.MatchSerializer` (docs/matching.md)."""

    id: int
    ask: AskSummary
    offer: OfferSummary
    score: float
    reasons: list[str]
    connection: int | None
    outcome: MatchOutcome
    created_at: Timestamp
    notified_at: Timestamp | None


class PaymentRepresentation(TypedDict):
    """`payments.representations.PaymentSerializer`: the REST representation of a payment.
    `checkout_url` is set while the payment is open (Stripe's hosted Checkout page)."""

    id: int
    kind: PaymentKind
    status: PaymentState
    description: str
    amount_cents: int
    currency: Currency
    platform_fee_cents: int
    refunded_cents: int
    buyer: UserSummary
    seller: UserSummary | None
    connection: int | None
    offer: int | None
    credit_pack: str | None
    checkout_url: str | None
    stripe_payment_intent_id: str
    failure_code: str
    failure_message: str
    created_at: Timestamp
    updated_at: Timestamp
    paid_at: Timestamp | None
    refunded_at: Timestamp | None


class NotificationEventItem(TypedDict):
    """`notifications.serializers.NotificationEventSerializer` (contract §3)."""

    id: int
    kind: NotificationKind
    title: str
    body: str
    url: str
    created_at: Timestamp


class NotificationUpdatedItem(NotificationEventItem):
    """`NotificationUpdatedEventSerializer`: the created event's fields and the repeat's."""

    repeat_count: int
    updated_at: Timestamp


class HelloUser(TypedDict):
    id: int
    username: str


class PresenceEntry(TypedDict):
    """`realtime.presence.State.as_dict`."""

    status: PresenceStatus
    last_seen: Timestamp | None


# --- the data of each event ------------------------------------------------------------------


class ConnectionCreatedData(TypedDict):
    connection: ConnectionRepresentation


class ConnectionUpdatedData(TypedDict):
    connection: ConnectionRepresentation
    previous_status: ConnectionStatus


class MessageData(TypedDict):
    thread: int
    message: MessageRepresentation


class ThreadReadData(TypedDict):
    thread: int
    user: int
    message: int


class PointsAwardedData(TypedDict):
    # A toast: `amount` is 0 for streaks, unlocks and milestones (the reason says which);
    # `action` is a points action (`PointsAction`) or `streak`, `unlock`, `milestone`.
    amount: int
    action: str
    reason: str
    total_points: int


class NotificationCreatedData(TypedDict):
    notification: NotificationEventItem


class NotificationUpdatedData(TypedDict):
    notification: NotificationUpdatedItem


class FollowCreatedData(TypedDict):
    follower: UserSummary


class MatchCreatedData(TypedDict):
    """`side`: what the recipient owns — "offer" (a new ask matched it) or "ask" (a new offer)."""

    match: MatchRepresentation
    side: Literal["offer", "ask"]


class PaymentUpdatedData(TypedDict):
    payment: PaymentRepresentation
    previous_status: PaymentState | Literal[""]


class TypingData(TypedDict):
    thread: int
    user: int
    state: Literal["start", "stop"]
    expires_in: NotRequired[float]  # seconds; on `start` only


class PresenceData(TypedDict):
    user: int
    status: PresenceStatus
    last_seen: Timestamp | None


class PresenceStateData(TypedDict):
    users: dict[str, PresenceEntry]  # keyed by user id as a string (JSON object keys)


class HelloData(TypedDict):
    user: HelloUser
    last_event_id: int


class EmptyData(TypedDict):
    pass


class StreamPositionData(TypedDict):
    last_event_id: int


class ErrorData(TypedDict):
    code: str
    detail: str


# --- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    type: str
    data: builtins.type  # a TypedDict (`type` alone would name the field above)
    durable: bool
    description: str
    recipients: str
    source: str  # where the type is specified


CATALOGUE: tuple[EventSpec, ...] = (
    EventSpec(
        "connection.created",
        ConnectionCreatedData,
        True,
        "A connection is made.",
        "Initiator and responder.",
        "contract §3",
    ),
    EventSpec(
        "connection.updated",
        ConnectionUpdatedData,
        True,
        "A connection's status, price or rating changes.",
        "Initiator and responder.",
        "contract §3",
    ),
    EventSpec(
        "message.created",
        MessageData,
        True,
        "A message is sent.",
        "Every participant of the thread, the sender included.",
        "contract §3",
    ),
    EventSpec(
        "message.updated", MessageData, True, "A message is edited.", "Every participant of the thread.", "contract §3"
    ),
    EventSpec(
        "message.deleted",
        MessageData,
        True,
        "A message is deleted: `message.is_deleted`, its body, HTML and attachments emptied.",
        "Every participant of the thread.",
        "contract §3",
    ),
    EventSpec(
        "thread.read",
        ThreadReadData,
        True,
        "A participant's read marker moves to `message`.",
        "Every participant of the thread.",
        "contract §3",
    ),
    EventSpec(
        "points.awarded",
        PointsAwardedData,
        True,
        "The user earns or is gifted points, or reaches a streak, unlock or milestone: the toast.",
        "The user.",
        "contract §3",
    ),
    EventSpec(
        "notification.created",
        NotificationCreatedData,
        True,
        "A notification is made for the user.",
        "Its recipient.",
        "contract §3",
    ),
    EventSpec(
        "notification.updated",
        NotificationUpdatedData,
        True,
        "A repeat is folded into an existing unread notification; update it in place.",
        "Its recipient.",
        "docs/notifications.md",
    ),
    EventSpec(
        "follow.created", FollowCreatedData, True, "Someone follows the user.", "The user followed.", "contract §3"
    ),
    EventSpec(
        "payment.updated",
        PaymentUpdatedData,
        True,
        "A payment opens, is paid, declined, expires, is refunded or disputed (`previous_status` is"
        " empty when it opens).",
        "The buyer and the seller (the buyer only for a credit pack).",
        "docs/payments.md",
    ),
    EventSpec(
        "match.created",
        MatchCreatedData,
        True,
        "A new ask or a newly published offer matches one of the user's offers or asks (at most"
        ' `MATCHING["DAILY_NOTIFICATIONS"]` a day).',
        "The owner of the matched offer or ask.",
        "docs/matching.md",
    ),
    EventSpec(
        "typing",
        TypingData,
        False,
        "A participant starts or stops typing; a `start` expires after `expires_in` s unless renewed.",
        "The thread's other participants (not the typist's own sockets).",
        "contract §3",
    ),
    EventSpec(
        "presence",
        PresenceData,
        False,
        "A user comes online (first socket) or goes offline (last socket closed or expired).",
        "The user's presence audience (partners, thread peers, followers; not blocked).",
        "contract §3",
    ),
    EventSpec(
        "presence.state",
        PresenceStateData,
        False,
        "Answer to `presence.query`: only the users the caller may see.",
        "The asking socket.",
        "contract §3",
    ),
    EventSpec(
        "hello",
        HelloData,
        False,
        "First frame after accept; `last_event_id` is the head of the user's stream.",
        "The new socket.",
        "contract §3",
    ),
    EventSpec(
        "heartbeat",
        EmptyData,
        False,
        "Every `HEARTBEAT_SECONDS` (25 s), to keep proxies from closing idle sockets.",
        "Each socket.",
        "docs/realtime.md",
    ),
    EventSpec("pong", EmptyData, False, "Answer to `ping`.", "The pinging socket.", "contract §3"),
    EventSpec(
        "resumed",
        StreamPositionData,
        False,
        "End of a replay; `last_event_id` is the socket's position.",
        "The resuming socket.",
        "contract §3",
    ),
    EventSpec(
        "resync_required",
        StreamPositionData,
        False,
        "The log no longer holds what was missed: reload over REST; live events go on after `last_event_id`.",
        "The resuming socket.",
        "contract §3",
    ),
    EventSpec(
        "error",
        ErrorData,
        False,
        "A client frame was refused (docs/realtime.md lists the codes); the socket stays open.",
        "The socket that sent it.",
        "contract §3",
    ),
)

EVENTS: dict[str, EventSpec] = {spec.type: spec for spec in CATALOGUE}
DURABLE_TYPES: frozenset[str] = frozenset(spec.type for spec in CATALOGUE if spec.durable)
EPHEMERAL_TYPES: frozenset[str] = frozenset(spec.type for spec in CATALOGUE if not spec.durable)


# --- validation ------------------------------------------------------------------------------


class EventSchemaError(ValueError):
    def __init__(self, type: str, problems: list[str]) -> None:
        super().__init__(f"event {type!r} does not match the catalogue: " + "; ".join(problems))
        self.type = type
        self.problems = problems


def validate_event(type: str, data: Any) -> None:
    """Raise EventSchemaError naming the type and each bad path (`data.message.edited_at: ...`)."""
    spec = EVENTS.get(type)
    if spec is None:
        raise EventSchemaError(type, ["not in the catalogue"])
    problems = _check(data, spec.data, "data")
    if problems:
        raise EventSchemaError(type, problems)


def _hints(td: type) -> dict[str, Any]:
    # include_extras keeps Annotated (timestamps) and NotRequired, which _check strips.
    return typing.get_type_hints(td, include_extras=True)


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _check(value: Any, tp: Any, path: str) -> list[str]:
    origin = typing.get_origin(tp)
    if origin in (NotRequired, typing.Required):
        return _check(value, typing.get_args(tp)[0], path)
    if tp is Any:
        return []
    if _is_typeddict(tp):
        if not isinstance(value, Mapping):
            return [f"{path}: expected an object, got {_name(value)}"]
        hints = _hints(tp)
        problems = [f"{path}.{key}: missing" for key in sorted(tp.__required_keys__) if key not in value]
        problems += [f"{path}.{key}: not in the schema" for key in value if key not in hints]
        for key, hint in hints.items():
            if key in value:
                problems += _check(value[key], hint, f"{path}.{key}")
        return problems
    if origin is Annotated:
        base, *marks = typing.get_args(tp)
        problems = _check(value, base, path)
        if not problems and TIMESTAMP in marks and not _is_timestamp(value):
            problems = [f"{path}: expected an ISO 8601 timestamp, got {value!r}"]
        return problems
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if any(not _check(value, option, path) for option in options):
            return []
        # One real branch besides None (the usual Optional): report its problem, more useful.
        real = [o for o in options if o is not type(None)]
        if value is not None and len(real) == 1:
            return _check(value, real[0], path)
        return [f"{path}: expected {_describe(tp)}, got {_name(value)}"]
    if origin is Literal:
        # `type(...) is` too: in Python True == 1, and JSON tells them apart.
        if any(value == v and type(value) is type(v) for v in typing.get_args(tp)):
            return []
        return [f"{path}: expected one of {list(typing.get_args(tp))}, got {value!r}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {_name(value)}"]
        (item,) = typing.get_args(tp)
        return [p for i, v in enumerate(value) for p in _check(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, Mapping):
            return [f"{path}: expected an object, got {_name(value)}"]
        key_tp, value_tp = typing.get_args(tp)
        problems = []
        for k, v in value.items():
            problems += _check(k, key_tp, f"{path} key {k!r}")
            problems += _check(v, value_tp, f"{path}[{k!r}]")
        return problems
    if tp is type(None):
        return [] if value is None else [f"{path}: expected null, got {_name(value)}"]
    if tp is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected bool, got {_name(value)}"]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected int, got {_name(value)}"]
    if tp is float:  # JSON has one number type: an int is a valid float
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected number, got {_name(value)}"]
    if tp is str:
        return [] if isinstance(value, str) else [f"{path}: expected str, got {_name(value)}"]
    raise TypeError(f"{path}: the catalogue uses {tp!r}, which the validator does not know")


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)  # 3.11: accepts the trailing Z
    except ValueError:
        return False
    return True


def _name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _describe(tp: Any, *, link: bool = False) -> str:
    """A type as docs/events.md spells it (`link`: representations as links to their section)."""
    origin = typing.get_origin(tp)
    if origin in (NotRequired, typing.Required):
        return _describe(typing.get_args(tp)[0], link=link)
    if _is_typeddict(tp):
        return f"[{tp.__name__}](#{tp.__name__.lower()})" if link else tp.__name__
    if origin is Annotated:
        base, *marks = typing.get_args(tp)
        return "timestamp" if TIMESTAMP in marks else _describe(base, link=link)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(o, link=link) for o in typing.get_args(tp))
    if origin is Literal:
        # `\|`: a literal pipe inside a Markdown table cell.
        sep = " \\| " if link else " | "
        return sep.join(f'`"{v}"`' if isinstance(v, str) else f"`{v!r}`" for v in typing.get_args(tp))
    if origin is list:
        return f"list of {_describe(typing.get_args(tp)[0], link=link)}"
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        return f"object of {_describe(key_tp, link=link)} → {_describe(value_tp, link=link)}"
    if tp is type(None):
        return "null"
    if tp is float:
        return "number"
    return getattr(tp, "__name__", repr(tp))


# --- docs/events.md --------------------------------------------------------------------------

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "events.md"


def _nested(tp: Any) -> list[type]:
    """The TypedDicts a type refers to, in order of appearance."""
    if _is_typeddict(tp):
        return [tp]
    return [t for arg in typing.get_args(tp) for t in _nested(arg)]


def _fields_table(td: Any) -> list[str]:  # a TypedDict class: typing has no type for one
    hints = _hints(td)
    if not hints:
        return ["`{}` (no fields)", ""]
    rows = ["| field | type | required |", "| --- | --- | --- |"]
    for key, hint in hints.items():
        required = "yes" if key in td.__required_keys__ else "no"
        rows.append(f"| `{key}` | {_describe(hint, link=True)} | {required} |")
    return [*rows, ""]


def render_doc() -> str:
    lines = [
        "# Event catalogue",
        "",
        "<!-- Generated from realtime/catalogue.py by `python -m realtime.catalogue`; do not edit by hand. -->",
        "",
        'Every frame a socket receives is `{"id", "type", "ts", "data"}` (docs/realtime.md). This page',
        "lists every `type` and the fields of its `data`. **Durable** events have an integer `id`, are",
        'stored in the user\'s event log and replayed by `resume`; **ephemeral** ones have `"id": null` and',
        "are never replayed. `publish` refuses a type that is not listed here, and the test suite checks",
        "every event it publishes against these schemas. `timestamp` is an ISO 8601 UTC string.",
        "The same catalogue, as an AsyncAPI 3.0 document of the whole protocol (server and client frames,",
        "auth, close codes), is served at `GET /api/asyncapi/` (`?format=yaml`; realtime/asyncapi.py).",
        "",
        "| type | durable | when | who receives it | specified in |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in CATALOGUE:
        lines.append(
            f"| [`{spec.type}`](#{_anchor(spec.type)}) | {'yes' if spec.durable else 'no'} | "
            f"{spec.description} | {spec.recipients} | {spec.source} |"
        )
    lines.append("")
    shared: list[type] = []
    for durable in (True, False):
        lines += [f"## {'Durable' if durable else 'Ephemeral'} events", ""]
        for spec in (s for s in CATALOGUE if s.durable == durable):
            lines += [f"### `{spec.type}`", "", spec.description, "", f"To: {spec.recipients}", ""]
            lines += _fields_table(spec.data)
            for hint in _hints(spec.data).values():
                for td in _nested(hint):
                    if td not in shared:
                        shared.append(td)
    # Nested representations, each once, including those nested in them.
    lines += ["## Representations", ""]
    i = 0
    while i < len(shared):
        td = shared[i]
        doc = (td.__doc__ or "").strip()
        lines += [f"### {td.__name__}", ""]
        if doc and not doc.startswith(td.__name__ + "("):  # TypedDict's default docstring
            lines += [" ".join(doc.split()), ""]
        lines += _fields_table(td)
        for hint in _hints(td).values():
            for inner in _nested(hint):
                if inner not in shared:
                    shared.append(inner)
        i += 1
    return "\n".join(lines).rstrip() + "\n"


def _anchor(type: str) -> str:
    # GitHub's heading anchors: lower case, punctuation other than - and _ dropped.
    return "".join(c for c in type.lower() if c.isalnum() or c in "-_")


def main(argv: list[str]) -> int:
    text = render_doc()
    if "--check" in argv:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run `python -m realtime.catalogue`", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
