"""Every read and write of the veille's tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store.models import Delivery, Item, Score, Source, Story, utcnow


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


def find_existing_item(session: Session, source_id: int, guid: str, url: str, title_date_key: str) -> Item | None:
    """The stored item that is « the same »: same guid in the source, same URL, or same title and date."""
    return session.exec(
        select(Item)
        .where(
            or_(
                (col(Item.source_id) == source_id) & (col(Item.guid) == guid),
                col(Item.url) == url,
                (col(Item.source_id) == source_id) & (col(Item.title_date_key) == title_date_key),
            )
        )
        .order_by(col(Item.id))
        .limit(1)
    ).first()


def known_urls(session: Session, urls: Sequence[str]) -> set[str]:
    if not urls:
        return set()
    return set(session.exec(select(Item.url).where(col(Item.url).in_(list(urls)))).all())


def insert_item(session: Session, item: Item) -> Item | None:
    """Insert, or None when a concurrent worker stored the same item first."""
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        return None
    return item


def new_story(session: Session, title: str, seen_at: datetime) -> Story:
    story = Story(title=title, first_seen_at=seen_at, last_seen_at=seen_at, item_count=0)
    session.add(story)
    session.flush()
    return story


def attach_to_story(session: Session, item: Item, story_id: int, seen_at: datetime) -> None:
    story = session.get(Story, story_id, with_for_update=True)
    if story is None:
        raise LookupError(f"story {story_id} does not exist")
    item.story_id = story_id
    story.item_count += 1
    story.last_seen_at = max(story.last_seen_at, seen_at)


def recent_story_members(session: Session, since: datetime) -> list[tuple[int, int, str, str, bytes | None, datetime]]:
    """(item id, story id, title, summary, minhash, published) of the items first seen since `since`."""
    rows = session.exec(
        select(Item.id, Item.story_id, Item.title, Item.summary, Item.minhash, Item.published_at)
        .where(col(Item.collected_at) >= since)
        .where(col(Item.story_id).is_not(None))
        .order_by(col(Item.id))
    ).all()
    return [(row[0] or 0, row[1] or 0, row[2], row[3], row[4], row[5]) for row in rows]


def save_score(session: Session, item_id: int, **judgement: Any) -> Score:
    score = session.get(Score, item_id)
    if score is None:
        score = Score(item_id=item_id, scored_at=utcnow(), **judgement)
        session.add(score)
    else:
        for name, value in judgement.items():
            setattr(score, name, value)
        score.scored_at = utcnow()
    session.flush()
    return score


def enqueue_delivery(session: Session, *, story_id: int, item_id: int, channel: str, kind: str = "alert") -> bool:
    """Add to the outbox once per (story, channel, kind); True when a row was written."""
    values = {
        "story_id": story_id,
        "item_id": item_id,
        "channel": channel,
        "kind": kind,
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
    statement = insert(Delivery).values(**values).on_conflict_do_nothing().returning(Delivery.id)
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


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


def scored_items(
    session: Session,
    *,
    collected_from: datetime | None = None,
    collected_to: datetime | None = None,
    decisions: Sequence[str] | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[ScoredItem]:
    query = (
        select(Item, Score, Source, Story)
        .join(Score, col(Score.item_id) == col(Item.id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Story, col(Story.id) == col(Item.story_id), isouter=True)
        .order_by(col(Score.score).desc(), col(Item.published_at).desc(), col(Item.id))
    )
    query = within(query, collected_from, collected_to, decisions)
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
