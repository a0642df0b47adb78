"""Crash safety: `watcher run` killed with SIGKILL in the middle of a cycle, then restarted.

Nothing is lost (every item of every feed ends up stored), nothing is doubled
(items, stories, scores, outbox rows), and the database is consistent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, text
from sqlmodel import col, select

from store.db import session_scope
from store.models import Delivery, FetchAttempt, Item, Score, Source, Story
from tests.clock import NOW
from tests.conftest import REPO_ROOT
from tests.feeds import rss
from tests.localserver import Answer, LocalServer

LEASE_SECONDS = 3


def _entries(prefix: str, count: int) -> list[dict[str, object]]:
    # Half of them are about closed emergency wards: they score as alerts and fill the outbox.
    return [
        {
            "title": f"{prefix} {n} : les urgences de l'hôpital fermées la nuit faute de médecins"
            if n % 2 == 0
            else f"{prefix} {n} : la fête de la châtaigne attire les foules",
            "link": f"https://{prefix.lower()}.test/{n}",
            "description": "Le service des urgences de l'hôpital fermera la nuit faute de soignants, annonce l'ARS."
            if n % 2 == 0
            else "Un week-end de fête au village.",
            "published": NOW - timedelta(minutes=n),
        }
        for n in range(count)
    ]


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the database may not be migrated yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "run"], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_kill_9_during_a_cycle_loses_and_duplicates_nothing(
    engine: Engine, tmp_path: Path, server: LocalServer
) -> None:
    feeds = {f"Rapide {n}": _entries(f"Rapide{n}", 6) for n in range(4)}
    for name, entries in feeds.items():
        server.route(f"/{name.split()[-1]}.xml", rss(name, entries))
    slow_entries = _entries("Lent", 6)
    slow_body = rss("Lent", slow_entries)
    release = threading.Event()
    slow_calls: list[float] = []

    def slow(request: BaseHTTPRequestHandler) -> Answer | None:
        slow_calls.append(time.monotonic())
        if len(slow_calls) > 1:
            return Answer(slow_body)
        # First call: headers, then a trickle that outlives the process (it gets killed meanwhile).
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(slow_body)))
        request.end_headers()
        request.close_connection = True
        try:
            for byte in slow_body[:200]:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
                if release.wait(timeout=0.05):
                    return None
        except OSError:
            return None
        return None

    server.route("/lent.xml", slow)
    data = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [
        {"name": name, "url": server.url(f"/{name.split()[-1]}.xml"), "topics": ["hopital"], "interval": "15m"}
        for name in feeds
    ] + [
        # Named to come last: sources are claimed, and their batches stored, in name order (watcher/turns.py), so a
        # slow source named first would hold back the storing of the others until it ends, and the kill would come
        # after it failed rather than while it is leased.
        {"name": "Très lent", "url": server.url("/lent.xml"), "topics": ["hopital"], "interval": "15m"}
    ]
    config = tmp_path / "sources.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "WATCHER_CONFIG": str(config),
        "WATCHER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "WATCHER_LEASE_SECONDS": str(LEASE_SECONDS),
        "WATCHER_TICK_SECONDS": "0.5",
        "COLUMNS": "200",
    }

    first = _start(env, tmp_path)
    try:
        _wait(lambda: len(slow_calls) >= 1, 30, "the slow source to be requested")
        _wait(lambda: _count(engine, FetchAttempt) >= 1, 30, "a first source to be stored")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        release.set()
    assert first.returncode == -signal.SIGKILL
    with session_scope(engine) as session:
        lent = session.exec(select(Source).where(Source.name == "Très lent")).one()
        # Killed mid-cycle: the slow source was leased, never finished.
        assert lent.lease_owner is not None and lent.last_success_at is None
        lease_until = lent.lease_until
    assert lease_until is not None

    second = _start(env, tmp_path)
    try:
        expected = sum(len(entries) for entries in feeds.values()) + len(slow_entries)
        _wait(lambda: _count(engine, Item) >= expected, 60, "every item after the restart")
        _wait(lambda: _count(engine, FetchAttempt) >= len(feeds) + 1, 30, "the restarted cycle to finish")
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, output
    assert len(slow_calls) == 2 and slow_calls[1] >= slow_calls[0]

    all_entries = [entry for entries in feeds.values() for entry in entries] + slow_entries
    with session_scope(engine) as session:
        urls = session.exec(select(Item.url)).all()
        assert sorted(urls) == sorted(str(entry["link"]) for entry in all_entries)  # none lost, none twice
        # Every item is scored and in a story, and the stories count their items right.
        scored = session.exec(select(func.count()).select_from(Item).join(Score, col(Score.item_id) == col(Item.id)))
        scored = scored.one()
        unscored = session.exec(select(Item.url, Item.title).where(col(Item.id).not_in(select(Score.item_id)))).all()
        assert scored == len(all_entries), unscored
        assert session.exec(select(func.count()).select_from(Item).where(col(Item.story_id).is_(None))).one() == 0
        assert session.exec(select(func.sum(Story.item_count))).one() == len(all_entries)
        # The outbox: exactly one pending row per alerting story and channel, none twice.
        alert_items = session.exec(select(func.count()).select_from(Score).where(Score.decision == "alert")).one()
        # Thread replies (kind « followup:… ») may join an alerted story; alerts stay one per story and channel.
        deliveries = session.exec(select(Delivery.story_id, Delivery.channel).where(Delivery.kind == "alert")).all()
        assert alert_items > 0 and len(deliveries) == len(set(deliveries)) > 0
        # Every source finished: no lease left behind, one successful fetch each.
        for source in session.exec(select(Source)).all():
            assert source.lease_owner is None and source.last_success_at is not None
        assert session.exec(select(func.count()).select_from(FetchAttempt)).one() == len(feeds) + 1
        if engine.dialect.name == "sqlite":
            assert session.exec(text("PRAGMA integrity_check")).one()[0] == "ok"  # type: ignore[call-overload]
            assert session.exec(text("PRAGMA foreign_key_check")).all() == []  # type: ignore[call-overload]


def test_a_transaction_opened_by_a_savepoint_is_still_rolled_back_whole(engine: Engine) -> None:
    with session_scope(engine) as session:
        source = Source(name="Source", kind="rss", url="https://s.test/", interval_seconds=1800)
        session.add(source)
    item = Item(
        source_id=source.id or 0, guid="g", url="https://s.test/1", title="Titre", published_at=NOW,
        collected_at=NOW, title_date_key="k", content_hash="h",
    )  # fmt: skip
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        with session.begin_nested():  # the transaction's first write is a SAVEPOINT
            session.add(item)
        raise RuntimeError("crash before the score is written")
    assert _count(engine, Item) == 0
