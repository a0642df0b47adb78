"""Human verdicts per item and theme, and the rows `watcher rules stats` measures the rules with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store import outbox
from store.models import Item, Score, Verdict, VerdictValue


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


def verdicts(session: Session) -> list[tuple[int, str, str]]:
    """(item id, topic, verdict) of every stored verdict."""
    rows = session.exec(select(Verdict.item_id, Verdict.topic, Verdict.verdict).order_by(col(Verdict.id))).all()
    return [(row[0], row[1], row[2]) for row in rows]


def scored_reasons(session: Session, since: datetime | None = None) -> list[tuple[int, list[str]]]:
    """(item id, why) of every scored item (collected since `since`, when given): the rules that fired on it."""
    query = select(Score.item_id, Score.why)
    if since is None:
        query = query.order_by(col(Score.item_id))
    else:
        # In collection order: ordered by score.item_id, SQLite would scan every score to keep the recent ones.
        query = (
            query.join(Item, col(Item.id) == col(Score.item_id))
            .where(col(Item.collected_at) >= since)
            .order_by(col(Item.collected_at), col(Item.id))
        )
    return [(row[0], list(row[1] or [])) for row in session.exec(query).all()]
