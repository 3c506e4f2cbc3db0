"""Rendering is bounded work: every pathological input known from the CommonMark parsers' issue
trackers (bench/render.py `cases`) renders at the messages' maximum size (10,000 chars) in a few
milliseconds and at 100,000 chars (more than any field allows) well under a second, with
output that is still the text and no bigger than a small multiple of it.

Python-Markdown took 76.5 s for `"[" * 10000` and did not finish `"[" * 100000` in minutes. The
bounds below are generous (measured: worst 10,000 ≈ 10 ms, worst 100,000 ≈ 120 ms; they failed at
50 ms / 500 ms while several test suites shared the 2-core machine) yet an order of magnitude below
what a super-linear path costs at these sizes; the figures themselves are measured by
`make bench-render` (docs/benchmarks.md). Times are the render thread's CPU time (not wall time:
other processes on a loaded machine, such as the suite's parallel workers, do not count), the
best of three renders.
"""

from __future__ import annotations

import html
import re
import time

import pytest

from bench.render import cases
from core.rendering import MAX_NESTING, render_markdown
from messaging import conf as messaging_conf

from .test_rendering_policy import assert_safe

MAX_BODY = messaging_conf.get("MAX_BODY_CHARS")
# 20x the measured worst: the suite's own servers, or other test runs on the machine, load it. A
# super-linear path costs seconds here (Python-Markdown: 18.9 s for "[" * 10000).
BOUND_10K = 0.200
BOUND_100K = 2.000
# Output may grow by escaping ("&" → "&amp;") and by rel on links, never by more than this factor,
# plus what link references expand to: cmark caps that at 100,000 chars or the input's size.
MAX_GROWTH = 10
REF_EXPANSION_CAP = 100_000

CASES_10K = cases(10_000)
CASES_100K = cases(100_000)


def best_of_3(text: str) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(3):
        start = time.thread_time()
        out = render_markdown(text)
        best = min(best, time.thread_time() - start)
    return best, out


def visible_text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", rendered))


def test_the_10k_cases_are_the_messages_maximum_size():
    assert MAX_BODY == 10_000
    assert max(len(text) for text in CASES_10K.values()) == MAX_BODY
    assert len(CASES_10K) >= 70


@pytest.mark.parametrize("name", sorted(CASES_10K))
def test_worst_inputs_at_the_message_limit_render_in_milliseconds(name):
    text = CASES_10K[name]
    seconds, out = best_of_3(text)
    assert seconds < BOUND_10K, f"{name!r}: {seconds * 1000:.1f} ms"
    assert len(out) <= MAX_GROWTH * len(text) + REF_EXPANSION_CAP
    assert_safe(out)


@pytest.mark.parametrize("name", sorted(CASES_100K))
def test_worst_inputs_at_100k_chars_render_well_under_a_second(name):
    text = CASES_100K[name]
    seconds, out = best_of_3(text)
    assert seconds < BOUND_100K, f"{name!r}: {seconds * 1000:.1f} ms"
    assert len(out) <= MAX_GROWTH * len(text) + REF_EXPANSION_CAP


# --- and the output still looks like the text -------------------------------------------------


@pytest.mark.parametrize("n", [10_000, 100_000])
@pytest.mark.parametrize("pattern", ["[", "![", "]", "[](", "[]((", "[ (](", "\\``", "<>", "a_", "&#", "[[]]"])
def test_runs_of_brackets_and_delimiters_render_as_their_text(n, pattern):
    text = (pattern * n)[:n]
    out = render_markdown(text)
    # no structure appears out of an unclosed run: one paragraph holding the text, less the
    # backslashes that escape the next character
    assert out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1
    assert "<a" not in out and "<em>" not in out
    assert visible_text(out).strip() == (text.replace("\\`", "`") if "\\" in pattern else text)


def test_deep_blockquotes_fall_back_to_plain_text():
    out = render_markdown(">" * MAX_BODY)
    assert out == "<p>" + "&gt;" * MAX_BODY + "</p>"


def test_deep_emphasis_falls_back_to_plain_text():
    text = CASES_10K["*a (N) + ' a*' (N)"]
    out = render_markdown(text)
    assert "<em>" not in out and visible_text(out).replace("\n", "") == text.replace("\n", "")


def test_nested_lists_are_cut_at_the_nesting_bound_not_rendered_deeper():
    out = render_markdown(CASES_10K["nested list"])
    assert out.count("<ul>") <= MAX_NESTING and "foo" in out


def test_a_reference_used_many_times_does_not_multiply_the_output():
    text = CASES_100K["ref expansion"]
    out = render_markdown(text)
    assert len(out) <= 3 * len(text)
    assert 'href="/' in out  # the first uses still link


def test_a_table_with_a_wide_header_and_short_rows_stays_text():
    text = CASES_100K["table: wide header, short rows"]
    out = render_markdown(text)
    assert "<td" not in out and len(out) <= 2 * len(text)


def test_many_link_definitions_render_nothing_and_their_uses_link():
    text = CASES_10K["many link refs"]
    out = render_markdown(text)
    uses = re.findall(r"\[r\d+\](?!:)", text)  # complete uses, not the definitions
    assert len(uses) > 400 and out.count("<a ") == len(uses)
    assert "]:" not in out
