"""Worker processes (watcher/workers.py): the same results as one process, and nothing lost when one dies."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.queues
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from store.db import make_engine, session_scope, upgrade
from store.models import Delivery, Item, Score, Story
from store.sources import LeaseLost
from tests.clock import NOW, frozen
from tests.conftest import REPO_ROOT, config_with_sources
from tests.feeds import rss
from tests.localserver import LocalServer
from watcher.batch import BatchConflict
from watcher.config import Config, SourceConfig
from watcher.pipeline import Collector, CycleReport
from watcher.prepare import FeedPreparer, PreparedFeed
from watcher.score import Scorer
from watcher.workers import POLL_SECONDS, ForkedWorker, WorkerLost, WorkersConfigError, workers_wanted

STRIKE = {
    "title": "Grève des infirmiers : les urgences de Brest tournent au ralenti",
    "link": "https://ouest.test/brest/greve-infirmiers-urgences",
    "guid": "o-1",
    "description": "Les infirmiers des urgences du CHU de Brest sont en grève depuis lundi pour dénoncer "
    "le manque de personnel et la fermeture de lits.",
    "published": NOW - timedelta(hours=4),
}
STRIKE_RETOLD = {
    "title": "A Brest, la grève des infirmiers des urgences se poursuit",
    "link": "https://breizh.test/actu/brest-urgences-greve",
    "guid": "b-1",
    "description": "Les infirmiers des urgences du CHU de Brest sont en grève depuis lundi pour dénoncer "
    "le manque de personnel et la fermeture de lits.",
    "published": NOW - timedelta(hours=2),
}
FRONT_PAGE_ONLY = {
    "title": "Marée noire : les plages du Finistère nettoyées par des bénévoles",
    "link": "https://ouest.test/finistere/maree-noire-benevoles",
    "guid": "o-2",
    "description": "Des centaines de bénévoles ont ramassé les galettes de fioul sur les plages.",
    "published": NOW - timedelta(hours=6),
}


def _sources(server: LocalServer) -> list[dict[str, object]]:
    return [
        {"name": "Ouest", "url": server.url("/ouest.xml"), "topics": ["hopital"]},
        # The outlet's health section lists the strike article again: prepared once, stored once.
        {"name": "Ouest Santé", "url": server.url("/ouest-sante.xml"), "topics": ["hopital"]},
        {"name": "Breizh", "url": server.url("/breizh.xml")},
        {"name": "Page cassée", "url": server.url("/broken.xml")},
    ]


def _serve_feeds(server: LocalServer) -> None:
    server.route("/ouest.xml", rss("Ouest", [STRIKE, FRONT_PAGE_ONLY]))
    server.route("/ouest-sante.xml", rss("Ouest Santé", [STRIKE]))
    server.route("/breizh.xml", rss("Breizh", [STRIKE_RETOLD]))
    server.route("/broken.xml", b"<html><head><title>Maintenance</title></head></html>")


def _collect(engine: Engine, config: Config, server: LocalServer, *, workers: bool) -> CycleReport:
    # The collector forks its workers before the server starts its thread, as `watcher run` does.
    collector = Collector(engine, config, workers=workers, clock=frozen())
    try:
        collector.sync_sources()
        with server:
            return asyncio.run(collector.run_cycle([source.name for source in config.sources]))
    finally:
        collector.close()


def _stored(engine: Engine) -> dict[str, object]:
    """What a cycle stored, without its ids: which items share a story, their judgements, the outbox."""
    with session_scope(engine) as session:
        items = session.exec(select(Item).order_by(Item.guid)).all()
        story_of = {item.id: item.story_id for item in items}
        members: dict[int | None, list[str]] = {}
        for item in items:
            members.setdefault(item.story_id, []).append(item.guid)
        scores = {item.guid: session.get(Score, item.id) for item in items}
        deliveries = session.exec(select(Delivery)).all()
        stories = session.exec(select(Story)).all()
        return {
            "items": [(item.guid, item.url, item.title, item.summary, item.minhash) for item in items],
            "stories": sorted(sorted(guids) for guids in members.values()),
            "story_sizes": sorted(story.item_count for story in stories),
            "scores": {
                guid: (score.score, score.decision, score.topics, score.why, score.mentions)
                for guid, score in scores.items()
                if score is not None
            },
            # Which outlet's article raises the alert and which one the thread reply depends on which feed
            # answers first, with workers or without.
            "deliveries": sorted(
                (d.kind.split(":")[0], d.channel, sorted(members[story_of[d.item_id]])) for d in deliveries
            ),
        }


def test_a_cycle_with_workers_stores_what_one_process_stores(tmp_path: Path, real_config: Config) -> None:
    results = []
    for workers in (False, True):
        engine = make_engine(f"sqlite:///{tmp_path / f'veille-{workers}.db'}")
        upgrade(engine)
        server = LocalServer()
        _serve_feeds(server)
        report = _collect(engine, config_with_sources(real_config, *_sources(server)), server, workers=workers)
        by_name = {source.source: source for source in report.sources}
        # Whichever of the outlet's two feeds is stored first keeps the strike article; the other finds it known.
        assert report.new == 3 and by_name["Ouest"].unchanged + by_name["Ouest Santé"].unchanged == 1
        assert "page HTML « Maintenance »" in (by_name["Page cassée"].error or "")  # a worker's ParseError, in French
        results.append(_stored(engine))
        engine.dispose()
    one_process, with_workers = results
    assert with_workers == one_process
    assert with_workers["stories"] == [["b-1", "o-1"], ["o-2"]]
    assert any(kind == "alert" for kind, *_ in with_workers["deliveries"])  # type: ignore[attr-defined]


def test_with_workers_a_second_cycle_stores_nothing_new(engine: Engine, real_config: Config) -> None:
    server = LocalServer()
    _serve_feeds(server)
    config = config_with_sources(real_config, *_sources(server))
    collector = Collector(engine, config, workers=True, clock=frozen())
    try:
        collector.sync_sources()
        with server:
            first = asyncio.run(collector.run_cycle([source.name for source in config.sources]))
            second = asyncio.run(collector.run_cycle([source.name for source in config.sources]))
    finally:
        collector.close()
    assert first.new == 3 and second.new == 0
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 3
        alerts = [d for d in session.exec(select(Delivery)).all() if d.kind == "alert"]
        assert alerts and len({(d.story_id, d.channel) for d in alerts}) == len(alerts)


def test_a_killed_worker_loses_nothing(
    migrated_sqlite: Path, real_config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{migrated_sqlite}")
    server = LocalServer()
    _serve_feeds(server)
    config = config_with_sources(real_config, *_sources(server))
    collector = Collector(engine, config, workers=True, clock=frozen())
    try:
        collector.sync_sources()
        for worker in (collector._preparing, collector._storing):
            assert worker is not None and worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
        with server, caplog.at_level(logging.ERROR, logger="watcher.workers"):
            report = asyncio.run(collector.run_cycle([source.name for source in config.sources]))
    finally:
        collector.close()
    assert report.new == 3 and len(report.errors) == 1
    assert "le processus auxiliaire « enregistrement » s'est arrêté" in caplog.text
    assert "le processus auxiliaire « préparation des flux » s'est arrêté" in caplog.text
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 3
    engine.dispose()


def _slow_echo(value: str) -> str:
    time.sleep(0.2)
    return value


def _raise(error: BaseException) -> None:
    raise error


def test_a_call_pending_when_its_worker_dies_raises_worker_lost() -> None:
    worker = ForkedWorker("écho", {"echo": _slow_echo})

    async def call_then_kill() -> None:
        pending = asyncio.ensure_future(worker.call("echo", "bonjour"))
        await asyncio.sleep(0.05)
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(WorkerLost):
            await asyncio.wait_for(pending, timeout=5 * POLL_SECONDS)
        with pytest.raises(WorkerLost):
            await worker.call("echo", "encore")

    try:
        asyncio.run(call_then_kill())
    finally:
        worker.close()


def test_errors_cross_back_with_their_type_and_message() -> None:
    worker = ForkedWorker("erreurs", {"raise": _raise})

    async def calls() -> list[BaseException]:
        caught = []
        for error in (BatchConflict(), LeaseLost("bail perdu"), ValueError("valeur absurde")):
            try:
                await worker.call("raise", error)
            except Exception as exc:
                caught.append(exc)
        return caught

    try:
        conflict, lease, other = asyncio.run(calls())
    finally:
        worker.close()
    assert isinstance(conflict, BatchConflict) and "un autre processus" in str(conflict)
    assert isinstance(lease, LeaseLost) and str(lease) == "bail perdu"
    assert isinstance(other, ValueError) and str(other) == "valeur absurde"


def _orphan_a_worker(pids: multiprocessing.queues.Queue[int], leave: threading.Event) -> None:
    worker = ForkedWorker("orphelin", {"echo": _slow_echo})
    assert worker.pid is not None
    pids.put(worker.pid)
    pids.close()
    pids.join_thread()
    leave.wait(10)
    os._exit(0)  # dies without closing its worker, as a killed service would


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has exited, whoever reaps it


class _Unrebuildable(Exception):
    def __init__(self, code: int, detail: str):  # pickled with its args (one string), rebuilt with two: TypeError
        super().__init__(f"{code} {detail}")


def _raise_unrebuildable() -> None:
    raise _Unrebuildable(7, "détail")


def test_an_error_that_cannot_be_rebuilt_still_answers_the_caller() -> None:
    worker = ForkedWorker("erreurs", {"raise": _raise, "unrebuildable": _raise_unrebuildable})

    async def unrebuildable() -> BaseException:
        with pytest.raises(RuntimeError) as caught:
            await asyncio.wait_for(worker.call("unrebuildable"), timeout=10)
        return caught.value

    try:
        error = asyncio.run(unrebuildable())
        assert "réponse illisible du processus auxiliaire « erreurs »" in str(error)
        # The worker and its answers go on.
        with pytest.raises(ValueError, match="encore"):
            asyncio.run(worker.call("raise", ValueError("encore")))
    finally:
        worker.close()


def test_a_worker_whose_parent_died_stops_by_itself() -> None:
    context = multiprocessing.get_context("fork")
    pids: multiprocessing.queues.Queue[int] = context.Queue()
    leave = context.Event()
    parent = context.Process(target=_orphan_a_worker, args=(pids, leave))
    parent.start()
    orphan = pids.get(timeout=10)
    assert _running(orphan)
    leave.set()
    parent.join(timeout=10)
    deadline = time.monotonic() + 5 * POLL_SECONDS
    while _running(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(orphan)


def test_an_article_in_several_feeds_is_made_ahead_once(real_config: Config) -> None:
    spec = SourceConfig(name="Ouest", url="https://ouest.test/rss", topics=["hopital"])
    preparer = FeedPreparer(Scorer(real_config))
    front = preparer.prepare(rss("Ouest", [STRIKE, FRONT_PAGE_ONLY]), spec.url, "application/rss+xml", spec, NOW)
    section = preparer.prepare(rss("Ouest Santé", [STRIKE]), spec.url, "application/rss+xml", spec, NOW)
    assert all(doc is not None for doc in front.docs) and all(j is not None for j in front.judgements)
    assert section.docs == [None] and section.judgements == [None]  # the batch makes them if it ever needs them
    edited = preparer.prepare(
        rss("Ouest Santé", [{**STRIKE, "description": "Mise à jour : la grève est reconduite."}]),
        spec.url,
        "application/rss+xml",
        spec,
        NOW,
    )
    assert edited.docs[0] is not None and edited.judgements[0] is not None  # an edit is another version


def test_a_packed_feed_survives_the_trip(real_config: Config) -> None:
    spec = SourceConfig(name="Ouest", url="https://ouest.test/rss", topics=["hopital"])
    packed = FeedPreparer(Scorer(real_config)).packed(
        rss("Ouest", [STRIKE]), spec.url, "application/rss+xml", spec, NOW
    )
    feed = pickle.loads(pickle.dumps(packed)).unpack()
    assert isinstance(feed, PreparedFeed)
    doc = feed.docs[0]
    assert doc is not None and doc.minhash is not None and len(doc.minhash.hashvalues) == 128
    assert feed.judgements[0] is not None and "hopital" in feed.judgements[0].topics


def test_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_WORKERS", "0")
    assert workers_wanted() is False
    monkeypatch.setenv("WATCHER_WORKERS", "1")
    assert workers_wanted() is True
    monkeypatch.setenv("WATCHER_WORKERS", "beaucoup")
    with pytest.raises(WorkersConfigError, match="WATCHER_WORKERS : valeur invalide « beaucoup »"):
        workers_wanted()


def test_workers_are_forked_with_the_models_configured(tmp_path: Path) -> None:
    # The ORM configures its models at the first query, writing to every mapper and column: done before the fork,
    # the workers share those pages rather than each write its own copy. A fresh interpreter has run no query yet.
    database = tmp_path / "veille.db"
    upgrade(make_engine(f"sqlite:///{database}"))
    script = f"""
from sqlalchemy import inspect
from store.db import make_engine
from store.models import Item
from watcher.config import load_config
from watcher.pipeline import Collector

assert not inspect(Item).configured, "a query ran before the collector"
config = load_config({str(REPO_ROOT / "sources.yaml")!r})
collector = Collector(make_engine("sqlite:///{database}"), config, workers=True)
try:
    print(inspect(Item).configured)
finally:
    collector.close()
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
