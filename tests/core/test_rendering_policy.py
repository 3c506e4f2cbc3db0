"""What `core.rendering.render_markdown` keeps and what it drops: the features, the sanitising,
no images, `rel` on every link, no link that reaches another host while looking relative."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from core.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, MAX_NESTING, _safe_href, render_markdown


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def hrefs(html: str) -> list[str | None]:
    return [attrs.get("href") for tag, attrs in tags_of(html) if tag == "a"]


def assert_safe(html: str) -> None:
    """The invariants every rendered body must hold (also used by the property-based tests)."""
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed, (tag, attrs)
        if tag == "a":
            assert attrs["rel"] == LINK_REL
            href = attrs.get("href")
            if href is not None:
                assert _safe_href(href) == href, href
                assert not re.match(r"\s*(javascript|vbscript|data|file):", href, re.I), href


# --- features kept ----------------------------------------------------------------------------


def test_the_usual_features_render():
    html = render_markdown(
        "# Title\n\n## Sub\n\nSome **bold**, *em*, `code` and ~~gone~~ text.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n> quoted\n\n```python\nprint('<b>')\n```\n\n---\n\n"
        '[site](https://example.com "Example") <https://auto.example> line  \nbreak'
    )
    for fragment in (
        "<h1>Title</h1>",
        "<h2>Sub</h2>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<code>code</code>",
        "<del>gone</del>",
        "<li>one</li>",
        '<ol start="3">',
        "<blockquote>",
        "<pre><code>print('&lt;b&gt;')",
        "<hr>",
        f'<a href="https://example.com" title="Example" rel="{LINK_REL}">site</a>',
        f'<a href="https://auto.example" rel="{LINK_REL}">https://auto.example</a>',
        "<br>",
    ):
        assert fragment in html, fragment
    assert_safe(html)


def test_single_tilde_is_no_strikethrough():
    assert render_markdown("about ~5 min, ~10 at most") == "<p>about ~5 min, ~10 at most</p>"


def test_tables_render_as_their_text():
    # Tables are off on purpose: their output grows with columns x rows (core/rendering.py).
    html = render_markdown("| a | b |\n| - | - |\n| 1 | 2 |")
    assert "<table" not in html and "| a | b |" in html


# --- sanitising -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "before <script>alert(1)</script> after",
        '<img src=x onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        "<iframe src='https://evil.example'></iframe>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](file:///etc/passwd)",
        "[x]: javascript:alert(1)\n\n[x]",
        "<javascript:alert(1)>",
        '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        '<form action="https://evil.example"><input name=p></form>',
    ],
)
def test_hostile_markup_is_dropped(hostile):
    for body in (f"{hostile}\n\ntail", f"inline {hostile} tail"):
        html = render_markdown(body)
        lowered = html.lower()
        for bad in ("<script", "<iframe", "<img", "<svg", "<style", "<form", "<input", "<p onclick"):
            assert bad not in lowered, (bad, html)
        assert "tail" in html
        assert_safe(html)  # attributes: only href/title/rel on links, and no unsafe href


def test_raw_html_tags_are_omitted_but_their_text_stays():
    assert render_markdown("use <b>bold</b> here") == "<p>use bold here</p>"


def test_a_raw_html_block_is_omitted_up_to_the_next_blank_line():
    # CommonMark: a line that opens with a block-level tag starts an HTML block, which runs to the
    # next blank line; in safe mode cmark omits all of it, text included (docs/messaging.md).
    assert render_markdown("<div>\nhidden\n</div>\n\nshown") == "<p>shown</p>"


# --- images -----------------------------------------------------------------------------------


def test_an_image_becomes_a_link_to_it_labelled_with_its_alt_text():
    html = render_markdown("look ![a chart](https://evil.example/track.png) here")
    assert "<img" not in html
    assert html == f'<p>look <a href="https://evil.example/track.png" rel="{LINK_REL}">a chart</a> here</p>'


def test_an_image_without_alt_text_is_labelled_with_its_url_and_keeps_its_title():
    html = render_markdown('![](http://evil.example/track.png "pixel")')
    assert html == (
        f'<p><a href="http://evil.example/track.png" title="pixel" rel="{LINK_REL}">'
        "http://evil.example/track.png</a></p>"
    )


def test_an_image_inside_a_link_leaves_only_its_alt_text():
    html = render_markdown("[![build passing](https://ci.example/badge.svg)](https://ci.example/run/1)")
    assert html == f'<p><a href="https://ci.example/run/1" rel="{LINK_REL}">build passing</a></p>'


def test_raw_and_reference_images_are_no_images_either():
    html = render_markdown('<img src="http://evil.example/t.png">\n\n![x][pix]\n\n[pix]: http://evil.example/p.png')
    assert "<img" not in html
    assert hrefs(html) == ["http://evil.example/p.png"]


def test_an_image_with_an_unsafe_url_is_only_its_alt_text():
    assert render_markdown("![alt](javascript:alert(1))") == "<p>alt</p>"


# --- links ------------------------------------------------------------------------------------


def test_every_link_carries_rel_nofollow_noopener_noreferrer():
    html = render_markdown(
        "[a](https://a.example) <https://b.example> <mailto:c@example.com> [d](/offers/1) [e][r]\n\n"
        "[r]: https://e.example"
    )
    anchors = [attrs for tag, attrs in tags_of(html) if tag == "a"]
    assert len(anchors) == 5
    assert all(attrs["rel"] == "nofollow noopener noreferrer" for attrs in anchors)


@pytest.mark.parametrize(
    "href",
    [
        "//evil.example",
        "//evil.example/login",
        "&#47;&#47;evil.example",  # entities are decoded in link destinations
        "%2F%2Fevil.example",  # percent-encoded: a relative path, so it may stay
        "\\\\evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "https:evil.example",
        "http:/evil.example",
        "https:\\\\evil.example",
        "<//evil.example>",
    ],
)
def test_links_that_look_relative_but_reach_another_host_lose_their_href(href):
    html = render_markdown(f"[x]({href})")
    for value in hrefs(html):
        if value is None:
            continue
        # What is left must stay on this site from a page of either scheme. Resolved the way a
        # browser does: tabs/newlines removed, backslashes read as slashes, ends stripped.
        url = value.strip().replace("\t", "").replace("\n", "").replace("\\", "/")
        assert not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url), (href, html)
        for base in ("https://site.example/x/", "http://site.example/x/"):
            assert urlsplit(urljoin(base, url)).netloc == "site.example", (href, html)
    assert_safe(html)


def test_a_reference_definition_to_another_host_protocol_relative_is_dropped_too():
    html = render_markdown("[x][r]\n\n[r]: //evil.example/x")
    assert hrefs(html) in ([None], [])


@pytest.mark.parametrize(
    "href",
    [
        "/offers/12",
        "offers/12",
        "#section",
        "?page=2",
        "../up",
        "https://ok.example/a?b=c#d",
        "http://ok.example",
        "mailto:ada@example.com",
        "HTTPS://OK.EXAMPLE",
    ],
)
def test_relative_and_allowed_scheme_links_stay(href):
    assert hrefs(render_markdown(f"[x]({href})")) == [href]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("//evil.example", None),
        ("  //evil.example", None),
        ("/\t/evil.example", None),  # browsers remove tabs and newlines anywhere in a URL
        ("/\n/evil.example", None),
        ("\x01//evil.example", None),  # and C0 controls at the ends
        ("\\\\evil.example", None),
        ("/\\evil.example", None),
        ("https:evil.example", None),
        ("HTTP:/evil.example", None),
        ("ftp://evil.example", None),
        ("", None),
        ("https://ok.example", "https://ok.example"),
        ("/path", "/path"),
        ("path/with:colon", "path/with:colon"),
        ("#x", "#x"),
        ("mailto:a@b.example", "mailto:a@b.example"),
    ],
)
def test_safe_href(value, expected):
    assert _safe_href(value) == expected


# --- nesting ----------------------------------------------------------------------------------


def _depth(html: str) -> int:
    depth = deepest = 0
    for closing, name in re.findall(r"<(/?)([a-z][a-z0-9]*)", html):
        if closing:
            depth -= 1
        elif name not in {"br", "hr"}:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def test_ordinary_nesting_renders():
    body = "".join("  " * i + "- level\n" for i in range(8))
    html = render_markdown(body)
    assert html.count("<ul>") == 8 and _depth(html) <= MAX_NESTING


def test_nesting_deeper_than_the_limit_renders_as_escaped_plain_text():
    body = "> " * (MAX_NESTING + 5) + "deep <b>x</b>\n\nsecond paragraph\nline two"
    html = render_markdown(body)
    assert "<blockquote>" not in html
    assert html == (
        "<p>" + "&gt; " * (MAX_NESTING + 5) + "deep &lt;b&gt;x&lt;/b&gt;</p><p>second paragraph<br>line two</p>"
    )
