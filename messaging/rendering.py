"""Message bodies are stored as sent; clients that render HTML get `body_html`, rendered by the one
renderer of user text, `core.rendering` (CommonMark through cmark-gfm, then nh3; linear time, no
images, `rel="nofollow noopener noreferrer"` on every link). See docs/messaging.md."""

from __future__ import annotations

from core.rendering import render_markdown as render_body

__all__ = ["render_body"]
