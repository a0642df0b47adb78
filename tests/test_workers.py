"""Three `watcher run` processes on one PostgreSQL, three cycles over 100 local feeds.

Each (source, cycle) is fetched exactly once (the local server counts requests
per path and per cycle), no item is stored twice and no alert is queued twice,
although the feeds share items so that workers race to store the same article.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from store.db import session_scope
from store.models import Delivery, FetchAttempt, Item, Score, Source
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import Answer, LocalServer
from watcher.config import Config
from watcher.pipeline import Collector

FEEDS = 100
CYCLES = 3
WORKERS = 3


def _feed(n: int, cycle: int) -> bytes:
    """Feed n at a cycle: its own items so far, plus a story every fifth feed shares with its neighbour."""
    entries: list[dict[str, object]] = []
    for c in range(cycle + 1):
        entries.append(
            {
                "title": f"Urgences fermées à l'hôpital de la ville {n} faute de médecins (épisode {c})",
                "link": f"https://presse-{n}.test/urgences-{c}",
                "description": f"L'ARS confirme la fermeture des urgences de l'hôpital {n} la nuit, épisode {c}.",
                "published": NOW - timedelta(hours=cycle - c),
            }
        )
        shared = n - n % 5  # feeds 0-4 share one article, 5-9 another…
        entries.append(
            {
                "title": f"Grève des internes : le mouvement s'étend au groupe {shared} (jour {c})",
                "link": f"https://agence.test/greve-internes-{shared}-{c}",
                "description": "Les internes en grève dénoncent leurs conditions de travail à l'hôpital.",
                "published": NOW - timedelta(hours=cycle - c, minutes=30),
            }
        )
    return rss(f"Presse {n}", entries)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_three_workers_fetch_each_source_once_per_cycle(engine: Engine, tmp_path: Path, server: LocalServer) -> None:
    cycle_of_request: Counter[tuple[str, int]] = Counter()
    current = {"cycle": 0}
    lock = threading.Lock()

    def handler_for(n: int):  # type: ignore[no-untyped-def]
        def handler(request: BaseHTTPRequestHandler) -> Answer:
            with lock:
                cycle = current["cycle"]
                cycle_of_request[(request.path, cycle)] += 1
            time.sleep(0.02)  # a little latency, so that workers overlap
            return Answer(_feed(n, cycle))

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

    def attempts() -> int:
        with session_scope(engine) as session:
            return session.exec(select(func.count()).select_from(FetchAttempt)).one()

    logs = [tmp_path / f"worker-{w}.log" for w in range(WORKERS)]
    workers = [
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
        for cycle in range(CYCLES):
            if cycle > 0:
                with lock:
                    current["cycle"] = cycle
                with session_scope(
                    engine
                ) as session:  # everything due at once (whatever the clock): the next cycle starts
                    session.exec(update(Source).values(next_check_at=None))  # type: ignore[call-overload]
            deadline = time.monotonic() + 75  # generous: CI machines may be busy; no timing is asserted
            while attempts() < FEEDS * (cycle + 1) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert attempts() == FEEDS * (cycle + 1), f"cycle {cycle} incomplete"
        time.sleep(1)  # three more ticks each: nothing is due, nothing more may be fetched
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    outputs = [log.read_text(encoding="utf-8") for log in logs]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, "\n=====\n".join(o[-3000:] for o in outputs)

    # Each (source, cycle) fetched exactly once, across all workers.
    expected = {(f"/f{n}.xml", cycle): 1 for n in range(FEEDS) for cycle in range(CYCLES)}
    assert dict(cycle_of_request) == expected
    with session_scope(engine) as session:
        # Every source was fetched, and logged once per cycle.
        owners = session.exec(select(func.count(func.distinct(FetchAttempt.source_id)))).one()
        assert owners == FEEDS
        urls = session.exec(select(Item.url)).all()
        assert len(urls) == len(set(urls))  # 0 duplicate items
        distinct_expected = FEEDS * CYCLES + (FEEDS // 5) * CYCLES
        assert len(urls) == distinct_expected  # and none lost
        assert session.exec(select(func.count()).select_from(Score)).one() == distinct_expected
        deliveries = session.exec(select(Delivery.story_id, Delivery.channel, Delivery.kind)).all()
        assert deliveries and len(deliveries) == len(set(deliveries))  # 0 duplicate alerts
        # An item may alert on several channels (one per theme) but never twice on one.
        alerted = session.exec(select(Delivery.item_id, Delivery.channel).where(Delivery.kind == "alert")).all()
        assert len(alerted) == len(set(alerted))
        leased = select(func.count()).select_from(Source).where(col(Source.lease_owner).is_not(None))
        assert session.exec(leased).one() == 0
    assert sum("service arrêté proprement" in output for output in outputs) == WORKERS, outputs


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_workers_starting_together_sync_the_sources_once(engine: Engine, real_config: Config) -> None:
    specs = [{"name": f"Presse {n}", "url": f"https://p{n}.test/"} for n in range(50)]
    config = config_with_sources(real_config, *specs)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def start_worker() -> None:
        collector = Collector(engine, config, clock=frozen())
        start.wait()
        try:
            collector.sync_sources()
        except BaseException as exc:  # collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Source)).one() == 50
