"""User text (message bodies, offer bodies) → HTML that is safe to embed, in time linear in the text.

One renderer for every piece of user text the service turns into HTML. Callers store the text as
sent and the result of `render_markdown` next to it (`body_html`); clients that show HTML show that.

Pipeline, each step linear in its input:

1. **cmark-gfm** (the `cmarkgfm` bindings: GitHub's fork of the CommonMark reference parser, in C)
   parses CommonMark plus `~~strikethrough~~`, in its safe mode: raw HTML in the text is omitted
   (the tags, not the text between them), and `javascript:`/`vbscript:`/`file:`/`data:` URLs are
   emptied.
2. One pass over the tags cmark wrote (its output is well-formed and every `<` in text or attributes
   is escaped, so each `<tag` really is a tag):
   - **images become links**: `![alt](url)` renders as `<a href="url">alt</a>` (the URL when there is
     no alt text; only the alt text inside another link), so no viewer's browser ever fetches a
     remote image on its own (tracking pixels);
   - **nesting is bounded**: cmark has no nesting limit, and an HTML parser costs O(depth) per tag,
     so `">" * 100_000` (100,000 nested blockquotes, 2.7 MB of HTML) took nh3 198 s. Output nested
     deeper than `MAX_NESTING` elements is replaced by the text itself, escaped, as plain
     paragraphs. No hand-written text nests that deep.
3. **nh3** (ammonia) cleans with an allow-list: only the tags cmark emits for the features we keep,
   only `href`/`title` on links and `start` on ordered lists, URL schemes http, https and mailto
   (relative links stay), every link gets `rel="nofollow noopener noreferrer"`, and `_safe_href`
   drops hrefs that reach another host while looking relative (`//host`, `\\host`, `https:host`).

Why cmark-gfm and not markdown-it-py (both CommonMark, both built for untrusted input; measured on
this machine, 2 cores, on ~70 pathological inputs from the parsers' issue trackers, see
`bench/render.py` and docs/benchmarks.md "Rendering user text"): both are linear, but markdown-it-py
is pure Python and its constant is high: its worst 10,000-char input (`"[![" * 3333`) took 245 ms
and its worst 100,000-char one 5.7 s, against 11.6 ms and 140 ms for this whole pipeline's worst
(`"![" * 5000`: 177 ms against 0.4 ms). cmark-gfm's C parser also releases the GIL, so one long text
does not stall the other request threads. What cmark-gfm lacks (a nesting limit, hooks for images
and links) is done in steps 2 and 3.

Not kept from the previous renderer (Python-Markdown): **tables**. The GFM table extension fills in
missing cells, so output grows with columns × rows: a 10,000-char table took cmark-gfm 175 ms and
produced 5.2 MB of HTML (nh3: 1 s more); markdown-it-py 1 s. A bound would need a second parse, and
tables are rare in messages: they render as their text.

Thread-safe: each call has its own cmark parser; the nh3 cleaner is immutable.
"""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# Elements nested deeper than this fall back to plain text (see the module docstring). Eight levels
# of loose nested lists inside a quote, with emphasis and a link, stay well below it.
MAX_NESTING = 40

_CMARK_OPTIONS = (
    Options.CMARK_OPT_VALIDATE_UTF8  # invalid UTF-8 becomes U+FFFD instead of passing through
    | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE  # "~5 min ~10" is not a strikethrough
)
_CMARK_EXTENSIONS = ["strikethrough"]

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "del",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

# Every tag cmark writes; group 1 is "/" for an end tag, group 2 the name. Attribute values never
# hold ">" (cmark escapes it), so `[^>]*` ends at the tag's own ">".
_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)[^>]*>")
# cmark's image output, exactly: `<img src="…" alt="…" />`, with ` title="…"` before the end when
# the image has a title. Quotes inside the values are escaped by cmark.
_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")? />')
_VOID = frozenset({"br", "hr", "img", "input"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What a browser strips from both ends of a URL before parsing it (C0 controls and space), and what
# it removes anywhere in it (tab, LF, CR).
_EDGES = "".join(chr(c) for c in range(0x21))
_INNER_WHITESPACE = str.maketrans("", "", "\t\n\r")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

cmarkgfm.cmark.core_extensions_ensure_registered()  # once, before threads race to do it


def _safe_href(value: str) -> str | None:
    """The href as given if a browser resolves it on this site or with an allowed scheme; None when
    it could reach another host while looking relative: `//host`, `\\\\host`, `/\\host` (browsers
    read a backslash as a slash) and `https:host` / `http:/host` (from a page of the other scheme,
    a browser takes what follows as the host)."""
    url = value.strip(_EDGES).translate(_INNER_WHITESPACE).replace("\\", "/")
    if not url or url.startswith("//"):  # "" is what cmark leaves of an unsafe URL
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        return value  # relative: a path, ?query or #fragment on this site
    name = scheme.group(1).lower()
    if name in ("http", "https"):
        return value if url[scheme.end() :].startswith("//") else None
    return value if name in URL_SCHEMES else None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return _safe_href(value)
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    attribute_filter=_attribute_filter,
)


def _image_as_link(tag: str, inside_link: bool) -> str:
    match = _IMG.fullmatch(tag)
    if match is None:  # not cmark's shape: say nothing rather than guess
        return ""
    src, alt, title = match.groups()
    if inside_link or not src:  # a link cannot hold a link; an emptied (unsafe) URL is no link
        return alt
    title_attr = f' title="{title}"' if title else ""
    return f'<a href="{src}"{title_attr}>{alt or src}</a>'


def _rewrite(cmark_html: str) -> str | None:
    """Images → links, and the nesting check, in one pass over cmark's tags. None when the
    nesting exceeds `MAX_NESTING`."""
    if "<img" not in cmark_html and cmark_html.count("<") <= MAX_NESTING:
        return cmark_html  # the usual short text: too few tags to nest too deep, no image
    parts: list[str] = []
    last = depth = links = 0
    for match in _TAG.finditer(cmark_html):
        closing, name = match.group(1), match.group(2)
        if closing:
            depth -= 1
            if name == "a":
                links -= 1
        elif name in _VOID:
            if name == "img":
                parts.append(cmark_html[last : match.start()])
                parts.append(_image_as_link(match.group(0), links > 0))
                last = match.end()
        else:
            depth += 1
            if depth > MAX_NESTING:
                return None
            if name == "a":
                links += 1
    if last == 0:
        return cmark_html
    parts.append(cmark_html[last:])
    return "".join(parts)


def _plain_paragraphs(text: str) -> str:
    return "".join(
        "<p>" + html.escape(paragraph.strip("\n"), quote=False).replace("\n", "<br>") + "</p>"
        for paragraph in _BLANK_LINES.split(text)
        if paragraph.strip()
    )


def render_markdown(text: str) -> str:
    """Sanitised HTML for `text` (CommonMark; see the module docstring for what survives).
    Linear in `len(text)`; never raises for any str."""
    if not text:
        return ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: cmarkgfm encodes strictly
        text = text.encode("utf-8", "replace").decode("utf-8")
    cmark_html = cmarkgfm.cmark.markdown_to_html_with_extensions(
        text, options=_CMARK_OPTIONS, extensions=_CMARK_EXTENSIONS
    )
    rewritten = _rewrite(cmark_html)
    if rewritten is None:
        rewritten = _plain_paragraphs(text)
    # cmark ends each block with a newline; the edges carry nothing (Python-Markdown had none)
    return _CLEANER.clean(rewritten).strip()
