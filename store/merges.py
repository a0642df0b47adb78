"""Story merges: an item that links two open stories says they tell one event, and the later one's items move.

A merge is written in the batch that stores the linking item (`watcher/batch.py`). Story rows are locked in id order
(`follow_merges`, `merge_stories`), so that a batch writing into a story that another worker merges at the same time
either sees the merge and follows it, or makes the merge wait and has its items moved with the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from store import queries
from store.models import Item, Story, StoryMerge


def merge_stories(session: Session, into: int, absorbed: int, *, item_id: int, now: datetime) -> int:
    """Move `absorbed`'s items into `into` and record it; the survivor's title, dates and count are read again from
    its items, as a split does. Returns how many items moved."""
    session.exec(select(Story.id).where(col(Story.id).in_((into, absorbed))).order_by(col(Story.id)).with_for_update())
    moved = list(session.exec(select(Item).where(col(Item.story_id) == absorbed)).all())
    for item in moved:
        item.story_id = into
    session.flush()
    survivor, gone = session.get(Story, into), session.get(Story, absorbed)
    assert survivor is not None and gone is not None, "both stories of a merge are stored"
    queries.restate_story(survivor, queries.story_members(session, into))
    gone.item_count = 0
    gone.merged_into_id = into
    session.add(StoryMerge(story_id=into, absorbed_story_id=absorbed, item_id=item_id, moved=len(moved), merged_at=now))
    session.flush()
    return len(moved)


def follow_merges(session: Session, story_ids: Iterable[int]) -> dict[int, int]:
    """The stories among `story_ids` that were merged away, each with the story that now holds its items.

    Their rows are locked first: a merge of one of them by another worker waits until this transaction ends.
    """
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    rows = session.connection().execute(_LOCK_STORIES, {"ids": ids}).all()
    merged = {story: into for story, into in rows if into is not None}
    return {story: holder(session, into) for story, into in merged.items()}


def holder(session: Session, story: int) -> int:
    """The story that holds `story`'s items now: itself, or the end of its chain of merges."""
    while (into := session.exec(select(Story.merged_into_id).where(col(Story.id) == story)).one()) is not None:
        story = into
    return story


def absorbed_into(session: Session, story_ids: Iterable[int]) -> dict[int, int]:
    """Every story merged, directly or through others, into one of `story_ids`, with the one it went into."""
    found: dict[int, int] = {}
    frontier = {story: story for story in story_ids}
    while frontier:  # one step of the chains per query: merges are rare, chains short
        rows = session.exec(
            select(StoryMerge.absorbed_story_id, StoryMerge.story_id).where(
                col(StoryMerge.story_id).in_(list(frontier))
            )
        ).all()
        frontier = {absorbed: frontier[into] for absorbed, into in rows if absorbed not in found}
        found.update(frontier)
    return found


def recent_merges(session: Session, since: datetime) -> list[tuple[StoryMerge, str]]:
    """The merges made since `since`, newest first, each with the title of the item that linked the stories."""
    rows = session.exec(
        select(StoryMerge, Item.title)
        .join(Item, col(Item.id) == col(StoryMerge.item_id))
        .where(col(StoryMerge.merged_at) >= since)
        .order_by(col(StoryMerge.merged_at).desc(), col(StoryMerge.id).desc())
    ).all()
    return [(merge, title) for merge, title in rows]


# Built once, as `splits._SPLITS_AFTER`: every batch asks (nearly always for nothing), and every batch that grows a
# story locks it; building the statements each time cost more than running them (bench/ingest.py).
_MERGES_AFTER = (
    select(StoryMerge.id, StoryMerge.absorbed_story_id, StoryMerge.story_id)
    .where(col(StoryMerge.id) > bindparam("after"))
    .order_by(col(StoryMerge.id))
)
_LOCK_STORIES = (
    select(Story.id, Story.merged_into_id)
    .where(col(Story.id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Story.id))
    .with_for_update()
)


def merges_after(session: Session, merge_id: int) -> list[tuple[int, int, int]]:
    """(merge id, absorbed story, story that took its items) of the merges after `merge_id`, oldest first."""
    rows = session.connection().execute(_MERGES_AFTER, {"after": merge_id}).all()
    return [(row[0] or 0, row[1], row[2]) for row in rows]


def latest_merge_id(session: Session) -> int:
    """The newest merge's id, 0 without any: a collector compares it with the one its story index was built at."""
    return session.exec(select(func.coalesce(func.max(StoryMerge.id), 0))).one()


def merge_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(StoryMerge)).one()
