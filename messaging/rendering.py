"""Message bodies are stored as sent; clients that render HTML get `body_html`: markdown rendered,
then sanitised with nh3 (an allow-list: no script, no event handlers, no javascript: URLs)."""

from __future__ import annotations

import threading

import markdown
import nh3

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "del", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One converter per thread, reset before each use. `markdown.markdown()` builds a new one
    (and loads its extensions) on every call: ~1 ms, most of a message send's rendering. A
    `Markdown` instance is not thread-safe, hence one per thread; `reset()` clears everything a
    conversion leaves behind, so the output is that of a fresh converter."""
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
    return md.reset()


def render_body(body: str) -> str:
    if not body:
        return ""
    html = _markdown().convert(body)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
