"""The registry of stable error codes (core/errors.py, each app's errors.py): every code is declared
once, described, listed in docs/errors.md, and raising sites name registered members rather than
string literals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core import errors
from core.errors import CoreCode, ErrorCode, register_codes, registered_codes

ROOT = Path(__file__).resolve().parents[2]
APPS = ("collective", "messaging", "notifications", "realtime", "core", "config")
# Migrations are history; SMS provider result codes (notifications/sms/) are stored on delivery rows,
# they are not error bodies.
SKIP = ("/migrations/", "notifications/sms/")
# Files that still raise with string literals, and why. Only shrinks: an entry with no literal left fails.
KNOWN_LITERALS: dict[str, str] = {}


def code_literals() -> dict[str, set[str]]:
    """file -> the string literals passed as `code=` in it."""
    found: dict[str, set[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if any(s in f"/{rel}" for s in SKIP):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "code" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                            found.setdefault(rel, set()).add(kw.value.value)
    return found


def test_every_code_is_registered_once_and_described():
    registry = registered_codes()
    assert list(registry)[0] == "core" and {"collective", "messaging", "notifications"} <= set(registry)
    seen: dict[str, str] = {}
    for app, codes in registry.items():
        assert issubclass(codes, ErrorCode)
        assert codes.__module__ == ("core.errors" if app == "core" else f"{app}.errors"), "one place per app"
        for member in codes:
            assert member.value not in seen, f"{member.value!r} declared by {seen.get(member.value)} and {app}"
            seen[member.value] = app
            assert member.doc.strip(), f"{app}.{member.name} has no description"
            assert member.value == member.name.lower(), "the member's name is its code, upper-cased"


def test_registering_a_code_twice_is_refused():
    with pytest.raises(ValueError, match="already declared by core"):

        @register_codes("someapp")
        class Dup(ErrorCode):
            NOT_FOUND = "not_found", "a second owner for core's code"

    with pytest.raises(ValueError, match="no description"):

        @register_codes("otherapp")
        class Undocumented(ErrorCode):
            SOMETHING = "something_new"

    assert "someapp" not in registered_codes() and "otherapp" not in registered_codes()


def test_members_are_the_plain_codes_clients_see():
    assert CoreCode.NOT_FOUND == "not_found" and str(CoreCode.NOT_FOUND) == "not_found"
    error = errors.NotFound("No such thing.", code=CoreCode.NOT_FOUND)
    assert type(error.code) is str and error.code == "not_found"
    assert errors._body(CoreCode.CONFLICT, "x") == {"code": "conflict", "detail": "x"}
    assert type(errors._body(CoreCode.CONFLICT, "x")["code"]) is str


def test_literals_left_are_registered_and_only_in_known_files():
    registered = {member.value for codes in registered_codes().values() for member in codes}
    literals = code_literals()
    unregistered = sorted((f, c) for f, codes in literals.items() for c in codes if c not in registered)
    assert not unregistered, f"codes raised but not registered (declare them in <app>/errors.py): {unregistered}"
    new = sorted(set(literals) - set(KNOWN_LITERALS))
    assert not new, f"raise with a registered member (<app>/errors.py), not a string literal: {new}"
    stale = sorted(set(KNOWN_LITERALS) - set(literals))
    assert not stale, f"KNOWN_LITERALS entries with no literal left (remove them): {stale}"


def test_docs_errors_md_is_what_the_generator_writes():
    current = (ROOT / "docs" / "errors.md").read_text()
    assert current == errors.render_doc(), "docs/errors.md is out of date: run `python manage.py error_codes --write`"
    for codes in registered_codes().values():
        for member in codes:
            assert f"| `{member.value}` |" in current
