"""Services share the due sources: each leases no more than it has fetch slots for, overall and per host.

Before, the first service's first claim leased up to 32 sources while its fetcher took 4 at a
time from one host; the others found nothing due and waited for the next tick.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, text
from sqlmodel import col, select

from store import queries, sources
from store.db import session_scope
from store.models import CycleRun, FetchAttempt, Item, Source
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import Answer, LocalServer
from watcher.config import Config
from watcher.fetch import Fetcher
from watcher.pipeline import Collector

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _leases(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Source.lease_owner, func.count())
            .where(col(Source.lease_owner).is_not(None))
            .group_by(col(Source.lease_owner))
        ).all()
    return {str(owner): int(count) for owner, count in rows}


def test_a_claim_takes_no_more_per_host_than_asked(engine: Engine) -> None:
    specs = [
        queries.SourceSpec(f"{host} {n}", "rss", f"https://{host}.test/{n}.xml", 3600, True)
        for host in "abc"
        for n in range(5)
    ]
    with session_scope(engine) as session:
        queries.sync_sources(session, specs, NOW)
    with session_scope(engine) as session:
        claimed = sources.claim_due_sources(
            session, NOW, "w1", timedelta(minutes=2), limit=10, per_host=2, busy={"a.test": 1}
        )
    assert Counter(sources.host_key(source.url) for source in claimed) == {"a.test": 1, "b.test": 2, "c.test": 2}
    with session_scope(engine) as session:  # a peer takes what is left within its own slots
        peer = sources.claim_due_sources(session, NOW, "w2", timedelta(minutes=2), limit=4, per_host=3)
    assert len(peer) == 4 and not {source.id for source in peer} & {source.id for source in claimed}
    assert Counter(sources.host_key(source.url) for source in peer) == {"a.test": 3, "b.test": 1}


def _most_leases_while_fetching(engine: Engine, config: Config, server: LocalServer, answer: Answer) -> int:
    """One cycle over 12 slow sources of one host, 8 connections and 3 per host: the most leases the collector held
    while any of them was fetched."""
    seen: list[dict[str, int]] = []

    def slow(request: BaseHTTPRequestHandler) -> Answer:
        seen.append(_leases(engine))  # what every worker holds while this source is fetched
        time.sleep(0.05)
        return answer

    specs = [{"name": f"Flux {n}", "url": server.route(f"/f{n}.xml", slow)} for n in range(12)]
    collector = Collector(engine, config_with_sources(config, *specs))
    collector.sync_sources()

    async def cycle() -> None:
        async with Fetcher(policy=collector.network, max_connections=8, per_host=3) as fetcher:
            await collector.run_cycle(fetcher=fetcher)

    asyncio.run(cycle())
    assert len(seen) == 12
    return max(held.get(collector.owner, 0) for held in seen)


def test_a_collector_leases_only_what_it_can_fetch(
    sqlite_engine: Engine, real_config: Config, server: LocalServer
) -> None:
    assert _most_leases_while_fetching(sqlite_engine, real_config, server, Answer(rss("Flux", []))) == 3  # 3 per host


def test_outcomes_awaiting_their_write_keep_no_lease_past_the_next_claim(
    sqlite_engine: Engine, real_config: Config, server: LocalServer
) -> None:
    """Outcomes without items (an error, an unchanged feed) are written in batches; the claim of the next sources
    writes those waiting first, so the leases a worker holds stay within its slots even on a day of errors (before,
    12 leases for 3 slots here; a loaded run of the three-service test below saw 13 for 4 connections)."""
    gone = Answer(b"introuvable", status=404)
    assert _most_leases_while_fetching(sqlite_engine, real_config, server, gone) == 3
    assert _leases(sqlite_engine) == {}  # every outcome written, every lease ended, when the cycle is over


FEEDS = 100
WORKERS = 3


def _feed(n: int) -> bytes:
    shared = n - n % 5  # feeds 0-4 share one article, 5-9 another…: services race to store it
    return rss(
        f"Presse {n}",
        [
            {
                "title": f"Urgences fermées à l'hôpital de la ville {n} faute de médecins",
                "link": f"https://presse-{n}.test/urgences",
                "description": f"L'ARS confirme la fermeture des urgences de l'hôpital {n} la nuit.",
                "published": NOW - timedelta(hours=1),
            },
            {
                "title": f"Grève des internes : le mouvement s'étend au groupe {shared}",
                "link": f"https://agence.test/greve-internes-{shared}",
                "description": "Les internes en grève dénoncent leurs conditions de travail à l'hôpital.",
                "published": NOW - timedelta(hours=2),
            },
        ],
    )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_three_services_share_one_hundred_slow_sources(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    most_held: Counter[str] = Counter()
    lock = threading.Lock()

    def handler_for(n: int):  # type: ignore[no-untyped-def]
        def handler(request: BaseHTTPRequestHandler) -> Answer:
            held = _leases(engine)
            with lock:
                for owner, count in held.items():
                    most_held[owner] = max(most_held[owner], count)
            time.sleep(0.25)  # a slow site: a service alone would need 100 × 0.25 s / 4 connections
            return Answer(_feed(n))

        return handler

    for n in range(FEEDS):
        server.route(f"/f{n}.xml", handler_for(n))
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": f"Presse {n}", "url": server.url(f"/f{n}.xml"), "topics": ["hopital"], "interval": "1h"}
        for n in range(FEEDS)
    ]
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "WATCHER_CONFIG": str(config),
        "WATCHER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "WATCHER_TICK_SECONDS": "0.3",
        "COLUMNS": "200",
    }
    env.pop("SLACK_BOT_TOKEN", None)

    def attempts() -> int:
        with session_scope(engine) as session:
            return session.exec(select(func.count()).select_from(FetchAttempt)).one()

    logs = [tmp_path / f"service-{w}.log" for w in range(WORKERS)]
    services = [
        subprocess.Popen(
            [sys.executable, "-m", "watcher", "run"],
            cwd=tmp_path,
            env=env,
            stdout=log.open("w", encoding="utf-8"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 120  # generous: CI machines may be busy; no timing is asserted
        while attempts() < FEEDS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert attempts() == FEEDS
        time.sleep(1)  # more ticks each: nothing is due, nothing more may be fetched
        for service in services:
            service.send_signal(signal.SIGTERM)
        for service in services:
            service.wait(timeout=30)
    finally:
        for service in services:
            if service.poll() is None:
                service.kill()
    outputs = [log.read_text(encoding="utf-8") for log in logs]
    assert [service.returncode for service in services] == [0] * WORKERS, "\n=====\n".join(o[-3000:] for o in outputs)

    assert server.hits == Counter({f"/f{n}.xml": 1 for n in range(FEEDS)})  # each source fetched once
    with session_scope(engine) as session:
        fetched = dict(
            session.exec(select(CycleRun.owner, func.sum(CycleRun.sources)).group_by(col(CycleRun.owner))).all()
        )
        urls = session.exec(select(Item.url)).all()
        unfinished = session.exec(text("SELECT count(*) FROM cycle_run WHERE finished_at IS NULL")).one()[0]
    print(f"\nsources collectées par service : {sorted(fetched.values(), reverse=True)} ; baux au plus : {most_held}")
    assert unfinished == 0
    assert len(fetched) == WORKERS and all(count > 0 for count in fetched.values())  # each service took a share
    assert sum(fetched.values()) == FEEDS
    assert max(most_held.values()) <= 4  # one host, 4 connections a service: never more leased
    assert len(urls) == len(set(urls)) == FEEDS + FEEDS // 5  # each item stored once, none lost
