"""`python -m bench.render`: how long rendering user text takes, worst cases and typical ones.

Renders every input of `cases(n)` (pathological inputs collected from the issue trackers of
CommonMark parsers: cmark, cmark-gfm, markdown-it, markdown-it-py, md4c, pulldown-cmark,
commonmark.js, Python-Markdown, mistune) and a few typical texts with the project's renderer
(`core.rendering.render_markdown`), and, with `--compare`, with what else is installed:

- `python-markdown`: the previous renderer (Python-Markdown 3 with fenced_code/tables/sane_lists,
  then nh3), each render in a child process killed after `--old-timeout` seconds, because some
  inputs take minutes and a thread cannot be stopped;
- `markdown-it-py`: the other CommonMark candidate (commonmark preset + strikethrough, raw HTML
  off, then nh3).

Prints one row per input (best of `--repeat` renders: ms per render and chars per ms) and one JSON
line with everything. Figures and the machine they came from: docs/benchmarks.md, "Rendering user
text".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections.abc import Callable

# --- inputs -----------------------------------------------------------------------------------


def _fill(pattern: str, n: int) -> str:
    """`pattern` repeated to `n` characters (the last copy cut short)."""
    return (pattern * (n // len(pattern) + 1))[:n]


def _lines_upto(n: int, line: Callable[[int], str]) -> str:
    out: list[str] = []
    total, i = 0, 0
    while True:
        text = line(i)
        if total + len(text) > n:
            return "".join(out)
        out.append(text)
        total += len(text)
        i += 1


# Runs of one pattern, the shape of most reports ("parsing X X X … takes quadratic time"). The
# comment names where the pattern (or its family) was reported.
PATTERNS: dict[str, str] = {
    "[": "[",  # Python-Markdown#798, commonmark.js#101 (nested brackets)
    "![": "![",  # images: same bracket stack, plus the image path
    "[![": "[![",
    "]": "]",
    "[a](": "[a](",  # cmark#214 (unclosed inline links)
    "[](": "[](",  # markdown-it#732, pulldown-cmark#82
    "[](( ": "[]((",  # markdown-it#734
    "[ (](": "[ (](",  # cmark#285, md4c#57
    "[a](<b": "[a](<b",  # cmark#218, comrak#31
    "](\\n[": "](\n[",  # md4c#236 (oss-fuzz)
    '[]( "': '[]( "',  # mistune#191 (cubic)
    "[[]]": "[[]]",
    "[a]": "[a]",
    "*a": "*a",  # emphasis runs
    "_a": "_a",
    "a_": "a_",
    "**a": "**a",
    "**_* ": "**_* ",  # markdown-it#735
    "*a **a ": "*a **a ",  # markdown-it-py#273 (nested emphasis)
    "*": "*",
    "_": "_",
    "~": "~",
    "~~a": "~~a",
    "\\``": "\\``",  # markdown-it#733, md4c#59 (backtick runs)
    "`": "`",
    "``a": "``a",
    "<": "<",  # markdown-it#737, markdown-it-py#423
    "<>": "<>",  # md4c#57
    "<a ": "<a ",
    "<!--": "<!--",
    "<div>": "<div>",
    "<http://a": "<http://a",
    "&": "&",  # markdown-it-py#423 (bare &, incomplete entities)
    "&#": "&#",
    "&amp;": "&amp;",
    ">": ">",  # nested blockquotes, one line
    "> ": "> ",
    ">- ": ">- ",  # cmark-gfm CVE-2023-24824 family (quote + list)
    "- ": "- ",
    "1. ": "1. ",
    "#": "#",
    "|": "|",
    "-|": "-|",
    "\\": "\\",
    "a\\n": "a\n",
    "\\n": "\n",
    "a  \\n": "a  \n",  # hard breaks
    "a\\n=\\n": "a\n=\n",  # setext headings
    "```\\n": "```\n",
    "    a\\n": "    a\n",
    "[a]: /u\\n": "[a]: /u\n",  # many link reference definitions
    "[a]:\\n": "[a]:\n",
    "'x ": "'x ",  # cmark#521 (smart quotes; smart punctuation is off here)
    '"x ': '"x ',
    "http://a ": "http://a ",
}


def cases(n: int) -> dict[str, str]:
    """Pathological inputs of about `n` characters each (never more)."""
    half = n // 2
    out = {name: _fill(pattern, n) for name, pattern in PATTERNS.items()}
    out.update(
        {
            "[ * N + ] * N": "[" * half + "]" * half,
            "* * N + a": "*" * (n - 1) + "a",
            "_ * N + a": "_" * (n - 1) + "a",
            "* * N + a + * * N": "*" * (half - 1) + "a" + "*" * half,
            "_ * N + a + _ * N": "_" * (half - 1) + "a" + "_" * half,
            "~ * N + a + ~ * N": "~" * (half - 1) + "a" + "~" * half,
            # emphasis opened N times, closed N times: nests N deep
            "*a (N) + ' a*' (N)": "*a " * (n // 6) + " a*" * (n // 6),
            "**a (N) + ' a**' (N)": "**a " * (n // 8) + " a**" * (n // 8),
            "[a (N) + ](/u) (N)": "[a " * (n // 8) + "](/u) " * (n // 8),
            "![a (N) + ](/u) (N)": "![a " * (n // 9) + "](/u) " * (n // 9),
            # cmark#255: each item one level deeper
            "nested list": _lines_upto(n, lambda i: "  " * i + "* foo\n"),
            "nested ordered list": _lines_upto(n, lambda i: "   " * i + "1. a\n"),
            "nested quote lines": _lines_upto(n, lambda i: "> " * (i + 1) + "a\n"),
            "backtick runs 1..k": _lines_upto(n, lambda i: "`" * (i + 1) + "a"),
            # markdown-it#1000, pulldown-cmark#832, md4c#345: tables fill in missing cells
            "table: wide header, short rows": _table_explosion(n),
            "table: many columns": ("a|" * (n // 6)) + "\n" + ("-|" * (n // 6)) + "\n" + ("b|" * (n // 6)),
            "many link refs": _many_refs(n),
            "long ref definition": "[" + "a" * (n - 10) + "]: /u",
            "long ref labels": "[" + "a" * (half - 2) + "] [" + "a" * (half - 3) + "]",
            "ref def, unclosed title": "[a]: /u '" + "b" * (n - 9),
            # one definition of n/2 chars used n/6 times: output would be n²/12 without a cap
            "ref expansion": "[a]: /" + "b" * half + "\n\n" + "[a]" * ((half - 10) // 3),
            "long link destination": "[a](" + "b" * (n - 5) + ")",
            "links": "[a](/u) " * (n // 8),
            "images": "![a](http://x.example/i.png) " * (n // 29),
        }
    )
    return {name: text[:n] for name, text in out.items()}


def _table_explosion(n: int) -> str:
    cols = n // 8
    head = "x|" * cols + "\n" + "-|" * cols + "\n"
    return head + "x|\n" * max((n - len(head)) // 3, 0)


def _many_refs(n: int) -> str:
    k = n // 20
    return "".join(f"[r{i}]: /u{i}\n" for i in range(k)) + "\n" + "".join(f"[r{i}] " for i in range(k))


TYPICAL: dict[str, str] = {
    "chat line": "sounds good, see you at **3pm** :)",
    "chat with link": "Here is the repo: [meetingbot](https://github.com/example/meetingbot) - try `make run`",
    "message, 1 KB": (
        "Hi! Thanks for the offer. A few questions:\n\n"
        "1. Does it support *Zoom* and **Google Meet**?\n2. Can I self-host it?\n3. Pricing for teams?\n\n"
        "> We run ~40 meetings a week, most under 30 min.\n\n"
        "Our stack:\n\n```python\nimport meetingbot\nbot = meetingbot.Bot(token=TOKEN)\nbot.join(url)\n```\n\n"
        "Docs I read: <https://example.com/docs> and [the FAQ](https://example.com/faq#pricing).\n\n"
        "- [ ] trial\n- [ ] contract\n\nCheers,\nAda\n"
    )
    * 2,
    "offer body, 5 KB": (
        "# MeetingBot\n\nAn **AI note taker** that joins your calls, writes the summary and files the "
        "action items.\n\n## What you get\n\n- transcripts in 30 languages\n- summaries in *your* template\n"
        "- integrations: Slack, Notion, Linear\n\n## Pricing\n\nFree for 5 meetings a month, then "
        "$12/month. ~~$20~~ launch price.\n\n```bash\npip install meetingbot\nmeetingbot login\n```\n\n"
        "Questions? [Write me](mailto:ada@example.com).\n\n---\n\n"
    )
    * 12,
}


# --- renderers --------------------------------------------------------------------------------


def _project() -> Callable[[str], str]:
    from core.rendering import render_markdown

    return render_markdown


def _markdown_it() -> Callable[[str], str] | None:
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return None
    import nh3

    md = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough"])
    return lambda text: nh3.clean(md.render(text))


def _python_markdown() -> Callable[[str], str] | None:
    try:
        import markdown
    except ImportError:
        return None
    import nh3

    def render(text: str) -> str:
        html = markdown.markdown(text, extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
        return nh3.clean(html, link_rel="noopener noreferrer nofollow")

    render("warm *up*")  # loads the extensions once here, so forked children do not time that
    return render


def _time(render: Callable[[str], str], text: str, repeat: int) -> tuple[float, int]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        out = render(text)
        best = min(best, time.perf_counter() - start)
    return best, len(out)


def _child(conn, text: str, repeat: int) -> None:  # runs in the child process
    render = _python_markdown()  # already imported and warmed up in the parent (fork)
    assert render is not None
    try:
        conn.send(_time(render, text, repeat))
    except Exception as exc:  # Python-Markdown raises RecursionError on some deep inputs
        conn.send((type(exc).__name__, None))


def _time_bounded(text: str, repeat: int, timeout: float) -> tuple[float | str | None, int | None]:
    """Python-Markdown in a child process: (seconds, output length); (None, None) when it did not
    finish within `timeout`; (exception name, None) when it raised."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, text, repeat))
    proc.start()
    try:
        if parent.poll(timeout):
            return parent.recv()
        return None, None
    finally:
        proc.kill()  # SIGKILL: the interpreter may be deep in one regex and not see SIGTERM soon
        proc.join()


