"""TypeScript declarations of every event's data, generated from the event catalogue.

`python -m web.typegen` writes `web/static/collective/events.d.ts` from `realtime/catalogue.py`
(the same source as docs/events.md), so the client's types cannot drift from what the server
publishes; `--check` only compares (tests/web/test_typegen.py runs it). `realtime.d.ts`, written
by hand, imports these.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from realtime import catalogue

OUTPUT = Path(__file__).resolve().parent / "static" / "collective" / "events.d.ts"

HEADER = """\
// Generated from realtime/catalogue.py by `python -m web.typegen`; do not edit by hand.
// The `data` of every frame a socket receives (docs/events.md). Used by realtime.d.ts.

/** An ISO 8601 date-time string in UTC. */
export type Timestamp = string;"""


def _literal_names() -> dict[Any, str]:
    return {
        value: name
        for name, value in vars(catalogue).items()
        if typing.get_origin(value) is Literal and not name.startswith("_")
    }


class Generator:
    def __init__(self) -> None:
        self.literals = _literal_names()
        self.interfaces: dict[str, str] = {}
        self.used_literals: set[str] = set()

    def ts(self, tp: Any) -> str:
        origin = typing.get_origin(tp)
        if origin in (NotRequired, typing.Required):
            return self.ts(typing.get_args(tp)[0])
        if origin is Annotated:
            base, *marks = typing.get_args(tp)
            return "Timestamp" if catalogue.TIMESTAMP in marks else self.ts(base)
        if tp is type(None):
            return "null"
        if tp in (int, float):
            return "number"
        if tp is str:
            return "string"
        if tp is bool:
            return "boolean"
        if tp is Any:
            return "unknown"
        if origin is Literal:
            name = self.literals.get(tp)
            if name:
                self.used_literals.add(name)
                return name
            return " | ".join(_json(v) for v in typing.get_args(tp))
        if origin in (typing.Union, types.UnionType):
            return " | ".join(self.ts(option) for option in typing.get_args(tp))
        if origin is list:
            (item,) = typing.get_args(tp)
            inner = self.ts(item)
            return f"({inner})[]" if "|" in inner else f"{inner}[]"
        if origin is dict:
            _key, value = typing.get_args(tp)
            return f"Record<string, {self.ts(value)}>"
        if isinstance(tp, type) and typing.is_typeddict(tp):
            self.interface(tp)
            return tp.__name__
        raise TypeError(f"no TypeScript for {tp!r}")

    def interface(self, td: Any) -> None:  # a TypedDict class: typing has no type for one
        name = td.__name__
        if name in self.interfaces:
            return
        self.interfaces[name] = ""  # placeholder against recursion
        hints = typing.get_type_hints(td, include_extras=True)
        lines = []
        doc = (td.__doc__ or "").strip()
        if doc and not doc.startswith(name + "("):
            lines.append("/** " + " ".join(doc.split()) + " */")
        lines.append(f"export interface {name} {{")
        for key, hint in hints.items():
            optional = "?" if key in td.__optional_keys__ else ""
            lines.append(f"  {_prop(key)}{optional}: {self.ts(hint)};")
        lines.append("}")
        self.interfaces[name] = "\n".join(lines)

    def render(self) -> str:
        durable = [s for s in catalogue.CATALOGUE if s.durable]
        ephemeral = [s for s in catalogue.CATALOGUE if not s.durable]
        maps = []
        for title, specs in (("DurableEventData", durable), ("EphemeralEventData", ephemeral)):
            lines = [f"export interface {title} {{"]
            for spec in specs:
                lines.append(f"  /** {spec.description} To: {spec.recipients} */")
                lines.append(f"  {_json(spec.type)}: {self.ts(spec.data)};")
            lines.append("}")
            maps.append("\n".join(lines))
        literal_lines = [
            f"export type {name} = {' | '.join(_json(v) for v in typing.get_args(getattr(catalogue, name)))};"
            for name in sorted(self.used_literals)
        ]
        parts = [
            HEADER,
            "\n".join(literal_lines),
            *self.interfaces.values(),
            *maps,
            "export type DurableType = keyof DurableEventData;\n"
            "export type EphemeralType = keyof EphemeralEventData;\n"
            "export type EventData = DurableEventData & EphemeralEventData;\n"
            "export type EventType = keyof EventData;",
        ]
        return "\n\n".join(parts) + "\n"


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _prop(key: str) -> str:
    return key if key.isidentifier() else _json(key)


def render() -> str:
    return Generator().render()


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is out of date: run `python -m web.typegen`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
