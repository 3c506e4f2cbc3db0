"""The database objects behind full-text search (docs/offers.md, "Search"), and the SQL that reads them.

No migration holds them: `ensure_search_index` creates them idempotently from collective's
`post_migrate` handler (apps.py), which runs after `migrate` and after the test runner builds its
tables from the models (`--no-migrations`).

- SQLite: one FTS5 table per document kind (`collective_offer_fts`, `collective_ask_fts`,
  `collective_user_fts`; rowid = the row's id; porter stemming over unicode61), with columns
  a (title / username), b (tags and category / tagline), c (description and body / bio), kept
  in sync by triggers on the source tables, their tag tables and taxonomy names. A table created
  empty next to existing rows is filled at once (`rebuild_search_index` does it on demand). The
  triggers are dropped before migrations run (`pre_migrate`: SQLite alters a table by remaking
  it, which a trigger naming it from another table would break) and created again after, with a
  refill.
- PostgreSQL: a GIN index on each table's weighted tsvector expression (title A, description and
  body C; username A, tagline B, bio C). Tag and category names (B) are matched through their own
  small tables at query time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# bm25() column weights (a, b, c) and the PostgreSQL weight letters of the same columns.
BM25_WEIGHTS = (10.0, 4.0, 1.0)
PG_CONFIG = "'english'::regconfig"
TAXONOMY = "collective_taxonomy"


@dataclass(frozen=True)
class Doc:
    kind: str
    table: str
    # SQL expressions over the source row aliased `o`, one per FTS column (a, b, c).
    a: str
    b: str
    c: str
    # Columns whose update re-indexes the row (the trigger's UPDATE OF list).
    watched: tuple[str, ...]
    # The m2m table of tags and its column naming the row, or "" (users have no tags).
    tags_table: str = ""
    tags_fk: str = ""
    # PostgreSQL: the indexed tsvector, over bare column names `{title}`-style placeholders.
    pg_indexed: str = ""

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def gin(self) -> str:
        return f"{self.table}_search_gin"


def _tag_names(tags_table: str, fk: str) -> str:
    return (
        f"coalesce((SELECT group_concat(t.name, ' ') FROM {tags_table} x JOIN {TAXONOMY} t ON t.id = x.taxonomy_id"
        f" WHERE x.{fk} = o.id), '') || ' ' || "
        f"coalesce((SELECT c.name FROM {TAXONOMY} c WHERE c.id = o.category_id), '')"
    )


def _pg_vec(parts: list[tuple[str, str]]) -> str:
    return " || ".join(f"setweight(to_tsvector({PG_CONFIG}, {sql}), '{w}')" for sql, w in parts)


OFFER = Doc(
    kind="offer",
    table="collective_offer",
    a="o.title",
    b=_tag_names("collective_offer_tags", "offer_id"),
    c="o.description || ' ' || o.body",
    watched=("title", "description", "body", "category_id"),
    tags_table="collective_offer_tags",
    tags_fk="offer_id",
    pg_indexed=_pg_vec(
        [("coalesce({title}, '')", "A"), ("coalesce({description}, '') || ' ' || coalesce({body}, '')", "C")]
    ),
)
ASK = Doc(
    kind="ask",
    table="collective_ask",
    a="o.title",
    b=_tag_names("collective_ask_tags", "ask_id"),
    c="o.description",
    watched=("title", "description", "category_id"),
    tags_table="collective_ask_tags",
    tags_fk="ask_id",
    pg_indexed=_pg_vec([("coalesce({title}, '')", "A"), ("coalesce({description}, '')", "C")]),
)
USER = Doc(
    kind="user",
    table="collective_user",
    a="o.username",
    b="o.tagline",
    c="o.bio",
    watched=("username", "tagline", "bio"),
    pg_indexed=_pg_vec(
        [("coalesce({username}, '')", "A"), ("coalesce({tagline}, '')", "B"), ("coalesce({bio}, '')", "C")]
    ),
)
DOCS = (OFFER, ASK, USER)
PG_COLUMNS = {
    "offer": ("title", "description", "body"),
    "ask": ("title", "description"),
    "user": ("username", "tagline", "bio"),
}


# --- SQLite ------------------------------------------------------------------------------------


def _reindex(doc: Doc, ids: str) -> str:
    """Statements that replace the FTS rows of the source rows whose ids `ids` (a SELECT) names."""
    return (
        f"DELETE FROM {doc.fts} WHERE rowid IN ({ids}); "
        f"INSERT INTO {doc.fts}(rowid, a, b, c) SELECT o.id, {doc.a}, {doc.b}, {doc.c} "
        f"FROM {doc.table} o WHERE o.id IN ({ids});"
    )


def sqlite_table(doc: Doc) -> str:
    return f"CREATE VIRTUAL TABLE IF NOT EXISTS {doc.fts} USING fts5(a, b, c, tokenize='porter unicode61')"


def sqlite_triggers(doc: Doc) -> dict[str, str]:
    """The triggers that keep `doc.fts` in step, by name."""
    triggers = {
        f"{doc.fts}_ai": f"AFTER INSERT ON {doc.table} BEGIN {_reindex(doc, 'SELECT NEW.id')} END",
        f"{doc.fts}_au": f"AFTER UPDATE OF {', '.join(doc.watched)} ON {doc.table} "
        f"BEGIN {_reindex(doc, 'SELECT NEW.id')} END",
        f"{doc.fts}_ad": f"AFTER DELETE ON {doc.table} BEGIN DELETE FROM {doc.fts} WHERE rowid = OLD.id; END",
    }
    if doc.tags_table:
        fk = doc.tags_fk
        renamed = (
            f"SELECT {fk} FROM {doc.tags_table} WHERE taxonomy_id = NEW.id "
            f"UNION SELECT id FROM {doc.table} WHERE category_id = NEW.id"
        )
        triggers |= {
            f"{doc.fts}_tag_ai": f"AFTER INSERT ON {doc.tags_table} BEGIN {_reindex(doc, f'SELECT NEW.{fk}')} END",
            f"{doc.fts}_tag_ad": f"AFTER DELETE ON {doc.tags_table} BEGIN {_reindex(doc, f'SELECT OLD.{fk}')} END",
            f"{doc.fts}_taxonomy_au": f"AFTER UPDATE OF name ON {TAXONOMY} BEGIN {_reindex(doc, renamed)} END",
        }
    return triggers


def sqlite_statements(doc: Doc) -> list[str]:
    return [sqlite_table(doc)] + [
        f"CREATE TRIGGER IF NOT EXISTS {n} {body}" for n, body in sqlite_triggers(doc).items()
    ]


def _sqlite_triggers_present(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def sqlite_drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Before migrations run. SQLite's schema editor remakes a table to alter it (create a copy,
    drop, rename), and a trigger on another table naming it (the tag tables' triggers name
    collective_offer; every offer and ask trigger names collective_taxonomy) would fail that
    rename. post_migrate creates them again and refills the FTS tables."""
    with connection.cursor() as cursor:
        for doc in DOCS:
            for name in sqlite_triggers(doc):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def sqlite_rebuild(connection: BaseDatabaseWrapper, doc: Doc) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {doc.fts}")
        cursor.execute(
            f"INSERT INTO {doc.fts}(rowid, a, b, c) SELECT o.id, {doc.a}, {doc.b}, {doc.c} FROM {doc.table} o"
        )
        cursor.execute(f"SELECT count(*) FROM {doc.fts}")
        return int(cursor.fetchone()[0])


