"""Message bodies are stored as sent; clients that render HTML get `body_html`: markdown rendered,
then sanitised with nh3 (an allow-list: no script, no event handlers, no javascript: URLs)."""

from __future__ import annotations

import markdown
import nh3

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "del", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_body(body: str) -> str:
    if not body:
        return ""
    html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
