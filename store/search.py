"""Full-text search over the archive: SQLite FTS5 or a PostgreSQL `tsvector` (migrations 0006 and 0010).

The French stems come from Python (watcher/search.py) on both backends, so that both find the same
items: the store writes them into the FTS5 rows, or into a weighted `tsvector` whose lexemes are those
stems as they are. Both rank (bm25 / ts_rank_cd) the newest matches and return a snippet whose matched words sit
between HIGHLIGHT_START and HIGHLIGHT_END.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import product

from sqlalchemy import bindparam, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store import queries
from store.models import Item, Score, Source, UTCDateTime

SEARCH_TABLE = "item_search"
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
_SNIPPET_WORDS = 24
# A phrase is a list of words, each the tuple of stems any of which matches at that place.
Phrase = list[tuple[str, ...]]


def is_search_object(name: str | None) -> bool:
    """The search tables are managed by migrations 0006 and 0010, not by the SQLModel metadata."""
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


def _lexeme(stem: str) -> str:
    """A stem as a quoted `tsvector` / `tsquery` lexeme, taken as is (no parser, no dictionary)."""
    return "'" + stem.replace("\\", "\\\\").replace("'", "''") + "'"


_MAX_POSITION = 16383  # PostgreSQL's largest position; later words all sit there
_MAX_LEXEME_BYTES = 2047  # a longer lexeme is an error; to_tsvector() skips such words, and so does this


def document(title_stems: str, body_stems: str) -> str:
    """The `tsvector` of an entry: title stems weigh A, body stems B; one word between the two, so that
    no phrase runs from the title into the body."""
    positions: dict[str, list[str]] = {}
    title = title_stems.split()
    for offset, stems, weight in ((1, title, "A"), (len(title) + 2, body_stems.split(), "B")):
        for index, stem in enumerate(stems):
            if len(stem.encode()) <= _MAX_LEXEME_BYTES:
                positions.setdefault(stem, []).append(f"{min(offset + index, _MAX_POSITION)}{weight}")
    return " ".join(f"{_lexeme(stem)}:{','.join(places)}" for stem, places in positions.items())


def index_items(session: Session, entries: Sequence[IndexEntry]) -> None:
    """Write (or rewrite) the search rows of these items."""
    if not entries:
        return
    if _dialect(session) == "postgresql":
        # Several services index side by side: the second one to reach an item rewrites its row.
        session.execute(
            text(
                f"INSERT INTO {SEARCH_TABLE} (item_id, document) VALUES (:item_id, CAST(:document AS tsvector))"
                " ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            [{"item_id": e.item_id, "document": document(e.title_stems, e.body_stems)} for e in entries],
        )
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
    """Drop the search rows of changed items, so that the next catch-up indexes them again."""
    if item_ids:
        key = "item_id" if _dialect(session) == "postgresql" else "rowid"
        session.execute(text(f"DELETE FROM {SEARCH_TABLE} WHERE {key} = :id"), [{"id": i} for i in item_ids])


@dataclass(frozen=True)
class UnindexedItem:
    id: int
    title: str
    summary: str | None
    content: str | None


def _missing_ids(session: Session) -> str:
    """SQL for the ids of the items that have no search row."""
    if _dialect(session) == "postgresql":
        return f"SELECT id FROM item WHERE NOT EXISTS (SELECT 1 FROM {SEARCH_TABLE} s WHERE s.item_id = item.id)"
    return f"SELECT id FROM item WHERE id NOT IN (SELECT rowid FROM {SEARCH_TABLE})"


def _all_indexed(session: Session) -> bool:
    # Two b-tree counts (on SQLite, of FTS5's docsize shadow table): the usual case, nothing missing, stays cheap.
    items = session.execute(text("SELECT count(*) FROM item")).scalar_one()
    rows = f"{SEARCH_TABLE}_docsize" if _dialect(session) == "sqlite" else SEARCH_TABLE
    return session.execute(text(f"SELECT count(*) FROM {rows}")).scalar_one() >= items


def unindexed_count(session: Session) -> int:
    if _all_indexed(session):
        return 0
    return session.execute(text(f"SELECT count(*) FROM ({_missing_ids(session)}) AS missing")).scalar_one()


def _entries_of(session: Session, ids: Sequence[int]) -> list[UnindexedItem]:
    if not ids:
        return []
    # The columns an entry is made of, not whole items: their signatures and stored fields are not needed.
    columns = (col(Item.id), col(Item.title), col(Item.summary), col(Item.content))
    rows = session.execute(sa_select(*columns).where(col(Item.id).in_(ids)).order_by(col(Item.id)))
    return [UnindexedItem(*row) for row in rows]


def unindexed_items(session: Session, limit: int = 500) -> list[UnindexedItem]:
    """Items with no search row yet: stored since the last catch-up, or before a migration emptied the index."""
    if _all_indexed(session):
        return []
    ids = session.execute(text(f"{_missing_ids(session)} ORDER BY id LIMIT :limit"), {"limit": limit}).scalars()
    return _entries_of(session, list(ids))


def items_after(session: Session, after: int, limit: int = 500) -> list[UnindexedItem]:
    """The items whose id follows `after`, in id order: a whole reindex, batch by batch."""
    ids = session.exec(select(Item.id).where(col(Item.id) > after).order_by(col(Item.id)).limit(limit)).all()
    return _entries_of(session, [i for i in ids if i is not None])


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _spellings(phrase: Phrase) -> list[str]:
    """Every sequence of stems the phrase stands for: one choice per word."""
    return [" ".join(choice) for choice in product(*phrase)]


def _prefixes(phrases: Sequence[Phrase]) -> list[str]:
    """The stems of the search, less those another one starts: « ferm » marks « fermees » already."""
    stems = sorted({stem for phrase in phrases for word in phrase for stem in word})
    kept: list[str] = []
    for stem in stems:  # in sorted order a stem follows any of its prefixes
        if not (kept and stem.startswith(kept[-1])):
            kept.append(stem)
    return kept


def _fts5_matched(phrase: Phrase) -> str:
    return "(" + " OR ".join(_quoted(spelling) for spelling in _spellings(phrase)) + ")"


def fts5_required(phrases: Sequence[Phrase]) -> str:
    """Every phrase must match, in any of its spellings: the search itself, and what its rank weighs."""
    return "{title_stems body_stems} : (" + " AND ".join(_fts5_matched(phrase) for phrase in phrases) + ")"


def fts5_expression(phrases: Sequence[Phrase]) -> str:
    """`fts5_required`, and a second clause, always true for those rows, that only lets snippet() highlight the
    words of the text that start like a searched stem."""
    highlight = " OR ".join(f"{_quoted(stem)} *" for stem in _prefixes(phrases))
    return (
        f"{fts5_required(phrases)} AND "
        f"({{title_stems body_stems}} : {_fts5_matched(phrases[0])} OR {{title body}} : ({highlight}))"
    )


def tsquery(phrases: Sequence[Phrase]) -> str:
    """The same search as a PostgreSQL `tsquery`, over the stems as they are."""

    def matched(phrase: Phrase) -> str:
        spellings = (" <-> ".join(_lexeme(stem) for stem in choice) for choice in product(*phrase))
        return "(" + " | ".join(f"({spelling})" for spelling in spellings) + ")"

    return " & ".join(matched(phrase) for phrase in phrases)


def _headline_query(phrases: Sequence[Phrase]) -> str:
    # ts_headline reads the text through `veille_fr` (unaccent, then the French stemmer); a stem, read the same
    # way and taken as a prefix, marks the words that start like it.
    return " | ".join(f"{_lexeme(stem)}:*" for stem in _prefixes(phrases))


# A search ranks the newest matches only, so that its work is bounded by what it shows, not by the archive: the
# matches of a common word grow with every day collected. Older ones are reached by narrowing (dates, source, theme).
SEARCH_CANDIDATES = 200


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]  # the page asked for, best first
    ranked: int  # how many of the newest matches were ranked (at most the candidates asked for)
    older: bool  # whether older matches were left out of the ranking


def search(
    session: Session,
    *,
    phrases: Sequence[Phrase],
    since: datetime | None = None,
    source: str | None = None,
    topic: str | None = None,
    limit: int = 20,
    offset: int = 0,
    candidates: int = SEARCH_CANDIDATES,
) -> SearchResults:
    """Of the newest `candidates` matches (the latest collected; more when the page asked for reaches past them),
    the page [offset, offset + limit), best first; every phrase must match (see `Phrase`).

    Three steps, each bounded: the newest matches' ids and ranks, walked down the index from the latest item
    and stopped at `candidates`; their order (rank, then the newest); the snippets of the page's items only."""
    phrases = [phrase for phrase in phrases if phrase]
    if not phrases:
        return SearchResults([], 0, False)
    candidates = max(candidates, offset + limit)
    postgresql = _dialect(session) == "postgresql"
    key = "s.item_id" if postgresql else f"{SEARCH_TABLE}.rowid"
    filters = ""
    params: dict[str, object] = {"candidates": candidates + 1}
    if since is not None:
        first = queries.first_item_id(session, col(Item.published_at), since)  # the matches start there
        if first is None:
            return SearchResults([], 0, False)
        filters += f" AND item.published_at >= :since AND {key} >= :first"
        params |= {"since": since, "first": first}
    if source is not None:
        filters += " AND source.name = :source"
        params["source"] = source
    if topic is not None:
        params["topic"] = topic
        filters += (
            " AND jsonb_exists(CAST(score.topics AS JSONB), :topic)"
            if postgresql
            else " AND EXISTS (SELECT 1 FROM json_each(score.topics) WHERE json_each.value = :topic)"
        )
    joins = " JOIN source ON source.id = item.source_id LEFT JOIN score ON score.item_id = item.id"
    if postgresql:
        params["query"] = tsquery(phrases)
        # The newest matches first, then their rank: ts_rank_cd reads each document, so only theirs.
        statement = text(
            "WITH newest AS ("
            f" SELECT s.item_id, item.published_at FROM item_search s JOIN item ON item.id = s.item_id{joins}"
            f" WHERE s.document @@ CAST(:query AS tsquery){filters}"
            " ORDER BY s.item_id DESC LIMIT :candidates)"
            " SELECT newest.item_id, ts_rank_cd(s.document, CAST(:query AS tsquery)), newest.published_at"
            " FROM newest JOIN item_search s ON s.item_id = newest.item_id ORDER BY newest.item_id DESC"
        )
    else:
        params["match"] = fts5_required(phrases)
        # FTS5 hands the matches in rowid order, newest first here, and the LIMIT stops it; bm25 is lower for
        # better matches, and the stems of the title weigh most. The highlighting prefixes stay out: a prefix
        # merges the postings of every word it starts, over the whole archive, and bm25 counts each phrase's
        # matches over the whole table (at 100k items, 8 ms for « urgences fermées » against 1.3 without them).
        statement = text(
            f"SELECT {key}, -bm25({SEARCH_TABLE}, 2.0, 1.0, 4.0, 1.0), item.published_at"
            f" FROM {SEARCH_TABLE} JOIN item ON item.id = {key}{joins}"
            f" WHERE {SEARCH_TABLE} MATCH :match{filters}"
            f" ORDER BY {key} DESC LIMIT :candidates"
        )
    if since is not None:
        # Bound as the column stores it (UTC, `UTCDateTime`): sqlite3 would write the offset of the period's time zone
        # into the text it compares with the stored UTC text.
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    newest = session.execute(statement, params).all()
    older = len(newest) > candidates
    newest = newest[:candidates]
    # Best rank first; equal ranks, the latest published (ISO text on SQLite, which sorts as the times do).
    ranked = sorted(newest, key=lambda row: (-row[1], _sortable(row[2]), row[0]))
    page = [(item_id, float(rank)) for item_id, rank, _ in ranked[offset : offset + limit]]
    return SearchResults(_hits(session, phrases, page), len(newest), older)


