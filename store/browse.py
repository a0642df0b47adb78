"""What the web desk reads: the items of a period with filters, a story's items, an item's parliamentary fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store.desk import ItemView
from store.models import Item, ParliamentItem, Score, Source
from store.queries import ScoredItem, scored_query, within


def period_query(
    *, start: datetime, end: datetime, decisions: Sequence[str] | None, source: str | None = None, limit: int = 2000
) -> Select:
    """Scored items collected in [start, end), best first: the planner walks the collection times of the period."""
    query = within(scored_query().limit(limit), start, end, decisions)
    if source is not None:
        query = query.where(col(Source.name) == source)
    return query


def period_items(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    decisions: Sequence[str] | None,
    source: str | None = None,
    limit: int = 2000,
) -> list[ScoredItem]:
    """Scored items collected in [start, end), best first."""
    query = period_query(start=start, end=end, decisions=decisions, source=source, limit=limit)
    return [ScoredItem(*row) for row in session.exec(query).all()]


def story_items(session: Session, story_id: int, limit: int = 100) -> list[ItemView]:
    """The items of a story, oldest first."""
    rows = session.exec(
        select(Item, Source, Score)
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
        .where(col(Item.story_id) == story_id)
        .order_by(col(Item.published_at), col(Item.id))
        .limit(limit)
    ).all()
    return [ItemView(*row) for row in rows]


def parliament_fields(session: Session, item_id: int) -> ParliamentItem | None:
    return session.get(ParliamentItem, item_id)


def source_names(session: Session) -> list[str]:
    return list(session.exec(select(Source.name).order_by(col(Source.name))).all())
