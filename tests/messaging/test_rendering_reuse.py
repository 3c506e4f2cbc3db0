"""`render_body` reuses one markdown converter per thread: its output must be that of a fresh
converter for every body, whatever was rendered before on the same thread."""

from __future__ import annotations

import threading

import markdown
import nh3

from messaging import rendering

BODIES = [
    "[ref]: https://example.com/one\n\nsee [it][ref]",
    "and now [it][ref] is not defined here",
    "```python\nprint('<b>')\n```\n\ntext",
    "| a | b |\n| - | - |\n| 1 | 2 |",
    "1. one\n2. two\n\n* three",
    "<div onclick=x>raw html</div> **bold**",
    "plain",
    "```\nunclosed fence",
    "line\n\n---\n\n# title",
]


def _fresh(body: str) -> str:
    html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=rendering._ALLOWED_TAGS,
        attributes=rendering._ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def test_reused_converter_renders_like_a_fresh_one():
    for _ in range(2):
        for body in BODIES + BODIES[::-1]:
            assert rendering.render_body(body) == _fresh(body), body
    assert rendering.render_body("") == ""


def test_each_thread_has_its_own_converter():
    seen = []

    def work():
        rendering.render_body("x")
        seen.append(rendering._local.md)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] is not seen[1]