def _sortable(published: datetime | str) -> float:
    when = datetime.fromisoformat(published) if isinstance(published, str) else published
    return -when.timestamp()


def _hits(session: Session, phrases: Sequence[Phrase], page: list[tuple[int, float]]) -> list[SearchHit]:
    """The items of the page, in its order, each with its snippet."""
    if not page:
        return []
    ids = [item_id for item_id, _ in page]
    found = {
        item.id: (item, src, score)
        for item, src, score in session.exec(
            select(Item, Source, Score)
            .join(Source, col(Source.id) == col(Item.source_id))
            .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
            .where(col(Item.id).in_(ids))
        ).all()
    }
    snippets = _snippets(session, phrases, ids)
    return [SearchHit(*found[item_id], rank=rank, snippet=snippets.get(item_id, "")) for item_id, rank in page]


def _snippets(session: Session, phrases: Sequence[Phrase], ids: list[int]) -> dict[int, str]:
    marks = {"ids": ids}
    if _dialect(session) == "postgresql":
        statement = text(
            "SELECT item.id, ts_headline('veille_fr', coalesce(item.summary, '') || ' ' || coalesce(item.content, ''),"
            " to_tsquery('veille_fr', :headline),"
            f" 'StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords={_SNIPPET_WORDS}, MinWords=8,"
            ' MaxFragments=2, FragmentDelimiter=" … "\')'
            " FROM item WHERE item.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        rows = session.execute(statement, marks | {"headline": _headline_query(phrases)})
    else:
        rows = _fts5_snippets(session, fts5_expression(phrases), ids)
    return {item_id: snippet or "" for item_id, snippet in rows}


_PAGE_TABLE = "temp.search_page"


def _fts5_snippets(session: Session, match: str, ids: list[int]) -> list[tuple[int, str]]:
    """The snippets of the page's items, from a copy of their rows in a scratch FTS5 table of this connection.

    A snippet depends on its own document only, but the highlighting prefixes, matched in the archive's table,
    merge the postings of every word they start (3.5 ms at 100k items against 0.5 at 10k); in a table of the
    page's twenty rows they cost nothing. The scratch table is the archive's, columns and tokenizer alike."""
    session.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {_PAGE_TABLE} USING fts5("
            "title, body, title_stems, body_stems, tokenize = 'unicode61 remove_diacritics 2')"
        )
    )
    session.execute(text(f"DELETE FROM {_PAGE_TABLE}"))
    session.execute(
        text(
            f"INSERT INTO {_PAGE_TABLE} (rowid, title, body, title_stems, body_stems)"
            f" SELECT rowid, title, body, title_stems, body_stems FROM main.{SEARCH_TABLE} WHERE rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": ids},
    )
    statement = text(
        f"SELECT rowid, snippet(search_page, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', ' … ', {_SNIPPET_WORDS})"
        f" FROM {_PAGE_TABLE} WHERE search_page MATCH :match"
    )
    return [(int(item_id), snippet) for item_id, snippet in session.execute(statement, {"match": match})]
