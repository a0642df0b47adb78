"""What the health report of sources reads: each source's state and the publication times of its recent items."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Item, Source

RHYTHM_WINDOW = timedelta(days=42)


@dataclass(frozen=True)
class SourceHealthRow:
    source: Source
    last_item_at: datetime | None  # the most recent publication ever stored for the source
    recent: list[datetime] = field(default_factory=list)  # publication times within the window, newest first


def source_health_rows(session: Session, now: datetime, window: timedelta = RHYTHM_WINDOW) -> list[SourceHealthRow]:
    """One row per source (enabled or not), with what is needed to learn its publishing rhythm."""
    # A publication date in the future (bad feed clocks) counts as the moment it was collected.
    published = func.min(col(Item.published_at), col(Item.collected_at))
    if session.get_bind().dialect.name == "postgresql":
        published = func.least(col(Item.published_at), col(Item.collected_at))
    start = now - window
    recent: dict[int, list[datetime]] = defaultdict(list)
    for source_id, when in session.exec(
        select(Item.source_id, published).where(col(Item.collected_at) >= start).order_by(published.desc())
    ).all():
        recent[source_id].append(_aware(when))
    # An item collected before the window was published (as counted) before it too: a source whose newest recent
    # item is inside the window has it as its latest. Only the others are looked up in the whole archive, so the
    # page reads the window, not every item ever stored.
    latest: dict[int, datetime] = {
        source_id: times[0] for source_id, times in recent.items() if times and times[0] >= start
    }
    unsettled = [source_id for source_id in session.exec(select(Source.id)).all() if source_id not in latest]
    if unsettled:
        latest |= {
            source_id: _aware(when)
            for source_id, when in session.exec(
                select(Item.source_id, func.max(published))
                .where(col(Item.source_id).in_(unsettled))
                .group_by(col(Item.source_id))
            ).all()
        }
    rows = []
    for source in session.exec(select(Source).order_by(Source.name)).all():
        last = latest.get(source.id)
        rows.append(SourceHealthRow(source, last, recent.get(source.id or 0, [])))
    return rows


def _aware(value: datetime | str) -> datetime:
    # SQLite hands back min()/max() of timestamps as plain text, without the column type's conversion.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
