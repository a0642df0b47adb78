"""People's verdicts on items, per theme: they measure the rules (`watcher rules stats`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from store.models import Verdict, utcnow


def record_verdict(session: Session, *, item_id: int, topic: str, verdict: str, who: str) -> bool:
    """Store who thinks what of an item for a theme; the latest word counts. True when something changed."""
    existing = session.exec(
        select(Verdict)
        .where(col(Verdict.item_id) == item_id)
        .where(col(Verdict.topic) == topic)
        .where(col(Verdict.who) == who)
    ).first()
    if existing is None:
        session.add(Verdict(item_id=item_id, topic=topic, verdict=verdict, who=who, created_at=utcnow()))
        session.flush()
        return True
    if existing.verdict == verdict:
        return False
    existing.verdict = verdict
    existing.created_at = utcnow()
    session.flush()
    return True
