"""Ranked full-text search over offers, asks and people (docs/offers.md, "Search").

People type sentences ("I need help with meetings"): the text is cut into words, stopwords are
dropped, and what is left is OR-ed, each word stemmed by the database (porter on SQLite's FTS5,
the english configuration on PostgreSQL), the last one also as a prefix (typing "car" finds
"carol"). Results come best first: title (or username) over tags and category (or tagline) over
description and body, plus a boost when the whole text appears in the title.

Each function takes the queryset to search in (`qs`, already scoped by the caller's endpoint) or,
without one, searches what the viewer may see: active offers / open unexpired asks of others, the
viewer's own non-archived ones (drafts included), discoverable people. Either way nobody the viewer
blocked or who blocked the viewer appears. The queryset comes annotated with `search_rank` and
ordered by it; at most CANDIDATE_LIMIT rows match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Expression, F, FloatField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from collective.models import Ask, AskStatus, Block, Offer, OfferStatus, User
from collective.search_index import ASK, BM25_WEIGHTS, OFFER, PG_COLUMNS, PG_CONFIG, TAXONOMY, USER, Doc, pg_indexed
from collective.selectors.offers import people_discoverable

MAX_QUERY_LENGTH = 200  # the `?search=` limit of the lists (a longer text is a 400 there)
MAX_TERMS = 12
CANDIDATE_LIMIT = 500
RANK_ANNOTATION = "search_rank"

# Words that carry no meaning in a search sentence. The english configuration of PostgreSQL
# drops these (and more) anyway; FTS5 has no stopwords, so they are removed here for both.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    looking me might more most must my myself need needs no nor not now of off on once only or other
    our ours ourselves out over own please same she should so some someone something such than that
    the their theirs them themselves then there these they this those through to too under until up
    very want wants was we were what when where which while who whom why will with would you your
    yours yourself yourselves""".split()
)
_WORD = re.compile(r"[^\W_]+")

# Ranking boosts when the whole text appears in the title (on top of bm25 / ts_rank, whose scales
# differ: bm25 sums to a few units, ts_rank stays below 1).
_BOOST = {"sqlite": (2.0, 2.0), "postgresql": (0.2, 0.2)}  # (title contains the text, title is the text)


def search_terms(text: str) -> list[str]:
    """The words searched for: lower-cased, without stopwords and one-letter words, each once,
    at most MAX_TERMS, from at most MAX_QUERY_LENGTH characters."""
    terms: list[str] = []
    for word in _WORD.findall(text[:MAX_QUERY_LENGTH].lower()):
        if len(word) > 1 and word not in STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _phrase(text: str) -> str:
    return " ".join(text[:MAX_QUERY_LENGTH].lower().split())


def _fts5_query(terms: list[str]) -> str:
    quoted = [f'"{t}"' for t in terms]
    if len(terms[-1]) >= 3:
        quoted[-1] += "*"
    return " OR ".join(quoted)


def _tsquery(terms: list[str]) -> str:
    parts = list(terms)
    if len(parts[-1]) >= 3:
        parts[-1] += ":*"
    return " | ".join(parts)


class _RowSQL(Expression):
    """A SQL fragment over columns of the current row: `{name}` placeholders become the compiled
    columns (so the fragment follows the query's table aliases), `%s` the params."""

    def __init__(self, template: str, columns: dict[str, str], params: list[Any]) -> None:
        super().__init__(output_field=FloatField())
        self.template, self.names, self.params = template, list(columns), list(params)
        self.columns: list[Any] = [F(c) for c in columns.values()]

    def get_source_expressions(self) -> list[Any]:
        return self.columns

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.columns = list(exprs)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.is_summary = summarize
        clone.columns = [c.resolve_expression(query, allow_joins, reuse, summarize, for_save) for c in self.columns]
        return clone

    def as_sql(self, compiler, connection, **extra):
        compiled = {}
        for name, column in zip(self.names, self.columns, strict=True):
            sql, params = compiler.compile(column)
            assert not params
            compiled[name] = sql
        return self.template.format(**compiled), list(self.params)


def _ranked(qs: QuerySet, doc: Doc, text: str, title: str) -> QuerySet:
    """`qs` narrowed to the rows matching `text`, annotated with `search_rank`, best first."""
    terms = search_terms(text)
    if not terms:
        return qs.none()
    phrase = _phrase(text)
    contains, exact = _BOOST.get(connection.vendor, _BOOST["sqlite"])
    boost = (
        f" + CASE WHEN lower({{title}}) = %s THEN {contains + exact}"
        f" WHEN instr(lower({{title}}), %s) > 0 THEN {contains} ELSE 0 END"
    )
    boost_params = [phrase, phrase]
    columns = {"pk": "pk", "title": title}
    if connection.vendor == "postgresql":
        boost = boost.replace("instr(lower({title}), %s)", "strpos(lower({title}), %s)")
        query = _tsquery(terms)
        candidates, candidate_params = _pg_candidates(doc, query)
        for name in PG_COLUMNS[doc.kind]:
            columns[name] = name
        if doc.tags_table:
            columns["category_id"] = "category_id"
        vector = _pg_full_vector(doc, {n: f"{{{n}}}" for n in columns})
        rank = _RowSQL(f"(ts_rank({vector}, to_tsquery({PG_CONFIG}, %s)){boost})", columns, [query, *boost_params])
    else:
        match = _fts5_query(terms)
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        candidates = (
            f"SELECT rowid FROM {doc.fts} WHERE {doc.fts} MATCH %s ORDER BY bm25({doc.fts}, {weights}) "
            f"LIMIT {CANDIDATE_LIMIT}"
        )
        candidate_params = [match]
        # bm25() is smaller for better matches: negated, higher is better, like ts_rank.
        score = f"(SELECT -bm25({doc.fts}, {weights}) FROM {doc.fts} WHERE {doc.fts} MATCH %s AND rowid = {{pk}})"
        rank = _RowSQL(f"(coalesce({score}, 0){boost})", columns, [match, *boost_params])
    return (
        qs.filter(pk__in=RawSQL(candidates, candidate_params))
        .annotate(**{RANK_ANNOTATION: rank})
        .order_by(f"-{RANK_ANNOTATION}", "-pk")
    )


