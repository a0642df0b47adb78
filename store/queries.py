"""Every read and write of the veille's tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, or_, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store.db import dialect_insert, in_chunks
from store.models import Delivery, Item, Score, Source, Story


@dataclass(frozen=True)
class SourceSpec:
    """What the configuration says about a source."""

    name: str
    kind: str
    url: str
    interval_seconds: int
    enabled: bool


# --- sources ---------------------------------------------------------------


def sync_sources(session: Session, specs: Iterable[SourceSpec], now: datetime) -> dict[str, Source]:
    """Make the source table match the configuration; sources gone from it are disabled, not deleted."""
    existing = {source.name: source for source in session.exec(select(Source)).all()}
    wanted = {spec.name: spec for spec in specs}
    for name, spec in wanted.items():
        source = existing.get(name)
        if source is None:
            source = Source(
                name=name,
                kind=spec.kind,
                url=spec.url,
                interval_seconds=spec.interval_seconds,
                enabled=spec.enabled,
                next_check_at=now,
            )
            session.add(source)
            existing[name] = source
            continue
        if source.url != spec.url:
            # A new address has its own validators and its own health.
            source.etag = source.last_modified = source.body_hash = None
            source.consecutive_errors = 0
            source.last_error = None
            source.next_check_at = now
            # A feed declared gone (HTTP 410) is tried again only at a new address.
            source.disabled_reason = source.disabled_at = None
        source.kind, source.url = spec.kind, spec.url
        source.interval_seconds, source.enabled = spec.interval_seconds, spec.enabled
    for name, source in existing.items():
        if name not in wanted:
            source.enabled = False
    session.flush()
    return {name: existing[name] for name in wanted}


def list_sources(session: Session) -> list[Source]:
    return list(session.exec(select(Source).order_by(Source.name)).all())


# --- items and stories -----------------------------------------------------


@dataclass
class KnownItem:
    """What deduplication needs of a stored item."""

    id: int
    source_id: int
    guid: str
    url: str
    title_date_key: str
    content_hash: str
    content: str | None
    author: str | None
    story_id: int | None


class KnownItems:
    """The stored items a batch of incoming items may repeat, read in one query.

    « The same » item is the same guid in the source, the same URL, or the same title
    and date in the source; of several, the oldest. Items stored during the batch are
    added, so a feed that lists an article twice stores it once.
    """

    def __init__(self, source_id: int, rows: Iterable[KnownItem]) -> None:
        self.source_id = source_id
        self._by_guid: dict[str, KnownItem] = {}
        self._by_url: dict[str, KnownItem] = {}
        self._by_title_date: dict[str, KnownItem] = {}
        for row in sorted(rows, key=lambda row: row.id, reverse=True):  # the oldest wins each key
            self.add(row)

    def add(self, row: KnownItem) -> None:
        self._by_url[row.url] = row
        if row.source_id == self.source_id:
            self._by_guid[row.guid] = row
            self._by_title_date[row.title_date_key] = row

    def find(self, guid: str, url: str, title_date_key: str) -> KnownItem | None:
        found = [
            row
            for row in (self._by_guid.get(guid), self._by_url.get(url), self._by_title_date.get(title_date_key))
            if row is not None
        ]
        return min(found, key=lambda row: row.id) if found else None


_KNOWN_ITEMS = select(
    Item.id, Item.source_id, Item.guid, Item.url, Item.title_date_key, Item.content_hash,
    Item.content, Item.author, Item.story_id,
).where(
    or_(
        (col(Item.source_id) == bindparam("source_id")) & col(Item.guid).in_(bindparam("guids", expanding=True)),
        col(Item.url).in_(bindparam("urls", expanding=True)),
        (col(Item.source_id) == bindparam("source_id"))
        & col(Item.title_date_key).in_(bindparam("title_date_keys", expanding=True)),
    )
)  # fmt: skip


def known_items(session: Session, source_id: int, keys: Sequence[tuple[str, str, str]]) -> KnownItems:
    """The stored items matching any (guid, url, title_date_key) of a batch, for `KnownItems.find`."""
    rows: dict[int, KnownItem] = {}
    for chunk in in_chunks(keys):
        guids, urls, title_date_keys = zip(*chunk, strict=True)
        params = {"source_id": source_id, "guids": guids, "urls": urls, "title_date_keys": title_date_keys}
        for row in session.connection().execute(_KNOWN_ITEMS, params):
            rows[row[0]] = KnownItem(*row)
    return KnownItems(source_id, rows.values())


def known_urls(session: Session, urls: Sequence[str]) -> set[str]:
    if not urls:
        return set()
    return set(session.exec(select(Item.url).where(col(Item.url).in_(list(urls)))).all())


_TABLES = [table.__tablename__ for table in (Item, Story)]
_DRAW_IDS = {
    name: text(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, :count)")
    for name in _TABLES
}
_LARGEST_ID = {name: text(f"SELECT coalesce(max(id), 0) FROM {name}") for name in _TABLES}


def reserve_ids(session: Session, table: type[Item] | type[Story], count: int) -> list[int]:
    """Ids for rows about to be inserted, known before the insert so a batch can refer to them.

    PostgreSQL draws them from the table's sequence; on SQLite the transaction holds the
    only write lock (BEGIN IMMEDIATE), so the ids after the largest are free.
    """
    if count <= 0:
        return []
    name = table.__tablename__
    # On the connection: the session's execution layer doubled the cost of these one-value queries.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        drawn = connection.execute(_DRAW_IDS[name], {"count": count})
        return [int(value) for value in drawn.scalars()]
    largest = connection.execute(_LARGEST_ID[name]).scalar_one()
    return list(range(int(largest) + 1, int(largest) + 1 + count))


# Built once: building a statement costs more than running it, and a cold cycle inserts thousands of rows.
_INSERT_ITEMS = {
    name: dialect.insert(Item).on_conflict_do_nothing().returning(Item.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_OPEN_STORIES = insert(Story)
_GROW_STORY = (
    update(Story)
    .where(col(Story.id) == bindparam("story_id"))
    .values(
        item_count=col(Story.item_count) + bindparam("added"),
        last_seen_at=case(
            (col(Story.last_seen_at) < bindparam("seen_at"), bindparam("seen_at")), else_=col(Story.last_seen_at)
        ),
    )
)


def insert_items(session: Session, rows: Sequence[dict[str, Any]]) -> set[int]:
    """Insert items (each row with its reserved id); the ids written, without those another worker stored first."""
    if not rows:
        return set()
    # On the connection, not the session: the ORM's bulk layer would cost more than the insert itself.
    result = session.connection().execute(_INSERT_ITEMS[session.get_bind().dialect.name], list(rows))
    return {int(item_id) for item_id in result.scalars()}


def update_item(session: Session, id: int, **values: Any) -> None:
    session.exec(update(Item).where(col(Item.id) == id).values(**values))  # type: ignore[call-overload]


def open_stories(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New stories, each with its reserved id, title, first and last seen times and item count."""
    if rows:
        session.connection().execute(_OPEN_STORIES, list(rows))


