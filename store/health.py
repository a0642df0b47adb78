"""What the health report of sources reads: each source's state, its days of publication and its week.

The days come from `source_day`, which triggers keep as items are stored (migration 0019): the report reads its
window of days, whatever the archive holds, never the items of the window one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Item, Source, SourceDay

RHYTHM_WINDOW = timedelta(days=42)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PublishedDay:
    """A source's items published on one UTC day (a date in the future counts as the collection time)."""

    day: date
    items: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class SourceHealthRow:
    source: Source
    last_item_at: datetime | None  # the most recent publication ever stored for the source
    days: list[PublishedDay] = field(default_factory=list)  # the window's days with items, newest first
    week: int = 0  # items published in the last seven days


def source_health_rows(session: Session, now: datetime, window: timedelta = RHYTHM_WINDOW) -> list[SourceHealthRow]:
    """One row per source (enabled or not), with what is needed to learn its publishing rhythm."""
    start = (now - window).astimezone(UTC).date()
    days: dict[int, list[PublishedDay]] = defaultdict(list)
    for source_id, day, items, first_at, last_at in session.exec(
        select(SourceDay.source_id, SourceDay.day, SourceDay.items, SourceDay.first_at, SourceDay.last_at)
        .where(col(SourceDay.day) >= start)
        .order_by(col(SourceDay.source_id), col(SourceDay.day).desc())
    ).all():
        days[source_id].append(PublishedDay(day, items, first_at, last_at))
    # A source with a day in the window has its latest item there; only the others are looked up further back.
    latest = {source_id: source_days[0].last_at for source_id, source_days in days.items()}
    unsettled = [source_id for source_id in session.exec(select(Source.id)).all() if source_id not in latest]
    if unsettled:
        latest |= {
            source_id: _aware(when)
            for source_id, when in session.exec(
                select(SourceDay.source_id, func.max(SourceDay.last_at))
                .where(col(SourceDay.source_id).in_(unsettled))
                .group_by(col(SourceDay.source_id))
            ).all()
        }
    week = _published_since(session, now - WEEK)
    return [
        SourceHealthRow(source, latest.get(source.id), days.get(source.id or 0, []), week.get(source.id or 0, 0))
        for source in session.exec(select(Source).order_by(Source.name)).all()
    ]


def _published_since(session: Session, start: datetime) -> dict[int, int]:
    """Per source, the items published since `start`: counted in the database over the week's items (published
    since then, they were collected since then too), to the second, as the week was always counted."""
    # A publication date in the future (bad feed clocks) counts as the moment it was collected.
    published = func.min(col(Item.published_at), col(Item.collected_at))
    if session.get_bind().dialect.name == "postgresql":
        published = func.least(col(Item.published_at), col(Item.collected_at))
    # Grouped by source_id + 0, not source_id: SQLite would walk `ix_item_source_collected` over every item to group
    # them, rather than the week's range of `ix_item_collected_at` (14 ms against 2 at 100k items).
    source = col(Item.source_id) + 0
    rows = session.exec(
        select(source, func.count()).where(col(Item.collected_at) >= start, published >= start).group_by(source)
    ).all()
    return {source_id: count for source_id, count in rows}


def _aware(value: datetime | str) -> datetime:
    # SQLite hands back max() of timestamps as plain text, without the column type's conversion.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
