"""The what-if preview: which stored items another configuration would decide otherwise.

The items collected in the last N days are judged again under the running configuration and under the
other one, the way collection judges them (watcher/batch.py): the source's weight and default themes, a
tracked bill's context and rule (watcher/tracked.py), then the daily alert budget. Both sides are judged
now, so that the difference is the configuration's alone, not that of rules changed since the items were
stored.

The daily budget is replayed over the window: the items in collection order, each day (in the digest's
time zone) opening at most `alerts.daily_budget` stories by alert, a mention of the collective never held
back. It is replayed for both sides alike, so that a lower alert threshold shows the alerts the budget
would really let through, not more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from store.db import session_scope
from store.rejudge import StoredForJudging, items_collected
from watcher.config import Config
from watcher.normalize import Item
from watcher.parse.parliament import ParliamentFields
from watcher.parse.parliament.models import Chamber, ParliamentKind
from watcher.score import Judgement, Scorer
from watcher.tracked import TrackedBills

MAX_DAYS = 366  # a year of archive; beyond, the comparison says more about the press than about the rules


class Change(StrEnum):
    ENTERING = "entering"  # dropped before, kept now (digest or alert)
    LEAVING = "leaving"  # kept before, dropped now
    TO_ALERT = "to_alert"  # digest before, alert now
    TO_DIGEST = "to_digest"  # alert before, digest now


# In the order a person reads them: what the change brings in first.
CHANGE_LABELS = {
    Change.ENTERING: "entrent (écartés → synthèse ou alerte)",
    Change.LEAVING: "sortent (→ écartés)",
    Change.TO_ALERT: "deviennent des alertes (synthèse → alerte)",
    Change.TO_DIGEST: "ne sont plus des alertes (alerte → synthèse)",
}


@dataclass(frozen=True)
class Decided:
    """One side's judgement of an item, as the comparison shows it."""

    score: int
    decision: str
    topics: tuple[str, ...]
    alert_reason: str | None
    held: bool = False  # an alert sent to the digest by the day's alert budget

    @classmethod
    def of(cls, judged: tuple[Judgement, bool]) -> Decided:
        judgement, held = judged
        return cls(judgement.score, judgement.decision, tuple(judgement.topics), judgement.alert_reason, held)

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "decision": self.decision,
            "topics": list(self.topics),
            "alert_reason": self.alert_reason,
            "held_by_budget": self.held,
        }


@dataclass(frozen=True)
class ChangedItem:
    item_id: int
    title: str
    source: str  # the outlet: the publisher an aggregator names, else the source
    url: str
    published: datetime
    change: Change
    before: Decided  # under the running configuration
    after: Decided  # under the other one

    def as_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published.isoformat(),
            "change": self.change.value,
            "before": self.before.as_json(),
            "after": self.after.as_json(),
        }


@dataclass(frozen=True)
class WhatIf:
    start: datetime
    end: datetime
    examined: int  # items collected in the window
    rescored: int  # items whose score moved without changing decision
    changes: list[ChangedItem]  # grouped by change in CHANGE_LABELS order, each group strongest first

    def of(self, change: Change) -> list[ChangedItem]:
        return [changed for changed in self.changes if changed.change == change]

    def counts(self) -> dict[Change, int]:
        return {change: len(self.of(change)) for change in Change}