# --- PostgreSQL --------------------------------------------------------------------------------


def pg_indexed(doc: Doc, cols: dict[str, str] | None = None) -> str:
    """The indexed tsvector over `cols` (column name -> SQL; bare names by default)."""
    names = PG_COLUMNS[doc.kind]
    return doc.pg_indexed.format(**{n: (cols or {}).get(n, n) for n in names})


def pg_statements(doc: Doc) -> list[str]:
    return [f"CREATE INDEX IF NOT EXISTS {doc.gin} ON {doc.table} USING gin (({pg_indexed(doc)}))"]


# --- both --------------------------------------------------------------------------------------


def ensure_search_index(connection: BaseDatabaseWrapper) -> list[str]:
    """Create whatever is missing; returns the kinds whose SQLite table was (re)filled."""
    filled: list[str] = []
    tables = set(connection.introspection.table_names())
    if connection.vendor == "sqlite":
        present = _sqlite_triggers_present(connection)
        for doc in DOCS:
            if doc.table not in tables or (doc.tags_table and doc.tags_table not in tables):
                continue
            # A new table, or one whose triggers were missing (dropped for migrations), may not
            # match its rows: it is refilled, in one transaction with creating the triggers.
            stale = doc.fts not in tables or not set(sqlite_triggers(doc)) <= present
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                for sql in sqlite_statements(doc):
                    cursor.execute(sql)
                if stale:
                    sqlite_rebuild(connection, doc)
                    filled.append(doc.kind)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for doc in DOCS:
                # Looked up first: CREATE INDEX, even IF NOT EXISTS, fails in a transaction
                # with pending deferred-constraint events.
                cursor.execute("SELECT to_regclass(%s)", [doc.gin])
                if doc.table in tables and cursor.fetchone()[0] is None:
                    for sql in pg_statements(doc):
                        cursor.execute(sql)
    return filled


def rebuild_search_index(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Ensure the objects, then (SQLite) refill every FTS table from its source table."""
    ensure_search_index(connection)
    if connection.vendor != "sqlite":
        return {}
    return {doc.kind: sqlite_rebuild(connection, doc) for doc in DOCS}


def pre_migrate_handler(sender, using: str = "default", plan=None, **kwargs) -> None:
    connection = connections[using]
    if plan and connection.vendor == "sqlite":  # only when some migration is about to run
        sqlite_drop_triggers(connection)


def post_migrate_handler(sender, using: str = "default", **kwargs) -> None:
    ensure_search_index(connections[using])
