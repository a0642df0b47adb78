"""Human verdicts per item and theme, and the counts `watcher rules stats` measures the rules with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, cast, func, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store import outbox, queries
from store.models import Item, ReasonDay, Score, ScoredDay, Verdict, VerdictValue


class UnknownItemError(LookupError):
    """The verdict names an item that is not stored."""


def record_verdict(session: Session, *, item_id: int, topic: str, verdict: str, who: str, now: datetime) -> bool:
    """Insert or update the verdict of `who` on (item, topic), given at `now`; True when something changed.

    A change also plans the update of the item's alert in Slack, which shows each person's latest verdict.
    """
    changed = _write_verdict(session, item_id=item_id, topic=topic, verdict=verdict, who=who, now=now)
    if changed:
        outbox.enqueue_refresh(session, item_id=item_id, now=now)
    return changed


def _write_verdict(session: Session, *, item_id: int, topic: str, verdict: str, who: str, now: datetime) -> bool:
    value = VerdictValue(verdict)  # ValueError on anything but pertinent / hors_sujet
    if session.get(Item, item_id) is None:
        raise UnknownItemError(item_id)
    existing = _find(session, item_id, topic, who)
    if existing is not None:
        if existing.verdict == value:
            return False
        existing.verdict, existing.created_at = value, now
        session.add(existing)
        session.flush()
        return True
    try:
        # A savepoint: a concurrent identical verdict must not roll back the caller's transaction.
        with session.begin_nested():
            session.add(Verdict(item_id=item_id, topic=topic, verdict=value, who=who, created_at=now))
    except IntegrityError:
        raced = _find(session, item_id, topic, who)
        if raced is None or raced.verdict == value:
            return False
        raced.verdict, raced.created_at = value, now
        session.add(raced)
        session.flush()
    return True


def _find(session: Session, item_id: int, topic: str, who: str) -> Verdict | None:
    return session.exec(
        select(Verdict).where(Verdict.item_id == item_id, Verdict.topic == topic, Verdict.who == who)
    ).first()


@dataclass(frozen=True)
class ReasonCounts:
    """What the rules are measured with (`watcher rules stats`, « Règles »), over the items of a period or all."""

    items: int  # scored items
    hits: dict[str, int]  # how often each reason of `score.why` was given
    judged: dict[tuple[str, str, str], int]  # (reason, verdict's topic, verdict): how many verdicts on its items


def reason_counts(session: Session, since: datetime | None = None) -> ReasonCounts:
    """The reasons given to the items collected since `since` (all of them without it), and the verdicts on them.

    Whole days are added up from `reason_day` and `scored_day` (migration 0019), so a period costs its days, not its
    items; the first day of a period that starts within it is counted from its items, so the period starts to the
    second. The database does the counting: the page gets one row per reason, not one per item or verdict.
    """
    days = select(ReasonDay.reason, func.sum(ReasonDay.hits)).group_by(col(ReasonDay.reason))
    scored = select(func.sum(ScoredDay.items))
    reasons = _reasons_of(session)
    judged = (
        select(reasons.c.value, Verdict.topic, Verdict.verdict, func.count())
        .select_from(Verdict)
        .join(Score, col(Score.item_id) == col(Verdict.item_id))
        .join(reasons, true())
        .group_by(reasons.c.value, col(Verdict.topic), col(Verdict.verdict))
    )
    hits: Counter[str] = Counter()
    items = 0
    if since is not None:
        first_day = since.astimezone(UTC).date()
        next_day = datetime.combine(first_day + timedelta(days=1), time(), UTC)
        days = days.where(col(ReasonDay.day) > first_day)
        scored = scored.where(col(ScoredDay.day) > first_day)
        # The period's verdicts through their items' ids, from the first item collected in it: the index on
        # verdict.item_id gives them without walking the verdicts of the whole archive.
        first = queries.first_item_id(session, col(Item.collected_at), since)
        judged = (
            judged.join(Item, col(Item.id) == col(Verdict.item_id))
            .where(col(Verdict.item_id) >= (first if first is not None else 0))
            .where(col(Item.collected_at) >= since)
        )
        begun = (col(Item.collected_at) >= since, col(Item.collected_at) < next_day)
        items = session.exec(
            select(func.count()).select_from(Score).join(Item, col(Item.id) == col(Score.item_id)).where(*begun)
        ).one()
        hits.update(
            {
                reason: count
                for reason, count in session.exec(
                    select(reasons.c.value, func.count())
                    .select_from(Score)
                    .join(Item, col(Item.id) == col(Score.item_id))
                    .join(reasons, true())
                    .where(*begun)
                    .group_by(reasons.c.value)
                ).all()
            }
        )
    hits.update({reason: int(count) for reason, count in session.exec(days).all()})
    items += int(session.exec(scored).one() or 0)
    return ReasonCounts(
        items,
        {reason: count for reason, count in hits.items() if count},
        {(reason, topic, verdict): count for reason, topic, verdict, count in session.exec(judged).all()},
    )


def _reasons_of(session: Session) -> Any:
    """`score.why` as a table of its reasons, one row each (`value`), on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(cast(col(Score.why), JSON)).table_valued("value")
    return func.json_each(col(Score.why)).table_valued("value")
