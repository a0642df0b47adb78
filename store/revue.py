"""The public revue de presse: the items marked « publier dans la revue » and the validated register entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, delete, select

from store.db import dialect_insert
from store.models import Item, MentionStatus, PressMention, RevuePick, Source


@dataclass(frozen=True)
class PickedItem:
    pick: RevuePick
    item: Item
    source: Source


def add_pick(session: Session, *, item_id: int, who: str, now: datetime) -> bool:
    """Mark an item for the revue at `now`; a second mark keeps the first (and its author). True when added."""
    statement = (
        dialect_insert(session)(RevuePick)
        .values(item_id=item_id, picked_by=who, picked_at=now)
        .on_conflict_do_nothing()
        .returning(col(RevuePick.item_id))
    )
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def remove_pick(session: Session, item_id: int) -> bool:
    """Take an item out of the revue; False when it was not in it."""
    removed = session.exec(  # type: ignore[call-overload]
        delete(RevuePick).where(col(RevuePick.item_id) == item_id).returning(col(RevuePick.item_id))
    ).first()
    return removed is not None


def is_picked(session: Session, item_id: int) -> bool:
    return session.get(RevuePick, item_id) is not None


def picked_items(session: Session, published_from: datetime | None = None) -> list[PickedItem]:
    """The marked items, published from `published_from` on, oldest first."""
    query = (
        select(RevuePick, Item, Source)
        .join(Item, col(Item.id) == col(RevuePick.item_id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .order_by(col(Item.published_at), col(Item.id))
    )
    if published_from is not None:
        query = query.where(col(Item.published_at) >= published_from)
    return [PickedItem(*row) for row in session.exec(query).all()]


def validated_mentions(session: Session, since: date | None = None) -> list[tuple[PressMention, Item | None]]:
    """The register entries validated « On parle de nous », dated `since` or later, oldest first, each with its
    collected item when it has one (its publication time orders the day)."""
    query = (
        select(PressMention, Item)
        .join(Item, col(Item.id) == col(PressMention.item_id), isouter=True)
        .where(col(PressMention.status) == MentionStatus.VALIDEE)
        .order_by(col(PressMention.day), col(PressMention.id))
    )
    if since is not None:
        query = query.where(col(PressMention.day) >= since)
    return [(mention, item) for mention, item in session.exec(query).all()]
