"""What the what-if preview reads: the stored items of a collection window, as the scorer needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from store.models import Item, ParliamentItem, Source


@dataclass(frozen=True)
class StoredForJudging:
    item: Item
    source: str  # the source's name, which the configuration knows it by
    parliament: ParliamentItem | None


def items_collected(session: Session, start: datetime, end: datetime) -> list[StoredForJudging]:
    """The items collected in [start, end), in collection order (ties: id), with their parliamentary fields."""
    rows = session.exec(
        select(Item, Source.name, ParliamentItem)
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(ParliamentItem, col(ParliamentItem.item_id) == col(Item.id), isouter=True)
        .where(col(Item.collected_at) >= start)
        .where(col(Item.collected_at) < end)
        .order_by(col(Item.collected_at), col(Item.id))
    ).all()
    return [StoredForJudging(item, source, fields) for item, source, fields in rows]
