"""The matching scorer (issue 15 item 4, docs/matching.md): pure functions that relate an ask to an
offer. No query, no model import: the selectors (`collective.selectors.matching`) load the
candidates and hand plain values in, so the scorer is deterministic and tested without a database.

A pair is scored on seven features, each in [0, 1], weighted by `settings.MATCHING["WEIGHTS"]`:

| feature    | value                                                                    |
| type       | `TYPE_TABLE[ask_type][offer_type]` (0 when the types do not correspond)  |
| category   | 1 when both name the same category                                       |
| tags       | shared tags / `TAG_SATURATION` (capped at 1)                             |
| tools      | shared tools / `TOOL_SATURATION` (capped at 1)                           |
| text       | cosine of the two texts' stemmed word sets (stopwords out), x `TEXT_GAIN` |
| reputation | the helper's reputation score / `REPUTATION_SCALE` (capped at 1)          |
| activity   | 1 within `ACTIVE_DAYS` of the helper's last activity, then decaying       |

The score is the weighted mean, rounded to 4 places; ties are broken by the caller (newest first).
The helper is the offer's owner, whichever side is looking.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

# --- the type table -----------------------------------------------------------------------------

# ask type -> {offer type: how well an offer of that type answers it (0..1)}. An offer type not
# named here does not correspond (0); the selectors pre-filter candidates on these keys (or the
# ask's category).
TYPE_TABLE: dict[str, dict[str, float]] = {
    # People who try things and say what they think: feedback capacity first, then skills.
    "beta_tester": {"feedback": 1.0, "skill": 0.5, "service": 0.3},
    "feedback": {"feedback": 1.0, "skill": 0.7, "mentorship": 0.5, "service": 0.4},
    "collaborator": {"service": 1.0, "skill": 1.0, "mentorship": 0.3},
    "learning": {"course": 1.0, "mentorship": 0.9, "template": 0.7, "post": 0.5, "link": 0.3},
    "advice": {"mentorship": 1.0, "service": 0.7, "skill": 0.7, "feedback": 0.4},
    "hire": {"service": 1.0, "skill": 0.6},
    "introduction": {"skill": 0.8, "mentorship": 0.6, "service": 0.3},
}

# offer type -> {ask type: affinity}: the same table read the other way.
OFFER_TYPE_TABLE: dict[str, dict[str, float]] = {}
for _ask_type, _row in TYPE_TABLE.items():
    for _offer_type, _value in _row.items():
        OFFER_TYPE_TABLE.setdefault(_offer_type, {})[_ask_type] = _value


def offer_types_for(ask_type: str) -> list[str]:
    """The offer types that answer `ask_type`, best first (ties by name)."""
    row = TYPE_TABLE.get(ask_type, {})
    return sorted(row, key=lambda t: (-row[t], t))


def ask_types_for(offer_type: str) -> list[str]:
    row = OFFER_TYPE_TABLE.get(offer_type, {})
    return sorted(row, key=lambda t: (-row[t], t))


def type_affinity(ask_type: str, offer_type: str) -> float:
    return TYPE_TABLE.get(ask_type, {}).get(offer_type, 0.0)


# --- settings -----------------------------------------------------------------------------------

DEFAULTS: dict[str, Any] = {
    "WEIGHTS": {
        "type": 3.0,
        "category": 1.5,
        "tags": 1.5,
        "tools": 1.0,
        "text": 4.0,
        "reputation": 0.5,
        "activity": 0.5,
    },
    "MIN_SCORE": 0.2,  # a pair below this is not a match
    "CANDIDATES": 200,  # rows pre-filtered in SQL per scoring run
    "DEFAULT_LIMIT": 10,
    "MAX_LIMIT": 20,
    "HOME_LIMIT": 5,  # "matches for you" on the home dashboard
    "HOME_ASKS": 10,  # the caller's newest open asks looked at for it
    "NOTIFY_TOP": 3,  # a new ask or offer tells the owners of its best this many
    "DAILY_NOTIFICATIONS": 3,  # match announcements per person per 24 hours
    "TAG_SATURATION": 3,
    "TOOL_SATURATION": 2,
    "TEXT_GAIN": 2.0,
    "REPUTATION_SCALE": 200,  # the "established" tier's threshold (collective.services.reputation)
    "ACTIVE_DAYS": 14,
}


def conf(name: str) -> Any:
    custom = getattr(settings, "MATCHING", {})
    if name == "WEIGHTS":
        return {**DEFAULTS["WEIGHTS"], **custom.get("WEIGHTS", {})}
    return custom.get(name, DEFAULTS[name])


# --- text ---------------------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further get got had has have having he her here hers herself him himself his how i if in into
    is it its itself just like looking me more most my myself need needs no nor not now of off on
    once only or other our ours ourselves out over own same she should so some someone something
    such than that the their theirs them themselves then there these they this those through to
    too under until up very want wants was we were what when where which while who whom why will
    with would you your yours yourself yourselves help i'm im i've ive let lets make using use
    new via one two""".split()
)

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")
# Longest first: the first suffix that leaves a stem of at least 3 letters is cut.
_SUFFIXES = (
    "ational",
    "ization",
    "isation",
    "fulness",
    "ations",
    "ation",
    "ities",
    "ising",
    "izing",
    "ises",
    "izes",
    "ised",
    "ized",
    "ship",
    "ness",
    "ment",
    "ings",
    "ity",
    "ers",
    "ies",
    "ing",
    "ise",
    "ize",
    "ed",
    "er",
    "es",
    "ly",
    "s",
)