def what_if(engine: Engine, running: Config, other: Config, *, now: datetime, days: int) -> WhatIf:
    """Judge the items collected in the `days` days before `now` under both configurations, and compare."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"nombre de jours hors limites : {days} (de 1 à {MAX_DAYS})")
    start = now - timedelta(days=days)
    with session_scope(engine) as session:
        stored = items_collected(session, start, now)
        return compare(stored, running, other, start=start, end=now)


def compare(
    stored: Sequence[StoredForJudging], running: Config, other: Config, *, start: datetime, end: datetime
) -> WhatIf:
    """The comparison of `what_if`, over items already read (in collection order)."""
    before = _judge_all(stored, running)
    after = _judge_all(stored, other)
    changes: list[ChangedItem] = []
    rescored = 0
    for row, old, new in zip(stored, before, after, strict=True):
        change = _change(old[0].decision, new[0].decision)
        if change is None:
            rescored += old[0].score != new[0].score
            continue
        item = row.item
        changes.append(
            ChangedItem(
                item.id or 0,
                item.title,
                item.publisher or row.source,
                item.url,
                item.published_at,
                change,
                Decided.of(old),
                Decided.of(new),
            )
        )
    order = list(CHANGE_LABELS)
    # Entering and promoted items by their new score, the others by the score they had: the strongest first.
    changes.sort(
        key=lambda c: (
            order.index(c.change),
            -(c.after.score if c.change in (Change.ENTERING, Change.TO_ALERT) else c.before.score),
            -c.published.timestamp(),
            c.item_id,
        )
    )
    return WhatIf(start, end, len(stored), rescored, changes)


def _change(old: str, new: str) -> Change | None:
    if old == new:
        return None
    if old == "drop":
        return Change.ENTERING
    if new == "drop":
        return Change.LEAVING
    return Change.TO_ALERT if new == "alert" else Change.TO_DIGEST


def _judge_all(stored: Sequence[StoredForJudging], config: Config) -> list[tuple[Judgement, bool]]:
    scorer, tracked = Scorer(config), TrackedBills(config)
    sources = {spec.name: spec for spec in config.sources}
    judgements = [
        tracked.judge(scorer, as_item(row), sources.get(row.source), parliament_fields(row), row.source)
        for row in stored
    ]
    moments = [(row.item.collected_at, row.item.story_id) for row in stored]
    return within_daily_budget(
        [(*moment, judgement) for moment, judgement in zip(moments, judgements, strict=True)],
        config.alerts.daily_budget,
        config.digest.zone,
    )


def within_daily_budget(
    judged: Iterable[tuple[datetime, int | None, Judgement]], budget: int, zone: ZoneInfo
) -> list[tuple[Judgement, bool]]:
    """The judgements, in collection order, with the alerts past a day's budget of stories sent to the digest
    (and marked held).

    As in watcher/batch.py: a story alerted once that day costs nothing more, and a mention of the collective
    always alerts, though it counts.
    """
    opened: dict[date, set[int | None]] = {}
    kept = []
    for collected_at, story, judgement in judged:
        if judgement.decision == "alert":
            today = opened.setdefault(collected_at.astimezone(zone).date(), set())
            if story is None or story not in today:
                if len(today) >= budget and not judgement.mentions:
                    kept.append((replace(judgement, decision="digest", alert_reason=None), True))
                    continue
                # An item without a story opens one of its own: a key no stored story has.
                today.add(story if story is not None else -len(today) - 1)
        kept.append((judgement, False))
    return kept


def as_item(row: StoredForJudging) -> Item:
    """The stored item as the scorer reads it: title, lead, full text, where it comes from."""
    stored = row.item
    return Item(
        source=row.source,
        url=stored.url,
        guid=stored.guid,
        title=stored.title,
        summary=stored.summary,
        published=stored.published_at,
        collected_at=stored.collected_at,
        content_hash=stored.content_hash,
        published_estimated=stored.published_estimated,
        content=stored.content,
        author=stored.author,
        publisher=stored.publisher,
        publisher_site=stored.publisher_site,
        language=stored.language,
    )


def parliament_fields(row: StoredForJudging) -> ParliamentFields | None:
    stored = row.parliament
    if stored is None:
        return None
    return ParliamentFields(
        kind=ParliamentKind(stored.kind) if stored.kind else None,
        chamber=Chamber(stored.chamber) if stored.chamber else None,
        author=stored.author,
        group=stored.group,
        bill=stored.bill,
        number=stored.number,
        outcome=stored.outcome,
        date=stored.day,
        bill_refs=tuple(stored.bill_refs),
    )
