"""Collection state of sources: claiming due sources under a lease, recording fetches, disabling and re-enabling.

A lease is (lease_owner, lease_until). Claiming is one UPDATE statement, so two
workers can never both take a source: on PostgreSQL the due rows are picked with
`FOR UPDATE SKIP LOCKED` (a worker skips rows another one is claiming), on SQLite
the single writer serialises the statement. Every write of a fetch's result is
fenced by the lease: a worker whose lease expired and was taken over writes nothing.

A service claims by host (`per_host`): no more sources of one site than it has
connections for that site, so that the sources it could not fetch yet stay free
for its peers instead of waiting in its queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, bindparam, insert, or_, text, update
from sqlmodel import Session, col, select

from store.models import FetchAttempt, FetchOutcome, Source

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


def _claim_order() -> tuple[Any, Any]:
    # The most overdue first, then by name. A claim returns its sources in this order too, so that claims of any
    # size continue one sequence: a cycle claims as many as it has free slots, which depends on when fetches end,
    # and it stores its batches in claim order (watcher/turns.py).
    return col(Source.next_check_at), col(Source.name)


def host_key(url: str) -> str:
    """The site a source is fetched from, as the fetcher counts its connections per host."""
    return urlsplit(url).hostname or ""


CLAIM_ATTEMPTS = 3  # a claim that lost rows to a peer claiming at the same moment picks again, a few times


def claim_due_sources(
    session: Session,
    now: datetime,
    owner: str,
    lease: timedelta,
    names: Sequence[str] | None = None,
    limit: int | None = None,
    *,
    per_host: int | None = None,
    busy: Mapping[str, int] | None = None,
) -> list[Source]:
    """Lease the active sources that are due (or the named ones), so no other worker takes them.

    With `per_host`, at most that many sources of one host are leased, counting the `busy` ones
    (host -> sources this worker is collecting already).
    """
    until = now + lease
    if per_host is None:
        leased = _claim_in_order(session, now, owner, until, names, limit)
    else:
        leased = _claim_by_host(session, now, owner, until, names, limit, per_host, busy or {})
    session.flush()
    # The sources this claim leased, as its UPDATEs returned them: those the owner already holds may carry the
    # same lease end (a renewal, or a clock that has not moved since), and are not claimed again.
    claimed = select(Source).where(col(Source.id).in_(leased))
    return list(session.exec(claimed.order_by(*_claim_order()).execution_options(populate_existing=True)).all())


def _claim_in_order(
    session: Session, now: datetime, owner: str, until: datetime, names: Sequence[str] | None, limit: int | None
) -> list[int]:
    picked = select(Source.id).where(_due(now, names)).order_by(*_claim_order())
    if limit is not None:
        picked = picked.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    # Picked in a statement of its own: as a subquery of the UPDATE, PostgreSQL may run it again for each row it
    # scans (a nested loop), and each run skips the rows just leased: `limit=1` leased every due source.
    return _lease(session, now, owner, until, names, list(session.exec(picked).all()))


def _claim_by_host(
    session: Session,
    now: datetime,
    owner: str,
    until: datetime,
    names: Sequence[str] | None,
    limit: int | None,
    per_host: int,
    busy: Mapping[str, int],
) -> list[int]:
    taken: Counter[str] = Counter(busy)
    leased: list[int] = []
    wanted = limit
    for _ in range(CLAIM_ATTEMPTS):
        # The hosts are read from the URLs here: the due rows of a cycle are a few hundred at most.
        due = session.exec(select(Source.id, Source.url).where(_due(now, names)).order_by(*_claim_order())).all()
        chosen: list[int] = []
        for source_id, url in due:
            if wanted is not None and len(chosen) >= wanted:
                break
            host = host_key(url)
            if taken[host] < per_host:
                taken[host] += 1
                chosen.append(source_id or 0)
        if not chosen:
            break
        won = _lease(session, now, owner, until, names, chosen)
        leased += won
        if len(won) == len(chosen):
            break
        # A peer leased some of them between our read and our write: count what we hold, and pick again.
        session.flush()
        held = session.exec(select(Source.url).where(col(Source.id).in_(leased))).all()
        taken = Counter(busy) + Counter(host_key(url) for url in held)
        wanted = None if limit is None else limit - len(leased)
        if wanted is not None and wanted <= 0:
            break
    return leased


def _lease(
    session: Session, now: datetime, owner: str, until: datetime, names: Sequence[str] | None, ids: Any
) -> list[int]:
    """The ids this UPDATE leased. The `_due` condition is repeated on it so that the statement alone decides,
    whatever the isolation level: a row leased by someone else between the pick and the write is left alone."""
    rows = session.exec(
        update(Source)  # type: ignore[call-overload]
        .where(col(Source.id).in_(ids))
        .where(_due(now, names))
        .values(lease_owner=owner, lease_until=until)
        .returning(Source.id)
        .execution_options(synchronize_session=False)
    ).all()
    return [row[0] for row in rows]


_HELD = (
    select(Source.id)
    .where(col(Source.id) == bindparam("source_id"))
    .where(col(Source.lease_owner) == bindparam("owner"))
    .with_for_update()
)
_RECORD_ATTEMPT = insert(FetchAttempt)


def held_source(session: Session, source_id: int, owner: str) -> None:
    """Lock the source's row for this transaction, provided `owner` still holds its lease."""
    if session.connection().execute(_HELD, {"source_id": source_id, "owner": owner}).first() is None:
        raise LeaseLost(f"source {source_id}: lease of {owner} lost")


