"""Problems of the service told to the ops channel: raised once, told once, cleared once, whichever worker sees them.

One row per kind of problem. Each change is one conditional UPDATE, so that of several
services checking at the same moment exactly one raises (or clears) it and posts the message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.db import dialect_insert
from store.models import OpsNotice


def notice(session: Session, kind: str) -> OpsNotice | None:
    return session.get(OpsNotice, kind, populate_existing=True)


def notices(session: Session) -> list[OpsNotice]:
    return list(session.exec(select(OpsNotice).order_by(col(OpsNotice.kind))).all())


def raise_notice(session: Session, kind: str, detail: str, now: datetime) -> bool:
    """Mark the problem raised since `now`; False when it already was (its message is then not sent again)."""
    session.exec(dialect_insert(session)(OpsNotice).values(kind=kind, raised=False).on_conflict_do_nothing())  # type: ignore[call-overload]
    result = session.exec(
        update(OpsNotice)  # type: ignore[call-overload]
        .where(col(OpsNotice.kind) == kind)
        .where(~col(OpsNotice.raised))
        .values(raised=True, since=now, detail=detail, notified_at=None, cleared_at=None, claimed_until=None)
    )
    return bool(result.rowcount)


def claim_message(session: Session, kind: str, owner: str, now: datetime, lease: timedelta) -> OpsNotice | None:
    """The raised problem whose message nobody has posted nor is posting; None otherwise."""
    result = session.exec(
        update(OpsNotice)  # type: ignore[call-overload]
        .where(col(OpsNotice.kind) == kind)
        .where(col(OpsNotice.raised))
        .where(col(OpsNotice.notified_at).is_(None))
        .where(col(OpsNotice.claimed_until).is_(None) | (col(OpsNotice.claimed_until) < now))
        .values(claim_owner=owner, claimed_until=now + lease)
    )
    return notice(session, kind) if result.rowcount else None


def message_sent(session: Session, kind: str, owner: str, now: datetime) -> None:
    session.exec(
        update(OpsNotice)  # type: ignore[call-overload]
        .where(col(OpsNotice.kind) == kind)
        .where(col(OpsNotice.claim_owner) == owner)
        .values(notified_at=now, claimed_until=None)
    )


def message_failed(session: Session, kind: str, owner: str) -> None:
    """Let the next check, here or in another worker, post it again."""
    session.exec(
        update(OpsNotice)  # type: ignore[call-overload]
        .where(col(OpsNotice.kind) == kind)
        .where(col(OpsNotice.claim_owner) == owner)
        .values(claimed_until=None)
    )


def clear_notice(session: Session, kind: str, now: datetime) -> OpsNotice | None:
    """The problem as it was raised, if it was and this call clears it; None otherwise."""
    before = notice(session, kind)
    if before is None or not before.raised:
        return None
    result = session.exec(
        update(OpsNotice)  # type: ignore[call-overload]
        .where(col(OpsNotice.kind) == kind)
        .where(col(OpsNotice.raised))
        .where(col(OpsNotice.since) == before.since)
        .values(raised=False, cleared_at=now, claimed_until=None)
    )
    if not result.rowcount:
        return None
    session.expunge(before)
    return before
