"""Reads and writes of the parliamentary fields of items (`parliament_item`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from store.models import Item, ParliamentItem, Score, Source
from store.queries import within


def save_parliament_fields(
    session: Session,
    item_id: int,
    *,
    kind: str | None,
    chamber: str | None,
    author: str | None,
    group: str | None,
    bill: str | None,
    number: str | None,
    outcome: str | None,
    day: date | None,
    bill_refs: Sequence[str] = (),
    tracked: str | None = None,
) -> ParliamentItem:
    """Insert or replace; a later version of a document (its outcome after the sitting) overwrites the fields."""
    row = session.get(ParliamentItem, item_id)
    values = {
        "kind": kind,
        "chamber": chamber,
        "author": author,
        "group": group,
        "bill": bill,
        "number": number,
        "outcome": outcome,
        "day": day,
        "bill_refs": list(bill_refs),
        "tracked": tracked,
    }
    if row is None:
        row = ParliamentItem(item_id=item_id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            # A list of amendments knows less than the amendment itself: never erase with null.
            if value is not None or name in ("bill_refs",):
                setattr(row, name, value)
    session.flush()
    return row


def stored_outcomes(session: Session, source_id: int, guids: Sequence[str]) -> dict[str, str | None]:
    """For the given guids already stored for this source: their stored outcome (None when unknown)."""
    if not guids:
        return {}
    rows = session.exec(
        select(Item.guid, ParliamentItem.outcome)
        .join(ParliamentItem, col(ParliamentItem.item_id) == col(Item.id), isouter=True)
        .where(col(Item.source_id) == source_id)
        .where(col(Item.guid).in_(list(guids)))
    ).all()
    return {guid: outcome for guid, outcome in rows}


@dataclass(frozen=True)
class ParliamentRow:
    item: Item
    fields: ParliamentItem
    score: Score | None
    source: Source


def parliament_items(
    session: Session,
    *,
    collected_from: datetime | None = None,
    collected_to: datetime | None = None,
    decisions: Sequence[str] | None = ("alert", "digest"),
) -> list[ParliamentRow]:
    """The typed parliamentary items of a window, best decision first, then newest."""
    query = (
        select(Item, ParliamentItem, Score, Source)
        .join(ParliamentItem, col(ParliamentItem.item_id) == col(Item.id))
        .join(Source, col(Source.id) == col(Item.source_id))
        .join(Score, col(Score.item_id) == col(Item.id), isouter=True)
        .order_by(col(Score.score).desc(), col(Item.published_at).desc(), col(Item.id))
    )
    query = within(query, collected_from, collected_to, decisions)
    return [ParliamentRow(*row) for row in session.exec(query).all()]
