"""Bounds on a client frame's shape, checked before it is parsed.

`json.loads` recurses once per nesting level: a 4 KB frame of 2,000 `[` raised RecursionError in
the consumer and dropped the socket with no close frame. No frame of the protocol nests deeper
than 2 levels or holds more than a few hundred values (presence.query: 200 ids), so a frame over
the bounds is answered with an `error` frame, and the socket stays open (contract §3).

Linear in the frame's length, and nearly free for ordinary frames: when the frame holds fewer
brackets than the depth bound and fewer commas than the element bound (C-speed `str.count`), it
cannot exceed either, and no scan runs. Otherwise one regular-expression pass skips string
literals (brackets inside strings do not nest) and tracks depth and element count.
"""

from __future__ import annotations

import re

# A JSON string literal, or a structural character. The closing quote is optional so that an
# unterminated string consumes the rest of the text in one match: with it required, a text such as
# `"\"\"\"...` would be rescanned from every quote (quadratic).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{},]', re.DOTALL)


def shape_problem(text: str, *, max_depth: int, max_elements: int) -> str | None:
    """A sentence naming the bound `text` exceeds, or None. Malformed JSON within the bounds is
    left to the parser."""
    opens = text.count("[") + text.count("{")
    if opens <= max_depth and text.count(",") < max_elements:
        return None
    depth = elements = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                return f"Frames may nest at most {max_depth} levels deep."
        elif token in ("]", "}"):
            depth -= 1
        elif token == ",":
            elements += 1
            if elements >= max_elements:
                return f"Frames may hold at most {max_elements} values."
    return None