def grow_stories(session: Session, growth: Sequence[tuple[int, int, datetime]]) -> None:
    """(story id, items added, last seen): one statement per story, so concurrent workers cannot lose a count."""
    if growth:
        params = [{"story_id": story, "added": added, "seen_at": seen} for story, added, seen in growth]
        session.connection().execute(_GROW_STORY, params)


def story_members(session: Session, story_id: int, *, without: int | None = None) -> list[tuple[str, datetime]]:
    """(title, collected at) of a story's items, the first collected first; `without` leaves one item out."""
    query = select(Item.title, Item.collected_at).where(col(Item.story_id) == story_id)
    if without is not None:
        query = query.where(col(Item.id) != without)
    return list(session.exec(query.order_by(col(Item.collected_at), col(Item.id))).all())


def restate_story(story: Story, members: Sequence[tuple[str, datetime]]) -> None:
    """A story's title, first and last sightings and count, read again from its items (`story_members`) after some
    moved in or out: a split, a merge."""
    story.title, story.first_seen_at = members[0]
    story.last_seen_at = max(collected for _title, collected in members)
    story.item_count = len(members)


def recent_story_members(
    session: Session, since: datetime, content_chars: int
) -> list[tuple[int, int, str, str, str | None, bytes | None, datetime, datetime]]:
    """(item id, story id, title, summary, content, minhash, published, story began) of the items first seen since
    `since`; of their content, the first `content_chars` characters.

    When the story began is read over all its items: its first ones may be older than `since`.
    """
    recent = (
        select(Item.story_id).where(col(Item.collected_at) >= since).where(col(Item.story_id).is_not(None)).distinct()
    )
    began = (
        select(col(Item.story_id).label("story_id"), func.min(Item.published_at).label("began"))
        .where(col(Item.story_id).in_(recent))
        .group_by(col(Item.story_id))
        .subquery()
    )
    rows = session.exec(
        select(
            Item.id,
            Item.story_id,
            Item.title,
            Item.summary,
            func.substr(col(Item.content), 1, content_chars),
            Item.minhash,
            Item.published_at,
            began.c.began,
        )
        .join(began, began.c.story_id == col(Item.story_id))
        .where(col(Item.collected_at) >= since)
        .order_by(col(Item.id))
    ).all()
    return [(row[0] or 0, row[1] or 0, *row[2:]) for row in rows]


