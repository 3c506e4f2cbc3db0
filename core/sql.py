"""Raw SQL for a few hot paths, built once per database connection alias.

The ORM builds a query's SQL on every call; on the delivery path that building cost more than
running the query (docs/benchmarks.md, items 8 and 11). `prebuilt(connection, key, build)`
returns `build(quote_name)` for that alias, computing it once; `build` takes the backend's
`quote_name` and the table names come from the models' `_meta`, so the SQL follows the schema."""

from __future__ import annotations

from collections.abc import Callable

_cache: dict[tuple[str, str], str] = {}


def prebuilt(connection, key: str, build: Callable[[Callable[[str], str]], str]) -> str:
    sql = _cache.get((connection.alias, key))
    if sql is None:
        sql = _cache[(connection.alias, key)] = build(connection.ops.quote_name)
    return sql