def stem(word: str) -> str:
    """A small suffix stripper (not Porter's): "testers", "testing", "tested" -> "test";
    "summarises", "summarizes", "summary" -> "summar". Deterministic, enough for overlap."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith("y") and len(word) > 4:
            word = word[:-1]  # "strategy" as "strateg(ies)", "summary" as "summar(ies)"
        elif word.endswith("e") and len(word) >= 4:
            word = word[:-1]  # "release" as "releas(es)", "course" as "cours(es)"
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "shipp(ing)" -> "ship"
    return word


def tokens(text: str) -> frozenset[str]:
    """The stemmed, stopword-free words of `text` (lower-cased, ASCII letters and digits)."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or len(word) < 2:
            continue
        out.add(stem(word))
    return frozenset(out)


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine of two word sets: |a ∩ b| / sqrt(|a| |b|); 0 when either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


# --- the pair -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """What the scorer reads of an ask or an offer: plain values, no model."""

    kind: str  # the ask_type or offer_type
    category: str | None  # slug
    tags: frozenset[str]
    tools: frozenset[str]
    words: frozenset[str]
    category_name: str = ""


@dataclass(frozen=True)
class Helper:
    """The offer's owner: reputation score and last activity."""

    reputation: int = 0
    tier: str = "new"
    last_active_at: dt.datetime | None = None


@dataclass(frozen=True)
class Scored:
    score: float
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def side(
    *, kind: str, category: str | None, tags: Iterable[str], tools: Iterable[str], text: str, category_name: str = ""
) -> Side:
    return Side(
        kind=kind,
        category=category,
        tags=frozenset(tags),
        tools=frozenset(tools),
        words=tokens(text),
        category_name=category_name,
    )


def activity(last_active_at: dt.datetime | None, now: dt.datetime, active_days: int) -> float:
    """1 within `active_days`, then halving every `active_days`; 0 without any activity known."""
    if last_active_at is None:
        return 0.0
    days = max(0.0, (now - last_active_at).total_seconds() / 86400)
    if days <= active_days:
        return 1.0
    return 0.5 ** ((days - active_days) / active_days)


def score_pair(
    ask: Side, offer: Side, helper: Helper, *, now: dt.datetime, options: Mapping[str, Any] | None = None
) -> Scored:
    """Score an ask against an offer. `options` overrides `settings.MATCHING` (tests)."""
    opt: dict[str, Any] = {name: conf(name) for name in DEFAULTS}
    if options:
        opt.update(options)
    weights: Mapping[str, float] = opt["WEIGHTS"]
    reasons: list[str] = []
    f: dict[str, float] = {}

    f["type"] = type_affinity(ask.kind, offer.kind)
    if f["type"]:
        reasons.append(f"type: a {offer.kind} offer answers a {ask.kind} ask")
    f["category"] = 1.0 if ask.category and ask.category == offer.category else 0.0
    if f["category"]:
        reasons.append(f"same category: {ask.category_name or ask.category}")
    shared_tags = sorted(ask.tags & offer.tags)
    f["tags"] = min(1.0, len(shared_tags) / opt["TAG_SATURATION"])
    if shared_tags:
        reasons.append(f"shared tags: {', '.join(shared_tags)}")
    shared_tools = sorted(ask.tools & offer.tools)
    f["tools"] = min(1.0, len(shared_tools) / opt["TOOL_SATURATION"])
    if shared_tools:
        reasons.append(f"shared tools: {', '.join(shared_tools)}")
    common = sorted(ask.words & offer.words)
    f["text"] = min(1.0, text_similarity(ask.words, offer.words) * opt["TEXT_GAIN"])
    if common:
        reasons.append(f"words in common: {', '.join(common[:6])}")
    f["reputation"] = min(1.0, helper.reputation / opt["REPUTATION_SCALE"]) if opt["REPUTATION_SCALE"] else 0.0
    if helper.reputation:
        reasons.append(f"helper reputation: {helper.tier} ({helper.reputation})")
    f["activity"] = activity(helper.last_active_at, now, opt["ACTIVE_DAYS"])
    if f["activity"] >= 1.0:
        reasons.append("helper active recently")

    total = sum(weights.get(k, 0.0) for k in f)
    value = sum(weights.get(k, 0.0) * v for k, v in f.items()) / total if total else 0.0
    # Relevance first: a pair with neither a corresponding type nor any shared word, tag or tool
    # is not a match, however good the helper.
    if not (f["type"] or common or shared_tags or shared_tools):
        value = 0.0
    return Scored(score=round(value, 4), reasons=reasons, features=f)
