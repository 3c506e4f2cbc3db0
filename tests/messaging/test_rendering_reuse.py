"""`render_body` is called from many request threads at once and keeps no state between calls: the
output for a body is the same whatever was rendered before, on this thread or on others at the
same time (a link reference defined in one message must not resolve in the next one)."""

from __future__ import annotations

import threading

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
    ">" * 200,  # the too-deep fallback between ordinary bodies
    "![img](https://example.com/i.png) after",
]


def test_output_does_not_depend_on_what_was_rendered_before():
    first = {body: rendering.render_body(body) for body in BODIES}
    for _ in range(2):
        for body in BODIES[::-1] + BODIES:
            assert rendering.render_body(body) == first[body], body
    assert rendering.render_body("") == ""
    assert 'href="https://example.com/one"' in first[BODIES[0]]
    assert "<a" not in first[BODIES[1]]  # the reference of the previous body does not leak in


def test_threads_rendering_at_once_get_the_same_output():
    expected = {body: rendering.render_body(body) for body in BODIES}
    mismatches: list[str] = []
    start = threading.Barrier(4)

    def work(offset: int) -> None:
        start.wait()
        for i in range(200):
            body = BODIES[(i + offset) % len(BODIES)]
            if rendering.render_body(body) != expected[body]:
                mismatches.append(body)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mismatches == []
