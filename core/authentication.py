"""Token authentication that refuses malformed keys before the database sees them, and looks a
valid-looking key up with one prebuilt statement."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.sql import prebuilt

# DRF's Token.generate_key: 20 random bytes, hex-encoded.
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


def _lookup_sql(qn) -> str:
    user_opts, token_opts = get_user_model()._meta, Token._meta
    token_cols = ", ".join(f"t.{qn(f.column)}" for f in token_opts.concrete_fields)
    user_cols = ", ".join(f"u.{qn(f.column)}" for f in user_opts.concrete_fields)
    user_fk = qn(token_opts.get_field("user").column)
    return (
        f"SELECT {token_cols}, {user_cols} FROM {qn(token_opts.db_table)} t "
        f"JOIN {qn(user_opts.db_table)} u ON u.{qn(user_opts.pk.column)} = t.{user_fk} "
        f"WHERE t.{qn(token_opts.pk.column)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, except that:

    - a key which cannot be a token (wrong length, a character outside hex, a NUL byte PostgreSQL
      would refuse to compare) is a 401 "Invalid token." at once, on every database, without a
      query;
    - the token and its user are read with one prebuilt statement (the same join DRF's
      `select_related("user").get(key=...)` makes), not a queryset built and compiled per request:
      it runs on every API request, and the ORM's building of it cost more CPU than PostgreSQL's
      answering it (the delivery benchmark's profile, docs/benchmarks.md). The same answers:
      "Invalid token." for an unknown key, "User inactive or deleted." for an inactive user."""

    def authenticate_credentials(self, key):
        if not _TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        User = get_user_model()
        alias = router.db_for_read(Token)
        conn = connections[alias]
        with conn.cursor() as cursor:
            cursor.execute(prebuilt(conn, "core.token_lookup", _lookup_sql), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        values = list(row)
        for i, (col, converters) in enumerate(_converters(conn)):
            for converter in converters:
                values[i] = converter(values[i], col, conn)
        token_names, user_names = _attnames()
        n = len(token_names)
        token = Token.from_db(alias, token_names, values[:n])
        user = User.from_db(alias, user_names, values[n:])
        token.user = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, token)


_CONVERTERS: dict[str, list[tuple[Any, list[Any]]]] = {}


@cache
def _attnames() -> tuple[list[str], list[str]]:
    """The selected columns' attribute names, token's then user's (the order of `_lookup_sql`)."""
    return [f.attname for f in Token._meta.concrete_fields], [f.attname for f in get_user_model()._meta.concrete_fields]


def _converters(conn) -> list[tuple[Any, list[Any]]]:
    """For each selected column, as the ORM would convert it: the backend's converters (SQLite's
    datetimes, booleans) and the field's (`from_db_value`). Built once per database."""
    found = _CONVERTERS.get(conn.alias)
    if found is None:
        found = []
        for model in (Token, get_user_model()):
            for f in model._meta.concrete_fields:
                col = f.get_col(model._meta.db_table)
                found.append((col, conn.ops.get_db_converters(col) + col.get_db_converters(conn)))
        _CONVERTERS[conn.alias] = found
    return found
