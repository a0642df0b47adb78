"""Which sources saw which stories, and when: the rows `watcher sources coverage` and the weekly digest judge.

A source sees an item when it stores it (`item.collected_at`) or, the item being stored already under an
earlier source, when it lists the same URL (`sighting.seen_at`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import Item, Sighting, Source, Story

# Built once: most batches of a cycle list articles that other sources stored first.
_RECORD_SIGHTINGS = {
    name: dialect.insert(Sighting).on_conflict_do_nothing(index_elements=["item_id", "source_id"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def record_sightings(session: Session, source_id: int, seen: Mapping[int, datetime]) -> None:
    """`source_id` listed these stored items (item id -> when); a source's first sighting of an item is kept."""
    if not seen:
        return
    rows = [{"item_id": item_id, "source_id": source_id, "seen_at": at} for item_id, at in seen.items()]
    session.connection().execute(_RECORD_SIGHTINGS[session.get_bind().dialect.name], rows)


@dataclass(frozen=True)
class StorySighting:
    """One source seeing one item of a story."""

    story_id: int
    story_title: str
    item_id: int
    source: str  # the name of the source that saw it
    source_url: str
    seen_at: datetime
    url: str  # the item's
    publisher: str | None
    publisher_site: str | None


def _story_rows(seer: type[Item] | type[Sighting], since: datetime, until: datetime) -> Select:  # type: ignore[type-arg]
    seen_at = col(Item.collected_at) if seer is Item else col(Sighting.seen_at)
    seer_id = col(Item.source_id) if seer is Item else col(Sighting.source_id)
    statement = select(
        Story.id, Story.title, Item.id, Source.name, Source.url, seen_at, Item.url, Item.publisher,
        Item.publisher_site,
    )  # fmt: skip
    if seer is Sighting:
        statement = statement.select_from(Sighting).join(Item, col(Item.id) == col(Sighting.item_id))
    return (
        statement.join(Story, col(Story.id) == col(Item.story_id))
        .join(Source, col(Source.id) == seer_id)
        .where(col(Story.first_seen_at) > since, col(Story.first_seen_at) <= until, seen_at <= until)
    )


def story_sightings(session: Session, since: datetime, until: datetime) -> list[StorySighting]:
    """Every sighting, up to `until`, of the stories first seen in (since, until], by story then time."""
    rows = [
        StorySighting(*row)
        for seer in (Item, Sighting)
        for row in session.exec(_story_rows(seer, since, until)).all()  # type: ignore[call-overload]
    ]
    return sorted(rows, key=lambda row: (row.story_id, row.seen_at, row.source, row.item_id))
