"""Collection state of sources: claiming due sources under a lease, recording fetches, disabling and re-enabling.

A lease is (lease_owner, lease_until). Claiming is one UPDATE statement, so two
workers can never both take a source: on PostgreSQL the due rows are picked with
`FOR UPDATE SKIP LOCKED` (a worker skips rows another one is claiming), on SQLite
the single writer serialises the statement. Every write of a fetch's result is
fenced by the lease: a worker whose lease expired and was taken over writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, text, update
from sqlmodel import Session, col, select

from store.models import FetchAttempt, FetchOutcome, Source, utcnow

SYNC_LOCK_KEY = 5_172_005  # any constant: the advisory lock of the configuration sync


def serialise_sync(session: Session) -> None:
    """Hold, until the transaction ends, the right to sync sources with the configuration.

    Workers started together on an empty PostgreSQL would otherwise all insert the same
    sources and all but one die on the unique name. SQLite's BEGIN IMMEDIATE already serialises.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)"), params={"key": SYNC_LOCK_KEY})  # type: ignore[call-overload]


class LeaseLost(Exception):
    """Another worker took the source over (our lease expired): this worker must not write its result."""


def _due(now: datetime, names: Sequence[str] | None):  # type: ignore[no-untyped-def]
    free = or_(col(Source.lease_until).is_(None), col(Source.lease_until) < now)
    active = and_(col(Source.enabled), col(Source.disabled_reason).is_(None))
    if names is None:
        wanted = or_(col(Source.next_check_at).is_(None), col(Source.next_check_at) <= now)
    else:
        wanted = col(Source.name).in_(list(names))
    return and_(active, free, wanted)


def claim_due_sources(
    session: Session,
    now: datetime,
    owner: str,
    lease: timedelta,
    names: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[Source]:
    """Lease the active sources that are due (or the named ones), so no other worker takes them."""
    picked = select(Source.id).where(_due(now, names)).order_by(col(Source.next_check_at), col(Source.id))
    if limit is not None:
        picked = picked.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    until = now + lease
    # The `_due` condition is repeated on the UPDATE so that the statement alone decides, whatever
    # the isolation level: a row leased by someone else between the pick and the write is left alone.
    session.exec(
        update(Source)  # type: ignore[call-overload]
        .where(col(Source.id).in_(picked))
        .where(_due(now, names))
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    claimed = select(Source).where(col(Source.lease_owner) == owner).where(col(Source.lease_until) == until)
    return list(session.exec(claimed.order_by(Source.name).execution_options(populate_existing=True)).all())


def held_source(session: Session, source_id: int, owner: str) -> None:
    """Lock the source's row for this transaction, provided `owner` still holds its lease."""
    held = session.execute(
        select(Source.id).where(col(Source.id) == source_id).where(col(Source.lease_owner) == owner).with_for_update()
    ).first()
    if held is None:
        raise LeaseLost(f"source {source_id}: lease of {owner} lost")


def record_fetch(
    session: Session,
    source_id: int,
    owner: str,
    *,
    started_at: datetime,
    outcome: FetchOutcome,
    next_check_at: datetime,
    http_status: int | None = None,
    error: str | None = None,
    counts: tuple[int, int, int] = (0, 0, 0),
    validators: tuple[str | None, str | None, str | None] | None = None,
    disable_reason: str | None = None,
) -> None:
    """Log one fetch, release the lease and set when the source is due again (raises LeaseLost if not ours).

    Plain statements rather than the ORM: a warm cycle records hundreds of unchanged sources.
    """
    now = utcnow()
    values: dict[str, object] = {"lease_owner": None, "lease_until": None, "next_check_at": next_check_at}
    if outcome == FetchOutcome.ERROR:
        values |= {
            "last_error": error,
            "last_error_at": now,
            "consecutive_errors": col(Source.consecutive_errors) + 1,
        }
    else:
        values |= {"last_success_at": now, "consecutive_errors": 0}
        if validators is not None:
            values["etag"], values["last_modified"], values["body_hash"] = validators
    if disable_reason is not None:
        values |= {"disabled_reason": disable_reason, "disabled_at": now}
    # Fenced by the lease: the row changes only if this worker still holds it.
    released = session.execute(
        update(Source)
        .where(col(Source.id) == source_id)
        .where(col(Source.lease_owner) == owner)
        .values(**values)
        .returning(Source.id)
        .execution_options(synchronize_session=False)
    ).first()
    if released is None:
        raise LeaseLost(f"source {source_id}: lease of {owner} lost")
    new, updated, unchanged = counts
    session.execute(
        insert(FetchAttempt).values(
            source_id=source_id,
            started_at=started_at,
            finished_at=now,
            outcome=outcome,
            http_status=http_status,
            error=error,
            new_items=new,
            updated_items=updated,
            unchanged_items=unchanged,
        )
    )


def renew_leases(session: Session, owner: str, until: datetime) -> int:
    """Extend every lease `owner` still holds (a heartbeat while its cycle runs)."""
    result = session.exec(
        update(Source)  # type: ignore[call-overload]
        .where(col(Source.lease_owner) == owner)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def enable_source(session: Session, name: str, now: datetime) -> Source | None:
    """Explicit re-enabling by a person: clears the « gone » mark and the error streak, due at once."""
    source = session.exec(select(Source).where(col(Source.name) == name)).first()
    if source is None:
        return None
    source.disabled_reason = source.disabled_at = None
    source.consecutive_errors = 0
    source.next_check_at = now
    session.flush()
    return source
