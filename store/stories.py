"""Stories beyond their rows: the outlets that told one (the splits a person made are in `store.splits`)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from store.models import Item, Source


def story_outlets(session: Session, story_id: int) -> list[str]:
    """Outlets that told the story, in the order they first did (publisher behind an aggregator, else source)."""
    outlet = func.coalesce(Item.publisher, Source.name)
    rows = session.exec(
        select(outlet, func.min(Item.id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(Item.story_id == story_id)
        .group_by(outlet)
        .order_by(func.min(Item.id))
    ).all()
    return [row[0] for row in rows]
