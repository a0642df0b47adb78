"""Story splits: a join a person contested, the item moved out into a story of its own (`story_split`).

A split is an action on the desk like a verdict: in the same transaction it plans the update of the item's Slack
alert (`outbox.enqueue_refresh`), whichever door it came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from store import merges, outbox, queries
from store.models import Item, Story, StorySplit


class SplitRefused(LookupError):
    """A split that cannot be made: `reason` is "unknown" (no such item) or "alone" (nothing to split it from)."""

    def __init__(self, item_id: int, reason: str, split: StorySplit | None = None):
        super().__init__(f"item {item_id}: {reason}")
        self.item_id, self.reason = item_id, reason
        self.split = split  # for "alone": the split that made it so, if one did


@dataclass(frozen=True)
class SplitDone:
    item_id: int
    former_story_id: int
    new_story_id: int
    left_in_former: int  # items still in the former story


def split_item(session: Session, item_id: int, *, who: str, now: datetime) -> SplitDone:
    """Move an item out of its story into a new story of its own, and record who did it and when.

    Only that item moves: the items that joined the story after it stay, since nothing records through which
    member an item joined (each can be split in turn). The former story's count, dates and title are read again
    from the items it keeps, under a lock on its row, so that a batch growing it at the same time loses nothing.
    """
    item = session.exec(select(Item).where(col(Item.id) == item_id).with_for_update()).first()
    if item is None:
        raise SplitRefused(item_id, "unknown")
    former = (
        session.exec(select(Story).where(col(Story.id) == item.story_id).with_for_update()).first()
        if item.story_id is not None
        else None
    )
    others = queries.story_members(session, former.id or 0, without=item_id) if former is not None else []
    if former is None or not others:
        raise SplitRefused(item_id, "alone", last_split(session, item_id))
    story = Story(title=item.title, first_seen_at=item.collected_at, last_seen_at=item.collected_at, item_count=1)
    session.add(story)
    session.flush()
    assert story.id is not None and former.id is not None
    item.story_id = story.id
    queries.restate_story(former, others)
    session.add(StorySplit(item_id=item_id, former_story_id=former.id, new_story_id=story.id, who=who, split_at=now))
    session.flush()
    outbox.enqueue_refresh(session, item_id=item_id, now=now)
    return SplitDone(item_id, former.id, story.id, len(others))


def last_split(session: Session, item_id: int) -> StorySplit | None:
    return session.exec(
        select(StorySplit).where(col(StorySplit.item_id) == item_id).order_by(col(StorySplit.id).desc())
    ).first()


def split_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(StorySplit)).one()


def latest_split_id(session: Session) -> int:
    """The newest split's id, 0 without any: a collector compares it with the one its story index was built at."""
    return session.exec(select(func.coalesce(func.max(StorySplit.id), 0))).one()


# Built once: every batch of a cycle asks, and building the statement cost more than the answer (nearly always none).
_SPLITS_AFTER = (
    select(
        StorySplit.id,
        StorySplit.item_id,
        StorySplit.new_story_id,
        select(func.min(Item.published_at))
        .where(col(Item.story_id) == col(StorySplit.former_story_id))
        .scalar_subquery(),
    )
    .where(col(StorySplit.id) > bindparam("after"))
    .order_by(col(StorySplit.id))
)


def splits_after(session: Session, split_id: int) -> list[tuple[int, int, int, datetime | None]]:
    """(split id, item id, new story id, when the former story now begins) of the splits after `split_id`.

    When a story begins is read as `queries.recent_story_members` reads it: its items' first publication.
    """
    rows = session.connection().execute(_SPLITS_AFTER, {"after": split_id}).all()
    return [(row[0] or 0, row[1], row[2], row[3]) for row in rows]


def apart_since(session: Session, since: datetime) -> list[tuple[int, int]]:
    """The stories people told apart by the splits made since `since`: (the item's new story, the one it left),
    each followed to the story that holds its items now."""
    rows = session.exec(
        select(StorySplit.new_story_id, StorySplit.former_story_id).where(col(StorySplit.split_at) >= since)
    ).all()
    return [(merges.holder(session, new), merges.holder(session, former)) for new, former in rows]