def _pg_tags_vector(doc: Doc, pk: str, category_id: str) -> str:
    names = (
        f"coalesce((SELECT string_agg(t.name, ' ') FROM {doc.tags_table} x JOIN {TAXONOMY} t ON t.id = x.taxonomy_id"
        f" WHERE x.{doc.tags_fk} = {pk}), '') || ' ' || "
        f"coalesce((SELECT c.name FROM {TAXONOMY} c WHERE c.id = {category_id}), '')"
    )
    return f"setweight(to_tsvector({PG_CONFIG}, {names}), 'B')"


def _pg_full_vector(doc: Doc, cols: dict[str, str]) -> str:
    vector = pg_indexed(doc, cols)
    if doc.tags_table:
        vector = f"{vector} || {_pg_tags_vector(doc, cols['pk'], cols['category_id'])}"
    return vector


def _pg_candidates(doc: Doc, query: str) -> tuple[str, list[Any]]:
    """The ids of at most CANDIDATE_LIMIT matching rows, best first. The text columns are matched
    through the GIN index; tags and categories through their own tables."""
    tsq = f"to_tsquery({PG_CONFIG}, %s)"
    parts = [f"SELECT id FROM {doc.table} WHERE {pg_indexed(doc)} @@ {tsq}"]
    if doc.tags_table:
        parts += [
            f"SELECT x.{doc.tags_fk} FROM {doc.tags_table} x JOIN {TAXONOMY} t ON t.id = x.taxonomy_id "
            f"WHERE to_tsvector({PG_CONFIG}, t.name) @@ {tsq}",
            f"SELECT id FROM {doc.table} WHERE category_id IN "
            f"(SELECT id FROM {TAXONOMY} WHERE to_tsvector({PG_CONFIG}, name) @@ {tsq})",
        ]
    cols = {n: f"s.{n}" for n in PG_COLUMNS[doc.kind]} | {"pk": "s.id", "category_id": "s.category_id"}
    sql = (
        f"SELECT s.id FROM {doc.table} s WHERE s.id IN ({' UNION '.join(parts)}) "
        f"ORDER BY ts_rank({_pg_full_vector(doc, cols)}, {tsq}) DESC, s.id DESC LIMIT {CANDIDATE_LIMIT}"
    )
    return sql, [query] * (len(parts) + 1)


def _me(viewer: Any) -> int | None:
    return viewer.pk if viewer is not None and viewer.is_authenticated else None


def _without_blocks(qs: QuerySet, viewer: Any, field: str) -> QuerySet:
    """Without the users who blocked `viewer` and the users `viewer` blocked."""
    me = _me(viewer)
    if me is None:
        return qs
    blockers = Block.objects.filter(blocked_id=me).values("blocker_id")
    blocked = Block.objects.filter(blocker_id=me).values("blocked_id")
    return qs.exclude(**{f"{field}__in": blockers}).exclude(**{f"{field}__in": blocked})


def search_offers(*, viewer: Any, text: str, qs: QuerySet[Offer] | None = None) -> QuerySet[Offer]:
    if qs is None:
        me = _me(viewer)
        visible = Q(status=OfferStatus.ACTIVE, is_archived=False)
        if me is not None:
            visible |= Q(user_id=me, is_archived=False)
        qs = Offer.objects.select_related("user", "category").prefetch_related("tags", "tools").filter(visible)
    return _ranked(_without_blocks(qs, viewer, "user_id"), OFFER, text, "title")


def search_asks(*, viewer: Any, text: str, qs: QuerySet[Ask] | None = None) -> QuerySet[Ask]:
    if qs is None:
        me = _me(viewer)
        unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        visible = Q(unexpired, status=AskStatus.OPEN, is_archived=False)
        if me is not None:
            visible |= Q(user_id=me, is_archived=False)
        qs = Ask.objects.select_related("user", "category").prefetch_related("tags", "tools").filter(visible)
    return _ranked(_without_blocks(qs, viewer, "user_id"), ASK, text, "title")


def search_people(*, viewer: Any, text: str, qs: QuerySet[User] | None = None) -> QuerySet[User]:
    if qs is None:
        qs = people_discoverable(viewer=viewer)
    return _ranked(_without_blocks(qs, viewer, "pk"), USER, text, "username")


def search_for_model(*, model: type[Model], viewer: Any, text: str, qs: QuerySet) -> QuerySet:
    """The search of `model`'s list (the `?search=` filter of the offer, ask and people lists)."""
    searches: dict[type[Model], Callable[..., QuerySet]] = {Offer: search_offers, Ask: search_asks, User: search_people}
    search = searches[model]
    return search(viewer=viewer, text=text, qs=qs)