def _score_upsert(dialect: Any) -> Any:
    statement = dialect.insert(Score)
    replaced = {column.name: statement.excluded[column.name] for column in Score.__table__.columns}  # type: ignore[attr-defined]
    del replaced["item_id"]
    return statement.on_conflict_do_update(index_elements=["item_id"], set_=replaced)


_SAVE_SCORES = {"postgresql": _score_upsert(postgresql), "sqlite": _score_upsert(sqlite)}


def save_scores(session: Session, judgements: Sequence[dict[str, Any]]) -> None:
    """Write the judgements of a batch (each with every field of Score); a re-scored item's judgement is replaced."""
    if judgements:
        session.connection().execute(_SAVE_SCORES[session.get_bind().dialect.name], list(judgements))


def first_item_id(session: Session, moment: Any, since: datetime) -> int | None:
    """The smallest id of the items whose `moment` (`Item.published_at` or `Item.collected_at`) is `since` or later:
    ids grow with collection, so a period's items, and the rows keyed by them, start there."""
    # min(id + 0), not min(id): SQLite reads min(id) by walking the primary key from the oldest item until one is
    # recent enough (95,000 rows at 100k items); the sum keeps it on the period's range of the moment's index.
    return session.exec(select(func.min(col(Item.id) + 0)).where(moment >= since)).one()


def enqueue_delivery(
    session: Session, *, story_id: int, item_id: int, channel: str, now: datetime, kind: str = "alert"
) -> bool:
    """Add to the outbox once per (story, channel, kind), created at `now`; True when a row was written."""
    # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
    statement = pending_delivery(session, story_id, item_id, channel, kind, now).returning(Delivery.id)
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def pending_delivery(
    session: Session,
    story_id: int,
    item_id: int,
    channel: str,
    kind: str,
    now: datetime,
    send_at: datetime | None = None,
) -> Any:
    """The insert of a pending delivery (alert, follow-up or refresh), left alone where its (story, channel, kind)
    row already stands."""
    return (
        dialect_insert(session)(Delivery)
        .values(
            story_id=story_id,
            item_id=item_id,
            channel=channel,
            kind=kind,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=send_at,
        )
        .on_conflict_do_nothing()
    )


# --- reading for people ----------------------------------------------------


def within(
    query: Select, collected_from: datetime | None, collected_to: datetime | None, decisions: Sequence[str] | None
) -> Select:
    """Restrict a query joining Item and Score to a collection window and to some decisions."""
    if collected_from is not None:
        query = query.where(col(Item.collected_at) >= collected_from)
    if collected_to is not None:
        query = query.where(col(Item.collected_at) < collected_to)
    if decisions is not None:
        query = query.where(col(Score.decision).in_(list(decisions)))
    return query


@dataclass(frozen=True)
class ScoredItem:
    item: Item
    score: Score
    source: Source
    story: Story | None


def scored_query() -> Select:
    """Items with their score, source and story, best first (ties: latest published, then id)."""
    return (
        select(Item, Score, Source, Story)
        .join(Score, col(Score.item_id) == col(Item.id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Story, col(Story.id) == col(Item.story_id), isouter=True)
        .order_by(col(Score.score).desc(), col(Item.published_at).desc(), col(Item.id))
    )


def scored_items(
    session: Session,
    *,
    collected_from: datetime | None = None,
    collected_to: datetime | None = None,
    decisions: Sequence[str] | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[ScoredItem]:
    query = within(scored_query(), collected_from, collected_to, decisions)
    rows = [ScoredItem(*row) for row in session.exec(query).all()]
    if topic is not None:
        # Topics are a JSON list; filtering in Python keeps one query for SQLite and PostgreSQL.
        rows = [row for row in rows if topic in row.score.topics]
    return rows[:limit] if limit is not None else rows


@dataclass(frozen=True)
class WindowCounts:
    collected: int
    duplicates_merged: int
    filtered_out: int


def window_counts(session: Session, start: datetime, end: datetime) -> WindowCounts:
    in_window = (col(Item.collected_at) >= start) & (col(Item.collected_at) < end)
    collected = session.exec(select(func.count()).select_from(Item).where(in_window)).one()
    stories = session.exec(select(func.count(func.distinct(Item.story_id))).where(in_window)).one()
    dropped = session.exec(
        select(func.count())
        .select_from(Item)
        .join(Score, col(Score.item_id) == col(Item.id))
        .where(in_window)
        .where(col(Score.decision) == "drop")
    ).one()
    return WindowCounts(collected, max(0, collected - stories), dropped)


def failing_sources(session: Session) -> list[Source]:
    return list(
        session.exec(
            select(Source).where(col(Source.enabled)).where(col(Source.consecutive_errors) > 0).order_by(Source.name)
        ).all()
    )
