"""Claiming due sources under a lease (store/sources.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Source
from store.sources import claim_due_sources
from tests.clock import NOW
from watcher.pipeline import LEASE


def _source(name: str) -> Source:
    return Source(name=name, kind="rss", url=f"https://{name.lower()}.test/rss", interval_seconds=1800)


def test_a_claim_returns_only_what_it_leased_even_when_the_clock_has_not_moved(engine: Engine) -> None:
    # Regression: the claimed rows were read back by (owner, lease end). A second claim at the same instant
    # (a clock that has not moved, as in a replay with --now) returned the sources the owner already held,
    # and the cycle collected them twice.
    with session_scope(engine) as session:
        session.add(_source("Premier"))
    with session_scope(engine) as session:
        first = claim_due_sources(session, NOW, "worker-a", LEASE)
    with session_scope(engine) as session:
        session.add(_source("Second"))
    with session_scope(engine) as session:
        again = claim_due_sources(session, NOW, "worker-a", LEASE)
        nothing_left = claim_due_sources(session, NOW, "worker-a", LEASE)
    assert [source.name for source in first] == ["Premier"]
    assert [source.name for source in again] == ["Second"]
    assert nothing_left == []


@pytest.mark.parametrize("per_host", [None, 4])
def test_claims_of_any_size_continue_one_sequence(engine: Engine, per_host: int | None) -> None:
    # Regression: a claim returned its sources in name order but picked them by id, and a cycle stores its batches
    # in claim order (watcher/turns.py). Claimed one by one, the demo's Sénat came before the Assemblée; claimed
    # together, after it: the stories depended on how many fetches had ended when the cycle claimed again.
    names = ["Sénat", "Assemblée", "Radio", "Courrier"]  # ids in this order, not the names'
    with session_scope(engine) as session:
        for name in names:
            source = _source(name)
            source.next_check_at = NOW  # due together, as on a first run
            session.add(source)
            session.flush()
    sequences = []
    for size in (1, 2, len(names)):
        with session_scope(engine) as session:
            for source in session.exec(select(Source)).all():
                source.lease_owner = source.lease_until = None
        claimed: list[str] = []
        while len(claimed) < len(names):
            with session_scope(engine) as session:
                batch = claim_due_sources(session, NOW, f"worker-{size}", LEASE, limit=size, per_host=per_host)
            claimed += [source.name for source in batch]
        sequences.append(claimed)
    assert sequences == [sorted(names)] * 3


def test_a_claim_takes_no_more_than_its_limit(engine: Engine) -> None:
    # Regression: on PostgreSQL the UPDATE leased the rows of a `LIMIT … FOR UPDATE SKIP LOCKED` subquery, which it
    # ran again for each row it scanned, skipping those it had just leased: a claim of one source leased them all.
    with session_scope(engine) as session:
        for name in ("Un", "Deux", "Trois", "Quatre"):
            session.add(_source(name))
    with session_scope(engine) as session:
        claimed = claim_due_sources(session, NOW, "worker-a", LEASE, limit=1)
    with session_scope(engine) as session:
        held = session.exec(select(Source.name).where(Source.lease_owner == "worker-a")).all()
    assert len(claimed) == 1
    assert held == [claimed[0].name]
