"""Collection cycles: when each one started and ended, for `watcher status` and the ops alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from store.models import CycleRun

KEPT = timedelta(days=30)


def cycle_started(session: Session, owner: str, now: datetime) -> int:
    """Record a cycle that has work; the records of more than a month ago go."""
    session.exec(delete(CycleRun).where(col(CycleRun.started_at) < now - KEPT))  # type: ignore[call-overload]
    run = CycleRun(owner=owner, started_at=now)
    session.add(run)
    session.flush()
    return run.id or 0


def cycle_finished(session: Session, cycle_id: int, now: datetime, *, sources: int, new: int, errors: int) -> None:
    session.exec(
        update(CycleRun)  # type: ignore[call-overload]
        .where(col(CycleRun.id) == cycle_id)
        .values(finished_at=now, sources=sources, new_items=new, errors=errors)
    )


def last_finished(session: Session, now: datetime) -> CycleRun | None:
    """The cycle that ended last, at or before `now`, whichever worker ran it."""
    query = select(CycleRun).where(col(CycleRun.finished_at) <= now).order_by(col(CycleRun.finished_at).desc())
    return session.exec(query.limit(1)).first()


def unfinished_since(session: Session, after: datetime | None, now: datetime) -> list[CycleRun]:
    """Cycles started after `after` (or ever) and not finished by `now`: running, or cut off by a crash."""
    query = select(CycleRun).where(col(CycleRun.started_at) <= now)
    if after is not None:
        query = query.where(col(CycleRun.started_at) > after)
    unfinished = col(CycleRun.finished_at).is_(None) | (col(CycleRun.finished_at) > now)
    return list(session.exec(query.where(unfinished).order_by(col(CycleRun.started_at))).all())
