"""Property-based: whatever text a user sends, the parsers the service runs on it finish quickly,
raise nothing unexpected, and (the renderer) give HTML within the allow-list.

Strategies: any unicode text; text built from markdown metacharacters and the tokens of links,
images, emphasis, code, quotes, lists, tables, references and raw HTML; and short metacharacter
patterns repeated up to the messages' maximum length, the shape of the known pathological inputs.
Runs are bounded (`max_examples`, `deadline`) so the suite stays fast; the database of failing
examples is off so that nothing is written into the work tree.
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.errors import DomainError
from core.rendering import render_markdown
from messaging import conf as messaging_conf
from messaging.api.messages.views import MessageCursorPagination
from messaging.validation import plain_send_input

from .test_rendering_policy import assert_safe

MAX_BODY = messaging_conf.get("MAX_BODY_CHARS")
# One render of at most MAX_BODY chars; measured worst ≈ 10 ms. A single run (no best-of) on a
# loaded machine, so the bound is generous; a quadratic path at this size costs seconds.
RENDER_BOUND = 0.250

METACHARACTERS = "[]()!*_`<>#-|~\\\n :/&;=\"'.1a"
TOKENS = [
    "[",
    "]",
    "](",
    ")",
    "![",
    "[a]",
    "[a]: ",
    "[a]: /u",
    "(",
    "<",
    ">",
    "</",
    "<a ",
    "<img src=x>",
    "<script>",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "``",
    "```",
    "~~~",
    "\\",
    "\n",
    "\n\n",
    "> ",
    "- ",
    "* ",
    "1. ",
    "1) ",
    "#",
    "## ",
    "|",
    "-|",
    "| - |",
    "---",
    "===",
    "    ",
    "\t",
    "&",
    "&#",
    "&#x",
    "&amp;",
    "&#47;",
    ";",
    "http://",
    "https://",
    "//",
    "mailto:",
    "javascript:",
    "data:",
    '"',
    "'",
    " ",
    "a",
    "xyz",
    "é",
    "\u200b",
    "\x00",
]

RENDER_SETTINGS = settings(
    max_examples=200,
    deadline=timedelta(milliseconds=1000),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

any_text = st.text(max_size=MAX_BODY)
metachar_text = st.text(alphabet=METACHARACTERS, max_size=MAX_BODY)
token_text = st.lists(st.sampled_from(TOKENS), max_size=2000).map("".join).map(lambda s: s[:MAX_BODY])
repeated_pattern = st.tuples(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4).map("".join),
    st.integers(min_value=1, max_value=MAX_BODY),
).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]])


def check_render(text: str) -> None:
    start = time.thread_time()
    html = render_markdown(text)
    elapsed = time.thread_time() - start
    assert elapsed < RENDER_BOUND, f"{len(text)} chars: {elapsed * 1000:.0f} ms"
    assert isinstance(html, str)
    assert_safe(html)
    assert "<img" not in html.lower()


@RENDER_SETTINGS
@given(any_text)
def test_render_any_text(text):
    check_render(text)


@RENDER_SETTINGS
@given(metachar_text)
def test_render_markdown_metacharacters(text):
    check_render(text)


@RENDER_SETTINGS
@given(token_text)
def test_render_markdown_tokens(text):
    check_render(text)


@RENDER_SETTINGS
@given(repeated_pattern)
def test_render_repeated_patterns_up_to_the_maximum_length(text):
    check_render(text)


# --- the other parsers of message input ---------------------------------------------------------

_factory = APIRequestFactory()
# A cursor arrives in the query string; servers cap a request line well below this.
MAX_CURSOR = 8_000
# CPU time of the parsing thread (time.thread_time): the suite's parallel workers and other
# processes on the machine do not count, a super-linear parser does.
PARSE_BOUND = 0.050


def decode(cursor: str):
    request = Request(_factory.get("/api/v1/threads/1/messages/?" + urlencode({"cursor": cursor})))
    start = time.thread_time()
    try:
        result = MessageCursorPagination().decode_cursor(request)
    except DomainError as exc:  # a cursor the server did not make: 400 invalid_cursor, never a 500
        assert exc.code == "invalid_cursor" and exc.field == "cursor"
        result = None
    assert time.thread_time() - start < PARSE_BOUND
    return result


encoded_cursor = st.dictionaries(st.sampled_from(["o", "r", "p", "x"]), st.text(max_size=200), max_size=4).map(
    lambda d: base64.b64encode(urlencode(d).encode()).decode()
)


@settings(max_examples=200, deadline=timedelta(milliseconds=500), database=None)
@given(
    st.one_of(
        st.text(max_size=MAX_CURSOR),
        st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=", max_size=MAX_CURSOR),
        encoded_cursor,
    )
)
def test_message_cursor_decoder_takes_any_cursor(cursor):
    result = decode(cursor)
    if result is not None:
        assert result.offset >= 0 and isinstance(result.reverse, bool)
        assert result.position is None or result.position.isdigit()  # it goes into an id lookup


def test_message_cursor_decoder_reads_its_own_cursors():
    # the shape DRF's encode_cursor writes: base64 of the query string o=&r=&p=
    cursor = base64.b64encode(b"o=3&r=1&p=42").decode()
    assert decode(cursor) == Cursor(offset=3, reverse=True, position="42")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=MAX_BODY + 2),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
send_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({"body": json_values}, optional={"client_id": json_values, "attachments": json_values}),
)


@settings(
    max_examples=200,
    deadline=timedelta(milliseconds=500),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(send_payloads)
def test_plain_send_input_takes_any_payload(data):
    start = time.thread_time()
    result = plain_send_input(data)
    assert time.thread_time() - start < PARSE_BOUND
    if result is not None:
        body, client_id = result
        assert isinstance(body, str) and 0 < len(body) <= MAX_BODY and body.strip()
        assert client_id is None or (isinstance(client_id, str) and 0 < len(client_id) <= 64)
