"""Full-text search over the archive: SQLite FTS5 or a PostgreSQL `tsvector` (migration 0006).

On SQLite the store keeps the FTS5 rows itself, because the French stems come from Python;
on PostgreSQL a trigger keeps the `tsvector` and the `veille_fr` configuration stems and
folds accents. Both rank (bm25 / ts_rank_cd) and return a snippet whose matched words sit
between HIGHLIGHT_START and HIGHLIGHT_END.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session, col, select

from store.models import Item, Score, Source

SEARCH_TABLE = "item_search"
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
_SNIPPET_WORDS = 24


def is_search_object(name: str | None) -> bool:
    """The search tables are managed by migration 0006, not by the SQLModel metadata."""
    return bool(name) and str(name).startswith(SEARCH_TABLE)


@dataclass(frozen=True)
class IndexEntry:
    item_id: int
    title: str
    body: str
    title_stems: str
    body_stems: str


@dataclass(frozen=True)
class SearchHit:
    item: Item
    source: Source
    score: Score | None
    rank: float
    snippet: str


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def maintained_by_store(session: Session) -> bool:
    """True on SQLite, where callers hand the stems in; PostgreSQL's trigger needs nothing."""
    return _dialect(session) == "sqlite"


def index_items(session: Session, entries: Sequence[IndexEntry]) -> None:
    """Write (or rewrite) the FTS5 rows of these items; nothing to do on PostgreSQL."""
    if not entries or not maintained_by_store(session):
        return
    forget(session, [entry.item_id for entry in entries])
    session.execute(
        text(
            f"INSERT INTO {SEARCH_TABLE} (rowid, title, body, title_stems, body_stems) "
            "VALUES (:item_id, :title, :body, :title_stems, :body_stems)"
        ),
        [entry.__dict__ for entry in entries],
    )


def forget(session: Session, item_ids: Sequence[int]) -> None:
    """Drop the FTS5 rows of changed items, so that the next catch-up indexes them again."""
    if item_ids and maintained_by_store(session):
        session.execute(text(f"DELETE FROM {SEARCH_TABLE} WHERE rowid = :id"), [{"id": i} for i in item_ids])


@dataclass(frozen=True)
class UnindexedItem:
    id: int
    title: str
    summary: str | None
    content: str | None


def unindexed_items(session: Session, limit: int = 500) -> list[UnindexedItem]:
    """Items with no FTS5 row yet (stored before migration 0006 or by another path)."""
    if not maintained_by_store(session):
        return []
    # Counting the FTS5 docsize shadow table is a b-tree count: the usual case (nothing missing) stays cheap.
    items = session.execute(text("SELECT count(*) FROM item")).scalar_one()
    indexed = session.execute(text(f"SELECT count(*) FROM {SEARCH_TABLE}_docsize")).scalar_one()
    if indexed >= items:
        return []
    ids = session.execute(
        text(f"SELECT id FROM item WHERE id NOT IN (SELECT rowid FROM {SEARCH_TABLE}) ORDER BY id LIMIT :limit"),
        {"limit": limit},
    ).scalars()
    wanted = list(ids)
    if not wanted:
        return []
    # The columns an entry is made of, not whole items: their signatures and stored fields are not needed.
    columns = (col(Item.id), col(Item.title), col(Item.summary), col(Item.content))
    rows = session.execute(sa_select(*columns).where(col(Item.id).in_(wanted)).order_by(col(Item.id)))
    return [UnindexedItem(*row) for row in rows]


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_expression(phrases: Sequence[Sequence[str]]) -> str:
    """Every phrase of stems must match; the second clause is always true for those rows and only
    lets snippet() highlight the words of the text that start like a searched stem."""
    required = " AND ".join(_quoted(" ".join(phrase)) for phrase in phrases)
    stems = [stem for phrase in phrases for stem in phrase]
    highlight = " OR ".join(f"{_quoted(stem)} *" for stem in stems)
    return (
        f"{{title_stems body_stems}} : ({required}) AND "
        f"({{title_stems body_stems}} : {_quoted(stems[0])} OR {{title body}} : ({highlight}))"
    )


def search(
    session: Session,
    *,
    query: str,
    phrases: Sequence[Sequence[str]],
    since: datetime | None = None,
    source: str | None = None,
    topic: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Best matches first. `phrases` (stems, for SQLite) and `query` (as typed, for PostgreSQL)
    are two forms of the same search; the caller builds both."""
    if not any(phrases):
        return []
    filters = ""
    params: dict[str, object] = {"limit": limit}
    if since is not None:
        filters += " AND item.published_at >= :since"
        params["since"] = since
    if source is not None:
        filters += " AND source.name = :source"
        params["source"] = source
    if topic is not None:
        params["topic"] = topic
        filters += (
            " AND jsonb_exists(CAST(score.topics AS JSONB), :topic)"
            if _dialect(session) == "postgresql"
            else " AND EXISTS (SELECT 1 FROM json_each(score.topics) WHERE json_each.value = :topic)"
        )
    joins = " JOIN source ON source.id = item.source_id LEFT JOIN score ON score.item_id = item.id"
    if _dialect(session) == "postgresql":
        params["query"] = query
        statement = text(
            "SELECT item.id, ts_rank_cd(s.document, q.query) AS rank,"
            " ts_headline('veille_fr', coalesce(item.summary, '') || ' ' || coalesce(item.content, ''), q.query,"
            f" 'StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords={_SNIPPET_WORDS}, MinWords=8,"
            ' MaxFragments=2, FragmentDelimiter=" … "\') AS snippet'
            f" FROM item_search s JOIN item ON item.id = s.item_id{joins},"
            " websearch_to_tsquery('veille_fr', :query) AS q(query)"
            f" WHERE s.document @@ q.query{filters}"
            " ORDER BY rank DESC, item.published_at DESC, item.id LIMIT :limit"
        )
    else:
        params["match"] = fts5_expression([phrase for phrase in phrases if phrase])
        # bm25 is lower for better matches; the stems of the title weigh most.
        statement = text(
            f"SELECT item.id, -bm25({SEARCH_TABLE}, 2.0, 1.0, 4.0, 1.0) AS rank,"
            f" snippet({SEARCH_TABLE}, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', ' … ', {_SNIPPET_WORDS}) AS snippet"
            f" FROM {SEARCH_TABLE} JOIN item ON item.id = {SEARCH_TABLE}.rowid{joins}"
            f" WHERE {SEARCH_TABLE} MATCH :match{filters}"
            " ORDER BY rank DESC, item.published_at DESC, item.id LIMIT :limit"
        )
    rows = session.execute(statement, params).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    found = {
        item.id: (item, src, score)
        for item, src, score in session.exec(
            select(Item, Source, Score)
            .join(Source, col(Source.id) == col(Item.source_id))
            .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
            .where(col(Item.id).in_(ids))
        ).all()
    }
    return [SearchHit(*found[item_id], rank=float(rank), snippet=snippet or "") for item_id, rank, snippet in rows]