@cache
def _release(failed: bool, validators: bool, disabled: bool, content: bool) -> Any:
    """The UPDATE that ends a fetch: built once per shape, since a warm cycle ends hundreds of them.

    Fenced by the lease: the row changes only if this worker still holds it.
    """
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "next_check_at": bindparam("next_check_at")}
    if failed:
        values |= {
            "last_error": bindparam("error"),
            "last_error_at": bindparam("now"),
            "consecutive_errors": col(Source.consecutive_errors) + 1,
        }
    else:
        values |= {"last_success_at": bindparam("now"), "consecutive_errors": 0}
        if validators:
            values |= {name: bindparam(name) for name in ("etag", "last_modified", "body_hash")}
        if content:  # what the last content left out; an unchanged feed keeps the warning it had
            values |= {"last_warning": bindparam("warning"), "last_warning_at": bindparam("warned_at")}
    if disabled:
        values |= {"disabled_reason": bindparam("disable_reason"), "disabled_at": bindparam("now")}
    return (
        update(Source)
        .where(col(Source.id) == bindparam("source_id"))
        .where(col(Source.lease_owner) == bindparam("owner"))
        .values(**values)
        .returning(Source.id)
    )


def record_fetch(
    session: Session,
    source_id: int,
    owner: str,
    *,
    started_at: datetime,
    outcome: FetchOutcome,
    now: datetime,
    next_check_at: datetime,
    http_status: int | None = None,
    error: str | None = None,
    counts: tuple[int, int, int] = (0, 0, 0),
    validators: tuple[str | None, str | None, str | None] | None = None,
    disable_reason: str | None = None,
    warning: str | None = None,
) -> None:
    """Log one fetch, finished at `now`, release the lease and set when the source is due again
    (raises LeaseLost if not ours).

    A fetch with content (`FetchOutcome.OK`) replaces the source's warning with `warning`, or clears it.

    Plain statements rather than the ORM: a warm cycle records hundreds of unchanged sources.
    """
    failed = outcome == FetchOutcome.ERROR
    params: dict[str, Any] = {"source_id": source_id, "owner": owner, "next_check_at": next_check_at, "now": now}
    if failed:
        params["error"] = error
    elif validators is not None:
        params["etag"], params["last_modified"], params["body_hash"] = validators
    if disable_reason is not None:
        params["disable_reason"] = disable_reason
    content = outcome == FetchOutcome.OK
    if content:
        params["warning"], params["warned_at"] = warning, now if warning else None
    statement = _release(failed, not failed and validators is not None, disable_reason is not None, content)
    connection = session.connection()
    if connection.execute(statement, params).first() is None:
        raise LeaseLost(f"source {source_id}: lease of {owner} lost")
    new, updated, unchanged = counts
    connection.execute(
        _RECORD_ATTEMPT,
        {
            "source_id": source_id,
            "started_at": started_at,
            "finished_at": now,
            "outcome": outcome,
            "http_status": http_status,
            "error": error,
            "new_items": new,
            "updated_items": updated,
            "unchanged_items": unchanged,
        },
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
