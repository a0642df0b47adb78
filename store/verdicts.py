"""Human verdicts per item and theme, and the counts `watcher rules stats` measures the rules with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store import outbox
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
    judged: list[tuple[list[str], str, str]]  # (why, topic, verdict) of each verdict on those items, oldest first


def reason_counts(session: Session, since: datetime | None = None) -> ReasonCounts:
    """The reasons given to the items collected since `since` (all of them without it), and the verdicts on them.

    Whole days are added up from `reason_day` and `scored_day` (migration 0019), so a period costs its days, not its
    items; the first day of a period that starts within it is read from its items, so the period starts to the second.
    """
    days = select(ReasonDay.reason, func.sum(ReasonDay.hits)).group_by(col(ReasonDay.reason))
    scored = select(func.sum(ScoredDay.items))
    judged = (
        select(Score.why, Verdict.topic, Verdict.verdict)
        .join(Score, col(Score.item_id) == col(Verdict.item_id))
        .order_by(col(Verdict.id))
    )
    hits: Counter[str] = Counter()
    items = 0
    if since is not None:
        first_day = since.astimezone(UTC).date()
        next_day = datetime.combine(first_day + timedelta(days=1), time(), UTC)
        days = days.where(col(ReasonDay.day) > first_day)
        scored = scored.where(col(ScoredDay.day) > first_day)
        judged = judged.join(Item, col(Item.id) == col(Verdict.item_id)).where(col(Item.collected_at) >= since)
        begun = scored_reasons(session, since=since, until=next_day)
        hits.update(reason for _, why in begun for reason in why)
        items = len(begun)
    hits.update({reason: int(count) for reason, count in session.exec(days).all()})
    items += int(session.exec(scored).one() or 0)
    return ReasonCounts(
        items,
        {reason: count for reason, count in hits.items() if count},
        [(list(why or []), topic, verdict) for why, topic, verdict in session.exec(judged).all()],
    )


def scored_reasons(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[int, list[str]]]:
    """(item id, why) of every scored item (collected in [since, until), when given): the rules that fired on it."""
    query = select(Score.item_id, Score.why)
    if since is None and until is None:
        query = query.order_by(col(Score.item_id))
    else:
        # In collection order: ordered by score.item_id, SQLite would scan every score to keep the recent ones.
        query = query.join(Item, col(Item.id) == col(Score.item_id)).order_by(col(Item.collected_at), col(Item.id))
        if since is not None:
            query = query.where(col(Item.collected_at) >= since)
        if until is not None:
            query = query.where(col(Item.collected_at) < until)
    return [(row[0], list(row[1] or [])) for row in session.exec(query).all()]