# --- run --------------------------------------------------------------------------------------


def _fmt(cell: dict) -> str:
    if cell.get("error"):
        return cell["error"]
    return "timeout" if cell["ms"] is None else f"{cell['ms']:,.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="input sizes in characters (default: 10000 = messages' MAX_BODY_CHARS, 100000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="renders per input; the best counts")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also time Python-Markdown (the previous renderer) and markdown-it-py if installed",
    )
    parser.add_argument(
        "--old-timeout",
        type=float,
        default=10.0,
        help="seconds before a Python-Markdown render is given up (default 10)",
    )
    parser.add_argument("--top", type=int, default=15, help="rows printed per size (slowest first); 0: all")
    args = parser.parse_args(argv)

    renderers: dict[str, Callable[[str], str] | None] = {"project": _project()}
    if args.compare:
        renderers["markdown-it-py"] = _markdown_it()
        renderers["python-markdown"] = _python_markdown()
    names = [name for name, render in renderers.items() if render is not None]
    skipped = [name for name, render in renderers.items() if render is None]
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}")
    cores, load = os.cpu_count(), os.getloadavg()[0]
    print(f"machine: {cores} cores, load {load:.2f} at start")

    results: list[dict] = []
    inputs = [("typical", name, text) for name, text in TYPICAL.items()]
    inputs += [(f"worst {n:,}", name, text) for n in args.sizes for name, text in cases(n).items()]
    for group, name, text in inputs:
        row = {"group": group, "input": name, "chars": len(text)}
        for renderer in names:
            if renderer == "python-markdown":
                seconds, out_len = _time_bounded(text, 1, args.old_timeout)  # one try: some take minutes
            else:
                seconds, out_len = _time(renderers[renderer], text, args.repeat)  # type: ignore[arg-type]
            if isinstance(seconds, str):
                row[renderer] = {"ms": None, "error": seconds, "out_chars": None}
            else:
                row[renderer] = {"ms": None if seconds is None else round(seconds * 1000, 3), "out_chars": out_len}
        results.append(row)

    for group in dict.fromkeys(r["group"] for r in results):
        rows = [r for r in results if r["group"] == group]
        rows.sort(key=lambda r: -(r["project"]["ms"]))
        if args.top and group != "typical":
            rows = rows[: args.top]
        print(f"\n== {group} ({'slowest first' if group != 'typical' else 'each'}) ==")
        header = (
            f"{'input':34} {'chars':>8}" + "".join(f" {n + ' ms':>18}" for n in names) + f" {'project chars/ms':>17}"
        )
        print(header)
        for r in rows:
            cells = "".join(f" {_fmt(r[n]):>18}" for n in names)
            speed = r["chars"] / r["project"]["ms"] if r["project"]["ms"] else float("inf")
            print(f"{r['input'][:34]:34} {r['chars']:>8,}{cells} {speed:>17,.0f}")
        worst = max(rows, key=lambda r: r["project"]["ms"])
        print(f"worst for the project: {worst['input']!r}, {worst['project']['ms']:.2f} ms")
    print(json.dumps({"machine": {"cores": cores, "load_at_start": load}, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
