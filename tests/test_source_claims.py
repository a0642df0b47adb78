"""Claiming due sources under a lease (store/sources.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

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
